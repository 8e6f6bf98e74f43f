// Pub/Sub with real clients: replies and pushes byte for byte beside redis-server 7 (RESP2 and
// RESP3), ioredis's and node-redis's subscriber APIs, redis-cli SUBSCRIBE, subscribed mode,
// cleanup on RESET and disconnect, CLIENT LIST / INFO, ACL channel rights (and clients killed
// when they are revoked), and slow subscribers dropped by the pubsub output limit while the
// publisher goes on.

import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, hasRedisCli, ioredis, nodeRedis } from '../helpers/clients.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { pubsubOf } from '../../src/pubsub/registry.js';
import { Errors } from '../../src/protocol/errors.js';

/** Steps of a differential case: a command on the main connection, on a second one, or reading one more push. */
const OTHER = '@other';
/** The run's servers seal key and channel names (vitest project seal-keys). */
const SEALED = process.env.SEALKV_TEST_SEAL_KEYS === 'yes';
const READ = '@read';

const CASES: Record<string, string[][]> = {
  'SUBSCRIBE, PUBLISH from another client, UNSUBSCRIBE': [
    ['SUBSCRIBE', 'news', 'sport'], [READ], [OTHER, 'PUBLISH', 'news', 'hello'], [READ], [OTHER, 'PUBLISH', 'nobody', 'x'],
    ['UNSUBSCRIBE', 'news'], ['UNSUBSCRIBE', 'sport'], ['PING'],
  ],
  'SUBSCRIBE the same channel twice counts it once': [['SUBSCRIBE', 'a'], ['SUBSCRIBE', 'a'], [OTHER, 'PUBSUB', 'NUMSUB', 'a'], ['UNSUBSCRIBE']],
  'UNSUBSCRIBE and PUNSUBSCRIBE with nothing subscribed': [['UNSUBSCRIBE'], ['PUNSUBSCRIBE'], ['SUNSUBSCRIBE'], ['UNSUBSCRIBE', 'x', 'y'], [READ], ['PING']],
  'PSUBSCRIBE and pmessage': [
    ['PSUBSCRIBE', 'news.*'], [OTHER, 'PUBLISH', 'news.tech', 'chips'], [READ], [OTHER, 'PUBLISH', 'other', 'x'], ['PUNSUBSCRIBE', 'news.*'], ['PING'],
  ],
  'a channel and a pattern both match: two deliveries': [
    ['SUBSCRIBE', 'a.b'], ['PSUBSCRIBE', 'a.*'], [OTHER, 'PUBLISH', 'a.b', 'msg'], [READ], [READ], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE'],
  ],
  'subscribed mode: only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET': [
    ['SUBSCRIBE', 'c'], ['GET', 'k'], ['SET', 'k', 'v'], ['CONFIG', 'GET', 'maxmemory'], ['PING'], ['PING', 'hey'], ['PUNSUBSCRIBE'], ['PUBLISH', 'c', 'x'],
    ['UNSUBSCRIBE'], ['GET', 'k'], ['PING'],
  ],
  'RESET leaves subscribed mode without pushes': [['SUBSCRIBE', 'c'], ['PSUBSCRIBE', 'p*'], ['RESET'], ['GET', 'k'], [OTHER, 'PUBSUB', 'NUMSUB', 'c'], [OTHER, 'PUBSUB', 'NUMPAT']],
  'PUBLISH counts channel and pattern receivers': [['PUBLISH', 'c', 'm']],
  'PUBSUB introspection': [
    ['PSUBSCRIBE', 'x*', 'y*'], [READ], ['SUBSCRIBE', 'chan'], [OTHER, 'PUBSUB', 'CHANNELS'], [OTHER, 'PUBSUB', 'CHANNELS', 'ch*'], [OTHER, 'PUBSUB', 'CHANNELS', 'zz*'],
    [OTHER, 'PUBSUB', 'NUMSUB'], [OTHER, 'PUBSUB', 'NUMSUB', 'chan', 'none'], [OTHER, 'PUBSUB', 'NUMPAT'], [OTHER, 'PUBSUB', 'CHANNELS', 'a', 'b'],
    [OTHER, 'PUBSUB', 'NOSUCH'], [OTHER, 'PUBSUB'], [OTHER, 'PUBSUB', 'NUMPAT', 'x'], [OTHER, 'PUBSUB', 'HELP'],
  ],
  'sharded channels': [
    ['SSUBSCRIBE', 'orders'], [OTHER, 'SPUBLISH', 'orders', 'o1'], [READ], [OTHER, 'PUBLISH', 'orders', 'plain'], [OTHER, 'PUBSUB', 'SHARDCHANNELS'],
    [OTHER, 'PUBSUB', 'SHARDNUMSUB', 'orders', 'x'], [OTHER, 'PUBSUB', 'CHANNELS'], ['SUBSCRIBE', 'orders'], ['SUNSUBSCRIBE', 'orders'], ['SUNSUBSCRIBE'], ['UNSUBSCRIBE'],
  ],
  'a shard channel is not matched by patterns': [['PSUBSCRIBE', '*'], [OTHER, 'SPUBLISH', 's', 'x'], [OTHER, 'PUBLISH', 's', 'y'], [READ]],
  'SUBSCRIBE inside MULTI runs; SSUBSCRIBE is refused': [['MULTI'], ['SUBSCRIBE', 'm'], ['SSUBSCRIBE', 's'], ['EXEC'], ['UNSUBSCRIBE']],
  'binary channel names and payloads': [['SUBSCRIBE', 'b\u00ff\u0000c'], [OTHER, 'PUBLISH', 'b\u00ff\u0000c', '\u0000\r\n\u00fe'], [READ], ['UNSUBSCRIBE']],
  'arity errors': [['SUBSCRIBE'], ['PSUBSCRIBE'], ['SSUBSCRIBE'], ['PUBLISH', 'c'], ['SPUBLISH', 'c'], ['PUBLISH', 'a', 'b', 'c']],
  'ACL channel rights': [
    ['ACL', 'SETUSER', 'psu', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&allowed*', '&lit'],
    ['AUTH', 'psu', 'x'], ['PUBLISH', 'allowed.1', 'm'], ['PUBLISH', 'denied', 'm'], ['SUBSCRIBE', 'allowed.2', 'denied'], ['PSUBSCRIBE', 'allowed*'], ['PSUBSCRIBE', 'allowed.*'],
    ['SPUBLISH', 'denied', 'x'], ['RESET'],
    // With seal-keys the refused name is not quoted (a deliberate difference, tested below).
    ...(SEALED ? [] : [[OTHER, 'ACL', 'DRYRUN', 'psu', 'PUBLISH', 'denied', 'm'], [OTHER, 'ACL', 'DRYRUN', 'psu', 'PSUBSCRIBE', 'x*']]),
    [OTHER, 'ACL', 'DRYRUN', 'psu', 'PUBLISH', 'allowed', 'm'],
    [OTHER, 'ACL', 'GETUSER', 'psu'], [OTHER, 'ACL', 'LIST'],
    [OTHER, 'ACL', 'SETUSER', 'fresh'], [OTHER, 'ACL', 'GETUSER', 'fresh'], [OTHER, 'ACL', 'SETUSER', 'psu', 'resetchannels', 'allchannels'], [OTHER, 'ACL', 'LIST'],
    [OTHER, 'ACL', 'DELUSER', 'psu', 'fresh'], [OTHER, 'ACL', 'LOG', 'RESET'],
  ],
  'acl-pubsub-default gives new users their channels': [
    ['CONFIG', 'SET', 'acl-pubsub-default', 'allchannels'], ['ACL', 'SETUSER', 'apd'], ['ACL', 'GETUSER', 'apd'], ['ACL', 'LIST'],
    ['CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels'], ['ACL', 'SETUSER', 'apd2', 'on', 'nopass', '+@all', '~*'], ['ACL', 'LIST'],
    ['AUTH', 'apd2', 'x'], ['PUBLISH', 'c', 'm'], ['RESET'], ['ACL', 'DELUSER', 'apd', 'apd2'], ['ACL', 'LOG', 'RESET'],
  ],
  'a transaction queued before channel rights were taken': [
    ['ACL', 'SETUSER', 'psx', 'on', 'nopass', '+@all', '~*', '&*'], ['AUTH', 'psx', 'x'], ['MULTI'], ['PUBLISH', 'c', 'm'],
    [OTHER, 'ACL', 'SETUSER', 'psx', 'resetchannels'], ['EXEC'], ['RESET'], [OTHER, 'ACL', 'DELUSER', 'psx'], [OTHER, 'ACL', 'LOG', 'RESET'],
  ],
};

/** Runs a case on a fresh pair of connections: one reply (or push) read per step. */
async function replies(port: number, protocol: 2 | 3, steps: string[][]): Promise<string[]> {
  const admin = await ReplyConnection.open(port);
  await admin.send(['FLUSHALL']);
  admin.close();
  const c = await ReplyConnection.open(port);
  let other: ReplyConnection | undefined;
  try {
    if (protocol === 3) await c.send(['HELLO', '3']);
    const out: string[] = [];
    for (const step of steps) {
      if (step[0] === READ) out.push(await c.sendRaw(Buffer.alloc(0), 2000));
      else if (step[0] === OTHER) out.push(await (other ??= await ReplyConnection.open(port)).send(step.slice(1)));
      else out.push(await c.send(step.map((s) => Buffer.from(s, 'latin1').toString('latin1'))));
    }
    return out;
  } finally {
    c.close();
    other?.close();
  }
}

describe.skipIf(!hasRedisServer)('pub/sub replies and pushes, byte for byte with redis-server', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
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

/** Waits until check() holds (a push arrived, a connection closed). */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('pub/sub with client libraries', () => {
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

  it('names the refusals of subscribed mode and of SSUBSCRIBE in MULTI as the catalogue words them', async () => {
    const raw = await ReplyConnection.open(server.port);
    try {
      expect(await raw.send(['subscribe', 'ch'])).toMatch(/^\*3\r\n/);
      expect(await raw.send(['get', 'k'])).toBe(`-${Errors.subscribedModeOnly('get')}\r\n`);
      expect(await raw.send(['unsubscribe'])).toMatch(/^\*3\r\n/);
      expect(await raw.send(['multi'])).toBe('+OK\r\n');
      expect(await raw.send(['ssubscribe', 'sh'])).toBe('+QUEUED\r\n');
      expect(await raw.send(['exec'])).toBe(`*1\r\n-${Errors.denyBlockingSubscribe('SSUBSCRIBE')}\r\n`);
    } finally {
      raw.close();
    }
  });

  it('ioredis: subscribe, psubscribe, binary payloads, unsubscribe', async () => {
    const sub = client();
    const pub = client();
    const got: string[] = [];
    const binary: Buffer[] = [];
    sub.on('message', (ch: string, msg: string) => got.push(`${ch}:${msg}`));
    sub.on('pmessage', (p: string, ch: string, msg: string) => got.push(`${p}|${ch}:${msg}`));
    sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => binary.push(msg));
    expect(await sub.subscribe('news', 'weather')).toBe(2);
    expect(await sub.psubscribe('news.*')).toBe(3);
    expect(await pub.publish('news', 'one')).toBe(1);
    expect(await pub.publish('news.eu', 'two')).toBe(1);
    expect(await pub.publish('weather', Buffer.from([0, 255, 13, 10]))).toBe(1);
    await until(() => got.length === 3, 'three messages');
    expect(got).toEqual(['news:one', 'news.*|news.eu:two', expect.stringMatching(/^weather:/)]);
    expect(binary.at(-1)).toEqual(Buffer.from([0, 255, 13, 10]));
    await sub.unsubscribe('news');
    expect(await pub.publish('news', 'three')).toBe(0);
    expect(await pub.pubsub('NUMSUB', 'weather', 'news')).toEqual(['weather', 1, 'news', 0]);
  });

  it('node-redis (RESP2): subscriber API and pattern listeners', async () => {
    const pub = await nodeRedis(server.port);
    const sub = pub.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    const got: string[] = [];
    await sub.subscribe('orders', (msg, ch) => got.push(`${ch}:${msg}`));
    await sub.pSubscribe('ord*', (msg, ch) => got.push(`p ${ch}:${msg}`));
    await sub.sSubscribe('shard1', (msg, ch) => got.push(`s ${ch}:${msg}`));
    expect(await pub.publish('orders', 'o1')).toBe(2);
    expect(await pub.sPublish('shard1', 's1')).toBe(1);
    await until(() => got.length === 3, 'node-redis messages');
    expect(got.sort()).toEqual(['orders:o1', 'p orders:o1', 's shard1:s1']);
    expect(await pub.pubSubChannels()).toEqual(['orders']);
    expect(await pub.pubSubNumPat()).toBe(1);
    await sub.unsubscribe('orders');
    await sub.pUnsubscribe();
    await sub.sUnsubscribe();
    expect(await pub.publish('orders', 'o2')).toBe(0);
    sub.destroy();
    pub.destroy();
  });

  it('RESP3 (node-redis): pushes arrive alongside ordinary replies on one connection', async () => {
    const { createClient } = await import('redis');
    const c = createClient({ socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false }, RESP: 3 });
    c.on('error', () => {});
    await c.connect();
    const got: string[] = [];
    await c.subscribe('r3', (msg) => got.push(msg));
    const pub = client();
    await pub.set('k', 'v');
    expect(await pub.publish('r3', 'pushed')).toBe(1);
    // The same connection runs ordinary commands while subscribed.
    expect(await c.get('k')).toBe('v');
    await until(() => got.length === 1, 'the RESP3 push');
    expect(got).toEqual(['pushed']);
    c.destroy();
  });

  it.skipIf(!hasRedisCli)('redis-cli SUBSCRIBE prints what is published', async () => {
    const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), 'SUBSCRIBE', 'cli']);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes('cli'), 'redis-cli to subscribe');
      const pub = client();
      await until(async () => (await pub.publish('cli', 'from-test')) === 1, 'the subscriber');
      await until(() => out.includes('from-test'), 'redis-cli to print the message');
      expect(out.split('\n').filter((l) => l !== '')).toEqual(['subscribe', 'cli', '1', 'message', 'cli', 'from-test']);
    } finally {
      child.kill();
    }
    // The server sees the kill asynchronously: the next test counts every subscribed channel.
    const admin = client();
    await until(async () => ((await admin.pubsub('NUMSUB', 'cli')) as unknown[])[1] === 0, 'redis-cli to leave');
  });

  it('CLIENT LIST shows sub/psub/ssub and flag P; INFO counts channels and patterns; disconnect cleans up', async () => {
    const sub = client();
    await sub.subscribe('a', 'b');
    await sub.psubscribe('p*');
    const admin = client();
    const id = await sub.client('ID');
    const line = ((await admin.client('LIST', 'ID', String(id))) as string).trim();
    expect(line).toMatch(/ flags=P db=0 sub=2 psub=1 ssub=0 /);
    expect(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).toContain(`id=${id} `);
    expect(await admin.call('CLIENT', 'LIST', 'TYPE', 'normal')).not.toContain(`id=${id} `);
    const info = (await admin.info('stats')) as string;
    expect(info).toMatch(/pubsub_channels:2\r\n/);
    expect(info).toMatch(/pubsub_patterns:1\r\n/);
    sub.disconnect();
    await until(async () => ((await admin.pubsub('NUMSUB', 'a')) as unknown[])[1] === 0, 'the disconnect to unsubscribe');
    expect(await admin.pubsub('NUMPAT')).toBe(0);
    expect(pubsubOf(server.running.state).size('channel')).toBe(0);
  });

  it('a refused channel is named in ACL DRYRUN and ACL LOG, or not at all with seal-keys', async () => {
    const admin = client();
    await admin.acl('SETUSER', 'dry', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&ok');
    const shown = SEALED ? '(sealed channel name)' : 'secret-channel';
    expect(await admin.acl('DRYRUN', 'dry', 'PUBLISH', 'secret-channel', 'm')).toBe(`This user has no permissions to access the '${shown}' channel`);
    const dry = client({ username: 'dry', password: 'x' });
    await expect(dry.publish('secret-channel', 'm')).rejects.toThrow('NOPERM this user has no permissions to access one of the channels used as arguments');
    const log = (await admin.acl('LOG', '1')) as unknown[][];
    expect(log[0]).toEqual(expect.arrayContaining(['reason', 'channel', 'object', shown]));
    await admin.acl('DELUSER', 'dry');
    await admin.acl('LOG', 'RESET');
  });

  it('ACL SETUSER that takes a subscribed channel away disconnects the subscriber; a superset does not', async () => {
    const admin = client();
    await admin.acl('SETUSER', 'listener', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&news', '&sport');
    const keep = client({ username: 'listener', password: 'x' });
    const lose = client({ username: 'listener', password: 'x' });
    await keep.subscribe('news');
    await lose.subscribe('sport');
    let lostClosed = false;
    let keptClosed = false;
    lose.on('close', () => (lostClosed = true));
    keep.on('close', () => (keptClosed = true));
    lose.options.retryStrategy = () => null;
    keep.options.retryStrategy = () => null;
    // Adding rights changes nothing for anyone.
    await admin.acl('SETUSER', 'listener', '&more');
    await new Promise((r) => setTimeout(r, 100));
    expect(lostClosed || keptClosed).toBe(false);
    await admin.acl('SETUSER', 'listener', 'resetchannels', '&news');
    await until(() => lostClosed, 'the subscriber of a revoked channel to be closed');
    expect(keptClosed).toBe(false);
    expect(await admin.publish('news', 'still')).toBe(1);
    await admin.acl('DELUSER', 'listener');
  });
});

