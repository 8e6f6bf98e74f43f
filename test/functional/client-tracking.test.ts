// Client-side caching with real clients: CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO
// replies and the invalidation messages (RESP3 pushes, __redis__:invalidate for RESP2 redirect
// subscribers, nulls on flushes, tracking-redir-broken) byte for byte beside redis-server 7.0,
// over RESP2 and RESP3; node-redis's client-side cache kept correct while another client
// writes; ioredis as a RESP2 redirect subscriber; redis-cli's output beside redis-server's;
// keyspace notifications of class m (keymiss); with seal-keys no tracked name is a JS string in
// the server's heap. Also run with --seal-keys (vitest project).

import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { encodeCommand, hasRedisCli, ioredis, redisCli } from '../helpers/clients.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { Errors } from '../../src/protocol/errors.js';

/** Steps: a command on the main connection, on a second one (RESP2), on the redirect connection, or one more reply read. */
const OTHER = '@other';
const REDIR = '@redir';
const READ = '@read';
const REDIR_READ = '@redir-read';
/** A command on the main connection whose reply is not waited for (it blocks): read later. */
const NOWAIT = '@nowait';
/** Replaced by the redirect connection's id; its number in replies is shown as <redir>. */
const REDIR_ID = '$REDIR';

const CASES: Record<string, string[][]> = {
  'default mode: a key read is invalidated once, a key not read is not': [
    [OTHER, 'MSET', 'a', '1', 'b', '1'], ['CLIENT', 'TRACKING', 'on'], ['GET', 'a'], [OTHER, 'INCR', 'b'], [OTHER, 'INCR', 'a'], [READ],
    [OTHER, 'INCR', 'a'], [READ], ['GET', 'a'], ['PING'],
  ],
  'RESP2 redirect to a subscriber of __redis__:invalidate': [
    [REDIR, 'SUBSCRIBE', '__redis__:invalidate'], ['CLIENT', 'TRACKING', 'on', 'REDIRECT', REDIR_ID], ['CLIENT', 'GETREDIR'],
    [OTHER, 'SET', 'k', 'v'], ['GET', 'k'], ['MGET', 'x', 'y'], [OTHER, 'SET', 'k', 'w'], [REDIR_READ], [OTHER, 'DEL', 'x', 'y'], [REDIR_READ],
    ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'off'], ['CLIENT', 'GETREDIR'], ['CLIENT', 'TRACKINGINFO'],
  ],
  'a redirect target that is not subscribed gets nothing (RESP2)': [
    [REDIR, 'PING'], ['CLIENT', 'TRACKING', 'on', 'REDIRECT', REDIR_ID], ['GET', 'k'], [OTHER, 'SET', 'k', 'v'], [REDIR, 'PING'],
  ],
  'BCAST with prefixes: one message per prefix after a transaction': [
    [REDIR, 'SUBSCRIBE', '__redis__:invalidate'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'REDIRECT', REDIR_ID, 'PREFIX', 'a:', 'PREFIX', 'b:'],
    ['MULTI'], ['INCR', 'a:1'], ['INCR', 'a:2'], ['INCR', 'b:1'], ['INCR', 'c:1'], ['EXEC'], [REDIR_READ], [REDIR_READ],
    ['CLIENT', 'TRACKING', 'on', 'BCAST', 'REDIRECT', REDIR_ID, 'PREFIX', 'c:'], ['INCR', 'c:1'], [REDIR_READ], ['CLIENT', 'TRACKINGINFO'],
  ],
  'BCAST without prefixes hears every key, NOLOOP skips its own writes': [
    ['CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP'], [OTHER, 'SET', 'x', '1'], ['PING'], [READ], ['SET', 'mine', '1'], ['PING'],
    [OTHER, 'SET', 'y', '1'], ['PING'], [READ], ['CLIENT', 'TRACKINGINFO'],
  ],
  'NOLOOP in default mode': [
    ['CLIENT', 'TRACKING', 'on', 'NOLOOP'], ['MGET', 'o1', 'loop', 'o2'], [OTHER, 'SET', 'o1', '1'], [READ], ['SET', 'loop', '1'], ['PING'],
    [OTHER, 'SET', 'o2', '1'], [READ], ['CLIENT', 'TRACKINGINFO'],
  ],
  'OPTIN: only after CLIENT CACHING yes, for one command': [
    ['CLIENT', 'TRACKING', 'on', 'OPTIN'], ['GET', 'a'], [OTHER, 'SET', 'a', '1'], ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKINGINFO'],
    ['GET', 'b'], ['GET', 'c'], [OTHER, 'SET', 'c', '1'], [OTHER, 'SET', 'b', '1'], [READ], ['CLIENT', 'TRACKINGINFO'],
    ['CLIENT', 'CACHING', 'yes'], ['MULTI'], ['GET', 'd'], ['GET', 'e'], ['EXEC'], [OTHER, 'MSET', 'd', '1', 'e', '1'], [READ], [READ],
  ],
  'OPTOUT: CLIENT CACHING no skips the next command': [
    ['CLIENT', 'TRACKING', 'on', 'OPTOUT'], ['CLIENT', 'CACHING', 'no'], ['CLIENT', 'TRACKINGINFO'], ['GET', 'a'], ['GET', 'b'],
    [OTHER, 'SET', 'a', '1'], [OTHER, 'SET', 'b', '1'], [READ], ['PING'],
  ],
  'errors of CLIENT TRACKING and CLIENT CACHING': [
    ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKING'], ['CLIENT', 'TRACKING', 'maybe'], ['CLIENT', 'TRACKING', 'on', 'nosuch'],
    ['CLIENT', 'TRACKING', 'on', 'REDIRECT'], ['CLIENT', 'TRACKING', 'on', 'REDIRECT', 'x'], ['CLIENT', 'TRACKING', 'on', 'REDIRECT', '999999'],
    ['CLIENT', 'TRACKING', 'on', 'REDIRECT', REDIR_ID, 'REDIRECT', REDIR_ID], ['CLIENT', 'TRACKING', 'on', 'PREFIX', 'a'],
    ['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTIN'], ['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'FOOBAR', 'PREFIX', 'FOO'],
    ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'FOO', 'PREFIX', 'FOOBAR'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'FOO', 'PREFIX', 'BAR'],
    ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'FO'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'BARB'], ['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'FOO'],
    ['CLIENT', 'TRACKING', 'on'], ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'off'], ['CLIENT', 'TRACKING', 'off', 'PREFIX', 'x'],
    ['CLIENT', 'TRACKING', 'on', 'OPTIN'], ['CLIENT', 'TRACKING', 'on', 'OPTOUT'], ['CLIENT', 'CACHING', 'no'], ['CLIENT', 'CACHING', 'maybe'],
    ['CLIENT', 'TRACKING', 'on', 'BCAST'], ['CLIENT', 'CACHING'], ['CLIENT', 'CACHING', 'yes', 'no'], ['CLIENT', 'GETREDIR', 'x'], ['CLIENT', 'TRACKINGINFO', 'x'],
    ['CLIENT', 'TRACKING', 'off'], ['CLIENT', 'TRACKINGINFO'],
  ],
  'FLUSHALL and FLUSHDB invalidate everything with a null, SWAPDB nothing': [
    [REDIR, 'SUBSCRIBE', '__redis__:invalidate'], ['CLIENT', 'TRACKING', 'on'], ['GET', 'k'], [OTHER, 'FLUSHALL'], [READ], [OTHER, 'FLUSHDB'], [READ],
    [OTHER, 'SWAPDB', '0', '1'], [READ], ['CLIENT', 'TRACKING', 'on', 'REDIRECT', REDIR_ID], [OTHER, 'FLUSHALL'], [REDIR_READ], ['PING'],
  ],
  'a client\'s own invalidations follow its reply (EXEC, HDEL, FLUSHDB in MULTI, a lazy expiry)': [
    ['CLIENT', 'TRACKING', 'on'], ['HSET', 'h', 'f', '1'], ['HGET', 'h', 'f'], ['HDEL', 'h', 'f'], [READ],
    ['MSET', 'a', '1', 'b', '2'], ['GET', 'a'], ['MULTI'], ['INCR', 'a'], ['GET', 'b'], ['EXEC'], [READ], ['MULTI'], ['FLUSHDB'], ['EXEC'], [READ],
    ['SET', 'gone', 'v', 'PX', '1'], ['GET', 'gone'], ['PING'],
  ],
  'scripts track their declared keys once they read': [
    ['CLIENT', 'TRACKING', 'on'], ['EVAL', "redis.call('set', 'k3', 'bar')", '2', 'k1', 'k2'], [OTHER, 'MSET', 'k1', '2', 'k2', '2'], ['PING'],
    ['EVAL', "redis.call('get', 'k3')", '2', 'k1', 'k2'], [OTHER, 'MSET', 'k2', '2', 'k1', '2'], [READ], [READ],
    ['EVAL_RO', "redis.call('ping')", '2', 'k1', 'k2'], [OTHER, 'MSET', 'k2', '3', 'k1', '3'], ['PING'],
  ],
  'a broken redirection is reported to RESP3 clients and in TRACKINGINFO': [
    [REDIR, 'PING'], ['CLIENT', 'TRACKING', 'on', 'REDIRECT', REDIR_ID], ['GET', 'k'], [REDIR, 'QUIT'], [OTHER, 'SET', 'k', 'v'], ['PING'], [READ],
    ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR'],
  ],
  'switching to BCAST drops the pre-BCAST keys': [
    ['CLIENT', 'TRACKING', 'on'], ['GET', 'key1'], ['CLIENT', 'TRACKING', 'off'], ['CLIENT', 'TRACKING', 'on', 'BCAST'], [OTHER, 'INCR', 'key1'], [READ], ['PING'],
  ],
  'a blocked XREAD is tracked when it blocks, not again once served (Redis 7.0)': [
    ['CLIENT', 'TRACKING', 'on'], [NOWAIT, 'XREAD', 'BLOCK', '0', 'STREAMS', 'x', '$'], [OTHER, 'XADD', 'x', '1-1', 'f', 'v'], [READ], [READ],
    [OTHER, 'XADD', 'x', '2-1', 'f', 'v'], [READ], ['PING'],
  ],
  'RESET turns tracking off': [['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p'], ['RESET'], ['CLIENT', 'TRACKINGINFO'], [OTHER, 'SET', 'p1', 'v'], ['PING']],
  'keyspace notifications of class m (keymiss)': [
    [OTHER, 'CONFIG', 'SET', 'notify-keyspace-events', 'KEm'], [REDIR, 'PSUBSCRIBE', '__key*__:*'], ['GET', 'nokey'], [REDIR_READ], [REDIR_READ],
    ['SET', 'k', 'v'], ['GET', 'k'], ['HGET', 'nohash', 'f'], [REDIR_READ], [REDIR_READ], ['EXISTS', 'nokey'], [REDIR, 'PING'],
    [OTHER, 'CONFIG', 'SET', 'notify-keyspace-events', 'Km'], ['LRANGE', 'nolist', '0', '-1'], [REDIR_READ],
    [OTHER, 'CONFIG', 'SET', 'notify-keyspace-events', 'KA'], ['GET', 'nokey'], [REDIR, 'PING'], [OTHER, 'CONFIG', 'SET', 'notify-keyspace-events', ''],
  ],
};

