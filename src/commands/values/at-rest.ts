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
 * A packed collection touched within this many ms of its last touch counts its writes in a row
 * (its heat); past IN_USE_WRITES of them it is in use: unpacked for its writes as before, so that
 * its next writes and reads cost a digest lookup, not an open of the whole blob (SADD of a
 * present member to 1,000 hot sets: 2.2-3.2 us unpacked against 4.5 from the blob). Short,
 * because random writes over many keys meet a key again within a second or two (200 k keys
 * written at ~70 k/s: a one-second window sent a quarter of the writes to unpacking, 7.0 -> 12.5 us).
 */
export const IN_USE_MS = 100;

/**
 * Writes a packed collection takes in its blob in a row, each within IN_USE_MS of the last
 * touch, before the next one unpacks it. Random writes over 200 k keys at 200-300 k/s meet a
 * key within the window ~10% of the time: one such write allowed (the rule before) still sent
 * ~0.4% of the writes to unpacking, and each one cost ~200 us of CPU in all (the unpack, its
 * garbage, the cron's packing again: 0.6-0.9 us per request on average, in process); three make
 * that chance ~10^-4. A key written hundreds of times a second (a hot key, a pipeline into one
 * key) reaches it within a few ms and is unpacked as before.
 */
export const IN_USE_WRITES = 3;

/**
 * Whether `stored` (Keyspace.getStored) is a packed collection at rest, for a write about to be
 * made in its blob: untouched for `inUseMs` (its heat starts again), or touched within it but
 * written so fewer than IN_USE_WRITES times in a row (its heat, counted here). Reads and writes
 * of the blob touch the key; only writes count. Call it once per write, just before the write is
 * made in the blob. Under an LFU policy touchedAt is a counter, not a time: every packed
 * collection then counts as at rest (as for the cron's packing, Keyspace.compactSlice).
 */
export function packedAtRest(ctx: Session, stored: Entry | PackedForm, inUseMs = IN_USE_MS): stored is Entry & PackedForm {
  if (!isPackedForm(stored)) return false;
  if (stored.touchedAt < ctx.now - inUseMs) {
    if (stored.heat !== 0) stored.heat = 0;
    return true;
  }
  const heat = stored.heat;
  if (heat >= IN_USE_WRITES) return false;
  stored.heat = heat + 1;
  return true;
}

/** Whether a packed collection's blob is small enough (EDIT_IN_BLOB_MAX) for a write to be made in it. */
export function editableInBlob(packed: PackedForm): boolean {
  return packed.blobLength <= EDIT_IN_BLOB_MAX;
}
