// Sentinel promotes the replica that is furthest along, so a write that WAIT 1 acknowledged
// survives even when the other replica had not received it. The primary is reached through a
// relay (the sentinels monitor the relay's address, so they see nothing to fix in the replicas'
// configuration); the test holds the relay's connection to one replica, which stays connected
// but falls behind. Writes acknowledged by WAIT 1 (the other replica only), then the primary's
// kill -9: the sentinels must pick the replica that is ahead, by the replication offset its INFO
// reports, and the one behind, repointed, must catch up without a full copy.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer } from '../helpers/server.js';
import { hasSentinel, promotedPort, startSentinel, topologyDiscovered, type Sentinel } from '../helpers/sentinel.js';
import { info, linkUp, newMasterKey, startNode, TcpRelay, waitFor } from '../helpers/replication.js';

const host = '127.0.0.1';
const WRITES = 5;

describe.skipIf(!hasSentinel)('a replica that lags is not promoted', () => {
  const key = newMasterKey();
  let dir: string;
  let primary: SpawnedServer;
  let direct: SpawnedServer;
  let lagging: SpawnedServer;
  let relay: TcpRelay;
  const sentinels: Sentinel[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-sentinel-lag-'));
    const ping = ['--repl-ping-replica-period', '1'];
    primary = await startNode(key, ping);
    relay = await new TcpRelay({ host, port: primary.port }).start();
    direct = await startNode(key, ping, { host, port: relay.port });
    lagging = await startNode(key, ping, { host, port: relay.port });
    await linkUp(direct.port);
    await linkUp(lagging.port);
    for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(dir, relay.port, i));
    await topologyDiscovered(sentinels, 2);
  }, 60000);

  afterAll(async () => {
    for (const s of sentinels) s.process.kill('SIGKILL');
    await relay?.close();
    await Promise.all([primary, direct, lagging].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('promotes the replica that acknowledged, keeps every write WAIT 1 acknowledged, and the other one catches up', async () => {
    const client = new Redis({ port: primary.port, host });
    try {
      for (let n = 0; n < 20; n++) await client.set(`both${n}`, `v${n}`);
      expect(await client.call('wait', '2', '5000')).toBe(2);
      const port = String(lagging.port);
      relay.hold(`listening-port\r\n$${port.length}\r\n${port}\r\n`);
      const acked: string[] = [];
      // Each WAIT 1 answers after sealkv's grace for the live replica that is behind (1 s).
      for (let n = 0; n < WRITES; n++) {
        await client.set(`one${n}`, `v${n}`);
        if (Number(await client.call('wait', '1', '2000')) >= 1) acked.push(`one${n}`);
      }
      expect(acked.length).toBe(WRITES);
      // The lagging replica is connected and behind; the direct one has everything.
      const [d, l] = [await info(direct.port), await info(lagging.port)];
      expect(l.master_link_status).toBe('up');
      expect(Number(l.slave_repl_offset)).toBeLessThan(Number(d.slave_repl_offset));
    } finally {
      client.disconnect();
    }
    primary.process.kill('SIGKILL');
    const newPort = await promotedPort(sentinels, relay.port, async (port) => (await info(port)).role);
    expect(newPort).toBe(direct.port);
    const check = new Redis({ port: newPort, host });
    try {
      const keys = [...Array.from({ length: 20 }, (_, n) => `both${n}`), ...Array.from({ length: WRITES }, (_, n) => `one${n}`)];
      const values = await check.mget(keys);
      expect(keys.filter((k, j) => values[j] !== `v${k.replace(/^\D+/, '')}`)).toEqual([]);
      // The other replica, repointed by the sentinels, gets the writes it missed from the new
      // primary's backlog.
      await waitFor('the lagging replica to follow the new primary', async () => {
        // Reconfiguring it, Sentinel sends CLIENT KILL TYPE normal: a probe may be reset.
        const ri = await info(lagging.port).catch(() => null);
        return ri?.master_port === String(newPort) && ri.master_link_status === 'up';
      }, 30000, 250);
      const onLagging = new Redis({ port: lagging.port, host });
      try {
        await waitFor('the lagging replica to catch up', async () => (await onLagging.get(`one${WRITES - 1}`)) === `v${WRITES - 1}`, 15000, 100);
      } finally {
        onLagging.disconnect();
      }
      expect(lagging.output()).toMatch(/partial resynchronization/);
    } finally {
      check.disconnect();
    }
  }, 120000);
});
