// Writes to a small set packed at rest (at-rest.ts) made in its blob: SADD, SREM and SMOVE
// (sets.ts) and SPOP (sets-random.ts) open the blob once, copy its members out, edit them and pack the set
// again (Packer.packNew), one seal, so it stays packed, expiry kept. Unpacking instead sealed and
// digested each member, and the cron opened each one to pack the set again. A set in use, or
// past the blob bound, takes the usual path: its next writes cost one member's seal there.

import { Kind, type Entry } from '../store/entry.js';
import type { KeyEvent } from '../store/keyspace.js';
import type { PackedForm } from '../store/packed-record.js';
import { PACK_MAX_BYTES } from '../store/types/packed.js';
import type { ArgList } from '../protocol/arg-list.js';
import { editableInBlob, packedAtRest } from './at-rest.js';
import { sealFailed } from './sealing.js';
import { addPlain, compareIntegers, isIntegerMember, writeSet } from './set-entries.js';
import { sameBytes } from './packed-reads.js';
import type { Session } from './types.js';

/** The members of the set being edited, copied out of the packer's scratch; wiped after each write. */
const memberBytes = Buffer.allocUnsafeSlow(PACK_MAX_BYTES).fill(0);
/** The set being edited, in its order: views of memberBytes, then members added by the write. */
const members: Buffer[] = [];
/** Bytes of memberBytes in use. */
let used = 0;

/** `stored` (Keyspace.getStored) as a set whose writes are made in its blob, or undefined for the usual path. */
export function setAtRest(ctx: Session, stored: Entry | undefined): PackedForm | undefined {
  if (stored === undefined || stored.kind !== Kind.Set || !packedAtRest(ctx, stored) || !editableInBlob(stored)) return undefined;
  return stored;
}

function copyMember(bytes: Buffer, start: number, length: number): void {
  bytes.copy(memberBytes, used, start, start + length);
  members.push(memberBytes.subarray(used, used + length));
  used += length;
}

/** Opens the set's blob into `members`. False after replying the seal error. */
function load(ctx: Session, key: string, packed: PackedForm): boolean {
  try {
    ctx.db.readPackedElements(key, packed, copyMember);
    return true;
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  }
}

function done(): void {
  memberBytes.fill(0, 0, used);
  used = 0;
  members.length = 0;
}

/** Where member is in the set, or -1. */
function indexOf(member: Uint8Array, from = 0): number {
  for (let k = from; k < members.length; k++) if (sameBytes(members[k]!, 0, members[k]!.length, member)) return k;
  return -1;
}

/**
 * Packs the edited set (an intset when `intset`, as Redis's encoding would be) and stores it in
 * place of `stored`, expiry kept, touched, signalling `event` as any write; a set left empty is
 * deleted ('del' after `event`, as Keyspace.mutate does). False, having changed nothing, when the
 * set is past packing's limits: the usual path follows.
 */
function store(ctx: Session, key: string, stored: PackedForm, intset: boolean, event: KeyEvent): boolean {
  const db = ctx.db;
  if (members.length === 0) {
    if (db.delete(key, event)) db.notify(key, 'del', Kind.Set);
    return true;
  }
  const packed = db.packer!.packNew(db.uid, key, Kind.Set, members, null, intset, stored.touchedAt);
  if (packed === null) return false;
  packed.expiresAt = stored.expiresAt;
  db.touch(packed as unknown as Entry, ctx.now);
  db.setPacked(key, packed, event);
  return true;
}

/** What addToRest() and addToNew() answer beside how many members they added. */
export const DECLINED = -1;
export const FAILED = -2;

/**
 * Adds args[first..] to a set at rest (setAtRest), signalled as 'sadd': how many were new;
 * members it holds already change nothing, as in Redis (no notification, dirty count or WATCH
 * touch; the access time moves). DECLINED, having done nothing, when the set would grow past
 * packing's limits; FAILED after replying the seal error.
 */
