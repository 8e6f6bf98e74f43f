// Failover by the real redis-sentinel (Debian's package): three sentinels monitor a sealkv
// primary and two replicas. Under a steady write load through ioredis in sentinel mode, the
// primary is killed with SIGKILL; the sentinels promote a replica (SLAVEOF NO ONE inside
// MULTI/EXEC, CONFIG REWRITE, CLIENT KILL), repoint the other one, and ioredis follows them to
// the new primary. Every write acknowledged by WAIT 1 before the kill is on the new primary.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';

const SENTINEL = '/usr/bin/redis-sentinel';
const hasSentinel = spawnSync(SENTINEL, ['--version'], { stdio: 'ignore' }).status === 0;
const host = '127.0.0.1';
const NAME = 'sealkv-main';

interface Sentinel {
  port: number;
  process: ChildProcess;
  output(): string;
}

async function startSentinel(dir: string, masterPort: number, i: number): Promise<Sentinel> {
  const port = await freePort();
  const file = join(dir, `sentinel-${i}.conf`);
  writeFileSync(
    file,
    [
      `port ${port}`,
      `bind ${host}`,
      `dir ${dir}`,
      `sentinel monitor ${NAME} ${host} ${masterPort} 2`,
      `sentinel down-after-milliseconds ${NAME} 1000`,
      `sentinel failover-timeout ${NAME} 6000`,
      `sentinel parallel-syncs ${NAME} 2`,
      '',
    ].join('\n'),
  );
  const child = spawn(SENTINEL, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const s: Sentinel = { port, process: child, output: () => out };
  await waitFor(`sentinel ${i} to start`, () => out.includes('Sentinel ID is') || out.includes('+monitor'), 10000);
  return s;
}

function sentinelCall(port: number, ...args: string[]): Promise<unknown> {
  const c = new Redis({ port, host, lazyConnect: false, maxRetriesPerRequest: 1 });
  return c.call(args[0]!, ...args.slice(1)).finally(() => c.disconnect());
}

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
    await waitFor('the sentinels to discover the topology', async () => {
      for (const s of sentinels) {
        const m = (await sentinelCall(s.port, 'sentinel', 'master', NAME)) as string[];
        const field = (n: string) => m[m.indexOf(n) + 1];
        if (field('num-slaves') !== '2' || field('num-other-sentinels') !== '2') return false;
      }
      return true;
    }, 30000, 250);
  }, 60000);

  afterAll(async () => {
    for (const s of sentinels) s.process.kill('SIGKILL');
    await Promise.all([primary, ...replicas].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('promotes a replica after kill -9 of the primary; ioredis follows; every write acknowledged by WAIT (all live replicas) survives', async () => {
    const client = new Redis({
      sentinels: sentinels.map((s) => ({ host, port: s.port })),
      name: NAME,
      maxRetriesPerRequest: 50,
      retryStrategy: () => 100,
      sentinelRetryStrategy: () => 100,
    });
    client.on('error', () => {});
    const acked: number[] = [];
    const failed: number[] = [];
    let stop = false;
    let promotedOne = false;
    let i = 0;
    // A write counts as acknowledged once every live replica has it: WAIT 2 while both run,
    // WAIT 1 once a replica is promoted and the new primary has one replica left. (WAIT 1 with two replicas would not
    // do: Sentinel may promote the one that had not acknowledged yet, as with Redis; README.)
    const load = (async () => {
      while (!stop) {
        const n = i++;
        const replicasWanted = promotedOne ? 1 : 2;
        try {
          await client.set(`w${n}`, `value-${n}`);
          const got = Number(await client.call('wait', String(replicasWanted), '500'));
          if (got >= replicasWanted) acked.push(n);
        } catch {
          failed.push(n);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    await waitFor('some acknowledged writes', () => acked.length >= 50, 20000);
    const ackedBeforeKill = acked.length;
    primary.process.kill('SIGKILL');
    const oldPort = primary.port;
    // The sentinels agree on a new primary, and it says so itself.
    let newPort = 0;
    await waitFor('a replica to be promoted', async () => {
      const addr = (await sentinelCall(sentinels[0]!.port, 'sentinel', 'get-master-addr-by-name', NAME)) as string[] | null;
      if (addr === null || Number(addr[1]) === oldPort) return false;
      newPort = Number(addr[1]);
      return (await info(newPort)).role === 'master';
    }, 40000, 250);
    promotedOne = true;
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
    stop = true;
    await load;
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
    if (process.env.SENTINEL_DEBUG) console.log({ acked: acked.length, ackedBeforeKill, failed: failed.length }, sentinels[0]!.output(), promoted.output().slice(-3000));
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
