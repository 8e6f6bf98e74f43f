// Writes to a small sorted set packed at rest (at-rest.ts) made in its blob: ZADD (every option),
// ZINCRBY and ZREM open the blob once, edit the members in Redis's order (score, then bytes) and
// pack the set again (Packer.packNew), one seal, so it stays packed. Unpacking instead sealed and
// digested each member, ordered them, and the cron opened each one to pack the set again (a
// changed score of a 5-member set: ~23 us of CPU against redis-server's 2). A set in use, or past
// the blob bound, takes the usual path (zsets.ts): its next writes cost one member's seal there.

import { Errors } from '../protocol/errors.js';
import { Kind, type Entry } from '../store/entry.js';
import { PACK_MAX_BYTES, PACK_MAX_ELEMENTS } from '../store/types/packed.js';
import { LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE } from '../store/types/zset-ops.js';
import type { PackedForm } from '../store/packed-record.js';
import type { KeyEvent } from '../store/keyspace.js';
import { editableInBlob, packedAtRest } from './at-rest.js';
import { replyOpened } from './sealing.js';
import type { Session } from './types.js';

/** ZADD's options (redis zaddGenericCommand's flags). */
export interface AddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** The set being edited, in its order: members (views of `memberBytes` or of the request) and scores. */
const members: Uint8Array[] = [];
const scores: number[] = [];
/** Its members' bytes copied out of the packer's scratch; wiped after each write. */
const memberBytes = Buffer.allocUnsafeSlow(PACK_MAX_BYTES).fill(0);
let used = 0;
/** Redis's encoding of the set being edited: a skiplist keeps -0 as it is, a listpack as 0. */
let skiplist = false;

/**
 * `stored` (Keyspace.getStored) as a sorted set whose writes are made in its blob, or undefined
 * for the usual path.
 */
export function zsetAtRest(ctx: Session, stored: Entry | undefined): PackedForm | undefined {
  if (stored === undefined || stored.kind !== Kind.ZSet || !packedAtRest(ctx, stored) || !editableInBlob(stored)) return undefined;
  return stored;
}

/** Opens the set's blob into members/scores. False after replying the seal error. */
function load(ctx: Session, key: string, packed: PackedForm): boolean {
  skiplist = packed.flag;
  return replyOpened(ctx, () => {
    ctx.db.readPackedElements(key, packed, (bytes, start, length, score) => {
      bytes.copy(memberBytes, used, start, start + length);
      members.push(memberBytes.subarray(used, used + length));
      scores.push(score);
      used += length;
    });
  });
}

function done(): void {
  memberBytes.fill(0, 0, used);
  used = 0;
  members.length = 0;
  scores.length = 0;
}

function indexOf(member: Uint8Array): number {
  for (let i = 0; i < members.length; i++) if (Buffer.compare(members[i]!, member) === 0) return i;
  return -1;
}

/** Inserts member at its place: after every lower score, and every equal one with lower bytes. */
function insert(score: number, member: Uint8Array): void {
  let i = members.length;
  while (i > 0 && (scores[i - 1]! > score || (scores[i - 1] === score && Buffer.compare(members[i - 1]!, member) > 0))) i--;
  members.splice(i, 0, member);
  scores.splice(i, 0, score === 0 && !skiplist ? 0 : score);
}

function removeAt(i: number): void {
  members.splice(i, 1);
  scores.splice(i, 1);
}

/**
 * Packs the edited set (expiry kept, access time now) and stores it, signalling `event` as any
 * write; a set left empty is deleted ('del' after `event`, as Keyspace.mutate does). False,
 * having changed nothing, when the set is past packing's limits: the usual path follows.
 */
