// No plaintext set member outlives its command: random markers go in as members of small and
// large sets (one-member SADDs pipelined last), through every set command that stores, moves, combines, tests, scans or returns
// members, then every readable mapping of the live server process is searched for them. A key
// name kept in plaintext (no --seal-keys) is the control that the scan finds what is there.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 1300;

async function exercise(client: Redis, markers: Buffer[]): Promise<void> {
  const m = markers.map((b) => b.toString('latin1'));
  // 100 small sets of 5 members, and one large set of 500 (buckets, not a plain list).
  for (let i = 0; i < 100; i++) expect(await client.sadd(`small:${i}`, ...m.slice(i * 5, i * 5 + 5))).toBe(5);
  const large = m.slice(500, 1000);
  for (let i = 0; i < large.length; i += 50) await client.sadd('large', ...large.slice(i, i + 50));
  expect(await client.scard('large')).toBe(500);
  // Membership through the digest index, and members read back.
  for (let i = 0; i < 100; i++) {
    expect(await client.sismember(`small:${i}`, m[i * 5]!)).toBe(1);
    expect(await client.smismember(`small:${i}`, m[i * 5 + 1]!, 'absent')).toEqual([1, 0]);
    expect((await client.smembers(`small:${i}`)).sort()).toEqual(m.slice(i * 5, i * 5 + 5).sort());
  }
  // The small sets are packed (as each SADD's turn ended): scanned and combined in their blobs'
  // plaintext (opened-members.ts), a small union stored packed at once.
  for (let i = 0; i < 100; i += 2) {
    const [next, members] = await client.sscan(`small:${i}`, 0, 'MATCH', '*');
    expect([next, members.sort()]).toEqual(['0', m.slice(i * 5, i * 5 + 5).sort()]);
    expect((await client.sunion(`small:${i}`, `small:${i + 1}`)).length).toBe(10);
    expect((await client.sdiff(`small:${i}`, `small:${i + 1}`)).length).toBe(5);
    expect(await client.sinter(`small:${i}`, `small:${i}`)).toHaveLength(5);
    expect(await client.sintercard(2, `small:${i}`, `small:${i + 1}`)).toBe(0);
    expect(await client.sunionstore(`pair:${i}`, `small:${i}`, `small:${i + 1}`)).toBe(10);
    expect(await client.call('SORT', `small:${i}`, 'ALPHA', 'LIMIT', '0', '3')).toHaveLength(3);
    // A packed set moved and copied as its blob, sealed again for the new key.
    expect(await client.copy(`pair:${i}`, `pc:${i}`)).toBe(1);
    await client.rename(`pair:${i}`, `pr:${i}`);
  }
  const scanned = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await client.sscan('large', cursor, 'COUNT', 40);
    for (const x of batch) scanned.add(x);
    cursor = next;
  } while (cursor !== '0');
  expect(scanned.size).toBe(500);
  const [, matched] = await client.sscan('large', 0, 'MATCH', `${m[500]!.slice(0, 20)}*`, 'COUNT', 1000);
  expect(matched).toContain(m[500]);
  // Members that move or are combined: opened and sealed again for their new key.
  const moving = m.slice(1000, 1100);
  await client.sadd('from', ...moving);
  for (let i = 0; i < 50; i++) expect(await client.smove('from', 'to', moving[i]!)).toBe(1);
  await client.sadd('other', ...moving.slice(25, 75));
  expect(await client.sinterstore('inter', 'from', 'other')).toBe(25);
  expect(await client.sunionstore('union', 'from', 'to')).toBe(100);
  expect(await client.sdiffstore('diff', 'to', 'other')).toBe(25);
  expect((await client.sinter('to', 'other')).length).toBe(25);
  expect((await client.sunion('from', 'to')).length).toBe(100);
  expect((await client.sdiff('from', 'other')).length).toBe(25);
  expect(await client.sintercard(2, 'union', 'other')).toBe(50);
  await client.rename('union', 'renamed');
  await client.copy('renamed', 'copied');
  expect(await client.scard('copied')).toBe(100);
  // Members drawn at random and popped.
  const drawn = m.slice(1100, 1200);
  await client.sadd('draw', ...drawn);
  expect((await client.srandmember('draw', 30)).length).toBe(30);
  expect((await client.srandmember('draw', -30)).length).toBe(30);
  expect(drawn).toContain(await client.srandmember('draw'));
  expect((await client.spop('draw', 40)).length).toBe(40);
  expect(drawn).toContain(await client.spop('draw'));
  expect(await client.srem('draw', ...drawn)).toBe(59);
  // One-member SADDs pipelined into the large set, the last commands sent: each leaves the set's
  // tail node open for the rest of the server's turn, sealed and wiped when the turn ends.
  const piped = client.pipeline();
  for (const x of m.slice(1200, 1300)) piped.sadd('large', x);
  const replies = await piped.exec();
  expect(replies!.map(([, n]) => n)).toEqual(Array(100).fill(1));
}

describe('process memory after storing and reading back set members', () => {
  let server: SpawnedServer;
  let client: Redis;
  const markers = makeMarkers(COUNT);

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('holds none of the members in any readable mapping of the live process', async () => {
    const [keyName] = makeMarkers(1, 'SKVKEYNAME-');
    await client.sadd(keyName!, 'x');
    await exercise(client, markers);
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: keyName!, what: 'the plaintext key name' });
  }, 120_000);
});
