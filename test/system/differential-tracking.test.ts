// Differential run of client-side caching against redis-server 7: random sequences of reads
// and writes over every type (strings, hashes, lists, sets, sorted sets, streams; renames,
// copies, expiries, stores, flushes) on five connections: a RESP2 writer, a RESP3 client
// tracking in default mode (its own writes too), a RESP3 BCAST client with two prefixes and
// NOLOOP, a RESP2 OPTIN client (CLIENT CACHING yes now and then) redirecting to a RESP2
// subscriber of __redis__:invalidate. After each step every connection is drained up to a PING
// of its own, and what each received (replies and invalidation messages) must be the same
// bytes. Which keys a read tracks comes from the key specs, so this covers them command by
// command. Fixed seed, bounded count (DIFF_TRACKING_COUNT, DIFF_SEED).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrainingConnection } from '../helpers/draining-connection.js';
import { prng } from '../helpers/prng.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_TRACKING_COUNT', 'DIFF_COUNT'], 30, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261206, 'seed');
const LENGTH = 30;

const STRINGS = ['a', 'a:1', 'b', 'h:s'];
const KEYS = [...STRINGS, 'h:1', 'l', 's', 'z', 'x', 'none'];

function randomStep(rand: () => number): { conn: number; args: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const v = () => String(Math.floor(rand() * 5));
  const r = rand();
  // Reads go to the tracking connections (1, 2, 3), writes mostly to the writer (0).
  const reader = 1 + Math.floor(rand() * 3);
  const writer = rand() < 0.8 ? 0 : 1 + Math.floor(rand() * 2);
  if (r < 0.4) {
    const k = pick(KEYS);
    const reads: string[][] = [
      ['GET', k], ['MGET', pick(KEYS), pick(KEYS)], ['EXISTS', k, pick(KEYS)], ['TYPE', k], ['TTL', k], ['STRLEN', k], ['GETRANGE', k, '0', '1'],
      ['HGETALL', 'h:1'], ['HGET', 'h:1', 'f'], ['LRANGE', 'l', '0', '-1'], ['LLEN', k], ['SMEMBERS', 's'], ['SISMEMBER', 's', v()],
      ['SINTER', 's', pick(KEYS)], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZSCORE', 'z', v()], ['XRANGE', 'x', '-', '+'], ['SCARD', k],
      ['XREAD', 'STREAMS', 'x', 'none', '0', '0'], ['SORT_RO', 'l', 'ALPHA'], ['LCS', 'a', 'b'], ['ZUNION', '2', 'z', 's'],
    ];
    return { conn: reader, args: pick(reads) };
  }
  if (r < 0.47) return { conn: 3, args: ['CLIENT', 'CACHING', 'yes'] };
  const k = pick(STRINGS);
  const writes: string[][] = [
    ['SET', k, v()], ['SET', k, v(), 'EX', '100'], ['DEL', pick(KEYS), pick(KEYS)], ['INCR', k], ['APPEND', k, v()], ['SETRANGE', k, '1', v()],
    ['MSET', pick(STRINGS), v(), pick(STRINGS), v()], ['GETDEL', k], ['EXPIRE', pick(KEYS), '100'], ['PERSIST', pick(KEYS)],
    ['RENAME', pick(KEYS), pick(KEYS)], ['COPY', pick(KEYS), pick(KEYS), 'REPLACE'], ['HSET', 'h:1', 'f', v()], ['HDEL', 'h:1', 'f'],
    ['LPUSH', 'l', v()], ['RPOP', 'l'], ['SADD', 's', v()], ['SREM', 's', v()], ['ZADD', 'z', v(), v()], ['ZREM', 'z', v()],
    ['XADD', 'x', '*', 'f', v()], ['XTRIM', 'x', 'MAXLEN', '1'], ['SUNIONSTORE', pick(['s', 'a:1']), 's', pick(KEYS)],
    ['SORT', 'l', 'ALPHA', 'STORE', pick(['a', 'l'])], ['INCR', 'none'], ['DEL', 'none'],
  ];
  if (rand() < 0.03) return { conn: writer, args: ['FLUSHDB'] };
  return { conn: writer, args: pick(writes) };
}

/** Stream ids carry the time: each run's are shown by their position instead. */
function maskIds(frame: string): string {
  return frame.replace(/\d{13}-\d+/g, '<id>');
}

async function run(port: number, steps: { conn: number; args: string[] }[]): Promise<string[]> {
  const admin = await DrainingConnection.open(port);
  admin.send(['FLUSHALL']);
  await admin.drain('flushed');
  admin.close();
  const conns = await Promise.all(Array.from({ length: 5 }, () => DrainingConnection.open(port)));
  const out: string[] = [];
  try {
    const [, tracking, bcast, optin, sub] = conns as [DrainingConnection, DrainingConnection, DrainingConnection, DrainingConnection, DrainingConnection];
    sub.send(['CLIENT', 'ID']);
    const id = (await sub.drain('id'))[0]!.slice(1, -2);
    sub.send(['SUBSCRIBE', '__redis__:invalidate']);
    tracking.send(['HELLO', '3']);
    tracking.send(['CLIENT', 'TRACKING', 'on']);
    bcast.send(['HELLO', '3']);
    bcast.send(['CLIENT', 'TRACKING', 'on', 'BCAST', 'NOLOOP', 'PREFIX', 'a', 'PREFIX', 'h:']);
    optin.send(['CLIENT', 'TRACKING', 'on', 'OPTIN', 'REDIRECT', id]);
    for (const c of conns) await c.drain('start');
    for (const [i, step] of steps.entries()) {
      conns[step.conn]!.send(step.args);
      for (const [n, c] of conns.entries()) {
        const frames = (await c.drain(`t${i}`)).map(maskIds);
        out.push(`#${i} ${step.args.join(' ')} @${step.conn} -> conn ${n}: ${JSON.stringify(frames)}`);
      }
    }
    return out;
  } finally {
    for (const c of conns) c.close();
  }
}

/**
 * With --seal-keys a broadcast lists its keys in the order they changed, not sorted as Redis's
 * radix tree has them (sorting would mean opening every name): compared sorted there.
 */
function sortBroadcastKeys(line: string): string {
  return line.replace(/(invalidate\\r\\n\*\d+\\r\\n)((?:\$\d+\\r\\n[^"]*?\\r\\n)+)(?=")/g, (_m, head: string, bulks: string) => {
    const items = bulks.split(/(?=\$\d+\\r\\n)/).filter((b) => b.length > 0);
    return head + items.sort().join('');
  });
}

for (const sealKeys of [false, true]) describe.skipIf(!hasRedisServer)(`client tracking differential against redis-server${sealKeys ? ' (seal-keys)' : ''}`, () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess(sealKeys ? { 'seal-keys': 'yes' } : {})]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  it(`${COUNT} random sequences of ${LENGTH} steps on five connections (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    let messages = 0;
    for (let n = 0; n < COUNT; n++) {
      const steps = Array.from({ length: LENGTH }, () => randomStep(rand));
      let expected = await run(redis.port, steps);
      let actual = await run(sealkv.port, steps);
      if (sealKeys) [expected, actual] = [expected.map(sortBroadcastKeys), actual.map(sortBroadcastKeys)];
      expect(actual, `sequence ${n} (seed ${SEED})`).toEqual(expected);
      for (const line of expected) messages += line.split('invalidate').length - 1;
    }
    // Not vacuous: the sequences made Redis send invalidations of every kind.
    expect(messages).toBeGreaterThan(COUNT * 5);
    if (process.env.DIFF_VERBOSE) console.log(`${messages} invalidation messages compared`);
  }, 300_000);
});
