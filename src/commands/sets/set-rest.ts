// Writes to a small set packed at rest (at-rest.ts) made in its blob: SADD, SREM and SMOVE
// (sets.ts) and SPOP (sets-random.ts) open the blob once in the packer's scratch, edit its
// plaintext there (Packer.addToSet, Packer.editSet) and seal it once into the key's record
// (Keyspace.setPackedSealed), so it stays packed, expiry kept. Unpacking instead sealed and
// digested each member, and the cron opened each one to pack the set again. A set in use, or
// past the blob bound, takes the usual path: its next writes cost one member's seal there.

import { Kind, type Entry } from '../../store/entry.js';
import type { KeyEvent } from '../../store/keyspace.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import type { OpenedSet, SetAddition, SetBlobEdit, SetEdit } from '../../store/types/packed.js';
import type { ArgList } from '../../protocol/arg-list.js';
import { editableInBlob, packedAtRest } from '../values/at-rest.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { addPlain, compareIntegers, isIntegerMember, replyPlain, writeSet } from './set-entries.js';
import { sameBytes } from '../values/packed-reads.js';
import type { Session } from '../types.js';

/** The members of a set addToNew() creates (references to the command's arguments); cleared after each call. */
const members: Buffer[] = [];

/** `stored` (Keyspace.getStored) as a set whose writes are made in its blob, or undefined for the usual path. */
export function setAtRest(ctx: Session, stored: Entry | undefined): (Entry & PackedForm) | undefined {
  // packedAtRest last: it marks the key as written at rest (see at-rest.ts).
  if (stored === undefined || stored.kind !== Kind.Set || !isPackedForm(stored) || !editableInBlob(stored) || !packedAtRest(ctx, stored)) return undefined;
  return stored;
}

/** Where member is in the set, or -1. */
function indexOf(member: Uint8Array, from = 0): number {
  for (let k = from; k < members.length; k++) if (sameBytes(members[k]!, 0, members[k]!.length, member)) return k;
  return -1;
}

/** What addInBlob() and addToNew() answer beside how many members they added. */
export const DECLINED = -1;
export const FAILED = -2;

/** What the packer found and made for the addition at hand (Packer.addToSet). */
const addition: SetAddition = { found: 0, added: 0, sealed: null, count: 0, intDeltas: false };
/** The stored shape of the set written (setPackedSealed's). */
const shape = { kind: Kind.Set as const, count: 0, flag: false, intDeltas: false };

/**
 * Adds args[first..] (at most 30) to a set packed at rest (packedAtRest), signalled as 'sadd': how many were new.
 * One open of its blob; members it holds already change nothing, as in Redis (no notification,
 * dirty count or WATCH touch; the access time moves). New members are appended to its plaintext
 * (Packer.addToSet) and sealed into its record (Keyspace.setPackedSealed), expiry kept, when
 * `grow` (editableInBlob) and packing's limits allow; else DECLINED, having changed nothing.
 * FAILED after replying the seal error.
 */
export function addInBlob(ctx: Session, key: string, packed: Entry & PackedForm, args: ArgList, first: number, grow: boolean): number {
  const wanted = args.length - first;
  // As addPlain keeps it: an intset stays one while every member is an integer.
  let intset = packed.flag;
  for (let i = first; intset && i < args.length; i++) if (!isIntegerMember(args.at(i)!)) intset = false;
  const db = ctx.db;
  const mark = ctx.reply.size;
  try {
    db.packer!.addToSet(db.uid, key, packed, args, first, wanted, grow, intset, addition);
  } catch (err) {
    sealFailedSince(ctx, mark, err);
    return FAILED;
  }
  const sealed = addition.sealed;
  // The view of the packer's scratch is used once, here.
  addition.sealed = null;
  if (addition.found === 2 ** wanted - 1) {
    db.touch(packed, ctx.now);
    return 0;
  }
  if (sealed === null) return DECLINED;
  shape.count = addition.count;
  shape.flag = intset;
  shape.intDeltas = addition.intDeltas;
  db.setPackedSealed(key, packed, sealed, shape, ctx.now, 'sadd');
  return addition.added;
}

/**
 * Creates key (missing) as a set of args[first..], packed at once (store/types/packed.ts), as it
 * would be when the turn ends, without sealing and digesting each member first: how many members
 * it holds; DECLINED, having done nothing, when they are past packing's limits.
 */
