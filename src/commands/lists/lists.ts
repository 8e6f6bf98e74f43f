// List commands (redis t_list.c): pushes, pops, reading by index and range, LSET, LINSERT, LREM,
// LTRIM and LPOS. Moving between lists (LMOVE, RPOPLPUSH, LMPOP) is in lists-move.ts, the
// blocking pops in lists-blocking.ts. Arguments are checked in Redis's order (some before the
// key's type, some after), since clients see which error comes first.

import { int64, keyOf, sameKeyAt, word } from '../args.js';
import {
  equalTo, listCodec, listSpec, longArg, replySink, replyPopped, replyPoppedOne, settle,
  writableStored, writeList,
} from './list-entries.js';
import { insertInBlob, popInBlob, pushInBlob, removeInBlob, setInBlob, trimInBlob } from './lists-packed.js';
import { listBlockingCommands } from './lists-blocking.js';
import { listMoveCommands } from './lists-move.js';
import { Errors } from '../../protocol/errors.js';
import { normalizeIndex, normalizeRange } from '../../store/types/list.js';
import type { ListEntry } from '../../store/keyspace.js';
import type { CommandSpec, Session } from '../types.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { replyOpened } from '../values/sealing.js';
import { packedPositions, readPackedOf, replyPackedElement, replyPackedList } from '../values/packed-reads.js';
import { isPackedForm } from '../../store/packed-record.js';
import { Kind } from '../../store/entry.js';

/**
 * Redis getPositiveLongFromObjectOrReply: 0 or more; null for anything else, a text that is
 * not an integer included (the caller answers its one error for both).
 */
function nonNegative(arg: Buffer): number | null {
  const n = int64(arg);
  return n === null || n < 0n ? null : Number(n);
}

// ---- pushing ----

/**
 * A push's change to its list, without a closure per call: what it needs is set just before
 * writeList() calls it (nothing runs in between, and it does not re-enter).
 */
const NO_ARGS: Buffer[] = [];
let pushCtx: Session | null = null;
let pushKey = '';
let pushArgs: ArgList = NO_ARGS;
let pushHeadSide = true;
let pushedLength = 0;

function pushElements(list: ListEntry): boolean {
  const c = listCodec(pushCtx!, pushKey);
  const args = pushArgs;
  if (args.length === 3) {
    if (pushHeadSide) list.pushHead(args.at(2)!, c);
    else list.pushTail(args.at(2)!, c);
  } else {
    list.pushMany(args, 2, pushHeadSide, c);
  }
  pushedLength = list.length;
  return true;
}

/** LPUSH, RPUSH and their X forms (push only onto an existing list): replies the new length. */
function push(ctx: Session, args: ArgList, head: boolean, onlyExisting: boolean): void {
  const key = sameKeyAt(ctx, args, 1);
  const stored = ctx.db.getStored(key, ctx.now);
  const packed = stored !== undefined && isPackedForm(stored);
  if (packed && stored.kind === Kind.List && pushInBlob(ctx, key, stored, args, head)) return;
  if (onlyExisting) {
    const found = writableStored(ctx, key, stored);
    if (found === null) return;
    if (found === undefined) return ctx.reply.integer(0);
  }
  pushCtx = ctx;
  pushKey = key;
  pushArgs = args;
  pushHeadSide = head;
  pushedLength = 0;
  let ok: boolean;
  try {
    ok = writeList(ctx, key, head ? 'lpush' : 'rpush', pushElements, packed ? undefined : stored);
  } finally {
    pushCtx = null;
    pushArgs = NO_ARGS;
  }
  if (ok) ctx.reply.integer(pushedLength);
}

const lpush = (ctx: Session, args: ArgList) => push(ctx, args, true, false);
const rpush = (ctx: Session, args: ArgList) => push(ctx, args, false, false);
const lpushx = (ctx: Session, args: ArgList) => push(ctx, args, true, true);
const rpushx = (ctx: Session, args: ArgList) => push(ctx, args, false, true);

// ---- popping ----

