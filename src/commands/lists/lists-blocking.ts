// The blocking pops (redis t_list.c blockingPopGenericCommand, blmoveGenericCommand, and
// blocked.c serveClientBlockedOnList): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP. With data
// there they answer as the plain pop would; otherwise they wait in the blocking table
// (src/blocking/), which offers them each key that a later write (after the whole command: EXEC,
// a script) left ready, oldest waiter first. Inside MULTI they answer at once as on a timeout.

import { keyOf } from '../args.js';
import { parseTimeout } from '../../blocking/timeout.js';
import { listCodec, listSpec, replySink, replyPopped, settle, side, writableStored } from './list-entries.js';
import { popInBlob } from './lists-packed.js';
import { isPackedForm } from '../../store/packed-record.js';
import { Errors } from '../../protocol/errors.js';
import { moveElement, MOVE_KEYS, mpopFirst, parseMpop } from './lists-move.js';
import { Kind } from '../../store/keyspace.js';
import { index, keynum, keySpec, span } from '../key-specs.js';
import type { Wait } from '../../blocking/waiters.js';
import { ownArgs, wipeArgs } from '../../util/bytes.js';
import type { CommandSpec, Session } from '../types.js';
import { replyOpened } from '../values/sealing.js';

/** The timeout in ms (0: for ever), or null after replying Redis's error. */
function timeoutOf(ctx: Session, arg: Buffer): number | null {
  const t = parseTimeout(arg, 'seconds', ctx.now);
  if (typeof t === 'number') return t;
  ctx.reply.error(`ERR ${t}`);
  return null;
}

/**
 * Blocks with the wait `make` builds from a copy of the arguments: the request's own buffers
 * are wiped once the handler returns (net/client.ts), the copy when the wait is over.
 */
function waitWith(ctx: Session, args: Buffer[], make: (kept: Buffer[]) => Wait): void | Promise<void> {
  const kept = ownArgs(args);
  const pending = ctx.server.blocking.block(ctx, make(kept));
  if (pending === undefined) return wipeArgs(kept);
  return pending.finally(() => wipeArgs(kept));
}

/**
 * Runs `attempt` as one step of a waiter being served: its key arguments are looked up again so
 * a list it creates learns its sealed name (seal-keys), and forgotten after it.
 */
function served<T>(ctx: Session, attempt: () => T): T {
  try {
    return attempt();
  } finally {
    ctx.server.names.endCommand();
  }
}

/**
 * Pops one element from key's list as [key, element]; false when key holds no list (the waiter
 * keeps waiting, as Redis only serves list keys). A seal error is replied and counts as served.
 */
function popOneFrom(ctx: Session, keyArg: Buffer, head: boolean): boolean {
  const key = keyOf(ctx, keyArg);
  const stored = ctx.db.getStored(key, ctx.now);
  if (stored === undefined || stored.kind !== Kind.List) return false;
  // A small list at rest pops from its blob and stays packed (lists-packed.ts).
  if (isPackedForm(stored) && popInBlob(ctx, key, stored, head, false, 1, keyArg)) return true;
  const entry = writableStored(ctx, key, stored)!;
  const ok = replyOpened(ctx, () => {
    ctx.reply.arrayLen(2);
    ctx.reply.bulk(keyArg);
    const c = listCodec(ctx, key);
    if (head) entry.takeHead(replySink(ctx), c);
    else entry.takeTail(replySink(ctx), c);
  });
  if (ok) settle(ctx, key, head ? 'lpop' : 'rpop');
  return true;
}

/** BLPOP and BRPOP: the timeout first, then the keys in order; the first list found is popped. */
function bpop(ctx: Session, args: Buffer[], head: boolean): void | Promise<void> {
  const timeout = timeoutOf(ctx, args[args.length - 1]!);
  if (timeout === null) return;
  const keyArgs = args.slice(1, -1);
  for (const arg of keyArgs) {
    const stored = ctx.db.getStored(keyOf(ctx, arg), ctx.now);
    if (stored === undefined) continue;
    if (stored.kind !== Kind.List) return ctx.reply.error(Errors.wrongType);
    popOneFrom(ctx, arg, head);
    return;
  }
  return waitWith(ctx, args, (kept) => {
    const byKey = new Map(kept.slice(1, -1).map((arg) => [keyOf(ctx, arg), arg]));
    return {
      keys: [...byKey.keys()],
      timeout,
      serve: (key) => served(ctx, () => popOneFrom(ctx, byKey.get(key)!, head)),
      timedOut: () => ctx.reply.nullArray(),
    };
  });
}

const blpop = (ctx: Session, args: Buffer[]) => bpop(ctx, args, true);
const brpop = (ctx: Session, args: Buffer[]) => bpop(ctx, args, false);

