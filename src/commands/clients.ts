// CLIENT and its subcommands: ID SETNAME GETNAME LIST INFO KILL SETINFO NO-EVICT HELP.

import { Errors } from '../protocol/errors.js';
import { integer, text, word } from './args.js';
import type { ClientState, CommandSpec, Session } from './types.js';
import { nameString } from '../util/names.js';

/** Redis client names: printable ASCII without spaces ('!'..'~'), or empty to clear. */
export function validName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** CLIENT NO-EVICT state, kept here since sealkv does not evict clients and nothing else reads it. */
const noEvict = new WeakSet<ClientState>();

/** RESET clears per-connection modes kept here, as Redis's clearClientConnectionState does. */
export function resetClientModes(ctx: ClientState): void {
  noEvict.delete(ctx);
}

/** The flags= letters Redis would show for this client (clientInfoString). */
function flagsOf(c: ClientState): string {
  let flags = '';
  if (c.multi !== null) flags += 'x';
  if (c.watching?.flag.dirty) flags += 'd';
  if (noEvict.has(c)) flags += 'e';
  return flags || 'N';
}

/**
 * One CLIENT LIST / CLIENT INFO line in Redis's field order. Buffers sealkv does not size the
 * way Redis does (reply buffers, per-client memory) are reported as 0; fd is -1 because Node
 * does not expose socket descriptors.
 */
export function clientLine(c: ClientState, now: number): string {
  const secs = (ms: number) => Math.max(0, Math.floor(ms / 1000));
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=-1 name=${c.name ?? ''} ` +
    `age=${secs(now - c.createdAt)} idle=${secs(now - c.lastInteraction)} flags=${flagsOf(c)} db=${c.dbIndex} ` +
    `sub=0 psub=0 ssub=0 multi=${c.multi === null ? -1 : c.multi.length} qbuf=${c.queryBufferBytes} qbuf-free=0 ` +
    `argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${c.lastCommand} ` +
    `user=${c.user} redir=-1 resp=${c.reply.protocol} lib-name=${c.libName} lib-ver=${c.libVersion}\n`
  );
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

/** Redis client types; every sealkv connection is 'normal' (no replication, no pub/sub yet). */
const CLIENT_TYPES = new Set(['normal', 'master', 'slave', 'replica', 'pubsub']);

/** CLIENT LIST [TYPE type | ID id ...]: Redis 7.0 takes one filter or none. */
function clientList(ctx: Session, args: Buffer[]): void {
  let pick: (c: ClientState) => boolean = () => true;
  if (args.length === 4 && word(args[2]!) === 'type') {
    const type = word(args[3]!);
    if (!CLIENT_TYPES.has(type)) return ctx.reply.error(Errors.unknownClientType(text(args[3]!)));
    pick = () => type === 'normal';
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
  for (const c of ctx.server.clients.values()) if (pick(c)) out += clientLine(c, ctx.now);
  ctx.reply.verbatim(out);
}

function clientInfo(ctx: Session): void {
  ctx.reply.verbatim(clientLine(ctx, ctx.now));
}

interface KillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  user?: string;
  type?: string;
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
    } else if (opt === 'skipme') {
      const yes = word(value);
      if (yes !== 'yes' && yes !== 'no') return fail(Errors.syntax);
      f.skipMe = yes === 'yes';
    } else return fail(Errors.syntax);
  }
  return f;
}

function matches(f: KillFilter, c: ClientState, self: Session): boolean {
  if (f.id !== undefined && c.id !== f.id) return false;
  if (f.addr !== undefined && c.addr !== f.addr) return false;
  if (f.laddr !== undefined && c.laddr !== f.laddr) return false;
  if (f.user !== undefined && c.user !== f.user) return false;
  if (f.type !== undefined && f.type !== 'normal') return false;
  return !(f.skipMe && c.id === self.id);
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
    if (victims.length === 0) return ctx.reply.error(Errors.noSuchClient);
    ctx.reply.ok();
    return killClients(ctx, victims);
  }
  const filter = killFilter(ctx, args);
  if (!filter) return;
  // Collected first: killing a client removes it from the map being walked.
  const victims = [...ctx.server.clients.values()].filter((c) => matches(filter, c, ctx));
  ctx.reply.integer(victims.length);
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
  if (mode === 'on') noEvict.add(ctx);
  else if (mode === 'off') noEvict.delete(ctx);
  else return ctx.reply.error(Errors.syntax);
  ctx.reply.ok();
}

const HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
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
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  '    * ID <client-id> [<client-id> ...]',
  '      Return clients with the specified IDs.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
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
const sub = { firstKey: 0, lastKey: 0, step: 0, since: '2.4.0', group: 'connection' } as const;
const plain = ['noscript', 'loading', 'stale'] as const;
const admin = ['admin', 'noscript', 'loading', 'stale'] as const;

export const clientCommand: CommandSpec = {
  name: 'client', arity: -2, flags: [], firstKey: 0, lastKey: 0, step: 0, categories: ['@slow'],
  summary: 'A container for client connection commands', since: '2.4.0', group: 'connection', complexity: 'Depends on subcommand.',
  subcommands: [
    { ...sub, name: 'id', arity: 2, flags: plain, categories: CONN, summary: 'Returns the client ID for the current connection', since: '5.0.0', complexity: 'O(1)', handler: clientId },
    { ...sub, name: 'setname', arity: 3, flags: plain, categories: CONN, summary: 'Set the current connection name', since: '2.6.9', complexity: 'O(1)', handler: clientSetname },
    { ...sub, name: 'getname', arity: 2, flags: plain, categories: CONN, summary: 'Get the current connection name', since: '2.6.9', complexity: 'O(1)', handler: clientGetname },
    { ...sub, name: 'list', arity: -2, flags: admin, categories: ADMIN, summary: 'Get the list of client connections', complexity: 'O(N) where N is the number of client connections', handler: clientList },
    { ...sub, name: 'info', arity: 2, flags: plain, categories: CONN, summary: 'Returns information about the current client connection.', since: '6.2.0', complexity: 'O(1)', handler: clientInfo },
    { ...sub, name: 'kill', arity: -3, flags: admin, categories: ADMIN, summary: 'Kill the connection of a client', complexity: 'O(N) where N is the number of client connections', handler: clientKill },
    { ...sub, name: 'setinfo', arity: 4, flags: plain, categories: CONN, summary: 'Set client or connection specific info', since: '7.2.0', complexity: 'O(1)', handler: clientSetinfo },
    { ...sub, name: 'no-evict', arity: 3, flags: admin, categories: ADMIN, summary: 'Set client eviction mode for the current connection', since: '7.0.0', complexity: 'O(1)', handler: clientNoEvict },
    { ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: CONN, summary: 'Show helpful text about the different subcommands', since: '5.0.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP) },
  ],
};
