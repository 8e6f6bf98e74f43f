// Streams as every type-blind path sees them: a StreamLog of sealed entries (one blob of fields
// and values per entry, bound to the entry's id) plus consumer groups, which hold no sealed data.
// An entry re-sealed for a new home or a newer key keeps its id, so it stays bound to it.

import { streamEntry, type StreamEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import { formatId } from './stream.js';
import type { CollectionOps } from './type-ops.js';

/** The stream object, its groups map and counters (V8 on 64-bit). */
export const STREAM_ENTRY_OVERHEAD = 96;
/** Per consumer group, consumer and pending entry. */
const GROUP_OVERHEAD = 160;
const CONSUMER_OVERHEAD = 96;
const PENDING_OVERHEAD = 64;

function groupBytes(entry: StreamEntry): number {
  let bytes = 0;
  for (const g of entry.groups.values()) {
    bytes += GROUP_OVERHEAD + g.pel.size * PENDING_OVERHEAD;
    for (const c of g.consumers.values()) bytes += CONSUMER_OVERHEAD + c.name.length + c.pel.size * 16;
  }
  return bytes;
}

export const streamOps: CollectionOps<StreamEntry> = {
  name: 'stream',
  overhead: STREAM_ENTRY_OVERHEAD,
  valueBytes(entry, samples) {
    const log = entry.log;
    const all = log.memoryBytes() + groupBytes(entry);
    if (samples >= log.length || log.length === 0) return all;
    // Sampled: the first `samples` entries' bytes scaled to the whole, plus the fixed parts.
    const [bytes, seen] = log.sampleBytes(samples);
    const blocks = seen === 0 ? 0 : Math.round((bytes / seen) * log.length);
    return all - log.memoryBytes() + blocks + (log.memoryBytes() - log.sampleBytes(Infinity)[0]);
  },
  encoding: () => 'stream',
  elements: (entry) => entry.log.length,
  forEachSealed(entry, visit) {
    entry.log.forEach((id, bytes, start, length) => {
      visit(bytes.subarray(start, start + length), Purpose.StreamEntry, formatId(id));
    });
  },
  reseal(entry, reseal, touchedAt) {
    const log = entry.log.copy((id, bytes, start, length) => reseal(bytes.subarray(start, start + length), Purpose.StreamEntry, formatId(id)));
    return { ...entry, log, groups: entry.groups.clone(), touchedAt, sealedName: undefined };
  },
  create: (now) => streamEntry(now),
  // A stream stays when its last entry goes (XDEL, XTRIM): Redis keeps empty streams.
  isEmpty: () => false,
  renewEach(entry, renew) {
    let renewed = 0;
    entry.log.replaceEach((id, bytes, start, length) => {
      const sealed = bytes.subarray(start, start + length);
      const fresh = renew(sealed, Purpose.StreamEntry, formatId(id));
      if (fresh === null) return Buffer.from(sealed);
      renewed++;
      return fresh;
    });
    return renewed;
  },
};
