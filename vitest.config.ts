import { defineConfig } from 'vitest/config';

/** Command-family suites run a second time with key names sealed (setting seal-keys). */
const SEAL_KEYS_SUITES = ['keys', 'strings', 'hashes', 'expiry', 'transactions', 'spill', 'pubsub', 'keyspace-notifications', 'lists', 'blocking-lists', 'client-tracking', 'packed-collections', 'bulk-commands']
  .map((f) => `test/functional/${f}.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only fight over them and make socket tests flaky.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      // test/helpers/server.ts adds seal-keys to every in-process server when this is set.
      { extends: true, test: { name: 'seal-keys', include: SEAL_KEYS_SUITES, env: { SEALKV_TEST_SEAL_KEYS: 'yes' } } },
    ],
  },
});
