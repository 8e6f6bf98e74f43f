// Bottleneck in its clustering mode (datastore 'ioredis'), as apps share one rate limit between
// processes: its state lives in Redis hashes and sorted sets, changed only by its Lua scripts
// (EVALSHA after SCRIPT LOAD, time from the server's TIME), and limiters hear of freed capacity
// over pub/sub. Two limiters with one id share a reservoir and a concurrency cap; a reservoir
// refill lets the held jobs go; one limiter runs its jobs in order; a Group keys limiters by
// name. The same scenario runs on redis-server, whose readings must be the same.

import Bottleneck from 'bottleneck';
import { describe, expect, it } from 'vitest';
import { sealkvBesideRedis, sleep, until } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();

/** What an app sees of a shared limiter: which jobs ran when, the counts and reservoir read back. */
async function sharedReservoir(port: number) {
  const options = {
    id: 'shared', datastore: 'ioredis' as const, clearDatastore: true,
    clientOptions: { host: '127.0.0.1', port }, maxConcurrent: 2, reservoir: 5,
  };
  const a = new Bottleneck(options);
  await a.ready();
  // The second "process" joins without clearing what the first set up.
  const b = new Bottleneck({ ...options, clearDatastore: false });
  await b.ready();
  try {
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    const job = (name: string) => async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(40);
      running--;
      ran.push(name);
      return name.toUpperCase();
    };
    const results = ['a1', 'b1', 'a2', 'b2', 'a3', 'b3', 'a4', 'b4'].map((n) => (n[0] === 'a' ? a : b).schedule(job(n)));
    await until(() => ran.length === 5, 'the reservoir of 5 to be spent');
    await sleep(150);
    const held = { ran: ran.length, reservoir: await a.currentReservoir(), queued: a.queued() + b.queued(), running: await b.running() };
    expect(await b.incrementReservoir(3)).toBe(3);
    const all = await Promise.all(results);
    return { held, all, peak, reservoir: await b.currentReservoir(), done: await a.done(), clusterQueued: await a.clusterQueued() };
  } finally {
    await Promise.all([a.disconnect(), b.disconnect()]);
  }
}

/** One limiter, one job at a time, a minimum gap: the jobs finish in the order scheduled. */
async function inOrder(port: number) {
  const limiter = new Bottleneck({
    id: 'ordered', datastore: 'ioredis', clearDatastore: true, clientOptions: { host: '127.0.0.1', port },
    maxConcurrent: 1, minTime: 20, trackDoneStatus: true,
  });
  try {
    const order: number[] = [];
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => limiter.schedule({ id: `j${i}`, priority: 5 }, async () => order.push(i))));
    return { order, took: Date.now() - started, counts: limiter.counts(), status: limiter.jobStatus('j3'), done: await limiter.done() };
  } finally {
    await limiter.disconnect();
  }
}

/** A Group: one limiter per key, sharing one connection, each with its own reservoir. */
async function group(port: number) {
  const connection = new Bottleneck.IORedisConnection({ clientOptions: { host: '127.0.0.1', port } });
  // Its typings say ready(), but the connection's ready is a promise.
  await (connection as unknown as { ready: Promise<unknown> }).ready;
  const g = new Bottleneck.Group({ datastore: 'ioredis', connection, clearDatastore: true, maxConcurrent: 1, reservoir: 2, timeout: 10_000 });
  try {
    const got: string[] = [];
    const tasks = ['u1', 'u2', 'u1', 'u2', 'u1'].map((user, i) => g.key(user).schedule(async () => got.push(`${user}#${i}`)));
    await Promise.all(tasks.filter((_, i) => i !== 4));
    await sleep(150);
    const held = { got: [...got].sort(), u1: await g.key('u1').currentReservoir(), u2: await g.key('u2').currentReservoir() };
    await g.key('u1').incrementReservoir(1);
    await tasks[4];
    return { held, got: [...got].sort(), keys: g.keys().sort(), clusterKeys: (await g.clusterKeys()).sort() };
  } finally {
    await g.disconnect(false);
    await connection.disconnect();
  }
}

describe('Bottleneck (ioredis clustering) on sealkv', () => {
  it('two limiters with one id share the reservoir and the concurrency cap', async () => {
    const seen = await sharedReservoir(servers.sealkv.port);
    // Which limiter's jobs won the reservoir is a race; that 3 wait, none running, is not.
    expect(seen.held).toEqual({ ran: 5, reservoir: 0, queued: 3, running: 0 });
    expect(seen.all).toEqual(['A1', 'B1', 'A2', 'B2', 'A3', 'B3', 'A4', 'B4']);
    expect(seen.peak).toBeLessThanOrEqual(2);
    expect(seen).toMatchObject({ reservoir: 0, done: 8, clusterQueued: 0 });
    if (servers.redis) expect(seen).toEqual({ ...(await sharedReservoir(servers.redis.port)), peak: seen.peak });
  }, 20_000);

  it('one job at a time runs the jobs in order, minTime apart', async () => {
    const seen = await inOrder(servers.sealkv.port);
    expect(seen.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.took).toBeGreaterThanOrEqual(5 * 20);
    expect(seen.counts).toEqual({ RECEIVED: 0, QUEUED: 0, RUNNING: 0, EXECUTING: 0, DONE: 6 });
    expect(seen.status).toBe('DONE');
    expect(seen.done).toBe(6);
    if (servers.redis) expect({ ...(await inOrder(servers.redis.port)), took: 0 }).toEqual({ ...seen, took: 0 });
  }, 20_000);

  it('a Group keeps one reservoir per key', async () => {
    const seen = await group(servers.sealkv.port);
    expect(seen).toEqual({
      held: { got: ['u1#0', 'u1#2', 'u2#1', 'u2#3'], u1: 0, u2: 0 },
      got: ['u1#0', 'u1#2', 'u1#4', 'u2#1', 'u2#3'],
      keys: ['u1', 'u2'],
      clusterKeys: ['u1', 'u2'],
    });
    if (servers.redis) expect(await group(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
