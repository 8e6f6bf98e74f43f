// No plaintext a script saw outlives it for long: markers go into the server as values, as
// script arguments (ARGV) and through redis.call replies (GET inside EVAL, cjson and cmsgpack
// round trips, string concatenation in Lua), then, once the Lua collection that zeroes freed
// blocks has run (at most 100 ms after the last script), every readable mapping of the live
// server process is searched for them.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

describe('memory scan: scripts', () => {
  let server: SpawnedServer;
  let client: Redis;
  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('values read, passed and built by scripts leave no plaintext once the script is over', async () => {
    const markers = makeMarkers(300, 'SKVLUA-');
    const m = markers.map((b) => b.toString('latin1'));
    for (let i = 0; i < 100; i++) await client.set(`k:${i}`, m[i]!);
    const read = "local v = redis.call('GET', KEYS[1]) local j = cjson.decode(cjson.encode({v})) local p = cmsgpack.unpack(cmsgpack.pack(v)) return #(v .. j[1] .. p)";
    for (let i = 0; i < 100; i++) expect(await client.eval(read, 1, `k:${i}`)).toBe(m[i]!.length * 3);
    const store = "redis.call('SET', KEYS[1], ARGV[1] .. '') return redis.call('STRLEN', KEYS[1])";
    for (let i = 100; i < 200; i++) expect(await client.eval(store, 1, `a:${i}`, m[i]!)).toBe(m[i]!.length);
    const pass = 'return string.len(ARGV[1])';
    for (let i = 200; i < 300; i++) expect(await client.eval(pass, 0, m[i]!)).toBe(m[i]!.length);
    // Read every stored marker back out, so the values themselves did round trip.
    for (let i = 0; i < 100; i++) expect(await client.get(`k:${i}`)).toBe(m[i]);
    for (let i = 100; i < 200; i++) expect(await client.get(`a:${i}`)).toBe(m[i]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.ping();
    const result = scanProcessMemory(server.process.pid!, markers);
    if (result.hits.length > 0) console.error(`${result.hits.length} marker copies found:\n${describeHits(result.hits, markers)}`);
    expect(result.hits.length).toBe(0);
  });

  it('counters incremented by INCRBY and inside scripts leave none of their new values behind', async () => {
    // INCRBY works on a counter's digits in one small buffer, wiped after each increment: the
    // values the server computed (never sent to it) must not be found. 15 digits: the path that
    // seals straight into the key's record.
    // All values share their first 8 digits (one prefix for the scan to look for, not one per value).
    const computed: Buffer[] = [];
    const incr = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    const high = (10_000_000 + Math.floor(Math.random() * 80_000_000)) * 10_000_000;
    for (let i = 0; i < 100; i++) {
      const start = high + Math.floor(Math.random() * 5_000_000);
      const by = 100_000 + Math.floor(Math.random() * 800_000);
      await client.set(`c:${i}`, String(start));
      expect(await client.incrby(`c:${i}`, by)).toBe(start + by);
      expect(await client.eval(incr, 1, `c:${i}`, String(by))).toBe(start + 2 * by);
      computed.push(Buffer.from(String(start + by)), Buffer.from(String(start + 2 * by)));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.ping();
    const result = scanProcessMemory(server.process.pid!, computed);
    if (result.hits.length > 0) console.error(`${result.hits.length} counter values found:\n${describeHits(result.hits, computed)}`);
    expect(result.hits.length).toBe(0);
  }, 120_000);
});
