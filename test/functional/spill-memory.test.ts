// maxmemory without a spill tier: the byte accounting behind INFO used_memory_dataset, the OOM
// refusal (text and MULTI behaviour checked against redis-server 7.0.15) and the eviction
// policies. No tmpfs needed.

import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, rawExchange, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { CLIENT_BYTES, FIELD_OVERHEAD, HASH_OVERHEAD, STRING_OVERHEAD } from '../../src/store/memory.js';
import { OVERHEAD as SEAL_OVERHEAD } from '../../src/seal/sealer.js';
import { opsOf } from '../../src/store/types/index.js';

const T0 = 1_700_000_000_000;
const OOM = { error: "OOM command not allowed when used memory > 'maxmemory'." };

let server: InProcessServer;
let client: Redis;
let run: ReturnType<typeof runner>;

const account = () => server.running.state.memory.account;
/** What maxmemory is compared with: the dataset plus every connected client's fixed cost. */
const used = () => account().used;
/** The entries' share of it. */
const dataset = () => account().used - account().clients;
const setConfig = (name: string, value: string) => run(['config', 'set', name, value]);

function infoField(info: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(info);
  if (!m) throw new Error(`no ${field} in INFO`);
  return m[1]!.trim();
}

/** Bytes one string key costs: entry overhead, key name, sealed value. */
const stringBytes = (key: string, value: string) => STRING_OVERHEAD + key.length + value.length + SEAL_OVERHEAD;

beforeAll(async () => {
  server = await startInProcess({}, T0);
  client = ioredis(server.port);
  run = runner(client);
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});
afterEach(async () => {
  await setConfig('maxmemory', '0');
  await setConfig('maxmemory-policy', 'noeviction');
  await setConfig('maxmemory-samples', '5');
  await run(['flushall']);
});

describe('memory accounting', () => {
  it('counts keys, sealed values and overhead on set, overwrite, delete and flush', async () => {
    expect(dataset()).toBe(0);
    await run(['set', 'k', 'v']);
    expect(dataset()).toBe(stringBytes('k', 'v'));
    await run(['set', 'k', 'longer value']);
    expect(dataset()).toBe(stringBytes('k', 'longer value'));
    await run(['append', 'k', '!!']);
    expect(dataset()).toBe(stringBytes('k', 'longer value!!'));
    await run(['mset', 'a', '1', 'b', '22']);
    expect(dataset()).toBe(stringBytes('k', 'longer value!!') + stringBytes('a', '1') + stringBytes('b', '22'));
    await run(['del', 'k', 'a']);
    expect(dataset()).toBe(stringBytes('b', '22'));
    await run(['flushall']);
    expect(dataset()).toBe(0);
  });

  it('follows hash fields changed in place', async () => {
    // The count kept as fields change equals a fresh count of the hash (its type's own bytes).
    const fresh = () => {
      const entry = server.running.state.databases[0]!.peek('h');
      return entry === undefined ? 0 : HASH_OVERHEAD + 1 + opsOf(entry).valueBytes(entry, Infinity);
    };
    await run(['hset', 'h', 'f1', 'one', 'f2', 'two']);
    // fresh() first: a small hash at rest is packed in its record (counted as such), and peeking
    // unpacks it, after which the account counts the unpacked form.
    const two = fresh();
    expect(dataset()).toBe(two);
    // A small hash is one sealed blob of its pairs: one seal, not one per field.
    expect(two).toBeLessThan(HASH_OVERHEAD + 1 + 2 * (FIELD_OVERHEAD + SEAL_OVERHEAD));
    await run(['hdel', 'h', 'f1']);
    const one = fresh();
    expect(dataset()).toBe(one);
    expect(dataset()).toBeLessThan(two);
    await run(['hdel', 'h', 'f2']);
    expect(dataset()).toBe(0);
  });

  it('drops expired keys from the count, lazily and in the active cycle', async () => {
    await run(['set', 'a', 'x', 'px', '100']);
    await run(['set', 'b', 'y', 'px', '100']);
    expect(dataset()).toBe(stringBytes('a', 'x') + stringBytes('b', 'y'));
    server.advance(200);
    expect(await run(['get', 'a'])).toBeNull();
    expect(dataset()).toBe(stringBytes('b', 'y'));
    server.running.state.databases[0]!.expireSlice(T0 + 200, 20);
    expect(dataset()).toBe(0);
  });

  it('counts a fixed cost per connected client, given back when it disconnects', async () => {
    const clients = () => server.running.state.clients.size;
    expect(clients()).toBe(1);
    expect(account().clients).toBe(CLIENT_BYTES);
    const other = ioredis(server.port);
    await other.ping();
    expect(account().clients).toBe(2 * CLIENT_BYTES);
    expect(used()).toBe(dataset() + 2 * CLIENT_BYTES);
    other.disconnect();
    await expect.poll(clients).toBe(1);
    expect(account().clients).toBe(CLIENT_BYTES);
  });

  it('shows in INFO memory next to maxmemory, its human form and the policy; maxmemory is applied', async () => {
    await run(['set', 'k', 'v']);
    await setConfig('maxmemory', '2mb');
    await setConfig('maxmemory-policy', 'allkeys-lru');
    const info = (await run(['info', 'memory'])) as string;
    // The dataset and this connection's fixed cost: together used_memory, what maxmemory is compared with.
    expect(infoField(info, 'used_memory_dataset')).toBe(String(stringBytes('k', 'v')));
    expect(infoField(info, 'used_memory')).toBe(String(stringBytes('k', 'v') + CLIENT_BYTES));
    expect(infoField(info, 'mem_clients_normal')).toBe(String(CLIENT_BYTES));
    expect(infoField(info, 'mem_not_counted_for_evict')).toBe('0');
    expect(infoField(info, 'maxmemory')).toBe(String(2 * 1024 * 1024));
    expect(infoField(info, 'maxmemory_human')).toBe('2.00M');
    expect(infoField(info, 'maxmemory_policy')).toBe('allkeys-lru');
    const sealkv = (await run(['info', 'sealkv'])) as string;
    expect(infoField(sealkv, 'config_not_applied')).not.toMatch(/maxmemory/);
    expect(infoField((await run(['info', 'spill'])) as string, 'spill_enabled')).toBe('0');
  });
});

