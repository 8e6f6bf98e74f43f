// ZADD (every option), ZINCRBY, ZREM and the pops from small sorted sets packed at rest are made in the
// blob (commands/zsets/zset-rest.ts). sealkv's clock moves a second before each command, so each write
// below meets its set at rest and packed (created by a plain ZADD, packed at once, and kept packed
// by these writes: packed-collections.test.ts checks that they are). Replies compared byte for
// byte with redis-server 7.0 in RESP2 and RESP3, the set read back after the writes (ZRANGE
// WITHSCORES answers from the blob).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

const ALL = (key: string) => ['ZRANGE', key, '0', '-1', 'WITHSCORES'];

const CASES: Record<string, string[][]> = {
  'ZADD without options: new members, changed and unchanged scores, order by score then bytes': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'z', '2', 'b'], ['ZADD', 'z', '2', 'aa'], ALL('z'), ['ZADD', 'z', '2', 'B', '2', ''], ALL('z'),
    ['ZADD', 'z', '-1', 'c'], ALL('z'), ['ZADD', 'z', '0', 'b', '-0', 'a'], ALL('z'), ['ZADD', 'z', '-0', 'b'], ALL('z'),
    ['ZADD', 'z', 'inf', 'a', '-inf', 'new', '1e300', 'x', '0.1', 'y', '5', 'y'], ALL('z'), ['ZADD', 'z', '+inf', 'a'],
    ['ZADD', 'z', '1', 'a', 'x'], ['ZADD', 'z', 'nan', 'a'], ['ZADD', 'z', '1', 'a', '2'], ALL('z'),
    ['ZADD', 'z', '3', 'aa', '3', 'a', '3', 'ab', '3', 'a\u0000'], ALL('z'), ['ZCARD', 'z'], ['OBJECT', 'ENCODING', 'z'],
    ['SET', 'str', 'v'], ['ZADD', 'str', '1', 'a'],
  ],
  'ZADD NX XX GT LT CH, alone and together': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'z', 'NX', '9', 'a', '4', 'd'], ALL('z'), ['ZADD', 'z', 'XX', '9', 'a', '5', 'e'], ALL('z'),
    ['ZADD', 'z', 'XX', 'CH', '9', 'a', '1', 'b'], ALL('z'), ['ZADD', 'z', 'NX', 'CH', '0', 'a', '0', 'f'], ALL('z'),
    ['ZADD', 'z', 'GT', '0', 'a', '10', 'b', '7', 'g'], ALL('z'), ['ZADD', 'z', 'GT', 'CH', '0', 'a', '11', 'b'], ALL('z'),
    ['ZADD', 'z', 'LT', 'CH', '0', 'a', '20', 'b', '8', 'h'], ALL('z'), ['ZADD', 'z', 'XX', 'GT', 'CH', '100', 'c', '100', 'nope'], ALL('z'),
    ['ZADD', 'z', 'XX', 'LT', '-100', 'c'], ALL('z'), ['ZADD', 'z', 'GT', 'LT', '1', 'a'], ['ZADD', 'z', 'NX', 'XX', '1', 'a'],
    ['ZADD', 'z', 'NX', 'GT', '1', 'a'], ['ZADD', 'z', 'CH', '9', 'a', '9', 'a'], ['ZADD', 'z', 'CH', '9', 'a'], ALL('z'), ['ZCARD', 'z'],
  ],
  'ZADD INCR and ZINCRBY: replies in Redis double formatting, NaN, nil when not applied': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZINCRBY', 'z', '1.5', 'a'], ['ZINCRBY', 'z', '0.1', 'b'], ['ZINCRBY', 'z', '1e17', 'c'], ['ZINCRBY', 'z', '3', 'new'], ALL('z'),
    ['ZINCRBY', 'z', '-0', 'zero'], ['ZINCRBY', 'z', 'inf', 'a'], ['ZINCRBY', 'z', '-inf', 'a'], ['ZINCRBY', 'z', '1', 'a'], ALL('z'),
    ['ZINCRBY', 'z', 'x', 'a'], ['ZINCRBY', 'z', '0', 'b'], ['ZADD', 'z', 'INCR', '2', 'b'], ['ZADD', 'z', 'INCR', 'NX', '2', 'b'],
    ['ZADD', 'z', 'INCR', 'NX', '2', 'n2'], ['ZADD', 'z', 'INCR', 'XX', '2', 'n3'], ['ZADD', 'z', 'INCR', 'GT', '-1', 'b'],
    ['ZADD', 'z', 'INCR', 'LT', '-1', 'b'], ['ZADD', 'z', 'INCR', 'CH', '0', 'b'], ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'], ALL('z'),
    ['ZADD', 'zi', '1', 'a'], ['ZINCRBY', 'zi', '-1', 'a'], ['ZSCORE', 'zi', 'a'], ['ZINCRBY', 'zi', '-0', 'a'], ALL('zi'),
  ],
  'ZREM: present, missing and repeated members; the last member deletes the key': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
    ['ZREM', 'z', 'nope'], ['ZREM', 'z', 'b'], ALL('z'), ['ZREM', 'z', 'a', 'a', 'nope', 'd'], ALL('z'), ['EXISTS', 'z'],
    ['ZREM', 'z', 'c', 'c'], ['EXISTS', 'z'], ['ZREM', 'z', 'c'], ['ZADD', 'z', '1', 'x'], ['ZREM', 'z', 'x', 'y'], ['TYPE', 'z'],
    ['SET', 'str', 'v'], ['ZREM', 'str', 'a'],
  ],
  'ZPOPMIN, ZPOPMAX, ZMPOP and BZPOPMIN/BZPOPMAX/BZMPOP (served at once): members and scores, counts, the last member deletes the key': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '2', 'bb', '3', 'c', '-0', 'zero', '1.5', 'half', 'inf', 'top'],
    ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z'], ['ZPOPMIN', 'z', '2'], ['ZPOPMAX', 'z', '0'], ALL('z'), ['ZPOPMAX', 'z', '1'],
    ['ZMPOP', '2', 'nope', 'z', 'MIN'], ['ZADD', 'z', '5', 'x', '6', 'y', '7', 'w'], ['ZMPOP', '1', 'z', 'MAX', 'COUNT', '2'],
    ['BZPOPMIN', 'nope', 'z', '0'], ['BZPOPMAX', 'z', '0'], ['EXISTS', 'z'], ['ZADD', 'z', '1', 'a', '2', 'b'],
    ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '5'], ['EXISTS', 'z'], ['ZADD', 'z', '1', 'a'], ['ZPOPMAX', 'z', '10'], ['EXISTS', 'z'],
    ['ZADD', 'z', '1', 'a'], ['ZPOPMIN', 'z', '-1'], ['ZPOPMIN', 'z', 'x'], ['ZPOPMIN', 'z', '1', '2'], ['SET', 'str', 'v'], ['ZPOPMIN', 'str'],
    ['ZPOPMIN', 'nope'], ['ZMPOP', '1', 'str', 'MIN'],
  ],
  'a listpack set turns skiplist with a long member, and keeps -0 then': [
    ['ZADD', 'z', '1', 'a', '2', 'b'],
    ['ZADD', 'z', '-0', 'zero'], ALL('z'), ['OBJECT', 'ENCODING', 'z'], ['ZADD', 'z', '3', 'x'.repeat(65)], ['OBJECT', 'ENCODING', 'z'],
    ['ZADD', 'z', '-0', 'a'], ['ZINCRBY', 'z', '-0', 'b'], ['ZSCORE', 'z', 'a'], ALL('z'), ['ZREM', 'z', 'x'.repeat(65)], ['OBJECT', 'ENCODING', 'z'],
    ['ZADD', 'big', '1', 'y'.repeat(1500)], ['ZADD', 'big', '2', 'z'.repeat(1500)], ['ZCARD', 'big'], ALL('z'),
  ],
};

describe.skipIf(!hasRedisServer)('writes to small sorted sets packed at rest, against redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;

  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  async function replies(port: number, protocol: 2 | 3, commands: string[][], before: () => void): Promise<string[]> {
    const c = await ReplyConnection.open(port);
    try {
      expect(await c.send(['FLUSHALL'])).toBe('+OK\r\n');
      if (protocol === 3) expect((await c.send(['HELLO', '3']))[0]).toBe('%');
      const out: string[] = [];
      for (const cmd of commands) {
        before();
        out.push(await c.send(cmd));
      }
      return out;
    } finally {
      c.close();
    }
  }

  for (const protocol of [2, 3] as const) {
    for (const [name, commands] of Object.entries(CASES)) {
      it(`RESP${protocol}: ${name}`, async () => {
        const expected = await replies(redis.port, protocol, commands, () => {});
        const actual = await replies(sealkv.port, protocol, commands, () => sealkv.advance(1000));
        const show = (r: string[]) => commands.map((c, i) => `${c.join(' ')} -> ${JSON.stringify(r[i])}`);
        expect(show(actual)).toEqual(show(expected));
      });
    }
  }
});
