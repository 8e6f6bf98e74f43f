// The HTTP rate limiters apps put on Redis, against sealkv (issue #16): express-rate-limit with
// rate-limit-redis (its Lua script loaded with SCRIPT LOAD and run with EVALSHA, sent through
// ioredis `call` and node-redis `sendCommand`) and @fastify/rate-limit's Redis store (an ioredis
// defineCommand script). Each lets the first requests through, refuses the rest with 429 and the
// counts the library read back, and leaves one counter key expiring with the window.

import type { AddressInfo } from 'node:net';
import rateLimitPlugin from '@fastify/rate-limit';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { RedisStore, type SendCommandFn } from 'rate-limit-redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

let server: SpawnedServer;
let io: Redis;
let nodeRedis: ReturnType<typeof createClient>;

beforeAll(async () => {
  server = await spawnServer();
  io = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  nodeRedis = createClient({ socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false } });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
});
afterAll(async () => {
  io?.disconnect();
  nodeRedis?.destroy();
  await server?.stop();
});

/**
 * Status and IETF draft-8 `RateLimit` header of `count` requests in a row to an express app,
 * the header's seconds to reset (t=, 5 or less as the window runs) shown as `t=T`.
 */
async function hitExpress(sendCommand: SendCommandFn, prefix: string, count: number): Promise<[number, string | null][]> {
  const app = express();
  app.use(rateLimit({ windowMs: 5000, limit: 3, standardHeaders: 'draft-8', legacyHeaders: false, store: new RedisStore({ sendCommand, prefix }) }));
  app.get('/', (_req, res) => res.send('ok'));
  const listener = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const l = app.listen(0, '127.0.0.1', () => resolve(l));
  });
  try {
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
    const seen: [number, string | null][] = [];
    for (let i = 0; i < count; i++) {
      const res = await fetch(url);
      await res.text();
      const header = res.headers.get('ratelimit');
      const t = Number(/; t=(\d+)$/.exec(header ?? '')?.[1]);
      seen.push([res.status, t >= 1 && t <= 5 ? header!.replace(/t=\d+$/, 't=T') : header]);
    }
    return seen;
  } finally {
    listener.close();
  }
}

const EXPECTED_EXPRESS: [number, string][] = [
  [200, '"3-in-5sec"; r=2; t=T'],
  [200, '"3-in-5sec"; r=1; t=T'],
  [200, '"3-in-5sec"; r=0; t=T'],
  [429, '"3-in-5sec"; r=0; t=T'],
  [429, '"3-in-5sec"; r=0; t=T'],
];

describe('express-rate-limit with rate-limit-redis on sealkv', () => {
  it('counts through ioredis call(): three requests pass, the rest get 429', async () => {
    expect(await hitExpress((command, ...args) => io.call(command, ...args) as never, 'erl-io:', 5)).toEqual(EXPECTED_EXPRESS);
    const [key] = await io.keys('erl-io:*');
    expect(await io.get(key!)).toBe('5');
    const pttl = await io.pttl(key!);
    expect(pttl).toBeGreaterThan(3000);
    expect(pttl).toBeLessThanOrEqual(5000);
  });

  it('counts through node-redis sendCommand(), reloads its script after SCRIPT FLUSH, and resetKey empties the counter', async () => {
    const sendCommand: SendCommandFn = (...args) => nodeRedis.sendCommand(args) as never;
    expect(await hitExpress(sendCommand, 'erl-nr:', 5)).toEqual(EXPECTED_EXPRESS);
    const [key] = await io.keys('erl-nr:*');
    expect(await io.get(key!)).toBe('5');
    const store = new RedisStore({ sendCommand, prefix: 'erl-nr:' });
    store.init({ windowMs: 5000 } as never);
    const client = key!.slice('erl-nr:'.length);
    expect(await store.get(client)).toMatchObject({ totalHits: 5 });
    // After SCRIPT FLUSH, EVALSHA answers NOSCRIPT and the store loads its script again.
    expect(await io.script('FLUSH')).toBe('OK');
    expect(await store.increment(client)).toMatchObject({ totalHits: 6 });
    await store.decrement(client);
    expect(await io.get(key!)).toBe('5');
    await store.resetKey(client);
    expect(await io.exists(key!)).toBe(0);
  });
});

describe('@fastify/rate-limit with its Redis store on sealkv', () => {
  it('lets max requests through in the window, then answers 429 with Retry-After', async () => {
    const app = Fastify();
    await app.register(rateLimitPlugin, { max: 3, timeWindow: 5000, redis: io, nameSpace: 'frl:' });
    app.get('/', async () => 'ok');
    await app.ready();
    try {
      const seen: [number, unknown, unknown][] = [];
      for (let i = 0; i < 5; i++) {
        const res = await app.inject({ method: 'GET', url: '/' });
        seen.push([res.statusCode, res.headers['x-ratelimit-remaining'], res.headers['retry-after']]);
      }
      expect(seen).toEqual([[200, '2', undefined], [200, '1', undefined], [200, '0', undefined], [429, '0', '5'], [429, '0', '5']]);
      expect(await io.keys('frl:*')).toEqual(['frl:127.0.0.1']);
      const pttl = await io.pttl('frl:127.0.0.1');
      expect(pttl).toBeGreaterThan(3000);
      expect(pttl).toBeLessThanOrEqual(5000);
    } finally {
      await app.close();
    }
  });

  it('continueExceeding: each refused request starts the window again, also after SCRIPT FLUSH', async () => {
    const app = Fastify();
    await app.register(rateLimitPlugin, { max: 1, timeWindow: 5000, redis: io, nameSpace: 'frl2:', continueExceeding: true });
    app.get('/', async () => 'ok');
    await app.ready();
    try {
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(429);
      await io.pexpire('frl2:127.0.0.1', 1000);
      // ioredis's defineCommand falls back from EVALSHA to EVAL on NOSCRIPT.
      expect(await io.script('FLUSH')).toBe('OK');
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(429);
      // The script's PEXPIRE put the full window back.
      expect(await io.pttl('frl2:127.0.0.1')).toBeGreaterThan(4000);
      expect(await io.get('frl2:127.0.0.1')).toBe('3');
    } finally {
      await app.close();
    }
  });
});