/** Runs a case on fresh connections; the redirect connection's id is written as <redir>. */
async function replies(port: number, protocol: 2 | 3, steps: string[][]): Promise<string[]> {
  const admin = await ReplyConnection.open(port);
  await admin.send(['FLUSHALL']);
  await admin.send(['CONFIG', 'SET', 'notify-keyspace-events', '']);
  admin.close();
  const c = await ReplyConnection.open(port);
  const redir = await ReplyConnection.open(port);
  let other: ReplyConnection | undefined;
  try {
    const id = (await redir.send(['CLIENT', 'ID'])).slice(1, -2);
    if (protocol === 3) await c.send(['HELLO', '3']);
    const out: string[] = [];
    const args = (s: string[]) => s.map((a) => (a === REDIR_ID ? id : a));
    for (const step of steps) {
      let reply: string;
      if (step[0] === READ) reply = await c.sendRaw(Buffer.alloc(0), 300);
      else if (step[0] === REDIR_READ) reply = await redir.sendRaw(Buffer.alloc(0), 300);
      else if (step[0] === OTHER) reply = await (other ??= await ReplyConnection.open(port)).send(args(step.slice(1)));
      else if (step[0] === REDIR) reply = await redir.send(args(step.slice(1)));
      else if (step[0] === NOWAIT) reply = await c.sendRaw(encodeCommand(step.slice(1)), 100);
      else reply = await c.send(args(step));
      // A lazy expiry needs its millisecond to pass on both servers alike.
      if (step.includes('PX')) await new Promise((r) => setTimeout(r, 20));
      // Client ids differ between the servers: the redirect id is shown where tracking replies name it.
      const namesId = step[0] === READ || step[0] === 'PING' || step[1] === 'GETREDIR' || step[1] === 'TRACKINGINFO';
      out.push(namesId ? reply.split(`:${id}\r\n`).join(':<redir>\r\n') : reply);
    }
    return out;
  } finally {
    c.close();
    redir.close();
    other?.close();
  }
}

