// MONITOR without the data. Redis's MONITOR streams every command with its arguments, which
// for sealkv would print values and key names, the very thing the server seals. This one
// streams what operators use MONITOR for (who runs what, how often, on which db, how big)
// and never an argument's bytes:
//
//   +1733450000.123456 [0 127.0.0.1:5555] "set" <2 args: 3 B, 5 B>
//
// Time with microseconds, [db client-address] and the command's name (and subcommand) as in
// Redis's lines, then the argument count and each argument's size. Names come from the
// command table, not from the request, so even the command name bytes are sealkv's own. The
// arguments of AUTH and HELLO are not even sized (a password's length is a secret too).
// Redis's rules otherwise: admin commands are not shown, a command is shown once it has run
// (EXEC after the commands it ran), the connection can then only run commands that do not
// touch the keyspace, and RESET ends monitor mode.

import type { Logger } from '../../log.js';
import type { ArgList } from '../../protocol/arg-list.js';
import { Errors } from '../../protocol/errors.js';
import { SECRET_SETTINGS } from '../../acl/secret.js';
import type { ClientState, CommandSpec, CommandTable, Server, Session } from '../types.js';

/** Every monitoring connection, for CLIENT LIST (flag O) and the dispatcher's checks. */
const monitoring = new WeakSet<ClientState>();
/** The monitors of each server, fed in the order they started. */
const byServer = new WeakMap<Server, Set<Session>>();
/** Monitors across servers: the per-command check is one comparison while there are none. */
let count = 0;

/** Sizes listed per line; an MSET of a million pairs says how many more there were. */
const SIZES_SHOWN = 32;
/**
 * A monitor that does not read its stream is closed once this much waits for it, whatever
 * client-output-buffer-limit says (Redis counts monitors as normal clients, unlimited by
 * default, so a stalled monitor grows the server without bound).
 */
const MONITOR_BACKLOG_MAX = 32 * 1024 * 1024;
/** Commands whose arguments carry credentials: count only. */
const REDACTED = new Set(['auth', 'hello']);

/** Whether any connection monitors: a command that waits only then gets a step after it. */
export function monitorsActive(): boolean {
  return count > 0;
}

export function isMonitor(c: ClientState): boolean {
  return count > 0 && monitoring.has(c);
}

function monitor(ctx: Session): void {
  // Only reachable from EXEC: the client expects one reply per command there (Redis's DENY_BLOCKING).
  if (ctx.multi !== null) return ctx.reply.error(Errors.monitorInMulti);
  // Redis ignores a second MONITOR, without a reply.
  if (monitoring.has(ctx)) return;
  monitoring.add(ctx);
  let set = byServer.get(ctx.server);
  if (set === undefined) byServer.set(ctx.server, (set = new Set()));
  set.add(ctx);
  count++;
  ctx.reply.ok();
}

/** RESET: the connection leaves monitor mode. */
export function stopMonitor(ctx: Session): void {
  if (!monitoring.has(ctx)) return;
  monitoring.delete(ctx);
  byServer.get(ctx.server)?.delete(ctx);
  count--;
}

/** A monitoring connection may not run commands that read or change keys (Redis: replicas may not). */
export function refusedToMonitor(ctx: Session, spec: CommandSpec): boolean {
  if (count === 0 || !monitoring.has(ctx)) return false;
  const f = spec.flags;
  return f.includes('write') || f.includes('readonly') || f.includes('may_replicate');
}

/** Called once a command has run (and for each command EXEC runs). */
export function feedMonitors(ctx: Session, spec: CommandSpec, args: ArgList): void {
  if (count === 0) return;
  const set = byServer.get(ctx.server);
  if (set === undefined || set.size === 0) return;
  if (spec.flags.includes('admin') || spec.flags.includes('skip_monitor')) return;
  feedLine(ctx, set, fullNameOf(ctx.server.commands, spec), args);
}

/**
 * A handler for EVAL, EVALSHA and FCALL (and their _RO forms), flagged skip_monitor, that shows
 * its command to monitors before it runs, so the script's own commands come after it (Redis 7).
 */
export function monitoredFirst<A extends ArgList>(name: string, handler: (ctx: Session, args: A) => void | Promise<void>): (ctx: Session, args: A) => void | Promise<void> {
  return (ctx, args) => {
    const set = count === 0 ? undefined : byServer.get(ctx.server);
    if (set !== undefined && set.size > 0) feedLine(ctx, set, name, args);
    return handler(ctx, args);
  };
}

function feedLine(ctx: Session, set: Set<Session>, fullName: string, args: ArgList): void {
  const line = Buffer.from(monitorLine(ctx, fullName, args), 'latin1');
  for (const m of set) {
    if (m.closed) {
      stopMonitor(m);
      continue;
    }
    if (m.replyMode === 'off') continue;
    if (backlog(m) > MONITOR_BACKLOG_MAX) {
      dropSlowMonitor(m, ctx.server.log);
      continue;
    }
    m.reply.raw(line);
    m.wake();
  }
}

