// Taking members out or at random (redis t_zset.c genericZpopCommand, zmpopGenericCommand,
// zrandmemberCommand) and ZSCAN. Popped members are replied first (opened straight into the
// reply) and removed after, so a member that fails to open leaves the set as it was.

import { parseElementScanOptions } from '../scan-options.js';
import { int64 } from '../args.js';
import { Errors } from '../../protocol/errors.js';
import type { ZSetEntry } from '../../store/keyspace.js';
import { parseCursor } from '../../store/scan.js';
import { formatDouble17 } from '../../util/double-text.js';
import { globMatchBytes } from '../../util/glob.js';
import {
  isWord, keyOf, keysAfterCount, openMember, parseLong, peekZSet, replyMember, replyMembers, sealedBytesOf,
  writeZSet, zsetSpec,
} from './zset-entries.js';
import { sealFailed } from '../values/sealing.js';
import { zpopAtRest, zsetAtRest } from './zset-rest.js';
import { Kind } from '../../store/entry.js';
import { isPackedForm } from '../../store/packed-record.js';
import type { KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import { readPackedOf, replyFlatPicks, unpackedOf, withOpenedZSet } from '../values/packed-reads.js';
import type { FlatZSet } from '../../store/types/packed.js';
import { replyPlain } from '../sets/set-entries.js';

const LONG_MAX = 2n ** 63n - 1n;

// ---- pops ----

export type Where = 'min' | 'max';

/** How a pop replies (redis genericZpopCommand's flags). */
export interface PopShape {
  /** [key, members] (ZMPOP, BZMPOP, BZPOPMIN) rather than just the members. */
  emitKey: boolean;
  /** Each member with its score as a [member, score] pair. */
  nested: boolean;
  /** A null array rather than an empty one when no key has members. */
  nilWhenEmpty: boolean;
}

/**
 * Pops up to `count` members (-1: one, unnested) from the first of `keys` (key arguments) that
 * exists, replying in `shape`. Returns whether it replied with members or an error.
 */
export function popFrom(ctx: Session, keys: readonly Buffer[], where: Where, count: number, shape: PopShape): boolean {
  let found: { arg: Buffer; key: string; entry: ZSetEntry } | null = null;
  for (const arg of keys) {
    const key = keyOf(ctx, arg);
    // A small set packed at rest pops from its blob and stays packed (zset-rest.ts).
    const stored = ctx.db.getStored(key, ctx.now);
    const atRest = zsetAtRest(ctx, stored);
    if (atRest !== undefined && count === 0) {
      // Nothing to pop: the key looked up for a write (touched, as Redis's lookupKeyWrite), not unpacked.
      ctx.db.touch(stored!, ctx.now);
      ctx.reply.arrayLen(0);
      return false;
    }
    if (atRest !== undefined) {
      zpopAtRest(ctx, arg, key, atRest, where === 'min', count, shape);
      return true;
    }
    const entry = stored === undefined || (stored.kind === Kind.ZSet && !isPackedForm(stored)) ? (stored as ZSetEntry | undefined) : peekZSet(ctx, key);
    if (entry === null) return true;
    if (entry === undefined) continue;
    found = { arg, key, entry };
    break;
  }
  if (found === null) {
    if (shape.nilWhenEmpty) ctx.reply.nullArray();
    else ctx.reply.arrayLen(0);
    return false;
  }
  if (count === 0) {
    ctx.reply.arrayLen(0);
    return false;
  }
  const { key, entry } = found;
  const size = entry.zset.size;
  const n = Math.min(count === -1 ? 1 : count, size);
  const mark = ctx.reply.size;
  if (shape.emitKey) {
    ctx.reply.arrayLen(shape.nested ? 2 : n * 2 + 1);
    ctx.reply.bulk(found.arg);
    if (shape.nested) ctx.reply.arrayLen(n);
  } else {
    ctx.reply.arrayLen(shape.nested ? n : n * 2);
  }
  const [start, end] = where === 'min' ? [0, n] : [size - n, size];
  let ok = true;
  entry.zset.each(start, end, where === 'max', (sealed, score) => {
    if (shape.nested) ctx.reply.arrayLen(2);
    if (!replyMember(ctx, key, sealed, mark)) return (ok = false);
    ctx.reply.double(score);
    return true;
  });
  if (!ok) return true;
  writeZSet(ctx, key, where === 'min' ? 'zpopmin' : 'zpopmax', (e) => {
    e.sealedBytes -= sealedBytesOf(e, start, end);
    e.zset.removeRange(start, end);
    return true;
  });
  return true;
}

function zpop(ctx: Session, args: Buffer[], where: Where): void {
  if (args.length > 3) return ctx.reply.error(Errors.syntax);
  let count = -1;
  if (args.length === 3) {
    const n = parseLong(args[2]!);
    if (n === null || n < 0) return ctx.reply.error(Errors.mustBePositive);
    count = n;
  }
  popFrom(ctx, [args[1]!], where, count, { emitKey: false, nested: ctx.reply.protocol === 3 && count !== -1, nilWhenEmpty: false });
}

const zpopmin = (ctx: Session, args: Buffer[]): void => zpop(ctx, args, 'min');
const zpopmax = (ctx: Session, args: Buffer[]): void => zpop(ctx, args, 'max');

/** ZMPOP / BZMPOP arguments from numkeys on: the key positions, where and count; null after replying the error. */
export function parseMpop(ctx: Session, args: Buffer[], numkeysAt: number): { keys: Buffer[]; where: Where; count: number } | null {
  const numkeys = parseLong(args[numkeysAt]!);
  if (numkeys === null || numkeys < 1) {
    ctx.reply.error(Errors.numkeysPositive);
    return null;
  }
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= args.length) {
    ctx.reply.error(Errors.syntax);
    return null;
  }
  let where: Where;
  if (isWord(args[whereAt]!, 'min')) where = 'min';
  else if (isWord(args[whereAt]!, 'max')) where = 'max';
  else {
    ctx.reply.error(Errors.syntax);
    return null;
  }
  let count = -1;
  for (let j = whereAt + 1; j < args.length; j++) {
    if (count === -1 && isWord(args[j]!, 'count') && j < args.length - 1) {
      j++;
      const n = parseLong(args[j]!);
      if (n === null || n < 1) {
        ctx.reply.error(Errors.countPositive);
        return null;
      }
      count = n;
    } else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
  }
  return { keys: args.slice(numkeysAt + 1, numkeysAt + 1 + numkeys), where, count: count === -1 ? 1 : count };
}