function pop(ctx: Session, args: ArgList, head: boolean): void {
  if (args.length > 3) return ctx.reply.error(Errors.wrongArity(head ? 'lpop' : 'rpop'));
  const counted = args.length === 3;
  let count = 0;
  if (counted) {
    const n = nonNegative(args.at(2)!);
    if (n === null) return ctx.reply.error(Errors.mustBePositive);
    count = n;
  }
  const key = sameKeyAt(ctx, args, 1);
  const stored = ctx.db.getStored(key, ctx.now);
  const packed = stored !== undefined && isPackedForm(stored) && stored.kind === Kind.List;
  if (packed && counted && count === 0) return ctx.reply.arrayLen(0);
  if (packed && popInBlob(ctx, key, stored, head, counted, counted ? count : 1)) return;
  const list = writableStored(ctx, key, stored);
  if (list === null) return;
  if (list === undefined) return counted ? ctx.reply.nullArray() : ctx.reply.nullBulk();
  if (counted && count === 0) return ctx.reply.arrayLen(0);
  const ok = counted ? replyPopped(ctx, key, list, head, count) : replyPoppedOne(ctx, key, list, head);
  if (ok) settle(ctx, key, head ? 'lpop' : 'rpop');
}

const lpop = (ctx: Session, args: ArgList) => pop(ctx, args, true);
const rpop = (ctx: Session, args: ArgList) => pop(ctx, args, false);

// ---- reading ----

function llen(ctx: Session, args: Buffer[]): void {
  const list = readPackedOf(ctx, keyOf(ctx, args[1]!), Kind.List);
  if (list !== null) ctx.reply.integer(list === undefined ? 0 : isPackedForm(list) ? list.count : list.length);
}

/** The key is looked up before the index is read: LINDEX of a missing key is nil whatever the index. */
function lindex(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const list = readPackedOf(ctx, key, Kind.List);
  if (list === null) return;
  if (list === undefined) return ctx.reply.nullBulk();
  const index = longArg(ctx, args[2]!);
  if (index === null) return;
  const i = normalizeIndex(index, isPackedForm(list) ? list.count : list.length);
  if (i < 0) return ctx.reply.nullBulk();
  // A small list packed at rest answers from its blob and stays packed.
  if (isPackedForm(list)) return replyPackedElement(ctx, key, list, i);
  replyOpened(ctx, () => list.peek(i, replySink(ctx), listCodec(ctx, key)));
}

function lrange(ctx: Session, args: Buffer[]): void {
  const start = longArg(ctx, args[2]!);
  if (start === null) return;
  const stop = longArg(ctx, args[3]!);
  if (stop === null) return;
  const key = keyOf(ctx, args[1]!);
  const list = readPackedOf(ctx, key, Kind.List);
  if (list === null) return;
  if (list === undefined) return ctx.reply.arrayLen(0);
  const range = normalizeRange(start, stop, isPackedForm(list) ? list.count : list.length);
  if (range === null) return ctx.reply.arrayLen(0);
  const [first, last] = range;
  // A small list packed at rest answers from its blob and stays packed.
  if (isPackedForm(list)) return replyPackedList(ctx, key, list, first, last);
  replyOpened(ctx, () => {
    ctx.reply.arrayLen(last - first + 1);
    list.range(first, last, replySink(ctx), listCodec(ctx, key));
  });
}

// ---- changing in place ----

/** LSET: the key first ("no such key"), then the index, then whether it is in range. */
function lset(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(key, ctx.now);
  if (stored === undefined) return ctx.reply.error(Errors.noSuchKey);
  if (stored.kind !== Kind.List) return ctx.reply.error(Errors.wrongType);
  const index = longArg(ctx, args[2]!);
  if (index === null) return;
  if (isPackedForm(stored)) {
    const i = normalizeIndex(index, stored.count);
    if (i < 0) return ctx.reply.error(Errors.indexOutOfRange);
    if (setInBlob(ctx, key, stored, i, args[3]!)) return;
  }
  const list = writableStored(ctx, key, stored)!;
  const i = normalizeIndex(index, list.length);
  if (i < 0) return ctx.reply.error(Errors.indexOutOfRange);
  // A sealed node is opened to be edited: it may fail to open.
  if (!replyOpened(ctx, () => list.set(i, args[3]!, listCodec(ctx, key)))) return;
  settle(ctx, key, 'lset');
  ctx.reply.ok();
}