function store(ctx: Session, key: string, stored: PackedForm, event: KeyEvent): boolean {
  const db = ctx.db;
  if (members.length === 0) {
    if (db.delete(key, event)) db.notify(key, 'del', Kind.ZSet);
    return true;
  }
  const expiresAt = stored.expiresAt;
  const packed = db.packer!.packNew(db.uid, key, Kind.ZSet, members, scores, skiplist, stored.touchedAt);
  if (packed === null) return false;
  packed.expiresAt = expiresAt;
  db.touch(packed as unknown as Entry, ctx.now);
  db.setPacked(key, packed, event);
  return true;
}

/** What one member's addition did (redis zsetAdd's out flags). */
export const ADDED = 1;
export const UPDATED = 2;
export const NOP = 4;
export const NAN = 8;

/** The resulting score of the last addMember() that was not a NOP. */
let outScore = 0;

/** Adds or updates one member as redis zsetAdd does. */
function addMember(score: number, member: Uint8Array, o: AddOptions): number {
  const i = indexOf(member);
  if (i >= 0) {
    const current = scores[i]!;
    if (o.nx) return NOP;
    if (o.incr) {
      score += current;
      if (Number.isNaN(score)) return NAN;
    }
    if ((o.lt && score >= current) || (o.gt && score <= current)) return NOP;
    outScore = score;
    // Equal scores (0 and -0 included, as Redis compares them) leave the member as it is.
    if (score === current) return 0;
    removeAt(i);
    insert(score, member);
    return UPDATED;
  }
  if (o.xx) return NOP;
  outScore = score;
  if (members.length + 1 > LISTPACK_MAX_ENTRIES || member.length > LISTPACK_MAX_VALUE) skiplist = true;
  insert(score, member);
  return ADDED;
}

/**
 * ZADD or ZINCRBY (o.incr) of `pairScores` (member k at args[first + 2k + 1]) into a sorted set at
 * rest (zsetAtRest), replying as zaddGeneric would. False, having done nothing, when the result
 * is past packing's limits: the usual path follows.
 */
export function zaddAtRest(ctx: Session, key: string, packed: PackedForm, o: AddOptions, pairScores: readonly number[], args: readonly Uint8Array[], first: number): boolean {
  if (pairScores.length > PACK_MAX_ELEMENTS) return false;
  try {
    if (!load(ctx, key, packed)) return true;
    let added = 0;
    let updated = 0;
    let processed = 0;
    for (let k = 0; k < pairScores.length; k++) {
      const flags = addMember(pairScores[k]!, args[first + k * 2 + 1]!, o);
      // Only ZADD INCR and ZINCRBY meet a NaN, with one pair: nothing has changed.
      if (flags === NAN) {
        ctx.db.touch(packed as unknown as Entry, ctx.now);
        ctx.reply.error(Errors.zsetNaN);
        return true;
      }
      if (flags & ADDED) added++;
      if (flags & UPDATED) updated++;
      if (!(flags & NOP)) processed++;
    }
    if (added + updated === 0) ctx.db.touch(packed as unknown as Entry, ctx.now);
    else if (!store(ctx, key, packed, o.incr ? 'zincr' : 'zadd')) return false;
    if (!o.incr) ctx.reply.integer(o.ch ? added + updated : added);
    else if (processed > 0) ctx.reply.double(outScore);
    else ctx.reply.nullBulk();
    return true;
  } finally {
    done();
  }
}

/** ZREM of args[2..] from a sorted set at rest (zsetAtRest); the last member takes the key with it. */
export function zremAtRest(ctx: Session, key: string, packed: PackedForm, args: readonly Uint8Array[]): void {
  try {
    if (!load(ctx, key, packed)) return;
    let deleted = 0;
    for (let i = 2; i < args.length && members.length > 0; i++) {
      const at = indexOf(args[i]!);
      if (at < 0) continue;
      removeAt(at);
      deleted++;
    }
    // Fewer members always fit packing's limits: store() cannot refuse.
    if (deleted === 0) ctx.db.touch(packed as unknown as Entry, ctx.now);
    else store(ctx, key, packed, 'zrem');
    ctx.reply.integer(deleted);
  } finally {
    done();
  }
}
