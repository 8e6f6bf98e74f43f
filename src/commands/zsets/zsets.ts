// Sorted-set commands (redis t_zset.c): adding, removing and looking up members. Ranges are in
// zsets-ranges.ts, union/intersection/difference in zsets-algebra.ts, pops, random members and
// ZSCAN in zsets-pops.ts. Every member is sealed on its own, bound to database and key; the set
// finds it by a keyed digest and orders ties in score by opening neighbours (zset-entries.ts).
// ZADD, ZINCRBY, ZREM and the pops on a small set packed at rest are made in its blob (zset-rest.ts).

import { Errors } from '../../protocol/errors.js';
import type { ZSetEntry } from '../../store/keyspace.js';
import { Kind } from '../../store/entry.js';
import { PACK_MAX_ELEMENTS } from '../../store/types/packed.js';
import { LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE } from '../../store/types/zset-ops.js';
import { addBatchToEmpty, BATCH_MIN_PAIRS } from './zset-batch.js';
import { zsetAlgebraCommands } from './zsets-algebra.js';
import { zsetBlockingCommands } from './zsets-blocking.js';
import { zsetPopCommands } from './zsets-pops.js';
import { storedScore, zsetRangeCommands } from './zsets-ranges.js';
import {
  isWord, keyOf, lookupDigest, parseScore, parseScoreAt, sealMember, writeZSet, zsetSpec,
} from './zset-entries.js';
import { DIGEST_BYTES } from '../../store/types/zset.js';
import type { KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import { rawKeyOf } from '../args.js';
import { argArray, takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { flatIndexOf, packedIndexOf, packedScoreFound, readPackedOf, withOpenedZSet } from '../values/packed-reads.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import { ADDED, NAN, NOP, UPDATED, zaddAtRest, zremAtRest, zsetAtRest, type AddOptions } from './zset-rest.js';

// ---- ZADD, ZINCRBY ----

/** Adds or updates one member (redis zsetAdd); the resulting score in `out.score`. */
function addMember(ctx: Session, key: string, entry: ZSetEntry, score: number, member: Buffer, o: AddOptions, out: { score: number }): number {
  const zset = entry.zset;
  const digest = lookupDigest(ctx, member);
  const current = zset.score(digest);
  if (current !== undefined) {
    if (o.nx) return NOP;
    if (o.incr) {
      score += current;
      if (Number.isNaN(score)) return NAN;
    }
    if ((o.lt && score >= current) || (o.gt && score <= current)) return NOP;
    out.score = score;
    // Equal scores (0 and -0 included, as Redis compares them) leave the member as it is.
    if (score === current) return 0;
    zset.setScore(digest, storedScore(entry, score), member);
    return UPDATED;
  }
  if (o.xx) return NOP;
  out.score = score;
  insertMember(ctx, key, entry, digest, score, member);
  return ADDED;
}

/** Seals and inserts a member the set does not hold (digest: its lookupDigest). */
function insertMember(ctx: Session, key: string, entry: ZSetEntry, digest: Buffer, score: number, member: Buffer): void {
  if (entry.zset.size + 1 > LISTPACK_MAX_ENTRIES || member.length > LISTPACK_MAX_VALUE) entry.skiplist = true;
  const sealed = sealMember(ctx, key, member);
  entry.zset.insert(digest, storedScore(entry, score), sealed, member);
  entry.sealedBytes += sealed.length;
}

export function zaddGeneric(ctx: Session, args: Buffer[], incrCommand: boolean): void {
  const o: AddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: incrCommand };
  let i = 2;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a.length > 4) break;
    if (isWord(a, 'nx')) o.nx = true;
    else if (isWord(a, 'xx')) o.xx = true;
    else if (isWord(a, 'ch')) o.ch = true;
    else if (isWord(a, 'incr')) o.incr = true;
    else if (isWord(a, 'gt')) o.gt = true;
    else if (isWord(a, 'lt')) o.lt = true;
    else break;
  }
  const pairs = args.length - i;
  if (pairs === 0 || pairs % 2 !== 0) return ctx.reply.error(Errors.syntax);
  if (o.nx && o.xx) return ctx.reply.error(Errors.zsetXxAndNx);
  if ((o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt)) return ctx.reply.error(Errors.zsetGtLtNx);
  if (o.incr && pairs > 2) return ctx.reply.error(Errors.zsetIncrPair);
  // Every score is checked before anything is added: the command applies whole or not at all.
  const scores: number[] = [];
  for (let j = i; j < args.length; j += 2) {
    const s = parseScore(args[j]!);
    if (s === null) return ctx.reply.error(Errors.notFloat);
    scores.push(s);
  }
  const key = keyOf(ctx, args[1]!);
  let found = ctx.db.getStored(key, ctx.now);
  const atRest = zsetAtRest(ctx, found);
  if (atRest !== undefined && zaddAtRest(ctx, key, atRest, o, scores, args, i)) return;
  if (found !== undefined && isPackedForm(found)) found = ctx.db.get(key, ctx.now);
  if (found === undefined && i === 2 && !incrCommand && scores.length <= PACK_MAX_ELEMENTS && zaddNew(ctx, key, args, 2, scores)) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let failed = false;
  const out = { score: 0 };
  const ok = writeZSet(ctx, key, o.incr ? 'zincr' : 'zadd', (entry) => {
    if (!o.incr && !o.xx && scores.length >= BATCH_MIN_PAIRS && entry.zset.size === 0) {
      ({ added, updated } = addBatchToEmpty(ctx, key, entry, scores, args, i, o));
      return added > 0;
    }
    for (let k = 0; k < scores.length; k++) {
      const flags = addMember(ctx, key, entry, scores[k]!, args[i + k * 2 + 1]!, o, out);
      if (flags === NAN) {
        failed = true;
        ctx.reply.error(Errors.zsetNaN);
        break;
      }
      if (flags & ADDED) added++;
      if (flags & UPDATED) updated++;
      if (!(flags & NOP)) processed++;
    }
    return added + updated > 0;
  }, found);
  if (!ok || failed) return;
  if (o.incr) {
    if (processed > 0) ctx.reply.double(out.score);
    else ctx.reply.nullBulk();
  } else {
    ctx.reply.integer(o.ch ? added + updated : added);
  }
}

