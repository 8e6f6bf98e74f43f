// MIGRATE (redis cluster.c migrateCommand): DUMP the keys here, RESTORE (RESTORE-ASKING in
// cluster mode) them on the target over a client socket, and delete each key the target
// acknowledged unless COPY. Payloads are sealed (commands/cluster/dump.ts), so the target must share the
// master key: a sealkv node of the same cluster. Redis's texts: +NOKEY, -IOERR ..., and
// "Target instance replied with error: ...".
//
// As Redis, whose MIGRATE does its socket I/O with the server blocked, no other client's command
// runs from the DUMP here to the deletion of the acknowledged keys: they are held (pause.ts
// holdOthersDuring) and dispatched again afterwards, so they see the key either here or, with
// ASK, on the target, never a write lost in between (a reshard under load, issue 18). Expiry and
// eviction keep running meanwhile; a key they removed is not deleted again. No socket is cached
// between calls (INFO migrate_cached_sockets stays 0). With `tls-cluster yes` it talks TLS to the
// target (cluster/dial.ts).

import type { Socket } from 'node:net';
import { dialNode } from '../../cluster/dial.js';
import { int64, keyOf, word } from '../args.js';
import { dumpPayload } from './dump.js';
import { KeyFlag, at, keySpec, keyword, range, type KeyRef } from '../key-specs.js';
import { holdOthersDuring } from '../connection/pause.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, type Entry } from '../../store/keyspace.js';
import type { CommandSpec, Session } from '../types.js';

interface MigrateRequest {
  copy: boolean;
  replace: boolean;
  username: Buffer | null;
  password: Buffer | null;
  keys: Buffer[];
  timeout: number;
  db: number;
}

/**
 * Parses as Redis does: options first, then timeout, then the database; a string is the error.
 * Keys and credentials are copied: the request outlives the read buffer its arguments point into.
 */
function parse(args: Buffer[]): MigrateRequest | string {
  const req: MigrateRequest = { copy: false, replace: false, username: null, password: null, keys: [Buffer.from(args[3]!)], timeout: 0, db: 0 };
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = word(args[j]!);
    if (opt === 'copy') req.copy = true;
    else if (opt === 'replace') req.replace = true;
    else if (opt === 'auth') {
      if (more < 1) return Errors.syntax;
      req.password = Buffer.from(args[++j]!);
    } else if (opt === 'auth2') {
      if (more < 2) return Errors.syntax;
      req.username = Buffer.from(args[++j]!);
      req.password = Buffer.from(args[++j]!);
    } else if (opt === 'keys') {
      if (args[3]!.length !== 0) return Errors.migrateKeysNeedEmptyKey;
      req.keys = args.slice(j + 1).map((k) => Buffer.from(k));
      break;
    } else return Errors.syntax;
  }
  const timeout = int64(args[5]!);
  const db = int64(args[4]!);
  if (timeout === null || db === null) return Errors.notInteger;
  req.timeout = timeout <= 0n ? 1000 : Number(timeout);
  req.db = Number(db);
  return req;
}

function command(parts: (string | Buffer)[]): Buffer[] {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    out.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return out;
}

/** A key being moved: its name, its entry when dumped (to see whether it changed since) and the sealed value of a string. */
interface Moving {
  arg: Buffer;
  key: string;
  entry: Entry;
  value: Buffer | null;
}

/** Whether the key still holds what was dumped. */
function unchanged(ctx: Session, m: Moving): boolean {
  const now = ctx.db.get(m.key, ctx.server.clock());
  if (now === undefined) return false;
  if (now === m.entry) return true;
  return now.kind === Kind.String && m.value !== null && now.holds(m.value);
}

/**
 * Sends the request and collects `count` one-line replies ("+OK", "-ERR ..."); rejects with
 * 'connect' / 'io' on a socket error or when no byte arrives for `timeout` ms.
 */
function exchange(ctx: Session, host: string, port: number, request: Buffer[], count: number, timeout: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let connected = false;
    let done = false;
    let pending: Buffer = Buffer.alloc(0);
    const lines: string[] = [];
    let socket: Socket;
    try {
      socket = dialNode(ctx.server, host, port, () => {
        connected = true;
        rearm();
        for (const part of request) socket.write(part);
      });
    } catch {
      // TLS files that cannot be read or used now: no connection can be made (IOERR ... connecting).
      return reject(new Error('connect'));
    }
    const finish = (err: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err === null) resolve(lines);
      else reject(new Error(err));
    };
    let timer = setTimeout(() => finish(connected ? 'io' : 'connect'), timeout);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish('io'), timeout);
    };
    socket.on('error', () => finish(connected ? 'io' : 'connect'));
    socket.on('close', () => finish(connected ? 'io' : 'connect'));
    socket.on('data', (chunk: Buffer) => {
      rearm();
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) >= 0) {
        // Replies to AUTH, SELECT and RESTORE are one line each; bounded, since it may be an error text.
        lines.push(pending.subarray(0, Math.min(nl, 1024)).toString('latin1'));
        pending = pending.subarray(nl + 2);
        if (lines.length === count) return finish(null);
      }
    });
  });
}

