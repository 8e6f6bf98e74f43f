// A full copy does not stall the primary: 200 000 keys are streamed to a new replica (the sealed
// snapshot, a slice per event-loop turn) while a client keeps pinging the primary and another
// keeps writing; the longest PING wait stays far below the copy's duration, and the replica ends
// with every key, the writes made during the copy included.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { pingProbe } from '../helpers/hostile.js';
import type { SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode } from '../helpers/replication.js';

const KEYS = 200_000;

describe('full copy under load', () => {
  const key = newMasterKey();
  let primary: SpawnedServer;
  let replica: SpawnedServer | undefined;

  beforeAll(async () => {
    primary = await startNode(key);
    const p = ioredis(primary.port);
    for (let i = 0; i < KEYS; i += 1000) {
      const args: string[] = [];
      for (let j = i; j < i + 1000; j++) args.push(`key:${j}`, `value-${j}`);
      await p.mset(...args);
    }
    p.disconnect();
  }, 120000);

  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('keeps answering while the copy streams, and the replica gets every key', async () => {
    const probe = await pingProbe(primary.port, 5);
    const writer = ioredis(primary.port);
    let writing = true;
    let written = 0;
    const writes = (async () => {
      while (writing) {
        await writer.set(`during:${written}`, 'x');
        written++;
      }
    })();
    const started = performance.now();
    replica = await startNode(key, [], { host: '127.0.0.1', port: primary.port });
    await linkUp(replica.port);
    const copyMs = performance.now() - started;
    writing = false;
    await writes;
    const { maxMs, count } = await probe.stop();
    expect(await writer.call('wait', '1', '10000')).toBe(1);
    writer.disconnect();
    const q = ioredis(replica.port);
    try {
      expect(await q.dbsize()).toBe(KEYS + written);
      expect(await q.get(`key:${KEYS - 1}`)).toBe(`value-${KEYS - 1}`);
      expect(await q.get(`during:${written - 1}`)).toBe('x');
    } finally {
      q.disconnect();
    }
    console.log(`full copy of ${KEYS} keys: ${copyMs.toFixed(0)} ms, longest PING wait ${maxMs.toFixed(1)} ms over ${count} PINGs, ${written} writes during the copy`);
    expect(Number((await info(primary.port, 'stats')).sync_full)).toBe(1);
    expect(count).toBeGreaterThan(20);
    expect(maxMs).toBeLessThan(Math.max(300, copyMs / 4));
  }, 120000);
});
