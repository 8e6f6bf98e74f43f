// BullMQ features beyond bullmq.test.ts, as apps use them, against sealkv and redis-server (the
// same readings from both): a FlowProducer's parent waits for its children and reads their
// values; QueueEvents (XREAD BLOCK on the events stream) hears a paused queue, a job waiting
// and completing; a job scheduler repeats a job every 150 ms; a rate-limited worker takes at
// most 2 jobs per 300 ms; retries back off exponentially; removeOnComplete keeps the last 2;
// pause holds jobs until resume; clean drops the finished ones and obliterate the whole queue.

import { FlowProducer, Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { sealkvBesideRedis, sleep, until } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();

/** Opens BullMQ objects on one server and closes them all at the end. */
async function using<T>(port: number, body: (open: <C extends { close(): Promise<unknown> }>(c: C) => C, connection: { host: string; port: number }) => Promise<T>): Promise<T> {
  const opened: { close(): Promise<unknown> }[] = [];
  try {
    return await body((c) => (opened.push(c), c), { host: '127.0.0.1', port });
  } finally {
    for (const c of opened.reverse()) await c.close().catch(() => undefined);
  }
}

function flows(port: number) {
  return using(port, async (open, connection) => {
    const flow = open(new FlowProducer({ connection }));
    const report = open(new Queue('report', { connection }));
    const tree = await flow.add({
      name: 'sum', queueName: 'report', data: {},
      children: [1, 2, 3].map((n) => ({ name: `step${n}`, queueName: 'steps', data: { n } })),
    });
    // No worker yet: the parent waits for its children, which wait for a worker.
    const before = [await tree.job.getState(), ...(await Promise.all(tree.children!.map((c) => c.job.getState())))];
    open(new Worker('steps', async (job: Job) => job.data.n * 10, { connection, concurrency: 3 }));
    let parentSaw: Record<string, unknown> = {};
    open(new Worker('report', async (job: Job) => {
      parentSaw = await job.getChildrenValues();
      return Object.values(parentSaw).reduce((a: number, b) => a + Number(b), 0);
    }, { connection }));
    await until(async () => (await report.getJobState(tree.job.id!)) === 'completed', 'the parent to complete');
    const parent = await report.getJob(tree.job.id!);
    return {
      before,
      childValues: Object.values(parentSaw).map(Number).sort((a, b) => a - b),
      result: parent!.returnvalue,
      dependencies: await parent!.getDependenciesCount(),
    };
  });
}

function eventsAndPause(port: number) {
  return using(port, async (open, connection) => {
    const queue = open(new Queue('pausing', { connection }));
    // From the stream's start: a read from '$' would miss what came before its first XREAD.
    const events = open(new QueueEvents('pausing', { connection, lastEventId: '0' }));
    await events.waitUntilReady();
    const heard: string[] = [];
    events.on('paused', () => heard.push('paused'));
    events.on('resumed', () => heard.push('resumed'));
    events.on('waiting', ({ jobId }) => heard.push(`waiting ${jobId}`));
    events.on('completed', ({ jobId, returnvalue }) => heard.push(`completed ${jobId} ${returnvalue}`));
    await queue.pause();
    const ran: string[] = [];
    open(new Worker('pausing', async (job: Job) => (ran.push(job.name), job.name.toUpperCase()), { connection }));
    await queue.add('held', {}, { jobId: 'h1' });
    await sleep(300);
    const whilePaused = { ran: ran.length, paused: await queue.isPaused(), counts: await queue.getJobCounts('wait', 'completed') };
    await queue.resume();
    await until(() => heard.includes('completed h1 HELD'), 'the held job to complete');
    return { whilePaused, ran, heard, counts: await queue.getJobCounts('wait', 'completed') };
  });
}

function scheduler(port: number) {
  return using(port, async (open, connection) => {
    const queue = open(new Queue('ticks', { connection }));
    const times: number[] = [];
    open(new Worker('ticks', async (job: Job) => void times.push(job.data.tick), { connection }));
    await queue.upsertJobScheduler('every-150', { every: 150 }, { name: 'tick', data: { tick: 1 } });
    const schedulers = (await queue.getJobSchedulers()).map((s) => ({ key: s.key, every: s.every, name: s.name }));
    await until(() => times.length >= 3, '3 repeats');
    expect(await queue.removeJobScheduler('every-150')).toBe(true);
    return { schedulers, ticks: times.slice(0, 3), count: await queue.getJobSchedulersCount() };
  });
}

function rateLimited(port: number) {
  return using(port, async (open, connection) => {
    const queue = open(new Queue('limited', { connection }));
    const started: number[] = [];
    open(new Worker('limited', async () => void started.push(Date.now()), { connection, concurrency: 5, limiter: { max: 2, duration: 300 } }));
    await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'call', data: { i } })));
    await until(() => started.length === 6, 'the 6 limited jobs');
    // Any 3 starts in a row span a window (300 ms; half of it, for a loaded machine's jitter):
    // without the limiter, 5-way concurrency starts them all within a few ms.
    started.sort((a, b) => a - b);
    const spans = started.slice(2).map((t, i) => t - started[i]!);
    return { jobs: started.length, spreadOut: spans.every((d) => d >= 150), tookAtLeast: started[5]! - started[0]! >= 2 * 150 };
  });
}

