// CLIENT and its subcommands: ID SETNAME GETNAME LIST INFO KILL SETINFO NO-EVICT REPLY PAUSE
// UNPAUSE HELP.

import { Errors } from '../../protocol/errors.js';
import { int64, integer, text, word } from '../args.js';
import { isMonitor } from './monitor.js';
import { isSubscribed, subscriptionsOf } from '../../pubsub/registry.js';
import { heldBytes, pauseClients, unpauseClients, type PauseMode } from './pause.js';
import type { ClientIo, ClientState, CommandSpec, Server, Session } from '../types.js';
import { replicationIfAny } from '../../replication/index.js';
import { nameString } from '../../util/names.js';
import { queuedBytes } from './transactions.js';
import { resetTracking, trackingFlags, trackingSubcommands } from './client-tracking.js';

/** Redis client names: printable ASCII without spaces ('!'..'~'), or empty to clear. */
export function validName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** RESET clears per-connection modes kept here, as Redis's clearClientConnectionState does. */
export function resetClientModes(ctx: Session): void {
  ctx.noEvict = false;
  resetTracking(ctx);
  // RESET's own reply goes out even after CLIENT REPLY OFF (Redis clears the flag first).
  ctx.replyMode = 'on';
  ctx.reply.unmute();
}

/** The flags= letters Redis would show for this client, in Redis's order (clientInfoString). */
function flagsOf(c: ClientState, io: ClientIo, tracking: string): string {
  let flags = '';
  if (isMonitor(c)) flags += 'O';
  else if (clientType(c) === 'slave') flags += 'S';
  if (isSubscribed(c)) flags += 'P';
  if (c.multi !== null) flags += 'x';
  if (heldBytes(c) !== undefined || c.blocked) flags += 'b';
  flags += tracking;
  if (c.watching?.flag.dirty) flags += 'd';
  if (io.closing) flags += 'c';
  if (io.unix) flags += 'U';
  if (c.noEvict) flags += 'e';
  return flags || 'N';
}

/** A transaction's queued commands: their argument bytes and an estimate of the objects holding them (multi-mem=). */
function multiBytes(c: ClientState): number {
  if (c.multi === null) return 0;
  let bytes = 0;
  for (const q of c.multi) bytes += queuedBytes(q.args);
  return bytes;
}

/**
 * One CLIENT LIST / CLIENT INFO line: Redis 7.0's fields in its order, then Redis 7.2's
 * lib-name and lib-ver (sealkv has CLIENT SETINFO). `argv` is the size of the arguments of
 * the command running on `c`, known for the caller itself (Redis counts only the command in
 * flight too); a command held by CLIENT PAUSE counts as in flight. sealkv keeps no per-client
 * query buffer beyond the unparsed bytes (reads land in one shared buffer): qbuf-free=0.
 */
