// Differential run for replication: a fixed-seed stream of random writes of every type (with
// MULTI blocks, scripts, SELECT, SWAPDB, FLUSHDB, RENAME, expiries, deletions, pipelines) goes to
// a primary; once WAIT says the replica has it all, every key of every used database must read
// the same on both (type, value, and whether it has a TTL). Runs in well under a minute.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { prng } from '../helpers/prng.js';
import type { SpawnedServer } from '../helpers/server.js';
import { linkUp, newMasterKey, startNode } from '../helpers/replication.js';
import { fromEnv } from '../helpers/differential.js';

const SEED = fromEnv(['DIFF_SEED'], 19019, 'seed');
const COUNT = fromEnv(['DIFF_COUNT'], 4000, 'count');
const DBS = 3;

type Rnd = () => number;
const pick = <T>(r: Rnd, l: readonly T[]): T => l[Math.floor(r() * l.length)]!;
const KEYS = ['s1', 's2', 'h1', 'l1', 'z1', 'x1', 'st1', 'n1', 'e1'];
const VALS = ['a', 'bb', '', '12', '-3.5', 'x'.repeat(100), '\u00ff\u0000\r\n', 'v'];
const k = (r: Rnd) => pick(r, KEYS);
const v = (r: Rnd) => pick(r, VALS);

const WRITES: ((r: Rnd) => string[])[] = [
  (r) => ['SET', k(r), v(r)],
  (r) => ['SET', k(r), v(r), 'EX', '1000'],
  (r) => ['APPEND', k(r), v(r)],
  (r) => ['INCRBY', 'n1', String(Math.floor(r() * 20) - 10)],
  (r) => ['SETRANGE', k(r), String(Math.floor(r() * 5)), v(r)],
  (r) => ['HSET', k(r), pick(r, ['f1', 'f2', 'f3']), v(r)],
  (r) => ['HDEL', k(r), pick(r, ['f1', 'f2'])],
  () => ['HINCRBY', 'h1', 'cnt', '1'],
  (r) => [pick(r, ['LPUSH', 'RPUSH']), k(r), v(r), v(r)],
  (r) => [pick(r, ['LPOP', 'RPOP']), k(r)],
  (r) => ['LTRIM', k(r), '0', String(Math.floor(r() * 4))],
  (r) => ['SADD', k(r), v(r), v(r)],
  (r) => ['SREM', k(r), v(r)],
  (r) => ['ZADD', k(r), String(Math.floor(r() * 100) / 4), v(r)],
  (r) => ['ZINCRBY', k(r), '1.5', v(r)],
  (r) => ['ZREM', k(r), v(r)],
  (r) => ['XADD', k(r), '*', 'f', v(r)],
  (r) => ['XTRIM', k(r), 'MAXLEN', '2'],
  (r) => ['DEL', k(r)],
  (r) => ['EXPIRE', k(r), String(100 + Math.floor(r() * 1000))],
  (r) => ['PERSIST', k(r)],
  (r) => ['RENAME', k(r), k(r)],
  (r) => ['COPY', k(r), k(r), 'REPLACE'],
  (r) => ['SELECT', String(Math.floor(r() * DBS))],
  (r) => ['SWAPDB', String(Math.floor(r() * DBS)), String(Math.floor(r() * DBS))],
  (r) => ['MOVE', k(r), String(Math.floor(r() * DBS))],
  (r) => (r() < 0.2 ? ['FLUSHDB'] : ['PING']),
  (r) => ['EVAL', "redis.call('set', KEYS[1], ARGV[1]); redis.call('rpush', KEYS[2], ARGV[1]); return 1", '2', k(r), k(r), v(r)],
  (r) => ['SINTERSTORE', k(r), k(r), k(r)],
  (r) => ['ZUNIONSTORE', k(r), '2', k(r), k(r)],
];

/** Reads a key's whole state as something comparable. */
async function state(c: Redis, key: string): Promise<unknown> {
  const type = await c.type(key);
  const ttl = await c.pttl(key);
  const t = ttl === -1 ? 'none' : ttl > 0 ? 'some' : String(ttl);
  switch (type) {
    case 'string':
      return [type, t, await c.getBuffer(key)];
    case 'hash':
      return [type, t, Object.entries(await c.hgetall(key)).sort()];
    case 'list':
      return [type, t, await c.lrange(key, 0, -1)];
    case 'set':
      return [type, t, (await c.smembers(key)).sort()];
    case 'zset':
      return [type, t, await c.call('zrange', key, '0', '-1', 'WITHSCORES')];
    case 'stream':
      return [type, t, await c.xrange(key, '-', '+')];
    default:
      return [type];
  }
}

describe('replication differential run', () => {
  const masterKey = newMasterKey();
  let primary: SpawnedServer;
  let replica: SpawnedServer;

  beforeAll(async () => {
    primary = await startNode(masterKey);
    replica = await startNode(masterKey, [], { host: '127.0.0.1', port: primary.port });
    await linkUp(replica.port);
  }, 30000);

  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it(`${COUNT} random writes (seed ${SEED}) leave the replica equal to the primary`, async () => {
    const r = prng(SEED);
    const p = ioredis(primary.port);
    try {
      for (let done = 0; done < COUNT; ) {
        // Pipelines of a few commands, some wrapped in MULTI.
        const n = 1 + Math.floor(r() * 8);
        const batch: string[][] = [];
        for (let i = 0; i < n; i++) batch.push(pick(r, WRITES)(r));
        const tx = r() < 0.25;
        const pipe = p.pipeline();
        if (tx) pipe.call('multi');
        for (const cmd of batch) pipe.call(cmd[0]!, ...cmd.slice(1));
        if (tx) pipe.call('exec');
        await pipe.exec();
        done += n;
      }
      expect(await p.call('wait', '1', '10000')).toBe(1);
    } finally {
      p.disconnect();
    }
    let total = 0;
    for (let db = 0; db < DBS; db++) {
      const a = ioredis(primary.port, { db });
      const b = ioredis(replica.port, { db });
      try {
        const keys = (await a.keys('*')).sort();
        total += keys.length;
        expect((await b.keys('*')).sort()).toEqual(keys);
        for (const key of keys) expect([db, key, await state(b, key)]).toEqual([db, key, await state(a, key)]);
      } finally {
        a.disconnect();
        b.disconnect();
      }
    }
    // The run left data to compare (a generator writing nothing would pass vacuously).
    expect(total).toBeGreaterThan(5);
  }, 90000);
});
