// A seal worker's output goes into the memory of the value a SET replaced (issue 20, large
// values: src/seal/sealed-outputs.ts), so a stream of SETs of one size faults in no new pages.
// What must hold: the memory is reused (INFO sealkv counts it), never while a GET of the old
// value is still being opened from it (every GET answers a whole value that was SET, never an
// error or a mix), the pool stays bounded and is let go once no seal takes from it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const SIZE = 256 * 1024;

/** A value of SIZE bytes whose every byte says which one it is. */
const valueOf = (n: number) => Buffer.alloc(SIZE, n & 255);

async function sealInfo(r: Redis): Promise<{ reused: number; poolBytes: number }> {
  const info = await r.info('sealkv');
  return {
    reused: Number(/seal_outputs_reused:(\d+)/.exec(info)?.[1] ?? NaN),
    poolBytes: Number(/seal_output_pool_bytes:(\d+)/.exec(info)?.[1] ?? NaN),
  };
}

describe('sealed outputs reused', () => {
  let server: SpawnedServer;
  let setter: Redis;
  let getter: Redis;
  beforeAll(async () => {
    // Two workers: a GET's open and the next seal may run at once (with one they run in turn).
    server = await spawnServer(['--seal-workers', '2']);
    setter = new Redis({ port: server.port, lazyConnect: false });
    getter = new Redis({ port: server.port, lazyConnect: false });
  }, 30_000);
  afterAll(async () => {
    setter?.disconnect();
    getter?.disconnect();
    await server?.stop();
  });

  it('seals a stream of SETs of one size into the memory of the values they replace', async () => {
    const before = await sealInfo(setter);
    for (let i = 0; i < 20; i++) expect(await setter.set('one', valueOf(i))).toBe('OK');
    const after = await sealInfo(setter);
    // The first SETs find nothing to reuse; from then on each finds the value it replaces.
    expect(after.reused - before.reused).toBeGreaterThanOrEqual(15);
    expect(Buffer.compare((await getter.getBuffer('one'))!, valueOf(19))).toBe(0);
  });

  it('answers every GET in flight with a whole value while SETs replace it', async () => {
    await setter.set('race', valueOf(100));
    const sets = setter.pipeline();
    for (let i = 101; i < 161; i++) sets.set('race', valueOf(i));
    const gets = getter.pipeline();
    for (let i = 0; i < 60; i++) gets.getBuffer('race');
    const [setReplies, getReplies] = await Promise.all([sets.exec(), gets.exec()]);
    for (const [err, reply] of setReplies!) {
      expect(err).toBeNull();
      expect(reply).toBe('OK');
    }
    let seen = 100;
    for (const [err, reply] of getReplies!) {
      expect(err).toBeNull();
      const got = reply as Buffer;
      expect(got.length).toBe(SIZE);
      const n = got[0]!;
      // One value, whole: every byte the same, and values only move forward.
      expect(got.equals(valueOf(n))).toBe(true);
      expect(n).toBeGreaterThanOrEqual(seen);
      seen = n;
    }
    expect(Buffer.compare((await getter.getBuffer('race'))!, valueOf(160))).toBe(0);
  });

  it('keeps the pool bounded and lets it go when no seal takes from it', async () => {
    const p = setter.pipeline();
    for (let i = 0; i < 40; i++) p.set(`k${i % 8}`, valueOf(i));
    await p.exec();
    const busy = await sealInfo(setter);
    expect(busy.poolBytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    await new Promise((res) => setTimeout(res, 2500));
    expect((await sealInfo(setter)).poolBytes).toBe(0);
    for (let i = 0; i < 8; i++) expect(Buffer.compare((await getter.getBuffer(`k${i}`))!, valueOf(32 + i))).toBe(0);
  });
});
