// The ioredis Cluster features apps lean on, against a 3-node sealkv cluster: a scanStream on
// every master (Cluster has no cross-node SCAN; apps scan cluster.nodes('master')) finds each
// key once, on the node that owns its slot; sscanStream/hscanStream/zscanStream follow the key's
// slot; automatic pipelining batches concurrent commands per node and answers each in order;
// keyPrefix applies to plain commands, MGET on one hash tag, MULTI and a defineCommand script
// (EVALSHA, with EVAL on NOSCRIPT); a cross-slot MGET is refused with Redis's CROSSSLOT error.

import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { drainScan } from '../helpers/clients.js';

let cluster: TestCluster;
const clients: Cluster[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

function open(options: ConstructorParameters<typeof Cluster>[1] = {}): Cluster {
  const c = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], { ...options, redisOptions: { maxRetriesPerRequest: 2, ...options.redisOptions } });
  clients.push(c);
  return c;
}

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe('ioredis Cluster features on a 3-node sealkv cluster', () => {
  it('a scanStream on each master finds every key once, where its slot lives', async () => {
    const c = open();
    const keys = range(300, (i) => `scan:${i}`);
    await Promise.all(keys.map((k) => c.set(k, k)));
    const masters = c.nodes('master');
    expect(masters).toHaveLength(3);
    const perNode = await Promise.all(masters.map((m) => drainScan(m.scanStream({ match: 'scan:*', count: 50 }))));
    expect(perNode.flat().sort()).toEqual([...keys].sort());
    for (const [i, found] of perNode.entries()) {
      const node = cluster.nodes.find((n) => n.port === masters[i]!.options.port)!;
      expect(found.length).toBeGreaterThan(50);
      for (const k of found) expect(keySlot(Buffer.from(k))).toSatisfy((s: number) => s >= node.first && s <= node.last);
    }
    await c.sadd('{big}set', ...range(120, (i) => `m${i}`));
    await c.hset('{big}hash', ...range(120, (i) => `f${i} v${i}`).flatMap((fv) => fv.split(' ')));
    await c.zadd('{big}z', ...range(120, (i) => `${i} m${i}`).flatMap((sm) => sm.split(' ')));
    expect((await drainScan(c.sscanStream('{big}set', { count: 20 }))).sort()).toEqual(range(120, (i) => `m${i}`).sort());
    expect((await drainScan(c.hscanStream('{big}hash', { count: 20 }))).length).toBe(240);
    expect((await drainScan(c.zscanStream('{big}z', { match: 'm1?', count: 20 }))).length).toBe(20);
  });

  it('automatic pipelining batches per node and answers each command', async () => {
    const c = open({ enableAutoPipelining: true });
    const keys = range(60, (i) => `ap:${i}`);
    await Promise.all(keys.map((k, i) => c.set(k, String(i))));
    const replies = await Promise.all(keys.flatMap((k) => [c.incr(k), c.get(k)]));
    expect(replies).toEqual(keys.flatMap((_, i) => [i + 1, String(i + 1)]));
    expect(c.autoPipelineQueueSize).toBe(0);
  });

  it('keyPrefix applies to commands, MGET in one slot, MULTI and defineCommand scripts', async () => {
    const plain = open();
    const c = open({ keyPrefix: '{app}:' });
    c.defineCommand('setGetOld', { numberOfKeys: 2, lua: "local old = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', KEYS[2]); return {KEYS[1], old}" });
    await c.set('a', '1');
    await c.mset('b', '2', 'c', '3');
    expect(await c.mget('a', 'b', 'c')).toEqual(['1', '2', '3']);
    expect(await c.multi().incr('a').get('a').exec()).toEqual([[null, 2], [null, '2']]);
    const run = (c as unknown as { setGetOld(k1: string, k2: string, v: string): Promise<[string, string]> }).setGetOld.bind(c);
    expect(await run('a', 'writes', 'x')).toEqual(['{app}:a', '2']);
    // After SCRIPT FLUSH on the key's node, ioredis re-sends the script with EVAL.
    for (const m of plain.nodes('master')) await m.script('FLUSH');
    expect(await run('a', 'writes', 'y')).toEqual(['{app}:a', 'x']);
    expect(await plain.mget('{app}:a', '{app}:writes')).toEqual(['y', '2']);
    expect((await Promise.all(plain.nodes('master').map((m) => m.keys('{app}:*')))).flat().sort()).toEqual(['{app}:a', '{app}:b', '{app}:c', '{app}:writes']);
  });

  it('a cross-slot MGET is refused with CROSSSLOT', async () => {
    const c = open();
    await expect(c.mget('x:1', 'x:2', 'x:3')).rejects.toThrow("CROSSSLOT Keys in request don't hash to the same slot");
  });
});
