// The snapshot capture driven slice by slice with writes in between (in-process servers sharing
// a master key): whatever clients do between slices (SET, DEL, EXPIRE, RENAME, MOVE, collection
// writes, FLUSHDB, FLUSHALL, SWAPDB), the loaded snapshot equals the keyspace at the consistent
// point; loading is all or nothing; the stream API stops cleanly when abandoned or aborted.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../../helpers/server.js';
import { SnapshotCapture, loadSnapshot, snapshotChunks, SnapshotError, checkSnapshotHeader } from '../../../src/persistence/snapshot.js';

let dir: string;
let keyFile: string;

beforeAll(() => {
  dir = mkdtempSync(join('/dev/shm', 'sealkv-capture-'));
  keyFile = join(dir, 'key');
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every database's keys with type, value and TTL, read through commands. */
async function dumpAll(port: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < 4; db++) {
    const c = ioredis(port, { db });
    try {
      for (const key of (await c.keys('*')).sort()) {
        const type = await c.type(key);
        let value: unknown;
        if (type === 'string') value = await c.get(key);
        else if (type === 'hash') value = Object.entries(await c.hgetall(key)).sort();
        else if (type === 'list') value = await c.lrange(key, 0, -1);
        else if (type === 'set') value = (await c.smembers(key)).sort();
        else if (type === 'zset') value = await c.call('zrange', key, '0', '-1', 'WITHSCORES');
        else value = await c.xrange(key, '-', '+');
        out[`${db}:${key}`] = [type, value, await c.call('pexpiretime', key)];
      }
    } finally {
      c.disconnect();
    }
  }
  return out;
}

/** A deterministic random write (seeded), one of many kinds. */
async function randomWrite(c: Redis, rnd: () => number, late: boolean): Promise<void> {
  const k = `k${Math.floor(rnd() * 400)}`;
  const r = rnd();
  if (r < 0.3) await c.set(k, `v${Math.floor(rnd() * 1e6)}`);
  else if (r < 0.4) await c.del(k);
  else if (r < 0.5) await c.call('rpush', `l${Math.floor(rnd() * 40)}`, `e${Math.floor(rnd() * 100)}`);
  else if (r < 0.6) await c.hset(`h${Math.floor(rnd() * 40)}`, `f${Math.floor(rnd() * 10)}`, `${rnd()}`);
  else if (r < 0.65) await c.zadd(`z${Math.floor(rnd() * 20)}`, Math.floor(rnd() * 100), `m${Math.floor(rnd() * 50)}`);
  else if (r < 0.7) await c.sadd(`s${Math.floor(rnd() * 20)}`, `m${Math.floor(rnd() * 50)}`);
  else if (r < 0.75) await c.xadd(`x${Math.floor(rnd() * 5)}`, '*', 'f', `${rnd()}`);
  else if (r < 0.8) await c.expire(k, 1000 + Math.floor(rnd() * 1000));
  else if (r < 0.85) await c.rename(k, `k${Math.floor(rnd() * 400)}`).catch(() => undefined);
  else if (r < 0.88) await c.move(k, 1 + Math.floor(rnd() * 3)).catch(() => undefined);
  else if (r < 0.9) await c.select(Math.floor(rnd() * 4));
  // Whole-database events only once the walk is well under way (else the capture ends at once).
  else if (r < 0.905 && late) await c.flushdb();
  else if (r < 0.907 && late) await c.swapdb(0, 1 + Math.floor(rnd() * 3));
  else if (r < 0.908 && late) await c.flushall();
  else await c.set(`n${Math.floor(rnd() * 100_000)}`, 'new');
}

function seeded(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('snapshot capture under writes between slices', () => {
  let a: InProcessServer;
  let b: InProcessServer;

  beforeAll(async () => {
    a = await startInProcess({ 'master-key-file': keyFile, databases: '4' });
    b = await startInProcess({ 'master-key-file': keyFile, databases: '4', 'seal-keys': 'yes' });
  });

  afterAll(async () => {
    await a.stop();
    await b.stop();
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`loads exactly the keyspace of the consistent point (seed ${seed})`, async () => {
      // Odd seeds: plain names written, sealed names loading; even seeds the other way round.
      const [src, dst] = seed % 2 === 1 ? [a, b] : [b, a];
      const c = ioredis(src.port);
      const rnd = seeded(seed);
      try {
        await c.flushall();
        for (let db = 0; db < 4; db++) {
          await c.select(db);
          const pipe = c.pipeline();
          for (let i = 0; i < 1500; i++) pipe.set(`k${i}`, `base${db}-${i}`);
          for (let i = 0; i < 40; i++) pipe.rpush(`l${i}`, 'a', 'b');
          await pipe.exec();
        }
        await c.select(0);
        let atPoint = 0;
        // Seeds 1 and 2 flush and swap databases late in the walk; 3 and 4 go through catch-up passes
        // (finalKeys 5) before the synchronous end.
        const capture = new SnapshotCapture(src.running.state, { atPoint: () => atPoint++, ...(seed > 2 ? { finalKeys: 5 } : {}) });
        const chunks = [capture.header];
        let slices = 0;
        // Slices of ~16 keys, a few random writes after each.
        for (let done = false; !done; slices++) {
          done = capture.step(0);
          chunks.push(...capture.take());
          if (!done) for (let w = 0; w < 3; w++) await randomWrite(c, rnd, seed <= 2 && slices > 150);
        }
        chunks.push(capture.trailer());
        capture.close();
        expect(atPoint).toBe(1);
        console.log(`seed ${seed}: ${slices} slices`, capture.summary);
        expect(slices).toBeGreaterThan(50);
        if (seed > 2) expect(capture.summary.rounds).toBeGreaterThan(0);
        const expected = await dumpAll(src.port);
        const cd = ioredis(dst.port);
        await cd.flushall();
        cd.disconnect();
        const summary = await loadSnapshot(dst.running.state, Buffer.concat(chunks));
        expect(await dumpAll(dst.port)).toEqual(expected);
        expect(summary.keys).toBe(Object.keys(expected).length);
      } finally {
        c.disconnect();
      }
    }, 120_000);
  }

  it('a damaged stream leaves the loading server as it was; the header check fails fast on another key', async () => {
    const c = ioredis(a.port);
    const cb = ioredis(b.port);
    try {
      await c.flushall();
      await c.set('x', '1');
      const chunks: Buffer[] = [];
      for await (const chunk of snapshotChunks(a.running.state)) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      await cb.flushall();
      await cb.set('kept', 'yes');
      const damaged = Buffer.from(bytes);
      damaged[damaged.length - 30]! ^= 1;
      await expect(loadSnapshot(b.running.state, damaged)).rejects.toBeInstanceOf(SnapshotError);
      await expect(loadSnapshot(b.running.state, (async function* () {
        yield bytes.subarray(0, 100);
      })())).rejects.toThrow(/truncated/);
      expect(await cb.keys('*')).toEqual(['kept']);
      const other = await startInProcess({ databases: '4' });
      try {
        expect(() => checkSnapshotHeader(other.running.state, bytes.subarray(0, 64))).toThrow(/another master key/);
        await expect(loadSnapshot(other.running.state, bytes)).rejects.toThrow(/another master key/);
      } finally {
        await other.stop();
      }
      // Chunks as a stream, loaded whole.
      await loadSnapshot(b.running.state, (async function* () {
        for (const chunk of chunks) yield chunk;
      })());
      expect(await cb.keys('*')).toEqual(['x']);
    } finally {
      c.disconnect();
      cb.disconnect();
    }
  });

  it('an abandoned or aborted stream stops listening to the keyspace', async () => {
    const state = a.running.state;
    const c = ioredis(a.port);
    try {
      const pipe = c.pipeline();
      for (let i = 0; i < 5000; i++) pipe.set(`k${i}`, 'v');
      await pipe.exec();
      const listenersOf = () => (state.databases[0] as unknown as { listeners: readonly unknown[] }).listeners.length;
      const before = listenersOf();
      const stream = snapshotChunks(state, { sliceMs: 0 });
      await stream.next();
      await stream.next();
      expect(listenersOf()).toBe(before + 1);
      await stream.return(undefined as never);
      expect(listenersOf()).toBe(before);
      const abort = new AbortController();
      const aborted = snapshotChunks(state, { sliceMs: 0, signal: abort.signal });
      await aborted.next();
      abort.abort();
      await expect((async () => {
        for (;;) if ((await aborted.next()).done) break;
      })()).rejects.toThrow(/aborted/);
      expect(listenersOf()).toBe(before);
    } finally {
      c.disconnect();
    }
  });
});