/** LINSERT: -1 when the pivot is not there, 0 when the key is missing, else the new length. */
function linsert(ctx: Session, args: Buffer[]): void {
  const where = word(args[2]!);
  if (where !== 'before' && where !== 'after') return ctx.reply.error(Errors.syntax);
  const key = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(key, ctx.now);
  if (stored !== undefined && isPackedForm(stored) && stored.kind === Kind.List && insertInBlob(ctx, key, stored, where === 'before', args[3]!, args[4]!)) return;
  const list = writableStored(ctx, key, stored);
  if (list === null) return;
  if (list === undefined) return ctx.reply.integer(0);
  let pivot = -1;
  const c = listCodec(ctx, key);
  if (!replyOpened(ctx, () => (pivot = list.indexOf(equalTo(args[3]!), c)))) return;
  if (pivot < 0) return ctx.reply.integer(-1);
  if (!replyOpened(ctx, () => list.insertAt(where === 'before' ? pivot : pivot + 1, args[4]!, c))) return;
  settle(ctx, key, 'linsert');
  ctx.reply.integer(list.length);
}

function lrem(ctx: Session, args: Buffer[]): void {
  const count = longArg(ctx, args[2]!);
  if (count === null) return;
  const key = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(key, ctx.now);
  if (stored !== undefined && isPackedForm(stored) && stored.kind === Kind.List && removeInBlob(ctx, key, stored, count, args[3]!)) return;
  const list = writableStored(ctx, key, stored);
  if (list === null) return;
  if (list === undefined) return ctx.reply.integer(0);
  const before = list.length;
  let removed = 0;
  const ok = replyOpened(ctx, () => (removed = list.removeWhere(equalTo(args[3]!), count, listCodec(ctx, key))));
  // Even after a seal error, whatever went before it is filed (and the emptied list deleted).
  if (list.length !== before) settle(ctx, key, 'lrem');
  if (ok) ctx.reply.integer(removed);
}

/** LTRIM signals even when nothing is cut, as Redis does; a missing key is OK. */
function ltrim(ctx: Session, args: Buffer[]): void {
  const start = longArg(ctx, args[2]!);
  if (start === null) return;
  const stop = longArg(ctx, args[3]!);
  if (stop === null) return;
  const key = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(key, ctx.now);
  if (stored !== undefined && isPackedForm(stored) && stored.kind === Kind.List && trimInBlob(ctx, key, stored, normalizeRange(start, stop, stored.count))) return;
  const list = writableStored(ctx, key, stored);
  if (list === null) return;
  if (list === undefined) return ctx.reply.ok();
  const ok = replyOpened(ctx, () => list.trim(normalizeRange(start, stop, list.length), listCodec(ctx, key)));
  settle(ctx, key, 'ltrim');
  if (!ok) return;
  ctx.reply.ok();
}

// ---- searching ----

