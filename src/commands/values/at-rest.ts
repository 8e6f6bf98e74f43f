// When a write to a small collection packed at rest (store/types/packed.ts) is made in its blob
// (one open, the edit, one seal: it stays packed) rather than unpacking it (one open, a seal and
// a digest per element, and the cron's packing again: an open per element and a seal). SADD
// (sets.ts), the sorted-set writes (zset-rest.ts), the list writes (lists-packed.ts) and the hash
// writes (hash-entries.ts) ask here, so all follow one rule.

import type { Entry } from '../../store/entry.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import type { Session } from '../types.js';

/**
 * A packed collection whose sealed blob is at most this long takes its writes in the blob.
 * Bounded because a collection written again and again pays the whole blob's open and seal each
 * time (~1 ns/byte each way), where an unpacked one seals only the element written (branch
 * zwrite: 100-member sorted sets, 12 against 4.5 us).
 */
export const EDIT_IN_BLOB_MAX = 512;

/**
 * A packed collection touched within this many ms, and written at rest once within it already,
 * is in use: unpacked for its writes as before, so that its next writes and reads cost a digest
 * lookup, not an open of the whole blob (SADD of a present member to 1,000 hot sets: 2.2-3.2 us
 * unpacked against 4.5 from the blob). Short, because random writes over many keys meet a key
 * again within a second or two (200 k keys written at ~70 k/s: a one-second window sent a
 * quarter of the writes to unpacking, 7.0 -> 12.5 us).
 */
export const IN_USE_MS = 100;

/**
 * Whether `stored` (Keyspace.getStored) is a packed collection at rest, for a write about to be
 * made in its blob: untouched for `inUseMs`, or touched within it but not yet written so (its
 * `warm` mark, set here, says it was). Random writes over many keys meet a key within the window
 * now and then (~8% of 200 k keys at 170 k/s), and unpacking one for that write cost ~12-17 us
 * with the cron's packing again (~1-1.5 us per request on average) where the blob costs ~4; a
 * hot key is unpacked on its second write within the window instead of its first. The mark
 * stays until a write finds the key at rest again: one marked and since only read unpacks on its
 * next write within the window, as every touched key did before. Call it once per write, just
 * before the write is made in the blob. Under an LFU policy touchedAt is a counter, not a time:
 * every packed collection then counts as at rest (as for the cron's packing,
 * Keyspace.compactSlice).
 */
export function packedAtRest(ctx: Session, stored: Entry | PackedForm, inUseMs = IN_USE_MS): stored is Entry & PackedForm {
  if (!isPackedForm(stored)) return false;
  if (stored.touchedAt < ctx.now - inUseMs) {
    if (stored.warm) stored.warm = false;
    return true;
  }
  if (stored.warm) return false;
  stored.warm = true;
  return true;
}

/** Whether a packed collection's blob is small enough (EDIT_IN_BLOB_MAX) for a write to be made in it. */
export function editableInBlob(packed: PackedForm): boolean {
  return packed.blobLength <= EDIT_IN_BLOB_MAX;
}
