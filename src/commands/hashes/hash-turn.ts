// The small hash a turn's commands last opened, kept open until the turn ends (turn-end.ts), so
// the commands after it on the same hash copy its pairs instead of opening them, and a run of
// writes seals it once: a pipeline of 16 HSETs into one hash, or many clients writing one hash in
// one turn, opens it once and seals it once per turn rather than once per command. One hash at a
// time: opening another settles it first (seals it if it changed, wipes its plaintext).
//
// While the held hash has changed, its `packed` blob lags its pairs: every reader of the sealed
// form outside HashAccess (hash-ops.ts: RENAME/COPY/MOVE, key rotation and its key-id census;
// the packer, seal/packing.ts) calls sealedNow() first (store/types/hash-fields.ts), which seals
// it here; memory accounting (MEMORY USAGE, maxmemory) counts the length the blob will have.
// Everything else (DUMP, snapshots, SORT BY, scripts, MULTI) reads through HashAccess, which
// copies the held pairs. Every write still goes through Keyspace.mutate, so notifications,
// WATCH and dirty counts see each command as before. A hash that
// goes to its table form or is emptied is dropped unsealed (its blob is no longer the truth).
//
// What is held is matched by the HashFields object, database and key it was opened or sealed
// for, and, until it changes, the very blob it came from: a blob re-sealed meanwhile (rotation)
// misses and is opened as before. The plaintext sits in one off-heap buffer of at most
// PACKED_MAX_BYTES, wiped at the turn's end and when a data key is retired (net/server.ts).
// A seal that fails at the turn's end cannot be answered to anyone: it is logged (turn-end.ts)
// and the hash keeps its last sealed pairs, as a set's open tail does.

import { heldHash, PACKED_MAX_BYTES, sealedString, type HashFields } from '../../store/types/hash-fields.js';
import { OVERHEAD } from '../../seal/sealer.js';
import { copyBytes } from '../../util/bytes.js';
import { Purpose } from '../../seal/values.js';
import type { HashContext } from './hash-fields.js';
import { settleAfterTurn } from '../values/turn-end.js';

type Values = HashContext['server']['values'];

const plain = Buffer.allocUnsafeSlow(PACKED_MAX_BYTES).fill(0);
const sealedOut = Buffer.allocUnsafeSlow(OVERHEAD + PACKED_MAX_BYTES);
let held: HashFields | null = null;
let values: Values | null = null;
let db = 0;
let key = '';
let length = 0;
/** The blob the pairs were opened from; '' once they changed (the blob then lags). */
let from = '';

/** Bytes of f's pairs held for (ctx's database, key), or -1 when they are not held. */
export function heldLength(ctx: HashContext, k: string, f: HashFields): number {
  if (held !== f || key !== k || db !== ctx.db.uid || values !== ctx.server.values) return -1;
  if (from !== '' && from !== f.packed) return -1;
  return length;
}

/** Copies the held pairs (heldLength() bytes) to target at 0. */
export function copyHeld(target: Buffer): void {
  copyBytes(plain, 0, target, 0, length);
}

/**
 * Holds f's pairs src[0, n) for the rest of the turn: just opened from f.packed (`changed`
 * false), or changed by a write, which leaves f.packed lagging until settled. Nothing is held
 * past PACKED_MAX_BYTES (the write then seals at once: returns false).
 */
export function hold(ctx: HashContext, k: string, f: HashFields, src: Buffer, n: number, changed: boolean): boolean {
  if (held !== f || key !== k || db !== ctx.db.uid || values !== ctx.server.values) settleHeld();
  if (n > plain.length) {
    dropHeld(f);
    return false;
  }
  // Pairs opened again while newer ones are held can only be older: the held ones stay.
  if (!changed && heldHash.lagging === f) return true;
  if (n < length) plain.fill(0, n, length);
  copyBytes(src, 0, plain, 0, n);
  held = f;
  values = ctx.server.values;
  db = ctx.db.uid;
  key = k;
  length = n;
  if (changed) {
    from = '';
    heldHash.lagging = f;
    heldHash.sealedLength = OVERHEAD + n;
  } else {
    from = f.packed;
  }
  settleAfterTurn();
  return true;
}

/** Forgets f's held pairs without sealing them (f went to its table form, or was emptied). */
export function dropHeld(f: HashFields): void {
  if (held === f) release();
}

/** Seals the held hash if it changed, and wipes its plaintext: at the turn's end, and before another hash is held. */
function settleHeld(): void {
  if (held === null) return;
  const f = held;
  try {
    if (heldHash.lagging === f) {
      values!.sealElementAt(Purpose.HashPairs, db, key, plain.subarray(0, length), sealedOut, 0);
      f.packed = sealedString(sealedOut, 0, OVERHEAD + length);
    }
  } finally {
    release();
  }
}

function release(): void {
  plain.fill(0, 0, length);
  if (heldHash.lagging === held) heldHash.lagging = null;
  held = null;
  values = null;
  key = from = '';
  length = 0;
}

heldHash.settle = settleHeld;
