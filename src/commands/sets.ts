// Set commands (redis t_set.c): adding, removing, membership and moving. Members are sealed in
// nodes of several for their set's key and found through a keyed digest of their bytes (the
// index), so the server holds no plaintext member and looks members up without opening any. SPOP,
// SRANDMEMBER and SSCAN are in sets-random.ts, the algebra (SINTER...) in sets-algebra.ts.

import { keyOf, sameKeyAt } from './args.js';
import {
  addPlain, addPlains, addRawMembers, at, memberDigestAt, isIntegerMember, setCodec, isSetOrMissing, memberDigest, openMember, readSet, replyMembers, setSpec, writeSet,
  type MemberRef,
} from './set-entries.js';
import { setAlgebraCommands } from './sets-algebra.js';
import { setRandomCommands } from './sets-random.js';
import { Errors } from '../protocol/errors.js';
import { sealFailed, sealFailedSince } from './sealing.js';
import { Kind, type Entry, type SetEntry } from '../store/entry.js';
import { PACK_MAX_ELEMENTS, type SetAddition } from '../store/types/packed.js';
import type { CommandSpec, Session } from './types.js';
import { takesRawArgs, type ArgList } from '../protocol/arg-list.js';
import { RawArgs } from '../protocol/raw-args.js';
import { membersInOrder, packedIndexOf, readPackedOf, replyPackedMembers, unpackedOf } from './packed-reads.js';
import { isPackedForm } from '../store/packed-record.js';
import { editableInBlob, packedAtRest } from './at-rest.js';

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

/**
 * SADD creating a small set (key missing): packed at once (store/types/packed.ts), as it would be
 * when the turn ends, without sealing and digesting each member first. False, having done
 * nothing, when the members are past packing's limits.
 */
function saddNew(ctx: Session, key: string, args: ArgList): boolean {
  const packer = ctx.db.packer;
  if (packer === null) return false;
  const members: Buffer[] = [];
  let intset = true;
  next: for (let i = 2; i < args.length; i++) {
    const member = args.at(i)!;
    for (const seen of members) if (seen.equals(member)) continue next;
    members.push(member);
    // As addPlain keeps it (at most PACK_MAX_ELEMENTS members: never past set-max-intset-entries).
    if (intset && !isIntegerMember(member)) intset = false;
  }
  const packed = packer.packNew(ctx.db.uid, key, Kind.Set, members, null, intset, ctx.now);
  if (packed === null) return false;
  ctx.db.setPacked(key, packed, 'sadd');
  ctx.reply.integer(members.length);
  return true;
}

/** At most this many SADD members are looked for in a packed set (one bit each). */
const PACKED_ADD_MAX = 30;
/** What the packer found and made for the SADD at hand (Packer.addToSet). */
const addition: SetAddition = { found: 0, added: 0, sealed: null, count: 0, intDeltas: false };
/** The stored shape of the set written (setPackedSealed's). */
const shape = { kind: Kind.Set as const, count: 0, flag: false, intDeltas: false };

/**
 * SADD into a small set packed at rest (at-rest.ts), leaving it packed: one open of its blob.
 * Members it holds already: 0, and nothing changes, as in Redis (no notification, dirty count
 * or WATCH touch; the write's lookup refreshes the access time). New members, into a blob small
 * enough (editableInBlob): appended to its plaintext (Packer.addToSet) and sealed into its
 * record, expiry kept, access time now, stored and signalled as any write
 * (Keyspace.setPackedSealed). False, having done nothing, when `stored` is not such a set, or
 * it is too large for this: the usual path follows.
 */
function saddPacked(ctx: Session, key: string, stored: Entry, args: ArgList): boolean {
  const wanted = args.length - 2;
  if (stored.kind !== Kind.Set || wanted > PACKED_ADD_MAX || !packedAtRest(ctx, stored)) return false;
  // As addPlain keeps it: an intset stays one while every member is an integer.
  let intset = stored.flag;
  for (let i = 2; intset && i < args.length; i++) if (!isIntegerMember(args.at(i)!)) intset = false;
  const db = ctx.db;
  const mark = ctx.reply.size;
  try {
    db.packer!.addToSet(db.uid, key, stored, args, 2, wanted, editableInBlob(stored), intset, addition);
  } catch (err) {
    sealFailedSince(ctx, mark, err);
    return true;
  }
  const sealed = addition.sealed;
  // The view of the packer's scratch is used once, here.
  addition.sealed = null;
  if (addition.found === 2 ** wanted - 1) {
    db.touch(stored, ctx.now);
    ctx.reply.integer(0);
    return true;
  }
  if (sealed === null) return false;
  shape.count = addition.count;
  shape.flag = intset;
  shape.intDeltas = addition.intDeltas;
  db.setPackedSealed(key, stored, sealed, shape, ctx.now, 'sadd');
  ctx.reply.integer(addition.added);
  return true;
}

/** The last member takes the key with it (Keyspace.mutate), as Redis stops there. */
function srem(ctx: Session, args: ArgList): void {
  const key = sameKeyAt(ctx, args, 1);
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
  const set = readSet(ctx, sameKeyAt(ctx, args, 1));
  if (set === null) return;
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
 * source's type, the destination's; the same key answers membership. The member is opened and
 * sealed again for the destination's key.
 */
function smove(ctx: Session, args: Buffer[]): void {
  const from = keyOf(ctx, args[1]!);
  const to = keyOf(ctx, args[2]!);
  const source = ctx.db.get(from, ctx.now);
  const target = ctx.db.get(to, ctx.now);
  if (source === undefined) return ctx.reply.integer(0);
  if (source.kind !== Kind.Set || !isSetOrMissing(target)) return ctx.reply.error(Errors.wrongType);
  const id = source.find(memberDigest(ctx, args[3]!));
  if (from === to || id === 0) return ctx.reply.integer(id === 0 ? 0 : 1);
  const plain = openMember(ctx, { set: source, key: from, id });
  if (plain === null) return;
  try {
    ctx.db.mutate(from, Kind.Set, 'srem', ctx.now, (set) => {
      set.removeId(id, setCodec(ctx, from));
      return true;
    });
    let failure: unknown;
    ctx.db.mutate(to, Kind.Set, 'sadd', ctx.now, (set) => {
      try {
        return addPlain(ctx, to, set, plain);
      } catch (err) {
        // The destination's tail node failed to open: the member has left the source only.
        failure = err;
        return false;
      }
    });
    if (failure !== undefined) return void sealFailed(ctx, failure);
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
