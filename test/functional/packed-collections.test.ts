// Small lists, sets and sorted sets at rest are packed into one sealed blob in their key's record
// (store/types/packed.ts, store/packed-record.ts): new ones as their turn ends, used ones once
// they rest. Whatever a command, DUMP, RENAME or expiry asks of a packed key must come out as if
// it had never been packed, and packing must give memory back. Driven over ioredis against an
// in-process server whose clock the test moves.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';
import { isPackedForm, PackedRecord } from '../../src/store/packed-record.js';
import { COMPACT_OVERHEAD, Sealer } from '../../src/seal/sealer.js';
import { Kind } from '../../src/store/entry.js';
import { Purpose } from '../../src/seal/values.js';

/** The accounted bytes of the data alone: used_memory less what the connections hold (WATCH, buffers). */
function dataBytes(account: { used: number; clients: number }): number {
  return account.used - account.clients;
}

let server: InProcessServer;
let client: Redis;

const db = () => server.running.state.databases[0]!;
/** Whether key `name` is packed (with --seal-keys the keyspace files it under a hash of the name). */
const packed = (name: string) => db().isPacked(storedKey(server, name));
/** Lets the turn end (new keys are packed in a setImmediate) and a cron tick or two pass. */
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

/** An INFO field as a number. */
const stat = async (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(await client.info())![1]);
/** Keyspace notifications on, heard by a new connection: `seen` collects "channel message" (disconnect `events` after). */
async function keyEvents(): Promise<{ events: Redis; seen: string[] }> {
  const events = new Redis({ port: server.port, host: server.host });
  const seen: string[] = [];
  await client.config('SET', 'notify-keyspace-events', 'KEA');
  await events.psubscribe('__key*__:*');
  events.on('pmessage', (_p, channel, message) => seen.push(`${channel} ${message}`));
  return { events, seen };
}

beforeAll(async () => {
  server = await startInProcess();
  client = new Redis({ port: server.port, host: server.host, lazyConnect: true });
  await client.connect();
});

afterAll(async () => {
  client.disconnect();
  await server.stop();
});

beforeEach(async () => {
  await client.flushall();
});

