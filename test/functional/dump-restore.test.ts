// DUMP / RESTORE / RESTORE-ASKING: every type round-trips through a sealed payload (under
// another key, in another database, with TTL, ABSTTL, REPLACE, IDLETIME), the payload carries no
// plaintext, a tampered payload or one sealed under another master key is refused, and Redis
// and sealkv refuse each other's payloads. Error texts are compared with redis-server 7.0.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { RESP_TYPES } from 'redis';
import { withServer } from '../helpers/fixture.js';
import { ioredis, nodeRedis, redisCliMissing } from '../helpers/clients.js';
import { freePort, startInProcess, type InProcessServer } from '../helpers/server.js';
import { compareWithRedis, hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { crc64 } from '../../src/seal/transport.js';
import { Errors } from '../../src/protocol/errors.js';
import { PAYLOAD_VERSION } from '../../src/persistence/payload.js';

const PAYLOAD_ERROR = 'ERR DUMP payload version or checksum are wrong';
const { server, client } = withServer();

async function dump(c: Redis, key: string): Promise<Buffer> {
  const payload = (await c.callBuffer('dump', key)) as Buffer | null;
  if (payload === null) throw new Error(`no payload for ${key}`);
  return payload;
}

async function restoreError(c: Redis, key: string, payload: Buffer, ...options: string[]): Promise<string> {
  try {
    await c.call('restore', key, '0', payload, ...options);
    return 'no error';
  } catch (err) {
    return (err as Error).message;
  }
}

/** One value of each type, filled from `marker` strings, and how to read it back for comparison. */
async function fillAll(c: Redis, mark: string): Promise<void> {
  await c.set('str', `${mark}-string-value`);
  await c.set('int', '12345');
  await c.set('big', Buffer.alloc(200_000, 'b'));
  await c.hset('hash', `${mark}-f1`, `${mark}-v1`, 'f2', Buffer.from([0, 1, 2, 255]));
  await c.rpush('list', `${mark}-l1`, `${mark}-l2`, 'x', 'x', '');
  await c.sadd('set', `${mark}-s1`, `${mark}-s2`, '7');
  await c.sadd('intset', '1', '2', '3');
  await c.zadd('zset', 1, `${mark}-z1`, 1, `${mark}-z0`, -2.5, 'neg', 'inf', 'top');
  await c.xadd('stream', '1-1', 'field', `${mark}-e1`);
  await c.xadd('stream', '2-5', 'a', `${mark}-e2`, 'b', 'c');
  await c.xadd('stream', '3-0', 'k', 'v');
  await c.xdel('stream', '3-0');
  await c.xgroup('CREATE', 'stream', 'g1', '0');
  await c.xgroup('CREATE', 'stream', 'g2', '$');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '1', 'STREAMS', 'stream', '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'STREAMS', 'stream', '>');
  await c.call('xgroup', 'createconsumer', 'stream', 'g2', 'carol');
}

const KEYS = ['str', 'int', 'big', 'hash', 'list', 'set', 'intset', 'zset', 'stream'];

/** Everything observable about a key, for before/after comparison. */
async function snapshot(c: Redis, key: string): Promise<unknown> {
  const type = await c.type(key);
  const enc = await c.call('object', 'encoding', key);
  switch (type) {
    case 'string': return [type, enc, await c.getBuffer(key)];
    case 'hash': return [type, enc, await c.hgetallBuffer(key)];
    case 'list': return [type, enc, await c.lrangeBuffer(key, 0, -1)];
    case 'set': return [type, enc, (await c.smembers(key)).sort()];
    case 'zset': return [type, enc, await c.zrange(key, '0', '-1', 'WITHSCORES')];
    case 'stream': {
      const groups = (await c.call('xinfo', 'groups', key)) as unknown[];
      const full = (await c.call('xinfo', 'stream', key, 'full')) as unknown[];
      return [type, enc, await c.xrange(key, '-', '+'), groups, full];
    }
    default: return [type];
  }
}

describe('DUMP and RESTORE round trips', () => {
  it('every type restores under another key with the same contents and encoding', async () => {
    await fillAll(client, 'MARK');
    for (const key of KEYS) {
      const payload = await dump(client, key);
      expect(await client.call('restore', `${key}:copy`, '0', payload)).toBe('OK');
      expect(await snapshot(client, `${key}:copy`), key).toEqual(await snapshot(client, key));
      expect(await client.pttl(`${key}:copy`)).toBe(-1);
    }
  });

  it('restores into another database, and the copy is independent of the source', async () => {
    await fillAll(client, 'DB');
    const other = ioredis(server.port, { db: 3 });
    try {
      for (const key of KEYS) {
        const payload = await dump(client, key);
        expect(await other.call('restore', key, '0', payload)).toBe('OK');
        expect(await snapshot(other, key), key).toEqual(await snapshot(client, key));
      }
      await other.rpush('list', 'more');
      expect(await client.llen('list')).toBe(5);
      expect(await other.llen('list')).toBe(6);
    } finally {
      other.disconnect();
    }
  });

  it('DUMP of a missing key is nil', async () => {
    expect(await client.callBuffer('dump', 'nosuch')).toBeNull();
  });

  it('TTL is relative in ms; ABSTTL takes a unix time; a time in the past stores nothing', async () => {
    await client.rpush('l', 'a', 'b');
    const payload = await dump(client, 'l');
    await client.call('restore', 'rel', '5000', payload);
    const pttl = await client.pttl('rel');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
    const at = Date.now() + 60_000;
    await client.call('restore', 'abs', String(at), payload, 'ABSTTL');
    expect(Number(await client.call('pexpiretime', 'abs'))).toBe(at);
    expect(await client.call('restore', 'past', '1', payload, 'ABSTTL')).toBe('OK');
    expect(await client.exists('past')).toBe(0);
    // REPLACE with an expired time deletes the key that was there.
    await client.set('gone', 'x');
    expect(await client.call('restore', 'gone', '1', payload, 'ABSTTL', 'REPLACE')).toBe('OK');
    expect(await client.exists('gone')).toBe(0);
  });

  it('BUSYKEY without REPLACE; REPLACE overwrites a key of another type', async () => {
    await client.sadd('s', 'm1', 'm2');
    await client.set('target', 'old');
    const payload = await dump(client, 's');
    expect(await restoreError(client, 'target', payload)).toBe('BUSYKEY Target key name already exists.');
    expect(await client.get('target')).toBe('old');
    expect(await client.call('restore', 'target', '0', payload, 'REPLACE')).toBe('OK');
    expect((await client.smembers('target')).sort()).toEqual(['m1', 'm2']);
  });

  it('IDLETIME sets the idle time; FREQ is checked and accepted', async () => {
    await client.set('k', 'v');
    const payload = await dump(client, 'k');
    await client.call('restore', 'idle', '0', payload, 'IDLETIME', '1000');
    expect(Number(await client.call('object', 'idletime', 'idle'))).toBeGreaterThanOrEqual(1000);
    expect(await client.call('restore', 'freq', '0', payload, 'FREQ', '100')).toBe('OK');
    expect(await client.get('freq')).toBe('v');
  });

  it('RESTORE-ASKING restores on a standalone server as RESTORE does', async () => {
    await client.zadd('z', 1, 'a', 2, 'b');
    const payload = await dump(client, 'z');
    expect(await client.call('restore-asking', 'z2', '0', payload)).toBe('OK');
    expect(await client.zrange('z2', '0', '-1', 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
  });

  it("signals the 'restore' keyspace event", async () => {
    await client.config('SET', 'notify-keyspace-events', 'KEA');
    const sub = ioredis(server.port);
    try {
      const got: string[] = [];
      sub.on('pmessage', (_p, channel, message) => got.push(`${channel} ${message}`));
      await sub.psubscribe('__keyevent@0__:*');
      await client.set('e', 'v');
      await client.call('restore', 'e2', '0', await dump(client, 'e'));
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toContain('__keyevent@0__:restore e2');
    } finally {
      sub.disconnect();
      await client.config('SET', 'notify-keyspace-events', '');
    }
  });

  it('key specs: COMMAND GETKEYS names the key', async () => {
    expect(await client.call('command', 'getkeys', 'restore', 'k1', '0', 'x', 'REPLACE')).toEqual(['k1']);
    expect(await client.call('command', 'getkeys', 'dump', 'k2')).toEqual(['k2']);
  });

  it('node-redis: DUMP as a buffer, RESTORE from it', async () => {
    const nr = await nodeRedis(server.port);
    try {
      await nr.hSet('nh', { a: '1', b: '2' });
      const payload = (await nr.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).sendCommand(['DUMP', 'nh'])) as unknown as Buffer;
      expect(Buffer.isBuffer(payload)).toBe(true);
      expect(await nr.sendCommand(['RESTORE', 'nh2', '0', payload])).toBe('OK');
      expect(await nr.hGetAll('nh2')).toEqual({ a: '1', b: '2' });
    } finally {
      await nr.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli -x RESTORE reads the payload from stdin', async () => {
    await client.rpush('cli', 'one', 'two');
    const payload = await dump(client, 'cli');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), '-x', 'restore', 'cli2', '0']);
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(text));
      child.stdin.end(payload);
    });
    expect(out.trim()).toBe('OK');
    expect(await client.lrange('cli2', 0, -1)).toEqual(['one', 'two']);
  });
});

