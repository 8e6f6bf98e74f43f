// HyperLogLog commands against the real server over real clients. Replies, counts and the HLL
// bytes themselves (GET after PFADD, PFMERGE, PFCOUNT's cached cardinality, sparse and dense)
// are compared byte for byte with redis-server 7.0 running the same commands; an HLL written by
// redis-server and SET into sealkv counts the same, and the other way round.

import { describe, expect, it } from 'vitest';
import { nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { compareWithRedis, hasRedisServer, startRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';
import { ioredis } from '../helpers/clients.js';
import { Errors } from '../../src/protocol/errors.js';

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

const CASES: Record<string, string[][]> = {
  'PFADD creates a sparse HLL, PFCOUNT caches its estimate in the value': [
    ['PFADD', 'h'], ['GET', 'h'], ['PFCOUNT', 'h'], ['GET', 'h'], ['PFADD', 'h', 'a', 'b', 'c'], ['PFADD', 'h', 'a'], ['GET', 'h'],
    ['PFCOUNT', 'h'], ['GET', 'h'], ['PFADD', 'h', ''], ['PFCOUNT', 'h'], ['PFCOUNT', 'nokey'], ['PFDEBUG', 'ENCODING', 'h'], ['PFDEBUG', 'DECODE', 'h'],
  ],
  'counts of the same inputs match, sparse and promoted to dense': [
    ['PFADD', 'h', ...range('e', 0, 100)], ['PFCOUNT', 'h'], ['GET', 'h'], ['PFADD', 'h', ...range('e', 100, 600)], ['PFCOUNT', 'h'],
    ['PFDEBUG', 'ENCODING', 'h'], ['PFADD', 'h', ...range('e', 600, 1500)], ['PFADD', 'h', ...range('e', 1500, 3000)], ['PFCOUNT', 'h'],
    ['PFDEBUG', 'ENCODING', 'h'], ['GET', 'h'], ['PFADD', 'h', ...range('e', 3000, 8000)], ['PFCOUNT', 'h'], ['GET', 'h'],
  ],
  'hll-sparse-max-bytes decides when to promote': [
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '30'], ['PFADD', 'h', ...range('x', 0, 8)], ['PFDEBUG', 'ENCODING', 'h'], ['GET', 'h'],
    ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'], ['PFADD', 's', ...range('x', 0, 8)], ['PFDEBUG', 'ENCODING', 's'],
  ],
  'PFMERGE and PFCOUNT of several keys': [
    ['PFADD', 'a', ...range('a', 0, 50)], ['PFADD', 'b', ...range('b', 0, 2000)], ['PFADD', 'c', ...range('a', 25, 75)],
    ['PFCOUNT', 'a', 'c'], ['PFCOUNT', 'a', 'b', 'c', 'nokey'], ['PFMERGE', 'm', 'a', 'c'], ['GET', 'm'], ['PFCOUNT', 'm'],
    ['PFMERGE', 'm2', 'a', 'b'], ['PFDEBUG', 'ENCODING', 'm2'], ['GET', 'm2'], ['PFMERGE', 'a', 'c'], ['GET', 'a'], ['PFMERGE', 'empty'],
    ['GET', 'empty'], ['PFMERGE', 'empty2', 'nokey'], ['PFCOUNT', 'empty2'],
  ],
  'PFDEBUG GETREG and TODENSE convert in place': [
    ['PFADD', 'h', 'x', 'y', 'z'], ['PFDEBUG', 'TODENSE', 'h'], ['PFDEBUG', 'TODENSE', 'h'], ['GET', 'h'], ['PFCOUNT', 'h'],
    ['PFADD', 'g', 'x'], ['PFDEBUG', 'GETREG', 'g'], ['PFDEBUG', 'ENCODING', 'g'], ['PFDEBUG', 'DECODE', 'g'],
    ['PFDEBUG', 'GETREG', 'nokey'], ['PFDEBUG', 'BOGUS', 'g'],
  ],
  'wrong types and corrupt values': [
    ['SET', 's', 'not an hll'], ['PFADD', 's', 'a'], ['PFCOUNT', 's'], ['PFCOUNT', 's', 'nokey'], ['PFMERGE', 'd', 's'], ['PFMERGE', 's'],
    ['HSET', 'hash', 'f', 'v'], ['PFADD', 'hash', 'a'], ['PFCOUNT', 'hash'], ['PFMERGE', 'd', 'hash'], ['PFDEBUG', 'ENCODING', 's'],
    // Magic, encoding and dense length checks.
    ['SET', 'm', 'HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'], ['PFCOUNT', 'm'],
    ['SET', 'm', 'HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'], ['PFCOUNT', 'm'],
    ['SET', 'm', 'HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'], ['PFCOUNT', 'm'],
    // A sparse value that covers too few registers, or too many.
    ['SET', 'c', 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x41\x00'], ['PFCOUNT', 'c'], ['PFADD', 'c', 'a'], ['PFCOUNT', 'c', 'c'],
    ['PFMERGE', 'd', 'c'], ['PFDEBUG', 'TODENSE', 'c'], ['SET', 'c', 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f\xff'],
    ['PFCOUNT', 'c'], ['SET', 'c', 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff'], ['PFCOUNT', 'c'],
  ],
  // Sparse values whose opcodes run past the last register (or stop short of it): corrupt for every
  // reader, while PFADD edits the opcode it finds first.
  'sparse opcodes past the last register': [
    ...[
      '\x7f\xff\x80', '\x7f\xff\x00', '\x7f\xff\x7f\xff\x80', '\x7f\xfe\x81', '\x7f\xfe\x80', '\x7e\x7f', '\x7f\xff\x40\x63',
    ].flatMap((ops) => {
      const value = `HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80${ops}`;
      return [
        ['SET', 'k', value], ['SET', 'k2', value], ['PFCOUNT', 'k', 'absent'], ['PFMERGE', 'm', 'k'], ['PFCOUNT', 'k'],
        ['PFDEBUG', 'TODENSE', 'k2'], ['SET', 'k', value], ['PFADD', 'k', 'x', 'y', 'z'], ['GET', 'k'], ['DEL', 'm'],
      ];
    }),
  ],
  'PFADD after a valid cached count, then PFCOUNT': [
    ['PFADD', 'h', 'a', 'b'], ['PFCOUNT', 'h'], ['PFADD', 'h', 'b'], ['PFCOUNT', 'h'], ['GET', 'h'], ['PFADD', 'h', 'c'], ['GET', 'h'], ['PFCOUNT', 'h'], ['GET', 'h'],
  ],
};

compareWithRedis('HyperLogLog against redis-server 7.0', CASES, () => startInProcess());

const { server, client, run } = withServer();

describe('HyperLogLog through the clients', () => {
  it('ioredis: PFADD, PFCOUNT, PFMERGE', async () => {
    expect(await client.pfadd('hl', 'a', 'b', 'c')).toBe(1);
    expect(await client.pfadd('hl', 'a')).toBe(0);
    expect(await client.pfcount('hl')).toBe(3);
    expect(await client.pfadd('hl2', 'c', 'd')).toBe(1);
    expect(await client.pfmerge('hl3', 'hl', 'hl2')).toBe('OK');
    expect(await client.pfcount('hl3')).toBe(4);
    await client.set('str', 'x');
    expect(await run(['pfadd', 'str', 'a'])).toEqual({ error: Errors.hllWrongType });
    await client.set('corrupt', Buffer.from('HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x41\x00', 'latin1'));
    expect(await run(['pfcount', 'corrupt'])).toEqual({ error: Errors.hllCorrupt });
    expect(await run(['pfdebug', 'getreg', 'nokey'])).toEqual({ error: Errors.pfdebugNoKey });
    await client.pfadd('dense', 'x');
    expect(await run(['pfdebug', 'todense', 'dense'])).toBe(1);
    expect(await run(['pfdebug', 'decode', 'dense'])).toEqual({ error: Errors.pfdebugNotSparse });
    expect(await run(['pfdebug', 'what', 'dense'])).toEqual({ error: Errors.pfdebugUnknown('what') });
  });

  it('node-redis: PFADD and PFCOUNT of a union', async () => {
    const c = await nodeRedis(server.port);
    try {
      expect(await c.pfAdd('n1', ['x', 'y'])).toBe(1);
      expect(await c.pfAdd('n2', ['y', 'z'])).toBe(1);
      expect(await c.pfCount(['n1', 'n2'])).toBe(3);
    } finally {
      await c.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli: PFADD and PFCOUNT', async () => {
    expect((await redisCli(server.port, ['PFADD', 'cli', 'a', 'b'])).trim()).toBe('1');
    expect((await redisCli(server.port, ['PFCOUNT', 'cli'])).trim()).toBe('2');
  });

  it('PFMERGE destkey alone is checked against the ACL key rules (Redis 7.0 lets it through)', async () => {
    await client.call('ACL', 'SETUSER', 'hllu', 'on', 'nopass', '~foo', '+@all');
    const c = ioredis(server.port);
    try {
      await c.call('AUTH', 'hllu', 'x');
      await expect(c.call('PFMERGE', 'bar')).rejects.toThrow(/NOPERM/);
      expect(await c.call('PFMERGE', 'foo')).toBe('OK');
    } finally {
      c.disconnect();
      await client.call('ACL', 'DELUSER', 'hllu');
    }
    expect(await client.exists('bar')).toBe(0);
  });

  it('PFSELFTEST passes', async () => {
    expect(await run(['pfselftest'])).toBe('OK');
  }, 60_000);
});

describe.skipIf(!hasRedisServer)('HLL values moved between redis-server and sealkv', () => {
  it('an HLL written by either counts the same in the other, and PFADD continues it byte for byte', async () => {
    const redis = await startRedis();
    const r = ioredis(redis.port);
    try {
      // Sparse in Redis, dense in Redis, then each copied into sealkv with SET.
      await r.pfadd('sparse', ...range('s', 0, 200));
      await r.pfadd('dense', ...range('d', 0, 20_000));
      for (const key of ['sparse', 'dense']) {
        const bytes = (await r.getBuffer(key))!;
        await client.set(key, bytes);
        expect(await client.pfcount(key)).toBe(await r.pfcount(key));
        await r.pfadd(key, ...range('more', 0, 300));
        await client.pfadd(key, ...range('more', 0, 300));
        expect((await client.getBuffer(key))!.equals((await r.getBuffer(key))!)).toBe(true);
      }
      // And the other way: sealkv's bytes counted by Redis.
      await client.pfadd('ours', ...range('o', 0, 5000));
      await r.set('ours', (await client.getBuffer('ours'))!);
      expect(await r.pfcount('ours')).toBe(await client.pfcount('ours'));
      expect((await client.getBuffer('ours'))!.equals((await r.getBuffer('ours'))!)).toBe(true);
    } finally {
      r.disconnect();
      await redis.stop();
    }
  }, 60_000);

  it('PFCOUNT matches Redis exactly for cardinalities from 1 to 100000', async () => {
    const redis = await startRedis();
    const r = ioredis(redis.port);
    try {
      let n = 0;
      for (const target of [1, 2, 5, 10, 50, 100, 300, 1000, 3000, 10_000, 30_000, 100_000]) {
        const batch = range('c', n, target);
        for (let i = 0; i < batch.length; i += 5000) {
          await r.pfadd('card', ...batch.slice(i, i + 5000));
          await client.pfadd('card', ...batch.slice(i, i + 5000));
        }
        n = target;
        expect(await client.pfcount('card'), `at ${target}`).toBe(await r.pfcount('card'));
      }
      expect((await client.getBuffer('card'))!.equals((await r.getBuffer('card'))!)).toBe(true);
    } finally {
      r.disconnect();
      await redis.stop();
    }
  }, 120_000);
});
