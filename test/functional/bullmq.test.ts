// BullMQ, the queue most Node apps put on Redis, against sealkv: it runs its work in Lua scripts
// over lists, sorted sets, hashes and streams, blocks on BZPOPMIN and XREAD BLOCK, and keeps its
// events in a stream. Jobs complete with their return values, a delayed job waits its delay, a
// failing job is retried and then failed, priorities order the waiting jobs, and QueueEvents
// hears every completion.

import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

let server: SpawnedServer;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await server?.stop();
});

function connection() {
  return { host: '127.0.0.1', port: server.port };
}

function track<T extends { close(): Promise<unknown> }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

/** Resolves once `count` events of `name` arrived, with their payloads; rejects after `ms`. */
function collect<T>(events: QueueEvents, name: 'completed' | 'failed', count: number, ms = 15_000): Promise<T[]> {
  const got: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} '${name}' events`)), ms);
    events.on(name, (payload: unknown) => {
      got.push(payload as T);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe('BullMQ on sealkv', () => {
  it('runs jobs, delays, retries and fails them, and reports every completion', async () => {
    const queue = track(new Queue('work', { connection: connection() }));
    const events = track(new QueueEvents('work', { connection: connection() }));
    await events.waitUntilReady();
    const completed = collect<{ jobId: string; returnvalue: unknown }>(events, 'completed', 6);
    const failed = collect<{ jobId: string; failedReason: string }>(events, 'failed', 1);
    const attempts = new Map<string, number>();
    const worker = track(new Worker('work', async (job: Job) => {
      attempts.set(job.id!, (attempts.get(job.id!) ?? 0) + 1);
      if (job.data.fail) throw new Error('boom');
      await job.updateProgress(50);
      return job.data.n * 2;
    }, { connection: connection() }));
    const started = Date.now();
    for (let i = 0; i < 5; i++) await queue.add('double', { n: i });
    const delayed = await queue.add('later', { n: 100 }, { delay: 400 });
    const bad = await queue.add('bad', { fail: true }, { attempts: 2 });

    const done = await completed;
    expect(done.map((d) => Number(d.returnvalue)).sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 200]);
    const [failure] = await failed;
    expect(failure!.jobId).toBe(bad.id);
    expect(failure!.failedReason).toBe('boom');
    expect(attempts.get(bad.id!)).toBe(2);
    const later = await queue.getJob(delayed.id!);
    expect(later!.finishedOn! - started).toBeGreaterThanOrEqual(400);
    expect(await later!.getState()).toBe('completed');
    expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active')).toEqual({
      completed: 6, failed: 1, waiting: 0, delayed: 0, active: 0,
    });
    await worker.close();
  }, 30_000);

  it('takes waiting jobs by priority', async () => {
    const queue = track(new Queue('ranked', { connection: connection() }));
    for (const [name, priority] of [['low', 10], ['high', 1], ['mid', 5]] as const) await queue.add(name, {}, { priority });
    const order: string[] = [];
    const events = track(new QueueEvents('ranked', { connection: connection() }));
    await events.waitUntilReady();
    const completed = collect(events, 'completed', 3);
    track(new Worker('ranked', async (job: Job) => {
      order.push(job.name);
    }, { connection: connection(), concurrency: 1 }));
    await completed;
    expect(order).toEqual(['high', 'mid', 'low']);
  }, 30_000);
});