describe('DUMP payloads are sealed', () => {
  it('no element, field or value appears in any payload', async () => {
    await fillAll(client, 'PLAINMARK');
    for (const key of KEYS) {
      const payload = await dump(client, key);
      expect(payload.includes('PLAINMARK'), key).toBe(false);
      expect(payload.includes('12345'), key).toBe(false);
      expect(payload.includes(Buffer.alloc(64, 'b')), key).toBe(false);
    }
  });

  it('two DUMPs of the same value differ (fresh nonce) and both restore', async () => {
    await client.set('n', 'same');
    const a = await dump(client, 'n');
    const b = await dump(client, 'n');
    expect(a.equals(b)).toBe(false);
    await client.call('restore', 'na', '0', a);
    await client.call('restore', 'nb', '0', b);
    expect(await client.mget('na', 'nb')).toEqual(['same', 'same']);
  });

  it('any byte flipped makes the payload refused, and nothing is stored', async () => {
    await client.hset('t', 'field', 'value');
    const payload = await dump(client, 't');
    for (let i = 0; i < payload.length; i++) {
      const bad = Buffer.from(payload);
      bad[i]! ^= 0x01;
      expect(await restoreError(client, 'tampered', bad), `byte ${i}`).toBe(PAYLOAD_ERROR);
    }
    expect(await restoreError(client, 'tampered', payload.subarray(0, payload.length - 1))).toBe(PAYLOAD_ERROR);
    expect(await restoreError(client, 'tampered', Buffer.concat([payload, Buffer.from([0])]))).toBe(PAYLOAD_ERROR);
    expect(await client.exists('tampered')).toBe(0);
  });

  it('carries an RDB-shaped trailer: version 0xFF5E and Redis CRC-64 of what precedes', async () => {
    await client.set('c', 'v');
    const payload = await dump(client, 'c');
    expect(payload.readUInt16LE(payload.length - 10)).toBe(0xff5e);
    expect(payload.readBigUInt64LE(payload.length - 8)).toBe(crc64(payload.subarray(0, payload.length - 8)));
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });
});

