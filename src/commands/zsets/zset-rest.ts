// Writes to a small sorted set packed at rest (at-rest.ts) made in its blob: ZADD (every option),
// ZINCRBY, ZREM, ZREMRANGEBYRANK/SCORE/LEX (zsets-ranges.ts) and the pops (zsets-pops.ts
// popFrom) open the blob once, edit the members in
// Redis's order (score, then bytes) and pack the set again (Packer.packZSet), one seal, so it
// stays packed. Unpacking instead sealed and digested each member, ordered them, and the cron
// opened each one to pack the set again (a changed score of a 5-member set: ~23 us of CPU against
// redis-server's 2). A set in use, or past
// the blob bound, takes the usual path (zsets.ts): its next writes cost one member's seal there.

import { Errors } from '../../protocol/errors.js';
import { Kind, type Entry } from '../../store/entry.js';
import { PACK_MAX_BYTES, PACK_MAX_ELEMENTS } from '../../store/types/packed.js';
import { LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE } from '../../store/types/zset-ops.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import type { KeyEvent } from '../../store/keyspace.js';
import { editableInBlob, packedAtRest } from '../values/at-rest.js';
import { sealFailed } from '../values/sealing.js';
import { replyPlain } from '../sets/set-entries.js';
import type { PopShape } from './zsets-pops.js';
import type { ParsedRange } from './zsets-ranges.js';
import { rankSpan } from '../../store/types/zset.js';
import { compareFlat, valueSpan } from './zset-span.js';
import type { Session } from '../types.js';

/** ZADD's options (redis zaddGenericCommand's flags). */
export interface AddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/**
 * Room for the set being edited: a packed set's members (at most PACK_MAX_ELEMENTS, PACK_MAX_BYTES
 * in all) and as many added by the write; past that the usual path takes it.
 */
const ROOM = 2 * PACK_MAX_ELEMENTS;
/**
 * The set being edited, in its order: member k at memberBytes[starts[k], starts[k] + lengths[k])
 * (the blob's members copied there as opened, new ones after them), with scores[k].
 */
const memberBytes = Buffer.allocUnsafeSlow(2 * PACK_MAX_BYTES).fill(0);
const starts = new Int32Array(ROOM);
const lengths = new Int32Array(ROOM);
const scores = new Float64Array(ROOM);
const edited = { bytes: memberBytes, starts, lengths, scores, count: 0 };
/** Bytes of memberBytes in use; wiped after each write. */
let used = 0;
/** The stored shape of the set written (setPackedSealed's). */
const shape = { kind: Kind.ZSet as const, count: 0, flag: false, intDeltas: false };
/** Redis's encoding of the set being edited: a skiplist keeps -0 as it is, a listpack as 0. */
let skiplist = false;

/**
 * `stored` (Keyspace.getStored) as a sorted set whose writes are made in its blob, or undefined
 * for the usual path.
 */
export function zsetAtRest(ctx: Session, stored: Entry | undefined): PackedForm | undefined {
  // packedAtRest last: it marks the key as written at rest (see at-rest.ts).
  if (stored === undefined || stored.kind !== Kind.ZSet || !isPackedForm(stored) || !editableInBlob(stored) || !packedAtRest(ctx, stored)) return undefined;
  return stored;
}

/** Copies one member of the opened blob to the end of the set being edited. */
function loadMember(bytes: Buffer, start: number, length: number, score: number): void {
  const k = edited.count++;
  starts[k] = used;
  lengths[k] = length;
  scores[k] = score;
  // A loop: members are short, and a native copy's call costs more.
  for (let i = 0; i < length; i++) memberBytes[used + i] = bytes[start + i]!;
  used += length;
}

/** Opens the set's blob into `edited`. False after replying the seal error. */
function load(ctx: Session, key: string, packed: PackedForm): boolean {
  skiplist = packed.flag;
  try {
    ctx.db.readPackedElements(key, packed, loadMember);
    return true;
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  }
}

function done(): void {
  memberBytes.fill(0, 0, used);
  used = 0;
  edited.count = 0;
}

/** Where member is in the set, or -1 (compared in JS: a native call costs more on short members). */
function indexOf(member: Uint8Array): number {
  const n = member.length;
  next: for (let k = 0; k < edited.count; k++) {
    if (lengths[k] !== n) continue;
    const at = starts[k]!;
    for (let i = 0; i < n; i++) if (memberBytes[at + i] !== member[i]) continue next;
    return k;
  }
  return -1;
}

/** Whether member k's bytes sort after memberBytes[at, at + n). */
function sortsAfter(k: number, at: number, n: number): boolean {
  return compareFlat(edited, k, memberBytes, at, n) > 0;
}

/** Puts the member at memberBytes[at, at + n) in its place: after every lower score, and every equal one with lower bytes. */
function place(score: number, at: number, n: number): void {
  let k = edited.count;
  while (k > 0 && (scores[k - 1]! > score || (scores[k - 1] === score && sortsAfter(k - 1, at, n)))) k--;
  starts.copyWithin(k + 1, k, edited.count);
  lengths.copyWithin(k + 1, k, edited.count);
  scores.copyWithin(k + 1, k, edited.count);
  starts[k] = at;
  lengths[k] = n;
  scores[k] = score === 0 && !skiplist ? 0 : score;
  edited.count++;
}

/** Takes member k out of the order (its bytes stay where they are until done()). */
function removeAt(k: number): { at: number; n: number } {
  moved.at = starts[k]!;
  moved.n = lengths[k]!;
  starts.copyWithin(k, k + 1, edited.count);
  lengths.copyWithin(k, k + 1, edited.count);
  scores.copyWithin(k, k + 1, edited.count);
  edited.count--;
  return moved;
}
const moved = { at: 0, n: 0 };

