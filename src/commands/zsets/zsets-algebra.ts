// ZUNION, ZINTER, ZDIFF, their *STORE forms and ZINTERCARD (redis t_zset.c
// zunionInterDiffGenericCommand). Sets count as sorted sets whose every member scores 1.
//
// Members of different keys are matched by their keyed digests (one member-hash key for every
// collection). Each input is opened once into a digest -> (plaintext, score) table for the
// command's duration (plaintexts wiped at the end): a small one packed at rest from its blob,
// left packed (it was unpacked). When every input is packed they are opened into one scratch
// instead and matched by their bytes (computePlain), with no digest, table or buffer per member. The result is sorted by score then member bytes, as Redis's
// skiplist orders it, and either replied or stored (zsets-ranges.ts storePlainZSet: packed at
// once when small).

import { Errors } from '../../protocol/errors.js';
import { Kind, type Entry } from '../../store/keyspace.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import { plainBuffer } from '../../util/bytes.js';
import { storePlainZSet } from './zsets-ranges.js';
import { openedMembers } from '../values/opened-members.js';
import {
  aggregate, digestOf, isWord, keyOf, keysAfterCount, openMember, parseLong, parseScore, zsetSpec, type Aggregate,
} from './zset-entries.js';
import { sealFailed } from '../values/sealing.js';
import { openSetMembers } from '../sets/set-entries.js';
import type { SetEntry } from '../../store/entry.js';
import { at } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

type Op = 'union' | 'inter' | 'diff';

interface Member {
  plain: Buffer;
  score: number;
}

/** One input key: its members by digest (latin1 of the 16 bytes), in the key's order. */
interface Input {
  key: string;
  /** A sorted set or a set, live or packed (Keyspace.readPacked), or missing. */
  entry: Entry | PackedForm | undefined;
  weight: number;
  members: Map<string, Member> | null;
}


/** Opens every member of an input (once), with the score it counts with. */
function load(ctx: Session, input: Input, opened: Buffer[]): Map<string, Member> {
  if (input.members !== null) return input.members;
  const members = new Map<string, Member>();
  const entry = input.entry;
  const add = (plain: Buffer, score: number): void => {
    opened.push(plain);
    members.set(digestOf(ctx, plain).toString('latin1'), { plain, score });
  };
  if (entry !== undefined && isPackedForm(entry)) {
    // A set's members each score 1; the bytes shown are the packer's scratch, copied at once.
    const sorted = entry.kind === Kind.ZSet;
    ctx.db.readPackedElements(input.key, entry, (bytes, start, length, score) => {
      const plain = plainBuffer(length);
      bytes.copy(plain, 0, start, start + length);
      add(plain, sorted ? score : 1);
    });
  } else if (entry?.kind === Kind.ZSet) {
    entry.zset.each(0, entry.zset.size, false, (sealed, score) => add(openMember(ctx, input.key, sealed), score));
  } else if (entry !== undefined) {
    // A set (the only other type let through): its members, each scoring 1.
    openSetMembers(ctx, input.key, entry as SetEntry, (plain) => add(plain, 1));
  }
  input.members = members;
  return members;
}

function sizeOf(entry: Entry | PackedForm | undefined): number {
  if (entry === undefined) return 0;
  if (isPackedForm(entry)) return entry.count;
  return entry.kind === Kind.ZSet ? entry.zset.size : (entry as SetEntry).size;
}

/** The members of the result, unsorted. */
function compute(ctx: Session, op: Op, inputs: Input[], how: Aggregate, opened: Buffer[], limit: number): Member[] | number {
  const out: Member[] = [];
  if (op === 'diff') {
    const first = inputs[0]!;
    if (sizeOf(first.entry) === 0) return out;
    const base = load(ctx, first, opened);
    const others = inputs.slice(1).filter((i) => sizeOf(i.entry) > 0).map((i) => load(ctx, i, opened));
    for (const [digest, m] of base) if (!others.some((o) => o.has(digest))) out.push(m);
    return out;
  }
  // Smallest first, as Redis sorts its inputs: intersections walk the smallest.
  const sorted = [...inputs].sort((a, b) => sizeOf(a.entry) - sizeOf(b.entry));
  if (op === 'inter') {
    if (sizeOf(sorted[0]!.entry) === 0) return limit < 0 ? out : 0;
    const tables = sorted.map((i) => load(ctx, i, opened));
    let count = 0;
    for (const [digest, m] of tables[0]!) {
      let score = sorted[0]!.weight * m.score;
      if (Number.isNaN(score)) score = 0;
      let j = 1;
      for (; j < tables.length; j++) {
        const other = tables[j]!.get(digest);
        if (other === undefined) break;
        score = aggregate(score, other.score * sorted[j]!.weight, how);
      }
      if (j < tables.length) continue;
      if (limit >= 0) {
        count++;
        if (limit > 0 && count >= limit) break;
      } else out.push({ plain: m.plain, score });
    }
    return limit >= 0 ? count : out;
  }
  const acc = new Map<string, Member>();
  for (const input of sorted) {
    if (sizeOf(input.entry) === 0) continue;
    for (const [digest, m] of load(ctx, input, opened)) {
      let score = input.weight * m.score;
      if (Number.isNaN(score)) score = 0;
      const seen = acc.get(digest);
      if (seen === undefined) acc.set(digest, { plain: m.plain, score });
      else seen.score = aggregate(seen.score, score, how);
    }
  }
  return [...acc.values()];
}