function backlog(m: Session): number {
  const io = m.ioStats();
  return io.staged + io.unsentBytes;
}

function dropSlowMonitor(m: Session, log: Logger): void {
  log.warn({ client: m.id, addr: m.addr }, 'closing MONITOR client that does not read its stream');
  stopMonitor(m);
  m.kill();
}

/**
 * What sealkv shows of a command's arguments anywhere (MONITOR, SLOWLOG): the names from the
 * table, how many arguments followed, and the size of each of the first `limit` ('5 B'); none
 * for commands whose arguments are all credentials (`sizes` null), and `null` in place of the
 * size of each argument Redis redacts (a password's length is a secret too). Never an argument's
 * bytes.
 */
export function describeArgs(fullName: string, args: ArgList, limit: number): { names: string[]; count: number; sizes: (string | null)[] | null } {
  const names = fullName.split('|');
  const count = args.length - names.length;
  if (count > 0 && (REDACTED.has(names[0]!) || fullName === 'acl|setuser')) return { names, count, sizes: null };
  const secret = secretPositions(fullName, args);
  const sizes: (string | null)[] = [];
  for (let i = 0; i < Math.min(count, limit); i++) {
    const at = names.length + i;
    sizes.push(secret?.has(at) === true ? null : `${args.at(at)!.length} B`);
  }
  return { names, count, sizes };
}

/** Positions of the arguments Redis redacts in commands that are not all credentials. */
function secretPositions(fullName: string, args: ArgList): Set<number> | null {
  if (fullName === 'config|set') {
    let out: Set<number> | null = null;
    for (let i = 2; i + 1 < args.length; i += 2) {
      const name = args.at(i)!;
      if (name.length <= 32 && SECRET_SETTINGS.has(name.toString('latin1').toLowerCase())) (out ??= new Set()).add(i + 1);
    }
    return out;
  }
  if (fullName === 'migrate') {
    // MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH password] [AUTH2 username password] [KEYS ...]
    // MIGRATE is described once it is done, when its arguments' read buffer may hold other
    // bytes: from a word that is not an option on, everything counts as secret.
    const out = new Set<number>();
    for (let i = 6; i < args.length; i++) {
      const word = args.at(i)!;
      const w = word.length > 7 ? '' : word.toString('latin1').toLowerCase();
      if (w === 'keys') break;
      if (w === 'copy' || w === 'replace') continue;
      if (w === 'auth') out.add(++i);
      else if (w === 'auth2') {
        out.add(++i);
        out.add(++i);
      } else {
        for (; i < args.length; i++) out.add(i);
      }
    }
    return out.size === 0 ? null : out;
  }
  return null;
}

/** The status line for one command: names from the table, sizes only. */
export function monitorLine(ctx: Session, fullName: string, args: ArgList): string {
  const t = performance.timeOrigin + performance.now();
  const secs = Math.floor(t / 1000);
  const micros = Math.floor((t - secs * 1000) * 1000);
  // A script's commands show `lua` where a client's address would be, as in Redis.
  let line = `+${secs}.${String(micros).padStart(6, '0')} [${ctx.dbIndex} ${ctx.scripted ? 'lua' : ctx.addr}]`;
  const { names, count: n, sizes } = describeArgs(fullName, args, SIZES_SHOWN);
  for (const name of names) line += ` "${name}"`;
  line += ` <${n} ${n === 1 ? 'arg' : 'args'}`;
  if (sizes === null) line += ': redacted';
  else if (n > 0) {
    sizes.forEach((size, i) => (line += `${i === 0 ? ':' : ','} ${size ?? 'redacted'}`));
    if (n > sizes.length) line += `, +${n - sizes.length} more`;
  }
  return line + '>\r\n';
}

/** 'set', 'client|id': a subcommand's spec does not know its container, the table does. */
const fullNames = new WeakMap<CommandSpec, string>();
export function fullNameOf(table: CommandTable, spec: CommandSpec): string {
  let name = fullNames.get(spec);
  if (name !== undefined) return name;
  for (const top of table.all()) {
    fullNames.set(top, top.name);
    for (const sub of top.subcommands ?? []) fullNames.set(sub, `${top.name}|${sub.name}`);
  }
  name = fullNames.get(spec) ?? spec.name;
  fullNames.set(spec, name);
  return name;
}

export const monitorCommand: CommandSpec = {
  name: 'monitor', arity: 1, flags: ['admin', 'noscript', 'loading', 'stale'],
  categories: ['@admin', '@slow', '@dangerous'], group: 'server', since: '1.0.0',
  summary: 'Listen for all requests received by the server in real time', handler: monitor,
};
