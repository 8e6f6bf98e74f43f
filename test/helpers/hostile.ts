// Tools for tests that play a hostile client against a real server process: the CPU time and
// resident memory of a process (from /proc), and a second client that keeps sending PING to see
// how long the others wait. The reference redis-server comes from reference-redis.ts.

import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { hasRedisServer, startRedis, type ReferenceRedis } from './reference-redis.js';
import { spawnServer, type SpawnedServer } from './server.js';

export { hasRedisServer, startRedis, type ReferenceRedis } from './reference-redis.js';

/** A server an attack is measured on: where to connect, and whose /proc to read. */
export interface Target {
  name: string;
  port: number;
  pid: number;
}

/** The servers of a describe block: filled in before its tests run. */
export interface SideBySide {
  server: SpawnedServer;
  ours: Target;
  /** redis-server beside it, null where it is not installed. */
  theirs: Target | null;
}

/** For a describe block: a spawned sealkv and, where installed, redis-server, both stopped after. */
export function sideBySide(): SideBySide {
  const run = { theirs: null } as SideBySide;
  let redis: ReferenceRedis | null = null;
  beforeAll(async () => {
    run.server = await spawnServer();
    run.ours = { name: 'sealkv', port: run.server.port, pid: run.server.process.pid! };
    if (hasRedisServer) {
      redis = await startRedis();
      run.theirs = { name: 'redis-server', port: redis.port, pid: redis.pid };
    } else {
      console.log('redis-server not installed: comparisons skipped');
    }
  }, 60_000);
  afterAll(async () => {
    await run.server?.stop();
    await redis?.stop();
  });
  return run;
}

export function writeAll(s: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const TICKS = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on Linux

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export const MB = 1024 * 1024;

/**
 * A raw connection. With halfOpen the socket keeps writing after the server's FIN, as a Tcl or
 * C client does: only a real close (writes failing) stops it.
 */
export function rawConnect(port: number, halfOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: halfOpen }, () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * A client that sends PING, waits for +PONG, pauses `gapMs` and repeats, until stop(): the
 * longest wait it saw is how long the server kept other clients waiting.
 */
export async function pingProbe(port: number, gapMs = 10): Promise<{ peek(): number; stop(): Promise<{ maxMs: number; count: number }> }> {
  const s = await rawConnect(port);
  let stopped = false;
  let maxMs = 0;
  let count = 0;
  let sentAt = 0;
  let waiting: (() => void) | null = null;
  s.on('data', () => {
    maxMs = Math.max(maxMs, performance.now() - sentAt);
    count++;
    const answered = waiting;
    waiting = null;
    answered?.();
  });
  s.on('error', () => undefined);
  const loop = (async () => {
    while (!stopped) {
      const answered = new Promise<void>((r) => (waiting = r));
      sentAt = performance.now();
      s.write('PING\r\n');
      await answered;
      await sleep(gapMs);
    }
  })();
  return {
    /** The longest wait so far, counting a PING still unanswered. */
    peek: () => Math.max(maxMs, waiting !== null && sentAt > 0 ? performance.now() - sentAt : 0),
    stop: async () => {
      stopped = true;
      // A PING in flight counts until it is answered.
      await loop;
      s.destroy();
      return { maxMs, count };
    },
  };
}

/** Resolves when the socket is closed by the peer (end, reset or close), with what it received. */
export function collectUntilClosed(s: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.once('close', () => resolve(Buffer.concat(chunks)));
  });
}
