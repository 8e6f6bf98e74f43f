// INFO lazyfreed_objects beside redis-server 7.0: UNLINK, DEL under lazyfree-lazy-user-del and
// asynchronous flushes count the values Redis frees in the background (store/lazyfree.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ioredis } from '../helpers/clients.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const range = (n: number, prefix = '') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Each step's commands, then the lazyfreed_objects both servers must show. */
const steps: [string, (c: Redis) => Promise<unknown>][] = [
  ['resetstat', (c) => c.config('RESETSTAT')],
  ['UNLINK of a 1,000-member set', async (c) => (await c.sadd('big', ...range(1000)), c.unlink('big'))],
  ['UNLINK of a 3-member set', async (c) => (await c.sadd('small', 'a', 'b', 'c'), c.unlink('small'))],
  ['UNLINK of a 200-member sorted set', async (c) => (await c.zadd('z', ...range(200).flatMap((m, i) => [i, `m${m}`])), c.unlink('z'))],
  ['UNLINK of a 200-field hash and a string', async (c) => (await c.hset('h', Object.fromEntries(range(200).map((f) => [`f${f}`, 'v']))), await c.set('s', 'v'), c.unlink('h', 's', 'missing'))],
  ['DEL of a 200-field hash', async (c) => (await c.hset('h', Object.fromEntries(range(200).map((f) => [`f${f}`, 'v']))), c.del('h'))],
  ['DEL under lazyfree-lazy-user-del yes', async (c) => {
    await c.config('SET', 'lazyfree-lazy-user-del', 'yes');
    await c.hset('h', Object.fromEntries(range(200).map((f) => [`f${f}`, 'v'])));
    await c.del('h');
    return c.config('SET', 'lazyfree-lazy-user-del', 'no');
  }],
  ['UNLINK of a stream of 1,000 entries in nodes of 5', async (c) => {
    await c.config('SET', 'stream-node-max-entries', '5');
    for (let i = 0; i < 1000; i += 100) {
      const p = c.pipeline();
      for (let j = i; j < i + 100; j++) p.xadd('st', '*', 'foo', String(j));
      await p.exec();
    }
    await c.xgroup('CREATE', 'st', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'st', '>');
    return c.unlink('st');
  }],
  ['UNLINK of a 1-entry stream whose group was destroyed', async (c) => {
    await c.xadd('s1', '*', 'a', 'b');
    await c.xgroup('CREATE', 's1', 'g', '$');
    await c.xgroup('DESTROY', 's1', 'g');
    return c.unlink('s1');
  }],
  ['FLUSHDB (sync) of 5 keys', async (c) => (await c.mset(Object.fromEntries(range(5, 'k').map((k) => [k, 'v']))), c.flushdb())],
  ['FLUSHALL ASYNC of 5 keys in db 0 and 2 in db 1', async (c) => {
    await c.mset(Object.fromEntries(range(5, 'k').map((k) => [k, 'v'])));
    await c.select(1);
    await c.mset('x', '1', 'y', '2');
    await c.select(0);
    return c.flushall('ASYNC');
  }],
  ['FLUSHDB under lazyfree-lazy-user-flush yes', async (c) => {
    await c.config('SET', 'lazyfree-lazy-user-flush', 'yes');
    await c.mset('a', '1', 'b', '2', 'c', '3');
    await c.flushdb();
    return c.config('SET', 'lazyfree-lazy-user-flush', 'no');
  }],
  ['resetstat again', (c) => c.config('RESETSTAT')],
];

async function lazyfreed(c: Redis): Promise<string> {
  const info = await c.info('memory');
  return /lazyfreed_objects:(\d+)/.exec(info)?.[1] ?? 'absent';
}

describe.skipIf(!hasRedisServer && process.env.CI !== 'true')('INFO lazyfreed_objects as redis-server 7.0 counts it', () => {
  let sealkv: SpawnedServer;
  let redis: ReferenceRedis;
  let a: Redis;
  let b: Redis;
  beforeAll(async () => {
    [sealkv, redis] = await Promise.all([spawnServer([]), startRedis()]);
    a = ioredis(sealkv.port);
    b = ioredis(redis.port);
  });
  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await Promise.all([sealkv?.stop(), redis?.stop()]);
  });

  it('counts the same after each step', async () => {
    const seen: string[] = [];
    for (const [title, step] of steps) {
      await Promise.all([step(a), step(b)]);
      // Redis frees in a background thread: wait until nothing is pending there.
      for (let i = 0; i < 100 && !/lazyfree_pending_objects:0\r/.test(await b.info('memory')); i++) await new Promise((r) => setTimeout(r, 20));
      const [mine, theirs] = await Promise.all([lazyfreed(a), lazyfreed(b)]);
      seen.push(`${title}: ${mine}`);
      expect(`${title}: ${mine}`).toBe(`${title}: ${theirs}`);
    }
    // The sequence must have counted something, or it proves nothing.
    expect(seen.some((s) => !s.endsWith(': 0'))).toBe(true);
  });
});
