// MULTI/EXEC/DISCARD/WATCH/UNWATCH (redis multi.c). The dispatcher queues commands while a
// transaction is open and marks it failed when one is rejected; these handlers open, run and
// close it. WATCH shares one dirty flag per connection across all of its watched keys.

import { checkPermissions } from '../../acl/permissions.js';
import { refuseAtExec } from '../../acl/refuse.js';
import { keyOf } from '../args.js';
import { Errors } from '../../protocol/errors.js';
import { ownArgs, wipeArgs } from '../../util/bytes.js';
import { span } from '../key-specs.js';
import type { CommandSpec, QueuedCommand, Session } from '../types.js';
import { runHandler } from '../run-handler.js';
import { QUEUED_ARG_BYTES, QUEUED_COMMAND_BYTES, WATCHED_KEY_BYTES } from '../../store/memory.js';

/** What a queued command keeps (CLIENT LIST multi-mem, the connection's memory): its arguments and their objects. */
export function queuedBytes(args: readonly Buffer[]): number {
  let bytes = QUEUED_COMMAND_BYTES;
  for (const a of args) bytes += a.length + QUEUED_ARG_BYTES;
  return bytes;
}

/**
 * Queues a command inside MULTI. Its arguments are copied out of the connection's read buffer,
 * which is reused for the next read, and zeroed when the transaction ends (EXEC, DISCARD, an
 * aborted EXEC, the connection closing).
 */
export function queueCommand(ctx: Session, spec: CommandSpec, fullName: string, args: Buffer[]): void {
  ctx.multi!.push({ spec, fullName, args: ownArgs(args) });
  ctx.heldBytes += queuedBytes(args);
}

/** Zeroes the queued commands' arguments and leaves MULTI. */
function dropQueue(ctx: Session): void {
  if (ctx.multi !== null) {
    for (const q of ctx.multi) {
      ctx.heldBytes -= queuedBytes(q.args);
      wipeArgs(q.args);
    }
  }
  ctx.multi = null;
}

function multi(ctx: Session): void {
  // Not a queueing error: a nested MULTI leaves the open transaction intact, as in Redis.
  if (ctx.multi !== null) return ctx.reply.error(Errors.multiNested);
  ctx.multi = [];
  ctx.multiFailed = false;
  ctx.reply.ok();
}

function discard(ctx: Session): void {
  if (ctx.multi === null) return ctx.reply.error(Errors.discardWithoutMulti);
  endTransaction(ctx);
  ctx.reply.ok();
}

function exec(ctx: Session): void | Promise<void> {
  const queued = ctx.multi;
  if (queued === null) return ctx.reply.error(Errors.execWithoutMulti);
  const doomed = ctx.multiFailed;
  const touched = watchedKeysTouched(ctx);
  ctx.multiFailed = false;
  unwatchAll(ctx);
  if (doomed || touched) {
    dropQueue(ctx);
    return doomed ? ctx.reply.error(Errors.execAbort) : ctx.reply.nullArray();
  }
  ctx.reply.arrayLen(queued.length);
  // As in Redis, the client stays flagged as in MULTI until its last queued command has run
  // (CLIENT INFO inside EXEC shows flags=x). The dispatcher is not involved, so nothing queues.
  // Queued blocking commands answer at once (src/blocking/): nothing may run between them.
  let pending: void | Promise<void> = undefined;
  ctx.atomic++;
  try {
    pending = runQueued(ctx, queued, 0);
  } finally {
    if (pending === undefined) {
      ctx.atomic--;
      dropQueue(ctx);
    }
  }
  if (pending === undefined) return;
  return pending.finally(() => {
    ctx.atomic--;
    dropQueue(ctx);
  });
}

/**
 * Whether the user may still run a queued command: ACL rules may have changed since it was
 * queued (ACL SETUSER, ACL LOAD from another connection), so Redis checks again at EXEC and
 * answers a refused one with an error in its place. Handshake commands are never refused.
 */
function stillAllowed(ctx: Session, q: QueuedCommand): boolean {
  if (ctx.aclUser.unrestricted || q.spec.flags.includes('no_auth')) return true;
  const denied = checkPermissions(ctx.aclUser, q.spec, q.fullName, q.args, ctx.server.names.sealed);
  if (denied === null) return true;
  ctx.reply.error(refuseAtExec(ctx, denied.reason, denied.object));
  return false;
}

/**
 * Runs queued commands from `from` on, each writing its reply (an error included) as one
 * element of EXEC's array. A command that must wait holds back the rest, keeping their order.
 */