export function addToNew(ctx: Session, key: string, args: ArgList, first: number): number {
  const packer = ctx.db.packer;
  if (packer === null) return DECLINED;
  try {
    let intset = true;
    for (let i = first; i < args.length; i++) {
      const member = args.at(i)!;
      if (indexOf(member) >= 0) continue;
      members.push(member as Buffer);
      // As addPlain keeps it (at most PACK_MAX_ELEMENTS members: never past set-max-intset-entries).
      if (intset && !isIntegerMember(member)) intset = false;
    }
    const packed = packer.packNew(ctx.db.uid, key, Kind.Set, members, null, intset, ctx.now);
    if (packed === null) return DECLINED;
    ctx.db.setPacked(key, packed, 'sadd');
    return members.length;
  } finally {
    members.length = 0;
  }
}

const oneMember: Buffer[] = [];

/**
 * Adds `member` to key's set (SMOVE's destination: a set or missing, checked before), signalled
 * as 'sadd' when it is new: in its blob when it rests packed, packed at once when missing, else
 * on the live set. False after replying the seal error of a blob or node that failed to open.
 */
export function addMember(ctx: Session, key: string, member: Buffer): boolean {
  const stored = ctx.db.getStored(key, ctx.now);
  oneMember[0] = member;
  try {
    const atRest = setAtRest(ctx, stored);
    const added = stored === undefined ? addToNew(ctx, key, oneMember, 0) : atRest !== undefined ? addInBlob(ctx, key, atRest, oneMember, 0, true) : DECLINED;
    if (added !== DECLINED) return added !== FAILED;
  } finally {
    oneMember.length = 0;
  }
  let failure: unknown;
  writeSet(ctx, key, 'sadd', (set) => {
    try {
      return addPlain(ctx, key, set, member);
    } catch (err) {
      failure = err;
      return false;
    }
  });
  if (failure === undefined) return true;
  sealFailed(ctx, failure);
  return false;
}

/** What Packer.editSet() made of the removal at hand. */
const removal: SetEdit = { sealed: null, count: 0, flag: false, intDeltas: false };

/**
 * Removes members from a set at rest (setAtRest) in its blob, as `edit` picks them (Packer.editSet),
 * and stores what is left into its record (Keyspace.setPackedSealed), expiry kept, signalling
 * `event` as any write; a set left empty is deleted ('del' after `event`, as Keyspace.mutate
 * does), one that lost nothing is only touched. Fewer members always fit packing's limits. False
 * after replying the seal error (dropping what `edit` replied).
 */
function removeInBlob(ctx: Session, key: string, packed: Entry & PackedForm, edit: SetBlobEdit, event: KeyEvent): boolean {
  const db = ctx.db;
  const mark = ctx.reply.size;
  try {
    db.packer!.editSet(db.uid, key, packed, edit, removal);
  } catch (err) {
    sealFailedSince(ctx, mark, err);
    return false;
  }
  const sealed = removal.sealed;
  // The view of the packer's scratch is used once, here.
  removal.sealed = null;
  if (removal.count === 0) {
    if (db.delete(key, event)) db.notify(key, 'del', Kind.Set);
  } else if (sealed === null) {
    db.touch(packed, ctx.now);
  } else {
    shape.count = removal.count;
    shape.flag = removal.flag;
    shape.intDeltas = removal.intDeltas;
    db.setPackedSealed(key, packed, sealed, shape, ctx.now, event);
  }
  return true;
}

/**
 * SMOVE of `member` from a set at rest (setAtRest) to another key `dst` (a set or missing:
 * checked before), as Redis's smoveCommand: 'srem' on the source (and 'del' when it empties),
 * then 'sadd' on the destination when the member is new there; replies 1, or 0 when the source
 * does not hold it. A destination that fails to open answers the seal error, the member gone
 * from the source only (as from an unpacked source).
 */
export function smoveAtRest(ctx: Session, src: string, packed: Entry & PackedForm, dst: string, member: Buffer): void {
  let found = false;
  const removed = removeInBlob(ctx, src, packed, (set) => {
    const at = set.indexOf(member);
    if (at < 0) return;
    set.remove(at);
    found = true;
  }, 'srem');
  if (!removed) return;
  if (!found) return ctx.reply.integer(0);
  if (addMember(ctx, dst, member)) ctx.reply.integer(1);
}

/** SREM of args[2..] from a set at rest (setAtRest); the last member takes the key with it. */
export function sremAtRest(ctx: Session, key: string, packed: Entry & PackedForm, args: ArgList): void {
  let removed = 0;
  const ok = removeInBlob(ctx, key, packed, (set) => {
    for (let i = 2; i < args.length && set.size > 0; i++) {
      const at = set.indexOf(args.at(i)!);
      if (at < 0) continue;
      set.remove(at);
      removed++;
    }
  }, 'srem');
  if (ok) ctx.reply.integer(removed);
}

