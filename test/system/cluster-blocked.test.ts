// Clients blocked (BLPOP, XREAD BLOCK...) on keys of a slot that leaves the node during a
// reshard: as Redis (clusterRedirectBlockedClientIfNeeded), they are answered -MOVED to the new
// owner (a cluster client re-sends the command there and keeps waiting), -CLUSTERDOWN when the
// slot is left without owner, and keep waiting while the slot is only being migrated. Without
// this they would wait for ever on a node that no longer receives the writes.

import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { Errors } from '../../src/protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
const open: Redis[] = [];

beforeAll(async () => {
  cluster = await startCluster(2);
}, 30_000);
afterAll(async () => {
  for (const c of open) c.disconnect();
  await cluster?.stop();
});

function direct(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  open.push(c);
  return c;
}

/** A key of node a's slots, distinct per test. */
function keyOnA(prefix: string): { key: string; slot: number } {
  const a = cluster.nodes[0]!;
  for (let i = 0; ; i++) {
    const key = `${prefix}:${i}`;
    const slot = keySlot(Buffer.from(key));
    if (slot >= a.first && slot <= a.last) return { key, slot };
  }
}

async function setslotEverywhere(slot: number, ...args: string[]): Promise<void> {
  for (const n of cluster.nodes) expect(await direct(n.port).call('cluster', 'setslot', String(slot), ...args)).toBe('OK');
}

const blocked = async (port: number) => Number(/blocked_clients:(\d+)/.exec(await direct(port).info('clients'))![1]);

async function waitBlocked(port: number, n: number): Promise<void> {
  for (let i = 0; i < 100 && (await blocked(port)) !== n; i++) await new Promise((r) => setTimeout(r, 20));
  expect(await blocked(port)).toBe(n);
}

describe('blocked clients when their slot moves', () => {
  it('answers MOVED to a client blocked on a slot handed to another node; BLPOP and XREAD alike', async () => {
    const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const { key, slot } = keyOnA('bl-moved');
    const stream = `{${key}}:stream`;
    const pop = direct(a.port).blpop(key, 0).then(() => 'served', (e: Error) => e.message);
    const read = direct(a.port).xread('BLOCK', 0, 'STREAMS', stream, '$').then(() => 'served', (e: Error) => e.message);
    await waitBlocked(a.port, 2);
    await setslotEverywhere(slot, 'node', b.id);
    expect(await pop).toBe(Errors.moved(slot, `127.0.0.1:${b.port}`));
    expect(await read).toBe(Errors.moved(slot, `127.0.0.1:${b.port}`));
    expect(await blocked(a.port)).toBe(0);
  });

  it('lets an ioredis Cluster BLPOP follow the slot and be served there', async () => {
    const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const { key, slot } = keyOnA('bl-follow');
    const client = new Cluster([{ host: '127.0.0.1', port: a.port }]);
    const pusher = new Cluster([{ host: '127.0.0.1', port: b.port }]);
    try {
      const pop = client.blpop(key, 0);
      await waitBlocked(a.port, 1);
      await setslotEverywhere(slot, 'node', b.id);
      await waitBlocked(b.port, 1);
      await pusher.lpush(key, 'arrived');
      expect(await pop).toEqual([key, 'arrived']);
    } finally {
      client.disconnect();
      pusher.disconnect();
    }
  });

  it('keeps waiting while the slot is only migrating, and answers CLUSTERDOWN when it loses its owner', async () => {
    const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const { key, slot } = keyOnA('bl-down');
    const pop = direct(a.port).blpop(key, 0).then((r) => r, (e: Error) => e.message);
    await waitBlocked(a.port, 1);
    expect(await direct(b.port).call('cluster', 'setslot', String(slot), 'importing', a.id)).toBe('OK');
    expect(await direct(a.port).call('cluster', 'setslot', String(slot), 'migrating', b.id)).toBe('OK');
    expect(await blocked(a.port)).toBe(1);
    expect(await direct(a.port).call('cluster', 'setslot', String(slot), 'stable')).toBe('OK');
    expect(await direct(b.port).call('cluster', 'setslot', String(slot), 'stable')).toBe('OK');
    expect(await blocked(a.port)).toBe(1);
    // The slot loses its owner on a: with cluster-require-full-coverage the cluster is down there.
    expect(await direct(a.port).call('cluster', 'delslots', String(slot))).toBe('OK');
    expect(await pop).toBe(Errors.clusterDown);
    expect(await direct(a.port).call('cluster', 'addslots', String(slot))).toBe('OK');
  });
});