describe('slow subscribers and the pubsub output limit', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess({ 'client-output-buffer-limit': 'normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 262144 60' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a subscriber that stops reading is disconnected; the publisher and a reading subscriber carry on', async () => {
    const slow: Socket = connect(server.port, '127.0.0.1');
    let slowClosed = false;
    slow.on('close', () => (slowClosed = true));
    slow.on('error', () => {});
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.write(encodeCommand(['SUBSCRIBE', 'firehose']));
    await new Promise<void>((resolve) => slow.once('data', () => resolve()));
    slow.pause();
    const fast = ioredis(server.port);
    const pub = ioredis(server.port);
    let received = 0;
    fast.on('messageBuffer', () => received++);
    await fast.subscribe('firehose');
    const payload = Buffer.alloc(64 * 1024, 0x61);
    const started = Date.now();
    let published = 0;
    // Two subscribers until the server drops the one that does not read (a paused socket sees
    // the close only once it reads again).
    let receivers = 2;
    for (let i = 0; i < 400 && receivers === 2; i++) {
      receivers = await pub.publish('firehose', payload);
      published++;
    }
    expect(receivers).toBe(1);
    expect(await pub.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).not.toMatch(/cmd=subscribe .*\n.*cmd=subscribe/);
    slow.resume();
    await until(() => slowClosed, 'the slow subscriber to see the close', 10_000);
    // The publisher never waited on the slow reader: each PUBLISH answered at once.
    expect(Date.now() - started).toBeLessThan(10_000);
    await until(() => received === published, 'the reading subscriber to get every message');
    expect(await pub.pubsub('NUMSUB', 'firehose')).toEqual(['firehose', 1]);
    fast.disconnect();
    pub.disconnect();
    slow.destroy();
  });
});

