// Bee-Queue, a small job queue on Redis (its own Lua scripts, BRPOPLPUSH for waiting workers,
// pub/sub for job events, a delayed set activated by a timer) and on the old node_redis 3
// client, against sealkv: jobs run with their results, a flaky job succeeds on its third try,
// a failing one fails after its retries, a delayed job waits its delay, and the health counts
// and stored job states read back right.

import Queue from 'bee-queue';
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

describe('Bee-Queue on sealkv', () => {
  it('processes jobs, retries, fails and delays them', async () => {
    const queue = new Queue<Work>('bq', {
      redis: { host: '127.0.0.1', port: server.port },
      activateDelayedJobs: true,
      delayedDebounce: 50,
      removeOnSuccess: false,
    });
    try {
      await queue.ready();
      const attempts = new Map<string, number>();
      const succeeded: [string, number][] = [];
      const failed: [string, string][] = [];
      const finished = new Promise<void>((resolve) => {
        const check = () => succeeded.length === 4 && failed.length === 1 && resolve();
        queue.on('job succeeded', (id: string, result: number) => (succeeded.push([id, result]), check()));
        queue.on('job failed', (id: string, err: Error) => (failed.push([id, err.message]), check()));
      });
      queue.process(2, async (job) => {
        const tries = (attempts.get(job.id) ?? 0) + 1;
        attempts.set(job.id, tries);
        if (job.data.fail) throw new Error('always fails');
        if (job.data.flaky && tries < 3) throw new Error('not yet');
        return job.data.n! * 10;
      });

      const started = Date.now();
      const plain = await queue.createJob({ n: 1 }).save();
      const flaky = await queue.createJob({ n: 2, flaky: true }).retries(3).backoff('fixed', 50).save();
      const delayed = await queue.createJob({ n: 3 }).delayUntil(started + 400).save();
      const bad = await queue.createJob({ fail: true }).retries(1).save();
      const last = await queue.createJob({ n: 4 }).save();
      let delayedDoneAt = 0;
      queue.on('job succeeded', (id: string) => id === delayed.id && (delayedDoneAt = Date.now()));
      await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${JSON.stringify({ succeeded, failed })}`)), 10_000))]);

      expect(new Map(succeeded)).toEqual(new Map([[plain.id, 10], [flaky.id, 20], [delayed.id, 30], [last.id, 40]]));
      expect(failed).toEqual([[bad.id, 'always fails']]);
      expect(attempts.get(flaky.id)).toBe(3);
      expect(attempts.get(bad.id)).toBe(2);
      expect(delayedDoneAt - started).toBeGreaterThanOrEqual(400);
      expect(await queue.checkHealth()).toEqual({ waiting: 0, active: 0, succeeded: 4, failed: 1, delayed: 0, newestJob: 5 });
      const stored = await queue.getJob(flaky.id);
      expect(stored.status).toBe('succeeded');
      expect(stored.data).toEqual({ n: 2, flaky: true });
      expect((await queue.getJobs('failed', { start: 0, end: 10 })).map((j) => j.id)).toEqual([bad.id]);
      expect((await queue.getJobs('succeeded', { size: 10 })).map((j) => j.id).sort()).toEqual([plain.id, flaky.id, delayed.id, last.id].sort());
    } finally {
      await queue.close(2000);
    }
  });
});
