// Commands of thousands of elements that seal or digest each one (SADD, HSET, ZADD, MSET and
// their removal/lookup forms) are prepared a slice per event-loop turn, with repeats folded
// where the outcome cannot tell, then run in one step (src/commands/values/bulk.ts). Every reply,
// stored result, encoding, keyspace event, WATCH and SLOWLOG entry must be what the command
// run as sent gives: compared byte for byte with redis-server 7.0 where it is installed.

import { describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { compareWithRedis, OTHER } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

/** Enough units that the command has more than bulk.ts's 4,096 arguments. */
const U = 2500;
const times = <T>(n: number, f: (i: number) => T[]): T[] => Array.from({ length: n }, (_, i) => f(i)).flat();
const LONG = 'x'.repeat(100);

const CASES: Record<string, string[][]> = {
  'SADD, SREM and SMISMEMBER with repeats': [
    ['SADD', 's', ...times(U * 2, (i) => [`m${i % 300}`])],
    ['SCARD', 's'],
    ['SMISMEMBER', 's', ...times(U * 2, (i) => [`m${i % 400}`])],
    ['SADD', 's', ...times(U * 2, (i) => [String(i % 500)])],
    ['SREM', 's', ...times(U * 2, (i) => [`m${i % 350}`])],
    ['SCARD', 's'],
    ['OBJECT', 'ENCODING', 's'],
  ],
  'SADD of integers only keeps the intset as Redis does': [
    ['SADD', 'i', ...times(U * 2, (i) => [String(i % 200)])],
    ['OBJECT', 'ENCODING', 'i'],
    ['SMEMBERS', 'i'],
  ],
  'HSET with repeated fields: the last value wins, a field keeps its first place': [
    ['HSET', 'h', ...times(U, (i) => [`f${i % 50}`, `v${i}`])],
    ['HGETALL', 'h'],
    ['HMSET', 'h', ...times(U, (i) => [`g${i % 200}`, `w${i}`])],
    ['HLEN', 'h'],
    ['HMGET', 'h', ...times(U * 2, (i) => [`g${i % 300}`])],
    ['HDEL', 'h', ...times(U * 2, (i) => [`g${i % 150}`])],
    ['HLEN', 'h'],
    ['OBJECT', 'ENCODING', 'h'],
  ],
  'HSET where a long value is overwritten by a short one: the encoding Redis gives': [
    ['HSET', 'h', 'f', LONG, ...times(U, () => ['f', 'v'])],
    ['OBJECT', 'ENCODING', 'h'],
    ['HGETALL', 'h'],
    ['HSET', 'h2', ...times(U, (i) => [`f${i % 10}`, 'v'])],
    ['OBJECT', 'ENCODING', 'h2'],
  ],
  'HSET of many distinct fields, then again with new values': [
    ['HSET', 'big', ...times(U, (i) => [`f${i}`, `a${i}`])],
    ['HSET', 'big', ...times(U, (i) => [`f${i}`, `b${i}`])],
    ['HGET', 'big', 'f1234'],
    ['HLEN', 'big'],
    ['OBJECT', 'ENCODING', 'big'],
  ],
  'ZADD with repeated members: the last score wins': [
    ['ZADD', 'z', ...times(U, (i) => [String(i), `m${i % 100}`])],
    ['ZCARD', 'z'],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['ZMSCORE', 'z', ...times(U * 2, (i) => [`m${i % 150}`])],
    ['ZREM', 'z', ...times(U * 2, (i) => [`m${i % 60}`])],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  ],
  'ZADD with options or a bad score among repeats answers as sent': [
    ['ZADD', 'z', 'CH', ...times(U, (i) => [String(i), `m${i % 100}`])],
    ['ZADD', 'z', 'NX', ...times(U, (i) => [String(-i), `m${i % 120}`])],
    ['ZADD', 'z', 'GT', 'CH', ...times(U, (i) => [String(i % 7), `m${i % 130}`])],
    ['ZADD', 'z', ...times(U, (i) => [i === U - 1 ? 'nope' : '1', `n${i}`])],
    ['ZCARD', 'z'],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  ],
  'MSET and MSETNX with repeated keys': [
    ['MSET', ...times(U, (i) => [`k${i % 40}`, `v${i}`])],
    ['MGET', ...times(45, (i) => [`k${i}`])],
    ['MSETNX', ...times(U, (i) => [`n${i % 40}`, `v${i}`])],
    ['MSETNX', ...times(U, (i) => [`n${i % 40 + 39}`, `w${i}`])],
    ['MGET', 'n0', 'n39', 'n40'],
    ['DBSIZE'],
  ],
  'MSET clears a TTL, of repeated keys too': [
    ['SET', 'k1', 'old', 'EX', '100'],
    ['MSET', ...times(U, (i) => [`k${i % 3}`, `v${i}`])],
    ['TTL', 'k1'],
    ['GET', 'k1'],
  ],
  'queued in MULTI it runs at EXEC as it is': [
    ['MULTI'],
    ['SADD', 's', ...times(U * 2, (i) => [`m${i % 300}`])],
    ['HSET', 'h', ...times(U, (i) => [`f${i % 50}`, `v${i}`])],
    ['EXEC'],
    ['HGET', 'h', 'f7'],
  ],
  'a key another connection WATCHes is touched: its EXEC fails': [
    ['WATCH', 's'],
    [OTHER, 'SADD', 's', ...times(U * 2, (i) => [`m${i % 300}`])],
    ['MULTI'],
    ['SCARD', 's'],
    ['EXEC'],
  ],
  'wrong type': [
    ['SET', 'str', 'v'],
    ['SADD', 'str', ...times(U * 2, (i) => [`m${i}`])],
    ['HSET', 'str', ...times(U, (i) => [`f${i}`, 'v'])],
    ['ZADD', 'str', ...times(U, (i) => [String(i), `m${i}`])],
    ['GET', 'str'],
  ],
};

compareWithRedis('bulk commands against redis-server', CASES, () => startInProcess());

describe('bulk commands: what only sealkv can be asked', () => {
  const { server, run } = withServer();

  it('keyspace notifications: one per pair of MSET, repeats included, as Redis sends them', async () => {
    await run(['config', 'set', 'notify-keyspace-events', 'KEA']);
    const sub = ioredis(server.port);
    let events = 0;
    try {
      await sub.psubscribe('__keyevent@0__:set');
      sub.on('pmessage', () => events++);
      expect(await run(['mset', ...times(U, (i) => [`k${i % 10}`, `v${i}`])])).toBe('OK');
      for (let i = 0; i < 50 && events < U; i++) await new Promise((r) => setTimeout(r, 20));
      expect(events).toBe(U);
      expect(await run(['get', 'k3'])).toBe(`v${U - 7}`);
    } finally {
      sub.disconnect();
      await run(['config', 'set', 'notify-keyspace-events', '']);
    }
  });

  it('SLOWLOG shows the command as sent, repeats included', async () => {
    await run(['config', 'set', 'slowlog-log-slower-than', '0']);
    await run(['slowlog', 'reset']);
    try {
      expect(await run(['sadd', 'slow', ...times(U * 2, () => ['a'])])).toBe(1);
    } finally {
      await run(['config', 'set', 'slowlog-log-slower-than', '10000']);
    }
    const entries = (await run(['slowlog', 'get', '10'])) as [number, number, number, string[]][];
    const entry = entries.find((e) => e[3][0] === 'sadd')!;
    expect(entry[3][31]).toBe(`... (${U * 2 + 2 - 31} more arguments)`);
  });
});
