// CLIENT PAUSE / UNPAUSE (redis pauseClients, blockPostponeClient). While a pause lasts, a
// command it covers waits: dispatch gets a promise from holdIfPaused, the connection's later
// commands queue behind it (replies keep request order), and when the pause ends the command
// goes through the dispatcher again, in the order the commands were held, as Redis re-processes
// postponed clients. Nothing is dropped.
//
// While a pause lasts, keys whose time has passed are hidden from reads but not deleted, and the
// active expiry cycle stops (Redis 7.0: replicas see a still dataset during a failover).
//
// A difference from Redis 7.0, on purpose: CLIENT UNPAUSE is never held, so a mistaken
// `CLIENT PAUSE 99999999999` (ALL) can be undone without a restart; Redis holds it like
// everything else. A FAILOVER, and a SHUTDOWN waiting for replicas, hold writes with a pause
// of their own, which stills expiry and eviction in the same way.

import { argArray, type ArgList } from '../../protocol/arg-list.js';
import { ownArgs, wipeArgs } from '../../util/bytes.js';
import { isMonitor } from './monitor.js';
import { declaresNoWrites } from '../scripting/scripting.js';
import type { ClientState, CommandSpec, Server, Session } from '../types.js';

export type PauseMode = 'write' | 'all';

interface Pause {
  mode: PauseMode;
  /** performance.now() at which the pause ends. */
  until: number;
  timer: NodeJS.Timeout | null;
  /** Held commands, released in this order (a Set keeps insertion order). */
  waiters: Set<() => void>;
}

/** setTimeout's longest delay; longer pauses re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const pauses = new WeakMap<Server, Pause>();
/**
 * MIGRATEs in flight per server: while one waits for its target, every other client's command
 * waits too (holdOthersDuring), as Redis's MIGRATE blocks the whole server.
 */
const migrations = new WeakMap<Server, { owners: Set<Session>; waiters: Set<() => void> }>();
/** Servers with a pause or a migration on: the dispatcher's check is one comparison while it is 0. */
let active = 0;
/** Clients with a held command, and the bytes of its arguments (CLIENT LIST flag b, argv-mem). */
const held = new WeakMap<ClientState, number>();

/** CLIENT PAUSE: a longer or stricter pause extends the current one, never shortens it (Redis). */
export function pauseClients(server: Server, ms: number, mode: PauseMode): void {
  const until = performance.now() + ms;
  let p = pauses.get(server);
  if (p === undefined) {
    p = { mode, until, timer: null, waiters: new Set() };
    pauses.set(server, p);
    active++;
    stillDataset(server);
  } else {
    if (mode === 'all') p.mode = 'all';
    if (until > p.until) p.until = until;
  }
  arm(server, p);
}

function arm(server: Server, p: Pause): void {
  if (p.timer !== null) clearTimeout(p.timer);
  const left = p.until - performance.now();
  if (left <= 0) return unpauseClients(server);
  p.timer = setTimeout(() => arm(server, p), Math.min(Math.ceil(left), MAX_TIMER_MS));
  p.timer.unref();
}

/** Ends the pause and lets every held command run again, in the order they were held. */
export function unpauseClients(server: Server): void {
  const p = pauses.get(server);
  if (p === undefined) return;
  if (p.timer !== null) clearTimeout(p.timer);
  pauses.delete(server);
  active--;
  stillDataset(server);
  for (const release of p.waiters) release();
}

/**
 * Holds every command of the other clients until the returned function is called (MIGRATE,
 * redis migrateCommand: Redis does its socket I/O with the server blocked, so no client can
 * change or read a key between its DUMP on this node, its RESTORE on the target and its
 * deletion here). Held commands then go through the dispatcher again, in order; a CLIENT PAUSE
 * that is still on holds them again.
 */
export function holdOthersDuring(ctx: Session): () => void {
  let m = migrations.get(ctx.server);
  if (m === undefined) {
    m = { owners: new Set(), waiters: new Set() };
    migrations.set(ctx.server, m);
    active++;
  }
  const hold = m;
  hold.owners.add(ctx);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    hold.owners.delete(ctx);
    if (hold.owners.size > 0) return;
    migrations.delete(ctx.server);
    active--;
    for (const release of hold.waiters) release();
  };
}

/**
 * While any pause lasts the dataset stays still, as Redis's checkClientPauseTimeoutAndReturnIfPaused
 * makes it: expired keys hidden but kept, no active expiry, no eviction (store/keyspace.ts, memory.ts).
 */
function stillDataset(server: Server): void {
  const still = pauses.has(server) || writeHolds.has(server);
  for (const db of server.databases) db.expiryPaused = still;
}

/** Clients whose command a CLIENT PAUSE holds: Redis counts them in INFO blocked_clients. */
export function pausedClients(server: Server): number {
  return (pauses.get(server)?.waiters.size ?? 0) + (writeHolds.get(server)?.waiters.size ?? 0);
}

