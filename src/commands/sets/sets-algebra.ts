// SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms (redis t_set.c sinterGenericCommand,
// sunionDiffGenericCommand). Sets packed at rest stay packed: when one of the sets is, and every
// one is small, their members are opened once into a plaintext scratch (opened-members.ts) and
// compared by their bytes, and a STORE result small enough is packed straight away, as a new
// small set is at the end of its turn anyway. Otherwise members of different keys compare by
// digest alone (one digest key for every set), so the algebra never opens a member; only the
// result is opened (each node once while its members come in a row), to reply or to seal it
// again for the destination key.

import { int64, keyOf, word } from '../args.js';
import { addPlains, copyMembers, replyMembers, replyPlain, setSpec, type MemberRef, type Ordering } from './set-entries.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, SetEntry } from '../../store/entry.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import { PACK_MAX_ELEMENTS } from '../../store/types/packed.js';
import { INTSET_MAX_ENTRIES } from '../../store/types/set-ops.js';
import { difference, intersect, intersectCardinality, union, type SealedSet } from '../../store/types/set.js';
import { readPackedOf, unpackedOf } from '../values/packed-reads.js';
import { sealFailedSince } from '../values/sealing.js';
import { openedMembers } from '../values/opened-members.js';
import { at, index, keynum, keySpec, span } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

/** The sets named by args[from..to), in order, as found: a missing key is null. */
interface Operands {
  keys: string[];
  sets: (SetEntry | PackedForm | null)[];
}

/** Every key is looked up (a hit or miss each) and any of another type is WRONGTYPE, missing ones or not. Null after replying it. */
function operands(ctx: Session, args: Buffer[], from: number, to: number): Operands | null {
  const keys: string[] = [];
  const sets: (SetEntry | PackedForm | null)[] = [];
  for (let i = from; i < to; i++) {
    const key = keyOf(ctx, args[i]!);
    const set = readPackedOf(ctx, key, Kind.Set);
    if (set === null) return null;
    keys.push(key);
    sets.push(set ?? null);
  }
  return { keys, sets };
}

/** Whether the sets are combined as plaintext: one at least is packed, and none is larger than a packed one may be. */
function inPlain({ sets }: Operands): boolean {
  let packed = false;
  for (const set of sets) {
    if (set === null) continue;
    if (isPackedForm(set)) packed = true;
    else if (set.size > PACK_MAX_ELEMENTS) return false;
  }
  return packed;
}

/** The sets as live entries, for the digest path: a packed one unpacked (counted as read already). */
interface LiveOperands {
  sets: (SetEntry | null)[];
  keyOf: Map<SealedSet, string>;
}

function live(ctx: Session, { keys, sets }: Operands): LiveOperands {
  const out: (SetEntry | null)[] = [];
  const keyOf = new Map<SealedSet, string>();
  for (let i = 0; i < sets.length; i++) {
    const found = sets[i]!;
    const set = found !== null && isPackedForm(found) ? unpackedOf(ctx, keys[i]!, Kind.Set) : found;
    out.push(set);
    if (set !== null && !keyOf.has(set)) keyOf.set(set, keys[i]!);
  }
  return { sets: out, keyOf };
}

type Op = 'inter' | 'union' | 'diff';

/** The result's members, each with the key it is sealed for. */
function compute(op: Op, { sets, keyOf: keys }: LiveOperands): MemberRef[] {
  const out: MemberRef[] = [];
  const keep = (set: SealedSet, id: number) => void out.push({ set, key: keys.get(set)!, id });
  if (op === 'inter') {
    if (sets.includes(null)) return out;
    intersect(sets as SetEntry[], keep);
  } else if (op === 'union') {
    union(sets.filter((s): s is SetEntry => s !== null), keep);
  } else if (sets[0] !== null) {
    const first = sets[0]!;
    difference([first, ...sets.slice(1).filter((s): s is SetEntry => s !== null)], keep);
  }
  return out;
}

/**
 * The order Redis sends a result in: SINTER walks its smallest set (integer order if that is an
 * intset); SUNION and SDIFF build the result as an intset while it can be one.
 */
function orderingOf(op: Op, sets: (SetEntry | null)[]): Ordering {
  if (op !== 'inter') return 'intset-if-integers';
  const present = sets.filter((s): s is SetEntry => s !== null);
  if (present.length === 0) return 'stored';
  const smallest = [...present].sort((a, b) => a.size - b.size)[0]!;
  return smallest.intset ? 'intset' : 'stored';
}

