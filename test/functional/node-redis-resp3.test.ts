// node-redis in RESP3 against sealkv, beyond what client-tracking (its client-side cache) and
// pubsub (a push beside a reply) test: pattern and sharded subscriptions on the connection that
// also runs commands, typed replies read back as node-redis types them (maps, doubles, sets),
// a consumer-group read blocked until XADD, and the scan iterators.

import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

let server: SpawnedServer;
const opened: { destroy(): void }[] = [];

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  for (const c of opened) c.destroy();
  await server?.stop();
});

async function resp3() {
  const c = createClient({ RESP: 3, socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false } });
  c.on('error', () => {});
  await c.connect();
  opened.push(c);
  return c;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !check(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > 3000) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('node-redis RESP3 on sealkv', () => {
  it('SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE on a connection that keeps running commands', async () => {
    const c = await resp3();
    const pub = await resp3();
    const got: string[] = [];
    await c.subscribe('r3:ch', (m, ch) => got.push(`sub ${ch} ${m}`));
    await c.pSubscribe('r3:p*', (m, ch) => got.push(`psub ${ch} ${m}`));
    await c.sSubscribe('r3:shard', (m, ch) => got.push(`ssub ${ch} ${m}`));
    await c.set('r3:k', 'v');
    expect(await c.get('r3:k')).toBe('v');
    expect(await pub.publish('r3:ch', 'one')).toBe(1);
    expect(await pub.publish('r3:pq', 'two')).toBe(1);
    expect(await pub.sPublish('r3:shard', 'three')).toBe(1);
    await until(() => got.length === 3, 'three messages');
    expect(got).toEqual(['sub r3:ch one', 'psub r3:pq two', 'ssub r3:shard three']);
    expect(await pub.pubSubNumSub(['r3:ch'])).toEqual({ 'r3:ch': 1 });
    await c.unsubscribe('r3:ch');
    await c.pUnsubscribe('r3:p*');
    await c.sUnsubscribe('r3:shard');
    expect(await pub.publish('r3:ch', 'late')).toBe(0);
    expect(await c.get('r3:k')).toBe('v');
  });

  it('reads maps, doubles and sets as node-redis types them', async () => {
    const c = await resp3();
    await c.hSet('r3:h', { a: '1', b: '2' });
    await c.zAdd('r3:z', [{ score: 1.5, value: 'm' }, { score: -2, value: 'n' }]);
    await c.sAdd('r3:s', ['x', 'y']);
    expect(await c.hGetAll('r3:h')).toEqual({ a: '1', b: '2' });
    expect(await c.withTypeMapping({ [RESP_TYPES.MAP]: Map }).hGetAll('r3:h')).toEqual(new Map([['a', '1'], ['b', '2']]));
    expect(await c.zScore('r3:z', 'm')).toBe(1.5);
    expect(await c.zmScore('r3:z', ['m', 'none'])).toEqual([1.5, null]);
    expect(await c.zRangeWithScores('r3:z', 0, -1)).toEqual([{ value: 'n', score: -2 }, { value: 'm', score: 1.5 }]);
    expect(await c.zIncrBy('r3:z', 0.25, 'm')).toBe(1.75);
    expect((await c.sMembers('r3:s')).sort()).toEqual(['x', 'y']);
    expect(await c.configGet('maxmemory-policy')).toEqual({ 'maxmemory-policy': 'noeviction' });
    expect(await c.hello()).toMatchObject({ server: 'redis', proto: 3, mode: 'standalone', role: 'master', modules: [] });
    expect(await c.eval("redis.setresp(3); return redis.call('hgetall', KEYS[1])", { keys: ['r3:h'] })).toEqual({ a: '1', b: '2' });
  });

  it('XREADGROUP BLOCK waits for XADD and answers the RESP3 map', async () => {
    const c = await resp3();
    const blocker = await resp3();
    await c.xGroupCreate('r3:st', 'g', '$', { MKSTREAM: true });
    const read = blocker.xReadGroup('g', 'c1', { key: 'r3:st', id: '>' }, { BLOCK: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await c.xAdd('r3:st', '5-1', { field: 'value' });
    expect(await read).toEqual([{ name: 'r3:st', messages: [{ id: '5-1', message: { field: 'value' } }] }]);
    expect(await c.xInfoGroups('r3:st')).toEqual([{ name: 'g', consumers: 1, pending: 1, 'last-delivered-id': '5-1', 'entries-read': 1, lag: 0 }]);
    expect(await c.xAutoClaim('r3:st', 'g', 'c2', 0, '0-0')).toEqual({ nextId: '0-0', messages: [{ id: '5-1', message: { field: 'value' } }], deletedMessages: [] });
  });

  it('scanIterator and hScanIterator walk everything once', async () => {
    const c = await resp3();
    for (let i = 0; i < 50; i++) await c.set(`r3:it:${i}`, 'x');
    for (let i = 0; i < 50; i++) await c.hSet('r3:ih', `f${i}`, `v${i}`);
    const keys: string[] = [];
    for await (const batch of c.scanIterator({ MATCH: 'r3:it:*', COUNT: 7 })) keys.push(...batch);
    expect(keys.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `r3:it:${i}`).sort());
    const entries: string[] = [];
    for await (const batch of c.hScanIterator('r3:ih', { COUNT: 7 })) for (const { field, value } of batch) entries.push(`${field}=${value}`);
    expect(entries.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `f${i}=v${i}`).sort());
  });
});
