// Spilling ahead of maxmemory (src/spill/ahead.ts): past 94 % of maxmemory cold values move to
// tmpfs in short slices between event-loop turns, down to 92 %, so writes do not spill in their
// own path; writes faster than the slices are still held within maxmemory by the inline path.
// Only spilling happens ahead: nothing is evicted, OOM is unchanged.

import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../helpers/tmpfs.js';
import { SPILL_AHEAD_HIGH, SPILL_AHEAD_LOW } from '../../src/store/memory.js';

const MAXMEMORY = 1024 * 1024;
const value = (i: number) => `${i}:`.padEnd(1024, 'x');

describe.skipIf(tmpfsUnavailable)('spill ahead (in process, real tmpfs)', () => {
  let tmpfs: Tmpfs;
  let server: InProcessServer;
  let client: Redis;
  let run: ReturnType<typeof runner>;

  const used = () => server.running.state.memory.account.used;
  const spillInfo = async () => {
    const text = (await run(['info', 'spill'])) as string;
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)![1]);
    return { ahead: field('spill_ahead_writes'), inline: field('spill_inline_writes'), keys: field('spill_keys') };
  };
  const settle = async (until: () => boolean) => {
    for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  beforeAll(async () => {
    tmpfs = mountTmpfs('32m');
    server = await startInProcess({ 'spill-dir': tmpfs.dir, 'spill-max-bytes': '16mb', 'spill-min-value-size': '512' });
    client = ioredis(server.port);
    run = runner(client);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    tmpfs?.unmount();
  });
  afterEach(async () => {
    await run(['config', 'set', 'maxmemory', '0']);
    await run(['config', 'set', 'maxmemory-policy', 'noeviction']);
    await run(['flushall']);
  });

  it('moves cold values out between writes, before any write has to spill in its path', async () => {
    await run(['config', 'set', 'maxmemory', String(MAXMEMORY)]);
    let peak = 0;
    // One write at a time: the slices run between them.
    for (let i = 0; i < 1500; i++) {
      expect(await run(['set', `k:${i}`, value(i)])).toBe('OK');
      peak = Math.max(peak, used());
    }
    const info = await spillInfo();
    expect(info.ahead).toBeGreaterThan(0);
    expect(info.inline).toBe(0);
    expect(peak).toBeLessThan(MAXMEMORY);
    // Each pass goes down to the low mark; the writes after it stay under the high mark.
    expect(used()).toBeLessThanOrEqual(MAXMEMORY * SPILL_AHEAD_HIGH + 1100);
    // Every value reads back intact, from tmpfs or memory.
    expect(info.keys).toBeGreaterThan(0);
    for (const i of [0, 1, 700, 1499]) expect(await run(['get', `k:${i}`])).toBe(value(i));
    expect(Number(/^evicted_keys:(\d+)/m.exec((await run(['info', 'stats'])) as string)![1])).toBe(0);
  });

  it('stays idle below the high mark', async () => {
    await run(['config', 'set', 'maxmemory', String(MAXMEMORY)]);
    const before = await spillInfo();
    for (let i = 0; i < 300; i++) await run(['set', `k:${i}`, value(i)]);
    expect(used()).toBeLessThan(MAXMEMORY * SPILL_AHEAD_HIGH);
    await new Promise((r) => setTimeout(r, 50));
    const after = await spillInfo();
    expect(after.ahead).toBe(before.ahead);
    expect(after.keys).toBe(0);
  });

  it('a burst faster than the slices is held within maxmemory by the writes themselves', async () => {
    await run(['config', 'set', 'maxmemory', String(MAXMEMORY)]);
    const pipeline = client.pipeline();
    for (let i = 0; i < 3000; i++) pipeline.set(`burst:${i}`, value(i));
    const results = await pipeline.exec();
    expect(results!.every(([err, reply]) => err === null && reply === 'OK')).toBe(true);
    expect(used()).toBeLessThanOrEqual(MAXMEMORY);
    expect(await run(['get', 'burst:0'])).toBe(value(0));
    expect(await run(['get', 'burst:2999'])).toBe(value(2999));
    expect(await run(['dbsize'])).toBe(3000);
  });

  it('follows CONFIG SET maxmemory: a lower limit moves values out at once and then ahead', async () => {
    for (let i = 0; i < 1000; i++) await run(['set', `k:${i}`, value(i)]);
    const before = await spillInfo();
    expect(before.keys).toBe(0);
    const limit = Math.floor(used() * 0.8);
    await run(['config', 'set', 'maxmemory', String(limit)]);
    expect(used()).toBeLessThanOrEqual(limit);
    await settle(() => used() <= limit * SPILL_AHEAD_LOW);
    expect(used()).toBeLessThanOrEqual(limit * SPILL_AHEAD_LOW);
    // Lifted: nothing more moves out.
    await run(['config', 'set', 'maxmemory', '0']);
    const keys = (await spillInfo()).keys;
    for (let i = 1000; i < 1100; i++) await run(['set', `k:${i}`, value(i)]);
    await new Promise((r) => setTimeout(r, 50));
    expect((await spillInfo()).keys).toBe(keys);
  });

  it('keeps a waiting command\'s keys in memory while its spilled ones are read back (MGET of 500 keys)', async () => {
    // The slices run between the reads: they once spilled the MGET's in-memory keys meanwhile,
    // and after its rounds of reads the command ran on a spilled value (an internal error).
    await run(['config', 'set', 'maxmemory', String(4 * MAXMEMORY)]);
    const count = 6000;
    for (let n = 0; n < count; n += 50) {
      const pipeline = client.pipeline();
      for (let i = n; i < n + 50; i++) pipeline.set(`key:${i}`, value(i));
      await pipeline.exec();
    }
    expect((await spillInfo()).keys).toBeGreaterThan(1000);
    for (let from = 0; from < count; from += 500) {
      const keys = Array.from({ length: 500 }, (_, j) => `key:${from + j}`);
      expect(await run(['mget', ...keys])).toEqual(keys.map((_, j) => value(from + j)));
    }
  });

  it('never evicts: with nothing left to spill the policy and OOM work as before', async () => {
    await run(['config', 'set', 'maxmemory', String(MAXMEMORY)]);
    // Small values stay in memory (spill-min-value-size 512): only the limit applies to them.
    let reply: unknown = 'OK';
    for (let i = 0; i < 20_000 && reply === 'OK'; i++) reply = await run(['set', `small:${i}`, 'v'.repeat(100)]);
    expect(reply).toEqual({ error: "OOM command not allowed when used memory > 'maxmemory'." });
    await new Promise((r) => setTimeout(r, 50));
    expect((await spillInfo()).keys).toBe(0);
  });
});
