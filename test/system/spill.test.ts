// The spill tier end to end: the built server spilling to a real tmpfs mount, filled until it
// refuses (noeviction) or evicts (allkeys-lru). Checked: nothing acknowledged is lost, the files
// never pass the quota, the files hold no plaintext, and they are gone after SHUTDOWN while a
// kill -9 leaves only ciphertext (wiped at the next start).
// Needs `npx tsc -p tsconfig.build.json` first (spawnServer runs the built CLI) and root (mount).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { late } from '../helpers/fixture.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';
import { bytesUnder, filesContain, filesUnder, mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../helpers/tmpfs.js';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
const MAXMEMORY = 4 * 1024 * 1024;
const QUOTA = 8 * 1024 * 1024;
/** Bounded: 16 MB of values is more than maxmemory plus quota can hold. */
const MAX_KEYS = 16_000;
const BATCH = 50;

/** A run-unique marker in every value, so the spill files can be searched for plaintext. */
const MARKER = `plain-${randomBytes(8).toString('hex')}`;
const valueOf = (i: number) => `${MARKER}:${i}:${'x'.repeat(1000)}`;

function infoField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  if (!m) throw new Error(`no ${field} in INFO`);
  return Number(m[1]);
}

/**
 * Writes key:0, key:1... in pipelined batches until a write is refused or MAX_KEYS; checks the
 * files against the quota after every batch. Returns the keys acknowledged and the first error.
 */
async function fill(client: Redis, dir: string): Promise<{ written: number; error: string | null; maxBytes: number }> {
  let written = 0;
  let maxBytes = 0;
  while (written < MAX_KEYS) {
    const pipe = client.pipeline();
    for (let i = written; i < written + BATCH; i++) pipe.set(`key:${i}`, valueOf(i));
    const results = (await pipe.exec())!;
    for (const [err] of results) {
      if (err) return { written, error: err.message, maxBytes };
      written++;
    }
    maxBytes = Math.max(maxBytes, bytesUnder(dir));
  }
  return { written, error: null, maxBytes };
}


