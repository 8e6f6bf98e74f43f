// Sorted sets through real clients (ioredis, node-redis, redis-cli), the blocking pops with
// several clients on a spawned server (real time), and what sealing promises: members sealed
// per key, never stored in plaintext, re-sealed by SEAL ROTATE, RENAME and COPY. Reply shapes
// and error texts are checked byte for byte against redis-server in zsets-vs-redis.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ioredis, nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { spawnServer, storedKey, type SpawnedServer } from '../helpers/server.js';
import { Kind } from '../../src/store/keyspace.js';
import { Sealer } from '../../src/seal/sealer.js';
import { Errors } from '../../src/protocol/errors.js';

const { server, client, run } = withServer();

function zsetOf(name: string) {
  const entry = server.running.state.databases[0]!.peek(storedKey(server, name));
  if (entry?.kind !== Kind.ZSet) throw new Error(`${name} is not a sorted set`);
  return entry;
}

function sealedMembers(name: string): Buffer[] {
  const out: Buffer[] = [];
  const z = zsetOf(name).zset;
  z.each(0, z.size, false, (sealed) => {
    out.push(Buffer.from(sealed, 'latin1'));
  });
  return out;
}

describe('with ioredis', () => {
  it('adds, scores and ranges like a leaderboard', async () => {
    expect(await client.zadd('board', 100, 'ann', 250, 'bob', 175, 'cy')).toBe(3);
    expect(await client.zincrby('board', 100, 'ann')).toBe('200');
    expect(await client.zrevrange('board', 0, 1, 'WITHSCORES')).toEqual(['bob', '250', 'ann', '200']);
    expect(await client.zrank('board', 'cy')).toBe(0);
    expect(await client.zscore('board', 'nobody')).toBeNull();
    expect(await client.zrangebyscore('board', '(175', '+inf', 'LIMIT', 0, 1)).toEqual(['ann']);
  });

  it('orders equal scores by member bytes, binary members included', async () => {
    const members = [Buffer.from([0xff]), Buffer.from([0x00, 0x01]), Buffer.from('b'), Buffer.from([0x00]), Buffer.from('a\r\nb'), Buffer.alloc(0)];
    for (const m of members) await client.zadd('ties', 0, m);
    const sorted = [...members].sort(Buffer.compare);
    expect(await client.zrangeBuffer('ties', '0', '-1')).toEqual(sorted);
    expect(await client.zrangebylexBuffer('ties', '(\x00', '[b')).toEqual(sorted.filter((m) => Buffer.compare(m, Buffer.from([0])) > 0 && Buffer.compare(m, Buffer.from('b')) <= 0));
    expect(await client.zscore('ties', Buffer.from([0xff]))).toBe('0');
  });

  it('pops in score order and deletes the emptied key', async () => {
    await client.zadd('q', 3, 'c', 1, 'a', 2, 'b');
    expect(await client.zpopmin('q')).toEqual(['a', '1']);
    expect(await client.zpopmax('q', 5)).toEqual(['c', '3', 'b', '2']);
    expect(await client.exists('q')).toBe(0);
  });

  it('is a sliding window: ZREMRANGEBYSCORE then ZCARD', async () => {
    for (let t = 1; t <= 10; t++) await client.zadd('win', t * 1000, `req${t}`);
    expect(await client.zremrangebyscore('win', '-inf', 5000)).toBe(5);
    expect(await client.zcard('win')).toBe(5);
    expect(await client.zcount('win', 8000, '+inf')).toBe(3);
  });

  it('ZUNIONSTORE re-seals every member for the destination key', async () => {
    await client.zadd('a', 1, 'x', 2, 'y');
    await client.zadd('b', 5, 'y', 7, 'z');
    expect(await client.zunionstore('dest', 2, 'a', 'b', 'WEIGHTS', 1, 10)).toBe(3);
    expect(await client.zrange('dest', '0', '-1', 'WITHSCORES')).toEqual(['x', '1', 'y', '52', 'z', '70']);
    // Sealed for 'dest': none of its sealings is one of the sources'.
    const sources = new Set([...sealedMembers('a'), ...sealedMembers('b')].map((s) => s.toString('hex')));
    for (const s of sealedMembers('dest')) expect(sources.has(s.toString('hex'))).toBe(false);
  });

  it('reports its type, encoding and memory', async () => {
    await client.zadd('small', 1, 'a');
    expect(await client.type('small')).toBe('zset');
    expect(await client.object('ENCODING', 'small')).toBe('listpack');
    for (let i = 0; i < 200; i++) await client.zadd('large', i, `m${i}`);
    expect(await client.object('ENCODING', 'large')).toBe('skiplist');
    const small = Number(await client.memory('USAGE', 'small'));
    const large = Number(await client.memory('USAGE', 'large'));
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small * 20);
    expect(await client.call('SCAN', '0', 'TYPE', 'zset', 'COUNT', '100')).toEqual(['0', expect.arrayContaining(['small', 'large'])]);
  });

  it('ZSCAN of a large set returns every member at least once', async () => {
    const args: (string | number)[] = [];
    for (let i = 0; i < 500; i++) args.push(i, `m${i}`);
    await client.zadd('big', ...args);
    const seen = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await client.zscan('big', cursor, 'COUNT', 50);
      for (let i = 0; i < flat.length; i += 2) seen.set(flat[i]!, flat[i + 1]!);
      cursor = next;
    } while (cursor !== '0');
    expect(seen.size).toBe(500);
    expect(seen.get('m42')).toBe('42');
    const [, matched] = await client.zscan('big', 0, 'MATCH', 'm49*', 'COUNT', 1000);
    expect(matched.filter((_, i) => i % 2 === 0).sort()).toEqual(['m49', 'm490', 'm491', 'm492', 'm493', 'm494', 'm495', 'm496', 'm497', 'm498', 'm499']);
  });

  it('ZRANDMEMBER picks members of the set, with repeats when negative', async () => {
    await client.zadd('r', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
    const two = await client.zrandmember('r', 2);
    expect(new Set(two).size).toBe(2);
    const many = (await client.zrandmember('r', -50)) as string[];
    expect(many).toHaveLength(50);
    for (const m of many) expect(['a', 'b', 'c', 'd']).toContain(m);
    expect(['a', 'b', 'c', 'd']).toContain(await client.zrandmember('r'));
  });

  it('error texts', async () => {
    await client.zadd('e', 1, 'a');
    expect(await run(['zadd', 'e', 'nan', 'a'])).toEqual({ error: Errors.notFloat });
    expect(await run(['zadd', 'e', 'incr', 'nx', 'xx', '1', 'a'])).toEqual({ error: Errors.zsetXxAndNx });
    expect(await run(['zadd', 'e', 'gt', 'lt', '1', 'a'])).toEqual({ error: Errors.zsetGtLtNx });
    expect(await run(['zadd', 'e', 'incr', '1', 'a', '1', 'b'])).toEqual({ error: Errors.zsetIncrPair });
    expect(await run(['zadd', 'e', 'inf', 'x'])).toBe(1);
    expect(await run(['zincrby', 'e', '-inf', 'x'])).toEqual({ error: Errors.zsetNaN });
    expect(await run(['zrangebyscore', 'e', 'a', 'b'])).toEqual({ error: Errors.zsetMinMaxNotFloat });
    expect(await run(['zrangebylex', 'e', 'a', 'b'])).toEqual({ error: Errors.zsetLexRange });
    expect(await run(['zrange', 'e', '0', '1', 'limit', '0', '1'])).toEqual({ error: Errors.zsetLimitNeedsBy });
    expect(await run(['zrange', 'e', '-', '+', 'bylex', 'withscores'])).toEqual({ error: Errors.zsetWithscoresBylex });
    expect(await run(['zunion', '0', 'e'])).toEqual({ error: Errors.zsetNeedsKey('zunion') });
    expect(await run(['zunion', '1', 'e', 'weights', 'x'])).toEqual({ error: Errors.zsetWeightNotFloat });
    expect(await run(['zintercard', '1', 'e', 'limit', '-1'])).toEqual({ error: Errors.zsetLimitNegative });
    expect(await run(['zpopmin', 'e', '-1'])).toEqual({ error: Errors.mustBePositive });
    expect(await run(['zmpop', '0', 'e', 'min'])).toEqual({ error: Errors.numkeysPositive });
    expect(await run(['zmpop', '1', 'e', 'min', 'count', '0'])).toEqual({ error: Errors.countPositive });
    expect(await run(['zrange', 'e', '0', '1', 'bogus'])).toEqual({ error: Errors.syntax });
  });
});

