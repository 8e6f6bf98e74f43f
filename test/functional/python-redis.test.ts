// redis-py 4.3 (Debian 12's python3-redis) as Python apps use it, with its pure-Python parser
// and with hiredis, sync and asyncio: every command family, pipelines and WATCH, pub/sub with
// run_in_thread, Lock and register_script (Lua), streams with consumer groups, CLIENT LIST and
// INFO parsed into dicts, ACL users with AUTH by username. The scripts in test/clients/python/
// check what the library reads back and exit 1 naming the first wrong value.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../helpers/cluster.js';
import { familiesPassed, hasPythonModules, runPython, type ScriptRun } from '../helpers/client-scripts.js';
import { hasRedisServer, startRedis } from '../helpers/reference-redis.js';
import { linkUp, newMasterKey, startNode } from '../helpers/replication.js';
import { hasSentinel, SENTINEL_NAME, startSentinel, topologyDiscovered } from '../helpers/sentinel.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const hasRedisPy = hasPythonModules('redis', 'hiredis');
if (!hasRedisPy) console.warn('python-redis: python3-redis / python3-hiredis not installed, skipped');

let server: SpawnedServer;
beforeAll(async () => {
  if (hasRedisPy) server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Fails with the script's own message (the first wrong read-back) rather than only its exit code. */
function expectPassed(run: ScriptRun, lastLine: string): void {
  expect({ code: run.code, stderr: run.stderr.trim() }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout.trim().split('\n').at(-1)).toBe(lastLine);
}

const SYNC_SECTIONS = [
  'strings with expiry', 'hashes', 'lists', 'sets', 'sorted sets', 'scan iterators', 'pipelines', 'watch/multi',
  'pub/sub', 'lock', 'register_script', 'streams', 'client, info, introspection', 'blocking pops',
  'acl and auth with username', 'monitor', 'bytes round trip',
];
const ASYNC_SECTIONS = [
  'async strings, hashes, sorted sets', 'async scan iterators', 'async pipelines and watch', 'async pub/sub',
  'async lock and script', 'async streams', 'async blocking pops and info',
];

describe.skipIf(!hasRedisPy)('redis-py on sealkv', () => {
  for (const parser of ['python', 'hiredis']) {
    it(`sync client, ${parser} parser`, async () => {
      const run = await runPython('redis_sync.py', [server.port, parser]);
      expectPassed(run, `redis-py sync ok ${parser}`);
      expect(familiesPassed(run)).toEqual(SYNC_SECTIONS);
    });
    it(`asyncio client, ${parser} parser`, async () => {
      const run = await runPython('redis_async.py', [server.port, parser]);
      expectPassed(run, `redis-py asyncio ok ${parser}`);
      expect(familiesPassed(run)).toEqual(ASYNC_SECTIONS);
    });
  }
});

// The scripts' expectations are Redis's own: the same scripts pass against redis-server 7.0.
describe.skipIf(!hasRedisPy || !hasRedisServer)('the redis-py scripts against redis-server', () => {
  it('sync and asyncio, hiredis parser', async () => {
    const redis = await startRedis();
    try {
      const sync = await runPython('redis_sync.py', [redis.port, 'hiredis']);
      expectPassed(sync, 'redis-py sync ok hiredis');
      expect(familiesPassed(sync)).toEqual(SYNC_SECTIONS);
      const aio = await runPython('redis_async.py', [redis.port, 'hiredis']);
      expectPassed(aio, 'redis-py asyncio ok hiredis');
    } finally {
      await redis.stop();
    }
  });
});

describe.skipIf(!hasRedisPy)('redis-py topologies on sealkv', () => {
  it('RedisCluster over two sealkv cluster nodes', async () => {
    const cluster = await startCluster(2);
    try {
      const run = await runPython('redis_topologies.py', ['cluster', cluster.nodes[0]!.port, 2]);
      expectPassed(run, 'redis-py cluster ok');
      expect(familiesPassed(run)).toEqual(['cluster topology', 'cluster keys', 'cluster pipeline, script, lock, pub/sub']);
    } finally {
      await cluster.stop();
    }
  });

  it.skipIf(!hasSentinel)('Sentinel: master_for and slave_for through a redis-sentinel watching a sealkv primary and replica', async () => {
    const key = newMasterKey();
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-pysentinel-'));
    const primary = await startNode(key);
    const replica = await startNode(key, [], { host: '127.0.0.1', port: primary.port });
    // Linked before the sentinel starts: its first INFO to the primary then lists the replica
    // (later ones come every 10 s).
    await linkUp(replica.port);
    const sentinel = await startSentinel(dir, primary.port, 0).catch(async (err) => {
      await Promise.all([primary.stop(), replica.stop()]);
      throw err;
    });
    try {
      await topologyDiscovered([sentinel], 1);
      const run = await runPython('redis_topologies.py', ['sentinel', sentinel.port, SENTINEL_NAME, primary.port, replica.port]);
      expectPassed(run, 'redis-py sentinel ok');
      expect(familiesPassed(run)).toEqual(['sentinel discovery', 'sentinel clients']);
    } finally {
      sentinel.process.kill('SIGKILL');
      await Promise.all([primary.stop(), replica.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