describe('sealed channel names (--seal-keys) across a key rotation', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess({ 'seal-keys': 'yes' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('files channels under keyed hashes and still shows and matches them after SEAL ROTATE retired the old key', async () => {
    const sub = ioredis(server.port);
    const pub = ioredis(server.port);
    const got: string[] = [];
    sub.on('pmessage', (p: string, ch: string, m: string) => got.push(`${p} ${ch} ${m}`));
    await sub.subscribe('secret:channel');
    await sub.psubscribe('secret:*');
    const ps = pubsubOf(server.running.state);
    // The registry's lookup string is not the name.
    expect(ps.idOf(Buffer.from('secret:channel'))).not.toBe('secret:channel');
    const before = await pub.call('SEAL', 'STATUS');
    await pub.call('SEAL', 'ROTATE');
    for (let i = 0; i < 500; i++) {
      const info = (await pub.info('sealkv')) as string;
      if (info.includes('rotation_in_progress:0') && /rotations_completed:[1-9]/.test(info)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await pub.call('SEAL', 'STATUS')).not.toEqual(before);
    expect(await pub.pubsub('CHANNELS')).toEqual(['secret:channel']);
    expect(await pub.publish('secret:channel', 'after')).toBe(2);
    await until(() => got.length === 1, 'the pattern message');
    expect(got).toEqual(['secret:* secret:channel after']);
    sub.disconnect();
    pub.disconnect();
  });
});
