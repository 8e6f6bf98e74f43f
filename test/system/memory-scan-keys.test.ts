// With --seal-keys yes no key name outlives its command either: random marker key names go in
// through a real client (strings, hashes and their field names, renames, copies, expiry, MULTI, a pipeline) and are
// listed back (KEYS, SCAN MATCH, RANDOMKEY), then every readable mapping of the live server
// process is searched for them and for the values stored under them.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const KEYS = 600;

describe('process memory with sealed key names', () => {
  let server: SpawnedServer;
  let client: Redis;

  beforeAll(async () => {
    server = await spawnServer(['--seal-keys', 'yes']);
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('holds none of the key names, nor their values, in any readable mapping of the live process', async () => {
    const names = makeMarkers(KEYS, 'SKVNAME-').map((b) => b.toString('latin1'));
    const values = makeMarkers(KEYS, 'SKVVALU-').map((b) => b.toString('latin1'));
    // Hash field names are sealed too; the control is a client name, kept in plaintext.
    const [field] = makeMarkers(1, 'SKVFIELD-');
    const [control] = makeMarkers(1, 'SKVCTRL-');
    await client.client('SETNAME', control!.toString('latin1'));
    const q = KEYS / 6;
    for (let i = 0; i < q; i++) await client.set(names[i]!, values[i]!);
    for (let i = q; i < 2 * q; i++) await client.hset(names[i]!, field!.toString('latin1'), values[i]!);
    for (let i = 2 * q; i < 3 * q; i++) {
      await client.set(`tmp:${i}`, values[i]!);
      if (i % 2 === 0) await client.rename(`tmp:${i}`, names[i]!);
      else await client.copy(`tmp:${i}`, names[i]!);
    }
    for (let i = 3 * q; i < 4 * q; i++) await client.setex(names[i]!, 3600, values[i]!);
    const tx = client.multi();
    for (let i = 4 * q; i < 5 * q; i++) tx.set(names[i]!, values[i]!).expire(names[i]!, 3600);
    await tx.exec();
    const pipe = client.pipeline();
    for (let i = 5 * q; i < KEYS; i++) pipe.set(names[i]!, values[i]!);
    await pipe.exec();

    const listed = (await client.keys('SKVNAME-*')).sort();
    expect(listed).toEqual([...names].sort());
    let cursor = '0';
    const scanned: string[] = [];
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', 'SKVNAME-*', 'COUNT', 100);
      cursor = next;
      scanned.push(...batch);
    } while (cursor !== '0');
    expect(new Set(scanned).size).toBe(KEYS);
    // COPY left its source keys behind (tmp:<odd>): RANDOMKEY may name one of those too.
    const copySources = names.map((_, i) => `tmp:${i}`).filter((_, i) => i >= 2 * q && i < 3 * q && i % 2 === 1);
    for (let i = 0; i < 20; i++) expect([...names, ...copySources]).toContain(await client.randomkey());
    for (let i = 0; i < KEYS; i++) {
      const stored = i >= q && i < 2 * q ? await client.hget(names[i]!, field!.toString('latin1')) : await client.get(names[i]!);
      expect(stored).toBe(values[i]);
    }
    expect(await client.ping()).toBe('PONG');

    const needles = [...names, ...values, field!.toString('latin1')].map((s) => Buffer.from(s, 'latin1'));
    const result = scanProcessMemory(server.process.pid!, [...needles, control!]);
    const found = result.hits.filter((h) => h.marker === needles.length);
    expect(found.length, 'the plaintext client name (control) is found').toBeGreaterThan(0);
    const leaks = result.hits.filter((h) => h.marker < needles.length);
    if (leaks.length > 0) console.error(`${leaks.length} copies found:\n${describeHits(leaks, needles)}`);
    expect(leaks.length).toBe(0);
  }, 120_000);
});