describe('noeviction', () => {
  it('refuses denyoom writes with the exact OOM error, while reads and deletes work', async () => {
    await run(['set', 'k', 'v']);
    await run(['hset', 'h', 'f', 'v']);
    await setConfig('maxmemory', '1');
    expect(await run(['set', 'k2', 'v'])).toEqual(OOM);
    expect(await run(['append', 'k', 'more'])).toEqual(OOM);
    expect(await run(['hset', 'h', 'f2', 'v'])).toEqual(OOM);
    expect(await run(['get', 'k'])).toBe('v');
    expect(await run(['strlen', 'k'])).toBe(1);
    expect(await run(['expire', 'k', '100'])).toBe(1);
    expect(await run(['del', 'h'])).toBe(1);
    expect(await run(['del', 'k'])).toBe(1);
    // As in Redis, the connections alone are over a 1-byte limit: writes stay refused over an
    // empty dataset. Room for the clients and one key lets one write through.
    expect(dataset()).toBe(0);
    expect(await run(['set', 'k', 'v'])).toEqual(OOM);
    await setConfig('maxmemory', String(used() + 1));
    expect(await run(['set', 'k', 'v'])).toBe('OK');
    expect(await run(['set', 'k3', 'v'])).toEqual(OOM);
    const stats = (await run(['info', 'stats'])) as string;
    expect(infoField(stats, 'evicted_keys')).toBe('0');
    expect(infoField((await run(['info', 'errorstats'])) as string, 'errorstat_OOM')).toMatch(/^count=\d+$/);
  });

  it('refuses queueing in MULTI under OOM, so EXEC answers EXECABORT (as Redis 7 does)', async () => {
    await run(['set', 'k', 'v']);
    await setConfig('maxmemory', '1');
    const { data } = await rawExchange(server.port, 'MULTI\r\nGET k\r\nSET k w\r\nEXEC\r\nGET k\r\n');
    expect(data.toString()).toBe(
      "+OK\r\n-OOM command not allowed when used memory > 'maxmemory'.\r\n-OOM command not allowed when used memory > 'maxmemory'.\r\n" +
        '-EXECABORT Transaction discarded because of previous errors.\r\n$1\r\nv\r\n',
    );
  });

  it('refuses an EXEC holding writes once memory went over, and discards the transaction', async () => {
    await run(['set', 'k', 'v']);
    expect(await run(['multi'])).toBe('OK');
    expect(await run(['set', 'k', 'w'])).toBe('QUEUED');
    const other = ioredis(server.port);
    try {
      await other.config('SET', 'maxmemory', '1');
    } finally {
      other.disconnect();
    }
    expect(await run(['exec'])).toEqual({
      error: "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.",
    });
    expect(await run(['exec'])).toEqual({ error: 'ERR EXEC without MULTI' });
    expect(await run(['get', 'k'])).toBe('v');
  });
});