/**
 * ZADD without options creating a small sorted set: packed at once (store/types/packed.ts), as
 * it would be when the turn ends, without sealing, digesting and ordering each member first.
 * Members and scores go in as addMember would leave them (a repeated member takes its later
 * score, a zero is stored as +0 unless the set is already a skiplist). Only for a key that does
 * not exist (the caller looked). False, having done nothing, when the members are past packing's
 * limits.
 */
function zaddNew(ctx: Session, key: string, args: readonly Buffer[], first: number, scores: number[]): boolean {
  const packer = ctx.db.packer;
  if (packer === null) return false;
  const members: Buffer[] = [];
  const stored: number[] = [];
  let skiplist = false;
  next: for (let k = 0; k < scores.length; k++) {
    const member = args[first + k * 2 + 1]!;
    const score = scores[k]!;
    for (let j = 0; j < members.length; j++) {
      if (!members[j]!.equals(member)) continue;
      if (score !== stored[j]) stored[j] = score === 0 && !skiplist ? 0 : score;
      continue next;
    }
    if (members.length + 1 > LISTPACK_MAX_ENTRIES || member.length > LISTPACK_MAX_VALUE) skiplist = true;
    members.push(member);
    stored.push(score === 0 && !skiplist ? 0 : score);
  }
  // The set's order: by score, ties by the members' bytes.
  const order = members.map((_, k) => k);
  order.sort((a, b) => (stored[a]! < stored[b]! ? -1 : stored[a]! > stored[b]! ? 1 : Buffer.compare(members[a]!, members[b]!)));
  const packed = packer.packNew(ctx.db.uid, key, Kind.ZSet, order.map((k) => members[k]!), order.map((k) => stored[k]!), skiplist, ctx.now);
  if (packed === null) return false;
  ctx.db.setPacked(key, packed, 'zadd');
  ctx.reply.integer(members.length);
  return true;
}

/**
 * ZADD: the everyday `ZADD key score member` read from RawArgs (one Buffer view, the member's,
 * instead of four, the key's string kept while it repeats); any other form takes zaddGeneric.
 */
const zadd = takesRawArgs((ctx: Session, list: ArgList): void => {
  if (list instanceof RawArgs && list.length === 4) {
    const score = parseScoreAt(list.bytes, list.starts[2]!, list.lengths[2]!);
    if (score !== null) return zaddOne(ctx, rawKeyOf(ctx, list, 1), score, list);
  }
  zaddGeneric(ctx, argArray(list), false);
});

const NO_OPTIONS: AddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: false };
const oneMember: Buffer[] = [];

/** zaddOne's member digest, from its lookup to the write. */
const oneDigest = Buffer.alloc(DIGEST_BYTES);

/**
 * ZADD key score member without options (the member is args[3]): zaddGeneric's path for one pair,
 * with one lookup of the key and one digest of the member, read where it lies. An unchanged score
 * is no write at all (Redis's zsetAdd): nothing sealed, signalled or notified, no WATCH touched,
 * not even a Buffer view of the member made; only the key's access time moves, as Redis's
 * lookupKeyWrite moves it.
 */
