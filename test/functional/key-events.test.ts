// Every write signals the keyspace with Redis's keyspace-notification event name (move 1 of
// ARCHITECTURE.md): a listener on sealkv's databases must see exactly the events redis-server 7
// publishes for the same commands (notify-keyspace-events KA, read back through a pattern
// subscription). Skipped (with a message) where redis-server is not installed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ioredis, runner } from '../helpers/clients.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';
import type { KeyListener, Keyspace } from '../../src/store/keyspace.js';

const START = 1_700_000_000_000;
/** An absolute time well ahead of both servers' clocks (EXPIREAT), and one long past (PXAT). */
const FUTURE_S = String(Math.floor(Date.now() / 1000) + 10 * 365 * 86400);
const MARK = 'zz:end-of-case';

type Step = (string)[] | { wait: number };

/** Which of two keys past their time Redis's active cycle finds first is up to its timer. */
const EXPIRY_CASE = 'expiry found by a read or by the active cycle (in either order)';

const CASES: Record<string, Step[]> = {
  'SET and its options, SETNX, SETEX, PSETEX, GETSET, MSET, MSETNX': [
    ['set', 'a', '1'], ['set', 'a', '2', 'ex', '100'], ['set', 'a', '3', 'keepttl'], ['set', 'b', '1', 'px', '100000', 'get'],
    ['set', 'a', 'x', 'nx'], ['set', 'nope', 'x', 'xx'], ['set', 'a', '4', 'xx', 'get'],
    ['setnx', 'a', 'x'], ['setnx', 'c', '1'], ['setex', 'd', '100', 'v'], ['psetex', 'e', '100000', 'v'],
    ['getset', 'a', '5'], ['mset', 'm1', '1', 'm2', '2'], ['msetnx', 'm1', 'x', 'n1', 'y'], ['msetnx', 'n1', '1', 'n2', '2'],
  ],
  'APPEND, SETRANGE, counters, GETDEL, GETEX': [
    ['set', 'a', 'abc'], ['append', 'a', 'xyz'], ['append', 'fresh', 'v'], ['setrange', 'a', '1', 'Z'], ['setrange', 'sr', '2', 'x'],
    ['setrange', 'a', '0', ''], ['setrange', 'none', '3', ''],
    ['incr', 'cnt'], ['incrby', 'cnt', '5'], ['decr', 'cnt'], ['decrby', 'cnt', '2'], ['incr', 'a'], ['incrbyfloat', 'f', '1.5'],
    ['getdel', 'f'], ['getdel', 'f'], ['getex', 'a'], ['getex', 'a', 'ex', '100'], ['getex', 'a', 'persist'], ['getex', 'a', 'persist'],
    ['getex', 'cnt', 'pxat', '1'],
  ],
  'EXPIRE family, PERSIST, DEL, UNLINK': [
    ['mset', 'm1', '1', 'm2', '2', 'n1', '3', 'u', '4'], ['expire', 'm1', '100'], ['pexpire', 'm1', '100000'], ['expireat', 'm2', FUTURE_S],
    ['expire', 'm2', '100', 'nx'], ['expire', 'm2', '100', 'xx'], ['persist', 'm2'], ['persist', 'm2'], ['expire', 'n1', '-1'],
    ['expire', 'missing', '10'], ['del', 'm1', 'nokey'], ['unlink', 'u', 'nokey'], ['del', 'nokey'],
  ],
  'hashes: HSET, HMSET, HSETNX, HINCRBY, HINCRBYFLOAT, HDEL down to nothing': [
    ['hset', 'h', 'f1', 'v1', 'f2', 'v2'], ['hmset', 'h', 'f3', 'v3'], ['hsetnx', 'h', 'f1', 'x'], ['hsetnx', 'h', 'f4', 'v4'],
    ['hincrby', 'h', 'n', '3'], ['hincrbyfloat', 'h', 'fl', '1.5'], ['hincrby', 'h', 'f1', '1'], ['hdel', 'h', 'f1', 'nope'],
    ['hdel', 'h', 'nope'], ['hdel', 'h', 'f2', 'f3', 'f4', 'n', 'fl'], ['hdel', 'h', 'f2'], ['hsetnx', 'h2', 'f', 'v'],
    ['set', 's', '1'], ['hset', 's', 'f', 'v'], ['hdel', 's', 'f'], ['append', 'h2', 'x'], ['incr', 'h2'],
  ],
  'RENAME, RENAMENX, COPY, MOVE': [
    ['set', 'c', '1'], ['rename', 'c', 'c2'], ['set', 'x', '1', 'ex', '100'], ['rename', 'x', 'c2'], ['rename', 'c2', 'c2'],
    ['set', 'e', '1'], ['renamenx', 'c2', 'e'], ['renamenx', 'c2', 'fresh'], ['hset', 'hh', 'f', 'v'], ['rename', 'hh', 'hh2'],
    ['copy', 'fresh', 'copied'], ['copy', 'fresh', 'copied'], ['copy', 'fresh', 'copied', 'replace'], ['copy', 'hh2', 'other', 'db', '1'],
    ['move', 'copied', '1'], ['move', 'fresh', '1'], ['set', 'fresh', '2'], ['move', 'fresh', '1'],
  ],
  'sets: SADD, SREM, SPOP, SMOVE, the STORE forms': [
    ['sadd', 'st', 'a', 'b', 'c', 'd'], ['sadd', 'st', 'a'], ['srem', 'st', 'a', 'nope'], ['srem', 'st', 'nope'], ['smove', 'st', 'st2', 'b'],
    ['smove', 'st', 'st2', 'nope'], ['sadd', 'st2', 'c'], ['smove', 'st', 'st2', 'c'], ['spop', 'st', '0'], ['spop', 'st', '5'],
    ['sadd', 'st', 'x', 'y'], ['sinterstore', 'sd', 'st', 'st2'], ['sunionstore', 'sd', 'st', 'st2'], ['sdiffstore', 'sd', 'st', 'st'],
    ['sdiffstore', 'sd', 'st', 'st'], ['srem', 'st2', 'b', 'c'], ['srem', 'st', 'x'], ['spop', 'st'], ['spop', 'st'],
  ],
  [EXPIRY_CASE]: [
    ['set', 'lazy', 'v', 'px', '100'], ['hset', 'lazyh', 'f', 'v'], ['pexpire', 'lazyh', '100'], { wait: 300 }, ['get', 'lazy'], ['hget', 'lazyh', 'f'],
    ['exists', 'lazy'],
  ],
};