/**
 * BLMOVE / BRPOPLPUSH: a source that holds a list moves at once; a missing one waits. Served
 * when the source gets elements; a destination of another type by then answers WRONGTYPE
 * (Redis serves the waiter with the error). Redis 7.0's nils differ by path: a bulk nil when it
 * may not wait, a null array after a wait timed out (blocked.c replyToBlockedClientTimedOut).
 */
function blockingMove(ctx: Session, args: Buffer[], fromHead: boolean, toHead: boolean, timeout: number): void | Promise<void> {
  const src = keyOf(ctx, args[1]!);
  const stored = ctx.db.getStored(src, ctx.now);
  if (stored !== undefined) {
    // moveElement answers WRONGTYPE for a source of another type, as Redis does before waiting.
    moveElement(ctx, args[1]!, args[2]!, fromHead, toHead);
    return;
  }
  // Not allowed to wait (MULTI, scripts): nil as a bulk, as blmoveGenericCommand answers then.
  if (ctx.atomic > 0) return ctx.reply.nullBulk();
  return waitWith(ctx, args, (kept) => ({
    keys: [src],
    timeout,
    serve: () => served(ctx, () => {
      const entry = ctx.db.get(keyOf(ctx, kept[1]!), ctx.now);
      if (entry === undefined || entry.kind !== Kind.List) return false;
      moveElement(ctx, kept[1]!, kept[2]!, fromHead, toHead);
      return true;
    }),
    // A real timeout (or CLIENT UNBLOCK) answers a null array, as Redis 7.0 does for every list wait.
    timedOut: () => ctx.reply.nullArray(),
  }));
}

function blmove(ctx: Session, args: Buffer[]): void | Promise<void> {
  const from = side(ctx, args[3]!);
  if (from === null) return;
  const to = side(ctx, args[4]!);
  if (to === null) return;
  const timeout = timeoutOf(ctx, args[5]!);
  if (timeout === null) return;
  return blockingMove(ctx, args, from, to, timeout);
}

function brpoplpush(ctx: Session, args: Buffer[]): void | Promise<void> {
  const timeout = timeoutOf(ctx, args[3]!);
  if (timeout === null) return;
  return blockingMove(ctx, args, false, true, timeout);
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the timeout is read last, as Redis does. */
function blmpop(ctx: Session, args: Buffer[]): void | Promise<void> {
  const parsed = parseMpop(ctx, args, 2);
  if (parsed === null) return;
  const timeout = timeoutOf(ctx, args[1]!);
  if (timeout === null) return;
  const outcome = mpopFirst(ctx, args, parsed);
  if (outcome !== 'none') return;
  return waitWith(ctx, args, (kept) => {
    const byKey = new Map<string, Buffer>();
    for (let i = parsed.first; i < parsed.first + parsed.numkeys; i++) byKey.set(keyOf(ctx, kept[i]!), kept[i]!);
    return {
      keys: [...byKey.keys()],
      timeout,
      serve: (key) => served(ctx, () => {
        const keyArg = byKey.get(key)!;
        const lookup = keyOf(ctx, keyArg);
        const entry = ctx.db.get(lookup, ctx.now);
        if (entry === undefined || entry.kind !== Kind.List) return false;
        if (replyPopped(ctx, lookup, entry, parsed.head, parsed.count, keyArg)) settle(ctx, lookup, parsed.head ? 'lpop' : 'rpop');
        return true;
      }),
      timedOut: () => ctx.reply.nullArray(),
    };
  });
}

const POP_KEYS = [span(1, -2, 1, 'RW', 'ACCESS', 'DELETE')];

export const listBlockingCommands: CommandSpec[] = [
  listSpec('blpop', -3, 'block', false, POP_KEYS, 'Remove and get the first element in a list, or block until one is available', '2.0.0', blpop,
    'O(N) where N is the number of provided keys.'),
  listSpec('brpop', -3, 'block', false, POP_KEYS, 'Remove and get the last element in a list, or block until one is available', '2.0.0', brpop,
    'O(N) where N is the number of provided keys.'),
  listSpec('blmove', 6, 'block-grow', false, MOVE_KEYS, 'Pop an element from a list, push it to another list and return it; or block until one is available', '6.2.0', blmove, 'O(1)'),
  listSpec('brpoplpush', 4, 'block-grow', false, MOVE_KEYS, 'Pop an element from a list, push it to another list and return it; or block until one is available', '2.2.0', brpoplpush, 'O(1)'),
  listSpec('blmpop', -5, 'block', false, [keySpec(index(2), keynum(0, 1, 1), ['RW', 'ACCESS', 'DELETE'])], 'Pop elements from a list, or block until one is available', '7.0.0', blmpop,
    'O(N+M) where N is the number of provided keys and M is the number of elements returned.'),
];
