// node-resque, the Resque-compatible job queue (lists per queue, a sorted set of delayed
// timestamps moved by a Scheduler that takes a leader lock, stats counters and per-worker
// records), on its own ioredis 5, against sealkv: a job runs with its arguments, a delayed one
// is moved and run, a failing one lands in the failed list with its error, and the stats,
// queue and worker records read back.

import { Queue, Scheduler, Worker, type Jobs } from 'node-resque';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('node-resque on sealkv', () => {
  it('runs, delays and fails jobs and keeps its records', async () => {
    const connection = { pkg: 'ioredis', host: '127.0.0.1', port: server.port, namespace: 'resque' };
    const jobs: Jobs = {
      add: { perform: async (a: number, b: number) => a + b },
      boom: { perform: async () => { throw new Error('boom'); } },
    };
    const queue = new Queue({ connection }, jobs);
    const scheduler = new Scheduler({ connection, timeout: 50 });
    const worker = new Worker({ connection, queues: ['math'], timeout: 50 }, jobs);
    const errors: unknown[] = [];
    for (const emitter of [queue, scheduler, worker]) emitter.on('error', (err: unknown) => errors.push(err));
    const results: [string, unknown][] = [];
    const failures: [string, string][] = [];
    worker.on('success', (_q: string, job: { class: string }, result: unknown) => results.push([job.class, result]));
    worker.on('failure', (_q: string, job: { class: string }, err: Error) => failures.push([job.class, err.message]));
    try {
      await queue.connect();
      await scheduler.connect();
      await worker.connect();

      await queue.enqueue('math', 'add', [1, 2]);
      await queue.enqueueAt(Date.now() + 1000, 'math', 'add', [10, 20]);
      expect(await queue.length('math')).toBe(1);
      expect(await queue.scheduledAt('math', 'add', [10, 20])).toHaveLength(1);
      expect(Object.values(await queue.allDelayed())).toEqual([[{ class: 'add', queue: 'math', args: [10, 20] }]]);
      await queue.enqueue('math', 'boom', []);

      scheduler.start();
      worker.start();
      for (const start = Date.now(); (results.length < 2 || failures.length < 1) && Date.now() - start < 8000;) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(results).toEqual([['add', 3], ['add', 30]]);
      expect(failures).toEqual([['boom', 'boom']]);
      expect(await queue.failedCount()).toBe(1);
      const [failed] = await queue.failed(0, 10);
      expect(failed).toMatchObject({ queue: 'math', exception: 'Error', error: 'boom', payload: { class: 'boom', args: [] } });
      const stats = await queue.stats();
      expect([stats.processed, stats.failed]).toEqual(['2', '1']);
      expect(await queue.queues()).toEqual(['math']);
      expect(await queue.length('math')).toBe(0);
      expect(await queue.allDelayed()).toEqual({});
      expect(Object.values(await queue.workers())).toEqual(['math']);
      expect(errors).toEqual([]);
    } finally {
      await worker.end();
      await scheduler.end();
      await queue.end();
    }
  });
});
