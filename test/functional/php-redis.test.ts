// phpredis 5.3 on PHP 8.2 (Debian 12's php-cli and php-redis) against sealkv, as PHP apps use
// it: test/clients/php/phpredis.php checks one family per run on what phpredis reads back (its
// reply shapes for floats, zRange with scores, hGetAll, scan with the iterator by reference,
// multi()/pipeline(), eval with the NOSCRIPT fallback, info, blocking pops with READ_TIMEOUT,
// its serializers, select, streams, client, auth with [user, pass], pub/sub in forked
// subscribers), session.php runs PHP's redis session handler in separate PHP processes, and
// cluster.php runs RedisCluster over a two-node sealkv cluster.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';
import { startCluster } from '../helpers/cluster.js';
import { commandWorks, expectPassed, familyTests, PHP_DIR, runScript } from '../helpers/client-scripts.js';

const hasPhpRedis = commandWorks('php', ['-r', 'exit(extension_loaded("redis") && function_exists("pcntl_fork") ? 0 : 1);']);
// CI installs them (.ci/run); elsewhere a machine without PHP skips rather than fails.
const phpMissing = !hasPhpRedis && process.env.CI !== 'true';

let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

const FAMILIES = ['strings', 'hashes', 'lists', 'sets', 'zsets', 'scan', 'multi', 'scripting', 'info', 'blocking', 'serializer', 'select', 'streams', 'client', 'acl', 'pubsub'];

describe.skipIf(phpMissing)('phpredis 5.3 on sealkv', () => {
  familyTests('php', PHP_DIR, 'phpredis.php', FAMILIES, () => server.port);

  it('session handler: a session written by one PHP process is read and changed by another', async () => {
    expectPassed(await runScript('php', PHP_DIR, 'session.php', [server.port]), ['session']);
  });

  // INFO said redis_mode:standalone on a cluster node, where Redis says cluster.
  it('RedisCluster over two nodes: keys by slot, cross-slot MGET/MSET/DEL, MULTI, EVAL, SCAN and INFO per master', async () => {
    const cluster = await startCluster(2);
    try {
      expectPassed(await runScript('php', PHP_DIR, 'cluster.php', cluster.nodes.map((n) => n.port)), ['cluster']);
    } finally {
      await cluster.stop();
    }
  });
});