describe('payloads between servers', () => {
  const KEY_HEX = 'a1'.repeat(32);
  const OTHER_HEX = 'b2'.repeat(32);
  let same: InProcessServer;
  let sameB: InProcessServer;
  let other: InProcessServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    // The server clears the variable once it has read the key: set it before each start.
    process.env.SEALKV_DUMP_TEST_KEY = KEY_HEX;
    same = await startInProcess({ 'master-key-env': 'SEALKV_DUMP_TEST_KEY' });
    process.env.SEALKV_DUMP_TEST_KEY = KEY_HEX;
    sameB = await startInProcess({ 'master-key-env': 'SEALKV_DUMP_TEST_KEY' });
    process.env.SEALKV_DUMP_TEST_KEY = OTHER_HEX;
    other = await startInProcess({ 'master-key-env': 'SEALKV_DUMP_TEST_KEY' });
    delete process.env.SEALKV_DUMP_TEST_KEY;
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([same?.stop(), sameB?.stop(), other?.stop()]);
  });
  function connect(s: InProcessServer): Redis {
    const c = ioredis(s.port);
    clients.push(c);
    return c;
  }

  it('a node with the same master key restores every type; one with another key refuses', async () => {
    const a = connect(same);
    const b = connect(sameB);
    const c = connect(other);
    await fillAll(a, 'X');
    for (const key of KEYS) {
      const payload = await dump(a, key);
      expect(await b.call('restore', key, '0', payload)).toBe('OK');
      expect(await snapshot(b, key), key).toEqual(await snapshot(a, key));
      expect(await restoreError(c, key, payload), key).toBe(PAYLOAD_ERROR);
    }
    expect(await c.dbsize()).toBe(0);
    // The ephemeral-key server of this file shares no key with either.
    expect(await restoreError(client, 'x', await dump(a, 'str'))).toBe(PAYLOAD_ERROR);
  });

  describe('MIGRATE', () => {
    it('moves keys with their TTL; COPY keeps them; REPLACE overwrites; BUSYKEY is reported', async () => {
      const a = connect(same);
      const b = connect(sameB);
      await b.flushall();
      await a.rpush('ml', 'x', 'y');
      await a.set('ms', 'v', 'PX', 100_000);
      expect(await a.call('migrate', '127.0.0.1', String(sameB.port), 'ml', '0', '1000')).toBe('OK');
      expect(await a.exists('ml')).toBe(0);
      expect(await b.lrange('ml', 0, -1)).toEqual(['x', 'y']);
      expect(await a.call('migrate', '127.0.0.1', String(sameB.port), 'ms', '5', '1000', 'COPY')).toBe('OK');
      expect(await a.get('ms')).toBe('v');
      const b5 = ioredis(sameB.port, { db: 5 });
      clients.push(b5);
      expect(await b5.get('ms')).toBe('v');
      const ttl = await b5.pttl('ms');
      expect(ttl).toBeGreaterThan(90_000);
      await a.set('ml', 'new');
      await expect(a.call('migrate', '127.0.0.1', String(sameB.port), 'ml', '0', '1000')).rejects.toThrow(
        'ERR Target instance replied with error: BUSYKEY Target key name already exists.');
      expect(await a.get('ml')).toBe('new');
      expect(await a.call('migrate', '127.0.0.1', String(sameB.port), 'ml', '0', '1000', 'REPLACE')).toBe('OK');
      expect(await b.get('ml')).toBe('new');
      expect(await a.exists('ml')).toBe(0);
    });

    it('KEYS form moves the keys that exist; NOKEY when none does', async () => {
      const a = connect(same);
      const b = connect(sameB);
      await b.flushall();
      await a.mset('k1', '1', 'k2', '2');
      expect(await a.call('migrate', '127.0.0.1', String(sameB.port), '', '0', '1000', 'KEYS', 'k1', 'missing', 'k2')).toBe('OK');
      expect(await b.mget('k1', 'k2')).toEqual(['1', '2']);
      expect(await a.exists('k1', 'k2')).toBe(0);
      expect(await a.call('migrate', '127.0.0.1', String(sameB.port), '', '0', '1000', 'KEYS', 'k1')).toBe('NOKEY');
    });

    it('AUTH and AUTH2 are sent to the target; its refusal is reported', async () => {
      const a = connect(same);
      const b = connect(sameB);
      await b.flushall();
      await b.config('SET', 'requirepass', 'pw');
      try {
        await a.set('auth1', 'v');
        await expect(a.call('migrate', '127.0.0.1', String(sameB.port), 'auth1', '0', '1000', 'AUTH', 'wrong')).rejects.toThrow(
          'ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.');
        expect(await a.exists('auth1')).toBe(1);
        expect(await a.call('migrate', '127.0.0.1', String(sameB.port), 'auth1', '0', '1000', 'AUTH', 'pw')).toBe('OK');
        await a.set('auth2', 'v');
        expect(await a.call('migrate', '127.0.0.1', String(sameB.port), 'auth2', '0', '1000', 'AUTH2', 'default', 'pw')).toBe('OK');
      } finally {
        await b.call('auth', 'pw');
        await b.config('SET', 'requirepass', '');
      }
    });

    it('a target with another master key refuses the payload and the key stays', async () => {
      const a = connect(same);
      await a.set('foreign', 'v');
      await expect(a.call('migrate', '127.0.0.1', String(other.port), 'foreign', '0', '1000')).rejects.toThrow(
        `ERR Target instance replied with error: ${PAYLOAD_ERROR}`);
      expect(await a.get('foreign')).toBe('v');
    });

    it('IOERR when the target is unreachable or silent', async () => {
      const a = connect(same);
      await a.set('io', 'v');
      const port = await freePort();
      await expect(a.call('migrate', '127.0.0.1', String(port), 'io', '0', '500')).rejects.toThrow('IOERR error or timeout connecting to the client');
      const silent = createServer(() => {});
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      try {
        const silentPort = (silent.address() as { port: number }).port;
        await expect(a.call('migrate', '127.0.0.1', String(silentPort), 'io', '0', '300')).rejects.toThrow('IOERR error or timeout reading to target instance');
      } finally {
        silent.close();
      }
      expect(await a.get('io')).toBe('v');
    });
  });

  describe.skipIf(!hasRedisServer)('with redis-server', () => {
    let redis: ReferenceRedis;
    let rc: Redis;
    beforeAll(async () => {
      redis = await startRedis();
      rc = ioredis(redis.port);
      clients.push(rc);
    });
    afterAll(async () => {
      rc?.disconnect();
      await redis?.stop();
    });

    it('a redis-server payload is refused, and a sealkv payload is refused by redis-server', async () => {
      await rc.set('k', 'v');
      await rc.rpush('l', 'a');
      const a = connect(same);
      await a.set('k', 'v');
      for (const key of ['k', 'l']) {
        const theirs = await dump(rc, key);
        // Our CRC-64 is Redis's: a real Redis payload checks out.
        expect(theirs.readBigUInt64LE(theirs.length - 8)).toBe(crc64(theirs.subarray(0, theirs.length - 8)));
        expect(await restoreError(a, `r${key}`, theirs)).toBe(PAYLOAD_ERROR);
      }
      expect(await restoreError(rc, 'ours', await dump(a, 'k'))).toBe(PAYLOAD_ERROR);
      expect(await rc.exists('ours')).toBe(0);
    });
  });
});