/** Adds a member the set does not hold, its bytes copied after the others'. False when there is no room. */
function insertNew(score: number, member: Uint8Array): boolean {
  const n = member.length;
  if (edited.count === ROOM || used + n > memberBytes.length) return false;
  for (let i = 0; i < n; i++) memberBytes[used + i] = member[i]!;
  used += n;
  place(score, used - n, n);
  return true;
}

/**
 * Packs the edited set and stores it in its record (expiry kept, access time now:
 * Keyspace.setPackedSealed), signalling `event` as any write; a set left empty is deleted ('del' after `event`, as Keyspace.mutate does). False,
 * having changed nothing, when the set is past packing's limits: the usual path follows.
 */
function store(ctx: Session, key: string, stored: PackedForm, event: KeyEvent): boolean {
  const db = ctx.db;
  if (edited.count === 0) {
    if (db.delete(key, event)) db.notify(key, 'del', Kind.ZSet);
    return true;
  }
  const sealed = db.packer!.packZSet(db.uid, key, edited);
  if (sealed === null) return false;
  shape.count = edited.count;
  shape.flag = skiplist;
  db.setPackedSealed(key, stored, sealed, shape, ctx.now, event);
  return true;
}

/** What one member's addition did (redis zsetAdd's out flags). */
export const ADDED = 1;
export const UPDATED = 2;
export const NOP = 4;
export const NAN = 8;

/** The resulting score of the last addMember() that was not a NOP. */
let outScore = 0;

/** Returned by addMember() when the set has no room for a new member: the usual path takes the write. */
const NO_ROOM = 16;

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
    const { at, n } = removeAt(i);
    place(score, at, n);
    return UPDATED;
  }
  if (o.xx) return NOP;
  outScore = score;
  if (edited.count + 1 > LISTPACK_MAX_ENTRIES || member.length > LISTPACK_MAX_VALUE) skiplist = true;
  return insertNew(score, member) ? ADDED : NO_ROOM;
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
      if (flags === NO_ROOM) return false;
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
    for (let i = 2; i < args.length && edited.count > 0; i++) {
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

/**
 * ZPOPMIN/ZPOPMAX (and ZMPOP, BZPOPMIN... meeting a set at rest: zsets-pops.ts popFrom) of up to
 * `count` members (-1: one, unnested; not 0) from a sorted set at rest (zsetAtRest), replying in
 * `shape` as popFrom does; the last member takes the key with it.
 */
export function zpopAtRest(ctx: Session, arg: Buffer, key: string, packed: PackedForm, min: boolean, count: number, shape: PopShape): void {
  try {
    if (!load(ctx, key, packed)) return;
    const size = edited.count;
    const n = Math.min(count === -1 ? 1 : count, size);
    const reply = ctx.reply;
    if (shape.emitKey) {
      reply.arrayLen(shape.nested ? 2 : n * 2 + 1);
      reply.bulk(arg);
      if (shape.nested) reply.arrayLen(n);
    } else {
      reply.arrayLen(shape.nested ? n : n * 2);
    }
    for (let i = 0; i < n; i++) {
      const k = min ? i : size - 1 - i;
      if (shape.nested) reply.arrayLen(2);
      replyPlain(ctx, memberBytes, starts[k]!, lengths[k]!);
      reply.double(scores[k]!);
    }
    if (min) {
      starts.copyWithin(0, n, size);
      lengths.copyWithin(0, n, size);
      scores.copyWithin(0, n, size);
    }
    edited.count = size - n;
    // Fewer members always fit packing's limits: store() cannot refuse.
    store(ctx, key, packed, min ? 'zpopmin' : 'zpopmax');
  } finally {
    done();
  }
}

/** The ranks [spanStart, spanEnd) of `edited` that `range` selects. */
let spanStart = 0;
let spanEnd = 0;

function spanIn(range: ParsedRange): void {
  [spanStart, spanEnd] = range.type === 'rank' ? rankSpan(range.start, range.stop, edited.count) : valueSpan(edited, range);
}

/**
 * ZREMRANGEBYRANK, ZREMRANGEBYSCORE or ZREMRANGEBYLEX of a sorted set at rest (zsetAtRest):
 * replies how many went; the last member takes the key with it.
 */
export function zremRangeAtRest(ctx: Session, key: string, packed: PackedForm, range: ParsedRange, event: KeyEvent): void {
  // Ranks outside the set remove nothing: known from the count, without opening the blob.
  if (range.type === 'rank' && rankSpan(range.start, range.stop, packed.count)[1] === 0) {
    ctx.db.touch(packed as unknown as Entry, ctx.now);
    return ctx.reply.integer(0);
  }
  try {
    if (!load(ctx, key, packed)) return;
    spanIn(range);
    const removed = spanEnd - spanStart;
    if (removed <= 0) {
      ctx.db.touch(packed as unknown as Entry, ctx.now);
      return ctx.reply.integer(0);
    }
    starts.copyWithin(spanStart, spanEnd, edited.count);
    lengths.copyWithin(spanStart, spanEnd, edited.count);
    scores.copyWithin(spanStart, spanEnd, edited.count);
    edited.count -= removed;
    // Fewer members always fit packing's limits: store() cannot refuse.
    store(ctx, key, packed, event);
    ctx.reply.integer(removed);
  } finally {
    done();
  }
}
