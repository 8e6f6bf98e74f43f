// The common functional-test fixture: one in-process server and one ioredis client per test
// file, every database emptied before each test.

import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Redis } from 'ioredis';
import { ioredis, runner } from './clients.js';
import { startInProcess, type InProcessServer } from './server.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

export interface Fixture {
  server: InProcessServer;
  client: Redis;
  run: ReturnType<typeof runner>;
}

/**
 * A stand-in for an object that exists only once beforeAll has run: property reads go to the
 * live object, so tests can name `server` and `client` at module level.
 */
export function late<T extends object>(current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_stub, property) {
      const target = current();
      if (target === undefined) throw new Error('fixture used before beforeAll ran');
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * @param options.wipe empty every database before each test (default); files whose tests build
 *   on each other's state, or clean up their own way, turn it off.
 * @param options.tmpfs mount a real tmpfs of this size (e.g. '16m') as the server's spill-dir,
 *   unmounted after the file; callers skip when tmpfsUnavailable.
 */
export function withServer(
  settings: Record<string, string> = {},
  startAt?: number,
  options: { wipe?: boolean; tmpfs?: string } = {},
): Fixture {
  let live: { server: InProcessServer; client: Redis; run: ReturnType<typeof runner> } | undefined;
  let tmpfs: Tmpfs | undefined;
  beforeAll(async () => {
    if (options.tmpfs !== undefined) tmpfs = mountTmpfs(options.tmpfs);
    const server = await startInProcess(tmpfs ? { ...settings, 'spill-dir': tmpfs.dir } : settings, startAt);
    const client = ioredis(server.port);
    live = { server, client, run: runner(client) };
  });
  afterAll(async () => {
    live?.client.disconnect();
    await live?.server.stop();
    tmpfs?.unmount();
  });
  if (options.wipe !== false) {
    beforeEach(() => {
      for (const db of live!.server.running.state.databases) db.clear();
    });
  }
  return {
    server: late(() => live?.server),
    client: late(() => live?.client),
    run: (args) => live!.run(args),
  };
}