export function clientLine(c: ClientState, now: number, argv = 0): string {
  const secs = (ms: number) => Math.max(0, Math.floor(ms / 1000));
  const io = c.ioStats();
  const qbuf = c.queryBufferBytes;
  const argvMem = argv || (heldBytes(c) ?? 0);
  const multiMem = multiBytes(c);
  const totMem = clientMemory(c, io, argvMem);
  const tracking = trackingFlags(c as Session);
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${io.fd} name=${c.name ?? ''} ` +
    `age=${secs(now - c.createdAt)} idle=${secs(now - c.lastInteraction)} flags=${flagsOf(c, io, tracking.flags)} db=${c.dbIndex} ` +
    `${subscriptionFields(c)} multi=${c.multi === null ? -1 : c.multi.length} qbuf=${qbuf} qbuf-free=0 ` +
    `argv-mem=${argvMem} multi-mem=${multiMem} rbs=${io.replyBuffer} rbp=${io.replyPeak} ` +
    `obl=${io.staged} oll=${io.unsentWrites} omem=${io.unsentBytes} tot-mem=${totMem} ` +
    `events=${io.unsentBytes > 0 ? 'rw' : 'r'} cmd=${c.lastCommand} user=${c.user} redir=${tracking.redirect} resp=${c.reply.protocol} ` +
    `lib-name=${c.libName} lib-ver=${c.libVersion}\n`
  );
}

/** CLIENT LIST tot-mem= (and MEMORY STATS clients.normal): the connection, its unparsed and held input, queued transaction, reply buffer and unsent replies. */
export function clientMemory(c: ClientState, io: ClientIo = c.ioStats(), argv = heldBytes(c) ?? 0): number {
  // What the server counts for it (net/client.ts recount), and what is in flight: the running
  // command's arguments and the replies it is staging.
  return io.counted + argv + io.replyBuffer;
}

/** sub= psub= ssub=: the connection's channel, pattern and shard-channel subscriptions. */
function subscriptionFields(c: ClientState): string {
  const sub = subscriptionsOf(c);
  if (sub === undefined) return 'sub=0 psub=0 ssub=0';
  return `sub=${sub.channels.size} psub=${sub.patterns.size} ssub=${sub.shards.size}`;
}

/** Redis getClientType, as far as sealkv has types: 'pubsub' while subscribed, else 'normal'. */
function clientType(c: ClientState & { server?: Server }): string {
  if (c.server !== undefined && replicationIfAny(c.server)?.primary.isReplica(c) === true) return 'slave';
  return isSubscribed(c) ? 'pubsub' : 'normal';
}

function argBytes(args: Buffer[]): number {
  let bytes = 0;
  for (const a of args) bytes += a.length;
  return bytes;
}

function clientId(ctx: Session): void {
  ctx.reply.integer(ctx.id);
}

function clientSetname(ctx: Session, args: Buffer[]): void {
  const name = nameString(args[2]!);
  if (!validName(name)) return ctx.reply.error(Errors.badClientName);
  ctx.name = name === '' ? null : name;
  ctx.reply.ok();
}

function clientGetname(ctx: Session): void {
  if (ctx.name === null) ctx.reply.nullBulk();
  else ctx.reply.bulkLatin1(ctx.name);
}

/** Redis client types; a sealkv connection is 'normal' or, while subscribed, 'pubsub' (no replication). */
const CLIENT_TYPES = new Set(['normal', 'master', 'slave', 'replica', 'pubsub']);

/** CLIENT LIST [TYPE type | ID id ...]: Redis 7.0 takes one filter or none. */
function clientList(ctx: Session, args: Buffer[]): void {
  let pick: (c: ClientState) => boolean = () => true;
  if (args.length === 4 && word(args[2]!) === 'type') {
    const type = word(args[3]!);
    if (!CLIENT_TYPES.has(type)) return ctx.reply.error(Errors.unknownClientType(text(args[3]!)));
    pick = (c) => clientType(c) === (type === 'replica' ? 'slave' : type);
  } else if (args.length >= 4 && word(args[2]!) === 'id') {
    const ids = new Set<number>();
    for (const arg of args.slice(3)) {
      const id = integer(arg);
      if (id === null || id <= 0) return ctx.reply.error(Errors.invalidClientId);
      ids.add(id);
    }
    pick = (c) => ids.has(c.id);
  } else if (args.length !== 2) {
    return ctx.reply.error(Errors.syntax);
  }
  let out = '';
  for (const c of ctx.server.clients.values()) if (pick(c)) out += clientLine(c, ctx.now, c === ctx ? argBytes(args) : 0);
  ctx.reply.verbatim(out);
}

function clientInfo(ctx: Session, args: Buffer[]): void {
  ctx.reply.verbatim(clientLine(ctx, ctx.now, argBytes(args)));
}

interface KillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  user?: string;
  type?: string;
  /** Redis 7.4: connections at least this many seconds old. */
  maxAge?: number;
  skipMe: boolean;
}

/** Parses CLIENT KILL's <filter> <value> pairs; null after replying with the error. */
function killFilter(ctx: Session, args: Buffer[]): KillFilter | null {
  const f: KillFilter = { skipMe: true };
  const fail = (message: string) => (ctx.reply.error(message), null);
  if ((args.length - 2) % 2 !== 0) return fail(Errors.syntax);
  for (let i = 2; i < args.length; i += 2) {
    const opt = word(args[i]!);
    const value = args[i + 1]!;
    if (opt === 'id') {
      const id = integer(value);
      if (id === null || id <= 0) return fail(Errors.clientIdNotPositive);
      f.id = id;
    } else if (opt === 'addr') f.addr = nameString(value);
    else if (opt === 'laddr') f.laddr = nameString(value);
    else if (opt === 'user') {
      f.user = nameString(value);
      if (!ctx.server.acl.get(f.user)) return fail(Errors.noSuchUser(text(value)));
    } else if (opt === 'type') {
      f.type = word(value);
      if (!CLIENT_TYPES.has(f.type)) return fail(Errors.unknownClientType(text(value)));
    } else if (opt === 'maxage') {
      const age = integer(value);
      if (age === null) return fail(Errors.maxAgeNotInteger);
      f.maxAge = age;
    } else if (opt === 'skipme') {
      const yes = word(value);
      if (yes !== 'yes' && yes !== 'no') return fail(Errors.syntax);
      f.skipMe = yes === 'yes';
    } else return fail(Errors.syntax);
  }
  return f;
}

function matches(f: KillFilter, c: ClientState, self: Session): boolean {
  if (f.maxAge !== undefined && f.maxAge > 0 && Math.floor((self.now - c.createdAt) / 1000) < f.maxAge) return false;
  if (f.id !== undefined && c.id !== f.id) return false;
  if (f.addr !== undefined && c.addr !== f.addr) return false;
  if (f.laddr !== undefined && c.laddr !== f.laddr) return false;
  if (f.user !== undefined && c.user !== f.user) return false;
  if (f.type !== undefined && (f.type === 'replica' ? 'slave' : f.type) !== clientType(c)) return false;
  return !(f.skipMe && c.id === self.id);
}

/**
 * A replica's link to its master, which Redis lists as a client of type master: CLIENT KILL can
 * choose it by TYPE master, ADDR (the master's address) or LADDR, as in Redis, and closing it
 * makes the replica reconnect. Returns whether the filter (or an old-form address) chose it.
 */
function killsMasterLink(ctx: Session, f: KillFilter | { addr: string }): boolean {
  const link = replicationIfAny(ctx.server)?.link;
  const at = link?.addresses;
  if (link === undefined || link === null || at === null || at === undefined) return false;
  if ('skipMe' in f) {
    if (f.id !== undefined || f.user !== undefined || (f.maxAge !== undefined && f.maxAge > 0)) return false;
    if (f.type !== undefined && f.type !== 'master') return false;
    if (f.laddr !== undefined && f.laddr !== at.laddr) return false;
  }
  if (f.addr !== undefined && f.addr !== at.addr) return false;
  link.kill();
  return true;
}

/** Closes the chosen clients; this connection, if chosen, closes after its reply (as Redis). */
function killClients(ctx: Session, victims: ClientState[]): void {
  for (const c of victims) {
    if (c.id === ctx.id) ctx.closeAfterReply();
    else c.kill();
  }
}

/** CLIENT KILL ip:port (old form, +OK) or CLIENT KILL <filter> <value> ... (count of closed clients). */
function clientKill(ctx: Session, args: Buffer[]): void {
  if (args.length === 3) {
    const addr = nameString(args[2]!);
    const victims = [...ctx.server.clients.values()].filter((c) => c.addr === addr);
    if (victims.length === 0 && !killsMasterLink(ctx, { addr })) return ctx.reply.error(Errors.noSuchClient);
    ctx.reply.ok();
    return killClients(ctx, victims);
  }
  const filter = killFilter(ctx, args);
  if (!filter) return;
  // Collected first: killing a client removes it from the map being walked.
  const victims = [...ctx.server.clients.values()].filter((c) => matches(filter, c, ctx));
  ctx.reply.integer(victims.length + (killsMasterLink(ctx, filter) ? 1 : 0));
  killClients(ctx, victims);
}

/** CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; node-redis and ioredis send it on connect). */
function clientSetinfo(ctx: Session, args: Buffer[]): void {
  const attr = word(args[2]!);
  if (attr !== 'lib-name' && attr !== 'lib-ver') return ctx.reply.error(Errors.setinfoUnknownOption(text(args[2]!)));
  const value = nameString(args[3]!);
  if (!validName(value)) return ctx.reply.error(Errors.setinfoBadValue(text(args[2]!)));
  if (attr === 'lib-name') ctx.libName = value;
  else ctx.libVersion = value;
  ctx.reply.ok();
}

function clientNoEvict(ctx: Session, args: Buffer[]): void {
  const mode = word(args[2]!);
  // Counted in its memory's new place once its read is done (net/client.ts recount): turned
  // evictable over maxmemory-clients, it is evicted then.
  if (mode === 'on') ctx.noEvict = true;
  else if (mode === 'off') ctx.noEvict = false;
  else return ctx.reply.error(Errors.syntax);
  ctx.reply.ok();
}

/** CLIENT REPLY ON|OFF|SKIP: OFF and SKIP are not answered (their reply would be the first one dropped). */
function clientReply(ctx: Session, args: Buffer[]): void {
  const mode = word(args[2]!);
  if (mode === 'on') {
    ctx.replyMode = 'on';
    // This command was muted if replies were off: its +OK goes out all the same, as in Redis.
    ctx.reply.unmute();
    ctx.reply.ok();
  } else if (mode === 'off') ctx.replyMode = 'off';
  else if (mode === 'skip') {
    if (ctx.replyMode !== 'off') ctx.replyMode = 'skip';
  } else ctx.reply.error(Errors.syntax);
}

/** CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked first, then the timeout (Redis's order). */
function clientPause(ctx: Session, args: Buffer[]): void {
  if (args.length > 4) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'client'));
  let mode: PauseMode = 'all';
  if (args.length === 4) {
    const m = word(args[3]!);
    if (m !== 'write' && m !== 'all') return ctx.reply.error(Errors.pauseMode);
    mode = m;
  }
  const ms = int64(args[2]!);
  if (ms === null) return ctx.reply.error(Errors.timeoutNotInteger);
  if (ms < 0n) return ctx.reply.error(Errors.timeoutNegative);
  pauseClients(ctx.server, Number(ms), mode);
  ctx.reply.ok();
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command (1), or 0 if it is not blocked. */
function clientUnblock(ctx: Session, args: Buffer[]): void {
  if (args.length > 4) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'client'));
  let withError = false;
  if (args.length === 4) {
    const reason = word(args[3]!);
    if (reason === 'error') withError = true;
    else if (reason !== 'timeout') return ctx.reply.error(Errors.unblockReason);
  }
  const id = int64(args[2]!);
  if (id === null) return ctx.reply.error(Errors.notInteger);
  const unblocked = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) && ctx.server.blocking.unblock(Number(id), withError);
  ctx.reply.integer(unblocked ? 1 : 0);
}

function clientUnpause(ctx: Session): void {
  unpauseClients(ctx.server);
  ctx.reply.ok();
}

const HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  '    * ID <client-id>',
  '      Kill connections by client id.',
  '    * MAXAGE <maxage>',
  '      Kill connections older than the specified age.',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  '    * ID <client-id> [<client-id> ...]',
  '      Return clients with the specified IDs.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

/** Redis addReplyHelp: one status line per entry. */
export function replyHelp(ctx: Session, lines: readonly string[]): void {
  ctx.reply.arrayLen(lines.length);
  for (const line of lines) ctx.reply.simple(line);
}

const CONN = ['@slow', '@connection'] as const;
const ADMIN = ['@admin', '@slow', '@dangerous', '@connection'] as const;
const sub = { since: '2.4.0', group: 'connection' } as const;
const plain = ['noscript', 'loading', 'stale'] as const;
const admin = ['admin', 'noscript', 'loading', 'stale'] as const;

export const clientCommand: CommandSpec = {
  name: 'client', arity: -2, flags: [], categories: ['@slow'],
  summary: 'A container for client connection commands', since: '2.4.0', group: 'connection', complexity: 'Depends on subcommand.',
  subcommands: [
    { ...sub, name: 'id', arity: 2, flags: plain, categories: CONN, summary: 'Returns the client ID for the current connection', since: '5.0.0', complexity: 'O(1)', handler: clientId },
    { ...sub, name: 'setname', arity: 3, flags: plain, categories: CONN, summary: 'Set the current connection name', since: '2.6.9', complexity: 'O(1)', handler: clientSetname },
    { ...sub, name: 'getname', arity: 2, flags: plain, categories: CONN, summary: 'Get the current connection name', since: '2.6.9', complexity: 'O(1)', handler: clientGetname },
    { ...sub, name: 'list', arity: -2, flags: admin, categories: ADMIN, tips: ['nondeterministic_output'], summary: 'Get the list of client connections', complexity: 'O(N) where N is the number of client connections', handler: clientList },
    { ...sub, name: 'info', arity: 2, flags: plain, categories: CONN, tips: ['nondeterministic_output'], summary: 'Returns information about the current client connection.', since: '6.2.0', complexity: 'O(1)', handler: clientInfo },
    { ...sub, name: 'kill', arity: -3, flags: admin, categories: ADMIN, summary: 'Kill the connection of a client', complexity: 'O(N) where N is the number of client connections', handler: clientKill },
    { ...sub, name: 'setinfo', arity: 4, flags: plain, categories: CONN, summary: 'Set client or connection specific info', since: '7.2.0', complexity: 'O(1)', handler: clientSetinfo },
    { ...sub, name: 'no-evict', arity: 3, flags: admin, categories: ADMIN, summary: 'Set client eviction mode for the current connection', since: '7.0.0', complexity: 'O(1)', handler: clientNoEvict },
    { ...sub, name: 'reply', arity: 3, flags: plain, categories: CONN, summary: 'Instruct the server whether to reply to commands', since: '3.2.0', complexity: 'O(1)', handler: clientReply },
    { ...sub, name: 'pause', arity: -3, flags: admin, categories: ADMIN, summary: 'Stop processing commands from clients for some time', since: '2.9.50', complexity: 'O(1)', handler: clientPause },
    { ...sub, name: 'unblock', arity: -3, flags: admin, categories: ADMIN, summary: 'Unblock a client blocked in a blocking command from a different connection', since: '5.0.0', complexity: 'O(log N) where N is the number of client connections', handler: clientUnblock },
    { ...sub, name: 'unpause', arity: 2, flags: admin, categories: ADMIN, summary: 'Resume processing of clients that were paused', since: '6.2.0', complexity: 'O(N) Where N is the number of paused clients', handler: clientUnpause },
    ...trackingSubcommands,
    { ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: CONN, summary: 'Show helpful text about the different subcommands', since: '5.0.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP) },
  ],
};