function runQueued(ctx: Session, queued: QueuedCommand[], from: number): void | Promise<void> {
  for (let i = from; i < queued.length; i++) {
    const { spec, args } = queued[i]!;
    if (!stillAllowed(ctx, queued[i]!)) continue;
    ctx.now = ctx.server.clock();
    ctx.server.stats.totalCommands++;
    const pending = runHandler(ctx, spec, args);
    if (pending !== undefined) {
      return pending.then(
        () => runQueued(ctx, queued, i + 1),
        (err: unknown) => {
          // The array already promised this element: fill it with an error rather than tear it.
          ctx.server.log.error({ client: ctx.id, err: String(err) }, 'command inside EXEC failed');
          ctx.reply.error('ERR internal error');
          return runQueued(ctx, queued, i + 1);
        },
      );
    }
  }
}

/**
 * Whether a watched key changed since WATCH. Looking each key up first expires it if its time
 * has passed, which marks the flag: Redis 7 also fails EXEC when a watched key expired meanwhile.
 */
function watchedKeysTouched(ctx: Session): boolean {
  const w = ctx.watching;
  if (w === null) return false;
  // getStored: expires as get() does, and leaves a small collection packed at rest as it is.
  for (const [db, key] of w.keys) db.getStored(key, ctx.now);
  return w.flag.dirty;
}

/** Leaves MULTI: drops the queue and the failed mark, forgets WATCHed keys (also used by an OOM-refused EXEC). */
export function endTransaction(ctx: Session): void {
  dropQueue(ctx);
  ctx.multiFailed = false;
  unwatchAll(ctx);
}

/** Forgets every WATCHed key (EXEC, DISCARD, UNWATCH, RESET). */
export function unwatchAll(ctx: Session): void {
  const w = ctx.watching;
  if (w === null) return;
  for (const [db, key] of w.keys) db.unwatch(key, w.flag);
  ctx.heldBytes -= w.keys.length * WATCHED_KEY_BYTES;
  ctx.watching = null;
}

function watch(ctx: Session, args: Buffer[]): void {
  // Replied as an error but, like a nested MULTI, does not doom the transaction.
  if (ctx.multi !== null) return ctx.reply.error(Errors.watchInMulti);
  const w = (ctx.watching ??= { flag: { dirty: false }, keys: [] });
  // The keys already watched in this database, to skip repeats: one pass per WATCH, not one per
  // key (Redis scans its list per key, so WATCH of 100,000 names took minutes of CPU, with every
  // other client waiting).
  const watched = new Set<string>();
  for (const [db, k] of w.keys) if (db === ctx.db) watched.add(k);
  for (let i = 1; i < args.length; i++) {
    const key = keyOf(ctx, args[i]!);
    if (watched.has(key)) continue;
    watched.add(key);
    // A key already past its TTL is removed now, before the watch starts, so its expiry does
    // not count as a change (Redis records such keys as "expired at WATCH time"). A packed key stays packed.
    ctx.db.getStored(key, ctx.now);
    ctx.db.watch(key, w.flag);
    w.keys.push([ctx.db, key]);
    ctx.heldBytes += WATCHED_KEY_BYTES;
  }
  ctx.reply.ok();
}

function unwatch(ctx: Session): void {
  unwatchAll(ctx);
  ctx.reply.ok();
}

const base = { group: 'transactions', since: '1.2.0' } as const;

export const transactionCommands: CommandSpec[] = [
  {
    ...base, name: 'multi', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    categories: ['@fast', '@transaction'], summary: 'Mark the start of a transaction block', complexity: 'O(1)', handler: multi,
  },
  {
    ...base, name: 'exec', arity: 1, flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    categories: ['@slow', '@transaction'], summary: 'Execute all commands issued after MULTI', complexity: 'Depends on commands in the transaction', handler: exec,
  },
  {
    ...base, name: 'discard', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], since: '2.0.0',
    categories: ['@fast', '@transaction'], summary: 'Discard all commands issued after MULTI', complexity: 'O(N), when N is the number of queued commands', handler: discard,
  },
  {
    ...base, name: 'watch', arity: -2, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], since: '2.2.0',
    // WATCH remembers the keys, never their values (NO_VALUE: spilled values stay put).
    keySpecs: [span(1, -1, 1, 'RO', 'NO_VALUE')],
    categories: ['@fast', '@transaction'], summary: 'Watch the given keys to determine execution of the MULTI/EXEC block',
    complexity: 'O(1) for every key.', handler: watch,
  },
  {
    ...base, name: 'unwatch', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'], since: '2.2.0',
    categories: ['@fast', '@transaction'], summary: 'Forget about all watched keys', complexity: 'O(1)', handler: unwatch,
  },
];