function backoffAndRetention(port: number) {
  return using(port, async (open, connection) => {
    const queue = open(new Queue('retry', { connection }));
    const tries: number[] = [];
    open(new Worker('retry', async (job: Job) => {
      if (job.name === 'flaky') {
        tries.push(Date.now());
        if (tries.length < 3) throw new Error(`try ${tries.length}`);
      }
      return job.name;
    }, { connection }));
    const flaky = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'exponential', delay: 100 } });
    for (let i = 0; i < 5; i++) await queue.add(`kept${i}`, {}, { removeOnComplete: 2 });
    await until(async () => (await queue.getJobState(flaky.id!)) === 'completed', 'the flaky job');
    await until(async () => (await queue.getCompletedCount()) <= 3, 'removeOnComplete to trim');
    const job = await queue.getJob(flaky.id!);
    const completed = (await queue.getCompleted()).map((j) => j.name).sort();
    const cleaned = await queue.clean(0, 100, 'completed');
    const after = await queue.getJobCounts('completed');
    await queue.add('leftover', {}, { delay: 60_000 });
    await queue.obliterate({ force: true });
    return {
      attemptsMade: job!.attemptsMade,
      stacktrace: job!.stacktrace?.length,
      gaps: [tries[1]! - tries[0]! >= 100, tries[2]! - tries[1]! >= 200],
      completed,
      cleaned: cleaned.length,
      after,
      obliterated: await queue.getJobCounts('delayed', 'completed', 'wait'),
    };
  });
}

describe('BullMQ features on sealkv', () => {
  const scenarios: [string, (port: number) => Promise<unknown>, unknown][] = [
    ['a flow: the parent reads its children\'s values', flows, { before: ['waiting-children', 'waiting', 'waiting', 'waiting'], childValues: [10, 20, 30], result: 60, dependencies: { processed: 3, unprocessed: 0, ignored: 0, failed: 0 } }],
    ['QueueEvents over a paused and resumed queue', eventsAndPause, {
      // BullMQ 6 keeps a paused queue's jobs in its wait list (a 'paused' flag in its meta hash).
      whilePaused: { ran: 0, paused: true, counts: { wait: 1, completed: 0 } },
      ran: ['held'],
      heard: ['paused', 'waiting h1', 'resumed', 'completed h1 HELD'],
      counts: { wait: 0, completed: 1 },
    }],
    ['a job scheduler repeats its job', scheduler, { schedulers: [{ key: 'every-150', every: 150, name: 'tick' }], ticks: [1, 1, 1], count: 0 }],
    ['a rate-limited worker', rateLimited, { jobs: 6, spreadOut: true, tookAtLeast: true }],
    ['exponential backoff, removeOnComplete, clean and obliterate', backoffAndRetention, {
      attemptsMade: 3, stacktrace: 2, gaps: [true, true], completed: ['flaky', 'kept3', 'kept4'], cleaned: 3,
      after: { completed: 0 }, obliterated: { delayed: 0, completed: 0, wait: 0 },
    }],
  ];
  for (const [title, scenario, expected] of scenarios) {
    it(title, async () => {
      expect(await scenario(servers.sealkv.port)).toEqual(expected);
      if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(expected);
    }, 30_000);
  }
});