describe('eviction policies', () => {
  /** Writes key:0..n-1, each touched at its own time. */
  async function fill(n: number, ttl: (i: number) => number | null = () => null): Promise<void> {
    for (let i = 0; i < n; i++) {
      server.advance(1);
      const px = ttl(i);
      await run(px === null ? ['set', `key:${i}`, 'v'.repeat(100)] : ['set', `key:${i}`, 'v'.repeat(100), 'px', px]);
    }
  }

  /** Lowers maxmemory to about `keep` keys beside the clients; the next command evicts. Returns evicted_keys before it. */
  async function shrink(keep: number): Promise<number> {
    const before = await evicted();
    await setConfig('maxmemory', String(account().clients + keep * stringBytes('key:00', 'v'.repeat(100))));
    return before;
  }

  const present = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if ((await run(['exists', `key:${i}`])) === 1) out.push(i);
    return out;
  };
  const evicted = async () => Number(infoField((await run(['info', 'stats'])) as string, 'evicted_keys'));

  it('allkeys-lru evicts the least recently used keys first and counts them', async () => {
    await setConfig('maxmemory-policy', 'allkeys-lru');
    await setConfig('maxmemory-samples', '64');
    await fill(40);
    // Touch the oldest ten: they become the most recent.
    for (let i = 0; i < 10; i++) {
      server.advance(1);
      await run(['get', `key:${i}`]);
    }
    const before = await shrink(20);
    expect(await run(['set', 'new', 'v'.repeat(100)])).toBe('OK');
    const kept = await present(40);
    expect(kept.length + ((await evicted()) - before)).toBe(40);
    expect(kept.length).toBeLessThanOrEqual(20);
    for (let i = 0; i < 10; i++) expect(kept).toContain(i);
    expect(used()).toBeLessThanOrEqual(server.running.state.memory.settings.maxmemory);
  });

  it('allkeys-random evicts until under the limit', async () => {
    await setConfig('maxmemory-policy', 'allkeys-random');
    await fill(30);
    const before = await shrink(10);
    expect(await run(['ping'])).toBe('PONG');
    expect((await present(30)).length + ((await evicted()) - before)).toBe(30);
    expect(used()).toBeLessThanOrEqual(server.running.state.memory.settings.maxmemory);
  });

  it('volatile-ttl evicts only keys with a TTL, nearest expiry first, then refuses', async () => {
    await setConfig('maxmemory-policy', 'volatile-ttl');
    await setConfig('maxmemory-samples', '64');
    // Even keys carry a TTL, shorter for lower numbers; odd keys have none.
    await fill(20, (i) => (i % 2 === 0 ? 100_000 + i * 1000 : null));
    await shrink(15);
    expect(await run(['ping'])).toBe('PONG');
    const kept = await present(20);
    for (let i = 1; i < 20; i += 2) expect(kept).toContain(i);
    const gone = [...Array(20).keys()].filter((i) => !kept.includes(i));
    expect(gone.length).toBeGreaterThan(0);
    // The evicted ones are the lowest even numbers: the nearest expiries.
    expect(gone).toEqual([...Array(gone.length).keys()].map((i) => i * 2));
    await setConfig('maxmemory', '1');
    expect(await run(['set', 'more', 'v'])).toEqual(OOM);
    expect((await present(20)).filter((i) => i % 2 === 1)).toHaveLength(10);
  });

  it('volatile-lru with no key carrying a TTL behaves as noeviction', async () => {
    await setConfig('maxmemory-policy', 'volatile-lru');
    await fill(10);
    await shrink(5);
    expect(await run(['set', 'more', 'v'])).toEqual(OOM);
    expect(await present(10)).toHaveLength(10);
  });

  it('allkeys-lfu evicts the least frequently used keys first, however recently they were used', async () => {
    await setConfig('maxmemory-policy', 'allkeys-lfu');
    await setConfig('lfu-log-factor', '0');
    await setConfig('maxmemory-samples', '64');
    await fill(40);
    // The oldest ten are read often; the others are read once, after them (more recently).
    for (let round = 0; round < 5; round++) for (let i = 0; i < 10; i++) await run(['get', `key:${i}`]);
    for (let i = 10; i < 40; i++) await run(['get', `key:${i}`]);
    const before = await shrink(20);
    expect(await run(['set', 'new', 'v'.repeat(100)])).toBe('OK');
    const kept = await present(40);
    // 'new' starts at counter 5, below the others' 6: it may be the next one evicted.
    expect(kept.length + ((await run(['exists', 'new'])) as number) + ((await evicted()) - before)).toBe(41);
    expect(kept.length).toBeLessThanOrEqual(20);
    for (let i = 0; i < 10; i++) expect(kept).toContain(i);
    await setConfig('lfu-log-factor', '10');
  });
});
