// Failover by the real redis-sentinel (Debian's package): three sentinels monitor a sealkv
// primary and two replicas. Under a steady write load through ioredis in sentinel mode, the
// primary is killed with SIGKILL; the sentinels promote a replica (SLAVEOF NO ONE inside
// MULTI/EXEC, CONFIG REWRITE, CLIENT KILL), repoint the other one, and ioredis follows them to
// the new primary. Every write acknowledged by WAIT 1 before the kill is on the new primary.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer } from '../helpers/server.js';
import { hasSentinel, promotedPort, SENTINEL_NAME, startSentinel, topologyDiscovered, type Sentinel } from '../helpers/sentinel.js';
import { ackedWriteLoad, sentinelClientOptions } from '../helpers/acked-writes.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';

const host = '127.0.0.1';
const NAME = SENTINEL_NAME;

describe.skipIf(!hasSentinel)('failover by redis-sentinel', () => {
  const key = newMasterKey();
  let dir: string;
  let primary: SpawnedServer;
  let replicas: SpawnedServer[] = [];
  let sentinels: Sentinel[] = [];
  /** The replicas' config files, in the order of `replicas`. */
  const confs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-sentinel-'));
    // Each node runs from a config file, so the sentinels' CONFIG REWRITE has a file to rewrite.
    const confOf = (name: string) => {
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, '# sealkv test node\n');
      if (name.startsWith('replica')) confs.push(file);
      return file;
    };
    primary = await startNode(key, ['--config', confOf('primary'), '--repl-ping-replica-period', '1']);
    for (let i = 0; i < 2; i++) replicas.push(await startNode(key, ['--config', confOf(`replica${i}`), '--repl-ping-replica-period', '1'], { host, port: primary.port }));
    for (const r of replicas) await linkUp(r.port);
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(dir, primary.port, i));
    // Every sentinel has found both replicas and the other sentinels (INFO slaveN lines, the hello channel).
    await topologyDiscovered(sentinels, 2);
  }, 60000);

  afterAll(async () => {
    for (const s of sentinels) s.process.kill('SIGKILL');
    await Promise.all([primary, ...replicas].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('promotes a replica after kill -9 of the primary; ioredis follows; every write acknowledged by WAIT 1 survives', async () => {
    const client = new Redis({
      sentinels: sentinels.map((s) => ({ host, port: s.port })),
      name: NAME,
      maxRetriesPerRequest: 50,
      retryStrategy: () => 100,
      sentinelRetryStrategy: () => 100,
      ...sentinelClientOptions,
    });
    client.on('error', () => {});
    // Four writers, each SET then WAIT 1: with two replicas, Sentinel must promote the one
    // furthest along (it picks by replication offset) for every acknowledged write to survive.
    const load = ackedWriteLoad(client, () => 1);
    const { acked } = load;
    await waitFor('some acknowledged writes', () => acked.length >= 50, 20000);
    const ackedBeforeKill = acked.length;
    primary.process.kill('SIGKILL');
    const oldPort = primary.port;
    // The sentinels agree on a new primary, and it says so itself.
    const newPort = await promotedPort(sentinels, oldPort, async (port) => (await info(port)).role);
    const promoted = replicas.find((r) => r.port === newPort)!;
    const other = replicas.find((r) => r.port !== newPort)!;
    expect(promoted).toBeDefined();
    // The other replica now follows the new primary.
    await waitFor('the other replica to follow the new primary', async () => {
      const ri = await info(other.port);
      return ri.master_port === String(newPort) && ri.master_link_status === 'up';
    }, 30000, 250);
    // ioredis keeps writing, now to the new primary.
    const countAtPromotion = acked.length;
    await waitFor('acknowledged writes on the new primary', () => acked.length >= countAtPromotion + 20, 30000, 100);
    await load.stop();
    expect(acked.length).toBeGreaterThan(ackedBeforeKill);
    const check = new Redis({ port: newPort, host });
    try {
      const values = await check.mget(acked.map((n) => `w${n}`));
      const missing = acked.filter((n, j) => values[j] !== `value-${n}`);
      expect(missing).toEqual([]);
    } finally {
      check.disconnect();
      client.disconnect();
    }
    await waitFor('+switch-master in the sentinels\' logs', () => sentinels.every((s) => s.output().includes('+switch-master')), 10000);
    // The sentinels' CONFIG REWRITE (inside their MULTI/EXEC) recorded the new roles in the nodes'
    // config files: the promoted one follows nobody, the other one the new primary.
    await waitFor('the config files to be rewritten', () => readFileSync(confs[replicas.indexOf(other)]!, 'utf8').includes(`replicaof 127.0.0.1 ${newPort}`), 10000);
    expect(readFileSync(confs[replicas.indexOf(promoted)]!, 'utf8')).not.toMatch(/^replicaof /m);
    if (process.env.SENTINEL_DEBUG) console.log({ acked: acked.length, ackedBeforeKill, failed: load.failed() }, sentinels[0]!.output(), promoted.output().slice(-3000));
  }, 120000);

  it('node-redis createSentinel finds the new primary and writes to it', async () => {
    const client = createSentinel({ name: NAME, sentinelRootNodes: sentinels.map((s) => ({ host, port: s.port })) });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.set('via-node-redis', 'yes');
      expect(await client.get('via-node-redis')).toBe('yes');
    } finally {
      await client.close();
    }
  }, 60000);
});
