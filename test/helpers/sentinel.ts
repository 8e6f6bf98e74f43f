// Real redis-sentinel processes (Debian's package) for failover tests: each from its own config
// file in a test directory, monitoring one sealkv primary under `SENTINEL_NAME`.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './server.js';
import { waitFor } from './replication.js';

const SENTINEL = '/usr/bin/redis-sentinel';
export const hasSentinel = spawnSync(SENTINEL, ['--version'], { stdio: 'ignore' }).status === 0;
export const SENTINEL_NAME = 'sealkv-main';
const host = '127.0.0.1';

export interface Sentinel {
  port: number;
  process: ChildProcess;
  output(): string;
}

export async function startSentinel(dir: string, masterPort: number, i: number): Promise<Sentinel> {
  const port = await freePort();
  const file = join(dir, `sentinel-${i}.conf`);
  writeFileSync(
    file,
    [
      `port ${port}`,
      `bind ${host}`,
      `dir ${dir}`,
      `sentinel monitor ${SENTINEL_NAME} ${host} ${masterPort} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
      `sentinel failover-timeout ${SENTINEL_NAME} 6000`,
      `sentinel parallel-syncs ${SENTINEL_NAME} 2`,
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

export function sentinelCall(port: number, ...args: string[]): Promise<unknown> {
  const c = new Redis({ port, host, lazyConnect: false, maxRetriesPerRequest: 1 });
  return c.call(args[0]!, ...args.slice(1)).finally(() => c.disconnect());
}

/** Waits until every sentinel has found `replicas` replicas and the other sentinels. */
export function topologyDiscovered(sentinels: Sentinel[], replicas: number): Promise<void> {
  return waitFor('the sentinels to discover the topology', async () => {
    for (const s of sentinels) {
      const m = (await sentinelCall(s.port, 'sentinel', 'master', SENTINEL_NAME)) as string[];
      const field = (n: string) => m[m.indexOf(n) + 1];
      if (field('num-slaves') !== String(replicas) || field('num-other-sentinels') !== String(sentinels.length - 1)) return false;
    }
    return true;
  }, 30000, 250);
}

/** The port of the primary the sentinels agree on, once it is not `oldPort` and says it is a master. */
export async function promotedPort(sentinels: Sentinel[], oldPort: number, role: (port: number) => Promise<string | undefined>): Promise<number> {
  let newPort = 0;
  await waitFor('a replica to be promoted', async () => {
    const addr = (await sentinelCall(sentinels[0]!.port, 'sentinel', 'get-master-addr-by-name', SENTINEL_NAME)) as string[] | null;
    if (addr === null || Number(addr[1]) === oldPort) return false;
    newPort = Number(addr[1]);
    // Sentinel ends a failover with CLIENT KILL TYPE normal on the instances it reconfigured: a
    // probe that meets it is reset (seen once in CI), and the next one answers.
    return (await role(newPort).catch(() => undefined)) === 'master';
  }, 40000, 250);
  return newPort;
}
