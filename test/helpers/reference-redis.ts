// A throwaway redis-server for differential tests: same commands, compare answers. Tests that
// use it skip (with a message) where redis-server is not installed.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './server.js';
import { ioredis } from './clients.js';
import type { Redis } from 'ioredis';

export const hasRedisServer = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
})();
if (!hasRedisServer) console.warn('redis-server not found: skipping differential tests against it');

export interface ReferenceRedis {
  port: number;
  client: Redis;
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port with no persistence; resolves once it answers PING. */
export async function startReferenceRedis(): Promise<ReferenceRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const client = ioredis(port, { retryStrategy: (n: number) => (n > 50 ? null : 50) });
  await client.ping();
  return {
    port,
    client,
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