// Argument checks, byte for byte with redis-server 7.0 (no payload contents involved: the
// payloads here are junk both refuse, or absent).
compareWithRedis('DUMP and RESTORE errors, byte for byte with redis-server', {
  'DUMP of a missing key': [['DUMP', 'nosuch']],
  'arity': [['DUMP'], ['DUMP', 'a', 'b'], ['RESTORE', 'k', '0'], ['RESTORE-ASKING', 'k']],
  'BUSYKEY comes before the TTL and payload checks': [['SET', 'k', 'v'], ['RESTORE', 'k', '-1', 'junk'], ['RESTORE', 'k', '0', 'junk']],
  'TTL checks': [['RESTORE', 'k', '-1', 'junk'], ['RESTORE', 'k', 'abc', 'junk'], ['RESTORE', 'k', '1.5', 'junk'], ['RESTORE', 'k', '99999999999999999999', 'junk']],
  'a junk payload': [['RESTORE', 'k', '0', 'junk'], ['RESTORE', 'k', '0', ''], ['RESTORE', 'k', '0', 'junkjunkjunkjunk', 'REPLACE', 'ABSTTL']],
  'option checks': [
    ['RESTORE', 'k', '0', 'junk', 'BOGUS'], ['RESTORE', 'k', '0', 'junk', 'IDLETIME'], ['RESTORE', 'k', '0', 'junk', 'IDLETIME', '-1'],
    ['RESTORE', 'k', '0', 'junk', 'IDLETIME', 'x'], ['RESTORE', 'k', '0', 'junk', 'FREQ', '256'], ['RESTORE', 'k', '0', 'junk', 'FREQ', '-1'],
    ['RESTORE', 'k', '0', 'junk', 'FREQ', 'x'], ['RESTORE', 'k', '0', 'junk', 'FREQ', '1', 'IDLETIME', '1'], ['RESTORE', 'k', '0', 'junk', 'IDLETIME', '1', 'FREQ', '1'],
    ['RESTORE', 'k', '0', 'junk', 'FREQ'], ['RESTORE', 'k', '0', 'junk', 'REPLACE', 'BOGUS'],
  ],
  'options are checked before BUSYKEY': [['SET', 'k', 'v'], ['RESTORE', 'k', '0', 'junk', 'FREQ', '300'], ['RESTORE', 'k', '0', 'junk', 'BOGUS']],
  'MIGRATE argument checks': [
    ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100', 'BOGUS'], ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100', 'AUTH'],
    ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100', 'AUTH2', 'u'], ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100', 'KEYS', 'a'],
    ['MIGRATE', '127.0.0.1', '1', 'k', 'x', '100'], ['MIGRATE', '127.0.0.1', '1', 'k', '0', 'x'], ['MIGRATE', '127.0.0.1', '1', 'k', '0'],
    ['MIGRATE', '127.0.0.1', '1', 'nosuch', '0', '100'], ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'COPY', 'REPLACE', 'KEYS', 'a', 'b'],
    ['COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', '', '0', '5', 'AUTH', 'x', 'KEYS', 'a', 'b'], ['COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', 'k', '0', '5'],
  ],
  'RESTORE-ASKING checks as RESTORE': [['SET', 'k', 'v'], ['RESTORE-ASKING', 'k', '0', 'junk'], ['RESTORE-ASKING', 'k2', '-5', 'junk']],
}, () => startInProcess());