function addToRest(ctx: Session, key: string, packed: PackedForm, args: ArgList, first: number): number {
  try {
    if (!load(ctx, key, packed)) return FAILED;
    const held = members.length;
    // As addPlain keeps it: an intset stays one while every member is an integer.
    let intset = packed.flag;
    for (let i = first; i < args.length; i++) {
      const member = args.at(i)!;
      if (indexOf(member) >= 0) continue;
      members.push(member as Buffer);
      if (intset && !isIntegerMember(member)) intset = false;
    }
    const added = members.length - held;
    if (added === 0) ctx.db.touch(packed as unknown as Entry, ctx.now);
    else if (!store(ctx, key, packed, intset, 'sadd')) return DECLINED;
    return added;
  } finally {
    done();
  }
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

/** SADD of args[2..] into a set at rest (setAtRest): replies how many were new. False, having done nothing, when the usual path must take it. */
export function saddAtRest(ctx: Session, key: string, packed: PackedForm, args: ArgList): boolean {
  const added = addToRest(ctx, key, packed, args, 2);
  if (added >= 0) ctx.reply.integer(added);
  return added !== DECLINED;
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
    const added = stored === undefined ? addToNew(ctx, key, oneMember, 0) : atRest !== undefined ? addToRest(ctx, key, atRest, oneMember, 0) : DECLINED;
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

/**
 * SMOVE of `member` from a set at rest (setAtRest) to another key `dst` (a set or missing:
 * checked before), as Redis's smoveCommand: 'srem' on the source (and 'del' when it empties),
 * then 'sadd' on the destination when the member is new there; replies 1, or 0 when the source
 * does not hold it. A destination that fails to open answers the seal error, the member gone
 * from the source only (as from an unpacked source).
 */
export function smoveAtRest(ctx: Session, src: string, packed: PackedForm, dst: string, member: Buffer): void {
  try {
    if (!load(ctx, src, packed)) return;
    const at = indexOf(member);
    if (at < 0) {
      ctx.db.touch(packed as unknown as Entry, ctx.now);
      return ctx.reply.integer(0);
    }
    members.splice(at, 1);
    // Fewer members always fit packing's limits: store() cannot refuse.
    store(ctx, src, packed, packed.flag, 'srem');
  } finally {
    done();
  }
  if (addMember(ctx, dst, member)) ctx.reply.integer(1);
}

/** SREM of args[2..] from a set at rest (setAtRest); the last member takes the key with it. */
export function sremAtRest(ctx: Session, key: string, packed: PackedForm, args: ArgList): void {
  try {
    if (!load(ctx, key, packed)) return;
    let removed = 0;
    for (let i = 2; i < args.length && members.length > 0; i++) {
      const at = indexOf(args.at(i)!);
      if (at < 0) continue;
      members.splice(at, 1);
      removed++;
    }
    // Fewer members always fit packing's limits: store() cannot refuse.
    if (removed === 0) ctx.db.touch(packed as unknown as Entry, ctx.now);
    else store(ctx, key, packed, packed.flag, 'srem');
    ctx.reply.integer(removed);
  } finally {
    done();
  }
}

/** Redis's SPOP_MOVE_STRATEGY_MUL: past it, SPOP keeps the few members left as a new set. */
const SPOP_MOVE_STRATEGY_MUL = 5;

/**
 * SPOP of one member (`count` -1: a bulk reply) or of `count` (at least 1: a set reply) from a set
 * at rest (setAtRest), drawn at random; all of them (the key deleted) in Redis's SUNION order when
 * `count` reaches the set's size.
 */
export function spopAtRest(ctx: Session, key: string, packed: PackedForm, count: number): void {
  try {
    if (!load(ctx, key, packed)) return;
    const size = members.length;
    const reply = ctx.reply;
    let intset = packed.flag;
    if (count === -1) {
      const k = Math.floor(Math.random() * size);
      reply.bulk(members[k]!);
      members.splice(k, 1);
    } else if (count >= size) {
      // As SUNION of the one key replies: an intset's order when every member is an integer.
      const all = members.slice();
      if (size > 1 && all.every(isIntegerMember)) all.sort(compareIntegers);
      reply.setLen(size);
      for (const member of all) reply.bulk(member);
      members.length = 0;
    } else {
      reply.setLen(count);
      for (let i = 0; i < count; i++) {
        const k = Math.floor(Math.random() * members.length);
        reply.bulk(members[k]!);
        members.splice(k, 1);
      }
      // Redis keeps the few members left as a new set, built member by member: an intset again if they are all integers.
      if (members.length * SPOP_MOVE_STRATEGY_MUL <= count) intset = members.every(isIntegerMember);
    }
    // Fewer members always fit packing's limits: store() cannot refuse.
    store(ctx, key, packed, intset, 'spop');
  } finally {
    done();
  }
}

/**
 * SRANDMEMBER of a packed set (at rest or not: a read), from one open, the set left packed:
 * `count` null for one member (a bulk reply); negative (or 1) for |count| drawn with repetition;
 * at least the size for the whole set (an intset's in its order, ascending); else that many
 * distinct ones in the order drawn, as the unpacked path answers (sets-random.ts).
 */
export function srandmemberPacked(ctx: Session, key: string, packed: PackedForm, count: number | null): void {
  try {
    if (!load(ctx, key, packed)) return;
    const size = members.length;
    const reply = ctx.reply;
    const pick = (): Buffer => members[Math.floor(Math.random() * size)]!;
    if (count === null) return reply.bulk(pick());
    if (count < 0 || count === 1) {
      const n = Math.abs(count);
      reply.arrayLen(n);
      for (let i = 0; i < n; i++) reply.bulk(pick());
      return;
    }
    if (count >= size) {
      const all = packed.flag ? members.slice().sort(compareIntegers) : members;
      reply.arrayLen(size);
      for (const member of all) reply.bulk(member);
      return;
    }
    // A partial Fisher-Yates over the members: a uniform sample without repeats.
    reply.arrayLen(count);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const drawn = members[j]!;
      members[j] = members[i]!;
      members[i] = drawn;
      reply.bulk(drawn);
    }
  } finally {
    done();
  }
}
