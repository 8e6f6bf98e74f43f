// Set commands (redis t_set.c): adding, removing, membership and moving. Members are sealed in
// nodes of several for their set's key and found through a keyed digest of their bytes (the
// index), so the server holds no plaintext member and looks members up without opening any. SPOP,
// SRANDMEMBER and SSCAN are in sets-random.ts, the algebra (SINTER...) in sets-algebra.ts.

import { keyOf, sameKeyAt } from '../args.js';
import {
  addPlains, addRawMembers, at, memberDigestAt, setCodec, memberDigest, openMember, replyMembers, setSpec, writeSet,
  type MemberRef,
} from './set-entries.js';
import { setAlgebraCommands } from './sets-algebra.js';
import { setRandomCommands } from './sets-random.js';
import { Errors } from '../../protocol/errors.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { Kind, type Entry, type SetEntry } from '../../store/entry.js';
import { PACK_MAX_ELEMENTS } from '../../store/types/packed.js';
import type { CommandSpec, Session } from '../types.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { membersInOrder, packedIndexOf, packedMembership, readPackedOf, replyPackedMembers, unpackedOf } from '../values/packed-reads.js';
import { isPackedForm } from '../../store/packed-record.js';
import { editableInBlob, packedAtRest } from '../values/at-rest.js';
import { addInBlob, addMember, addToNew, DECLINED, setAtRest, smoveAtRest, sremAtRest } from './set-rest.js';

/**
 * SADD's change to its set, without closures per call: what it needs is set just before
 * writeSet() calls it (nothing runs in between, and it does not re-enter).
 */
const NO_ARGS: Buffer[] = [];
let addCtx: Session | null = null;
let addKey = '';
let addArgs: ArgList = NO_ARGS;
let addCount = 0;
let addFailure: unknown;
let addedTo: SetEntry | null = null;

function addMemberAt(i: number): Uint8Array {
  return addArgs.at(i + 2)!;
}

function addMembers(set: SetEntry): boolean {
  addedTo = set;
  const before = set.size;
  try {
    if (addArgs instanceof RawArgs) addRawMembers(addCtx!, addKey, set, addArgs, 2);
    else addPlains(addCtx!, addKey, set, addArgs.length - 2, addMemberAt);
  } catch (err) {
    // The tail node failed to open: what was added before it stays added.
    addFailure = err;
  }
  addCount = set.size - before;
  return addCount > 0;
}

/**
 * The database and key the last SADD found holding a set, the set, and the database's edits then
 * (Keyspace.edits): while they stay the same the key still holds that very set object, so SADD
 * skips both saddNew()'s lookup of the key and mutate()'s own (two keyspace lookups per SADD
 * into the same set); a set with a TTL is looked up as usual, so expiry stays mutate()'s.
 */
let foundDb: object | null = null;
let foundKey = '';
let foundEdits = -1;
let foundSet: SetEntry | null = null;

/** SADD, SREM: their arguments may be RawArgs (raw-args.ts), read through at() alone. */
function sadd(ctx: Session, args: ArgList): void {
  const key = sameKeyAt(ctx, args, 1);
  const db = ctx.db;
  const known = key === foundKey && db === foundDb && db.edits === foundEdits;
  if (!known && args.length - 2 <= PACK_MAX_ELEMENTS) {
    const stored = db.getStored(key, ctx.now);
    if (stored === undefined ? saddNew(ctx, key, args) : saddPacked(ctx, key, stored, args)) return;
  }
  const held = known && foundSet !== null && foundSet.expiresAt === 0 ? foundSet : undefined;
  addCtx = ctx;
  addKey = key;
  addArgs = args;
  addCount = 0;
  addFailure = undefined;
  addedTo = null;
  let ok: boolean;
  try {
    ok = held !== undefined ? db.mutate(key, Kind.Set, 'sadd', ctx.now, addMembers, held) : writeSet(ctx, key, 'sadd', addMembers);
  } finally {
    addCtx = null;
    addArgs = NO_ARGS;
  }
  const failure = addFailure;
  addFailure = undefined;
  if (!ok) return;
  if (failure !== undefined) return void sealFailed(ctx, failure);
  foundDb = db;
  foundKey = key;
  foundEdits = db.edits;
  foundSet = addedTo;
  ctx.reply.integer(addCount);
}