/** Whether the inputs are combined from their blobs: one at least is packed, and every present one is. */
function inPlain(inputs: Input[]): boolean {
  let packed = false;
  for (const { entry } of inputs) {
    if (entry === undefined) continue;
    if (!isPackedForm(entry)) return false;
    packed = true;
  }
  return packed;
}

/**
 * compute() over inputs that are all packed (or missing): each blob opened once into
 * openedMembers (wiped by the caller), members matched by their bytes (at most 64 a set) instead
 * of a table of digests, each result member a view of the scratch; the same walks, scores and
 * aggregation as compute().
 */
function computePlain(ctx: Session, op: Op, inputs: Input[], how: Aggregate, limit: number): Member[] | number {
  const om = openedMembers;
  const setOf: number[] = [];
  const ones: boolean[] = [];
  for (const input of inputs) {
    const entry = input.entry as PackedForm | undefined;
    if (entry !== undefined) om.openPacked(ctx, input.key, entry);
    setOf.push(entry === undefined ? -1 : om.sets - 1);
    // A set's members each score 1.
    ones.push(entry?.kind === Kind.Set);
  }
  const size = (i: number): number => (setOf[i]! < 0 ? 0 : om.size(setOf[i]!));
  const scoreOf = (i: number, m: number): number => (ones[i] ? 1 : om.scores[m]!);
  const out: Member[] = [];
  if (op === 'diff') {
    if (size(0) === 0) return out;
    for (let m = om.first(setOf[0]!); m < om.end(setOf[0]!); m++) {
      let kept = true;
      for (let i = 1; kept && i < inputs.length; i++) if (size(i) > 0) kept = !om.holds(setOf[i]!, m);
      if (kept) out.push({ plain: om.view(m), score: scoreOf(0, m) });
    }
    return out;
  }
  // Smallest first, as Redis sorts its inputs (a stable sort: equal sizes keep their order).
  const order = inputs.map((_, i) => i).sort((a, b) => size(a) - size(b));
  if (op === 'inter') {
    const first = order[0]!;
    if (size(first) === 0) return limit < 0 ? out : 0;
    let count = 0;
    for (let m = om.first(setOf[first]!); m < om.end(setOf[first]!); m++) {
      let score = inputs[first]!.weight * scoreOf(first, m);
      if (Number.isNaN(score)) score = 0;
      let j = 1;
      for (; j < order.length; j++) {
        const other = order[j]!;
        const k = om.indexIn(setOf[other]!, m);
        if (k < 0) break;
        score = aggregate(score, scoreOf(other, k) * inputs[other]!.weight, how);
      }
      if (j < order.length) continue;
      if (limit >= 0) {
        count++;
        if (limit > 0 && count >= limit) break;
      } else out.push({ plain: om.view(m), score });
    }
    return limit >= 0 ? count : out;
  }
  const firsts: number[] = [];
  for (const i of order) {
    if (size(i) === 0) continue;
    for (let m = om.first(setOf[i]!); m < om.end(setOf[i]!); m++) {
      let score = inputs[i]!.weight * scoreOf(i, m);
      if (Number.isNaN(score)) score = 0;
      let seen = -1;
      for (let k = 0; seen < 0 && k < firsts.length; k++) if (om.same(firsts[k]!, m)) seen = k;
      if (seen < 0) {
        firsts.push(m);
        out.push({ plain: om.view(m), score });
      } else out[seen]!.score = aggregate(out[seen]!.score, score, how);
    }
  }
  return out;
}

