// Connection commands: PING ECHO SELECT SWAPDB QUIT RESET AUTH HELLO (CLIENT lives in
// clients.ts, MONITOR in monitor.ts).

import { refuseLogin } from '../../acl/refuse.js';
import { Errors } from '../../protocol/errors.js';
import { REDIS_COMPAT_VERSION } from '../../version.js';
import { fitsInt32, integer, text, word } from '../args.js';
import { becomeUser } from '../server/acl.js';
import { clientCommand, resetClientModes, validName } from './clients.js';
import { monitorCommand, stopMonitor } from './monitor.js';
import { swapDatabases } from './swap-databases.js';
import { endTransaction } from './transactions.js';
import type { CommandSpec, Session } from '../types.js';
import { nameString } from '../../util/names.js';
import { isSubscribed, pubsubIfAny } from '../../pubsub/registry.js';

const EMPTY = Buffer.alloc(0);

function ping(ctx: Session, args: Buffer[]): void {
  if (args.length > 2) return ctx.reply.error(Errors.wrongArity('ping'));
  // RESP2 subscribed mode: a ["pong", message] array, a push frame being the only thing such a client reads.
  if (ctx.reply.protocol === 2 && isSubscribed(ctx)) {
    ctx.reply.arrayLen(2);
    ctx.reply.bulkText('pong');
    ctx.reply.bulk(args.length === 2 ? args[1]! : EMPTY);
    return;
  }
  if (args.length === 2) ctx.reply.bulk(args[1]!);
  else ctx.reply.simple('PONG');
}

function echo(ctx: Session, args: Buffer[]): void {
  ctx.reply.bulk(args[1]!);
}

/** A database index, or null when it is not in 0..databases-1. */
function dbIndex(ctx: Session, n: number): number | null {
  return n >= 0 && n < ctx.server.databases.length ? n : null;
}

function select(ctx: Session, args: Buffer[]): void {
  const n = integer(args[1]!);
  if (n === null) return ctx.reply.error(Errors.notInteger);
  if (!fitsInt32(n)) return ctx.reply.error(Errors.valueOutOfIntRange);
  // A cluster has database 0 only (Redis checks before the range).
  if (ctx.server.cluster !== null && n !== 0) return ctx.reply.error(Errors.notInClusterMode('SELECT'));
  const index = dbIndex(ctx, n);
  if (index === null) return ctx.reply.error(Errors.dbIndexOutOfRange);
  ctx.dbIndex = index;
  ctx.db = ctx.server.databases[index]!;
  ctx.reply.ok();
}

/**
 * Swaps the two Keyspace objects. Each keeps its uid, so the sealed values (bound to that uid)
 * move with their data and open as before: no re-sealing, no plaintext.
 */
function swapdb(ctx: Session, args: Buffer[]): void {
  if (ctx.server.cluster !== null) return ctx.reply.error(Errors.notInClusterMode('SWAPDB'));
  // Redis reads each as a C int: not a number and out of int range get the same message.
  const a = integer(args[1]!);
  if (a === null || !fitsInt32(a)) return ctx.reply.error(Errors.invalidFirstDb);
  const b = integer(args[2]!);
  if (b === null || !fitsInt32(b)) return ctx.reply.error(Errors.invalidSecondDb);
  const first = dbIndex(ctx, a);
  const second = dbIndex(ctx, b);
  if (first === null || second === null) return ctx.reply.error(Errors.dbIndexOutOfRange);
  swapDatabases(ctx.server, first, second);
  ctx.reply.ok();
}

function quit(ctx: Session): void {
  ctx.reply.ok();
  ctx.closeAfterReply();
}

/** RESET: the connection as it was just after connecting (Redis clearClientConnectionState). */
function reset(ctx: Session): void {
  // The queued commands' arguments are wiped, and watched keys forgotten, as EXEC and DISCARD do.
  endTransaction(ctx);
  ctx.dbIndex = 0;
  ctx.db = ctx.server.databases[0]!;
  ctx.reply.protocol = 2;
  ctx.name = null;
  resetClientModes(ctx);
  stopMonitor(ctx);
  // Out of subscribed mode, without unsubscribe pushes (redis clearClientConnectionState).
  pubsubIfAny(ctx.server)?.drop(ctx);
  const fallback = ctx.server.acl.defaultUser;
  ctx.aclUser = fallback;
  ctx.authenticated = fallback.enabled && fallback.nopass;
  ctx.reply.simple('RESET');
}

/**
 * AUTH [user] pass. The one-argument form is the default user's; when that user needs no
 * password, Redis answers it with an error rather than accepting anything.
 */
