// A consumer group's entries-read counter and lag (redis t_stream.c streamRangeHasTombstones,
// streamEstimateDistanceFromFirstEverEntry, streamReplyWithCGLag): exact while nothing was
// deleted ahead of the group, estimated or unknown otherwise.

import { ENTRIES_READ_UNKNOWN, type ConsumerGroup } from '../../store/types/stream-groups.js';
import type { StreamId, StreamLog } from '../../store/types/stream.js';

/** The recorded first entry id: the first entry's, 0-0 when empty. */
export function firstEntryId(log: StreamLog): StreamId {
  return log.firstId() ?? 0n;
}

/** Whether an XDEL'd id may lie in [start, end]. */
export function rangeHasTombstones(log: StreamLog, start: StreamId, end: StreamId): boolean {
  const maxDeleted = log.maxDeletedId;
  if (log.length === 0 || maxDeleted === 0n) return false;
  if (firstEntryId(log) > maxDeleted) return false;
  return start <= maxDeleted && maxDeleted <= end;
}

/** How many entries were added up to and including id, or ENTRIES_READ_UNKNOWN. */
export function estimateEntriesRead(log: StreamLog, id: StreamId): number {
  if (log.entriesAdded === 0) return 0;
  if (log.length === 0 && id <= log.lastId) return log.entriesAdded;
  if (id === log.lastId) return log.entriesAdded;
  if (id > log.lastId) return ENTRIES_READ_UNKNOWN;
  const first = firstEntryId(log);
  if (log.maxDeletedId === 0n || log.maxDeletedId < first) {
    if (id < first) return log.entriesAdded - log.length;
    if (id === first) return log.entriesAdded - log.length + 1;
  }
  return ENTRIES_READ_UNKNOWN;
}

/** The group's lag, null when it cannot be known. */
export function groupLag(log: StreamLog, group: ConsumerGroup): number | null {
  if (log.entriesAdded === 0) return 0;
  if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !rangeHasTombstones(log, group.lastId, (1n << 128n) - 1n)) {
    return log.entriesAdded - group.entriesRead;
  }
  const read = estimateEntriesRead(log, group.lastId);
  return read === ENTRIES_READ_UNKNOWN ? null : log.entriesAdded - read;
}