/** The shared command: `dst` for the *STORE forms, `cardOnly` for ZINTERCARD. */
function algebra(ctx: Session, args: Buffer[], op: Op, numkeysAt: number, cmd: string, dst: string | null, cardOnly: boolean): void {
  const setnum = parseLong(args[numkeysAt]!);
  if (setnum === null) return ctx.reply.error(Errors.notInteger);
  if (setnum < 1) return ctx.reply.error(Errors.zsetNeedsKey(cmd));
  if (setnum > args.length - (numkeysAt + 1)) return ctx.reply.error(Errors.syntax);
  const inputs: Input[] = [];
  let j = numkeysAt + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const key = keyOf(ctx, args[j]!);
    // Counted and touched as any read; a small collection at rest stays packed.
    const entry = ctx.db.readPacked(key, ctx.now);
    if (entry !== undefined && entry.kind !== Kind.ZSet && entry.kind !== Kind.Set) return ctx.reply.error(Errors.wrongType);
    inputs.push({ key, entry, weight: 1, members: null });
  }
  let how: Aggregate = 'sum';
  let withScores = false;
  let limit = cardOnly ? 0 : -1;
  while (j < args.length) {
    const remaining = args.length - j;
    const a = args[j]!;
    if (op !== 'diff' && !cardOnly && remaining >= setnum + 1 && isWord(a, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseScore(args[j]!);
        if (w === null) return ctx.reply.error(Errors.zsetWeightNotFloat);
        inputs[i]!.weight = w;
      }
    } else if (op !== 'diff' && !cardOnly && remaining >= 2 && isWord(a, 'aggregate')) {
      const v = args[j + 1]!;
      if (isWord(v, 'sum')) how = 'sum';
      else if (isWord(v, 'min')) how = 'min';
      else if (isWord(v, 'max')) how = 'max';
      else return ctx.reply.error(Errors.syntax);
      j += 2;
    } else if (dst === null && !cardOnly && isWord(a, 'withscores')) {
      withScores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && isWord(a, 'limit')) {
      const n = parseLong(args[j + 1]!);
      if (n === null || n < 0) return ctx.reply.error(Errors.zsetLimitNegative);
      limit = n;
      j += 2;
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const opened: Buffer[] = [];
  try {
    const result = inPlain(inputs) ? computePlain(ctx, op, inputs, how, limit) : compute(ctx, op, inputs, how, opened, limit);
    if (typeof result === 'number') return ctx.reply.integer(result);
    result.sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : Buffer.compare(a.plain, b.plain)));
    if (dst !== null) {
      const members = result.map((m) => m.plain);
      const scores = result.map((m) => m.score);
      storePlainZSet(ctx, dst, members, scores, op === 'union' ? 'zunionstore' : op === 'inter' ? 'zinterstore' : 'zdiffstore');
      return;
    }
    const pairs = withScores && ctx.reply.protocol === 3;
    ctx.reply.arrayLen(withScores && !pairs ? result.length * 2 : result.length);
    for (const m of result) {
      if (pairs) ctx.reply.arrayLen(2);
      ctx.reply.bulk(m.plain);
      if (withScores) ctx.reply.double(m.score);
    }
  } catch (err) {
    sealFailed(ctx, err);
  } finally {
    for (const p of opened) p.fill(0);
    openedMembers.wipe();
  }
}

const zunion = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'union', 1, 'zunion', null, false);
const zinter = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'inter', 1, 'zinter', null, false);
const zdiff = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'diff', 1, 'zdiff', null, false);
const zintercard = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'inter', 1, 'zintercard', null, true);
const zunionstore = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'union', 2, 'zunionstore', keyOf(ctx, args[1]!), false);
const zinterstore = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'inter', 2, 'zinterstore', keyOf(ctx, args[1]!), false);
const zdiffstore = (ctx: Session, args: Buffer[]): void => algebra(ctx, args, 'diff', 2, 'zdiffstore', keyOf(ctx, args[1]!), false);

// ---- table ----

const READS = [keysAfterCount(1, 'RO', 'ACCESS')];
const STORES = [at(1, 'OW', 'UPDATE'), keysAfterCount(2, 'RO', 'ACCESS')];
const UNION = { complexity: 'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.' };
const INTER = { complexity: 'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.' };
const DIFF = { complexity: 'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.' };

export const zsetAlgebraCommands: CommandSpec[] = [
  zsetSpec('zunion', -3, 'read', false, READS, 'Add multiple sorted sets', '6.2.0', zunion, UNION),
  zsetSpec('zinter', -3, 'read', false, READS, 'Intersect multiple sorted sets', '6.2.0', zinter, INTER),
  zsetSpec('zdiff', -3, 'read', false, READS, 'Subtract multiple sorted sets', '6.2.0', zdiff, DIFF),
  zsetSpec('zintercard', -3, 'read', false, READS, 'Intersect multiple sorted sets and return the cardinality of the result', '7.0.0', zintercard, { complexity: 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.' }),
  zsetSpec('zunionstore', -4, 'write-grow', false, STORES, 'Add multiple sorted sets and store the resulting sorted set in a new key', '2.0.0', zunionstore, { complexity: 'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.' }),
  zsetSpec('zinterstore', -4, 'write-grow', false, STORES, 'Intersect multiple sorted sets and store the resulting sorted set in a new key', '2.0.0', zinterstore, INTER),
  zsetSpec('zdiffstore', -4, 'write-grow', false, STORES, 'Subtract multiple sorted sets and store the resulting sorted set in a new key', '6.2.0', zdiffstore, DIFF),
];
