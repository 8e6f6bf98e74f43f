// redis-rb 4.8 and Sidekiq 6.4 (Debian 12's ruby-redis and ruby-sidekiq) against sealkv, as
// Ruby apps use them: test/clients/ruby/redis_rb.rb checks one command family per run on what
// the library reads back (strings with expiry, hashes, lists, sets, sorted sets with scores,
// scan_each, pipelined, multi/watch with a conflicting write, pub/sub, eval/evalsha with the
// NOSCRIPT fallback, info, blpop, streams, client, ACL users, select), and sidekiq_check.rb
// pushes jobs, runs a real `sidekiq -c 2` process on them and reads the results back through
// Redis and Sidekiq's API.

import { afterAll, beforeAll, describe, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';
import { commandWorks, expectPassed, familyTests, runScript, RUBY_DIR } from '../helpers/client-scripts.js';

const hasRedisRb = commandWorks('ruby', ['-e', 'require "redis"']);
const hasSidekiq = hasRedisRb && commandWorks('ruby', ['-e', 'require "sidekiq"']) && commandWorks('sh', ['-c', 'command -v sidekiq']);
// CI installs them (.ci/run); elsewhere a machine without Ruby skips rather than fails.
const rubyMissing = !hasRedisRb && process.env.CI !== 'true';
const sidekiqMissing = !hasSidekiq && process.env.CI !== 'true';

let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

const FAMILIES = ['strings', 'hashes', 'lists', 'sets', 'zsets', 'scan', 'pipelined', 'multi', 'pubsub', 'scripting', 'info', 'blpop', 'streams', 'client', 'acl', 'monitor', 'select'];

describe.skipIf(rubyMissing)('redis-rb 4.8 on sealkv', () => {
  familyTests('ruby', RUBY_DIR, 'redis_rb.rb', FAMILIES, () => server.port);
});

describe.skipIf(sidekiqMissing)('Sidekiq 6.4 on sealkv', () => {
  it('runs jobs now, scheduled and failing into the retry set, read back through its API', async () => {
    expectPassed(await runScript('ruby', RUBY_DIR, 'sidekiq_check.rb', [server.port], 40_000), ['sidekiq']);
  }, 45_000);
});