function auth(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.syntax);
  const acl = ctx.server.acl;
  if (args.length === 2 && acl.defaultUser.nopass) return ctx.reply.error(Errors.authNotConfigured);
  const user = args.length === 3 ? nameString(args[1]!) : 'default';
  const found = acl.authenticate(user, args[args.length - 1]!);
  if (!found) return ctx.reply.error(refuseLogin(ctx, args[0]!, user));
  becomeUser(ctx, found);
  ctx.reply.ok();
}

interface HelloOptions {
  user?: Buffer;
  pass?: Buffer;
  name?: Buffer;
}

/** HELLO's options after the version; null after replying with the syntax error. */
function helloOptions(ctx: Session, args: Buffer[]): HelloOptions | null {
  const opts: HelloOptions = {};
  for (let i = 2; i < args.length; i++) {
    const more = args.length - 1 - i;
    const opt = word(args[i]!);
    if (opt === 'auth' && more >= 2) {
      opts.user = args[++i]!;
      opts.pass = args[++i]!;
    } else if (opt === 'setname' && more >= 1) {
      opts.name = args[++i]!;
    } else {
      ctx.reply.error(Errors.helloSyntax(text(args[i]!)));
      return null;
    }
  }
  return opts;
}

/** HELLO [protover [AUTH user pass] [SETNAME name]], checks in Redis's order (helloCommand). */
function hello(ctx: Session, args: Buffer[]): void {
  let proto = ctx.reply.protocol;
  if (args.length >= 2) {
    const v = integer(args[1]!);
    if (v === null) return ctx.reply.error(Errors.helloBadProto);
    if (v !== 2 && v !== 3) return ctx.reply.error(Errors.noProto);
    proto = v;
  }
  const opts = helloOptions(ctx, args);
  if (!opts) return;
  if (opts.user && opts.pass) {
    const user = nameString(opts.user);
    const found = ctx.server.acl.authenticate(user, opts.pass);
    if (!found) return ctx.reply.error(refuseLogin(ctx, args[0]!, user));
    becomeUser(ctx, found);
  }
  if (!ctx.authenticated) return ctx.reply.error(Errors.helloNoAuth);
  if (opts.name) {
    const name = nameString(opts.name);
    if (!validName(name)) return ctx.reply.error(Errors.badClientName);
    ctx.name = name === '' ? null : name;
  }
  ctx.reply.protocol = proto;
  const r = ctx.reply;
  r.mapLen(7);
  r.bulkText('server');
  r.bulkText('redis');
  r.bulkText('version');
  r.bulkText(REDIS_COMPAT_VERSION);
  r.bulkText('proto');
  r.integer(proto);
  r.bulkText('id');
  r.integer(ctx.id);
  r.bulkText('mode');
  r.bulkText('standalone');
  r.bulkText('role');
  r.bulkText('master');
  r.bulkText('modules');
  r.arrayLen(0);
}

const CONN = ['@fast', '@connection'] as const;
const conn = { group: 'connection' } as const;
const handshake = ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'] as const;

export const connectionCommands: CommandSpec[] = [
  { ...conn, name: 'ping', arity: -1, flags: ['fast'], categories: CONN, tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], summary: 'Ping the server', since: '1.0.0', complexity: 'O(1)', handler: ping },
  { ...conn, name: 'echo', arity: 2, flags: ['loading', 'stale', 'fast'], categories: CONN, summary: 'Echo the given string', since: '1.0.0', complexity: 'O(1)', handler: echo },
  { ...conn, name: 'select', arity: 2, flags: ['loading', 'stale', 'fast'], categories: CONN, summary: 'Change the selected database for the current connection', since: '1.0.0', complexity: 'O(1)', handler: select },
  {
    ...conn, name: 'swapdb', arity: 3, flags: ['write', 'fast'], categories: ['@keyspace', '@write', '@fast', '@dangerous'],
    summary: 'Swaps two Redis databases', since: '4.0.0', group: 'server',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.', handler: swapdb,
  },
  { ...conn, name: 'quit', arity: -1, flags: handshake, categories: CONN, summary: 'Close the connection', since: '1.0.0', complexity: 'O(1)', handler: quit },
  { ...conn, name: 'reset', arity: 1, flags: handshake, categories: CONN, summary: 'Reset the connection', since: '6.2.0', complexity: 'O(1)', handler: reset },
  {
    ...conn, name: 'auth', arity: -2, flags: handshake, categories: CONN, summary: 'Authenticate to the server', since: '1.0.0',
    complexity: 'O(N) where N is the number of passwords defined for the user', handler: auth,
  },
  { ...conn, name: 'hello', arity: -1, flags: handshake, categories: CONN, summary: 'Handshake with Redis', since: '6.0.0', complexity: 'O(1)', handler: hello },
  clientCommand,
  monitorCommand,
];