/** SADD creating a small set (key missing), packed at once (set-rest.ts addToNew). False, having done nothing, when the members are past packing's limits. */
function saddNew(ctx: Session, key: string, args: ArgList): boolean {
  const added = addToNew(ctx, key, args, 2);
  if (added === DECLINED) return false;
  ctx.reply.integer(added);
  return true;
}

/** At most this many SADD members are looked for in a larger packed set (one bit each). */
const PACKED_ADD_MAX = 30;

/**
 * SADD into a small set packed at rest (at-rest.ts), leaving it packed: one open of its blob
 * (set-rest.ts addInBlob). Members it holds already: 0, and nothing changes, as in Redis. New
 * members, into a blob small enough (editableInBlob): appended and sealed into its record.
 * False, having done nothing, when `stored` is not such a set, or the write is too large for
 * this: the usual path follows.
 */
function saddPacked(ctx: Session, key: string, stored: Entry, args: ArgList): boolean {
  if (stored.kind !== Kind.Set || args.length - 2 > PACKED_ADD_MAX || !isPackedForm(stored)) return false;
  const grow = editableInBlob(stored);
  if (!packedAtRest(ctx, stored)) return false;
  const added = addInBlob(ctx, key, stored, args, 2, grow);
  if (added >= 0) ctx.reply.integer(added);
  return added !== DECLINED;
}

/** The last member takes the key with it (Keyspace.mutate), as Redis stops there. A small set at rest loses them in its blob (set-rest.ts). */
function srem(ctx: Session, args: ArgList): void {
  const key = sameKeyAt(ctx, args, 1);
  const stored = ctx.db.getStored(key, ctx.now);
  const atRest = setAtRest(ctx, stored);
  if (atRest !== undefined) return sremAtRest(ctx, key, atRest, args);
  let removed = 0;
  let failure: unknown;
  const ok = writeSet(ctx, key, 'srem', (set) => {
    const codec = setCodec(ctx, key);
    try {
      for (let i = 2; i < args.length && set.size > 0; i++) if (set.remove(memberDigestAt(ctx, args, i), codec)) removed++;
    } catch (err) {
      // A node that fails to open keeps its members; what was removed before stays removed.
      failure = err;
    }
    return removed > 0;
  });
  if (!ok) return;
  if (failure !== undefined) sealFailed(ctx, failure);
  else ctx.reply.integer(removed);
}

/** SISMEMBER, SMISMEMBER: their arguments may be RawArgs too (members digested where they lie). */
function sismember(ctx: Session, args: ArgList): void {
  const key = sameKeyAt(ctx, args, 1);
  const set = readPackedOf(ctx, key, Kind.Set);
  if (set === null) return;
  // A small set packed at rest: one open and a scan of its members, and it stays packed.
  if (set !== undefined && isPackedForm(set)) {
    const found = packedIndexOf(ctx, key, set, args.at(2)!);
    if (found !== null) ctx.reply.integer(found >= 0 ? 1 : 0);
    return;
  }
  ctx.reply.integer(set !== undefined && set.has(memberDigestAt(ctx, args, 2)) ? 1 : 0);
}

function smismember(ctx: Session, args: ArgList): void {
  const key = sameKeyAt(ctx, args, 1);
  const set = readPackedOf(ctx, key, Kind.Set);
  if (set === null) return;
  // A small set packed at rest: one open, and it stays packed.
  if (set !== undefined && isPackedForm(set)) {
    const members: Uint8Array[] = [];
    for (let i = 2; i < args.length; i++) members.push(args.at(i)!);
    const found = packedMembership(ctx, key, set, members);
    if (found === null) return;
    ctx.reply.arrayLen(found.length);
    for (const one of found) ctx.reply.integer(one);
    return;
  }
  ctx.reply.arrayLen(args.length - 2);
  for (let i = 2; i < args.length; i++) ctx.reply.integer(set !== undefined && set.has(memberDigestAt(ctx, args, i)) ? 1 : 0);
}

function scard(ctx: Session, args: Buffer[]): void {
  const set = readPackedOf(ctx, keyOf(ctx, args[1]!), Kind.Set);
  if (set !== null) ctx.reply.integer(set === undefined ? 0 : isPackedForm(set) ? set.count : set.size);
}