/** The members of a result combined in plaintext: indexes into openedMembers, emptied after each command. */
const result: number[] = [];

/**
 * Opens the sets into openedMembers and leaves op's result in `result`, in the order the digest path
 * finds it (SINTER: the smallest set's order, the first of equal sizes; SUNION: each member from
 * the first set holding it; SDIFF: the first set's order), at most `limit` members (0: all);
 * then orders it as Redis sends it (orderingOf). Throws SealError.
 */
function computePlain(ctx: Session, op: Op, { keys, sets }: Operands, limit = 0): void {
  if (op === 'inter' ? sets.includes(null) : op === 'diff' && sets[0] === null) return;
  const plains = openedMembers;
  const intsets: boolean[] = [];
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i]!;
    if (set === null) continue;
    if (isPackedForm(set)) plains.openPacked(ctx, keys[i]!, set);
    else plains.openLive(ctx, keys[i]!, set);
    intsets.push(isPackedForm(set) ? set.flag : set.intset);
  }
  let intsetOrder = false;
  if (op === 'union') {
    plains.distinct(result);
  } else if (op === 'diff') {
    for (let m = plains.first(0); m < plains.end(0); m++) {
      let kept = true;
      for (let s = 1; kept && s < plains.sets; s++) kept = !plains.holds(s, m);
      if (kept) result.push(m);
    }
  } else {
    let smallest = 0;
    for (let s = 1; s < plains.sets; s++) if (plains.size(s) < plains.size(smallest)) smallest = s;
    intsetOrder = intsets[smallest]!;
    for (let m = plains.first(smallest); m < plains.end(smallest); m++) {
      let kept = true;
      for (let s = 0; kept && s < plains.sets; s++) kept = s === smallest || plains.holds(s, m);
      if (kept && result.push(m) === limit) break;
    }
  }
  if (result.length < 2 || result.length > INTSET_MAX_ENTRIES) return;
  if (!intsetOrder && op !== 'inter') intsetOrder = result.every((m) => plains.isInteger(m));
  if (intsetOrder) result.sort((a, b) => plains.compareIntegers(a, b));
}

/** Runs computePlain, then `use` with the result; false after replying the seal error. Wipes what was opened. */
function withPlainResult(ctx: Session, op: Op, found: Operands, use: () => void, limit = 0): boolean {
  const mark = ctx.reply.size;
  try {
    computePlain(ctx, op, found, limit);
    use();
    return true;
  } catch (err) {
    return sealFailedSince(ctx, mark, err);
  } finally {
    result.length = 0;
    openedMembers.wipe();
  }
}

function read(op: Op, ctx: Session, args: Buffer[]): void {
  const found = operands(ctx, args, 1, args.length);
  if (found === null) return;
  if (inPlain(found)) {
    withPlainResult(ctx, op, found, () => {
      ctx.reply.setLen(result.length);
      for (const m of result) replyPlain(ctx, openedMembers.bytes, openedMembers.starts[m]!, openedMembers.lengths[m]!);
    });
    return;
  }
  const sets = live(ctx, found);
  replyMembers(ctx, compute(op, sets), 'set', orderingOf(op, sets.sets));
}

/**
 * The result, sealed again for the destination, replaces whatever the destination held (its TTL
 * too); an empty result deletes it.
 */
function store(op: Op, ctx: Session, args: Buffer[]): void {
  const destination = keyOf(ctx, args[1]!);
  const found = operands(ctx, args, 2, args.length);
  if (found === null) return;
  const event = op === 'inter' ? 'sinterstore' : op === 'union' ? 'sunionstore' : 'sdiffstore';
  if (inPlain(found)) {
    withPlainResult(ctx, op, found, () => storePlain(ctx, destination, event));
    return;
  }
  const stored = new SetEntry(ctx.now);
  if (!copyMembers(ctx, compute(op, live(ctx, found)), destination, stored)) {
    stored.clear();
    return;
  }
  if (stored.size === 0) {
    ctx.db.delete(destination, 'del');
    return ctx.reply.integer(0);
  }
  ctx.db.set(destination, stored, event);
  ctx.reply.integer(stored.size);
}

/** Views of the result's members in openedMembers, for the packer or the set they are sealed into. */
const resultViews: Buffer[] = [];

