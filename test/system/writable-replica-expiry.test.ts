// A writable replica (replica-read-only no) expires the keys its own clients give a TTL: no
// master will ever send their deletion (Redis 7.0 rememberSlaveKeyWithExpire / expireSlaveKeys,
// Redis's expire unit "expired key which is created in writeable replicas should be deleted by
// active expiry"). The same steps run on a redis-server pair, and both read alike.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';
import type { SpawnedServer } from '../helpers/server.js';

/** SET with PX on the replica, then how the replica's keyspace and expired_keys read. */
async function steps(replicaPort: number): Promise<unknown[]> {
  const r = ioredis(replicaPort);
  try {
    const out: unknown[] = [];
    out.push(await r.call('config', 'set', 'replica-read-only', 'no'));
    const before = Number((await info(replicaPort, 'stats')).expired_keys);
    out.push(await r.call('set', 'foo', 'bar', 'PX', '1'));
    out.push(await r.call('set', 'kept', 'v', 'EX', '100'));
    out.push(await r.call('set', 'persisted', 'v', 'PX', '50'), await r.call('persist', 'persisted'));
    await waitFor('the replica to expire foo', async () => Number((await info(replicaPort, 'stats')).expired_keys) === before + 1, 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    out.push(Number((await info(replicaPort, 'stats')).expired_keys) - before);
    out.push(await r.call('get', 'foo'), await r.call('dbsize'), await r.call('get', 'persisted'));
    return out;
  } finally {
    r.disconnect();
  }
}

describe('a writable replica', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-writable-replica-'));
  let master: SpawnedServer;
  let replica: SpawnedServer;
  let redisMaster: ReferenceRedis | undefined;
  let redisReplica: ReferenceRedis | undefined;
  beforeAll(async () => {
    const key = newMasterKey();
    master = await startNode(key);
    replica = await startNode(key, [], { host: '127.0.0.1', port: master.port });
    if (hasRedisServer) {
      // The redis-server replica writes the copy it receives to dump.rdb in its dir.
      redisMaster = await startRedis(['--dir', dir]);
      redisReplica = await startRedis(['--dir', dir, '--replicaof', '127.0.0.1', String(redisMaster.port)]);
    }
  });
  afterAll(async () => {
    await Promise.all([replica?.stop(), master?.stop(), redisReplica?.stop(), redisMaster?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('expires the keys its own clients gave a TTL, and only once their time has passed', async () => {
    await linkUp(replica.port);
    const ours = await steps(replica.port);
    expect(ours).toEqual(['OK', 'OK', 'OK', 'OK', 1, 1, null, 2, 'v']);
    if (redisReplica) {
      await linkUp(redisReplica.port);
      expect(await steps(redisReplica.port)).toEqual(ours);
    }
  });
});