describe.skipIf(tmpfsUnavailable)('spill tier on a real tmpfs (spawned server)', () => {
  let tmpfs: Tmpfs;
  beforeAll(() => {
    tmpfs = mountTmpfs('16m');
  });
  afterAll(() => tmpfs?.unmount());

  const spillArgs = () => ['--maxmemory', '4mb', '--spill-dir', tmpfs.dir, '--spill-max-bytes', '8mb'];

  /** A spawned server with the spill settings (plus extra flags), written to until it refused. */
  function filledServer(extra: string[] = []) {
    let live: { server: SpawnedServer; client: Redis; outcome: Awaited<ReturnType<typeof fill>> } | undefined;
    beforeAll(async () => {
      const server = await spawnServer([...spillArgs(), ...extra]);
      const client = ioredis(server.port, { retryStrategy: () => null });
      live = { server, client, outcome: await fill(client, tmpfs.dir) };
    }, 120_000);
    afterAll(async () => {
      live?.client.disconnect();
      await live?.server.stop();
    });
    return { server: late(() => live?.server), client: late(() => live?.client), outcome: late(() => live?.outcome) };
  }

  it('refuses a spill-dir that is not on tmpfs, with a message and exit code 1', async () => {
    let dir = mkdtempSync(join(process.cwd(), '.not-tmpfs-'));
    const onTmpfs = statfsSync(dir).type === 0x01021994;
    if (onTmpfs) rmdirSync(dir);
    if (onTmpfs) dir = '/proc';
    try {
      await expect(spawnServer(['--spill-dir', dir, '--spill-max-bytes', '8mb'])).rejects.toThrow(
        /exited with 1[\s\S]*sealkv: spill-dir .* is not on tmpfs/,
      );
    } finally {
      if (!onTmpfs) rmdirSync(dir);
    }
  });

  it('refuses a spill-dir without a quota', async () => {
    await expect(spawnServer(['--spill-dir', tmpfs.dir])).rejects.toThrow(/exited with 1[\s\S]*sealkv: spill-max-bytes must be at least/);
  });

  describe('noeviction', () => {
    const { server, client, outcome } = filledServer();

    it('writes until memory and quota are full, then refuses with the exact OOM error', async () => {
      expect(outcome.error).toBe(OOM);
      // More was acknowledged than maxmemory alone could hold: the rest went to tmpfs.
      expect(outcome.written * 1000).toBeGreaterThan(MAXMEMORY);
      const info = await client.info('all');
      expect(infoField(info, 'spill_keys')).toBeGreaterThan(0);
      expect(infoField(info, 'spill_quota_bytes')).toBe(QUOTA);
      expect(infoField(info, 'spill_used_bytes')).toBeLessThanOrEqual(QUOTA);
    });

    it('never lets the spill files pass the quota', () => {
      expect(outcome.maxBytes).toBeGreaterThan(0);
      expect(outcome.maxBytes).toBeLessThanOrEqual(QUOTA);
      expect(bytesUnder(tmpfs.dir)).toBeLessThanOrEqual(QUOTA);
    });

    it('reads back every acknowledged write byte for byte', async () => {
      for (let from = 0; from < outcome.written; from += BATCH) {
        const pipe = client.pipeline();
        const upto = Math.min(outcome.written, from + BATCH);
        for (let i = from; i < upto; i++) pipe.get(`key:${i}`);
        const results = (await pipe.exec())!;
        results.forEach(([err, value], j) => {
          expect(err).toBeNull();
          expect(value).toBe(valueOf(from + j));
        });
      }
      expect(await client.dbsize()).toBe(outcome.written);
    }, 60_000);

    it('keeps no plaintext in the spill files', () => {
      expect(filesUnder(tmpfs.dir).length).toBeGreaterThan(0);
      expect(filesContain(tmpfs.dir, [MARKER, 'x'.repeat(64)])).toBeNull();
    });

    it('still serves reads and deletes when full, and writes again once memory is freed', async () => {
      // Reading back let compaction reclaim space; fill up again first.
      let refused: string | null = null;
      for (let i = 0; i < 4000 && refused === null; i++) {
        refused = await client.set(`again:${i}`, valueOf(i)).then(() => null, (err: Error) => err.message);
      }
      expect(refused).toBe(OOM);
      expect(await client.get('key:0')).toBe(valueOf(0));
      await expect(client.set('one-more', valueOf(-1))).rejects.toThrow(OOM);
      const victims = Array.from({ length: 2000 }, (_, i) => `key:${i}`);
      expect(await client.del(...victims)).toBe(2000);
      expect(await client.set('one-more', valueOf(-1))).toBe('OK');
      expect(await client.get('one-more')).toBe(valueOf(-1));
    });

    it('removes every spill file on SHUTDOWN', async () => {
      expect(filesUnder(tmpfs.dir).length).toBeGreaterThan(0);
      await client.call('shutdown', 'nosave').catch(() => undefined);
      expect(await server.stop()).toBe(0);
      expect(filesUnder(tmpfs.dir)).toEqual([]);
    });
  });

  describe('allkeys-lru', () => {
    const { client, outcome } = filledServer(['--maxmemory-policy', 'allkeys-lru']);

    it('accepts every write, keeping memory and the quota within bounds', async () => {
      expect(outcome.error).toBeNull();
      expect(outcome.written).toBe(MAX_KEYS);
      expect(outcome.maxBytes).toBeLessThanOrEqual(QUOTA);
      const info = await client.info('all');
      expect(infoField(info, 'used_memory_dataset')).toBeLessThanOrEqual(MAXMEMORY);
      expect(infoField(info, 'spill_used_bytes')).toBeLessThanOrEqual(QUOTA);
    });

    it('accounts for every key: written = present + evicted_keys', async () => {
      const evicted = infoField(await client.info('stats'), 'evicted_keys');
      expect(evicted).toBeGreaterThan(0);
      expect((await client.dbsize()) + evicted).toBe(outcome.written);
    });

    it('reads the surviving keys back intact', async () => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'COUNT', 500);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      expect(keys.length).toBe(await client.dbsize());
      for (let from = 0; from < keys.length; from += BATCH) {
        const slice = keys.slice(from, from + BATCH);
        const values = await client.mget(...slice);
        slice.forEach((key, j) => expect(values[j]).toBe(valueOf(Number(key.split(':')[1]))));
      }
    }, 60_000);
  });

  it('after kill -9 leaves only ciphertext, which the next start wipes', async () => {
    const server = await spawnServer(spillArgs());
    const client = ioredis(server.port, { retryStrategy: () => null });
    try {
      for (let i = 0; i < 8000; i++) {
        if (i % 1000 === 0) await client.ping();
        void client.set(`key:${i}`, valueOf(i)).catch(() => undefined);
      }
      await client.ping();
      server.process.kill('SIGKILL');
      await server.stop();
    } finally {
      client.disconnect();
    }
    const stale = filesUnder(tmpfs.dir);
    expect(stale.length).toBeGreaterThan(0);
    expect(filesContain(tmpfs.dir, [MARKER, 'x'.repeat(64)])).toBeNull();

    const next = await spawnServer(spillArgs());
    try {
      const left = filesUnder(tmpfs.dir);
      expect(left.filter((f) => stale.includes(f))).toEqual([]);
    } finally {
      await next.stop();
    }
  }, 60_000);
});
