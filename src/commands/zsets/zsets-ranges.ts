// Sorted-set ranges (redis t_zset.c zrangeGenericCommand and friends): by rank, by score and by
// lex, forward or reversed, with LIMIT; ZRANGESTORE; counting; removing ranges. Every range is a
// half-open span of ranks [start, end) found in O(log n) (SortedSet.scoreRange / lexRange /
// rankSpan), then walked.

import { Errors } from '../../protocol/errors.js';
import { emptyScores, rankSpan, type LexBound, type ScoreBound } from '../../store/types/zset.js';
import { LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE, zsetEntry } from '../../store/types/zset-ops.js';
import { OVERHEAD } from '../../seal/sealer.js';
import type { ZSetEntry } from '../../store/keyspace.js';
import {
  digestOf, isWord, keyOf, openMember, parseLexBound, parseLong, parseScoreBound, replyRange,
  sealMember, sealedBytesOf, tryOrdered, withOrder, writeZSet, zsetSpec,
} from './zset-entries.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { openedMembers } from '../values/opened-members.js';
import type { PackedForm } from '../../store/packed-record.js';
import { rawKeyOf } from '../args.js';
import { argArray, takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { parseStrictInteger } from '../../protocol/parser.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { at, type KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import { readPackedOf, replyFlatRanks, replyPackedRanks, withOpenedZSet } from '../values/packed-reads.js';
import { valueSpan, type ValueRange } from './zset-span.js';
import type { FlatZSet } from '../../store/types/packed.js';
import { isPackedForm } from '../../store/packed-record.js';
import { Kind } from '../../store/entry.js';
import { zremRangeAtRest, zsetAtRest } from './zset-rest.js';

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/** What the range selects, as ranks of the set walked in `reverse` or not. */
interface Span {
  start: number;
  end: number;
  reverse: boolean;
}

/** A range as parsed: ranks, scores or lex bounds (removing ranges takes it too: zset-rest.ts). */
export type ParsedRange =
  | { type: 'rank'; start: number; stop: number }
  | { type: 'score'; min: ScoreBound; max: ScoreBound }
  | { type: 'lex'; min: LexBound; max: LexBound };

interface RangeRequest {
  range: ParsedRange;
  reverse: boolean;
  withScores: boolean;
  offset: number;
  limit: number;
}

/**
 * Parses a range command's arguments from `first` (the key) on, as zrangeGenericCommand does;
 * null after replying the error.
 */
function parseRange(ctx: Session, args: Buffer[], first: number, store: boolean, type: RangeType, direction: Direction): RangeRequest | null {
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = first + 3; j < args.length; j++) {
    const left = args.length - j - 1;
    const a = args[j]!;
    if (!store && isWord(a, 'withscores')) withScores = true;
    else if (isWord(a, 'limit') && left >= 2) {
      const o = parseLong(args[j + 1]!);
      const l = o === null ? null : parseLong(args[j + 2]!);
      if (o === null || l === null) {
        ctx.reply.error(Errors.notInteger);
        return null;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === 'auto' && isWord(a, 'rev')) direction = 'reverse';
    else if (type === 'auto' && isWord(a, 'bylex')) type = 'lex';
    else if (type === 'auto' && isWord(a, 'byscore')) type = 'score';
    else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
  }
  if (type === 'auto') type = 'rank';
  const reverse = direction === 'reverse';
  if (limit !== -1 && type === 'rank') {
    ctx.reply.error(Errors.zsetLimitNeedsBy);
    return null;
  }
  if (withScores && type === 'lex') {
    ctx.reply.error(Errors.zsetWithscoresBylex);
    return null;
  }
  // Reversed score and lex ranges name the maximum first.
  const lo = args[reverse && type !== 'rank' ? first + 2 : first + 1]!;
  const hi = args[reverse && type !== 'rank' ? first + 1 : first + 2]!;
  let range: ParsedRange;
  if (type === 'rank') {
    const start = parseLong(lo);
    const stop = start === null ? null : parseLong(hi);
    if (start === null || stop === null) {
      ctx.reply.error(Errors.notInteger);
      return null;
    }
    range = { type, start, stop };
  } else if (type === 'score') {
    const min = parseScoreBound(lo);
    const max = min === null ? null : parseScoreBound(hi);
    if (min === null || max === null) {
      ctx.reply.error(Errors.zsetMinMaxNotFloat);
      return null;
    }
    range = { type, min, max };
  } else {
    const min = parseLexBound(lo);
    const max = min === null ? null : parseLexBound(hi);
    if (min === null || max === null) {
      ctx.reply.error(Errors.zsetLexRange);
      return null;
    }
    range = { type, min, max };
  }
  return { range, reverse, withScores, offset, limit };
}

/** The ranks a request selects in the set (the member order must be bound for lex ranges). */
function spanOf(entry: ZSetEntry, req: RangeRequest): Span {
  const zset = entry.zset;
  const size = zset.size;
  const r = req.range;
  if (r.type === 'rank') {
    const [s, e] = rankSpan(r.start, r.stop, size);
    // Reversed ranks count from the highest score.
    return req.reverse ? { start: size - e, end: size - s, reverse: true } : { start: s, end: e, reverse: false };
  }
  const [start, end] = r.type === 'score' ? (emptyScores(r.min, r.max) ? [0, 0] : zset.scoreRange(r.min, r.max)) : zset.lexRange(r.min, r.max);
  return limited(start, end, size, req);
}

/** A score or lex range's ranks [start, end) of a set of `size` after the request's LIMIT. */
function limited(start: number, end: number, size: number, req: RangeRequest): Span {
  // LIMIT offset count: a negative offset selects nothing, a negative count everything after it.
  const { offset, limit } = req;
  if (offset < 0 || (offset > 0 && offset >= size)) return { start: 0, end: 0, reverse: req.reverse };
  if (req.reverse) {
    end = Math.max(start, end - offset);
    if (limit >= 0) start = Math.max(start, end - limit);
  } else {
    start = Math.min(end, start + offset);
    if (limit >= 0) end = Math.min(end, start + limit);
  }
  return { start, end, reverse: req.reverse };
}

function rangeToClient(ctx: Session, args: Buffer[], type: RangeType, direction: Direction): void {
  const req = parseRange(ctx, args, 1, false, type, direction);
  if (req === null) return;
  const key = keyOf(ctx, args[1]!);
  const found = readPackedOf(ctx, key, Kind.ZSet);
  if (found === null) return;
  if (found === undefined) return ctx.reply.arrayLen(0);
  // A small sorted set packed at rest answers from its blob and stays packed.
  if (isPackedForm(found)) {
    const range = req.range;
    if (range.type !== 'rank') return void withOpenedZSet(ctx, key, found, (flat) => replyValueRange(ctx, flat, range, req));
    const [s, e] = rankSpan(range.start, range.stop, found.count);
    const size = found.count;
    return req.reverse ? replyPackedRanks(ctx, key, found, size - e, size - s, true, req.withScores) : replyPackedRanks(ctx, key, found, s, e, false, req.withScores);
  }
  // Only a lex range compares members (opens them to find its ends).
  if (req.range.type !== 'lex') return replySpan(ctx, key, found, spanOf(found, req), req.withScores);
  tryOrdered(ctx, key, () => replySpan(ctx, key, found, spanOf(found, req), req.withScores));
}

/** A score or lex range of an opened packed sorted set (withOpenedZSet), LIMIT applied. */
function replyValueRange(ctx: Session, flat: FlatZSet, range: ValueRange, req: RangeRequest): void {
  const [start, end] = valueSpan(flat, range);
  const span = limited(start, end, flat.count, req);
  replyFlatRanks(ctx, flat, span.start, span.end, span.reverse, req.withScores);
}

function replySpan(ctx: Session, key: string, entry: ZSetEntry, span: Span, withScores: boolean): void {
  replyRange(ctx, key, entry.zset, span.start, span.end, span.reverse, withScores);
}

/**
 * Stores `entry`'s ranks [start, end) as key `dst`, each member re-sealed for it (ZRANGESTORE),
 * or deletes `dst` when the span is empty; replies with the count.
 */
function storeSpan(ctx: Session, srcKey: string, entry: ZSetEntry | undefined, start: number, end: number, dst: string): void {
  const out = zsetEntry(ctx.now);
  if (entry !== undefined && end > start) {
    let longest = 0;
    entry.zset.each(start, end, false, (sealed) => {
      longest = Math.max(longest, sealed.length - OVERHEAD);
    });
    out.skiplist = isSkiplist(end - start, longest);
    try {
      entry.zset.each(start, end, false, (sealed, score) => {
        const plain = openMember(ctx, srcKey, sealed);
        try {
          appendSealed(ctx, dst, out, plain, score);
        } finally {
          plain.fill(0);
        }
      });
    } catch (err) {
      sealFailed(ctx, err);
      return;
    }
  }
  storeResult(ctx, dst, out, 'zrangestore');
}

/** Appends a member given in plaintext to `out` (members come in order: no comparison), sealed for `dst`. */
function appendSealed(ctx: Session, dst: string, out: ZSetEntry, plain: Buffer, score: number): void {
  const fresh = sealMember(ctx, dst, plain);
  out.zset.append(digestOf(ctx, plain), storedScore(out, score), fresh);
  out.sealedBytes += fresh.length;
}

type StoreEvent = 'zrangestore' | 'zunionstore' | 'zinterstore' | 'zdiffstore';

/**
 * Puts a computed set at `dst` (replacing whatever is there, TTL dropped) or deletes `dst` when
 * empty; replies the size. `out.skiplist` says how Redis would encode it (isSkiplist).
 */
export function storeResult(ctx: Session, dst: string, out: ZSetEntry, event: StoreEvent): void {
  if (out.zset.size > 0) {
    ctx.db.set(dst, out, event);
    ctx.reply.integer(out.zset.size);
  } else {
    ctx.db.delete(dst, 'del');
    ctx.reply.integer(0);
  }
}

/** Scores of a result packed at once, as a listpack keeps them (storedScore). */
const packedScores: number[] = [];

/**
 * storeResult() of a result given in plaintext, members[k] scoring scores[k], in the set's order
 * (ZRANGESTORE of a packed set, the algebra's STORE forms): packed at once when it fits a packed
 * set (Packer.packNew, as ZADD creating a key; the flag keeps Redis's encoding), as a new small
 * sorted set is at the end of its turn anyway; else each member sealed for `dst`.
 */
export function storePlainZSet(ctx: Session, dst: string, members: readonly Buffer[], scores: ArrayLike<number>, event: StoreEvent): void {
  const n = members.length;
  let longest = 0;
  for (const m of members) longest = Math.max(longest, m.length);
  const out = zsetEntry(ctx.now);
  out.skiplist = isSkiplist(n, longest);
  if (n > 0) {
    try {
      for (let k = 0; k < n; k++) packedScores.push(storedScore(out, scores[k]!));
      const packed = ctx.db.packer?.packNew(ctx.db.uid, dst, Kind.ZSet, members, packedScores, out.skiplist, ctx.now) ?? null;
      if (packed !== null) {
        ctx.db.setPacked(dst, packed, event);
        return ctx.reply.integer(n);
      }
    } finally {
      packedScores.length = 0;
    }
  }
  for (let k = 0; k < n; k++) appendSealed(ctx, dst, out, members[k]!, scores[k]!);
  storeResult(ctx, dst, out, event);
}

/** Views of the members ZRANGESTORE of a packed set stores (in openedMembers). */
const spanViews: Buffer[] = [];

/**
 * ZRANGESTORE from a small sorted set packed at rest: opened once (openedMembers, wiped after),
 * the span found there as the live set's would be, stored by storePlainZSet; the source stays
 * packed (it was unpacked). The seal error replied whole, nothing stored.
 */
function storePackedSpan(ctx: Session, src: string, packed: PackedForm, req: RangeRequest, dst: string): void {
  const flat = openedMembers;
  const mark = ctx.reply.size;
  try {
    flat.openPacked(ctx, src, packed);
    const r = req.range;
    const size = flat.count;
    let start: number;
    let end: number;
    if (r.type === 'rank') [start, end] = rankSpan(r.start, r.stop, size);
    else ({ start, end } = limited(...valueSpan(flat, r), size, req));
    if (r.type === 'rank' && req.reverse) [start, end] = [size - end, size - start];
    for (let k = start; k < end; k++) spanViews.push(flat.view(k));
    storePlainZSet(ctx, dst, spanViews, flat.scores.subarray(start, end), 'zrangestore');
  } catch (err) {
    sealFailedSince(ctx, mark, err);
  } finally {
    spanViews.length = 0;
    flat.wipe();
  }
}

function zrangestore(ctx: Session, args: Buffer[]): void {
  const req = parseRange(ctx, args, 2, true, 'auto', 'auto');
  if (req === null) return;
  const dst = keyOf(ctx, args[1]!);
  const src = keyOf(ctx, args[2]!);
  const entry = readPackedOf(ctx, src, Kind.ZSet);
  if (entry === null) return;
  if (entry !== undefined && isPackedForm(entry)) return storePackedSpan(ctx, src, entry, req, dst);
  let span: Span = { start: 0, end: 0, reverse: false };
  if (entry !== undefined) {
    try {
      span = withOrder(ctx, src, () => spanOf(entry, req));
    } catch (err) {
      sealFailed(ctx, err);
      return;
    }
  }
  storeSpan(ctx, src, entry, span.start, span.end, dst);
}

/** Whether Redis would encode a new set of `size` members, the longest `longest` bytes, as a skiplist. */
export function isSkiplist(size: number, longest: number): boolean {
  return size > LISTPACK_MAX_ENTRIES || longest > LISTPACK_MAX_VALUE;
}

/** The score as Redis keeps it: a listpack holds -0 as the integer 0, a skiplist the double as it is. */
export function storedScore(entry: ZSetEntry, score: number): number {
  return score === 0 && !entry.skiplist ? 0 : score;
}

/**
 * ZRANGE: the everyday form `ZRANGE key start stop [WITHSCORES]` read from RawArgs (offsets into
 * the read: no Buffer view per argument, the key's string kept while it repeats); any other form
 * or origin takes rangeToClient.
 */
const zrange = takesRawArgs((ctx: Session, args: ArgList): void => {
  if (args instanceof RawArgs && zrangeRaw(ctx, args)) return;
  rangeToClient(ctx, argArray(args), 'auto', 'auto');
});

const WITHSCORES = Buffer.from('withscores');

/** Whether raw argument i is `word` (lower case) in any case. */
function rawWord(raw: RawArgs, i: number, word: Buffer): boolean {
  if (raw.lengths[i] !== word.length) return false;
  const b = raw.bytes;
  const at = raw.starts[i]!;
  for (let j = 0; j < word.length; j++) if ((b[at + j]! | 0x20) !== word[j]) return false;
  return true;
}

/** ZRANGE by rank from RawArgs; false (nothing replied) for a form it leaves to rangeToClient. */
function zrangeRaw(ctx: Session, raw: RawArgs): boolean {
  if (raw.length > 5 || (raw.length === 5 && !rawWord(raw, 4, WITHSCORES))) return false;
  const b = raw.bytes;
  const start = parseStrictInteger(b, raw.starts[2]!, raw.starts[2]! + raw.lengths[2]!);
  const stop = start === null ? null : parseStrictInteger(b, raw.starts[3]!, raw.starts[3]! + raw.lengths[3]!);
  if (start === null || stop === null) return false;
  const key = rawKeyOf(ctx, raw, 1);
  const entry = readPackedOf(ctx, key, Kind.ZSet);
  if (entry === null) return true;
  if (entry === undefined) {
    ctx.reply.arrayLen(0);
    return true;
  }
  if (isPackedForm(entry)) {
    const [s, e] = rankSpan(start, stop, entry.count);
    replyPackedRanks(ctx, key, entry, s, e, false, raw.length === 5);
    return true;
  }
  const [s, e] = rankSpan(start, stop, entry.zset.size);
  replyRange(ctx, key, entry.zset, s, e, false, raw.length === 5);
  return true;
}
const zrevrange = (ctx: Session, args: Buffer[]): void => rangeToClient(ctx, args, 'rank', 'reverse');
const zrangebyscore = (ctx: Session, args: Buffer[]): void => rangeToClient(ctx, args, 'score', 'forward');
const zrevrangebyscore = (ctx: Session, args: Buffer[]): void => rangeToClient(ctx, args, 'score', 'reverse');
const zrangebylex = (ctx: Session, args: Buffer[]): void => rangeToClient(ctx, args, 'lex', 'forward');
const zrevrangebylex = (ctx: Session, args: Buffer[]): void => rangeToClient(ctx, args, 'lex', 'reverse');

// ---- counting ----

function zcount(ctx: Session, args: Buffer[]): void {
  const min = parseScoreBound(args[2]!);
  const max = min === null ? null : parseScoreBound(args[3]!);
  if (min === null || max === null) return ctx.reply.error(Errors.zsetMinMaxNotFloat);
  countRange(ctx, args, { type: 'score', min, max });
}

function zlexcount(ctx: Session, args: Buffer[]): void {
  const min = parseLexBound(args[2]!);
  const max = min === null ? null : parseLexBound(args[3]!);
  if (min === null || max === null) return ctx.reply.error(Errors.zsetLexRange);
  countRange(ctx, args, { type: 'lex', min, max });
}

/** ZCOUNT, ZLEXCOUNT once the range is parsed; a small set packed at rest counts in its blob and stays packed. */
function countRange(ctx: Session, args: Buffer[], range: ValueRange): void {
  const key = keyOf(ctx, args[1]!);
  const found = readPackedOf(ctx, key, Kind.ZSet);
  if (found === null) return;
  if (found === undefined || (range.type === 'score' && emptyScores(range.min, range.max))) return ctx.reply.integer(0);
  if (isPackedForm(found)) {
    withOpenedZSet(ctx, key, found, (flat) => {
      const [start, end] = valueSpan(flat, range);
      ctx.reply.integer(end - start);
    });
    return;
  }
  if (range.type === 'score') {
    const [start, end] = found.zset.scoreRange(range.min, range.max);
    return ctx.reply.integer(end - start);
  }
  tryOrdered(ctx, key, () => {
    const [start, end] = found.zset.lexRange(range.min, range.max);
    ctx.reply.integer(end - start);
  });
}

// ---- removing ranges ----

type RemoveEvent = 'zremrangebyrank' | 'zremrangebyscore' | 'zremrangebylex';

/** ZREMRANGEBYRANK/SCORE/LEX once the range is parsed; a small set at rest loses it in its blob (zset-rest.ts). */
function removeRange(ctx: Session, args: Buffer[], event: RemoveEvent, range: ParsedRange): void {
  const key = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(key, ctx.now);
  const atRest = zsetAtRest(ctx, stored);
  if (atRest !== undefined) return zremRangeAtRest(ctx, key, atRest, range, event);
  let removed = 0;
  const held = stored === undefined || isPackedForm(stored) ? undefined : stored;
  const ok = writeZSet(ctx, key, event, (entry) => {
    const { start, end } = spanOf(entry, { range, reverse: false, withScores: false, offset: 0, limit: -1 });
    if (end <= start) return false;
    entry.sealedBytes -= sealedBytesOf(entry, start, end);
    removed = entry.zset.removeRange(start, end);
    return true;
  }, held);
  if (ok) ctx.reply.integer(removed);
}

function zremrangebyrank(ctx: Session, args: Buffer[]): void {
  const start = parseLong(args[2]!);
  const stop = start === null ? null : parseLong(args[3]!);
  if (start === null || stop === null) return ctx.reply.error(Errors.notInteger);
  removeRange(ctx, args, 'zremrangebyrank', { type: 'rank', start, stop });
}

function zremrangebyscore(ctx: Session, args: Buffer[]): void {
  const min = parseScoreBound(args[2]!);
  const max = min === null ? null : parseScoreBound(args[3]!);
  if (min === null || max === null) return ctx.reply.error(Errors.zsetMinMaxNotFloat);
  removeRange(ctx, args, 'zremrangebyscore', { type: 'score', min, max });
}

function zremrangebylex(ctx: Session, args: Buffer[]): void {
  const min = parseLexBound(args[2]!);
  const max = min === null ? null : parseLexBound(args[3]!);
  if (min === null || max === null) return ctx.reply.error(Errors.zsetLexRange);
  removeRange(ctx, args, 'zremrangebylex', { type: 'lex', min, max });
}

// ---- table ----

const READ: readonly KeyFlagName[] = ['RO', 'ACCESS'];
const REMOVE: readonly KeyFlagName[] = ['RW', 'DELETE'];
const RANGE = { complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.' };
const BY = { complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).' };
const REMOVED = { complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.' };
const COUNT = { complexity: 'O(log(N)) with N being the number of elements in the sorted set.' };

export const zsetRangeCommands: CommandSpec[] = [
  zsetSpec('zrange', -4, 'read', false, READ, 'Return a range of members in a sorted set', '1.2.0', zrange, RANGE),
  zsetSpec('zrangestore', -5, 'write-grow', false, [at(1, 'OW', 'UPDATE'), at(2, 'RO', 'ACCESS')], 'Store a range of members from sorted set into another key', '6.2.0', zrangestore, { complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.' }),
  zsetSpec('zrevrange', -4, 'read', false, READ, 'Return a range of members in a sorted set, by index, with scores ordered from high to low', '1.2.0', zrevrange, RANGE),
  zsetSpec('zrangebyscore', -4, 'read', false, READ, 'Return a range of members in a sorted set, by score', '1.0.5', zrangebyscore, BY),
  zsetSpec('zrevrangebyscore', -4, 'read', false, READ, 'Return a range of members in a sorted set, by score, with scores ordered from high to low', '2.2.0', zrevrangebyscore, BY),
  zsetSpec('zrangebylex', -4, 'read', false, READ, 'Return a range of members in a sorted set, by lexicographical range', '2.8.9', zrangebylex, BY),
  zsetSpec('zrevrangebylex', -4, 'read', false, READ, 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.', '2.8.9', zrevrangebylex, BY),
  zsetSpec('zcount', 4, 'read', true, READ, 'Count the members in a sorted set with scores within the given values', '2.0.0', zcount, COUNT),
  zsetSpec('zlexcount', 4, 'read', true, READ, 'Count the number of members in a sorted set between a given lexicographical range', '2.8.9', zlexcount, COUNT),
  zsetSpec('zremrangebyrank', 4, 'write', false, REMOVE, 'Remove all members in a sorted set within the given indexes', '2.0.0', zremrangebyrank, REMOVED),
  zsetSpec('zremrangebyscore', 4, 'write', false, REMOVE, 'Remove all members in a sorted set within the given scores', '1.2.0', zremrangebyscore, REMOVED),
  zsetSpec('zremrangebylex', 4, 'write', false, REMOVE, 'Remove all members in a sorted set between the given lexicographical range', '2.8.9', zremrangebylex, REMOVED),
];
