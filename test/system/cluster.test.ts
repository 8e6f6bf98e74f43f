// Three sealkv nodes as a Redis Cluster, driven by the cluster clients apps use: ioredis
// Cluster, node-redis createCluster and redis-cli -c / --cluster check. Keys spread over every
// node, hash tags keep multi-key commands on one node, CROSSSLOT refuses the rest, a slot moved
// by CLUSTER SETSLOT NODE is followed after MOVED, and a slot being migrated answers ASK.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { Errors } from '../../src/protocol/errors.js';
import { runCli } from '../helpers/cli.js';
import { spawnServer } from '../helpers/server.js';
import { hasRedisCli } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const run = promisify(execFile);
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

function direct(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** The node that serves a key's slot in the layout the test started with. */
function ownerOf(key: string) {
  const slot = keySlot(Buffer.from(key));
  return cluster.nodes.find((n) => slot >= n.first && slot <= n.last)!;
}

describe('a three-node cluster', () => {
  it('spreads ioredis Cluster writes over every node, and reads them back', async () => {
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    try {
      for (let i = 0; i < 300; i++) await client.set(`spread:${i}`, `v${i}`);
      for (let i = 0; i < 300; i += 37) expect(await client.get(`spread:${i}`)).toBe(`v${i}`);
      let total = 0;
      for (const n of cluster.nodes) {
        const d = direct(n.port);
        const size = await d.dbsize();
        await d.quit();
        expect(size).toBeGreaterThan(50);
        total += size;
      }
      expect(total).toBe(300);
      // Hash tags put keys on one slot; MGET over them works, over different slots it does not.
      await client.mset('{user:1}:name', 'ada', '{user:1}:mail', 'ada@example.org');
      expect(await client.mget('{user:1}:name', '{user:1}:mail')).toEqual(['ada', 'ada@example.org']);
      await expect(client.mget('spread:1', 'spread:2')).rejects.toThrow(Errors.crossSlot);
    } finally {
      await client.quit();
    }
  });

  it('answers MOVED with the owner of the slot, and CLUSTER SLOTS / SHARDS / NODES describe the layout', async () => {
    const key = 'moved:probe';
    const owner = ownerOf(key);
    const other = cluster.nodes.find((n) => n !== owner)!;
    const d = direct(other.port);
    try {
      await expect(d.get(key)).rejects.toThrow(Errors.moved(keySlot(Buffer.from(key)), `127.0.0.1:${owner.port}`));
      const slots = (await d.call('cluster', 'slots')) as [number, number, [string, number, string, unknown]][];
      expect(slots.map(([a, b, [host, port, id]]) => [a, b, host, port, id])).toEqual(
        cluster.nodes.map((n) => [n.first, n.last, '127.0.0.1', n.port, n.id]),
      );
      const nodes = String(await d.call('cluster', 'nodes'));
      for (const n of cluster.nodes) expect(nodes).toContain(`${n.id} 127.0.0.1:${n.port}@${n.port + 10000} ${n === other ? 'myself,master' : 'master'} - `);
      expect(await d.call('cluster', 'myid')).toBe(other.id);
      const info = String(await d.call('cluster', 'info'));
      expect(info).toContain('cluster_state:ok\r\n');
      expect(info).toContain('cluster_slots_assigned:16384\r\n');
      expect(info).toContain('cluster_known_nodes:3\r\n');
      const shards = (await d.call('cluster', 'shards')) as unknown[];
      expect(shards).toHaveLength(3);
    } finally {
      await d.quit();
    }
  });

  it('works with node-redis createCluster', async () => {
    const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.nodes[1]!.port}` }] });
    client.on('error', () => {});
    await client.connect();
    try {
      for (let i = 0; i < 50; i++) await client.set(`nr:${i}`, String(i));
      for (let i = 0; i < 50; i += 7) expect(await client.get(`nr:${i}`)).toBe(String(i));
    } finally {
      await client.quit();
    }
  });

  it.skipIf(!hasRedisCli)('redis-cli -c follows redirections and --cluster check finds every slot covered', async () => {
    const port = String(cluster.nodes[0]!.port);
    for (let i = 0; i < 10; i++) expect((await run('redis-cli', ['-c', '-p', port, 'set', `cli:${i}`, `x${i}`])).stdout.trim()).toBe('OK');
    for (let i = 0; i < 10; i++) expect((await run('redis-cli', ['-c', '-p', port, 'get', `cli:${i}`])).stdout.trim()).toBe(`x${i}`);
    const check = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${port}`]);
    expect(check.stdout).toContain('[OK] All nodes agree about slots configuration.');
    expect(check.stdout).toContain('[OK] All 16384 slots covered.');
  });

  it('refuses a transaction whose keys span slots, at EXEC, and discards it', async () => {
    const node = cluster.nodes[0]!;
    // Two keys this node owns, in different slots.
    const mine: string[] = [];
    for (let i = 0; mine.length < 2; i++) if (ownerOf(`tx:${i}`) === node) mine.push(`tx:${i}`);
    const d = direct(node.port);
    try {
      const result = await d.multi().set(mine[0]!, '1').set(mine[1]!, '2').exec().catch((err: Error) => err);
      expect(String(result)).toMatch(/CROSSSLOT/);
      expect(await d.exists(mine[0]!)).toBe(0);
      expect(await d.exists(mine[1]!)).toBe(0);
    } finally {
      await d.quit();
    }
  });

  it('follows a slot handed to another node (MOVED), and an ASK while a slot migrates', async () => {
    // Pick an empty slot of node 0, hand it to node 1 on every node (as a reshard does).
    const [a, b, c] = cluster.nodes;
    let key = '';
    for (let i = 0; ; i++) if (ownerOf((key = `reshard:${i}`)) === a) break;
    const slot = keySlot(Buffer.from(key));
    const client = new Cluster([{ host: '127.0.0.1', port: c!.port }]);
    const da = direct(a!.port);
    const db = direct(b!.port);
    try {
      await client.get(key); // learn the layout
      for (const n of cluster.nodes) {
        const d = direct(n.port);
        expect(await d.call('cluster', 'setslot', String(slot), 'node', b!.id)).toBe('OK');
        await d.quit();
      }
      await client.set(key, 'after-move');
      expect(await db.get(key)).toBe('after-move');
      expect(await da.dbsize()).toBeGreaterThan(0); // a's other keys stayed
      await expect(da.get(key)).rejects.toThrow(`MOVED ${slot} 127.0.0.1:${b!.port}`);

      // Now migrate it back b -> a: b MIGRATING, a IMPORTING. A key b still has is served by b,
      // a key b lacks is sent to a with ASK, and the client follows with ASKING.
      let fresh = '';
      for (let i = 0; ; i++) if (keySlot(Buffer.from((fresh = `{${key}}:new${i}`))) === slot) break;
      expect(await da.call('cluster', 'setslot', String(slot), 'importing', b!.id)).toBe('OK');
      expect(await db.call('cluster', 'setslot', String(slot), 'migrating', a!.id)).toBe('OK');
      await expect(db.get(fresh)).rejects.toThrow(Errors.ask(slot, `127.0.0.1:${a!.port}`));
      await expect(da.get(fresh)).rejects.toThrow(`MOVED ${slot} 127.0.0.1:${b!.port}`);
      expect(await client.get(key)).toBe('after-move');
      await client.set(fresh, 'during-migration');
      expect(await da.call('asking')).toBe('OK');
      expect(await da.get(fresh)).toBe('during-migration');
      // Both keys exist but on different nodes: a multi-key request must wait.
      await expect(db.mget(key, fresh)).rejects.toThrow(Errors.tryAgain);
      expect(String(await db.call('cluster', 'nodes'))).toContain(`[${slot}->-${a!.id}]`);
      expect(String(await da.call('cluster', 'nodes'))).toContain(`[${slot}-<-${b!.id}]`);
      await expect(db.call('cluster', 'setslot', String(slot), 'node', a!.id)).rejects.toThrow(Errors.slotStillHasKeys(slot));
    } finally {
      await client.quit();
      await da.quit();
      await db.quit();
    }
  });
});

