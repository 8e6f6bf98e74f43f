// No plaintext geo member or sorted element outlives its command: random markers go in as geo
// members (added, searched with every reply shape, stored by GEOSEARCHSTORE and GEORADIUS STORE,
// looked up by GEOPOS/GEODIST/FROMMEMBER) and as list, set and sorted-set elements that SORT
// sorts (numeric, ALPHA, BY weights and hash fields, GET, LIMIT, STORE); then every readable
// mapping of the live server process is searched for them. The server runs with --seal-keys, as
// the key names BY and GET build from elements are key names like any other.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 750;

async function exercise(client: Redis, markers: string[]): Promise<void> {
  let next = 0;
  const take = (n: number): string[] => markers.slice(next, (next += n));

  // Geo: 300 members around Sicily, searched, measured and stored.
  const places = take(300);
  for (let i = 0; i < places.length; i += 50) {
    await client.geoadd('geo', ...places.slice(i, i + 50).flatMap((m, j) => [13 + ((i + j) % 30) / 10, 37 + Math.floor((i + j) / 30) / 10, m]));
  }
  expect(await client.zcard('geo')).toBe(300);
  expect(await client.geosearch('geo', 'FROMLONLAT', 14, 37.5, 'BYRADIUS', 500, 'km', 'ASC', 'WITHDIST', 'WITHCOORD', 'WITHHASH')).toHaveLength(300);
  expect(await client.geosearch('geo', 'FROMMEMBER', places[7]!, 'BYBOX', 100, 100, 'km', 'COUNT', 20)).toHaveLength(20);
  expect(await client.geosearchstore('geo2', 'geo', 'FROMMEMBER', places[3]!, 'BYRADIUS', 50, 'km', 'STOREDIST')).toBeGreaterThan(0);
  expect(await client.georadius('geo', 14, 37.5, 500, 'km', 'STORE', 'geo3')).toBe(300);
  expect(await client.georadiusbymember('geo', places[9]!, 30, 'km', 'DESC')).not.toHaveLength(0);
  expect(await client.geopos('geo', places[0]!, places[1]!)).toHaveLength(2);
  expect(await client.geodist('geo', places[0]!, places[299]!, 'KM')).not.toBeNull();
  expect(await client.geohash('geo', places[5]!)).toHaveLength(1);

  // SORT: a list, a set and a sorted set of markers.
  const listed = take(150);
  await client.rpush('list', ...listed);
  const sorted = [...listed].sort();
  expect(await client.call('SORT', 'list', 'ALPHA')).toEqual(sorted);
  expect(await client.call('SORT', 'list', 'ALPHA', 'DESC', 'LIMIT', 10, 20, 'STORE', 'out')).toBe(20);
  expect(await client.call('SORT', 'list', 'BY', 'nosort', 'GET', '#', 'LIMIT', 0, 10)).toEqual(listed.slice(0, 10));
  const members = take(150);
  await client.sadd('set', ...members);
  expect(await client.call('SORT', 'set', 'ALPHA', 'STORE', 'setout')).toBe(150);
  expect(await client.call('SORT_RO', 'set', 'ALPHA', 'LIMIT', 0, 5)).toEqual([...members].sort().slice(0, 5));
  const ranked = take(100);
  await client.zadd('zs', ...ranked.flatMap((m, i) => [String(i % 4), m]));
  expect(await client.call('SORT', 'zs', 'BY', 'nosort', 'DESC')).toHaveLength(100);
  expect(await client.call('SORT', 'zs', 'ALPHA', 'STORE', 'zout')).toBe(100);
  // BY weights and hash fields, GET patterns: keys named after the elements.
  const weighed = take(50);
  await client.rpush('w', ...weighed);
  for (let i = 0; i < weighed.length; i++) {
    await client.set(`wt_${weighed[i]}`, String(50 - i));
    await client.hset(`h_${weighed[i]}`, 'n', String(i), 'g', `got-${i}`);
  }
  expect(await client.call('SORT', 'w', 'BY', 'wt_*')).toEqual([...weighed].reverse());
  expect(await client.call('SORT', 'w', 'BY', 'h_*->n', 'GET', '#', 'GET', 'h_*->g', 'STORE', 'wout')).toBe(100);
  // Numbers sorted numerically fail on markers: the error path wipes too.
  await expect(client.call('SORT', 'w')).rejects.toThrow("One or more scores can't be converted into double");
  expect(next).toBe(COUNT);
}

describe('process memory after geo searches and SORT over sealed elements', () => {
  let server: SpawnedServer;
  let client: Redis;
  const markers = makeMarkers(COUNT);

  beforeAll(async () => {
    server = await spawnServer(['--seal-keys', 'yes']);
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('holds none of the members or elements in any readable mapping of the live process', async () => {
    // Control: a client name is kept in plaintext, so this one must be found.
    const [control] = makeMarkers(1, 'SKVCTRL-');
    await client.client('SETNAME', control!.toString('latin1'));
    await exercise(client, markers.map((b) => b.toString('latin1')));
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: control!, what: 'the plaintext client name' });
  }, 180_000);
});