function zmpop(ctx: Session, args: Buffer[]): void {
  const req = parseMpop(ctx, args, 1);
  if (req === null) return;
  popFrom(ctx, req.keys, req.where, req.count, { emitKey: true, nested: true, nilWhenEmpty: true });
}

// ---- ZRANDMEMBER ----

/**
 * Largest repeat count served (as HRANDFIELD): Redis 7.0 tries to build any reply it is asked
 * for; sealkv refuses counts that would build gigabytes with "value is out of range".
 */
const MAX_REPEATS = 16_777_216;

function zrandmember(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  if (args.length === 2) {
    const found = readPackedOf(ctx, key, Kind.ZSet);
    if (found === null) return;
    if (found === undefined) return ctx.reply.nullBulk();
    // A small sorted set packed at rest answers from its blob and stays packed, as below.
    if (isPackedForm(found)) {
      const k = Math.floor(Math.random() * found.count);
      withOpenedZSet(ctx, key, found, (flat) => replyPlain(ctx, flat.bytes, flat.starts[k]!, flat.lengths[k]!));
      return;
    }
    const pick = found.zset.at(Math.floor(Math.random() * found.zset.size))!;
    replyMember(ctx, key, pick.sealed, ctx.reply.size);
    return;
  }
  const count = int64(args[2]!);
  if (count === null) return ctx.reply.error(Errors.notInteger);
  if (count < -LONG_MAX) return ctx.reply.error(Errors.hrandfieldCountRange);
  if (args.length > 4 || (args.length === 4 && !isWord(args[3]!, 'withscores'))) return ctx.reply.error(Errors.syntax);
  const withScores = args.length === 4;
  if (withScores && (count < -LONG_MAX / 2n || count > LONG_MAX / 2n)) return ctx.reply.error(Errors.valueOutOfRange);
  if (count < -BigInt(MAX_REPEATS)) return ctx.reply.error(Errors.valueOutOfRange);
  const found = readPackedOf(ctx, key, Kind.ZSet);
  if (found === null) return;
  if (found === undefined || count === 0n) return ctx.reply.arrayLen(0);
  const size = isPackedForm(found) ? found.count : found.zset.size;
  const ranks = randomRanks(count, size);
  if (isPackedForm(found)) return void withOpenedZSet(ctx, key, found, (flat) => replyFlatPicks(ctx, flat, ranks, withScores));
  const zset = found.zset;
  replyMembers(ctx, key, ranks.length, withScores, (visit) => {
    for (const r of ranks) {
      const m = zset.at(r)!;
      if (!visit(m.sealed, m.score)) return;
    }
  });
}

/** The ranks ZRANDMEMBER draws from a set of `size` for `count` (not 0). */
function randomRanks(count: bigint, size: number): number[] {
  if (count < 0n) return Array.from({ length: Number(-count) }, () => Math.floor(Math.random() * size));
  // The whole set, highest first (Redis walks a sorted set from its tail here).
  if (count >= BigInt(size)) return Array.from({ length: size }, (_, i) => size - 1 - i);
  // Partial Fisher-Yates over the ranks: a uniform sample without repeats.
  const all = Array.from({ length: size }, (_, i) => i);
  const n = Number(count);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n);
}

