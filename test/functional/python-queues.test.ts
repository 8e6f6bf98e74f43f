// The Python job queues as apps use them, on Debian 12's packages: RQ 1.13 (jobs run by a burst
// worker in-process and by the forking `rq worker --burst` CLI, results and statuses, the failed
// registry with retries, a dependent job, a job scheduled for later) and Celery 5.2 with the redis
// broker and result backend (a --pool=solo worker process; results, a retry, a failure, a
// countdown, group, chain and chord, remote control ping/inspect over the broker's pub/sub).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { familiesPassed, hasPythonModules, runPython } from '../helpers/client-scripts.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const hasRq = hasPythonModules('redis', 'rq');
const hasCelery = hasPythonModules('redis', 'celery', 'kombu');
if (!hasRq) console.warn('python-queues: python3-rq not installed, RQ skipped');
if (!hasCelery) console.warn('python-queues: python3-celery / python3-kombu not installed, Celery skipped');

let server: SpawnedServer;
beforeAll(async () => {
  if (hasRq || hasCelery) server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('Python job queues on sealkv', () => {
  it.skipIf(!hasRq)('RQ: enqueue, burst workers, results, failures, retries, dependents, scheduled jobs', async () => {
    const run = await runPython('rq_check.py', [server.port]);
    // RQ's workers log to stderr; the script's own verdict is its exit code and its FAIL line.
    expect({ code: run.code, failure: run.stderr.split('\n').filter((l) => l.startsWith('FAIL')) }).toEqual({ code: 0, failure: [] });
    expect(familiesPassed(run)).toEqual(['enqueue', 'burst worker', 'scheduled job', 'requeue and cleanup', 'rq worker --burst (forking worker, the CLI)']);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('rq ok');
  });

  it.skipIf(!hasCelery)('Celery: worker, results, retry, failure, countdown, group, chain, chord, revoke, events, inspect, unacked restore', async () => {
    const run = await runPython('celery_check.py', [server.port], 90_000);
    expect({ code: run.code, failure: run.stderr.split('\n').filter((l) => l.startsWith('FAIL')) }).toEqual({ code: 0, failure: [] });
    expect(familiesPassed(run)).toEqual(['worker answers', 'tasks and results', 'retry', 'failure', 'group, chain and chord', 'revoke and scheduled', 'events', 'inspect', 'unacked message restored at shutdown']);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('celery ok');
  }, 120_000);
});
