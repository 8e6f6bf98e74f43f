// SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms (redis t_set.c sinterGenericCommand,
// sunionDiffGenericCommand). Members of different keys compare by digest alone (one digest key
// for every set), so the algebra never opens a member; only the result is opened (each node
// once while its members come in a row), to reply or to seal it again for the destination key.

import { int64, keyOf, word } from './args.js';
import { copyMembers, readSet, replyMembers, setSpec, type MemberRef, type Ordering } from './set-entries.js';
import { Errors } from '../protocol/errors.js';
import { SetEntry } from '../store/entry.js';
import { difference, intersect, intersectCardinality, union, type SealedSet } from '../store/types/set.js';
import { at, index, keynum, keySpec, span } from './key-specs.js';
import type { CommandSpec, Session } from './types.js';

/** The sets named by args[from..to), in order; a missing key is null. Null after replying WRONGTYPE. */
interface Operands {
  sets: (SetEntry | null)[];
  keyOf: Map<SealedSet, string>;
}

/** Every key is looked up (a hit or miss each) and any of another type is WRONGTYPE, missing ones or not. */
function operands(ctx: Session, args: Buffer[], from: number, to: number): Operands | null {
  const sets: (SetEntry | null)[] = [];
  const keys = new Map<SealedSet, string>();
  for (let i = from; i < to; i++) {
    const key = keyOf(ctx, args[i]!);
    const set = readSet(ctx, key);
    if (set === null) return null;
    sets.push(set ?? null);
    if (set !== undefined && !keys.has(set)) keys.set(set, key);
  }
  return { sets, keyOf: keys };
}

type Op = 'inter' | 'union' | 'diff';

/** The result's members, each with the key it is sealed for. */
function compute(op: Op, { sets, keyOf: keys }: Operands): MemberRef[] {
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

function read(op: Op, ctx: Session, args: Buffer[]): void {
  const found = operands(ctx, args, 1, args.length);
  if (found === null) return;
  replyMembers(ctx, compute(op, found), 'set', orderingOf(op, found.sets));
}

/**
 * The result, sealed again for the destination, replaces whatever the destination held (its TTL
 * too); an empty result deletes it.
 */
function store(op: Op, ctx: Session, args: Buffer[]): void {
  const destination = keyOf(ctx, args[1]!);
  const found = operands(ctx, args, 2, args.length);
  if (found === null) return;
  const result = new SetEntry(ctx.now);
  if (!copyMembers(ctx, compute(op, found), destination, result)) {
    result.clear();
    return;
  }
  if (result.size === 0) {
    ctx.db.delete(destination, 'del');
    return ctx.reply.integer(0);
  }
  ctx.db.set(destination, result, op === 'inter' ? 'sinterstore' : op === 'union' ? 'sunionstore' : 'sdiffstore');
  ctx.reply.integer(result.size);
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
  ctx.reply.integer(intersectCardinality(found.sets as SetEntry[], limit));
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
