// No plaintext outlives a bitmap, HyperLogLog or LCS command: random markers are stored as
// string values (small ones and one sealed in chunks) and then go through every path that opens
// such a value here (SETBIT growing it or leaving it, GETBIT, BITCOUNT, BITPOS, BITFIELD and
// BITFIELD_RO, BITOP copying it into another key, LCS returning it whole or as ranges), or are
// PFADDed as elements; then every readable mapping of the live server is searched for them.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 600;
/**
 * Values carry their marker after some filler: a small buffer freed without being wiped has its
 * first 16 bytes overwritten by malloc's free-list pointers, which would hide a marker at its
 * start from the scan.
 */
const PAD = 'P'.repeat(48);

async function exercise(client: Redis, markers: string[]): Promise<void> {
  let next = 0;
  const take = (n: number): string[] => markers.slice(next, (next += n));

  // Small values read and edited through every bitmap command.
  const small = take(200);
  for (let i = 0; i < small.length; i++) {
    const m = PAD + small[i]!;
    const k = `b:${i}`;
    await client.set(k, m);
    const bits = m.length * 8;
    expect(await client.getbit(k, 3)).toBeGreaterThanOrEqual(0);
    expect(await client.bitcount(k)).toBeGreaterThan(0);
    expect(await client.call('BITCOUNT', k, '1', '20', 'BIT')).toBeGreaterThanOrEqual(0);
    expect(await client.bitpos(k, 1)).toBeGreaterThanOrEqual(0);
    expect(await client.call('BITFIELD_RO', k, 'GET', 'u8', '0')).toHaveLength(1);
    if (i % 4 === 0) await client.setbit(k, bits + 7, 1);
    else if (i % 4 === 1) await client.setbit(k, 0, (await client.getbit(k, 0)) as 0 | 1);
    else if (i % 4 === 2) await client.call('BITFIELD', k, 'SET', 'u8', String(bits), '1', 'GET', 'u16', '0');
    else await client.bitop('OR', `copy:${i}`, k);
  }
  // LCS of a marker with itself and with another: the whole string, and as ranges.
  const compared = take(100);
  for (let i = 0; i < compared.length; i += 2) {
    await client.mset(`l:${i}`, PAD + compared[i]!, `l:${i + 1}`, PAD + compared[i + 1]!);
    expect(await client.call('LCS', `l:${i}`, `l:${i}`)).toBe(PAD + compared[i]!);
    await client.call('LCS', `l:${i}`, `l:${i + 1}`);
    await client.call('LCS', `l:${i}`, `l:${i + 1}`, 'IDX', 'WITHMATCHLEN');
    await client.call('LCS', `l:${i}`, `l:${i + 1}`, 'LEN');
  }
  // Elements of HyperLogLogs are hashed, never kept.
  const elements = take(200);
  for (let i = 0; i < elements.length; i += 20) await client.pfadd(`hll:${i % 3}`, ...elements.slice(i, i + 20));
  expect(await client.pfcount('hll:0', 'hll:1', 'hll:2')).toBeGreaterThan(150);
  await client.pfmerge('hll:all', 'hll:0', 'hll:1', 'hll:2');
  // A value sealed in chunks, read a window at a time and edited a chunk at a time.
  const inChunked = take(100);
  const chunky = Buffer.concat(inChunked.flatMap((v) => [randomBytes(1500), Buffer.from(v, 'latin1')]));
  await client.set('chunky', chunky);
  expect(await client.bitcount('chunky')).toBeGreaterThan(0);
  expect(await client.call('BITCOUNT', 'chunky', '70000', '-70000')).toBeGreaterThan(0);
  expect(await client.bitpos('chunky', 0, 100000)).toBeGreaterThan(0);
  await client.setbit('chunky', 8 * 70_000 + 1, 1);
  await client.setbit('chunky', 8 * chunky.length + 100, 1);
  await client.call('BITFIELD', 'chunky', 'INCRBY', 'u16', String(8 * 65_535), '1', 'GET', 'i32', '#5000');
  await client.call('BITFIELD_RO', 'chunky', 'GET', 'i32', '#30000');
  await client.bitop('OR', 'chunky:copy', 'chunky', 'b:0');
  await client.bitop('AND', 'chunky:and', 'chunky', 'chunky:copy');
  chunky.fill(0);
  expect(next).toBe(COUNT);
}

describe('process memory after bitmap, HyperLogLog and LCS commands', () => {
  let server: SpawnedServer;
  let client: Redis;
  const markers = makeMarkers(COUNT).map((b) => b.toString('latin1'));

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('holds none of the markers in any readable mapping of the live process', async () => {
    await exercise(client, markers);
    expect(await client.ping()).toBe('PONG');
    const bytes = markers.map((m) => Buffer.from(m, 'latin1'));
    expectNoPlaintext(server.process.pid!, bytes);
  }, 180_000);
});
