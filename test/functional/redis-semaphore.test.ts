// redis-semaphore with ioredis, as apps guard shared work with it: Mutex (SET NX PX, refreshed
// and released by Lua scripts that compare the holder), Semaphore and MultiSemaphore (a sorted
// set of holders scored by time, trimmed of expired ones in Lua), and RedlockMutex over three
// independent keyspaces (here three databases, a quorum of two). Workers contend for each; the
// reads they make under the lock never interleave, the peak of holders is the limit, tryAcquire
// fails while it is held, a refreshed lock outlives its timeout, and a lock whose key someone
// else took is reported lost. The same scenario runs on redis-server, with the same readings.

import { Redis } from 'ioredis';
import { LostLockError, MultiSemaphore, Mutex, RedlockMutex, Semaphore } from 'redis-semaphore';
import { afterAll, describe, expect, it } from 'vitest';
import { sealkvBesideRedis, sleep } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();
const clients: Redis[] = [];

afterAll(() => {
  for (const c of clients) c.disconnect();
});

function open(port: number, db = 0): Redis {
  const c = new Redis({ port, host: '127.0.0.1', db, maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

/** Runs `workers` tasks that each take the lock, hold it `holdMs`, and count the holders meanwhile. */
async function contend(workers: number, take: (i: number) => { acquire(): Promise<void>; release(): Promise<void> }, weight = 1, holdMs = 30) {
  let holding = 0;
  let peak = 0;
  let done = 0;
  await Promise.all(Array.from({ length: workers }, async (_, i) => {
    const lock = take(i);
    await lock.acquire();
    holding += weight;
    peak = Math.max(peak, holding);
    await sleep(holdMs);
    holding -= weight;
    done++;
    await lock.release();
  }));
  return { peak, done };
}

async function scenario(port: number) {
  const c = open(port);
  const timing = { acquireTimeout: 10_000, retryInterval: 5, lockTimeout: 5000 };
  // tryAcquire retries until acquireTimeout like acquire, unless told to try once.
  const once = { ...timing, acquireAttemptsLimit: 1 };
  const seen: Record<string, unknown> = {};

  // A read-modify-write under the mutex: no update is lost.
  let counterReads = 0;
  seen.mutex = await contend(6, () => {
    const m = new Mutex(c, 'counter', timing);
    return {
      acquire: () => m.acquire(),
      release: async () => {
        const n = Number((await c.get('count')) ?? 0);
        counterReads++;
        await c.set('count', n + 1);
        await m.release();
      },
    };
  });
  seen.count = [await c.get('count'), counterReads];

  const holder = new Mutex(c, 'single', { ...timing, lockTimeout: 600, refreshInterval: 150 });
  await holder.acquire();
  seen.tryWhileHeld = await new Mutex(c, 'single', once).tryAcquire();
  await sleep(900);
  // Refreshed every 150 ms: still held past its 600 ms timeout.
  seen.refreshed = [holder.isAcquired, await new Mutex(c, 'single', once).tryAcquire()];
  await holder.release();
  seen.afterRelease = await new Mutex(c, 'single', once).tryAcquire();

  seen.semaphore = await contend(8, () => new Semaphore(c, 'pool', 3, timing));
  seen.semaphoreEmpty = await c.zcard('semaphore:pool');
  seen.multi = await contend(6, () => new MultiSemaphore(c, 'slots', 5, 2, timing), 2);
  seen.multiEmpty = await c.zcard('semaphore:slots');

  const dbs = [open(port, 1), open(port, 2), open(port, 3)];
  seen.redlock = await contend(4, () => new RedlockMutex(dbs, 'job', timing));
  const lock = new RedlockMutex(dbs, 'job', timing);
  await lock.acquire();
  seen.redlockKeys = await Promise.all(dbs.map(async (db) => (await db.get('mutex:job')) === lock.identifier));
  seen.redlockTry = await new RedlockMutex(dbs, 'job', once).tryAcquire();
  await lock.release();
  seen.redlockReleased = await Promise.all(dbs.map((db) => db.exists('mutex:job')));

  // Someone else took the key: the next refresh finds out and reports the lock lost.
  const lost = await new Promise<string>((resolve) => {
    const m = new Mutex(c, 'lease', { ...timing, lockTimeout: 200, refreshInterval: 150, onLockLost: (err) => resolve(err instanceof LostLockError ? 'lost' : String(err)) });
    void m.acquire().then(() => c.set('mutex:lease', 'someone-else'));
  });
  seen.lost = lost;
  return seen;
}

describe('redis-semaphore on sealkv', () => {
  it('Mutex, Semaphore, MultiSemaphore and RedlockMutex under contention', async () => {
    const seen = await scenario(servers.sealkv.port);
    expect(seen).toEqual({
      mutex: { peak: 1, done: 6 },
      count: ['6', 6],
      tryWhileHeld: false,
      refreshed: [true, false],
      afterRelease: true,
      semaphore: { peak: 3, done: 8 },
      semaphoreEmpty: 0,
      multi: { peak: 4, done: 6 },
      multiEmpty: 0,
      redlock: { peak: 1, done: 4 },
      redlockKeys: [true, true, true],
      redlockTry: false,
      redlockReleased: [0, 0, 0],
      lost: 'lost',
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(seen);
  }, 30_000);
});
