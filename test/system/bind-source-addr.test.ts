// bind-source-addr: a replica connects to its master from that address, as redis-server 7.0's
// does (Redis's networking unit, "CONFIG SET bind-source-addr"): the master sees the replica at
// 127.0.0.2. Run on a sealkv pair and on a redis-server pair.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ioredis } from '../helpers/clients.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { info, linkUp, newMasterKey, startNode } from '../helpers/replication.js';
import type { SpawnedServer } from '../helpers/server.js';

async function replicaSeenFrom(masterPort: number, replicaPort: number): Promise<string | undefined> {
  const r = ioredis(replicaPort);
  const m = ioredis(masterPort);
  try {
    // redis-server's protected mode lets in 127.0.0.1 and ::1 only (as Redis's own test does).
    await m.call('config', 'set', 'protected-mode', 'no');
    await r.call('config', 'set', 'bind-source-addr', '127.0.0.2');
    await r.call('replicaof', '127.0.0.1', String(masterPort));
    await linkUp(replicaPort);
    return /ip=([^,]+)/.exec((await info(masterPort)).slave0 ?? '')?.[1];
  } finally {
    r.disconnect();
    m.disconnect();
  }
}

describe('bind-source-addr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-source-addr-'));
  let master: SpawnedServer;
  let replica: SpawnedServer;
  let redis: ReferenceRedis[] = [];
  beforeAll(async () => {
    const key = newMasterKey();
    [master, replica] = await Promise.all([startNode(key), startNode(key)]);
    // The redis-server replica writes the copy it receives to dump.rdb in its dir.
    if (hasRedisServer) redis = await Promise.all([startRedis(['--dir', dir]), startRedis(['--dir', dir])]);
  });
  afterAll(async () => {
    await Promise.all([replica?.stop(), master?.stop(), ...redis.map((r) => r.stop())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a replica connects to its master from the address given', async () => {
    expect(await replicaSeenFrom(master.port, replica.port)).toBe('127.0.0.2');
    if (redis.length === 2) expect(await replicaSeenFrom(redis[0]!.port, redis[1]!.port)).toBe('127.0.0.2');
  });
});