describe('packing small collections', () => {
  it('packs new small lists, sets and sorted sets once their turn ends, and reads them back unchanged', async () => {
    await client.rpush('l', 'a', 'bb', '', 'dddd');
    await client.sadd('s', 'x', 'yy', 'zzz');
    await client.sadd('i', '3', '-1', '20');
    await client.zadd('z', '1.5', 'm1', '-inf', 'm0', '1.5', 'a', '1e10', 'big');
    await settle();
    for (const key of ['l', 's', 'i', 'z']) expect(packed(key), key).toBe(true);
    expect(await client.lrange('l', 0, -1)).toEqual(['a', 'bb', '', 'dddd']);
    expect((await client.smembers('s')).sort()).toEqual(['x', 'yy', 'zzz']);
    expect(await client.smembers('i')).toEqual(['-1', '3', '20']);
    expect(await client.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['m0', '-inf', 'a', '1.5', 'm1', '1.5', 'big', '10000000000']);
    // Those reads answered from the blobs (commands/values/packed-reads.ts), a lex range too.
    for (const key of ['l', 's', 'i', 'z']) expect(packed(key), key).toBe(true);
    expect(await client.zrangebylex('z', '-', '+')).toEqual(['m0', 'a', 'm1', 'big']);
    expect(packed('z')).toBe(true);
  });

  it('weighs a packed key with MEMORY USAGE as it lies: left packed, idle time and hits untouched, its bytes those memory accounting counts', async () => {
    await client.rpush('l', 'a', 'bb', 'c');
    await client.sadd('s', 'x', 'yy');
    await client.zadd('z', '1', 'a', '2', 'b');
    await client.hset('h', 'f', 'v', 'g', 'w');
    await settle();
    server.advance(10_000);
    const used = () => dataBytes(server.running.state.memory.account);
    const hits = async () => Number(/keyspace_hits:(\d+)/.exec(await client.info('stats'))![1]);
    const before = await hits();
    let sum = 0;
    for (const key of ['l', 's', 'z', 'h']) {
      const bytes = Number(await client.memory('USAGE', key));
      expect(bytes, key).toBeGreaterThan(0);
      sum += bytes;
    }
    // As Redis's MEMORY USAGE (a dictFind): no keyspace hit counted.
    expect(await hits()).toBe(before);
    for (const key of ['l', 's', 'z', 'h']) {
      expect(packed(key), key).toBe(true);
      expect(await client.object('IDLETIME', key), key).toBe(10);
    }
    // The four keys are all that is stored: what MEMORY USAGE reports adds up to what is counted.
    const all = used();
    await client.flushall();
    expect(sum).toBe(all - used());
  });

  it('answers the everyday reads from the packed blob, leaving it packed, counted and touched as any read', async () => {
    await client.rpush('l', 'a', 'bb', 'c');
    await client.sadd('s', 'x', 'yy');
    await client.sadd('i', '3', '1', '2');
    await client.zadd('z', '1', 'a', '2', 'b', '3', 'c');
    await client.hset('h', 'f', 'v', 'g', 'w');
    await settle();
    server.advance(10_000);
    const keys = ['l', 's', 'i', 'z', 'h'];
    for (const key of keys) expect(await client.object('IDLETIME', key), key).toBe(10);
    const hits = async () => Number(/keyspace_hits:(\d+)/.exec(await client.info('stats'))![1]);
    const before = await hits();
    expect(await client.lrange('l', '-2', '-1')).toEqual(['bb', 'c']);
    expect(await client.llen('l')).toBe(3);
    expect((await client.smembers('s')).sort()).toEqual(['x', 'yy']);
    expect(await client.sismember('s', 'yy')).toBe(1);
    expect(await client.sismember('s', 'y')).toBe(0);
    expect(await client.smembers('i')).toEqual(['1', '2', '3']);
    expect(await client.sismember('i', '2')).toBe(1);
    expect(await client.scard('i')).toBe(3);
    expect(await client.zrange('z', '0', '1', 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
    expect(await client.zrevrange('z', '0', '1')).toEqual(['c', 'b']);
    expect(await client.zrange('z', '0', '0', 'REV', 'WITHSCORES')).toEqual(['c', '3']);
    expect(await client.zscore('z', 'b')).toBe('2');
    expect(await client.zscore('z', 'd')).toBeNull();
    expect(await client.zcard('z')).toBe(3);
    expect(await client.zrank('z', 'b')).toBe(1);
    expect(await client.zrevrank('z', 'a')).toBe(2);
    expect(await client.lindex('l', '-1')).toBe('c');
    expect(await client.hget('h', 'g')).toBe('w');
    expect(await client.hgetall('h')).toEqual({ f: 'v', g: 'w' });
    expect(await client.hlen('h')).toBe(2);
    expect(await hits()).toBe(before + 20);
    for (const key of keys) {
      expect(packed(key), key).toBe(true);
      expect(await client.object('IDLETIME', key), key).toBe(0);
    }
    // Under an LFU policy a read bumps the counter (always, from a new key's 5), as Redis does.
    await client.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    try {
      const freq = await client.object('FREQ', 'z');
      await client.zscore('z', 'a');
      expect(await client.object('FREQ', 'z')).toBe(Number(freq) + 1);
      expect(packed('z')).toBe(true);
    } finally {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
    }
    // A collection in use (just read) takes three writes in a row in its blob; the fourth within
    // the in-use window unpacks it (commands/values/at-rest.ts IN_USE_WRITES).
    await client.sadd('s', 'w');
    expect(packed('s')).toBe(true);
    await client.srem('s', 'x');
    expect(packed('s')).toBe(true);
    await client.sadd('s', 'w');
    expect(packed('s')).toBe(true);
    await client.srem('s', 'x');
    expect(packed('s')).toBe(false);
    expect((await client.smembers('s')).sort()).toEqual(['w', 'yy']);
  });

  it('answers score and lex ranges, the range counts, ZMSCORE, ZRANDMEMBER, ZSCAN, SMISMEMBER and SRANDMEMBER from the packed blob, leaving it packed, counted and touched', async () => {
    await client.zadd('z', '1', 'a', '2', 'b', '2', 'bb', '3', 'c', '+inf', 'top');
    await client.zadd('lex', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    await client.sadd('s', 'x', 'yy', 'zzz');
    await client.sadd('i', '3', '1', '2');
    await settle();
    server.advance(10_000);
    const keys = ['z', 'lex', 's', 'i'];
    const before = await stat('keyspace_hits');
    const reads: [unknown, unknown][] = [
      [await client.zrangebyscore('z', '(1', '3', 'WITHSCORES'), ['b', '2', 'bb', '2', 'c', '3']],
      [await client.zrangebyscore('z', '-inf', '+inf', 'LIMIT', '1', '2'), ['b', 'bb']],
      [await client.zrevrangebyscore('z', '+inf', '2', 'WITHSCORES', 'LIMIT', '0', '2'), ['top', 'inf', 'c', '3']],
      [await client.zrange('z', '+inf', '(2', 'BYSCORE', 'REV', 'LIMIT', '1', '-1'), ['c']],
      [await client.zrangebyscore('z', '5', '4'), []],
      [await client.zcount('z', '2', '(3'), 2],
      [await client.zcount('z', '(3', '+inf'), 1],
      [await client.zrangebylex('lex', '(a', '[c'), ['b', 'c']],
      [await client.zrevrangebylex('lex', '+', '-', 'LIMIT', '1', '2'), ['c', 'b']],
      [await client.zrange('lex', '[b', '+', 'BYLEX', 'LIMIT', '0', '1'), ['b']],
      [await client.zlexcount('lex', '[b', '+'), 3],
      [await client.zmscore('z', 'bb', 'nope', 'top'), ['2', null, 'inf']],
      [await client.smismember('s', 'yy', 'y', 'x'), [1, 0, 1]],
      [await client.smismember('i', '2', '4'), [1, 0]],
      [await client.srandmember('i', 5), ['1', '2', '3']],
      [(await client.srandmember('s', -7)).every((m: string) => ['x', 'yy', 'zzz'].includes(m)), true],
      [new Set(await client.srandmember('s', 2)).size, 2],
      [['x', 'yy', 'zzz'].includes((await client.srandmember('s'))!), true],
      [await client.zrandmember('z', 9, 'WITHSCORES'), ['top', 'inf', 'c', '3', 'bb', '2', 'b', '2', 'a', '1']],
      [(await client.zrandmember('lex', -6)).every((m: string) => ['a', 'b', 'c', 'd'].includes(m)), true],
      [new Set(await client.zrandmember('lex', 3)).size, 3],
      [['a', 'b', 'c', 'd'].includes((await client.zrandmember('lex'))!), true],
      // A listpack's ZSCAN: the whole set at once, cursor 0, whatever the cursor and COUNT asked.
      [await client.zscan('z', '0'), ['0', ['a', '1', 'b', '2', 'bb', '2', 'c', '3', 'top', 'inf']]],
      [await client.zscan('z', '5', 'MATCH', 'b*', 'COUNT', '1'), ['0', ['b', '2', 'bb', '2']]],
    ];
    for (const [got, want] of reads) expect(got).toEqual(want);
    expect(await stat('keyspace_hits')).toBe(before + reads.length);
    for (const key of keys) {
      expect(packed(key), key).toBe(true);
      expect(await client.object('IDLETIME', key), key).toBe(0);
    }
  });

  it('takes SADD into a small packed set in its blob: present members answer 0 and change nothing, new ones are added, the set stays packed', async () => {
    await client.sadd('s', 'x', 'yy', '');
    await client.sadd('i', '3', '1', '2');
    await client.expire('i', 100);
    await client.sadd('big', ...Array.from({ length: 20 }, (_, k) => `member-of-a-larger-set:${k}`));
    await settle();
    server.advance(10_000);
    const dirty = await stat('rdb_changes_since_last_save');
    const hits = await stat('keyspace_hits');
    const { events, seen } = await keyEvents();
    const watcher = new Redis({ port: server.port, host: server.host });
    try {
      await watcher.watch('s', 'i');
      expect(packed('s'), 'WATCH leaves it packed').toBe(true);
      // Each SADD here meets a set at rest (untouched for a second): one in use is unpacked (below).
      expect(await client.sadd('s', 'yy')).toBe(0);
      server.advance(2000);
      expect(await client.sadd('s', '', 'x', 'yy', 'x')).toBe(0);
      expect(await client.sadd('i', '2', '3')).toBe(0);
      expect(packed('s')).toBe(true);
      expect(packed('i')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty);
      // A write's lookup counts no keyspace hit (Redis LOOKUP_WRITE).
      expect(await stat('keyspace_hits')).toBe(hits);
      expect(await client.object('IDLETIME', 's')).toBe(0);
      expect(await watcher.multi().ping().exec()).toEqual([[null, 'PONG']]);
      // New members among present ones: added in the blob, announced, counted, seen by WATCH.
      await watcher.watch('s');
      server.advance(2000);
      expect(await client.sadd('s', 'x', 'new', 'new', 'z')).toBe(2);
      expect(await client.sadd('i', '2', '-7')).toBe(1);
      expect(await watcher.multi().ping().exec()).toBeNull();
      expect(packed('s')).toBe(true);
      expect(packed('i')).toBe(true);
      expect(await client.object('ENCODING', 'i')).toBe('intset');
      expect(await client.smembers('i')).toEqual(['-7', '1', '2', '3']);
      expect(await client.ttl('i')).toBe(86);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 2);
      // OBJECT ENCODING unpacked it: packed again once it rests.
      server.advance(2000);
      await settle(250);
      expect(packed('i')).toBe(true);
      expect(await client.sadd('i', '020')).toBe(1);
      expect(packed('i')).toBe(true);
      expect(await client.object('ENCODING', 'i')).toBe('hashtable');
      expect((await client.smembers('i')).sort()).toEqual(['-7', '020', '1', '2', '3']);
      expect((await client.smembers('s')).sort()).toEqual(['', 'new', 'x', 'yy', 'z']);
      expect(await client.scard('s')).toBe(5);
      // A set touched within 100 ms takes three writes in a row in its blob; written a fourth
      // time within them, it is in use and unpacked for SADD, as for any write (at-rest.ts packedAtRest).
      for (let i = 0; i < 3; i++) {
        expect(await client.sadd('s', 'x')).toBe(0);
        expect(packed('s')).toBe(true);
      }
      expect(await client.sadd('s', 'x')).toBe(0);
      expect(packed('s')).toBe(false);
      // A set whose blob is past the in-blob bound is unpacked for a new member, as before.
      expect(await client.sadd('big', 'member-of-a-larger-set:3')).toBe(0);
      expect(packed('big')).toBe(true);
      expect(await client.sadd('big', 'one more')).toBe(1);
      expect(packed('big')).toBe(false);
      expect(await client.scard('big')).toBe(21);
      await client.ping();
      await settle(10);
      expect(seen).toEqual([
        '__keyspace@0__:s sadd', '__keyevent@0__:sadd s', '__keyspace@0__:i sadd', '__keyevent@0__:sadd i',
        '__keyspace@0__:i sadd', '__keyevent@0__:sadd i', '__keyspace@0__:big sadd', '__keyevent@0__:sadd big',
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
      watcher.disconnect();
    }
  });

  it('takes SREM and SPOP from a small packed set at rest in its blob: it stays packed, TTL kept, announced and counted, the last member deletes the key', async () => {
    await client.sadd('s', 'a', 'b', 'c', '1', '2');
    await client.expire('s', 100);
    await client.sadd('i', '5', '6', '7', '8');
    await client.sadd('m', '1', '2', '3', '4', '5', 'x');
    await settle();
    server.advance(2000);
    const dirty = await stat('rdb_changes_since_last_save');
    const { events, seen } = await keyEvents();
    const watcher = new Redis({ port: server.port, host: server.host });
    try {
      await watcher.watch('s');
      // Nothing removed: no event, no dirty count, WATCH untouched; the access time moves.
      expect(await client.srem('s', 'nope')).toBe(0);
      server.advance(2000);
      expect(await client.spop('s', 0)).toEqual([]);
      expect(packed('s')).toBe(true);
      expect(await client.object('IDLETIME', 's')).toBe(0);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty);
      expect(await watcher.multi().ping().exec()).toEqual([[null, 'PONG']]);
      await watcher.watch('s');
      server.advance(2000);
      expect(await client.srem('s', 'a', 'nope', 'b')).toBe(2);
      expect(await watcher.multi().ping().exec()).toBeNull();
      expect(packed('s')).toBe(true);
      server.advance(2000);
      const one = await client.spop('s');
      expect(['c', '1', '2']).toContain(one);
      expect(packed('s')).toBe(true);
      server.advance(2000);
      const two = await client.spop('s', 1);
      expect(two).toHaveLength(1);
      expect(packed('s')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 3);
      expect(await client.ttl('s')).toBe(90);
      expect((await client.smembers('s')).concat(one!, two).sort()).toEqual(['1', '2', 'c']);
      // An intset stays one; the few members SPOP leaves are a new set, an intset when they are integers (Redis's SPOP_MOVE_STRATEGY_MUL).
      server.advance(2000);
      expect(await client.srem('i', '6')).toBe(1);
      expect(packed('i')).toBe(true);
      expect(await client.object('ENCODING', 'i')).toBe('intset');
      server.advance(2000);
      const popped = await client.spop('m', 5);
      expect(packed('m')).toBe(true);
      const [left] = await client.smembers('m');
      expect([...popped, left].sort()).toEqual(['1', '2', '3', '4', '5', 'x']);
      expect(await client.object('ENCODING', 'm')).toBe(left === 'x' ? 'hashtable' : 'intset');
      // All that is left, in an intset's order when every member is an integer, and the key goes.
      server.advance(2000);
      expect(await client.spop('i', 10)).toEqual(['5', '7', '8']);
      expect(await client.exists('i')).toBe(0);
      server.advance(2000);
      expect(await client.srem('m', left!)).toBe(1);
      expect(await client.exists('m')).toBe(0);
      await client.ping();
      await settle(10);
      const both = (event: string, key: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...both('srem', 's'), ...both('spop', 's'), ...both('spop', 's'), ...both('srem', 'i'), ...both('spop', 'm'),
        ...both('spop', 'i'), ...both('del', 'i'), ...both('srem', 'm'), ...both('del', 'm'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
      watcher.disconnect();
    }
  });

  it('moves a member between small packed sets at rest in their blobs (SMOVE): both stay packed, Redis\'s events, the emptied source deleted', async () => {
    await client.sadd('a', 'x', 'y', '7');
    await client.sadd('b', 'y');
    await client.sadd('one', 'last');
    await client.rpush('list', 'e');
    await settle();
    server.advance(2000);
    const dirty = await stat('rdb_changes_since_last_save');
    const { events, seen } = await keyEvents();
    try {
      // Checks first: a destination of another type, then the same key (membership), then a member the source lacks.
      await expect(client.smove('a', 'list', 'x')).rejects.toThrow('WRONGTYPE');
      expect(await client.smove('a', 'a', 'x')).toBe(1);
      server.advance(2000);
      expect(await client.smove('a', 'b', 'nope')).toBe(0);
      expect(packed('a')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty);
      server.advance(2000);
      expect(await client.smove('a', 'b', 'x')).toBe(1);
      expect(packed('a')).toBe(true);
      expect(packed('b')).toBe(true);
      server.advance(2000);
      // Already in the destination: it leaves the source only.
      expect(await client.smove('a', 'b', 'y')).toBe(1);
      server.advance(2000);
      // Onto a missing key: a new set (an intset: its one member is an integer).
      expect(await client.smove('a', 'new', '7')).toBe(1);
      expect(await client.exists('a')).toBe(0);
      expect(packed('new')).toBe(true);
      expect(await client.object('ENCODING', 'new')).toBe('intset');
      server.advance(2000);
      expect(await client.smove('one', 'b', 'last')).toBe(1);
      expect(await client.exists('one')).toBe(0);
      expect(packed('b')).toBe(true);
      expect((await client.smembers('b')).sort()).toEqual(['last', 'x', 'y']);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 7);
      await client.ping();
      await settle(10);
      const of = (key: string, event: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...of('a', 'srem'), ...of('b', 'sadd'), ...of('a', 'srem'), ...of('a', 'srem'), ...of('a', 'del'), ...of('new', 'sadd'),
        ...of('one', 'srem'), ...of('one', 'del'), ...of('b', 'sadd'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
    }
  });

  it('scans a small packed set at rest (SSCAN) from its blob as the set unpacked from it scans: the same steps and cursors, the set left packed', async () => {
    const sizes = [3, 8, 9, 16, 17, 40, 64];
    for (const n of sizes) await client.sadd(`s${n}`, ...Array.from({ length: n }, (_, i) => `m${i}`));
    await client.sadd('ints', '5', '-3', '100', '7');
    // Past the deltas form's 15 digits: an intset kept with tagged members.
    await client.sadd('bigints', '12345678901234567', '-2', '99');
    await settle();
    server.advance(2000);
    const keys = [...sizes.map((n) => `s${n}`), 'ints', 'bigints'];
    const walk = async (key: string, count: number, match?: string, from = '0'): Promise<string[][]> => {
      const steps: string[][] = [];
      let cursor = from;
      do {
        const [next, members] = (await client.call('SSCAN', key, cursor, ...(match ? ['MATCH', match] : []), 'COUNT', String(count))) as [string, string[]];
        steps.push([next, ...members]);
        cursor = next;
      } while (cursor !== '0' && steps.length < 200);
      return steps;
    };
    const walks = async (key: string) => [await walk(key, 1), await walk(key, 3), await walk(key, 10), await walk(key, 2, 'm1*'), await walk(key, 4, undefined, '7')];
    const atRest = new Map<string, string[][][]>();
    for (const key of keys) atRest.set(key, await walks(key));
    for (const key of keys) expect(packed(key), key).toBe(true);
    // Every member comes in a whole scan; larger sets take several steps.
    expect(new Set(atRest.get('s40')![0]!.flatMap((step) => step.slice(1))).size).toBe(40);
    expect(atRest.get('s40')![0]!.length).toBeGreaterThan(1);
    expect(atRest.get('bigints')![0]).toEqual([['0', '-2', '99', '12345678901234567']]);
    expect(atRest.get('ints')![2]).toEqual([['0', '-3', '5', '7', '100']]);
    // The same scans once each set is unpacked (peek makes the live set).
    for (const key of keys) {
      db().peek(storedKey(server, key));
      expect(packed(key), key).toBe(false);
      expect(await walks(key), key).toEqual(atRest.get(key));
    }
  });

  it('combines small packed sets at rest in their blobs (SINTER, SINTERCARD, SUNION, SDIFF): the same replies as the unpacked sets give, the sets left packed', async () => {
    await client.sadd('a', 'x', 'y', 'z', '1', 'shared');
    await client.sadd('b', 'y', 'shared', 'w', '2');
    await client.sadd('i1', '5', '3', '1', '12345678901234567');
    await client.sadd('i2', '3', '4', '5', '-1');
    await client.sadd('many', ...Array.from({ length: 100 }, (_, i) => `m${i}`), 'x');
    await client.rpush('list', 'e');
    await settle();
    server.advance(2000);
    const keys = ['a', 'b', 'i1', 'i2'];
    const commands: string[][] = [
      ['SINTER', 'a', 'b'], ['SINTER', 'b', 'a'], ['SINTER', 'i1', 'i2'], ['SINTER', 'a', 'i1'], ['SINTER', 'i2', 'a', 'b'], ['SINTER', 'a', 'nope'], ['SINTER', 'a', 'a'],
      ['SUNION', 'a', 'b'], ['SUNION', 'i1', 'i2'], ['SUNION', 'i2', 'nope', 'i1'], ['SUNION', 'a', 'i1', 'b'], ['SUNION', 'a', 'a'],
      ['SDIFF', 'a', 'b'], ['SDIFF', 'i1', 'i2'], ['SDIFF', 'a', 'nope'], ['SDIFF', 'nope', 'a'], ['SDIFF', 'a', 'a'], ['SDIFF', 'i1', 'a', 'i2'],
      ['SINTERCARD', '2', 'a', 'b'], ['SINTERCARD', '2', 'i1', 'i2', 'LIMIT', '1'], ['SINTERCARD', '3', 'a', 'b', 'nope'],
    ];
    const run = async () => {
      const out: unknown[] = [];
      for (const c of commands) out.push(await client.call(c[0]!, ...c.slice(1)));
      return out;
    };
    const hits = await stat('keyspace_hits');
    const atRest = await run();
    for (const key of keys) expect(packed(key), key).toBe(true);
    expect(await stat('keyspace_hits')).toBeGreaterThan(hits);
    await expect(client.sunion('a', 'list')).rejects.toThrow('WRONGTYPE');
    // An intset's order where Redis replies in one (the smallest set's, or a result of integers).
    expect(atRest[2]).toEqual(['3', '5']);
    expect(atRest[8]).toEqual(['-1', '1', '3', '4', '5', '12345678901234567']);
    expect(atRest[13]).toEqual(['1', '12345678901234567']);
    expect(atRest[18]).toBe(2);
    expect(atRest[19]).toBe(1);
    // A large live set among them: the usual path (the packed sets unpacked), the same answers.
    expect((await client.sinter('many', 'a')).sort()).toEqual(['x']);
    expect(packed('a')).toBe(false);
    for (const key of keys) db().peek(storedKey(server, key));
    expect(await run()).toEqual(atRest);
  });

  it('tells an empty member from an integer in the algebra of small packed sets, whatever follows it in the blob (a "-7" after "" is not "-" and "7")', async () => {
    await client.sadd('s', '10', '', '-7');
    await client.sadd('t', '', '-1');
    await settle();
    server.advance(2000);
    expect(packed('s')).toBe(true);
    expect(await client.sdiffstore('d', 's', 'none')).toBe(3);
    expect(await client.sunionstore('u', 's', 't')).toBe(4);
    for (const key of ['s', 'd', 'u']) expect(await client.object('ENCODING', key), key).toBe('hashtable');
    expect((await client.smembers('d')).sort()).toEqual(['', '-7', '10']);
    expect(await client.sismember('u', '')).toBe(1);
    expect(await client.sunion('t').then((m) => m.sort())).toEqual(['', '-1']);
  });

  it('stores the algebra of small packed sets at rest (SINTERSTORE, SUNIONSTORE, SDIFFSTORE): the sources stay packed, a small result is stored packed at once, announced, counted and watched as any store', async () => {
    await client.sadd('a', 'x', 'y', '1');
    await client.sadd('b', 'y', '2');
    await client.sadd('i1', '1', '2', '3');
    await client.sadd('i2', '3', '4');
    await settle();
    server.advance(2000);
    await client.set('dst', 'a string');
    await client.expire('dst', 100);
    const dirty = await stat('rdb_changes_since_last_save');
    const { events, seen } = await keyEvents();
    try {
      expect(await client.sunionstore('dst', 'a', 'b')).toBe(4);
      expect(packed('dst')).toBe(true);
      expect(await client.ttl('dst')).toBe(-1);
      expect(await client.object('ENCODING', 'dst')).toBe('hashtable');
      expect((await client.smembers('dst')).sort()).toEqual(['1', '2', 'x', 'y']);
      expect(await client.sinterstore('ints', 'i1', 'i2')).toBe(1);
      expect(await client.object('ENCODING', 'ints')).toBe('intset');
      expect(await client.sdiffstore('ints', 'i1', 'i2')).toBe(2);
      expect(await client.smembers('ints')).toEqual(['1', '2']);
      // The destination among the sources.
      expect(await client.sunionstore('i1', 'i1', 'i2')).toBe(4);
      expect(await client.smembers('i1')).toEqual(['1', '2', '3', '4']);
      // A small source in use (written again and again): read as plaintext beside the packed one.
      await client.sadd('hot', 'y', 'q');
      for (let i = 0; i < 2; i++) {
        await client.sadd('hot', 'r');
        await client.srem('hot', 'r');
      }
      expect(packed('hot')).toBe(false);
      expect(await client.sinterstore('dst', 'hot', 'a')).toBe(1);
      expect(await client.smembers('dst')).toEqual(['y']);
      // An empty result deletes the destination.
      expect(await client.sinterstore('dst', 'a', 'nope')).toBe(0);
      expect(await client.exists('dst')).toBe(0);
      for (const key of ['a', 'b', 'i2', 'ints', 'i1']) expect(packed(key), key).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 11);
      await client.ping();
      await settle(10);
      const of = (key: string, event: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...of('dst', 'sunionstore'), ...of('ints', 'sinterstore'), ...of('ints', 'sdiffstore'), ...of('i1', 'sunionstore'),
        ...of('hot', 'sadd'), ...of('hot', 'sadd'), ...of('hot', 'srem'), ...of('hot', 'sadd'), ...of('hot', 'srem'), ...of('dst', 'sinterstore'), ...of('dst', 'del'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
    }
    // WATCH sees the store.
    const watcher = new Redis({ port: server.port, host: server.host });
    try {
      server.advance(2000);
      await watcher.watch('w');
      await client.sunionstore('w', 'a', 'b');
      expect(await watcher.multi().ping().exec()).toBeNull();
    } finally {
      watcher.disconnect();
    }
  });

  it('reads small packed sorted sets and sets at rest in their blobs for ZRANGESTORE and the sorted-set algebra: the same replies as unpacked, the sources left packed, a small result stored packed at once', async () => {
    await client.zadd('z1', '1', 'a', '2', 'b', '3', 'c', '-0', 'zero', '1.5', 'd');
    await client.zadd('z2', '2', 'b', '5', 'c', '7', 'e', '0', 'zero');
    await client.sadd('s', 'a', 'e', 'x');
    await client.zadd('long', '1', 'a', '2', 'x'.repeat(80));
    // Lex ranges on equal scores (on mixed ones Redis's answer hangs on its encoding).
    await client.zadd('zl', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    await client.rpush('list', 'e');
    await settle();
    server.advance(2000);
    const keys = ['z1', 'z2', 's', 'long', 'zl'];
    const commands: string[][] = [
      ['ZUNION', '2', 'z1', 'z2', 'WITHSCORES'], ['ZUNION', '3', 'z1', 's', 'z2', 'WEIGHTS', '1', '2', '-1', 'AGGREGATE', 'MAX', 'WITHSCORES'],
      ['ZINTER', '2', 'z1', 'z2', 'WITHSCORES'], ['ZINTER', '2', 'z1', 's', 'AGGREGATE', 'MIN'], ['ZDIFF', '2', 'z1', 'z2', 'WITHSCORES'],
      ['ZDIFF', '2', 's', 'z1'], ['ZINTERCARD', '2', 'z1', 'z2'], ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '1'], ['ZUNION', '2', 'z1', 'nope'],
      ['ZUNIONSTORE', 'u', '2', 'z1', 'z2'], ['ZRANGE', 'u', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'u'],
      ['ZINTERSTORE', 'i', '2', 'z1', 's'], ['ZDIFFSTORE', 'd', '2', 'z1', 'nope'], ['ZUNIONSTORE', 'l', '2', 'long', 'z1'], ['OBJECT', 'ENCODING', 'l'],
      ['ZRANGESTORE', 'r', 'z1', '1', '-2'], ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'r', 'z1', '0', '1', 'REV'],
      ['ZRANGESTORE', 'r', 'z1', '(1', '+inf', 'BYSCORE', 'LIMIT', '1', '2'], ['ZRANGESTORE', 'r', 'z1', '+inf', '1', 'BYSCORE', 'REV', 'LIMIT', '0', '2'],
      ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'r', 'zl', '[b', '(d', 'BYLEX'], ['ZRANGESTORE', 'r', 'z1', '5', '9'], ['EXISTS', 'r'],
      ['ZRANGESTORE', 'r', 'long', '0', '-1'], ['OBJECT', 'ENCODING', 'r'], ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'i', '0', '-1', 'WITHSCORES'],
    ];
    const run = async () => {
      const out: unknown[] = [];
      for (const c of commands) out.push(await client.call(c[0]!, ...c.slice(1)));
      return out;
    };
    const atRest = await run();
    // Results stored packed, a skiplist's too (a member past 64 bytes: Redis's encoding kept in the flag).
    for (const key of [...keys, 'u', 'i', 'd', 'l', 'r']) expect(packed(key), key).toBe(true);
    expect(atRest[11]).toBe('listpack');
    expect(atRest[26]).toBe('skiplist');
    expect(atRest[15]).toBe('skiplist');
    expect(atRest[10]).toEqual([['zero', '0'], ['a', '1'], ['d', '1.5'], ['b', '4'], ['e', '7'], ['c', '8']]);
    await expect(client.zunion(2, 'z1', 'list')).rejects.toThrow('WRONGTYPE');
    for (const key of keys) db().peek(storedKey(server, key));
    expect(await run()).toEqual(atRest);
  });

  it('sorts small packed lists, sets and sorted sets at rest from their blobs (SORT, SORT_RO): the same replies as unpacked, left packed', async () => {
    await client.rpush('l', '3', '10', '-1', '2.5', '7');
    await client.sadd('i', '30', '-4', '12345678901234567', '0');
    await client.sadd('s', 'pear', 'apple', 'fig');
    await client.zadd('z', '3', 'c', '1', 'a', '2', 'b', '2', 'bb');
    await client.set('w_c', '1');
    await settle();
    server.advance(2000);
    const keys = ['l', 'i', 's', 'z'];
    const commands: string[][] = [
      ['SORT', 'l'], ['SORT', 'l', 'DESC', 'LIMIT', '1', '3'], ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '1', '2'], ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '0', '2'],
      ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '9', '2'], ['SORT', 'i'], ['SORT', 'i', 'BY', 'nosort'], ['SORT', 's', 'ALPHA', 'DESC'], ['SORT', 'z', 'ALPHA'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'], ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '5', '1'], ['SORT', 'z', 'BY', 'w_*', 'ALPHA'],
      ['SORT_RO', 'l', 'LIMIT', '0', '3'], ['SORT', 'i', 'STORE', 'out'], ['LRANGE', 'out', '0', '-1'],
    ];
    const run = async () => {
      const out: unknown[] = [];
      for (const c of commands) out.push(await client.call(c[0]!, ...c.slice(1)));
      return out;
    };
    const atRest = await run();
    for (const key of keys) expect(packed(key), key).toBe(true);
    expect(atRest[0]).toEqual(['-1', '2.5', '3', '7', '10']);
    expect(atRest[3]).toEqual(['7', '2.5']);
    expect(atRest[6]).toEqual(['-4', '0', '30', '12345678901234567']);
    await expect(client.sort('s')).rejects.toThrow("One or more scores can't be converted into double");
    for (const key of keys) db().peek(storedKey(server, key));
    expect(await run()).toEqual(atRest);
  });

  it('turns a small sorted set it sorts into a skiplist for good, at rest or in use, SORT_RO too (redis sort.c): OBJECT ENCODING, and a -0 score kept', async () => {
    await client.zadd('z', '2', 'b', '1', 'a');
    await client.zadd('u', '1', 'a');
    await settle();
    server.advance(2000);
    expect(packed('z')).toBe(true);
    expect(await client.object('ENCODING', 'z')).toBe('listpack');
    expect(await client.call('SORT_RO', 'z', 'ALPHA')).toEqual(['a', 'b']);
    expect(packed('z')).toBe(true);
    expect(await client.object('ENCODING', 'z')).toBe('skiplist');
    await client.sort('u', 'ALPHA');
    expect(await client.object('ENCODING', 'u')).toBe('skiplist');
    await client.zadd('z', '-0', 'm');
    expect(await client.zscore('z', 'm')).toBe('-0');
    server.advance(2000);
    db().compactSlice(Infinity, Infinity);
    expect(packed('z')).toBe(true);
    expect(await client.object('ENCODING', 'z')).toBe('skiplist');
  });

  it('makes pushes, pops and LSET on a small packed list at rest in its blob: replies, state, events, dirty, WATCH, TTL and access time as when unpacked', async () => {
    await client.rpush('l', 'a', 'bb', '', 'dddd');
    await client.rpush('m', '1', '2');
    await client.expire('m', 100);
    await client.rpush('big', ...Array.from({ length: 20 }, (_, k) => `element-of-a-larger-list:${k}`));
    await settle();
    server.advance(10_000);
    const dirty = await stat('rdb_changes_since_last_save');
    const { events, seen } = await keyEvents();
    const watcher = new Redis({ port: server.port, host: server.host });
    // Each write meets a list at rest (untouched for a second): one in use is unpacked (below).
    const rested = async () => {
      expect(packed('l'), 'stays packed').toBe(true);
      server.advance(1000);
    };
    try {
      await watcher.watch('l');
      expect(await client.lpush('l', 'x', 'yy')).toBe(6);
      expect(await watcher.multi().ping().exec(), 'WATCH sees the push').toBeNull();
      await rested();
      expect(await client.rpush('l', 'z')).toBe(7);
      await rested();
      expect(await client.lpushx('l', 'h')).toBe(8);
      await rested();
      expect(await client.rpushx('l', 't1', 't2')).toBe(10);
      await rested();
      expect(await client.lset('l', '3', 'SET')).toBe('OK');
      await rested();
      expect(await client.lset('l', '-1', '')).toBe('OK');
      await rested();
      await expect(client.lset('l', '10', 'v')).rejects.toThrow('ERR index out of range');
      await rested();
      expect(await client.lpop('l')).toBe('h');
      await rested();
      expect(await client.rpop('l')).toBe('');
      await rested();
      expect(await client.lpop('l', 2)).toEqual(['yy', 'x']);
      await rested();
      expect(await client.rpop('l', 3)).toEqual(['t1', 'z', 'dddd']);
      await rested();
      // Touched by the last write (a second ago), not left as it was ten seconds before.
      expect(await client.object('IDLETIME', 'l')).toBe(1);
      expect(await client.lpop('l', 0)).toEqual([]);
      expect(packed('l')).toBe(true);
      expect(await client.lrange('l', 0, -1)).toEqual(['SET', 'bb', '']);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 10);
      // A pop that empties the list deletes the key.
      expect(await client.rpop('l', 5)).toEqual(['', 'bb', 'SET']);
      expect(await client.exists('l')).toBe(0);
      // The TTL is kept.
      expect(await client.rpush('m', '3')).toBe(3);
      expect(packed('m')).toBe(true);
      expect(await client.ttl('m')).toBe(79);
      expect(await client.lrange('m', 0, -1)).toEqual(['1', '2', '3']);
      // A list touched within the last 100 ms takes three writes in a row in its blob; the next
      // write within them finds it in use and unpacks it, as before.
      for (let n = 4; n <= 6; n++) {
        expect(await client.rpush('m', String(n))).toBe(n);
        expect(packed('m')).toBe(true);
      }
      expect(await client.rpush('m', '7')).toBe(7);
      expect(packed('m')).toBe(false);
      // A list at rest is written in its blob whatever its size (lists-packed.ts: no bound of its own).
      expect(await client.lset('big', '0', 'v')).toBe('OK');
      expect(packed('big')).toBe(true);
      expect(await client.lindex('big', 0)).toBe('v');
      await client.ping();
      await settle(10);
      const of = (key: string, event: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...of('l', 'lpush'), ...of('l', 'rpush'), ...of('l', 'lpush'), ...of('l', 'rpush'), ...of('l', 'lset'), ...of('l', 'lset'),
        ...of('l', 'lpop'), ...of('l', 'rpop'), ...of('l', 'lpop'), ...of('l', 'rpop'), ...of('l', 'rpop'), ...of('l', 'del'),
        ...of('m', 'rpush'), ...of('m', 'rpush'), ...of('m', 'rpush'), ...of('m', 'rpush'), ...of('m', 'rpush'), ...of('big', 'lset'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
      watcher.disconnect();
    }
  });

  it('moves between, pops (blocking pops served at once, LMPOP) and searches small packed lists at rest in their blobs: they stay packed, events in Redis\'s order, the emptied source deleted', async () => {
    await client.rpush('src', 'a', 'b', 'c', 'd');
    await client.expire('src', 100);
    await client.rpush('dst', 'x');
    await client.sadd('set', 'm');
    await settle();
    server.advance(2000);
    const dirty = await stat('rdb_changes_since_last_save');
    const { events, seen } = await keyEvents();
    const watcher = new Redis({ port: server.port, host: server.host });
    try {
      // LPOS reads the blob: the list stays packed.
      expect(await client.lpos('src', 'c')).toBe(2);
      expect(await client.call('LPOS', 'src', 'b', 'RANK', '-1', 'COUNT', '0', 'MAXLEN', '3')).toEqual([1]);
      expect(await client.call('LPOS', 'src', 'a', 'RANK', '-1', 'MAXLEN', '3')).toBeNull();
      expect(packed('src')).toBe(true);
      server.advance(2000);
      // A destination of another type answers WRONGTYPE before anything changes.
      await expect(client.lmove('src', 'set', 'LEFT', 'RIGHT')).rejects.toThrow('WRONGTYPE');
      server.advance(2000);
      await watcher.watch('dst');
      expect(await client.lmove('src', 'dst', 'LEFT', 'RIGHT')).toBe('a');
      expect(await watcher.multi().ping().exec(), 'WATCH sees the destination\'s push').toBeNull();
      expect(packed('src')).toBe(true);
      expect(packed('dst')).toBe(true);
      server.advance(2000);
      // Onto its own list: the tail goes to the head.
      expect(await client.rpoplpush('src', 'src')).toBe('d');
      expect(packed('src')).toBe(true);
      server.advance(2000);
      // Onto a missing key: a new list.
      expect(await client.lmove('src', 'new', 'RIGHT', 'LEFT')).toBe('c');
      expect(packed('src')).toBe(true);
      server.advance(2000);
      expect(await client.blpop('none', 'src', 0)).toEqual(['src', 'd']);
      expect(packed('src')).toBe(true);
      expect(await client.ttl('src')).toBe(88);
      server.advance(2000);
      // Every element popped: the key is deleted.
      expect(await client.call('LMPOP', '2', 'none', 'dst', 'RIGHT', 'COUNT', '5')).toEqual(['dst', ['a', 'x']]);
      expect(await client.exists('dst')).toBe(0);
      server.advance(2000);
      expect(packed('new')).toBe(true);
      expect(await client.brpoplpush('src', 'new', 0)).toBe('b');
      expect(await client.exists('src')).toBe(0);
      expect(packed('new')).toBe(true);
      expect(await client.lrange('new', 0, -1)).toEqual(['b', 'c']);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 10);
      await client.ping();
      await settle(10);
      const of = (key: string, event: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...of('dst', 'rpush'), ...of('src', 'lpop'), ...of('src', 'lpush'), ...of('src', 'rpop'), ...of('new', 'lpush'), ...of('src', 'rpop'),
        ...of('src', 'lpop'), ...of('dst', 'rpop'), ...of('dst', 'del'), ...of('new', 'lpush'), ...of('src', 'rpop'), ...of('src', 'del'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
      watcher.disconnect();
    }
  });

  it('makes LINSERT, LREM and LTRIM on a small packed list at rest in its blob, announced when they change it, as Redis does', async () => {
    await client.rpush('l', 'a', 'b', 'a', 'c');
    await settle();
    server.advance(10_000);
    const dirty = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await client.info('persistence'))![1]);
    const before = await dirty();
    const events = new Redis({ port: server.port, host: server.host });
    const seen: string[] = [];
    await client.config('SET', 'notify-keyspace-events', 'KEA');
    await events.psubscribe('__keyspace@0__:*');
    events.on('pmessage', (_p, channel, message) => seen.push(`${channel} ${message}`));
    try {
      const step = async <T>(write: Promise<T>): Promise<T> => {
        const reply = await write;
        expect(packed('l'), 'stays packed').toBe(true);
        server.advance(1000);
        return reply;
      };
      expect(await step(client.linsert('l', 'AFTER', 'nope', 'x'))).toBe(-1);
      expect(await step(client.lrem('l', 0, 'nope'))).toBe(0);
      expect(await dirty(), 'nothing changed, nothing counted').toBe(before);
      expect(await step(client.linsert('l', 'BEFORE', 'c', 'x'))).toBe(5);
      expect(await step(client.lrem('l', -1, 'a'))).toBe(1);
      expect(await step(client.ltrim('l', 0, -1))).toBe('OK');
      expect(await step(client.ltrim('l', 1, 2))).toBe('OK');
      expect(await client.lrange('l', 0, -1)).toEqual(['b', 'x']);
      expect(await dirty()).toBe(before + 4);
      // Emptied: the key goes (in use: through the usual path).
      expect(await client.lrem('l', 0, 'b')).toBe(1);
      expect(await client.ltrim('l', 5, 6)).toBe('OK');
      expect(await client.exists('l')).toBe(0);
      // At rest, emptied in the blob path: LREM of every element, LTRIM past the end (the blob not even opened).
      await client.rpush('m', 'a', 'a');
      await client.rpush('n', 'a', 'b');
      await settle();
      server.advance(1000);
      expect(await client.lrem('m', 0, 'a')).toBe(2);
      expect(await client.ltrim('n', 2, -1)).toBe('OK');
      expect(await client.exists('m', 'n')).toBe(0);
      await client.ping();
      await settle(10);
      expect(seen.filter((e) => e.startsWith('__keyspace@0__:l '))).toEqual(['linsert', 'lrem', 'ltrim', 'ltrim', 'lrem', 'ltrim', 'del'].map((e) => `__keyspace@0__:l ${e}`));
      expect(seen.filter((e) => !e.startsWith('__keyspace@0__:l '))).toEqual([
        '__keyspace@0__:m rpush', '__keyspace@0__:n rpush', '__keyspace@0__:m lrem', '__keyspace@0__:m del', '__keyspace@0__:n ltrim', '__keyspace@0__:n del',
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
    }
  });

  it('keeps a list written in its blob within packing\'s limits: a push or LSET past them unpacks it', async () => {
    await client.rpush('l', 'a', 'b');
    await client.rpush('n', ...Array.from({ length: 62 }, (_, k) => `${k}`));
    await settle();
    server.advance(10_000);
    expect(packed('n')).toBe(true);
    // 64 elements at most: the 63rd and 64th in the blob, the 65th unpacks.
    expect(await client.rpush('n', '62', '63')).toBe(64);
    expect(packed('n')).toBe(true);
    server.advance(1000);
    expect(await client.lpush('n', '-1')).toBe(65);
    expect(packed('n')).toBe(false);
    expect(await client.lrange('n', 0, 2)).toEqual(['-1', '0', '1']);
    expect(await client.lrange('n', -2, -1)).toEqual(['62', '63']);
    // 2048 plaintext bytes at most: a value that would pass them unpacks.
    const long = 'v'.repeat(2100);
    expect(await client.lset('l', '1', long)).toBe('OK');
    expect(packed('l')).toBe(false);
    expect(await client.lrange('l', 0, -1)).toEqual(['a', long]);
  });

  it('rewrites a hash at rest whose blob shortens in its own block (the old tail wiped, the block freed whole), and moves one that shortens past the slack bound', async () => {
    const record = () => {
      const stored = db().getStored(storedKey(server, 's'), Date.now());
      if (!(stored instanceof PackedRecord)) throw new Error('s is not a packed record');
      return stored;
    };
    const arena = db().arena;
    await client.hset('s', 'f1', 'value1-123456', 'f2', 'value2-123456');
    await settle();
    server.advance(10_000);
    const first = record();
    const { handle, blobLength } = first;
    const used = () => dataBytes(server.running.state.memory.account);
    const before = used();
    // 12 bytes shorter: the same block, its blob 12 bytes shorter and the old tail zero.
    expect(await client.hset('s', 'f1', 'v')).toBe(0);
    const shrunk = record();
    expect(shrunk.handle).toBe(handle);
    expect(shrunk.blobLength).toBe(blobLength - 12);
    expect(shrunk.bodyBytes).toBe(blobLength);
    expect([...shrunk.slab.subarray(shrunk.blobAt + shrunk.blobLength, shrunk.blobAt + blobLength)]).toEqual(new Array(12).fill(0));
    expect(used() - before).toBe(-12);
    expect(await client.hgetall('s')).toEqual({ f1: 'v', f2: 'value2-123456' });
    // Longer again within the block's slack: still in place.
    server.advance(2000);
    expect(await client.hset('s', 'f1', 'value1-12345')).toBe(0);
    expect(record().handle).toBe(handle);
    expect(record().blobLength).toBe(blobLength - 1);
    expect(used()).toBe(before - 1);
    // Past the block: moved, as before.
    server.advance(2000);
    expect(await client.hset('s', 'f1', 'x'.repeat(60), 'f2', 'y'.repeat(60))).toBe(0);
    const grown = record();
    expect(grown.handle).not.toBe(handle);
    expect(grown.bodyBytes).toBe(grown.blobLength);
    // Shorter by more than the slack bound (64 bytes): moved to a block its size.
    server.advance(2000);
    expect(await client.hdel('s', 'f1')).toBe(1);
    const moved = record();
    expect(moved.handle).not.toBe(grown.handle);
    expect(moved.bodyBytes).toBe(moved.blobLength);
    expect(await client.hgetall('s')).toEqual({ f2: 'y'.repeat(60) });
    // A block left with slack is freed whole: deleting every key gives the arena back all it holds.
    server.advance(2000);
    expect(await client.hset('s', 'f2', 'short')).toBe(0);
    expect(record().handle).toBe(moved.handle);
    expect(record().bodyBytes).toBeGreaterThan(record().blobLength);
    await client.flushall();
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });

  it('writes a small hash at rest in its record: it stays packed, and the write is announced, counted, watched and accounted as any', async () => {
    await client.hset('h', 'f1', 'v1', 'f2', 'v2');
    await client.hset('k', 'f1', 'v1', 'f2', 'v2', 'n', '7');
    await client.hset('e', 'only', 'x');
    await client.expire('h', 100);
    await settle();
    server.advance(10_000);
    const used = () => dataBytes(server.running.state.memory.account);
    const dirty = await stat('rdb_changes_since_last_save');
    const hits = await stat('keyspace_hits');
    const { events, seen } = await keyEvents();
    const watcher = new Redis({ port: server.port, host: server.host });
    try {
      await watcher.watch('h');
      // A field changed to a longer value and a new one: the reply counts the new one.
      const before = used();
      expect(await client.hset('h', 'f1', 'longer value', 'f3', 'v3')).toBe(1);
      expect(packed('h')).toBe(true);
      expect(await watcher.multi().ping().exec()).toBeNull();
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 1);
      // A write's lookup counts no keyspace hit (Redis LOOKUP_WRITE), but refreshes the access time.
      expect(await stat('keyspace_hits')).toBe(hits);
      expect(await client.object('IDLETIME', 'h')).toBe(0);
      expect(await client.ttl('h')).toBe(90);
      // Accounted as the record it now is: 16 bytes more, what the blob's plaintext grew by (a
      // value 10 bytes longer, a new pair of 2 + 2 bytes and their 2 length bytes).
      expect(used() - before).toBe(16);
      expect(await client.hgetall('h')).toEqual({ f1: 'longer value', f2: 'v2', f3: 'v3' });
      expect(await client.object('ENCODING', 'h')).toBe('listpack');
      // Same length: sealed over the old blob, accounting unchanged.
      const same = used();
      expect(await client.hincrby('k', 'n', 1)).toBe(8);
      expect(packed('k')).toBe(true);
      expect(used()).toBe(same);
      expect(await client.hmget('k', 'n', 'f1')).toEqual(['8', 'v1']);
      // No change (HSETNX of a present field): nothing announced or counted.
      server.advance(2000);
      expect(await client.hsetnx('k', 'f2', 'other')).toBe(0);
      expect(packed('k')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 2);
      // A value past hash-max-listpack-value makes it a hashtable, stored as the usual path stores it.
      expect(await client.hset('k', 'big', 'x'.repeat(100))).toBe(1);
      expect(packed('k')).toBe(false);
      expect(await client.object('ENCODING', 'k')).toBe('hashtable');
      expect(await client.hgetall('k')).toEqual({ f1: 'v1', f2: 'v2', n: '8', big: 'x'.repeat(100) });
      // Emptied: deleted, 'hdel' then 'del'.
      expect(await client.hdel('e', 'only', 'none')).toBe(1);
      expect(await client.exists('e')).toBe(0);
      // Packed again once it rests (the reads above may have unpacked it), a write in its record;
      // then one touched within 10 ms (by the HGET, at the same clock reading) takes three more
      // writes in a row there; written a fourth time within them, it is in use and unpacked, as
      // before, so that a run of writes to it opens and seals it once per turn.
      server.advance(5000);
      await settle(250);
      expect(await client.hset('h', 'f2', 'x')).toBe(0);
      expect(packed('h')).toBe(true);
      expect(await client.hget('h', 'f2')).toBe('x');
      for (const v of ['y', 'z', 'y']) {
        expect(await client.hset('h', 'f2', v)).toBe(0);
        expect(packed('h')).toBe(true);
      }
      expect(await client.hset('h', 'f2', 'w')).toBe(0);
      expect(packed('h')).toBe(false);
      expect(await client.hgetall('h')).toEqual({ f1: 'longer value', f2: 'w', f3: 'v3' });
      await client.ping();
      await settle(10);
      expect(seen).toEqual([
        '__keyspace@0__:h hset', '__keyevent@0__:hset h', '__keyspace@0__:k hincrby', '__keyevent@0__:hincrby k',
        '__keyspace@0__:k hset', '__keyevent@0__:hset k', '__keyspace@0__:e hdel', '__keyevent@0__:hdel e',
        '__keyspace@0__:e del', '__keyevent@0__:del e', '__keyspace@0__:h hset', '__keyevent@0__:hset h',
        '__keyspace@0__:h hset', '__keyevent@0__:hset h', '__keyspace@0__:h hset', '__keyevent@0__:hset h',
        '__keyspace@0__:h hset', '__keyevent@0__:hset h', '__keyspace@0__:h hset', '__keyevent@0__:hset h',
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
      watcher.disconnect();
    }
  });

  it('answers a write to a hash at rest whose blob fails to open with the seal error, the hash left as it was', async () => {
    await client.hset('h', 'f', 'v');
    await settle();
    server.advance(10_000);
    const flipped = db().renewPacked(storedKey(server, 'h'), (sealed, purpose) => {
      if (purpose === Purpose.KeyName) return null;
      const copy = Buffer.from(sealed);
      copy[copy.length - 1]! ^= 1;
      return copy;
    });
    expect(flipped).toBe(true);
    const failed = 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with';
    await expect(client.hset('h', 'f', 'w')).rejects.toThrow(failed);
    await expect(client.hincrby('h', 'n', 1)).rejects.toThrow(failed);
    expect(packed('h')).toBe(true);
    await expect(client.hget('h', 'f')).rejects.toThrow(failed);
    expect(await client.hlen('h')).toBe(1);
  });

  it('takes ZADD, ZINCRBY and ZREM into a small packed sorted set at rest in its blob, as any write: announced, counted, seen by WATCH, expiry kept', async () => {
    await client.zadd('z', '1', 'a', '2', 'b', '3', 'c');
    await client.expire('z', 100);
    await client.zadd('big', ...Array.from({ length: 20 }, (_, k) => [String(k), `member-of-a-larger-set:${k}`]).flat());
    await settle();
    server.advance(10_000);
    const dirty = await stat('rdb_changes_since_last_save');
    const hits = await stat('keyspace_hits');
    const { events, seen } = await keyEvents();
    const watcher = new Redis({ port: server.port, host: server.host });
    try {
      await watcher.watch('z');
      // Writes that change nothing: no event, no dirty count, WATCH untouched; the access time moves.
      expect(await client.zadd('z', '2', 'b')).toBe(0);
      server.advance(2000);
      expect(await client.zadd('z', 'NX', '9', 'a')).toBe(0);
      server.advance(2000);
      expect(await client.zrem('z', 'nope')).toBe(0);
      server.advance(2000);
      expect(await client.zadd('z', 'INCR', 'XX', '1', 'nope')).toBeNull();
      expect(packed('z')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty);
      // A write's lookup counts no keyspace hit (Redis LOOKUP_WRITE).
      expect(await stat('keyspace_hits')).toBe(hits);
      expect(await client.object('IDLETIME', 'z')).toBe(0);
      expect(await watcher.multi().ping().exec()).toEqual([[null, 'PONG']]);
      // Each write below meets the set at rest (untouched for a second) and leaves it packed.
      await watcher.watch('z');
      server.advance(2000);
      expect(await client.zadd('z', '5', 'a')).toBe(0);
      expect(await watcher.multi().ping().exec()).toBeNull();
      expect(packed('z')).toBe(true);
      server.advance(2000);
      expect(await client.zadd('z', 'CH', '0', 'b', '4', 'd')).toBe(2);
      server.advance(2000);
      expect(await client.zincrby('z', '0.5', 'c')).toBe('3.5');
      server.advance(2000);
      expect(await client.zadd('z', 'INCR', '-1', 'e')).toBe('-1');
      server.advance(2000);
      expect(await client.zrem('z', 'd', 'nope')).toBe(1);
      expect(packed('z')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 5);
      expect(await client.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['e', '-1', 'b', '0', 'c', '3.5', 'a', '5']);
      expect(await client.ttl('z')).toBe(74);
      expect(await client.object('IDLETIME', 'z')).toBe(0);
      // Memory counted as for the same set packed new.
      await client.zadd('y', '-1', 'e', '0', 'b', '3.5', 'c', '5', 'a');
      expect(await client.memory('USAGE', 'z')).toBe(await client.memory('USAGE', 'y'));
      // A set touched within 100 ms takes three writes in a row in its blob; the next write
      // within them finds it in use and unpacks it, as before.
      for (const score of ['6', '7', '8']) {
        expect(await client.zadd('z', score, 'a')).toBe(0);
        expect(packed('z')).toBe(true);
      }
      expect(await client.zadd('z', '9', 'a')).toBe(0);
      expect(packed('z')).toBe(false);
      // A set whose blob is past the in-blob bound is unpacked, as before.
      server.advance(2000);
      expect(packed('big')).toBe(true);
      expect(await client.zadd('big', '1', 'member-of-a-larger-set:2')).toBe(0);
      expect(packed('big')).toBe(false);
      // The last member taken takes the key with it.
      await client.zadd('w', '1', 'only');
      await settle();
      server.advance(2000);
      expect(await client.zrem('w', 'only', 'other')).toBe(1);
      expect(await client.exists('w')).toBe(0);
      await client.ping();
      await settle(10);
      const both = (event: string, key: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...both('zadd', 'z'), ...both('zadd', 'z'), ...both('zincr', 'z'), ...both('zincr', 'z'), ...both('zrem', 'z'),
        ...both('zadd', 'y'), ...both('zadd', 'z'), ...both('zadd', 'z'), ...both('zadd', 'z'), ...both('zadd', 'z'), ...both('zadd', 'big'),
        ...both('zadd', 'w'), ...both('zrem', 'w'), ...both('del', 'w'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
      watcher.disconnect();
    }
  });

  it('pops from a small packed sorted set at rest in its blob: it stays packed, the pop announced, the last member deletes the key', async () => {
    await client.zadd('z', '1', 'a', '2', 'b', '3', 'c');
    await settle();
    server.advance(2000);
    const { events, seen } = await keyEvents();
    try {
      expect(await client.zpopmax('z')).toEqual(['c', '3']);
      expect(packed('z')).toBe(true);
      server.advance(2000);
      expect(await client.zpopmin('z', 0)).toEqual([]);
      expect(packed('z')).toBe(true);
      expect(await client.zpopmin('z', 5)).toEqual(['a', '1', 'b', '2']);
      expect(await client.exists('z')).toBe(0);
      await client.ping();
      await settle(10);
      expect(seen).toEqual([
        '__keyspace@0__:z zpopmax', '__keyevent@0__:zpopmax z', '__keyspace@0__:z zpopmin', '__keyevent@0__:zpopmin z',
        '__keyspace@0__:z del', '__keyevent@0__:del z',
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
    }
  });

  it('removes ranges by rank, score and lex from a small packed sorted set at rest in its blob: it stays packed, TTL kept, the last range deletes the key', async () => {
    await client.zadd('z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f');
    await client.expire('z', 100);
    await client.zadd('lex', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    await settle();
    server.advance(2000);
    const dirty = await stat('rdb_changes_since_last_save');
    const { events, seen } = await keyEvents();
    try {
      // Ranges that select nothing: no event, no dirty count; the set stays packed and is touched.
      expect(await client.zremrangebyrank('z', 10, 20)).toBe(0);
      server.advance(2000);
      expect(await client.zremrangebyscore('z', '(6', '+inf')).toBe(0);
      expect(await client.zremrangebylex('lex', '(d', '+')).toBe(0);
      expect(packed('z')).toBe(true);
      expect(packed('lex')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty);
      expect(await client.object('IDLETIME', 'z')).toBe(0);
      server.advance(2000);
      expect(await client.zremrangebyrank('z', -1, -1)).toBe(1);
      expect(packed('z')).toBe(true);
      server.advance(2000);
      expect(await client.zremrangebyscore('z', '(1', '3')).toBe(2);
      expect(packed('z')).toBe(true);
      server.advance(2000);
      expect(await client.zremrangebylex('lex', '(a', '[c')).toBe(2);
      expect(packed('lex')).toBe(true);
      expect(await stat('rdb_changes_since_last_save')).toBe(dirty + 3);
      expect(await client.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['a', '1', 'd', '4', 'e', '5']);
      expect(await client.zrange('lex', '0', '-1')).toEqual(['a', 'd']);
      expect(await client.ttl('z')).toBe(90);
      server.advance(2000);
      expect(await client.zremrangebyrank('z', 0, -1)).toBe(3);
      expect(await client.exists('z')).toBe(0);
      await client.ping();
      await settle(10);
      const both = (event: string, key: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      expect(seen).toEqual([
        ...both('zremrangebyrank', 'z'), ...both('zremrangebyscore', 'z'), ...both('zremrangebylex', 'lex'),
        ...both('zremrangebyrank', 'z'), ...both('del', 'z'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
    }
  });

  it('answers the seal error, whole, when a packed blob read in place fails to open', async () => {
    await client.rpush('l', 'a', 'b');
    await client.sadd('s', 'x', 'y');
    await client.zadd('z', '1', 'a', '2', 'b');
    await settle();
    const failed = 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with';
    for (const key of ['l', 's', 'z']) {
      const flipped = db().renewPacked(storedKey(server, key), (sealed, purpose) => {
        if (purpose === Purpose.KeyName) return null;
        const copy = Buffer.from(sealed);
        copy[copy.length - 1]! ^= 1;
        return copy;
      });
      expect(flipped).toBe(true);
    }
    await expect(client.lrange('l', 0, -1)).rejects.toThrow(failed);
    await expect(client.smembers('s')).rejects.toThrow(failed);
    await expect(client.sismember('s', 'x')).rejects.toThrow(failed);
    await expect(client.zrange('z', '0', '-1', 'WITHSCORES')).rejects.toThrow(failed);
    await expect(client.zrevrange('z', '0', '-1')).rejects.toThrow(failed);
    await expect(client.zscore('z', 'a')).rejects.toThrow(failed);
    await expect(client.zrank('z', 'a')).rejects.toThrow(failed);
    await expect(client.zrangebyscore('z', '-inf', '+inf', 'WITHSCORES')).rejects.toThrow(failed);
    await expect(client.zcount('z', '0', '1')).rejects.toThrow(failed);
    await expect(client.zmscore('z', 'a', 'b')).rejects.toThrow(failed);
    await expect(client.smismember('s', 'x', 'y')).rejects.toThrow(failed);
    await expect(client.srandmember('s', -3)).rejects.toThrow(failed);
    await expect(client.zrandmember('z', 2)).rejects.toThrow(failed);
    await expect(client.zscan('z', '0')).rejects.toThrow(failed);
    await expect(client.lindex('l', 1)).rejects.toThrow(failed);
    await expect(client.sscan('s', '0')).rejects.toThrow(failed);
    await expect(client.sunion('s', 'nope')).rejects.toThrow(failed);
    await expect(client.sinter('s', 's')).rejects.toThrow(failed);
    await expect(client.sdiff('s', 'nope')).rejects.toThrow(failed);
    await expect(client.call('SINTERCARD', '1', 's')).rejects.toThrow(failed);
    await client.set('dst', 'kept');
    await expect(client.sunionstore('dst', 's')).rejects.toThrow(failed);
    await expect(client.call('ZRANGESTORE', 'dst', 'z', '0', '-1')).rejects.toThrow(failed);
    await expect(client.call('ZUNIONSTORE', 'dst', '2', 'z', 's')).rejects.toThrow(failed);
    await expect(client.call('ZINTER', '1', 'z')).rejects.toThrow(failed);
    await expect(client.sort('l', 'BY', 'nosort')).rejects.toThrow(failed);
    await expect(client.sort('s', 'ALPHA')).rejects.toThrow(failed);
    expect(await client.get('dst')).toBe('kept');
    // OBJECT ENCODING reads the flag a packed key keeps, never its blob.
    expect(await client.object('ENCODING', 's')).toBe('hashtable');
    expect(await client.object('ENCODING', 'z')).toBe('listpack');
    // The counts open nothing; the connection goes on.
    expect(await client.llen('l')).toBe(2);
    expect(await client.ping()).toBe('PONG');
    // TOUCH, DEL and UNLINK open nothing either: a packed key is not unpacked to be touched or dropped.
    expect(await client.touch('l', 's', 'z')).toBe(3);
    expect(await client.del('l', 's')).toBe(2);
    await client.config('SET', 'lazyfree-lazy-user-del', 'yes');
    try {
      expect(await client.del('z')).toBe(1);
    } finally {
      await client.config('SET', 'lazyfree-lazy-user-del', 'no');
    }
  });

  it('answers the seal error, whole, when a packed list written in its blob fails to open, and changes nothing', async () => {
    await client.rpush('l', 'a', 'b', 'c');
    await settle();
    server.advance(10_000);
    const flipped = db().renewPacked(storedKey(server, 'l'), (sealed, purpose) => {
      if (purpose === Purpose.KeyName) return null;
      const copy = Buffer.from(sealed);
      copy[copy.length - 1]! ^= 1;
      return copy;
    });
    expect(flipped).toBe(true);
    const dirty = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await client.info('persistence'))![1]);
    const before = await dirty();
    const failed = 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with';
    await expect(client.lpush('l', 'x')).rejects.toThrow(failed);
    await expect(client.rpushx('l', 'x')).rejects.toThrow(failed);
    await expect(client.lset('l', '1', 'x')).rejects.toThrow(failed);
    // The array header written before the elements is dropped with them.
    await expect(client.lpop('l', 2)).rejects.toThrow(failed);
    await expect(client.rpop('l')).rejects.toThrow(failed);
    expect(packed('l')).toBe(true);
    expect(await client.llen('l')).toBe(3);
    expect(await dirty()).toBe(before);
    expect(await client.ping()).toBe('PONG');
  });

  it('packs scores of every kind and small hashes as they are', async () => {
    const scores = ['0', '-0', '-1', '7', '-140737488355327', '140737488355328', '1e20', '0.1', '-2.5', 'inf', '-inf', '1234567890123'];
    await client.zadd('scores', ...scores.flatMap((s, k) => [s, `m${k}`]));
    const want = await client.zrange('scores', '0', '-1', 'WITHSCORES');
    await client.hset('h', 'f1', 'v1', 'f2', '', '', 'empty name');
    // The ZRANGE unpacked the set: it is packed again once it rests.
    server.advance(5000);
    await settle(250);
    expect(packed('scores')).toBe(true);
    expect(packed('h')).toBe(true);
    expect(await client.zrange('scores', '0', '-1', 'WITHSCORES')).toEqual(want);
    expect(await client.zscore('scores', 'm1')).toBe('0'); // as redis-server 7.0 answers -0
    expect(await client.hgetall('h')).toEqual({ f1: 'v1', f2: '', '': 'empty name' });
    expect(await client.object('ENCODING', 'h')).toBe('listpack');
  });

  it('packs integer members as numbers and gives every member back byte for byte', async () => {
    // Canonical integers of up to 15 digits are packed as numbers; anything else (signs, leading
    // zeros, "-0", longer integers, spaces) must keep its bytes.
    const members = ['0', '-0', '007', '+5', '-1', '5', '42', '999999999999999', '-999999999999999', '1000000000000000',
      '9223372036854775807', '-9223372036854775808', '1 ', ' 1', '-', '', 'abc', '1e3', '0x10', '12345678901234'];
    await client.sadd('mixed', ...members);
    const ints = ['-999999999999999', '-1', '0', '7', '100', '999999999999999', '123456789012345'];
    await client.sadd('ints', ...ints);
    await settle();
    expect(packed('mixed')).toBe(true);
    expect(packed('ints')).toBe(true);
    expect((await client.smembers('mixed')).sort()).toEqual([...members].sort());
    expect(await client.sismember('mixed', '-0')).toBe(1);
    expect(await client.sismember('mixed', '0')).toBe(1);
    expect(await client.sismember('mixed', '7')).toBe(0);
    expect((await client.smembers('ints')).sort()).toEqual([...ints].sort());
    expect(await client.object('ENCODING', 'ints')).toBe('intset');
  });

  it('packs an intset of integers as ascending deltas, through SADD and after a rest', async () => {
    /** The packed record of key (its blob length and form), never unpacking it. */
    const record = (name: string) => {
      let found: { blobLength: number; intDeltas: boolean } | undefined;
      db().forEachStored((key, entry) => {
        if (key === storedKey(server, name) && isPackedForm(entry)) found = { blobLength: entry.blob.length, intDeltas: entry.intDeltas };
      });
      return found!;
    };
    await client.sadd('d', '1000003', '1000001', '1000002', '-5', '999999999999999');
    // Past 15 digits: the tagged form, which keeps any integer's bytes.
    await client.sadd('long', '3', '12345678901234567', '-1');
    // All integers, but a hashtable (it held a string once): the tagged form too, order as stored.
    await client.sadd('table', '3', '1', 'x');
    await client.srem('table', 'x');
    server.advance(5000);
    await settle(250);
    for (const key of ['d', 'long', 'table']) expect(packed(key), key).toBe(true);
    // -5 as zigzag 9 (1 byte), then 1000005 (3), 0, 0 and 999999998999995 (8): 14 bytes, in a
    // compact seal (37 bytes of overhead).
    expect(record('d')).toMatchObject({ intDeltas: true, blobLength: COMPACT_OVERHEAD + 14 });
    expect(record('long').intDeltas).toBe(false);
    expect(record('table').intDeltas).toBe(false);
    expect(await client.smembers('d')).toEqual(['-5', '1000001', '1000002', '1000003', '999999999999999']);
    expect(await client.smembers('long')).toEqual(['-1', '3', '12345678901234567']);
    expect((await client.smembers('table')).sort()).toEqual(['1', '3']);
    expect(await client.object('ENCODING', 'table')).toBe('hashtable');
    // Used, then packed again from the set (not from SADD's arguments): the same form.
    expect(await client.sadd('d', '-1000000000')).toBe(1);
    server.advance(5000);
    await settle(250);
    expect(packed('d')).toBe(true);
    expect(record('d').intDeltas).toBe(true);
    expect(await client.smismember('d', '-1000000000', '1000002', '1000004', '-5')).toEqual([1, 1, 0, 1]);
    expect(await client.object('ENCODING', 'd')).toBe('intset');
    expect(await client.sscan('d', '0')).toEqual(['0', ['-1000000000', '-5', '1000001', '1000002', '1000003', '999999999999999']]);
    expect((await client.srandmember('d', 10)).sort()).toEqual(['-1000000000', '-5', '1000001', '1000002', '1000003', '999999999999999'].sort());
    // Removals in the blob (Packer.editSet) write what is left as packNew would: the deltas kept,
    // an intset left with such integers only turned to deltas, a tagged set's forms moved down.
    await client.sadd('longs', '99999999999999999', '-12345678901234567', '5', '-3');
    await client.sadd('mix', 'a', '10', 'b', '-7', '20');
    server.advance(5000);
    await settle(250);
    expect(await client.srem('d', '1000002', '-1000000000')).toBe(2);
    expect(await client.srem('long', '12345678901234567')).toBe(1);
    expect(await client.srem('mix', 'b', 'a')).toBe(2);
    // All of an intset, as SUNION replies it: ordered by value, longer integers than the deltas hold among them.
    expect(await client.spop('longs', 10)).toEqual(['-12345678901234567', '-3', '5', '99999999999999999']);
    for (const key of ['d', 'long', 'mix']) expect(packed(key), key).toBe(true);
    expect(await client.exists('longs')).toBe(0);
    expect(record('d')).toMatchObject({ intDeltas: true });
    expect(record('long')).toMatchObject({ intDeltas: true });
    expect(record('mix')).toMatchObject({ intDeltas: false });
    expect(await client.smembers('d')).toEqual(['-5', '1000001', '1000003', '999999999999999']);
    expect(await client.smembers('long')).toEqual(['-1', '3']);
    expect(await client.smembers('mix')).toEqual(['10', '-7', '20']);
    expect(await client.object('ENCODING', 'long')).toBe('intset');
    expect(await client.object('ENCODING', 'mix')).toBe('hashtable');
  });

  it('packs a used collection again once it rests, with its changes', async () => {
    await client.rpush('q', '1', '2');
    await settle();
    expect(packed('q')).toBe(true);
    // Written four times within 100 ms of its last use: in use, unpacked (the first three writes are made in the blob).
    await client.rpush('q', '3');
    expect(packed('q')).toBe(true);
    await client.lset('q', 2, '3');
    await client.lset('q', 2, '3');
    expect(packed('q')).toBe(true);
    await client.rpush('q', '4');
    expect(packed('q')).toBe(false);
    await settle(150);
    expect(packed('q')).toBe(false);
    server.advance(5000);
    await settle(250);
    expect(packed('q')).toBe(true);
    expect(await client.lpop('q')).toBe('1');
    expect(await client.lrange('q', 0, -1)).toEqual(['2', '3', '4']);
  });

  it('keeps OBJECT ENCODING as Redis 7.0 answers it', async () => {
    await client.sadd('ints', '1', '2');
    await client.sadd('strs', 'a', 'b');
    await client.zadd('z', '1', 'a');
    await client.rpush('l', 'a');
    await client.zadd('skip', ...Array.from({ length: 130 }, (_, k) => [String(k), `m${k}`]).flat());
    await client.zremrangebyrank('skip', 0, 126); // 3 left: still a skiplist in Redis
    server.advance(5000);
    await settle(250);
    expect(packed('skip')).toBe(true);
    expect(await client.object('ENCODING', 'ints')).toBe('intset');
    expect(await client.object('ENCODING', 'strs')).toBe('hashtable');
    expect(await client.object('ENCODING', 'z')).toBe('listpack');
    expect(await client.object('ENCODING', 'l')).toBe('quicklist');
    expect(await client.object('ENCODING', 'skip')).toBe('skiplist');
    await client.hset('h', 'f', 'v');
    await settle();
    expect(await client.object('ENCODING', 'h')).toBe('listpack');
    // Read from the flag each keeps: none was unpacked.
    for (const key of ['ints', 'strs', 'z', 'l', 'skip', 'h']) expect(packed(key), key).toBe(true);
  });

  it('keeps the TTL, and a packed key expires', async () => {
    await client.sadd('s', 'a');
    await client.pexpire('s', 10_000);
    await client.zadd('z', '1', 'a');
    await client.pexpire('z', 1000);
    server.advance(2000);
    await settle(250);
    expect(packed('s')).toBe(true);
    const ttl = await client.pttl('s');
    expect(ttl).toBeGreaterThan(7000);
    expect(ttl).toBeLessThanOrEqual(8000);
    expect(await client.exists('z')).toBe(0);
  });

  it('renames, copies, dumps and restores packed keys', async () => {
    await client.rpush('l', 'a', 'b');
    await client.zadd('z', '2', 'b', '1', 'a');
    await settle();
    expect(packed('l')).toBe(true);
    await client.rename('l', 'l2');
    await client.copy('z', 'z2');
    await settle();
    expect(packed('l2')).toBe(true);
    expect(packed('z2')).toBe(true);
    expect(await client.lrange('l2', 0, -1)).toEqual(['a', 'b']);
    await settle();
    const dump = await client.dumpBuffer('z2');
    await client.restore('z3', 0, dump);
    expect(await client.zrange('z3', '0', '-1', 'WITHSCORES')).toEqual(['a', '1', 'b', '2']);
    await client.move('z', '1');
    await client.select(1);
    expect(await client.zscore('z', 'b')).toBe('2');
    await client.select(0);
  });

  it('renames, copies and moves a small packed list, set or sorted set as its one blob sealed for the new home: left packed at once, TTL and encoding kept, announced as before', async () => {
    await client.rpush('l', 'a', 'b', '');
    await client.sadd('s', 'x', '12', 'y');
    await client.sadd('i', '7', '-3', '12345678901234567');
    await client.zadd('z', '2', 'b', '1', 'a', '-0', 'zero');
    await client.hset('h', 'f', 'v');
    await client.pexpire('s', 50_000);
    await settle();
    server.advance(2000);
    const { events, seen } = await keyEvents();
    try {
      expect(await client.rename('l', 'l2')).toBe('OK');
      expect(packed('l2')).toBe(true);
      expect(await client.lrange('l2', 0, -1)).toEqual(['a', 'b', '']);
      expect(await client.renamenx('s', 's2')).toBe(1);
      expect(packed('s2')).toBe(true);
      expect(await client.pttl('s2')).toBe(48_000);
      expect(await client.object('ENCODING', 's2')).toBe('hashtable');
      expect((await client.smembers('s2')).sort()).toEqual(['12', 'x', 'y']);
      expect(await client.copy('i', 'i2')).toBe(1);
      expect(packed('i')).toBe(true);
      expect(packed('i2')).toBe(true);
      expect(await client.smembers('i2')).toEqual(['-3', '7', '12345678901234567']);
      expect(await client.object('ENCODING', 'i2')).toBe('intset');
      expect(await client.copy('z', 'z2')).toBe(1);
      expect(await client.copy('z', 'z2')).toBe(0);
      await client.zadd('z', '5', 'c');
      expect(await client.copy('z', 'z2', 'REPLACE')).toBe(1);
      expect(await client.zrange('z2', '0', '-1', 'WITHSCORES')).toEqual(['zero', '0', 'a', '1', 'b', '2', 'c', '5']);
      // A copy into another database, and MOVE there.
      expect(await client.copy('l2', 'l3', 'DB', '1')).toBe(1);
      expect(await client.move('z2', '1')).toBe(1);
      await client.select(1);
      expect(await client.lrange('l3', 0, -1)).toEqual(['a', 'b', '']);
      expect(await client.zscore('z2', 'c')).toBe('5');
      await client.select(0);
      // A packed hash moves as a hash.
      expect(await client.rename('h', 'h2')).toBe('OK');
      expect(await client.hget('h2', 'f')).toBe('v');
      await client.ping();
      await settle(10);
      const of = (key: string, event: string) => [`__keyspace@0__:${key} ${event}`, `__keyevent@0__:${event} ${key}`];
      const in1 = (key: string, event: string) => [`__keyspace@1__:${key} ${event}`, `__keyevent@1__:${event} ${key}`];
      expect(seen).toEqual([
        ...of('l', 'rename_from'), ...of('l2', 'rename_to'), ...of('s', 'rename_from'), ...of('s2', 'rename_to'), ...of('i2', 'copy_to'),
        ...of('z2', 'copy_to'), ...of('z', 'zadd'), ...of('z2', 'copy_to'), ...in1('l3', 'copy_to'), ...of('z2', 'move_from'),
        ...in1('z2', 'move_to'), ...of('h', 'rename_from'), ...of('h2', 'rename_to'),
      ]);
    } finally {
      await client.config('SET', 'notify-keyspace-events', '');
      events.disconnect();
    }
  });

  it('re-seals packed blobs in place on SEAL ROTATE, leaving them packed', async () => {
    await client.rpush('l', 'a', 'b');
    await client.sadd('s', '1', '2');
    await client.zadd('z', '1', 'a');
    await client.hset('h', 'f', 'v');
    await settle();
    const keyIds = () => {
      const ids = new Map<string, number>();
      db().forEachStored((key, entry) => {
        // A small hash's blob is its pairs blob, the others' compact seals (sealer.ts).
        const blob = isPackedForm(entry) ? Buffer.from(entry.blob, 'latin1') : null;
        if (blob !== null) ids.set(key, entry.kind === Kind.Hash ? Sealer.keyId(blob) : Sealer.compactKeyId(blob));
      });
      return ids;
    };
    expect([...keyIds().keys()].sort()).toEqual(['h', 'l', 's', 'z'].map((k) => storedKey(server, k)).sort());
    const newId = parseInt((await client.call('SEAL', 'ROTATE')) as string, 16);
    for (let i = 0; i < 500 && /rotation_in_progress:1/.test(await client.info('sealkv')); i++) await settle(20);
    expect(/rotation_failures:0/.test(await client.info('sealkv'))).toBe(true);
    // Renewed in place (with --seal-keys the sealed name in the record too), left packed.
    expect([...keyIds().values()]).toEqual([newId, newId, newId, newId]);
    if (server.running.state.names.sealed) db().forEachStored((_key, entry) => expect(Sealer.keyId(entry.sealedName!)).toBe(newId));
    for (const key of ['h', 'l', 's', 'z']) expect(packed(key)).toBe(true);
    expect(await client.lrange('l', 0, -1)).toEqual(['a', 'b']);
    expect(await client.smembers('s')).toEqual(['1', '2']);
    expect(await client.zscore('z', 'a')).toBe('1');
    expect(await client.hget('h', 'f')).toBe('v');
  });

  it('answers key-level commands without unpacking (EXISTS, TYPE, TTL, KEYS, SCAN TYPE, OBJECT IDLETIME, OBJECT ENCODING)', async () => {
    await client.zadd('z', '1', 'a');
    await client.sadd('s', 'a');
    await client.pexpire('s', 50_000);
    await settle();
    expect(await client.exists('z', 's', 'nope')).toBe(2);
    expect(await client.type('z')).toBe('zset');
    expect(await client.type('s')).toBe('set');
    expect(await client.ttl('z')).toBe(-1);
    expect(await client.ttl('s')).toBe(50);
    expect((await client.keys('*')).sort()).toEqual(['s', 'z']);
    expect(await client.scan('0', 'TYPE', 'zset')).toEqual(['0', ['z']]);
    expect(await client.object('IDLETIME', 'z')).toBe(0);
    expect(packed('z')).toBe(true);
    expect(packed('s')).toBe(true);
    expect(await client.object('ENCODING', 'z')).toBe('listpack');
    expect(packed('z')).toBe(true);
  });

  it('leaves a collection past the packing limits as it is', async () => {
    await client.rpush('long', ...Array.from({ length: 100 }, (_, k) => `e${k}`));
    await client.sadd('wide', 'x'.repeat(3000));
    await settle();
    expect(packed('long')).toBe(false);
    expect(packed('wide')).toBe(false);
    expect(await client.llen('long')).toBe(100);
  });

  it('SADD into the set the last SADD found adds to the live set after it was packed again, or expired (with and without --seal-keys)', async () => {
    // SADD keeps the set it last added to while the keyspace's edits are unchanged; packing a
    // used set again replaces its entry object (with a record, with or without --seal-keys) and must count as one.
    for (const sealKeys of ['no', 'yes']) {
      const own = await startInProcess({ 'seal-keys': sealKeys });
      const c = new Redis({ port: own.port, host: own.host, lazyConnect: true });
      await c.connect();
      const isPacked = () => own.running.state.databases[0]!.isPacked(storedKey(own, 's'));
      try {
        // Made packed, written three times in its blob, then unpacked by the fourth write in a row.
        expect(await c.sadd('s', 'a', 'x')).toBe(2);
        expect(await c.srem('s', 'x')).toBe(1);
        expect(await c.sadd('s', 'x')).toBe(1);
        expect(await c.srem('s', 'x')).toBe(1);
        expect(isPacked()).toBe(true);
        expect(await c.sadd('s', 'b')).toBe(1);
        expect(isPacked()).toBe(false);
        own.advance(5000);
        await settle(250);
        expect(isPacked()).toBe(true);
        expect(await c.sadd('s', 'c')).toBe(1);
        expect(await c.sadd('s', 'c')).toBe(0);
        expect((await c.smembers('s')).sort()).toEqual(['a', 'b', 'c']);
        expect(await c.scard('s')).toBe(3);
        // A TTL: the set it holds expires, and the next SADD makes a new one.
        expect(await c.pexpire('s', 1000)).toBe(1);
        expect(await c.sadd('s', 'd')).toBe(1);
        own.advance(2000);
        expect(await c.sadd('s', 'e')).toBe(1);
        expect(await c.smembers('s')).toEqual(['e']);
        expect(await c.ttl('s')).toBe(-1);
      } finally {
        c.disconnect();
        await own.stop();
      }
    }
  });

  it('packs a set made again under the name of a large one SADD just added to (deleted, or flushed)', async () => {
    // SADD remembers the key it last found holding a set (to skip a second lookup); the key gone,
    // a new small set is right, and packed, as ever.
    const big = Array.from({ length: 300 }, (_, k) => `m${k}`);
    for (const end of [() => client.del('s'), () => client.flushall(), () => client.unlink('s')]) {
      await client.sadd('s', ...big);
      await client.sadd('s', 'one more');
      await end();
      expect(await client.sadd('s', 'x', 'y')).toBe(2);
      await settle();
      expect(packed('s')).toBe(true);
      expect((await client.smembers('s')).sort()).toEqual(['x', 'y']);
      expect(await client.scard('s')).toBe(2);
      await client.del('s');
    }
  });

  it('gives memory back: the accounted bytes per small sorted set fall once packed', async () => {
    // The maxmemory account (what eviction and INFO's dataset figures go by), not the heap, which holds garbage.
    const used = async () => dataBytes(server.running.state.memory.account);
    const before = await used();
    const pipeline = client.pipeline();
    for (let k = 0; k < 2000; k++) pipeline.zadd(`z:${k}`, '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e');
    await pipeline.exec();
    await settle(100);
    expect(packed('z:1999')).toBe(true);
    const perKey = ((await used()) - before) / 2000;
    // 5 members unpacked cost ~1 KiB per key (five seals, a tree leaf, a digest index); packed ~200 bytes.
    expect(perKey).toBeLessThan(400);
  });
});
