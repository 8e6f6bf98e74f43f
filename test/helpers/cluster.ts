// A local sealkv cluster for tests: N nodes on free ports sharing one layout file (the 16384
// slots split evenly) and one master key, as scripts/cluster.mjs sets up for development.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnOn, type SpawnedServer } from './server.js';

export interface TestCluster {
  nodes: { id: string; port: number; server: SpawnedServer; first: number; last: number }[];
  layoutFile: string;
  stop(): Promise<void>;
}

/** extraArgs: for every node, or made per node from its port (a TLS-only node: --port 0 --tls-port P). */
export async function startCluster(count: number, extraArgs: string[] | ((port: number) => string[]) = []): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-cluster-test-'));
  const keyFile = join(dir, 'master.key');
  writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const plan: { id: string; port: number; first: number; last: number }[] = [];
  for (let i = 0; i < count; i++) {
    plan.push({
      id: randomBytes(20).toString('hex'),
      port: await freePort(),
      first: Math.floor((16384 * i) / count),
      last: Math.floor((16384 * (i + 1)) / count) - 1,
    });
  }
  const layoutFile = join(dir, 'layout.conf');
  writeFileSync(layoutFile, plan.map((n) => `${n.id} 127.0.0.1:${n.port} ${n.first}-${n.last}`).join('\n') + '\n');
  const nodes: TestCluster['nodes'] = [];
  try {
    for (const n of plan) {
      const extra = typeof extraArgs === 'function' ? extraArgs(n.port) : extraArgs;
      const server = await spawnOn(n.port, ['--cluster-enabled', 'yes', '--cluster-config-file', layoutFile, '--master-key-file', keyFile, ...extra]);
      nodes.push({ ...n, server });
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    layoutFile,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