/**
 * The server's own write holds (redis PAUSE_DURING_FAILOVER, PAUSE_DURING_SHUTDOWN): writes are
 * held from FAILOVER until the handover ends, and from a SHUTDOWN that waits for lagging replicas
 * until it ends or is aborted. They are apart from any CLIENT PAUSE, so CLIENT UNPAUSE does not
 * end them and their end does not end a client's pause. A command released here meets a CLIENT
 * PAUSE that is still on (or the READONLY of a node that became a replica) when it is
 * dispatched again.
 */
export type HoldPurpose = 'failover' | 'shutdown';
const writeHolds = new WeakMap<Server, Pause & { purposes: Set<HoldPurpose> }>();

export function holdWrites(server: Server, purpose: HoldPurpose): void {
  const h = writeHolds.get(server);
  if (h !== undefined) return void h.purposes.add(purpose);
  writeHolds.set(server, { mode: 'write', until: Infinity, timer: null, waiters: new Set(), purposes: new Set([purpose]) });
  active++;
  stillDataset(server);
}

/** Ends the hold for this purpose; held writes go on once no purpose holds them. */
export function releaseWrites(server: Server, purpose: HoldPurpose): void {
  const h = writeHolds.get(server);
  if (h === undefined || !h.purposes.delete(purpose) || h.purposes.size > 0) return;
  writeHolds.delete(server);
  active--;
  stillDataset(server);
  for (const release of h.waiters) release();
}

/** Whether the client's current command is held by a pause, and the bytes of its arguments. */
export function heldBytes(c: ClientState): number | undefined {
  return held.get(c);
}

/** Writes or may replicate; a script that declared no-writes does neither (declaresNoWrites). */
function writes(server: Server, spec: CommandSpec, fullName: string, args: ArrayLike<Buffer>): boolean {
  if (!spec.flags.includes('write') && !spec.flags.includes('may_replicate')) return false;
  return !declaresNoWrites(server, fullName, args);
}

/**
 * Redis 7.0's rule: everything under ALL; under WRITE, commands that write or may replicate,
 * and EXEC of a transaction holding one. MONITOR connections are never held (Redis exempts
 * replicas, which monitors count as).
 */
function covers(p: Pause, ctx: Session, spec: CommandSpec, fullName: string, args: ArgList): boolean {
  if (fullName === 'client|unpause' || isMonitor(ctx)) return false;
  if (p.mode === 'all') return true;
  if (fullName === 'exec') return ctx.multi !== null && ctx.multi.some((q) => writes(ctx.server, q.spec, q.fullName, q.args));
  return writes(ctx.server, spec, fullName, args.length > 1 ? [args.at(0)!, args.at(1)!] : []);
}

/**
 * A promise when a pause holds this command: it settles once the command has gone through
 * `again` (the dispatcher) after the pause. The arguments are copied, since the connection
 * reuses its buffers, and zeroed once the command is done, or dropped with the connection.
 */
/** Whether any pause, failover hold or migration may hold commands now (the dispatcher's quick test). */
export function holdsAny(): boolean {
  return active !== 0;
}

export function holdIfPaused(
  ctx: Session,
  spec: CommandSpec,
  fullName: string,
  args: ArgList,
  again: (args: Buffer[]) => void | Promise<void>,
): Promise<void> | undefined {
  if (active === 0) return undefined;
  const m = migrations.get(ctx.server);
  let waiters: Set<() => void>;
  if (m !== undefined && !m.owners.has(ctx) && !isMonitor(ctx)) waiters = m.waiters;
  else {
    const p = pauses.get(ctx.server);
    const f = writeHolds.get(ctx.server);
    if (p !== undefined && covers(p, ctx, spec, fullName, args)) waiters = p.waiters;
    else if (f !== undefined && covers(f, ctx, spec, fullName, args)) waiters = f.waiters;
    else return undefined;
  }
  const copy = ownArgs(argArray(args));
  let bytes = 0;
  for (const a of copy) bytes += a.length;
  held.set(ctx, bytes);
  // A connection that ends stops waiting at once, so its copy is zeroed now, not after the pause.
  const waited = new Promise<void>((resolve) => {
    const signal = ctx.closedSignal;
    const release = () => {
      waiters.delete(release);
      signal.removeEventListener('abort', release);
      resolve();
    };
    waiters.add(release);
    signal.addEventListener('abort', release);
  });
  return waited.then(() => {
    held.delete(ctx);
    if (ctx.closed) return wipeArgs(copy);
    let pending: void | Promise<void>;
    try {
      pending = again(copy);
    } catch (err) {
      wipeArgs(copy);
      throw err;
    }
    if (pending === undefined) return wipeArgs(copy);
    return pending.finally(() => wipeArgs(copy));
  });
}
