// Sentinel against nodes that renamed the commands it sends (Redis's `rename-command`, which
// Sentinel follows through `SENTINEL SET <name> rename-command`; Redis's sentinel suite checks only
// the PING half, in 07-down-conditions.tcl). The failover itself goes through the new names:
// SLAVEOF NO ONE and CONFIG REWRITE on the promoted replica, in MULTI/EXEC; the old names answer
// as unknown commands, so a promotion proves the renamed ones were heard.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer } from '../helpers/server.js';
import { hasSentinel, promotedPort, sentinelCall, SENTINEL_NAME, startSentinel, topologyDiscovered, type Sentinel } from '../helpers/sentinel.js';
import { info, linkUp, newMasterKey, startNode } from '../helpers/replication.js';

const host = '127.0.0.1';
const RENAMED = { SLAVEOF: 'sk-slaveof-7d1', CONFIG: 'sk-config-7d1' } as const;
/** rename-command lines for a node's config file. */
const RENAMES = Object.entries(RENAMED).map(([from, to]) => `rename-command ${from} ${to}`).join('\n');

describe.skipIf(!hasSentinel)('Sentinel and renamed commands', () => {
  const key = newMasterKey();
  let dir: string;
  let primary: SpawnedServer;
  let replica: SpawnedServer;
  let replicaConf: string;
  const sentinels: Sentinel[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-sentinel-rename-'));
    const conf = (name: string) => {
      const file = join(dir, `${name}.conf`);
      writeFileSync(file, `${RENAMES}\n`);
      return file;
    };
    primary = await startNode(key, ['--config', conf('primary'), '--repl-ping-replica-period', '1']);
    replicaConf = conf('replica');
    replica = await startNode(key, ['--config', replicaConf, '--repl-ping-replica-period', '1'], { host, port: primary.port });
    await linkUp(replica.port);
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(dir, primary.port, i));
    for (const s of sentinels) {
      for (const [from, to] of Object.entries(RENAMED)) await sentinelCall(s.port, 'sentinel', 'set', SENTINEL_NAME, 'rename-command', from, to);
    }
    await topologyDiscovered(sentinels, 1);
  }, 60000);

  afterAll(async () => {
    for (const s of sentinels) s.process.kill('SIGKILL');
    await Promise.all([primary, replica].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the nodes know only the new names', async () => {
    const c = new Redis({ port: replica.port, host });
    try {
      await expect(c.call('config', 'get', 'port')).rejects.toThrow(/unknown command 'config'/);
      expect(await c.call(RENAMED.CONFIG, 'get', 'port')).toEqual(['port', String(replica.port)]);
    } finally {
      c.disconnect();
    }
  });

  it('promotes the replica through the renamed SLAVEOF and rewrites its config file through the renamed CONFIG', async () => {
    primary.process.kill('SIGKILL');
    const newPort = await promotedPort(sentinels, primary.port, async (port) => (await info(port)).role);
    expect(newPort).toBe(replica.port);
    // Only a rewrite puts a setting of the command line into the file; it names no primary any
    // more, and keeps the renames.
    const text = readFileSync(replicaConf, 'utf8');
    expect(text).toMatch(/^repl-ping-replica-period 1$/m);
    expect(text).not.toMatch(/^replicaof /m);
    for (const [from, to] of Object.entries(RENAMED)) expect(text).toContain(`rename-command ${from} ${to}`);
  }, 60000);
});
