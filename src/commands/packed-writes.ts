// Writes made in a small collection's packed blob (store/types/packed.ts) instead of unpacking
// it: SADD (sets.ts), list pushes, pops and LSET (lists-packed.ts). Unpacking costs a seal (and a
// set's or sorted set's digest) per element, and the cron's packing again an open per element and
// a seal; the blob edit one open and one seal of the whole blob. That wins for a collection at
// rest, written once; a collection in use is unpacked as before, so that its next writes cost a
// single element's seal, not the whole blob's open and seal each (the one rule for both below).

import type { PackedForm } from '../store/packed-record.js';

/**
 * A packed collection touched within this many ms is in use: unpacked for a write as before, so
 * that its next writes and reads cost a digest lookup, not an open of the whole blob (SADD of a
 * present member to 1,000 hot sets: 2.2-3.2 us unpacked against 4.5 from the blob). Short,
 * because random writes over many keys meet a key again within a second or two (200 k keys
 * written at ~70 k/s: a one-second window sent a quarter of the writes to unpacking, 7.0 -> 12.5 us).
 */
const IN_USE_MS = 100;

/**
 * Whether a packed collection is at rest for a write in its blob (untouched for IN_USE_MS).
 * Under an LFU policy touchedAt is a counter, not a time: every packed collection then counts
 * as at rest (as for the cron's packing, Keyspace.compactSlice).
 */
export function restsForBlobWrite(packed: PackedForm, now: number): boolean {
  return packed.touchedAt < now - IN_USE_MS;
}
