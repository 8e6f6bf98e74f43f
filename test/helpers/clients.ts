// Real clients for functional tests: ioredis, node-redis, redis-cli and a raw socket.

import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

export function ioredis(port: number, options: Record<string, unknown> = {}): Redis {
  return new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1, ...options });
}

/** A `run(['set','k','v'])` helper over ioredis: resolves the reply, or the error's message. */
export function runner(client: Redis) {
  return async (args: (string | Buffer | number)[]): Promise<unknown> => {
    try {
      return await client.call(String(args[0]), ...args.slice(1));
    } catch (err) {
      return { error: (err as Error).message };
    }
  };
}

/** node-redis with its default protocol. */
export async function nodeRedis(port: number) {
  const client = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  return client;
}

export const hasRedisCli = await new Promise<boolean>((resolve) =>
  execFile('redis-cli', ['--version'], (err) => resolve(!err)),
);

/**
 * Under CI redis-cli must be there (.ci/run installs it); elsewhere tests that need it are
 * skipped with this message instead of failing on a machine without redis-tools.
 */
export const redisCliMissing = !hasRedisCli && process.env.CI !== 'true';
if (redisCliMissing) console.warn('redis-cli not found: skipping redis-cli tests (apt-get install redis-tools)');

/** Runs redis-cli against the server; resolves its stdout (redis-cli prints errors there too). */
export function redisCli(port: number, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`redis-cli failed: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** How long rawExchange waits for a first reply byte before it calls the exchange silent. */
const FIRST_REPLY_MS = 1000;

/**
 * Sends raw bytes and collects everything the server answers until it closes the connection
 * or stays quiet for `quietMs` (after a first reply byte; FIRST_REPLY_MS before it).
 */
export function rawExchange(port: number, payload: Buffer | string | (Buffer | string)[], quietMs = 150): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const arm = () => {
      clearTimeout(timer);
      // Until the first reply byte, allow for a machine busy with other tests; then `quietMs` of
      // silence ends the exchange.
      timer = setTimeout(() => done(false), chunks.length === 0 ? Math.max(quietMs, FIRST_REPLY_MS) : quietMs);
    };
    socket.on('data', (d) => {
      chunks.push(d);
      arm();
    });
    socket.on('end', () => done(true));
    // A server that drops a client with unread input resets the connection: that is a close too.
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? done(true) : reject(err)));
    socket.on('connect', async () => {
      const parts = Array.isArray(payload) ? payload : [payload];
      for (const p of parts) {
        socket.write(p);
        if (parts.length > 1) await new Promise((r) => setTimeout(r, 5));
      }
      arm();
    });
  });
}

/** RESP encoding of a command, for raw socket tests. */
export function encodeCommand(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Everything a scan stream (ioredis's scanStream, hscanStream...) yields, and in how many batches. */
export function scanBatches(stream: Readable): Promise<{ items: string[]; batches: number }> {
  return new Promise((resolve, reject) => {
    const items: string[] = [];
    let batches = 0;
    stream.on('data', (batch: string[]) => (batches++, items.push(...batch)));
    stream.on('end', () => resolve({ items, batches }));
    stream.on('error', reject);
  });
}

/** Everything a scan stream yields. */
export async function drainScan(stream: Readable): Promise<string[]> {
  return (await scanBatches(stream)).items;
}
