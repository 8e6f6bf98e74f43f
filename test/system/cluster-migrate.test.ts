// Resharding slots that hold keys between two sealkv nodes with redis-cli --cluster reshard,
// which moves keys with MIGRATE ... KEYS (RESTORE-ASKING on the target, sealed payloads). Every
// key of every type must be readable after the move, through MOVED redirections, and live on
// the node that owns its slot now.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { hasRedisCli } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const run = promisify(execFile);
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(2);
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

describe.skipIf(!hasRedisCli)('redis-cli --cluster reshard of slots holding keys', () => {
  it('moves 1000 slots with their keys of every type, and clients find them after MOVED', async () => {
    const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const client = new Cluster([{ host: '127.0.0.1', port: a.port }], { redisOptions: { maxRetriesPerRequest: 2 } });
    try {
      const N = 300;
      for (let i = 0; i < N; i++) {
        await Promise.all([
          client.set(`s:${i}`, `v${i}`, 'PX', 600_000),
          client.rpush(`l:${i}`, 'a', `${i}`),
          client.hset(`h:${i}`, 'f', `${i}`),
          client.zadd(`z:${i}`, i, 'm'),
          client.sadd(`t:${i}`, `${i}`, 'x'),
          client.xadd(`x:${i}`, '1-1', 'f', `${i}`),
        ]);
      }
      const { stdout } = await run('redis-cli', [
        '--cluster', 'reshard', `127.0.0.1:${a.port}`, '--cluster-from', a.id, '--cluster-to', b.id,
        '--cluster-slots', '1000', '--cluster-yes',
      ], { timeout: 240_000, maxBuffer: 16 << 20 });
      expect(stdout).toContain('Moving slot');
      const moved = (key: string) => keySlot(Buffer.from(key)) < 1000;
      const da = new Redis({ port: a.port, host: '127.0.0.1' });
      const db = new Redis({ port: b.port, host: '127.0.0.1' });
      try {
        let movedKeys = 0;
        for (let i = 0; i < N; i++) {
          expect(await client.get(`s:${i}`)).toBe(`v${i}`);
          expect(await client.pttl(`s:${i}`)).toBeGreaterThan(500_000);
          expect(await client.lrange(`l:${i}`, 0, -1)).toEqual(['a', `${i}`]);
          expect(await client.hget(`h:${i}`, 'f')).toBe(`${i}`);
          expect(await client.zscore(`z:${i}`, 'm')).toBe(`${i}`);
          expect((await client.smembers(`t:${i}`)).sort()).toEqual([`${i}`, 'x'].sort());
          expect(await client.xrange(`x:${i}`, '-', '+')).toEqual([['1-1', ['f', `${i}`]]]);
          for (const prefix of ['s', 'l', 'h', 'z', 't', 'x']) {
            const key = `${prefix}:${i}`;
            if (!moved(key)) continue;
            movedKeys++;
            // Served by b now: a answers MOVED, and b has it (ASKING not needed any more).
            await expect(da.call('type', key)).rejects.toThrow(/^MOVED /);
            expect(await db.exists(key)).toBe(1);
          }
        }
        expect(movedKeys).toBeGreaterThan(0);
        const { stdout: check } = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${a.port}`], { timeout: 60_000 });
        expect(check).toContain('[OK] All 16384 slots covered.');
      } finally {
        da.disconnect();
        db.disconnect();
      }
    } finally {
      client.disconnect();
    }
  }, 300_000);
});
