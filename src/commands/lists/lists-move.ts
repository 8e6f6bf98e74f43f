// Moving elements between lists (redis t_list.c lmoveGenericCommand, mpopGenericCommand):
// LMOVE, RPOPLPUSH and LMPOP. A moved element is opened and sealed again where it lands (its
// seal is bound to its key, and a node's to the node).

import { int64, keyOf } from '../args.js';
import { listCodec, listSpec, replyPopped, settle, side, writableStored } from './list-entries.js';
import { moveInBlob, popInBlob, pushElement } from './lists-packed.js';
import { isPackedForm } from '../../store/packed-record.js';
import { sealFailed } from '../values/sealing.js';
import { Errors } from '../../protocol/errors.js';
import { SealError } from '../../seal/values.js';
import { Kind } from '../../store/keyspace.js';
import { at, index, keynum, keySpec, type KeySpec } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

/** Parsed LMPOP / BLMPOP arguments. */
export interface MpopArgs {
  /** Positions of the keys in args. */
  first: number;
  numkeys: number;
  head: boolean;
  /** COUNT, 1 when not given (the reply has the same shape either way). */
  count: number;
}

/**
 * Moves one element from the head or tail of `src` to the head or tail of `dst` and replies
 * with it (LMOVE and its kin). Redis's order: a missing source answers nil before the
 * destination's type is looked at, and nothing changes before both types are known. A small
 * source list at rest is taken from in its blob (lists-packed.ts moveInBlob), and a destination
 * at rest pushed in its own (pushElement). Returns whether an element moved.
 */
export function moveElement(ctx: Session, srcArg: Buffer, dstArg: Buffer, fromHead: boolean, toHead: boolean): boolean {
  const src = keyOf(ctx, srcArg);
  const dst = keyOf(ctx, dstArg);
  const stored = ctx.db.getStored(src, ctx.now);
  if (stored === undefined) {
    ctx.reply.nullBulk();
    return false;
  }
  if (stored.kind !== Kind.List) {
    ctx.reply.error(Errors.wrongType);
    return false;
  }
  if (dst !== src) {
    const target = ctx.db.getStored(dst, ctx.now);
    if (target !== undefined && target.kind !== Kind.List) {
      ctx.reply.error(Errors.wrongType);
      return false;
    }
  }
  if (isPackedForm(stored) && moveInBlob(ctx, src, stored, dst, fromHead, toHead)) return true;
  const list = writableStored(ctx, src, stored)!;
  const c = listCodec(ctx, src);
  let plain: Buffer;
  try {
    // Taken off after the push (sealed again there for its destination): a copy of its plaintext.
    plain = list.at(fromHead ? 0 : list.length - 1, c)!;
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    sealFailed(ctx, err);
    return false;
  }
  try {
    // Redis's notification order: the push on the destination, then the pop on the source. Onto
    // another list, pushed first: a destination that fails to open leaves the source as it was.
    if (dst !== src && !pushElement(ctx, dst, plain, toHead)) return false;
    if (fromHead) list.takeHead(noop, c);
    else list.takeTail(noop, c);
    if (dst === src) pushElement(ctx, dst, plain, toHead);
    settle(ctx, src, fromHead ? 'lpop' : 'rpop');
    ctx.reply.bulk(plain);
  } finally {
    plain.fill(0);
  }
  return true;
}

const noop = (): void => {};

function lmove(ctx: Session, args: Buffer[]): void {
  const from = side(ctx, args[3]!);
  if (from === null) return;
  const to = side(ctx, args[4]!);
  if (to === null) return;
  moveElement(ctx, args[1]!, args[2]!, from, to);
}

function rpoplpush(ctx: Session, args: Buffer[]): void {
  moveElement(ctx, args[1]!, args[2]!, false, true);
}

/** Redis getRangeLongFromObjectOrReply(1, LONG_MAX, msg): any failure answers msg. */
function positiveOr(arg: Buffer, ctx: Session, error: string): number | null {
  const n = int64(arg);
  if (n === null || n < 1n) {
    ctx.reply.error(error);
    return null;
  }
  return Number(n);
}

/**
 * LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], from args[at] (the numkeys). Null after
 * replying with the error, in Redis's order: numkeys, then the side, then the options.
 */
export function parseMpop(ctx: Session, args: Buffer[], at: number): MpopArgs | null {
  const numkeys = positiveOr(args[at]!, ctx, Errors.numkeysPositive);
  if (numkeys === null) return null;
  const whereAt = at + numkeys + 1;
  if (whereAt >= args.length) {
    ctx.reply.error(Errors.syntax);
    return null;
  }
  const head = side(ctx, args[whereAt]!);
  if (head === null) return null;
  let count = -1;
  for (let i = whereAt + 1; i < args.length; i++) {
    const a = args[i]!;
    if (count === -1 && a.length === 5 && a.toString('latin1').toLowerCase() === 'count' && i + 1 < args.length) {
      const n = positiveOr(args[++i]!, ctx, Errors.countPositive);
      if (n === null) return null;
      count = n;
    } else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
  }
  return { first: at + 1, numkeys, head, count: count === -1 ? 1 : count };
}

/**
 * Pops up to `count` elements from the first list among the keys that exists and replies
 * [key, [elements]]: 'none' (nothing replied) when every list is missing, 'error' after an
 * error reply.
 */
export function mpopFirst(ctx: Session, args: Buffer[], parsed: MpopArgs): 'popped' | 'none' | 'error' {
  for (let i = parsed.first; i < parsed.first + parsed.numkeys; i++) {
    const key = keyOf(ctx, args[i]!);
    const stored = ctx.db.getStored(key, ctx.now);
    // A small list at rest pops from its blob and stays packed (lists-packed.ts).
    if (stored !== undefined && isPackedForm(stored) && stored.kind === Kind.List && popInBlob(ctx, key, stored, parsed.head, true, parsed.count, args[i]!)) return 'popped';
    const list = writableStored(ctx, key, stored);
    if (list === null) return 'error';
    if (list === undefined) continue;
    if (!replyPopped(ctx, key, list, parsed.head, parsed.count, args[i]!)) return 'error';
    settle(ctx, key, parsed.head ? 'lpop' : 'rpop');
    return 'popped';
  }
  return 'none';
}

function lmpop(ctx: Session, args: Buffer[]): void {
  const parsed = parseMpop(ctx, args, 1);
  if (parsed === null) return;
  if (mpopFirst(ctx, args, parsed) === 'none') ctx.reply.nullArray();
}

/** The source is read and emptied, the destination pushed to (LMOVE and its kin). */
export const MOVE_KEYS: readonly KeySpec[] = [at(1, 'RW', 'ACCESS', 'DELETE'), at(2, 'RW', 'INSERT')];

export const listMoveCommands: CommandSpec[] = [
  listSpec('lmove', 5, 'write-grow', false, MOVE_KEYS, 'Pop an element from a list, push it to another list and return it', '6.2.0', lmove, 'O(1)'),
  listSpec('rpoplpush', 3, 'write-grow', false, MOVE_KEYS, 'Remove the last element in a list, prepend it to another list and return it', '1.2.0', rpoplpush, 'O(1)'),
  listSpec('lmpop', -4, 'write', false, [keySpec(index(1), keynum(0, 1, 1), ['RW', 'ACCESS', 'DELETE'])], 'Pop elements from a list', '7.0.0', lmpop,
    'O(N+M) where N is the number of provided keys and M is the number of elements returned.'),
];