/** Keys the cases use, to name sealkv's events (with seal-keys the keyspace files key hashes). */
const NAMES = [...new Set(Object.values(CASES).flat().flatMap((s) => (Array.isArray(s) ? s.slice(1) : [])))].concat(MARK);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasRedisServer)('keyspace events match the notifications redis-server sends', () => {
  let redis: ReferenceRedis;
  let redisRun: ReturnType<typeof runner>;
  let redisClient: Redis;
  let subscriber: Redis;
  const published: string[] = [];
  let sealkv: InProcessServer;
  let sealkvClient: Redis;
  let sealkvRun: ReturnType<typeof runner>;
  const heard: string[] = [];

  beforeAll(async () => {
    redis = await startRedis(['--notify-keyspace-events', 'KA']);
    redisClient = ioredis(redis.port);
    redisRun = runner(redisClient);
    subscriber = ioredis(redis.port);
    await subscriber.psubscribe('__keyspace@*__:*');
    subscriber.on('pmessage', (_pattern: string, channel: string, event: string) => {
      const m = /^__keyspace@(\d+)__:(.*)$/s.exec(channel)!;
      published.push(`${m[1]} ${event} ${m[2]}`);
    });

    sealkv = await startInProcess({}, START);
    sealkvClient = ioredis(sealkv.port);
    sealkvRun = runner(sealkvClient);
    const byStored = new Map(NAMES.map((n) => [storedKey(sealkv, n), n]));
    const databases = sealkv.running.state.databases;
    const listener: KeyListener = {
      keyChanged(db: Keyspace, key, event) {
        // 'new' (class n, not in KA) is compared in keyspace-notifications.test.ts.
        if (event === 'new') return;
        heard.push(`${databases.indexOf(db)} ${event} ${byStored.get(key) ?? `?${key}`}`);
      },
      dbChanged() {},
    };
    for (const db of databases) db.listen(listener);
  });

  afterAll(async () => {
    subscriber?.disconnect();
    redisClient?.disconnect();
    sealkvClient?.disconnect();
    await redis?.stop();
    await sealkv?.stop();
  });

  /** Redis publishes asynchronously: a last write marks where a case's events end. */
  async function redisEvents(): Promise<string[]> {
    await redisRun(['set', MARK, '1']);
    const deadline = Date.now() + 5000;
    while (!published.some((e) => e.endsWith(` ${MARK}`)) && Date.now() < deadline) await sleep(10);
    return published.splice(0).filter((e) => !e.endsWith(` ${MARK}`));
  }

  for (const [title, steps] of Object.entries(CASES)) {
    it(title, async () => {
      await redisRun(['flushall']);
      await sealkvRun(['flushall']);
      await redisEvents();
      heard.length = 0;
      const replies: [unknown, unknown][] = [];
      for (const step of steps) {
        if (!Array.isArray(step)) {
          await sleep(step.wait);
          sealkv.advance(step.wait);
          continue;
        }
        replies.push([await sealkvRun(step), await redisRun(step)]);
      }
      for (const [mine, theirs] of replies) expect(mine).toEqual(theirs);
      const expected = await redisEvents();
      if (title === EXPIRY_CASE) {
        heard.sort();
        expected.sort();
      }
      expect(heard).toEqual(expected);
    });
  }
});
