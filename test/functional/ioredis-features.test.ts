// The ioredis features apps lean on beyond plain commands, against sealkv, in RESP2 and in RESP3
// (ioredis `protocol: 3`): the scan streams of keys, hash fields, set members and sorted-set
// members (every item exactly once, TYPE and MATCH filters), automatic pipelining, keyPrefix
// (commands, MGET, EVAL's KEYS), a consumer group read blocked in XREADGROUP and woken by
// XADD, pub/sub events, and monitor() (whose lines sealkv redacts: see README, MONITOR).

import type { Socket } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';
import { scanBatches } from '../helpers/clients.js';

let server: SpawnedServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe.each([2, 3] as const)('ioredis features on sealkv (RESP%i)', (protocol) => {
  const open = (options: RedisOptions = {}) => {
    const c = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1, protocol, ...options });
    clients.push(c);
    return c;
  };
  const p = `r${protocol}:`;

  it('scanStream, hscanStream, sscanStream and zscanStream give every item once', async () => {
    const c = open();
    const pipe = c.pipeline();
    for (let i = 0; i < 200; i++) {
      pipe.set(`${p}s:${i}`, i);
      pipe.hset(`${p}h`, `f${i}`, `v${i}`);
      pipe.sadd(`${p}set`, `m${i}`);
      pipe.zadd(`${p}z`, i, `m${i}`);
    }
    await pipe.exec();
    const keys = await scanBatches(c.scanStream({ match: `${p}s:*`, count: 40 }));
    expect(keys.items.sort()).toEqual(range(200, (i) => `${p}s:${i}`).sort());
    expect(keys.batches).toBeGreaterThan(1);
    expect((await scanBatches(c.scanStream({ match: `${p}*`, type: 'zset' }))).items).toEqual([`${p}z`]);

    // Hash and sorted-set scans give [field, value, ...] and [member, score, ...] pairs.
    const fields = (await scanBatches(c.hscanStream(`${p}h`, { count: 16 }))).items;
    const asMap = new Map(range(fields.length / 2, (i) => `${fields[2 * i]}=${fields[2 * i + 1]}`).map((s) => [s, true]));
    expect([...asMap.keys()].sort()).toEqual(range(200, (i) => `f${i}=v${i}`).sort());
    const members = (await scanBatches(c.sscanStream(`${p}set`, { match: 'm1*', count: 16 }))).items;
    expect(members.sort()).toEqual(range(200, (i) => `m${i}`).filter((m) => m.startsWith('m1')).sort());
    const scored = (await scanBatches(c.zscanStream(`${p}z`, { count: 16 }))).items;
    const pairs = range(scored.length / 2, (i) => `${scored[2 * i]}=${scored[2 * i + 1]}`);
    expect(pairs.sort()).toEqual(range(200, (i) => `m${i}=${i}`).sort());
  });

  it('enableAutoPipelining sends concurrent commands together and answers each', async () => {
    const c = open({ enableAutoPipelining: true });
    await c.set(`${p}ap`, 'x');
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i): Promise<unknown> => (i % 2 === 0 ? c.incr(`${p}ap:n`) : c.get(`${p}ap`))));
    // Each reply went to its own command, in the order they were sent.
    expect(replies).toEqual(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : 'x')));
    expect(c.autoPipelineQueueSize).toBe(0);
  });

  it('keyPrefix prefixes keys of plain commands, MGET and EVAL, and nothing else', async () => {
    const plain = open();
    const c = open({ keyPrefix: `${p}app:` });
    await c.set('x', '1');
    await c.mset('y', '2', 'z', '3');
    await c.hset('hh', 'f', 'v');
    await c.rpush('l', 'a', 'b');
    expect(await plain.get(`${p}app:x`)).toBe('1');
    expect(await c.mget('x', 'y', 'z')).toEqual(['1', '2', '3']);
    expect(await plain.hget(`${p}app:hh`, 'f')).toBe('v');
    expect(await c.lrange('l', 0, -1)).toEqual(['a', 'b']);
    expect(await c.eval("return {KEYS[1], redis.call('get', KEYS[1])}", 1, 'x')).toEqual([`${p}app:x`, '1']);
    expect((await plain.keys(`${p}app:*`)).sort()).toEqual(['hh', 'l', 'x', 'y', 'z'].map((k) => `${p}app:${k}`));
  });

  it('XREADGROUP BLOCK waits for XADD, then XPENDING and XACK', async () => {
    const c = open();
    const blocker = open();
    await c.xgroup('CREATE', `${p}st`, 'g', '$', 'MKSTREAM');
    const started = Date.now();
    const read = blocker.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 10, 'BLOCK', 5000, 'STREAMS', `${p}st`, '>');
    await new Promise((r) => setTimeout(r, 100));
    const id = await c.xadd(`${p}st`, '*', 'a', '1', 'b', '2');
    expect(await read).toEqual([[`${p}st`, [[id, ['a', '1', 'b', '2']]]]]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await c.xpending(`${p}st`, 'g')).toEqual([1, id, id, [['c1', '1']]]);
    expect(await c.xack(`${p}st`, 'g', id!)).toBe(1);
    expect(await blocker.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 50, 'STREAMS', `${p}st`, '>')).toBeNull();
  });

  it('subscribe and psubscribe deliver messages to their events', async () => {
    const sub = open();
    const pub = open();
    const got: string[][] = [];
    sub.on('message', (channel: string, message: string) => got.push([channel, message]));
    sub.on('pmessage', (pattern: string, channel: string, message: string) => got.push([pattern, channel, message]));
    await sub.subscribe(`${p}news`);
    await sub.psubscribe(`${p}ev:*`);
    expect(await pub.publish(`${p}news`, 'one')).toBe(1);
    expect(await pub.publish(`${p}ev:x`, 'two')).toBe(1);
    for (const start = Date.now(); got.length < 2 && Date.now() - start < 3000;) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([[`${p}news`, 'one'], [`${p}ev:*`, `${p}ev:x`, 'two']]);
  });

  it('monitor() reports each command with its database and client, its arguments as sizes', async () => {
    const mon = await open().monitor();
    clients.push(mon);
    const seen: { args: string[]; source: string; db: string }[] = [];
    mon.on('monitor', (_time: string, args: string[], source: string, db: string) => seen.push({ args, source, db }));
    await new Promise((r) => setTimeout(r, 50));
    const c = open({ db: 2 });
    await c.set(`${p}mk`, 'secret value');
    for (const start = Date.now(); !seen.some((s) => s.args[0]!.startsWith('set')) && Date.now() - start < 3000;) await new Promise((r) => setTimeout(r, 10));
    const set = seen.find((s) => s.args[0]!.startsWith('set'))!;
    expect(set.db).toBe('2');
    expect(set.source).toBe(`127.0.0.1:${(c.stream as Socket).localPort}`);
    // ioredis splits Redis's line on '" "'; sealkv's size summary follows the quoted name.
    expect(set.args).toEqual([`set" <2 args: ${p.length + 2} B, 12 B`]);
    expect(JSON.stringify(seen)).not.toContain('secret');
  });
});