function zaddOne(ctx: Session, key: string, score: number, args: RawArgs): void {
  const db = ctx.db;
  let found = db.getStored(key, ctx.now);
  if (found !== undefined && isPackedForm(found)) {
    const atRest = zsetAtRest(ctx, found);
    if (atRest !== undefined && zaddOneAtRest(ctx, key, atRest, score, args.at(3)!, NO_OPTIONS)) return;
    found = db.get(key, ctx.now);
  }
  const at = args.starts[3]!;
  const length = args.lengths[3]!;
  let current: number | undefined;
  if (found === undefined) {
    oneMember[0] = args.at(3)!;
    try {
      if (zaddNew(ctx, key, oneMember, -1, [score])) return;
    } finally {
      oneMember.length = 0;
    }
    ctx.server.members.digestRangeInto(args.bytes, at, length, oneDigest, 0);
  } else if (found.kind === Kind.ZSet) {
    ctx.server.members.digestRangeInto(args.bytes, at, length, oneDigest, 0);
    current = found.zset.score(oneDigest);
    // Equal scores (0 and -0 included, as Redis compares them) leave the member as it is.
    if (current === score) {
      db.touch(found, ctx.now);
      return ctx.reply.integer(0);
    }
  }
  const member = args.at(3)!;
  const ok = writeZSet(ctx, key, 'zadd', (entry) => {
    if (current === undefined) insertMember(ctx, key, entry, oneDigest, score, member);
    else entry.zset.setScore(oneDigest, storedScore(entry, score), member);
    return true;
  }, found);
  if (ok) ctx.reply.integer(current === undefined ? 1 : 0);
}

/** ZINCRBY: read from RawArgs when its increment parses (else zaddGeneric replies the error). */
const zincrby = takesRawArgs((ctx: Session, list: ArgList): void => {
  if (list instanceof RawArgs) {
    const by = parseScoreAt(list.bytes, list.starts[2]!, list.lengths[2]!);
    if (by !== null) return zincrOne(ctx, rawKeyOf(ctx, list, 1), by, list.at(3)!);
  }
  zaddGeneric(ctx, argArray(list), true);
});

const INCR: AddOptions = { ...NO_OPTIONS, incr: true };
const onePair: number[] = [0];

/** zaddAtRest() of one pair, without arrays per call. */
function zaddOneAtRest(ctx: Session, key: string, packed: PackedForm, score: number, member: Buffer, o: AddOptions): boolean {
  oneMember[0] = member;
  onePair[0] = score;
  try {
    return zaddAtRest(ctx, key, packed, o, onePair, oneMember, -1);
  } finally {
    oneMember.length = 0;
  }
}

/** ZINCRBY key increment member: zaddGeneric's path for it. */
function zincrOne(ctx: Session, key: string, by: number, member: Buffer): void {
  const stored = ctx.db.getStored(key, ctx.now);
  const atRest = zsetAtRest(ctx, stored);
  if (atRest !== undefined && zaddOneAtRest(ctx, key, atRest, by, member, INCR)) return;
  const out = { score: 0 };
  let flags = 0;
  const ok = writeZSet(ctx, key, 'zincr', (entry) => {
    flags = addMember(ctx, key, entry, by, member, INCR, out);
    return (flags & (ADDED | UPDATED)) !== 0;
  }, stored !== undefined && !isPackedForm(stored) ? stored : undefined);
  if (!ok) return;
  if (flags === NAN) ctx.reply.error(Errors.zsetNaN);
  else ctx.reply.double(out.score);
}

// ---- ZREM ----

function zrem(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(key, ctx.now);
  const atRest = zsetAtRest(ctx, stored);
  if (atRest !== undefined) return zremAtRest(ctx, key, atRest, args);
  let deleted = 0;
  const ok = writeZSet(ctx, key, 'zrem', (entry) => {
    const zset = entry.zset;
    for (let i = 2; i < args.length && zset.size > 0; i++) {
      const digest = lookupDigest(ctx, args[i]!);
      const sealed = zset.sealedOf(digest);
      if (sealed === undefined) continue;
      zset.remove(digest);
      entry.sealedBytes -= sealed.length;
      deleted++;
    }
    return deleted > 0;
  }, stored !== undefined && !isPackedForm(stored) ? stored : undefined);
  if (ok) ctx.reply.integer(deleted);
}

// ---- lookups ----