// ---- ZSCAN ----

/** LLONG_MAX / 2 as a double: Redis's double2ll takes only scores within it. */
const LL_HALF = 2 ** 62;

/** A score as a listpack holds it (zzlInsertAt): a whole number as an integer, others "%.17g". */
function listpackScore(score: number): string {
  return Number.isInteger(score) && Math.abs(score) <= LL_HALF ? BigInt(score).toString() : formatDouble17(score);
}

/** ZSCAN's reply for a listpack's members laid flat: all of them (MATCH applied), cursor 0. */
function replyFlatScan(ctx: Session, flat: FlatZSet, pattern: Buffer | null): void {
  let n = 0;
  for (let k = 0; k < flat.count; k++) if (flatMatches(flat, k, pattern)) n++;
  ctx.reply.arrayLen(2);
  ctx.reply.bulkLatin1('0');
  ctx.reply.arrayLen(n * 2);
  for (let k = 0; k < flat.count; k++) {
    if (!flatMatches(flat, k, pattern)) continue;
    replyPlain(ctx, flat.bytes, flat.starts[k]!, flat.lengths[k]!);
    ctx.reply.bulkLatin1(listpackScore(flat.scores[k]!));
  }
}

function flatMatches(flat: FlatZSet, k: number, pattern: Buffer | null): boolean {
  return pattern === null || globMatchBytes(pattern, flat.bytes.subarray(flat.starts[k]!, flat.starts[k]! + flat.lengths[k]!));
}

function zscan(ctx: Session, args: Buffer[]): void {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return ctx.reply.error(Errors.invalidCursor);
  const key = keyOf(ctx, args[1]!);
  const stored = readPackedOf(ctx, key, Kind.ZSet);
  if (stored === null) return;
  if (stored === undefined) {
    ctx.reply.arrayLen(2);
    ctx.reply.bulkLatin1('0');
    return ctx.reply.arrayLen(0);
  }
  const opts = parseElementScanOptions(args);
  if (typeof opts === 'string') return ctx.reply.error(opts);
  const { count, pattern } = opts;
  // A small sorted set packed at rest that Redis keeps as a listpack: whole from its blob, and it stays packed.
  if (isPackedForm(stored) && !stored.flag) return void withOpenedZSet(ctx, key, stored, (flat) => replyFlatScan(ctx, flat, pattern));
  const entry = isPackedForm(stored) ? unpackedOf(ctx, key, Kind.ZSet) : stored;
  const found: { sealed: string; score: number }[] = [];
  const keep = (sealed: string, score: number): void => {
    found.push({ sealed, score });
  };
  let next = 0;
  // A set Redis keeps as a listpack is scanned whole in one call, cursor 0.
  if (!entry.skiplist) entry.zset.each(0, entry.zset.size, false, keep);
  else next = entry.zset.scan(cursor, count, keep);
  let kept = found;
  if (pattern !== null) {
    kept = [];
    try {
      for (const m of found) {
        const plain = openMember(ctx, key, m.sealed);
        if (globMatchBytes(pattern, plain)) kept.push(m);
        plain.fill(0);
      }
    } catch (err) {
      sealFailed(ctx, err);
      return;
    }
  }
  const mark = ctx.reply.size;
  ctx.reply.arrayLen(2);
  ctx.reply.bulkLatin1(String(next));
  ctx.reply.arrayLen(kept.length * 2);
  for (const m of kept) {
    if (!replyMember(ctx, key, m.sealed, mark)) return;
    ctx.reply.bulkLatin1(entry.skiplist ? formatDouble17(m.score) : listpackScore(m.score));
  }
}

// ---- table ----

const POP: readonly KeyFlagName[] = ['RW', 'ACCESS', 'DELETE'];
const POPPED = { complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.' };

export const zsetPopCommands: CommandSpec[] = [
  zsetSpec('zpopmin', -2, 'write', true, POP, 'Remove and return members with the lowest scores in a sorted set', '5.0.0', zpopmin, POPPED),
  zsetSpec('zpopmax', -2, 'write', true, POP, 'Remove and return members with the highest scores in a sorted set', '5.0.0', zpopmax, POPPED),
  zsetSpec('zmpop', -4, 'write', false, [keysAfterCount(1, ...POP)], 'Remove and return members with scores in a sorted set', '7.0.0', zmpop, { complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.' }),
  zsetSpec('zrandmember', -2, 'read', false, ['RO', 'ACCESS'], 'Get one or multiple random elements from a sorted set', '6.2.0', zrandmember, { tips: ['nondeterministic_output'], complexity: 'O(N) where N is the number of elements returned' }),
  zsetSpec('zscan', -3, 'read', false, ['RO', 'ACCESS'], 'Incrementally iterate sorted sets elements and associated scores', '2.8.0', zscan, { tips: ['nondeterministic_output'], complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..' }),
];