async function migrate(ctx: Session, args: Buffer[]): Promise<void> {
  const req = parse(args);
  if (typeof req === 'string') return ctx.reply.error(req);
  const host = args[1]!.toString('latin1');
  const port = int64(args[2]!);
  const release = holdOthersDuring(ctx);
  try {
    await migrateHeld(ctx, req, host, port);
  } finally {
    release();
  }
}

/** MIGRATE proper, while every other client's command waits. */
async function migrateHeld(ctx: Session, req: MigrateRequest, host: string, port: bigint | null): Promise<void> {
  // Dump every key that exists now (Redis: lookupKeyRead), with its remaining TTL.
  const moving: Moving[] = [];
  const request: Buffer[] = [];
  const restore = ctx.server.cluster !== null ? 'RESTORE-ASKING' : 'RESTORE';
  for (const arg of req.keys) {
    const key = keyOf(ctx, arg);
    const entry = ctx.db.read(key, ctx.now);
    if (entry === undefined) continue;
    let ttl = 0;
    if (entry.expiresAt !== 0) {
      ttl = entry.expiresAt - ctx.now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    const payload = dumpPayload(ctx, key, entry);
    if (payload === null) return;
    moving.push({ arg, key, entry, value: entry.kind === Kind.String ? entry.value : null });
    request.push(...command(req.replace ? [restore, arg, String(ttl), payload, 'REPLACE'] : [restore, arg, String(ttl), payload]));
  }
  if (moving.length === 0) return ctx.reply.simple('NOKEY');
  const head: Buffer[] = [];
  if (req.password !== null) head.push(...command(req.username !== null ? ['AUTH', req.username, req.password] : ['AUTH', req.password]));
  head.push(...command(['SELECT', String(req.db)]));
  const expected = (req.password !== null ? 1 : 0) + 1 + moving.length;
  let lines: string[];
  try {
    if (port === null || port < 0n || port > 65535n) throw new Error('connect');
    lines = await exchange(ctx, host, Number(port), [...head, ...request], expected, req.timeout);
  } catch (err) {
    return ctx.reply.error((err as Error).message === 'connect' ? Errors.migrateConnect : Errors.migrateRead);
  }
  let i = 0;
  if (req.password !== null) {
    const auth = lines[i++]!;
    if (auth.startsWith('-')) return ctx.reply.error(Errors.migrateTarget(auth.slice(1)));
  }
  const select = lines[i++]!;
  if (select.startsWith('-')) return ctx.reply.error(Errors.migrateTarget(select.slice(1)));
  let failed: string | null = null;
  for (const m of moving) {
    const line = lines[i++]!;
    if (line.startsWith('-')) {
      failed ??= line.slice(1);
      continue;
    }
    if (!req.copy && unchanged(ctx, m)) ctx.db.delete(m.key, 'del');
  }
  if (failed !== null) return ctx.reply.error(Errors.migrateTarget(failed));
  ctx.reply.ok();
}

/** The keys of a MIGRATE request (redis migrateGetKeys): the key argument, or with KEYS and an empty key the keys after it. */
function migrateKeys(args: readonly Buffer[]): KeyRef[] {
  const flags = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.DELETE;
  if (args[3]!.length === 0) {
    for (let j = 6; j < args.length; j++) {
      const a = word(args[j]! as Buffer);
      if (a === 'auth') j += 1;
      else if (a === 'auth2') j += 2;
      else if (a === 'keys') {
        const keys: KeyRef[] = [];
        for (let k = j + 1; k < args.length; k++) keys.push({ pos: k, flags });
        return keys;
      }
    }
  }
  return [{ pos: 3, flags }];
}

export const migrateCommands: CommandSpec[] = [
  { name: 'migrate', arity: -6, flags: ['write'], tips: ['nondeterministic_output'],
    keySpecs: [at(3, 'RW', 'ACCESS', 'DELETE'), keySpec(keyword('KEYS', -2), range(-1), ['RW', 'ACCESS', 'DELETE', 'INCOMPLETE'])],
    findKeys: migrateKeys, categories: ['@keyspace', '@write', '@slow', '@dangerous'],
    summary: 'Atomically transfer a key from a Redis instance to another one.', since: '2.6.0', group: 'generic',
    complexity: 'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
    handler: migrate },
];
