// A replica loads its full copy a slice at a time and answers meanwhile, as Redis does while it
// loads an RDB: `-LOADING Redis is loading the dataset in memory` to commands without the
// `loading` flag (GET, PING, MULTI's EXEC...), real answers to those with it (INFO, with
// loading:1 and Redis's loading_* progress fields; SELECT), and no reply waits for the whole load. Writes the primary makes during the load are applied after it.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { ReplyConnection } from '../helpers/reference-redis.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';
import type { SpawnedServer } from '../helpers/server.js';

const KEYS = 150_000;
const LOADING = `-${Errors.loading}\r\n`;

describe('a replica loading its full copy', () => {
  const key = newMasterKey();
  let primary: SpawnedServer;
  let replica: SpawnedServer | undefined;

  beforeAll(async () => {
    primary = await startNode(key);
    const c = new Redis({ port: primary.port, host: '127.0.0.1' });
    try {
      const value = 'v'.repeat(64);
      for (let i = 0; i < KEYS; i += 1000) {
        const args: string[] = [];
        for (let j = i; j < i + 1000; j++) args.push(`key:${j}`, `${value}${j}`);
        await c.mset(...args);
      }
      expect(await c.dbsize()).toBe(KEYS);
    } finally {
      c.disconnect();
    }
  }, 120000);

  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('answers LOADING to GET and PING, INFO and SELECT for real, within a slice; the stream written meanwhile follows', async () => {
    replica = await startNode(key, ['--replica-serve-stale-data', 'yes']);
    const c = await ReplyConnection.open(replica.port);
    const p = await ReplyConnection.open(primary.port);
    try {
      expect(await c.send(['REPLICAOF', '127.0.0.1', String(primary.port)])).toBe('+OK\r\n');
      const seen = { loading: 0, infoWhileLoading: '', exec: '', select: '', slowest: 0 };
      let wroteDuring = false;
      // Poll until the copy is in: every reply must come back within a slice or so.
      for (const deadline = Date.now() + 60000; ; ) {
        const t = performance.now();
        const got = await c.send(['GET', 'key:7']);
        const ms = performance.now() - t;
        if (got === LOADING) {
          seen.loading++;
          seen.slowest = Math.max(seen.slowest, ms);
          if (seen.loading === 1) {
            seen.infoWhileLoading = await c.send(['INFO', 'replication']) + await c.send(['INFO', 'persistence']);
            expect(await c.send(['PING'])).toBe(LOADING);
            seen.select = await c.send(['SELECT', '0']);
            expect(await c.send(['MULTI'])).toBe('+OK\r\n');
            expect(await c.send(['GET', 'key:1'])).toBe(LOADING);
            seen.exec = await c.send(['EXEC']);
            // A write on the primary while the replica loads: it comes after the copy.
            expect(await p.send(['SET', 'during', 'load'])).toBe('+OK\r\n');
            wroteDuring = true;
          }
        } else if (got !== '$-1\r\n') {
          // Before the copy (an empty dataset, served stale) GET finds nothing; after it, the value.
          break;
        }
        if (Date.now() > deadline) throw new Error(`no data after 60 s (last reply ${JSON.stringify(got)})`);
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(seen.loading).toBeGreaterThan(0);
      expect(wroteDuring).toBe(true);
      expect(seen.infoWhileLoading).toContain('master_sync_in_progress:1');
      // ioredis's ready check reads loading:1 and waits loading_eta_seconds before trying again.
      expect(seen.infoWhileLoading).toContain('\r\nloading:1\r\n');
      expect(seen.infoWhileLoading).toMatch(/\r\nloading_start_time:\d+\r\nloading_total_bytes:\d+\r\nloading_rdb_used_mem:0\r\nloading_loaded_bytes:\d+\r\nloading_loaded_perc:\d+\.\d\d\r\nloading_eta_seconds:\d+\r\n/);
      expect(seen.select).toBe('+OK\r\n');
      expect(seen.exec).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
      // Generous for a shared machine; a one-step load of this copy takes far longer than a slice.
      expect(seen.slowest).toBeLessThan(1000);
      await linkUp(replica.port);
      expect(await c.send(['GET', 'key:7'])).toBe(`$${64 + 1}\r\n${'v'.repeat(64)}7\r\n`);
      await waitFor('the write made during the load', async () => (await c.send(['GET', 'during'])) === '$4\r\nload\r\n');
      expect(await c.send(['DBSIZE'])).toBe(`:${KEYS + 1}\r\n`);
      expect((await info(replica.port)).master_sync_in_progress).toBe('0');
      expect((await info(replica.port, 'persistence')).loading).toBe('0');
      if (process.env.LOADING_DEBUG) console.log(seen);
    } finally {
      c.close();
      p.close();
    }
  }, 90000);
});