const INT64_MIN = -(2n ** 63n);

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: options first, then the key. */
function lpos(ctx: Session, args: Buffer[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  // RANK LONG_MIN: Redis negates a negative rank to walk from the tail, and -LONG_MIN overflows
  // back to LONG_MIN, so every match from the tail counts and COUNT never ends the walk.
  let everyMatch = false;
  for (let i = 3; i < args.length; i++) {
    const opt = word(args[i]!);
    const more = i + 1 < args.length;
    if (opt === 'rank' && more) {
      const n = int64(args[++i]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      if (n === 0n) return ctx.reply.error(Errors.lposRankZero);
      everyMatch = n === INT64_MIN;
      rank = everyMatch ? -1 : Number(n);
    } else if (opt === 'count' && more) {
      const n = nonNegative(args[++i]!);
      if (n === null) return ctx.reply.error(Errors.lposCountNegative);
      count = n;
    } else if (opt === 'maxlen' && more) {
      const n = nonNegative(args[++i]!);
      if (n === null) return ctx.reply.error(Errors.lposMaxlenNegative);
      maxlen = n;
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const key = keyOf(ctx, args[1]!);
  const list = readPackedOf(ctx, key, Kind.List);
  if (list === null) return;
  if (list === undefined) return count >= 0 ? ctx.reply.arrayLen(0) : ctx.reply.nullBulk();
  let found: number[] | null = [];
  const want = count < 0 ? 1 : everyMatch ? 0 : count;
  // A small packed list answers from its blob and stays packed.
  if (isPackedForm(list)) found = packedPositions(ctx, key, list, args[2]!, rank, want, maxlen);
  else if (!replyOpened(ctx, () => (found = list.positions(equalTo(args[2]!), rank, want, maxlen, listCodec(ctx, key))))) return;
  if (found === null) return;
  if (count < 0) {
    if (found.length === 0) ctx.reply.nullBulk();
    else ctx.reply.integer(found[0]!);
    return;
  }
  ctx.reply.arrayLen(found.length);
  for (const i of found) ctx.reply.integer(i);
}

// ---- table ----

export const listCommands: CommandSpec[] = [
  listSpec('lpush', -3, 'write-grow', true, ['RW', 'INSERT'], 'Prepend one or multiple elements to a list', '1.0.0', takesRawArgs(lpush),
    'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.'),
  listSpec('rpush', -3, 'write-grow', true, ['RW', 'INSERT'], 'Append one or multiple elements to a list', '1.0.0', takesRawArgs(rpush),
    'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.'),
  listSpec('lpushx', -3, 'write-grow', true, ['RW', 'INSERT'], 'Prepend an element to a list, only if the list exists', '2.2.0', takesRawArgs(lpushx),
    'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.'),
  listSpec('rpushx', -3, 'write-grow', true, ['RW', 'INSERT'], 'Append an element to a list, only if the list exists', '2.2.0', takesRawArgs(rpushx),
    'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.'),
  listSpec('lpop', -2, 'write', true, ['RW', 'ACCESS', 'DELETE'], 'Remove and get the first elements in a list', '1.0.0', takesRawArgs(lpop),
    'O(N) where N is the number of elements returned'),
  listSpec('rpop', -2, 'write', true, ['RW', 'ACCESS', 'DELETE'], 'Remove and get the last elements in a list', '1.0.0', takesRawArgs(rpop),
    'O(N) where N is the number of elements returned'),
  listSpec('llen', 2, 'read', true, ['RO'], 'Get the length of a list', '1.0.0', llen, 'O(1)'),
  listSpec('lrange', 4, 'read', false, ['RO', 'ACCESS'], 'Get a range of elements from a list', '1.0.0', lrange,
    'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.'),
  listSpec('lindex', 3, 'read', false, ['RO', 'ACCESS'], 'Get an element from a list by its index', '1.0.0', lindex,
    'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).'),
  listSpec('lset', 4, 'write-grow', false, ['RW', 'UPDATE'], 'Set the value of an element in a list by its index', '1.0.0', lset,
    'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).'),
  listSpec('linsert', 5, 'write-grow', false, ['RW', 'INSERT'], 'Insert an element before or after another element in a list', '2.2.0', linsert,
    'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).'),
  listSpec('lrem', 4, 'write', false, ['RW', 'DELETE'], 'Remove elements from a list', '1.0.0', lrem,
    'O(N+M) where N is the length of the list and M is the number of elements removed.'),
  listSpec('ltrim', 4, 'write', false, ['RW', 'DELETE'], 'Trim a list to the specified range', '1.0.0', ltrim,
    'O(N) where N is the number of elements to be removed by the operation.'),
  listSpec('lpos', -3, 'read', false, ['RO', 'ACCESS'], 'Return the index of matching elements on a list', '6.0.6', lpos,
    'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.'),
  ...listMoveCommands,
  ...listBlockingCommands,
];