describe('one node owning every slot: its errors, and the cluster going down', () => {
  let one: TestCluster;
  beforeAll(async () => {
    one = await startCluster(1);
  }, 20_000);
  afterAll(async () => {
    await one?.stop();
  });

  it('answers slot administration mistakes with Redis texts', async () => {
    const node = one.nodes[0]!;
    const d = direct(node.port);
    const err = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.message);
    try {
      expect(await err(d.call('cluster', 'addslots', '16384'))).toBe(Errors.invalidSlot);
      expect(await err(d.call('cluster', 'countkeysinslot', '16384'))).toBe(Errors.invalidSlotOnly);
      expect(await err(d.call('cluster', 'getkeysinslot', '1', '-1'))).toBe(Errors.invalidSlotOrCount);
      expect(await err(d.call('cluster', 'addslots', '1'))).toBe(Errors.slotBusy(1));
      expect(await d.call('cluster', 'delslots', '1')).toBe('OK');
      expect(await err(d.call('cluster', 'delslots', '1'))).toBe(Errors.slotUnassigned(1));
      expect(await err(d.call('cluster', 'addslots', '1', '1'))).toBe(Errors.slotTwice(1));
      expect(await err(d.call('cluster', 'addslotsrange', '3', '2'))).toBe(Errors.slotRangeReversed(3, 2));
      expect(await err(d.call('cluster', 'setslot', '1', 'migrating', node.id))).toBe(Errors.notSlotOwner(1));
      expect(await d.call('cluster', 'addslots', '1')).toBe('OK');
      expect(await err(d.call('cluster', 'setslot', '2', 'importing', node.id))).toBe(Errors.alreadySlotOwner(2));
      expect(await err(d.call('cluster', 'setslot', '2', 'migrating', 'f'.repeat(40)))).toBe(Errors.unknownNodeAbout('f'.repeat(40)));
      expect(await err(d.call('cluster', 'setslot', '2', 'node', 'f'.repeat(40)))).toBe(Errors.unknownNode('f'.repeat(40)));
      expect(await err(d.call('cluster', 'setslot', '2', 'sideways'))).toBe(Errors.setslotSyntax);
      expect(await err(d.call('cluster', 'meet', '10.0.0.1', '6379'))).toBe(Errors.clusterBusCommand('meet'));
      expect(await err(d.call('select', '2'))).toBe(Errors.notInClusterMode('SELECT'));
      await d.set('here', '1');
      expect(await err(d.call('cluster', 'flushslots'))).toBe(Errors.flushslotsNotEmpty);
      const slot = keySlot(Buffer.from('here'));
      const other = 'e'.repeat(40);
      expect(await err(d.call('cluster', 'setslot', String(slot), 'node', other))).toBe(Errors.unknownNode(other));
    } finally {
      await d.quit();
    }
  });

  it('refuses keys while a slot has no owner, or only writes with cluster-allow-reads-when-down', async () => {
    const d = direct(one.nodes[0]!.port);
    const err = (p: Promise<unknown>) => p.then(() => 'no error', (e: Error) => e.message);
    try {
      await d.set('still', 'here');
      const free = keySlot(Buffer.from('lost'));
      expect(await d.call('cluster', 'delslots', String(free))).toBe('OK');
      expect(await err(d.get('lost'))).toBe(Errors.slotNotServed);
      expect(String(await d.call('cluster', 'info'))).toContain('cluster_state:fail');
      expect(await err(d.get('still'))).toBe(Errors.clusterDown);
      expect(await d.call('config', 'set', 'cluster-allow-reads-when-down', 'yes')).toBe('OK');
      expect(await d.get('still')).toBe('here');
      expect(await err(d.set('still', 'x'))).toBe(Errors.clusterDownReadOnly);
      expect(await d.call('config', 'set', 'cluster-require-full-coverage', 'no')).toBe('OK');
      expect(await d.set('still', 'x')).toBe('OK');
      expect(await d.call('cluster', 'addslots', String(free))).toBe('OK');
      expect(await d.set('lost', 'found')).toBe('OK');
    } finally {
      await d.quit();
    }
  });

  it('a standalone server says it has no cluster support', async () => {
    const plain = await spawnServer();
    const d = direct(plain.port);
    try {
      await expect(d.call('cluster', 'info')).rejects.toThrow(Errors.clusterDisabled);
    } finally {
      await d.quit();
      await plain.stop();
    }
  });

  it('will not start on a layout that is wrong, with exit code 1 and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-bad-layout-'));
    try {
      // The layout is read before anything listens: port 1 is never bound here.
      const cases: [string, RegExp][] = [
        ['nothing here\n', /line 1: node id must be 40 lower-case hex characters/],
        [`${'a'.repeat(40)} 127.0.0.1:1 0-100\n${'b'.repeat(40)} 127.0.0.1:2 50-60\n`, /slot 50 is claimed by two nodes/],
        [`${'a'.repeat(40)} 127.0.0.1:1 0-16384\n`, /bad slot or range '0-16384'/],
        [`${'a'.repeat(40)} 127.0.0.1:2 0-100\n`, /no node of the layout has this node's port 1/],
        [`${'a'.repeat(40)} 127.0.0.1:1\n${'a'.repeat(40)} 127.0.0.1:2\n`, /listed twice/],
      ];
      for (const [text, reason] of cases) {
        const file = join(dir, 'layout.conf');
        writeFileSync(file, text);
        const r = await runCli(['--port', '1', '--cluster-enabled', 'yes', '--cluster-config-file', file]);
        expect(r.code, text).toBe(1);
        expect(r.output).toMatch(reason);
      }
      const r = await runCli(['--port', '1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'missing.conf')]);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/cannot read cluster-config-file .*missing\.conf: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