describe('with node-redis and redis-cli', () => {
  it('node-redis: zAdd, zRangeWithScores, zRangeStore, zInter', async () => {
    const c = await nodeRedis(server.port);
    try {
      expect(await c.zAdd('n', [{ score: 1.5, value: 'a' }, { score: 0.1, value: 'b' }])).toBe(2);
      expect(await c.zRangeWithScores('n', 0, -1)).toEqual([{ value: 'b', score: 0.1 }, { value: 'a', score: 1.5 }]);
      expect(await c.zRangeStore('n2', 'n', 0, 0)).toBe(1);
      expect(await c.zInter(['n', 'n2'])).toEqual(['b']);
      expect(await c.zScore('n', 'b')).toBe(0.1);
    } finally {
      await c.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli prints members and %.17g scores', async () => {
    expect(await redisCli(server.port, ['zadd', 'cli', '0.1', 'tenth', '3', 'three'])).toBe('2\n');
    expect(await redisCli(server.port, ['zrange', 'cli', '0', '-1', 'withscores'])).toBe('tenth\n0.10000000000000001\nthree\n3\n');
    expect(await redisCli(server.port, ['zscore', 'cli', 'three'])).toBe('3\n');
  });
});

describe('sealing', () => {
  it('stores every member sealed, bound to its key, never in plaintext', async () => {
    const secret = 'member-secret-7f3a';
    await client.zadd('s', 1, secret, 2, `${secret}-2`);
    const sealed = sealedMembers('s');
    expect(sealed).toHaveLength(2);
    for (const s of sealed) expect(s.includes(Buffer.from(secret))).toBe(false);
    // Opening needs the key it is bound to: another key's context refuses it.
    const values = server.running.state.values;
    const db = server.running.state.databases[0]!;
    expect(() => values.openElement(7, db.uid, storedKey(server, 'other'), sealed[0]!)).toThrow();
    expect(values.openElement(7, db.uid, storedKey(server, 's'), sealed[0]!).toString()).toBe(secret);
  });

  it('RENAME, COPY and MOVE re-seal members for the new key, order kept', async () => {
    await client.zadd('src', 0, 'b', 0, 'a', 1, 'c');
    await client.rename('src', 'moved');
    expect(await client.zrange('moved', '0', '-1')).toEqual(['a', 'b', 'c']);
    await client.copy('moved', 'copied');
    expect(await client.zadd('copied', 0, 'aa')).toBe(1);
    expect(await client.zrange('copied', '0', '-1')).toEqual(['a', 'aa', 'b', 'c']);
    expect(await client.move('copied', 1)).toBe(1);
    await client.select(1);
    expect(await client.zrangebylex('copied', '-', '(b')).toEqual(['a', 'aa']);
    await client.select(0);
  });

  it('SEAL ROTATE re-seals every member under the new key', async () => {
    for (let i = 0; i < 300; i++) await client.zadd('rot', i % 3, `m${i}`);
    const before = new Set(sealedMembers('rot').map((s) => Sealer.keyId(s)));
    expect(before.size).toBe(1);
    await client.call('SEAL', 'ROTATE');
    for (let i = 0; i < 100 && String(await client.call('SEAL', 'STATUS')).includes('in_progress:1'); i++) await new Promise((r) => setTimeout(r, 20));
    const after = new Set(sealedMembers('rot').map((s) => Sealer.keyId(s)));
    expect(after.size).toBe(1);
    expect([...after][0]).not.toBe([...before][0]);
    expect(await client.zrange('rot', '0', '2')).toEqual(['m0', 'm102', 'm105']);
    expect(await client.zscore('rot', 'm299')).toBe('2');
  });
});

describe('blocking pops, several clients (spawned server, real time)', () => {
  let spawned: SpawnedServer;
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const c = ioredis(spawned.port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    spawned = await spawnServer();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await spawned?.stop();
  });

  async function blockedClients(c: Redis): Promise<number> {
    const info = await c.info('clients');
    return Number(/blocked_clients:(\d+)/.exec(info)![1]);
  }

  async function waitBlocked(c: Redis, n: number): Promise<void> {
    for (let i = 0; i < 200 && (await blockedClients(c)) !== n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await blockedClients(c)).toBe(n);
  }

  it('serves blocked clients first come, first served, one member each', async () => {
    const admin = connect();
    await admin.del('fifo');
    const [a, b, c] = [connect(), connect(), connect()];
    const got: string[] = [];
    const pa = a.bzpopmin('fifo', 0).then((r) => got.push(`a:${r![1]}`));
    await waitBlocked(admin, 1);
    const pb = b.bzpopmin('fifo', 0).then((r) => got.push(`b:${r![1]}`));
    await waitBlocked(admin, 2);
    const pc = c.call('BZMPOP', '0', '1', 'fifo', 'MIN', 'COUNT', '5').then((r) => got.push(`c:${JSON.stringify(r)}`));
    await waitBlocked(admin, 3);
    expect(await admin.zadd('fifo', 1, 'one', 2, 'two', 3, 'three', 4, 'four')).toBe(4);
    await Promise.all([pa, pb, pc]);
    expect(got).toEqual(['a:one', 'b:two', 'c:["fifo",[["three","3"],["four","4"]]]']);
    expect(await admin.exists('fifo')).toBe(0);
  });

  it('times out with sub-second precision and answers nil', async () => {
    const c = connect();
    const start = Date.now();
    expect(await c.bzpopmax('nothing', 0.25)).toBeNull();
    const took = Date.now() - start;
    expect(took).toBeGreaterThanOrEqual(240);
    expect(took).toBeLessThan(2000);
    expect(await c.call('BZMPOP', '0.1', '1', 'nothing', 'MAX')).toBeNull();
  });

  it('0 blocks until a write, which may come from MULTI/EXEC; served after EXEC', async () => {
    const admin = connect();
    const c = connect();
    const pending = c.bzpopmax('later', 0);
    await new Promise((r) => setTimeout(r, 300));
    await waitBlocked(admin, 1);
    const tx = admin.multi();
    tx.zadd('later', 1, 'low');
    tx.zadd('later', 9, 'high');
    tx.zrem('later', 'low');
    await tx.exec();
    expect(await pending).toEqual(['later', 'high', '9']);
  });

  it('inside MULTI it does not wait: nil at once', async () => {
    const c = connect();
    const tx = c.multi();
    tx.bzpopmin('empty', 0);
    tx.call('BZMPOP', '0', '1', 'empty', 'MIN');
    expect(await tx.exec()).toEqual([[null, null], [null, null]]);
  });

  it('a blocked client that disconnects is forgotten; the member stays for the next', async () => {
    const admin = connect();
    const gone = connect();
    gone.bzpopmin('left', 0).catch(() => {});
    await waitBlocked(admin, 1);
    gone.disconnect();
    await waitBlocked(admin, 0);
    await admin.zadd('left', 1, 'kept');
    expect(await admin.zrange('left', '0', '-1')).toEqual(['kept']);
  });

  it('CLIENT UNBLOCK answers as on a timeout, or with the UNBLOCKED error', async () => {
    const admin = connect();
    const c = connect();
    const id = await c.client('ID');
    const pending = c.bzpopmin('unb', 0);
    await waitBlocked(admin, 1);
    expect(await admin.client('UNBLOCK', id)).toBe(1);
    expect(await pending).toBeNull();
    const again = c.bzpopmin('unb', 0).catch((e: Error) => e.message);
    await waitBlocked(admin, 1);
    expect(await admin.client('UNBLOCK', id, 'ERROR')).toBe(1);
    expect(await again).toMatch(/^UNBLOCKED/);
  });

  it('a key given a wrong type keeps the client waiting; ZADD + DEL does not wake it', async () => {
    const admin = connect();
    const c = connect();
    const pending = c.bzpopmin('wt', 0.8);
    await waitBlocked(admin, 1);
    await admin.set('wt', 'str');
    const tx = admin.multi();
    tx.del('wt');
    tx.zadd('wt', 1, 'a');
    tx.del('wt');
    await tx.exec();
    expect(await pending).toBeNull();
  });
});