describe('RESTORE and MIGRATE argument errors, named', () => {
  it('checks TTL, IDLETIME, FREQ and MIGRATE KEYS before the payload, with Redis 7.0 texts', async () => {
    const err = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.message);
    expect(await err(client.call('restore', 'k', '-1', 'junk'))).toBe(Errors.invalidTtl);
    expect(await err(client.call('restore', 'k', '0', 'junk', 'IDLETIME', '-1'))).toBe(Errors.invalidIdletime);
    expect(await err(client.call('restore', 'k', '0', 'junk', 'FREQ', '256'))).toBe(Errors.invalidFreq);
    expect(await err(client.call('migrate', '127.0.0.1', '1', 'k', '0', '100', 'KEYS', 'k'))).toBe(Errors.migrateKeysNeedEmptyKey);
  });

  it('refuses a payload that authenticates but whose contents make no value (a newer format, say)', async () => {
    const transport = server.running.state.transport;
    // Version right, then a type sealkv does not know; and a list that claims more elements than it has.
    for (const body of [Buffer.from([PAYLOAD_VERSION, 250]), Buffer.from([PAYLOAD_VERSION, 2, 0, 0, 0, 9])]) {
      await expect(client.call('restore', 'bad', '0', transport.seal(body))).rejects.toThrow(Errors.badDataFormat);
    }
    expect(await client.exists('bad')).toBe(0);
  });
});