function zcard(ctx: Session, args: Buffer[]): void {
  const entry = readPackedOf(ctx, keyOf(ctx, args[1]!), Kind.ZSet);
  if (entry !== null) ctx.reply.integer(entry === undefined ? 0 : isPackedForm(entry) ? entry.count : entry.zset.size);
}

const zscore = takesRawArgs((ctx: Session, args: ArgList): void => {
  const key = args instanceof RawArgs ? rawKeyOf(ctx, args, 1) : keyOf(ctx, args.at(1)!);
  const entry = readPackedOf(ctx, key, Kind.ZSet);
  if (entry === null) return;
  // A small sorted set packed at rest: one open and a scan of its members, and it stays packed.
  if (entry !== undefined && isPackedForm(entry)) {
    const found = packedIndexOf(ctx, key, entry, args.at(2)!);
    if (found === null) return;
    if (found >= 0) ctx.reply.double(packedScoreFound());
    else ctx.reply.nullBulk();
    return;
  }
  const score = entry?.zset.score(lookupDigest(ctx, args.at(2)!));
  if (score === undefined) ctx.reply.nullBulk();
  else ctx.reply.double(score);
});

function zmscore(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readPackedOf(ctx, key, Kind.ZSet);
  if (entry === null) return;
  // A small sorted set packed at rest: one open and a scan per member asked, and it stays packed.
  if (entry !== undefined && isPackedForm(entry)) {
    withOpenedZSet(ctx, key, entry, (flat) => {
      ctx.reply.arrayLen(args.length - 2);
      for (let i = 2; i < args.length; i++) {
        const k = flatIndexOf(flat, args[i]!);
        if (k < 0) ctx.reply.nullBulk();
        else ctx.reply.double(flat.scores[k]!);
      }
    });
    return;
  }
  ctx.reply.arrayLen(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const score = entry?.zset.score(lookupDigest(ctx, args[i]!));
    if (score === undefined) ctx.reply.nullBulk();
    else ctx.reply.double(score);
  }
}

function rankCommand(ctx: Session, args: Buffer[], reverse: boolean): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readPackedOf(ctx, key, Kind.ZSet);
  if (entry === null) return;
  if (entry !== undefined && isPackedForm(entry)) {
    const found = packedIndexOf(ctx, key, entry, args[2]!);
    if (found === null) return;
    if (found >= 0) ctx.reply.integer(reverse ? entry.count - 1 - found : found);
    else ctx.reply.nullBulk();
    return;
  }
  const rank = entry?.zset.rank(lookupDigest(ctx, args[2]!), reverse);
  if (rank === undefined) ctx.reply.nullBulk();
  else ctx.reply.integer(rank);
}

const zrank = (ctx: Session, args: Buffer[]): void => rankCommand(ctx, args, false);
const zrevrank = (ctx: Session, args: Buffer[]): void => rankCommand(ctx, args, true);

// ---- table ----

const READ: readonly KeyFlagName[] = ['RO', 'ACCESS'];
const LOG_N = { complexity: 'O(log(N))' };

export const zsetCommands: CommandSpec[] = [
  zsetSpec('zadd', -4, 'write-grow', true, ['RW', 'UPDATE'], 'Add one or more members to a sorted set, or update its score if it already exists', '1.2.0', zadd, { complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.' }),
  zsetSpec('zincrby', 4, 'write-grow', true, ['RW', 'ACCESS', 'UPDATE'], 'Increment the score of a member in a sorted set', '1.2.0', zincrby, { complexity: 'O(log(N)) where N is the number of elements in the sorted set.' }),
  zsetSpec('zrem', -3, 'write', true, ['RW', 'DELETE'], 'Remove one or more members from a sorted set', '1.2.0', zrem, { complexity: 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.' }),
  zsetSpec('zcard', 2, 'read', true, ['RO'], 'Get the number of members in a sorted set', '1.2.0', zcard, { complexity: 'O(1)' }),
  zsetSpec('zscore', 3, 'read', true, READ, 'Get the score associated with the given member in a sorted set', '1.2.0', zscore, { complexity: 'O(1)' }),
  zsetSpec('zmscore', -3, 'read', true, READ, 'Get the score associated with the given members in a sorted set', '6.2.0', zmscore, { complexity: 'O(N) where N is the number of members being requested.' }),
  zsetSpec('zrank', 3, 'read', true, READ, 'Determine the index of a member in a sorted set', '2.0.0', zrank, LOG_N),
  zsetSpec('zrevrank', 3, 'read', true, READ, 'Determine the index of a member in a sorted set, with scores ordered from high to low', '2.0.0', zrevrank, LOG_N),
  ...zsetRangeCommands,
  ...zsetAlgebraCommands,
  ...zsetPopCommands,
  ...zsetBlockingCommands,
];