/** SMEMBERS is Redis's SINTER of one key: a set reply, integer order for an intset. */
function smembers(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const packed = readPackedOf(ctx, key, Kind.Set);
  if (packed === null) return;
  if (packed === undefined) return ctx.reply.setLen(0);
  // A small set packed at rest answers from its blob in its order (an intset's: ascending) and stays packed.
  if (isPackedForm(packed) && membersInOrder(packed)) return replyPackedMembers(ctx, key, packed);
  const set = isPackedForm(packed) ? unpackedOf(ctx, key, Kind.Set) : packed;
  if (set.intset) {
    const refs: MemberRef[] = [];
    set.forEach((id) => {
      refs.push({ set, key, id });
    });
    return void replyMembers(ctx, refs, 'set', 'intset');
  }
  // Each node opened once, its members copied into the reply as they come.
  const mark = ctx.reply.size;
  ctx.reply.setLen(set.size);
  try {
    set.forEachPlain(setCodec(ctx, key), (plain, start, length) => {
      const at = ctx.reply.beginBulk(length);
      plain.copy(ctx.reply.staging, at, start, start + length);
      ctx.reply.endBulk(length);
    });
  } catch (err) {
    sealFailedSince(ctx, mark, err);
  }
}

/**
 * Redis's order of checks: a missing source answers 0 before any type is looked at; then the
 * source's type, the destination's; the same key answers membership. A small source at rest
 * loses the member in its blob (set-rest.ts smoveAtRest), and a destination at rest gains it in
 * its own (addMember). Otherwise the member is opened and sealed again for the destination's key.
 */
function smove(ctx: Session, args: Buffer[]): void {
  const from = keyOf(ctx, args[1]!);
  const to = keyOf(ctx, args[2]!);
  const stored = ctx.db.getStored(from, ctx.now);
  const target = ctx.db.getStored(to, ctx.now);
  if (stored === undefined) return ctx.reply.integer(0);
  if (stored.kind !== Kind.Set || (target !== undefined && target.kind !== Kind.Set)) return ctx.reply.error(Errors.wrongType);
  if (from === to && isPackedForm(stored)) {
    const found = packedIndexOf(ctx, from, stored, args[3]!);
    if (found !== null) ctx.reply.integer(found >= 0 ? 1 : 0);
    return;
  }
  const atRest = setAtRest(ctx, stored);
  if (atRest !== undefined) return smoveAtRest(ctx, from, atRest, to, args[3]!);
  const source = ctx.db.get(from, ctx.now) as SetEntry;
  const id = source.find(memberDigest(ctx, args[3]!));
  if (from === to || id === 0) return ctx.reply.integer(id === 0 ? 0 : 1);
  const plain = openMember(ctx, { set: source, key: from, id });
  if (plain === null) return;
  try {
    ctx.db.mutate(from, Kind.Set, 'srem', ctx.now, (set) => {
      set.removeId(id, setCodec(ctx, from));
      return true;
    });
    // A destination that fails to open: the member has left the source only.
    if (!addMember(ctx, to, plain)) return;
  } finally {
    plain.fill(0);
  }
  ctx.reply.integer(1);
}

const O1 = { complexity: 'O(1)' };

export const setCommands: CommandSpec[] = [
  setSpec('sadd', -3, 'write-grow', true, at(1, 'RW', 'INSERT'), 'Add one or more members to a set', '1.0.0', takesRawArgs(sadd), { complexity: 'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.' }),
  setSpec('srem', -3, 'write', true, at(1, 'RW', 'DELETE'), 'Remove one or more members from a set', '1.0.0', takesRawArgs(srem), { complexity: 'O(N) where N is the number of members to be removed.' }),
  setSpec('sismember', 3, 'read', true, at(1, 'RO'), 'Determine if a given value is a member of a set', '1.0.0', takesRawArgs(sismember), O1),
  setSpec('smismember', -3, 'read', true, at(1, 'RO', 'ACCESS'), 'Returns the membership associated with the given elements for a set', '6.2.0', takesRawArgs(smismember), { complexity: 'O(N) where N is the number of elements being checked for membership' }),
  setSpec('scard', 2, 'read', true, at(1, 'RO'), 'Get the number of members in a set', '1.0.0', scard, O1),
  setSpec('smembers', 2, 'read', false, at(1, 'RO', 'ACCESS'), 'Get all the members in a set', '1.0.0', smembers, { tips: ['nondeterministic_output_order'], complexity: 'O(N) where N is the set cardinality.' }),
  setSpec('smove', 4, 'write', true, [at(1, 'RW', 'ACCESS', 'DELETE'), at(2, 'RW', 'INSERT')], 'Move a member from one set to another', '1.0.0', smove, O1),
  ...setRandomCommands,
  ...setAlgebraCommands,
];
