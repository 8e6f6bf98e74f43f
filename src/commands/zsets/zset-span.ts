// The ranks of a sorted set laid flat (FlatZSet: a blob's members in order, opened for a read or
// loaded for a write) that a score or lex range selects, found as Redis's listpack walk finds
// them (zzlIsInRange / zzlFirstInRange, zzlDeleteRangeByScore and their lex forms). Shared by the
// writes made in a blob (zset-rest.ts) and the reads answered from one (packed-reads.ts users).

import type { FlatZSet } from '../../store/types/packed.js';
import { emptyScores, type LexBound } from '../../store/types/zset.js';
import type { ParsedRange } from './zsets-ranges.js';

/** A range by score or by lex. */
export type ValueRange = Exclude<ParsedRange, { type: 'rank' }>;

/** Sign of member k's bytes against bytes[at, at + n) (memcmp, then the shorter first: Redis's order of ties, sdscmplex's). */
export function compareFlat(flat: FlatZSet, k: number, bytes: Uint8Array, at: number, n: number): number {
  const own = flat.bytes;
  const from = flat.starts[k]!;
  const length = flat.lengths[k]!;
  for (let i = 0, m = Math.min(length, n); i < m; i++) {
    const a = own[from + i]!;
    const b = bytes[at + i]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return length - n;
}

/** Sign of member k against a lex bound: '-' below and '+' above every member. */
function compareLex(flat: FlatZSet, k: number, bound: LexBound): number {
  return bound === '-' ? 1 : bound === '+' ? -1 : compareFlat(flat, k, bound.value, 0, bound.value.length);
}

/** Whether a lex bound leaves out its own value ('-' and '+' do: Redis parses them as exclusive). */
function exclusiveLex(bound: LexBound): boolean {
  return typeof bound !== 'object' || bound.exclusive;
}

/** Whether member k is at or past the range's min (redis zslValueGteMin / zslLexValueGteMin). */
function gteMin(flat: FlatZSet, k: number, range: ValueRange): boolean {
  if (range.type === 'score') return range.min.exclusive ? flat.scores[k]! > range.min.value : flat.scores[k]! >= range.min.value;
  const c = compareLex(flat, k, range.min);
  return exclusiveLex(range.min) ? c > 0 : c >= 0;
}

/** Whether member k is at or before the range's max (redis zslValueLteMax / zslLexValueLteMax). */
function lteMax(flat: FlatZSet, k: number, range: ValueRange): boolean {
  if (range.type === 'score') return range.max.exclusive ? flat.scores[k]! < range.max.value : flat.scores[k]! <= range.max.value;
  const c = compareLex(flat, k, range.max);
  return exclusiveLex(range.max) ? c < 0 : c <= 0;
}

/** Whether lex bounds select nothing whatever the members ('-' lowest, '+' highest), as zslIsInLexRange checks first. */
function lexBoundsCross(min: LexBound, max: LexBound): boolean {
  const rank = (b: LexBound) => (b === '-' ? -1 : b === '+' ? 1 : 0);
  let c = rank(min) - rank(max);
  if (c === 0 && typeof min === 'object' && typeof max === 'object') c = Buffer.compare(min.value, max.value);
  return c > 0 || (c === 0 && (exclusiveLex(min) || exclusiveLex(max)));
}

/** The ranks [start, end) of `flat` that `range` selects; [0, 0] when none. */
export function valueSpan(flat: FlatZSet, range: ValueRange): [start: number, end: number] {
  const count = flat.count;
  // Bounds that cross, or a set wholly outside them.
  const crossed = range.type === 'score' ? emptyScores(range.min, range.max) : lexBoundsCross(range.min, range.max);
  if (crossed || count === 0 || !gteMin(flat, count - 1, range) || !lteMax(flat, 0, range)) return [0, 0];
  let start = 0;
  while (start < count && !gteMin(flat, start, range)) start++;
  let end = start;
  while (end < count && lteMax(flat, end, range)) end++;
  return [start, end];
}
