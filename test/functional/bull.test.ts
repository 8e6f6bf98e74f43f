// Bull 4, BullMQ's predecessor and still in many apps (its own Lua scripts, BRPOPLPUSH for idle
// workers, a delayed sorted set with a pub/sub wake-up, repeatable jobs), on its own ioredis 5,
// against sealkv: jobs complete with their return values, priorities and named processors,
// a delayed job waits, a flaky job succeeds on its retry and a failing one fails after its
// attempts, and the counts, repeatable jobs, pause and clean read back right.

import Queue from 'bull';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

interface Work {
  n?: number;
  flaky?: boolean;
  fail?: boolean;
}

describe('Bull on sealkv', () => {
  it('completes, delays, retries and fails jobs, and keeps its records', async () => {
    const queue = new Queue<Work>('bull-work', { redis: { host: '127.0.0.1', port: server.port } });
    try {
      const attempts = new Map<string, number>();
      const completed: [string, unknown][] = [];
      const failed: [string, string][] = [];
      let delayedDoneAt = 0;
      queue.on('completed', (job, result) => completed.push([String(job.id), result]));
      queue.on('failed', (job, err) => failed.push([String(job.id), err.message]));
      void queue.process(2, async (job) => {
        const id = String(job.id);
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        if (job.data.fail) throw new Error('boom');
        if (job.data.flaky && attempts.get(id)! < 2) throw new Error('not yet');
        if (job.opts.delay) delayedDoneAt = Date.now();
        await job.progress(50);
        return job.data.n! * 2;
      });
      void queue.process('named', async (job) => job.data.n! * 100);

      const started = Date.now();
      const plain = await queue.add({ n: 1 });
      const urgent = await queue.add({ n: 2 }, { priority: 1 });
      const delayed = await queue.add({ n: 3 }, { delay: 400 });
      const flaky = await queue.add({ n: 4, flaky: true }, { attempts: 3, backoff: 50 });
      const bad = await queue.add({ fail: true }, { attempts: 2 });
      const named = await queue.add('named', { n: 5 });
      for (const start = Date.now(); (completed.length < 5 || failed.length < 3) && Date.now() - start < 8000;) {
        await new Promise((r) => setTimeout(r, 25));
      }

      expect(new Map(completed)).toEqual(new Map<string, unknown>([
        [String(plain.id), 2], [String(urgent.id), 4], [String(delayed.id), 6], [String(flaky.id), 8], [String(named.id), 500],
      ]));
      // Each failed attempt is reported: the flaky job's first, both of the bad job's.
      expect(failed.sort()).toEqual([[String(flaky.id), 'not yet'], [String(bad.id), 'boom'], [String(bad.id), 'boom']].sort());
      expect(attempts.get(String(bad.id))).toBe(2);
      expect(delayedDoneAt - started).toBeGreaterThanOrEqual(400);
      expect(await queue.getJobCounts()).toEqual({ waiting: 0, active: 0, completed: 5, failed: 1, delayed: 0, paused: 0 });
      expect((await queue.getCompleted()).map((j) => j.returnvalue).sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 500]);
      const [failedJob] = await queue.getFailed();
      expect(failedJob!.failedReason).toBe('boom');
      expect(failedJob!.attemptsMade).toBe(2);

      await queue.add({ n: 9 }, { repeat: { every: 60_000 }, jobId: 'every-minute' });
      expect((await queue.getRepeatableJobs()).map((j) => [j.id, j.every])).toEqual([['every-minute', 60_000]]);
      await queue.removeRepeatable({ every: 60_000, jobId: 'every-minute' });
      expect(await queue.getRepeatableJobs()).toEqual([]);
      await queue.pause();
      expect(await queue.isPaused()).toBe(true);
      await queue.resume();
      expect(await queue.isPaused()).toBe(false);
      expect((await queue.clean(0, 'completed')).length).toBe(5);
      expect(await queue.getCompletedCount()).toBe(0);
    } finally {
      await queue.close();
    }
  });
});
