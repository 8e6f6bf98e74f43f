// No plaintext element outlives a read answered from a small collection packed at rest
// (commands/values/packed-reads.ts: the blob is opened into the packer's scratch and wiped before the
// command returns; a small hash's pairs blob is read where it lies): random markers go in as the
// elements of small lists, sets, sorted sets and hashes, which are packed as their turn ends,
// then read back by every command that answers from the blob, one by one and pipelined, SADD
// writes into the packed sets, ZADD, ZINCRBY and ZREM into the packed sorted sets, SADD into
// the packed sets last (HSET, HDEL, HINCRBY, HGET, HMGET and HEXISTS on the packed hashes at rest
// before it), and every readable mapping of the live server process is searched for
// them. A key name kept in plaintext (no --seal-keys) is the control that the scan finds what is
// there. A second server takes SREM, SPOP and SMOVE in the blobs of packed sets.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const KEYS = 60;
const SIZE = 5;

async function exercise(client: Redis, m: string[]): Promise<void> {
  const of = (i: number) => m.slice(i * SIZE, i * SIZE + SIZE);
  for (let i = 0; i < KEYS; i++) {
    await client.rpush(`l:${i}`, ...of(i));
    await client.sadd(`s:${i}`, ...of(KEYS + i));
    await client.zadd(`z:${i}`, ...of(2 * KEYS + i).flatMap((x, k) => [k, x]));
    await client.hset(`h:${i}`, ...of(3 * KEYS + i).flatMap((x, k) => [`f${k}`, x]));
  }
  for (let i = 0; i < KEYS; i++) {
    expect(await client.lrange(`l:${i}`, 0, -1)).toEqual(of(i));
    expect(await client.lrange(`l:${i}`, 1, 2)).toEqual(of(i).slice(1, 3));
    expect(await client.llen(`l:${i}`)).toBe(SIZE);
    expect((await client.smembers(`s:${i}`)).sort()).toEqual(of(KEYS + i).sort());
    expect(await client.sismember(`s:${i}`, of(KEYS + i)[SIZE - 1]!)).toBe(1);
    expect(await client.sismember(`s:${i}`, of(i)[0]!)).toBe(0);
    expect(await client.scard(`s:${i}`)).toBe(SIZE);
    expect(await client.zrange(`z:${i}`, '0', '-1')).toEqual(of(2 * KEYS + i));
    expect(await client.zrevrange(`z:${i}`, '0', '1', 'WITHSCORES')).toEqual([of(2 * KEYS + i)[4], '4', of(2 * KEYS + i)[3], '3']);
    expect(await client.zscore(`z:${i}`, of(2 * KEYS + i)[2]!)).toBe('2');
    expect(await client.zcard(`z:${i}`)).toBe(SIZE);
    expect(await client.hget(`h:${i}`, 'f1')).toBe(of(3 * KEYS + i)[1]);
    expect(Object.values(await client.hgetall(`h:${i}`))).toEqual(of(3 * KEYS + i));
  }
  // Many reads in one turn.
  const piped = client.pipeline();
  for (let i = 0; i < KEYS; i++) piped.lrange(`l:${i}`, 0, -1).smembers(`s:${i}`).zrange(`z:${i}`, '0', '-1', 'WITHSCORES');
  const replies = await piped.exec();
  expect(replies!.every(([err]) => err === null)).toBe(true);
  // SADD into the packed sets once they rest (commands/sets/sets.ts saddPacked): a new member (the
  // list's first marker) in the blob, a present one (the second write within 100 ms: still in
  // the blob), then another into the set now in use (unpacked), pipelined; after another rest,
  // present members one by one from the blob.
  const rest = () => new Promise((r) => setTimeout(r, 1100));
  await rest();
  const adds = client.pipeline();
  for (let i = 0; i < KEYS; i++) adds.sadd(`s:${i}`, of(KEYS + i)[0]!, of(i)[0]!).sadd(`s:${i}`, of(KEYS + i)[4]!).sadd(`s:${i}`, of(KEYS + i)[2]!);
  expect((await adds.exec())!.map(([err, n]) => (err === null ? n : err))).toEqual(Array.from({ length: KEYS }, () => [1, 0, 0]).flat());
  await rest();
  for (let i = 0; i < KEYS; i++) expect(await client.sadd(`s:${i}`, of(KEYS + i)[1]!, of(KEYS + i)[3]!)).toBe(0);
  // ZADD of a new member (the list's second marker), ZINCRBY and ZREM into the packed sorted sets
  // at rest (commands/zsets/zset-rest.ts), each pipelined over every set after a rest, so each is made
  // in the blob; then two more ZADDs, the second into a set in use (unpacked).
  const each = async (write: (p: ReturnType<Redis['pipeline']>, i: number, z: string[]) => void): Promise<unknown[]> => {
    await rest();
    const p = client.pipeline();
    for (let i = 0; i < KEYS; i++) write(p, i, of(2 * KEYS + i));
    return (await p.exec())!.map(([err, r]) => err ?? r);
  };
  expect(await each((p, i) => p.zadd(`z:${i}`, '9', of(i)[1]!))).toEqual(Array(KEYS).fill(1));
  expect(await each((p, _i, z) => p.zincrby(`z:${_i}`, '10', z[0]!))).toEqual(Array(KEYS).fill('10'));
  expect(await each((p, i, z) => p.zrem(`z:${i}`, z[1]!, of(i)[2]!).zadd(`z:${i}`, '1', z[2]!).zadd(`z:${i}`, '1', z[2]!))).toEqual(Array(KEYS).fill([1, 0, 0]).flat());
  for (let i = 0; i < KEYS; i++) {
    const z = of(2 * KEYS + i);
    expect(await client.zrange(`z:${i}`, '0', '-1')).toEqual([z[2], z[3], z[4], of(i)[1], z[0]]);
  }
  // Writes to the packed hashes at rest, made in their records (commands/hashes/hash-entries.ts
  // writeAtRest), each pipelined over every hash after a rest: HSET of a new field (the list's
  // fifth marker), HDEL of the first field, HINCRBY of a new counter; then, at rest again, the
  // new field read back by HGET, HMGET and HEXISTS. The hashes' scratch is last written by these:
  // HashAccess.done()'s wipe is all that keeps their pairs out of the scan.
  expect(await each((p, i) => p.hset(`h:${i}`, 'f9', of(i)[4]!))).toEqual(Array(KEYS).fill(1));
  expect(await each((p, i) => p.hdel(`h:${i}`, 'f0', 'absent'))).toEqual(Array(KEYS).fill(1));
  expect(await each((p, i) => p.hincrby(`h:${i}`, 'n', 7))).toEqual(Array(KEYS).fill(7));
  expect(await each((p, i) => p.hget(`h:${i}`, 'f9').hmget(`h:${i}`, 'f1', 'f9', 'absent').hexists(`h:${i}`, 'f9'))).toEqual(
    Array.from({ length: KEYS }, (_, i) => [of(i)[4], [of(3 * KEYS + i)[1], of(i)[4], null], 1]).flat(),
  );
  // Last, once everything rests packed, a new member (the list's fourth marker) added in each
  // set's blob (Packer.addToSet), so the packer's scratch is last written by a set's edit: its
  // wipe is all that keeps that set's members out of the scan.
  await rest();
  const last = client.pipeline();
  for (let i = 0; i < KEYS; i++) last.sadd(`s:${i}`, of(i)[3]!);
  expect((await last.exec())!.map(([err, n]) => err ?? n)).toEqual(Array(KEYS).fill(1));
}

