// A sealkv server and, where Debian's redis-server is installed, a reference redis-server, both
// started once for a test file: the library tests run each scenario on both and expect the
// same readings, which shows their expectations are Redis's own.

import { afterAll, beforeAll } from 'vitest';
import { hasRedisServer, startRedis, type ReferenceRedis } from './reference-redis.js';
import { spawnServer, type SpawnedServer } from './server.js';

export interface BesideRedis {
  sealkv: SpawnedServer;
  /** Undefined where redis-server is not installed: the comparison is skipped. */
  redis: ReferenceRedis | undefined;
}

/** Starts both servers before the file's tests and stops them after. */
export function sealkvBesideRedis(args: string[] = []): BesideRedis {
  const servers = { redis: undefined } as BesideRedis;
  beforeAll(async () => {
    [servers.sealkv, servers.redis] = await Promise.all([spawnServer(args), hasRedisServer ? startRedis() : undefined]);
  });
  afterAll(async () => {
    await Promise.all([servers.sealkv?.stop(), servers.redis?.stop()]);
  });
  return servers;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `everyMs` until it holds; throws naming `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000, everyMs = 20): Promise<void> {
  for (const start = Date.now(); !(await check()); await sleep(everyMs)) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
  }
}