/** Redis's SPOP_MOVE_STRATEGY_MUL: past it, SPOP keeps the few members left as a new set. */
const SPOP_MOVE_STRATEGY_MUL = 5;

/** The member at `position` of an opened set, as a view of the packer's scratch (valid during its edit). */
function memberAt(set: OpenedSet, position: number): Buffer {
  set.show(position);
  return set.bytes.subarray(set.start, set.start + set.length);
}

/**
 * SPOP of one member (`count` -1: a bulk reply) or of `count` (at least 1: a set reply) from a set
 * at rest (setAtRest), drawn at random; all of them (the key deleted) in Redis's SUNION order when
 * `count` reaches the set's size.
 */
export function spopAtRest(ctx: Session, key: string, packed: Entry & PackedForm, count: number): void {
  removeInBlob(ctx, key, packed, (set) => {
    const size = set.size;
    const reply = ctx.reply;
    if (count === -1) {
      const at = Math.floor(Math.random() * size);
      set.show(at);
      replyPlain(ctx, set.bytes, set.start, set.length);
      set.remove(at);
    } else if (count >= size) {
      // As SUNION of the one key replies: an intset's order when every member is an integer.
      const all: Buffer[] = [];
      for (let at = 0; at < size; at++) all.push(memberAt(set, at));
      if (size > 1 && all.every(isIntegerMember)) all.sort(compareIntegers);
      reply.setLen(size);
      for (const member of all) reply.bulk(member);
      while (set.size > 0) set.remove(set.size - 1);
    } else {
      reply.setLen(count);
      for (let i = 0; i < count; i++) {
        const at = Math.floor(Math.random() * set.size);
        set.show(at);
        replyPlain(ctx, set.bytes, set.start, set.length);
        set.remove(at);
      }
      // Redis keeps the few members left as a new set, built member by member: an intset again if they are all integers.
      if (set.size * SPOP_MOVE_STRATEGY_MUL <= count) {
        let integers = true;
        for (let at = 0; integers && at < set.size; at++) integers = isIntegerMember(memberAt(set, at));
        set.intset = integers;
      }
    }
  }, 'spop');
}

/**
 * SRANDMEMBER of a packed set (at rest or not: a read), from one open, the set left packed:
 * `count` null for one member (a bulk reply); negative (or 1) for |count| drawn with repetition;
 * at least the size for the whole set (an intset's in its order, ascending); else that many
 * distinct ones in the order drawn, as the unpacked path answers (sets-random.ts).
 */
export function srandmemberPacked(ctx: Session, key: string, packed: PackedForm, count: number | null): void {
  const db = ctx.db;
  const mark = ctx.reply.size;
  try {
    // An edit that removes nothing: the set is opened and shown, nothing sealed or stored.
    db.packer!.editSet(db.uid, key, packed, (set) => drawMembers(ctx, set, packed.flag, count), removal);
  } catch (err) {
    sealFailedSince(ctx, mark, err);
  }
  removal.sealed = null;
}

/** Positions drawn by srandmemberPacked's sample without repeats. */
let drawOrder = new Int32Array(64);

function drawMembers(ctx: Session, set: OpenedSet, intset: boolean, count: number | null): void {
  const size = set.size;
  const reply = ctx.reply;
  const replyAt = (position: number): void => {
    set.show(position);
    replyPlain(ctx, set.bytes, set.start, set.length);
  };
  const pick = (): number => Math.floor(Math.random() * size);
  if (count === null) return replyAt(pick());
  if (count < 0 || count === 1) {
    const n = Math.abs(count);
    reply.arrayLen(n);
    for (let i = 0; i < n; i++) replyAt(pick());
    return;
  }
  if (count >= size) {
    const all: Buffer[] = [];
    for (let at = 0; at < size; at++) all.push(memberAt(set, at));
    // An intset's order, ascending.
    if (intset) all.sort(compareIntegers);
    reply.arrayLen(size);
    for (const member of all) reply.bulk(member);
    return;
  }
  // A partial Fisher-Yates over the positions: a uniform sample without repeats.
  if (drawOrder.length < size) drawOrder = new Int32Array(size);
  for (let at = 0; at < size; at++) drawOrder[at] = at;
  reply.arrayLen(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const drawn = drawOrder[j]!;
    drawOrder[j] = drawOrder[i]!;
    drawOrder[i] = drawn;
    replyAt(drawn);
  }
}