/**
 * Stores the result combined in plaintext at `destination`: packed at once when it fits a packed
 * set (as a new small set would be at the end of the turn), else a set sealed member by member.
 */
function storePlain(ctx: Session, destination: string, event: 'sinterstore' | 'sunionstore' | 'sdiffstore'): void {
  if (result.length === 0) {
    ctx.db.delete(destination, 'del');
    return ctx.reply.integer(0);
  }
  try {
    let intset = result.length <= INTSET_MAX_ENTRIES;
    for (const m of result) {
      resultViews.push(openedMembers.view(m));
      if (intset && !openedMembers.isInteger(m)) intset = false;
    }
    const packed = ctx.db.packer?.packNew(ctx.db.uid, destination, Kind.Set, resultViews, null, intset, ctx.now) ?? null;
    if (packed !== null) {
      ctx.db.setPacked(destination, packed, event);
    } else {
      const set = new SetEntry(ctx.now);
      addPlains(ctx, destination, set, resultViews.length, (i) => resultViews[i]!);
      ctx.db.set(destination, set, event);
    }
  } finally {
    resultViews.length = 0;
  }
  ctx.reply.integer(result.length);
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit]: numkeys, then the options, then the keys. */
function sintercard(ctx: Session, args: Buffer[]): void {
  const numkeys = int64(args[1]!);
  if (numkeys === null || numkeys < 1n) return ctx.reply.error(Errors.numkeysNotPositive);
  if (numkeys > BigInt(args.length - 2)) return ctx.reply.error(Errors.numkeysOverArgs);
  const last = 2 + Number(numkeys);
  let limit = 0;
  for (let i = last; i < args.length; i++) {
    if (word(args[i]!) === 'limit' && i + 1 < args.length) {
      const n = int64(args[++i]!);
      if (n === null || n < 0n) return ctx.reply.error(Errors.limitNegative);
      limit = n > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(n);
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const found = operands(ctx, args, 2, last);
  if (found === null) return;
  if (found.sets.includes(null)) return ctx.reply.integer(0);
  if (inPlain(found)) {
    withPlainResult(ctx, 'inter', found, () => ctx.reply.integer(result.length), limit);
    return;
  }
  ctx.reply.integer(intersectCardinality(live(ctx, found).sets as SetEntry[], limit));
}

const WHOLE = { tips: ['nondeterministic_output_order'] };
const INTER = 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.';
const ALL = 'O(N) where N is the total number of elements in all given sets.';
const SOURCES = span(1, -1, 1, 'RO', 'ACCESS');
const STORE_SOURCES = span(2, -1, 1, 'RO', 'ACCESS');

export const setAlgebraCommands: CommandSpec[] = [
  setSpec('sinter', -2, 'read', false, SOURCES, 'Intersect multiple sets', '1.0.0', (ctx, args) => read('inter', ctx, args), { ...WHOLE, complexity: INTER }),
  setSpec('sintercard', -3, 'read', false, keySpec(index(1), keynum(0, 1, 1), ['RO', 'ACCESS']), 'Intersect multiple sets and return the cardinality of the result', '7.0.0', sintercard, { complexity: INTER }),
  setSpec('sinterstore', -3, 'write-grow', false, [at(1, 'RW', 'UPDATE'), STORE_SOURCES], 'Intersect multiple sets and store the resulting set in a key', '1.0.0', (ctx, args) => store('inter', ctx, args), { complexity: INTER }),
  setSpec('sunion', -2, 'read', false, SOURCES, 'Add multiple sets', '1.0.0', (ctx, args) => read('union', ctx, args), { ...WHOLE, complexity: ALL }),
  setSpec('sunionstore', -3, 'write-grow', false, [at(1, 'OW', 'UPDATE'), STORE_SOURCES], 'Add multiple sets and store the resulting set in a key', '1.0.0', (ctx, args) => store('union', ctx, args), { complexity: ALL }),
  setSpec('sdiff', -2, 'read', false, SOURCES, 'Subtract multiple sets', '1.0.0', (ctx, args) => read('diff', ctx, args), { ...WHOLE, complexity: ALL }),
  setSpec('sdiffstore', -3, 'write-grow', false, [at(1, 'OW', 'UPDATE'), STORE_SOURCES], 'Subtract multiple sets and store the resulting set in a key', '1.0.0', (ctx, args) => store('diff', ctx, args), { complexity: ALL }),
];