/**
 * SREM, SPOP (one and a count) and SMOVE made in the blobs of small sets at rest
 * (commands/sets/set-rest.ts, Packer.editSet), each pipelined over every set after a rest; the last,
 * a pop of one member from each set, leaves the packer's scratch last written by a set's
 * removal: its wipe is all that keeps that set's members out of the scan.
 */
async function removeAtRest(client: Redis, m: string[]): Promise<void> {
  const of = (i: number) => m.slice(i * SIZE, i * SIZE + SIZE);
  for (let i = 0; i < KEYS; i++) await client.sadd(`s:${i}`, ...of(i));
  const each = async (write: (p: ReturnType<Redis['pipeline']>, i: number, s: string[]) => void): Promise<unknown[]> => {
    await new Promise((r) => setTimeout(r, 1100));
    const p = client.pipeline();
    for (let i = 0; i < KEYS; i++) write(p, i, of(i));
    return (await p.exec())!.map(([err, r]) => err ?? r);
  };
  expect(await each((p, i, s) => p.srem(`s:${i}`, s[0]!, m[m.length - 1 - i]!))).toEqual(Array(KEYS).fill(1));
  const popped = (await each((p, i) => p.spop(`s:${i}`))) as string[];
  expect(popped.every((x, i) => of(i).slice(1).includes(x))).toBe(true);
  const left = (i: number) => of(i).slice(1).filter((x) => x !== popped[i]);
  expect(await each((p, i) => p.smove(`s:${i}`, `d:${i}`, left(i)[0]!))).toEqual(Array(KEYS).fill(1));
  const last = (await each((p, i) => p.spop(`s:${i}`, 1))) as string[][];
  expect(last.every((x, i) => x.length === 1 && left(i).slice(1).includes(x[0]!))).toBe(true);
  for (let i = 0; i < KEYS; i++) expect(await client.scard(`s:${i}`)).toBe(1);
}

describe('process memory after reading small collections packed at rest', () => {
  let server: SpawnedServer;
  let client: Redis;
  const markers = makeMarkers(4 * KEYS * SIZE, 'SKVPACKED-');

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('holds none of the elements in any readable mapping of the live process', async () => {
    const [keyName] = makeMarkers(1, 'SKVKEYNAME-');
    await client.sadd(keyName!, 'x');
    await exercise(client, markers.map((b) => b.toString('latin1')));
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: keyName!, what: 'the plaintext key name' });
  }, 120_000);

  it('holds none of the members after SREM, SPOP and SMOVE made in the blobs of sets at rest', async () => {
    const removing = await spawnServer();
    const removingClient = ioredis(removing.port);
    try {
      const [keyName] = makeMarkers(1, 'SKVKEYNAME-');
      await removingClient.sadd(keyName!, 'x');
      const members = makeMarkers(KEYS * SIZE, 'SKVREMOVED-');
      await removeAtRest(removingClient, members.map((b) => b.toString('latin1')));
      expect(await removingClient.ping()).toBe('PONG');
      expectNoPlaintext(removing.process.pid!, members, { marker: keyName!, what: 'the plaintext key name' });
    } finally {
      removingClient.disconnect();
      await removing.stop();
    }
  }, 120_000);
});
