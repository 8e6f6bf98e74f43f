// Online key rotation of the built server under a steady, bounded load from several real clients
// (ioredis): SET/GET/HSET/HGET on a few thousand keys while SEAL ROTATE runs twice. Every reply
// must be the value last written, no request may fail, and both old key ids must leave INFO.
// The master key comes from an environment variable (--master-key-env).

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const CLIENTS = 4;
const KEYS_PER_CLIENT = 750;
/** Bulk keys that make each re-seal pass span many event-loop turns. */
const BULK_KEYS = 40_000;

async function sealInfo(client: Redis): Promise<Record<string, string>> {
  const text = await client.info('sealkv');
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':', 2) as [string, string]));
}

/** Polls INFO until no rotation runs; bounded (60 s), never a timing assertion. */
async function rotationDone(client: Redis): Promise<Record<string, string>> {
  for (let i = 0; i < 3000; i++) {
    const info = await sealInfo(client);
    if (info.rotation_in_progress === '0') return info;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('rotation did not finish within 60 s');
}

/** One client's share of the load: its own keys, so it knows what each must read back. */
class Worker {
  readonly strings = new Map<string, string>();
  readonly fields = new Map<string, string>();
  requests = 0;
  failures: string[] = [];
  mismatches: string[] = [];
  private round = 0;

  constructor(
    readonly client: Redis,
    private readonly id: number,
  ) {}

  /** One round: a write and a read of every own key, as a pipeline of SET/GET/HSET/HGET. */
  async step(): Promise<void> {
    this.round++;
    const p = this.client.pipeline();
    const expected: (string | null)[] = [];
    for (let i = 0; i < KEYS_PER_CLIENT; i++) {
      const key = `w${this.id}:s:${i}`;
      const hash = `w${this.id}:h:${i % 50}`;
      const field = `f${i}`;
      if ((i + this.round) % 3 === 0) {
        const value = `${key}:${this.round}:${randomBytes(6).toString('hex')}`;
        this.strings.set(key, value);
        p.set(key, value);
        expected.push('OK');
        const fv = `${hash}.${field}:${this.round}`;
        this.fields.set(`${hash}\0${field}`, fv);
        p.hset(hash, field, fv);
        expected.push(null); // 0 or 1: not checked
      } else {
        p.get(key);
        expected.push(this.strings.get(key) ?? null);
        p.hget(hash, field);
        expected.push(this.fields.get(`${hash}\0${field}`) ?? null);
      }
    }
    const replies = (await p.exec())!;
    this.requests += replies.length;
    replies.forEach(([err, value], i) => {
      if (err) this.failures.push(err.message);
      else if (expected[i] !== null && value !== expected[i]) this.mismatches.push(`${String(value)} != ${expected[i]}`);
    });
  }
}

describe('key rotation under load (built server, real clients)', () => {
  let server: SpawnedServer;
  let admin: Redis;
  let workers: Worker[];

  beforeAll(async () => {
    server = await spawnServer(['--master-key-env', 'SEALKV_ROTATION_TEST_KEY'], {
      SEALKV_ROTATION_TEST_KEY: randomBytes(32).toString('base64'),
    });
    admin = ioredis(server.port);
    workers = Array.from({ length: CLIENTS }, (_, i) => new Worker(ioredis(server.port), i));
    const bulk = admin.pipeline();
    for (let i = 0; i < BULK_KEYS; i++) {
      if (i % 4 === 0) bulk.hset(`bulk:h:${i}`, 'a', `a${i}`, 'b', `b${i}`);
      else bulk.set(`bulk:${i}`, `bulk-${i}`);
    }
    await bulk.exec();
  });
  afterAll(async () => {
    for (const w of workers ?? []) w.client.disconnect();
    admin?.disconnect();
    await server?.stop();
  });

  it('serves every request correctly through two rotations and wipes both old keys', async () => {
    const first = await sealInfo(admin);
    expect(first.key_source).toBe('env');
    const seen: string[] = [first.key_id!];
    let stop = false;
    const load = Promise.all(
      workers.map(async (w) => {
        // Bounded: at most 200 rounds per client, fewer once both rotations are over.
        for (let round = 0; round < 200 && !stop; round++) await w.step();
      }),
    );
    for (let rotation = 0; rotation < 2; rotation++) {
      const id = (await admin.call('seal', 'rotate')) as string;
      seen.push(id);
      const info = await rotationDone(admin);
      expect(info.key_id).toBe(id);
      expect(info.key_ids).toBe(id);
      expect(info.keys_in_use).toBe('1');
    }
    // A few more rounds after the last rotation, then stop.
    await Promise.all(workers.map((w) => w.step()));
    stop = true;
    await load;

    expect(new Set(seen).size).toBe(3);
    const info = await sealInfo(admin);
    expect(info.rotations_completed).toBe('2');
    expect(info.rotation_failures).toBe('0');
    expect(info.key_ids).toBe(seen[2]);
    expect((await admin.info('sealkv')).includes(seen[0]!)).toBe(false);
    expect((await admin.info('sealkv')).includes(seen[1]!)).toBe(false);

    for (const w of workers) {
      expect(w.failures).toEqual([]);
      expect(w.mismatches).toEqual([]);
      expect(w.requests).toBeGreaterThan(0);
      const keys = [...w.strings.keys()];
      const values = await w.client.mget(keys);
      values.forEach((v, i) => expect(v).toBe(w.strings.get(keys[i]!)));
      for (const [hf, value] of w.fields) {
        const [hash, field] = hf.split('\0') as [string, string];
        expect(await w.client.hget(hash, field)).toBe(value);
      }
    }
    expect(await admin.get('bulk:7')).toBe('bulk-7');
    expect(await admin.hgetall(`bulk:h:${BULK_KEYS - 4}`)).toEqual({ a: `a${BULK_KEYS - 4}`, b: `b${BULK_KEYS - 4}` });
    // Every value is under the current key: bulk strings and hashes, and the workers' own. A
    // small hash is one sealed blob of all its pairs, so it counts once whatever its fields.
    const hashesOf = (w: (typeof workers)[number]) => new Set([...w.fields.keys()].map((hf) => hf.split('\0')[0])).size;
    const values = (BULK_KEYS * 3) / 4 + BULK_KEYS / 4 + workers.reduce((n, w) => n + w.strings.size + hashesOf(w), 0);
    const status = (await admin.call('seal', 'status')) as unknown[];
    expect(status[status.indexOf('keys') + 1]).toEqual([seen[2], values]);
  });
});
