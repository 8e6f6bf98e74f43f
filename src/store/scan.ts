// SCAN-family cursors, stateless as Redis's (dict.c dictScan): a cursor is a position in hash
// order, nothing is kept for it on the server. However many cursors clients open or abandon,
// they cost no memory, cannot be evicted, and pin no data.
//
// Both tables scanned this way (the key table, a hash's field table) are open addressing with
// linear probing over 2^n slots. A slot number is no stable position: a key sits at or after its
// home slot (hash & mask) and moves when the table rebuilds. So the unit of a scan is the home
// bucket: "bucket b" is every element whose hash & mask = b, found by walking the probe run from
// slot b to the first empty slot (deletions leave markers, never empty slots, so the run holds
// every element homed at b). A cursor is the next bucket to visit, counted in reverse-binary
// order (increment the bit-reversed index), exactly as dictScan does for its power-of-two tables:
// - while the size stays, every bucket is visited once and an element never changes bucket;
// - when the table grows from 2^n to 2^m slots, the buckets already visited are exactly those
//   whose low n hash bits come before the cursor in reversed order, and the big table's buckets
//   from the same cursor on are the ones that still hold the rest: nothing is missed;
// - when it shrinks, the next small bucket also holds some elements already returned (repeats,
//   which SCAN's contract allows) and every element not yet returned is at or after it.
// Any size change (several doublings at once, a rebuild at the same size) keeps this, since the
// argument depends only on hash bits. So every element present for a whole scan is returned at
// least once, whatever happened to the table in between. A cursor from a larger table or one
// never handed out is read modulo the current size, as Redis does.

import { nextBucket } from '../util/scan-order.js';

/** A table that can list the elements homed at one bucket. */
export interface BucketTable<T> {
  /** 2^n - 1 for a table of 2^n buckets; 0 for a table scanned whole in one bucket. */
  readonly scanMask: number;
  /** Calls visit for every element whose hash & scanMask is bucket; returns how many. */
  visitBucket(bucket: number, visit: (element: T) => void): number;
}

export { nextBucket };

/**
 * One SCAN step (redis scanGenericCommand): visits whole buckets from `cursor` until at least
 * `count` elements were visited or `count * 10` buckets were looked at, and returns the cursor
 * to continue with, 0 when the scan is complete.
 */
export function scanStep<T>(table: BucketTable<T>, cursor: number, count: number, visit: (element: T) => void): number {
  const mask = table.scanMask;
  let bucket = (cursor & mask) >>> 0;
  let visited = 0;
  let budget = count * 10;
  do {
    visited += table.visitBucket(bucket, visit);
    bucket = nextBucket(bucket, mask);
  } while (bucket !== 0 && budget-- > 0 && visited < count);
  return bucket;
}

const ULONG_DIGITS = '18446744073709551615';

/**
 * A SCAN/HSCAN cursor argument as Redis 7.0 reads it (strtoul, whole string, no leading space):
 * an optional sign then decimal digits, at most 2^64 - 1 (the empty string is cursor 0, "-n"
 * wraps as unsigned). Returns the cursor's low 32 bits (tables never have more slots), or null
 * for Redis's "invalid cursor". Works on the bytes: the argument may be huge.
 */
export function parseCursor(arg: Uint8Array): number | null {
  let i = 0;
  const negative = arg[0] === 0x2d;
  if (negative || arg[0] === 0x2b) i = 1;
  if (i === 1 && arg.length === 1) return null;
  while (i < arg.length && arg[i] === 0x30) i++;
  const digits = arg.length - i;
  if (digits > ULONG_DIGITS.length) return null;
  let low = 0;
  let text = '';
  for (let j = i; j < arg.length; j++) {
    const d = arg[j]! - 0x30;
    if (d < 0 || d > 9) return null;
    text += String.fromCharCode(arg[j]!);
  }
  if (digits === ULONG_DIGITS.length && text > ULONG_DIGITS) return null;
  if (digits > 0) low = Number(BigInt.asUintN(32, negative ? -BigInt(text) : BigInt(text)));
  return low;
}