describe.skipIf(!hasRedisServer)('client tracking replies and invalidations, byte for byte with redis-server', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  beforeAll(async () => {
    // sealkv's clock is the test's: the lazy expiry case needs real time.
    [redis, sealkv] = await Promise.all([startRedis(), startInProcessRealClock()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  for (const protocol of [2, 3] as const) {
    for (const [name, steps] of Object.entries(CASES)) {
      it(`RESP${protocol}: ${name}`, async () => {
        const expected = await replies(redis.port, protocol, steps);
        const actual = await replies(sealkv.port, protocol, steps);
        const show = (r: string[]) => steps.map((s, i) => `${s.join(' ')} -> ${JSON.stringify(r[i])}`);
        expect(show(actual)).toEqual(show(expected));
      });
    }
  }
});

/** An in-process server whose clock follows the real one (a lazy expiry needs real time on both). */
async function startInProcessRealClock(): Promise<InProcessServer> {
  const server = await startInProcess();
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    server.advance(now - last);
    last = now;
  }, 1);
  const stop = server.stop;
  server.stop = () => {
    clearInterval(timer);
    return stop();
  };
  return server;
}

/** Waits until check() holds. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('client tracking with client libraries', () => {
  let server: InProcessServer;
  const open: Redis[] = [];
  const client = (options: Record<string, unknown> = {}) => {
    const c = ioredis(server.port, options);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    server = await startInProcess();
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers the catalogue\'s errors', async () => {
    const raw = await ReplyConnection.open(server.port);
    try {
      const err = (e: string) => `-${e}\r\n`;
      expect(await raw.send(['CLIENT', 'CACHING', 'yes'])).toBe(err(Errors.cachingNotTracking));
      const self = (await raw.send(['CLIENT', 'ID'])).slice(1, -2);
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'REDIRECT', self, 'REDIRECT', self])).toBe(err(Errors.trackingOneRedirect));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'REDIRECT', 'x'])).toBe(err(Errors.notInteger));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'REDIRECT', '0'])).toBe(err(Errors.trackingNoRedirectClient));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'PREFIX', 'p'])).toBe(err(Errors.trackingPrefixNeedsBcast));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'BCAST', 'OPTOUT'])).toBe(err(Errors.trackingOptBcast));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'OPTIN', 'OPTOUT'])).toBe(err(Errors.trackingOptBoth));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'])).toBe(err(Errors.trackingPrefixOverlapsProvided(Buffer.from('ab'), Buffer.from('a'))));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'OPTIN'])).toBe('+OK\r\n');
      expect(await raw.send(['CLIENT', 'CACHING', 'no'])).toBe(err(Errors.cachingNoNeedsOptout));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'OPTOUT'])).toBe(err(Errors.trackingOptSwitch));
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'BCAST'])).toBe(err(Errors.trackingBcastSwitch));
      expect(await raw.send(['CLIENT', 'TRACKING', 'off'])).toBe('+OK\r\n');
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'OPTOUT'])).toBe('+OK\r\n');
      expect(await raw.send(['CLIENT', 'CACHING', 'yes'])).toBe(err(Errors.cachingYesNeedsOptin));
      expect(await raw.send(['CLIENT', 'TRACKING', 'off'])).toBe('+OK\r\n');
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'x'])).toBe('+OK\r\n');
      expect(await raw.send(['CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'xy'])).toBe(err(Errors.trackingPrefixOverlapsExisting(Buffer.from('xy'), Buffer.from('x'))));
    } finally {
      raw.close();
    }
  });

  it('CLIENT LIST shows t, B, R and redir=; INFO counts clients, keys, items and prefixes', async () => {
    const a = client();
    const b = client();
    const c = client();
    const target = client();
    const targetId = (await target.client('ID')) as number;
    await a.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(targetId));
    await a.mget('k1', 'k2');
    await b.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p:', 'PREFIX', 'q:');
    await c.call('CLIENT', 'TRACKING', 'on');
    await c.get('k1');
    const list = (await a.client('LIST')) as string;
    const line = (id: number) => list.split('\n').find((l) => l.startsWith(`id=${id} `))!;
    const [aId, bId, cId] = await Promise.all([a.client('ID'), b.client('ID'), c.client('ID')]) as number[];
    expect(line(aId!)).toMatch(new RegExp(`flags=t db=.* redir=${targetId} `));
    expect(line(bId!)).toMatch(/flags=tB .* redir=0 /);
    expect(line(cId!)).toMatch(/flags=t .* redir=0 /);
    expect(line(targetId)).toMatch(/flags=N .* redir=-1 /);
    const info = (await a.info()) as string;
    const field = (name: string) => Number(new RegExp(`\r\n${name}:(\\d+)\r\n`).exec(info)?.[1]);
    expect(field('tracking_clients')).toBe(3);
    expect(field('tracking_total_keys')).toBe(2);
    expect(field('tracking_total_items')).toBe(3);
    expect(field('tracking_total_prefixes')).toBe(2);
    // The redirect target goes away: the next invalidation finds the redirection broken.
    target.disconnect();
    await until(async () => !((await b.client('LIST')) as string).includes(`id=${targetId} `), 'the target to go');
    await b.set('k1', 'v');
    await until(async () => /flags=tR /.test(((await b.client('LIST')) as string).split('\n').find((l) => l.startsWith(`id=${aId} `))!), 'flag R');
    expect((await a.call('CLIENT', 'TRACKINGINFO')) as unknown[]).toEqual(['flags', ['on', 'broken_redirect'], 'redirect', targetId, 'prefixes', []]);
  });

  it('tracking-table-max-keys drops the oldest keys, telling their clients', async () => {
    const sub = client({ protocol: 2 });
    const reader = client();
    const admin = client();
    const got: string[] = [];
    sub.on('message', (channel: string, message: unknown) => got.push(`${channel} ${JSON.stringify(message)}`));
    await sub.subscribe('__redis__:invalidate');
    const subId = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as string).match(/id=(\d+)/)![1]!;
    await reader.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', subId);
    for (let i = 0; i < 250; i++) await reader.get(`key${i}`);
    try {
      await admin.config('SET', 'tracking-table-max-keys', '1');
      await until(() => got.length === 249, '249 invalidations', 10_000);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(249);
      // ioredis turns the array of keys into a string (its toString): "key0".
    expect(got[0]).toBe('__redis__:invalidate "key0"');
      const info = (await admin.info('stats')) as string;
      expect(info).toMatch(/\r\ntracking_total_keys:1\r\n/);
    } finally {
      await admin.config('SET', 'tracking-table-max-keys', '1000000');
      await reader.call('CLIENT', 'TRACKING', 'off');
    }
  });

  it('expired keys are invalidated by the active cycle (BCAST)', async () => {
    const sub = client({ protocol: 2 });
    const writer = client();
    const got: string[] = [];
    sub.on('message', (_channel: string, message: unknown) => got.push(JSON.stringify(message)));
    await sub.subscribe('__redis__:invalidate');
    const subId = (await writer.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as string).match(/id=(\d+)/)![1]!;
    await writer.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'REDIRECT', subId, 'NOLOOP', 'PREFIX', 'exp:');
    await writer.set('exp:1', 'v', 'PX', 50);
    await writer.set('other', 'v');
    server.advance(100);
    await until(() => got.length === 1, 'the expiry invalidation', 10_000);
    expect(got).toEqual(['"exp:1"']);
  });

  it('SEAL ROTATE renews the names the table holds: later invalidations still name the keys', async () => {
    const sub = client({ protocol: 2 });
    const reader = client();
    const bcast = client();
    const admin = client();
    const got: string[] = [];
    sub.on('messageBuffer', (_channel: Buffer, message: Buffer[] | null) => got.push(message === null ? 'null' : message.map(String).join(',')));
    await sub.subscribe('__redis__:invalidate');
    const subId = ((await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).match(/id=(\d+)/)![1]!;
    await reader.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', subId);
    await bcast.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'REDIRECT', subId, 'PREFIX', 'rot:');
    await reader.get('rot:1');
    // Two rotations: the data key the names were first sealed under is retired by then.
    for (let i = 0; i < 2; i++) {
      await admin.call('SEAL', 'ROTATE');
      await until(async () => /rotation_in_progress:0/.test((await admin.info('sealkv')) as string), 'the rotation');
    }
    expect((await bcast.call('CLIENT', 'TRACKINGINFO')) as unknown[]).toEqual(['flags', ['on', 'bcast'], 'redirect', Number(subId), 'prefixes', ['rot:']]);
    await admin.set('rot:1', 'v');
    await until(() => got.length === 2, 'two invalidations');
    expect(got).toEqual(['rot:1', 'rot:1']);
  });

  // ioredis 6 speaks RESP3 by default and has no event for pushes: its RESP2 subscriber is
  // how an ioredis application hears invalidations.
  it('ioredis (RESP2): invalidations reach a redirect subscriber as messages', async () => {
    const sub = client({ protocol: 2 });
    const cached = client();
    const writer = client();
    const got: unknown[] = [];
    // messageBuffer has the message as sent: an array of key names, or null for "everything".
    sub.on('messageBuffer', (channel: Buffer, message: Buffer[] | null) => got.push([channel.toString(), message === null ? null : message.map(String)]));
    await sub.subscribe('__redis__:invalidate');
    const subId = (await writer.call('CLIENT', 'LIST', 'TYPE', 'pubsub') as string).match(/id=(\d+)/)![1]!;
    expect(await cached.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', subId)).toBe('OK');
    await writer.set('user:1', 'ada');
    expect(await cached.get('user:1')).toBe('ada');
    await writer.set('user:1', 'grace');
    await until(() => got.length === 1, 'the invalidation');
    expect(got[0]).toEqual(['__redis__:invalidate', ['user:1']]);
    await writer.flushall();
    await until(() => got.length === 2, 'the flush invalidation');
    expect(got[1]).toEqual(['__redis__:invalidate', null]);
  });

  it('node-redis (RESP3): the client-side cache stays correct while another client writes', async () => {
    const cached = createClient({ socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false }, RESP: 3, clientSideCache: { ttl: 0, maxEntries: 0 } });
    const writer = createClient({ socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false } });
    cached.on('error', () => {});
    writer.on('error', () => {});
    await Promise.all([cached.connect(), writer.connect()]);
    try {
      const KEYS = 40;
      const truth = new Map<string, string>();
      for (let i = 0; i < KEYS; i++) {
        truth.set(`csc:${i}`, 'v0');
        await writer.set(`csc:${i}`, 'v0');
      }
      // Reads and writes interleaved: after each acknowledged write and a round trip on the
      // cached connection (the invalidation is ahead of its reply), no read may be stale.
      let stale = 0;
      const writes = (async () => {
        for (let round = 1; round <= 300; round++) {
          const key = `csc:${(round * 7) % KEYS}`;
          const value = `v${round}`;
          if (round % 3 === 0) await writer.hSet(`h:${key}`, 'f', value);
          await writer.set(key, value);
          truth.set(key, value);
        }
      })();
      const reads = (async () => {
        for (let i = 0; i < 600; i++) await cached.get(`csc:${i % KEYS}`);
      })();
      await Promise.all([writes, reads]);
      await cached.ping();
      for (const [key, value] of truth) if ((await cached.get(key)) !== value) stale++;
      expect(stale).toBe(0);
      const stats = cached.clientSideCache!.stats();
      expect(stats.hitCount).toBeGreaterThan(0);
      expect(stats.missCount).toBeGreaterThan(KEYS);
      // A flush empties the cache: every read afterwards goes to the server.
      await writer.flushAll();
      await cached.ping();
      expect(await cached.get('csc:0')).toBeNull();
    } finally {
      await Promise.all([cached.quit(), writer.quit()]);
    }
  });
});

describe.skipIf(!hasRedisCli || !hasRedisServer)('redis-cli beside redis-server', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  for (const protocol of ['-2', '-3']) {
    it(`redis-cli ${protocol}: tracking commands and the pushes of its own writes`, async () => {
      const input = 'CLIENT TRACKING on\nSET k v\nGET k\nSET k w\nPING\nCLIENT TRACKINGINFO\nCLIENT GETREDIR\nCLIENT CACHING yes\nCLIENT TRACKING off\nCLIENT TRACKINGINFO\n';
      const run = (port: number) => redisCli(port, [protocol], input);
      expect(await run(sealkv.port)).toBe(await run(redis.port));
    });
  }
});

/** A printable name made only of bytes: `tk-` then 20 random lower-case letters (never a JS string here). */
function nameBytes(): Buffer {
  const name = Buffer.alloc(23);
  name.write('tk-', 0, 'latin1');
  const noise = randomBytes(20);
  for (let i = 0; i < 20; i++) name[3 + i] = 0x61 + (noise[i]! % 26);
  return name;
}

/** How many of the names appear in a fresh heap snapshot of this process (the server runs in it). */
function namesInHeap(names: Buffer[]): number {
  const file = writeHeapSnapshot(join(tmpdir(), `sealkv-tracking-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  try {
    const snapshot = readFileSync(file);
    return names.filter((n) => snapshot.includes(n)).length;
  } finally {
    rmSync(file, { force: true });
  }
}

describe.each([
  ['yes', false],
  ['no', true],
])('tracked names in the JS heap, seal-keys %s', (mode, found) => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess({ 'seal-keys': mode });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(found ? 'holds the tracked names as strings (the control)' : 'holds no tracked name, prefix or invalidated name as a JS string', async () => {
    const names = Array.from({ length: 30 }, nameBytes);
    const prefixes = Array.from({ length: 5 }, nameBytes);
    const sub = ioredis(server.port, { protocol: 2 });
    const reader = ioredis(server.port);
    const bcast = ioredis(server.port);
    const writer = ioredis(server.port);
    try {
      let messages = 0;
      sub.on('messageBuffer', () => messages++);
      await sub.subscribe('__redis__:invalidate');
      const subId = String((await writer.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).match(/id=(\d+)/)![1]!;
      await reader.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', subId);
      await bcast.callBuffer('CLIENT', 'TRACKING', 'on', 'BCAST', 'REDIRECT', subId, ...prefixes.flatMap((p) => [Buffer.from('PREFIX'), p]));
      for (const n of names) await writer.set(n, Buffer.from('v'));
      for (const n of names) await reader.getBuffer(n);
      await bcast.callBuffer('CLIENT', 'TRACKINGINFO');
      // Half the names change (invalidated and sent), half stay in the table; keys under the prefixes change.
      for (let i = 0; i < names.length; i += 2) await writer.set(names[i]!, Buffer.from('w'));
      for (const p of prefixes) await writer.set(Buffer.concat([p, Buffer.from(':x')]), Buffer.from('v'));
      await until(() => messages === names.length / 2 + prefixes.length, 'the invalidations');
      if (found) expect(namesInHeap([...names.filter((_, i) => i % 2 === 1), ...prefixes])).toBeGreaterThan(0);
      else expect(namesInHeap([...names, ...prefixes])).toBe(0);
    } finally {
      for (const c of [sub, reader, bcast, writer]) c.disconnect();
    }
  });
});
