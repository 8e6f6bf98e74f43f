// No plaintext element outlives DUMP or RESTORE: random markers are stored in values of every
// type, each value is dumped (the payload opened into one buffer, sealed, wiped) and restored
// under other keys and in another database (opened and re-sealed element by element), and
// every readable mapping of the live server process is then searched for the markers.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 600;

async function exercise(client: Redis, other: Redis, markers: Buffer[]): Promise<void> {
  const m = markers.map((b) => b.toString('latin1'));
  // 100 markers per type: strings, hash values, list elements, set and sorted-set members, stream values.
  for (let i = 0; i < 20; i++) await client.set(`s:${i}`, m[i]!);
  await client.set('bigs', m.slice(20, 100).join('').repeat(200)); // a chunked string (> 64 KiB)
  for (let i = 0; i < 100; i += 10) await client.hset(`h:${i}`, ...m.slice(100 + i, 110 + i).flatMap((v, j) => [`f${j}`, v]));
  for (let i = 0; i < 100; i += 10) await client.rpush(`l:${i}`, ...m.slice(200 + i, 210 + i));
  for (let i = 0; i < 100; i += 10) await client.sadd(`t:${i}`, ...m.slice(300 + i, 310 + i));
  for (let i = 0; i < 100; i += 10) await client.zadd(`z:${i}`, ...m.slice(400 + i, 410 + i).flatMap((v, j) => [j, v]));
  for (let i = 0; i < 100; i += 10) {
    for (let j = 0; j < 10; j++) await client.xadd(`x:${i}`, '*', 'f', m[500 + i + j]!);
    await client.xgroup('CREATE', `x:${i}`, 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', '3', 'STREAMS', `x:${i}`, '>');
  }
  const keys = await client.keys('*');
  for (const key of keys) {
    const payload = (await client.callBuffer('dump', key)) as Buffer;
    for (const marker of markers.slice(0, 50)) expect(payload.includes(marker)).toBe(false);
    expect(await client.call('restore', `copy:${key}`, '0', payload)).toBe('OK');
    expect(await other.call('restore', key, '60000', payload)).toBe('OK');
  }
  expect(await client.lrange('copy:l:0', '0', '-1')).toEqual(m.slice(200, 210));
  expect(await other.zrange('z:10', '0', '-1')).toEqual(m.slice(410, 420));
}

describe('process memory after DUMP and RESTORE of every type', () => {
  let server: SpawnedServer;
  let client: Redis;
  let other: Redis;
  const markers = makeMarkers(COUNT, 'SKVDUMP-');

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
    other = ioredis(server.port, { db: 2 });
  });

  afterAll(async () => {
    client?.disconnect();
    other?.disconnect();
    await server?.stop();
  });

  it('holds none of the elements in any readable mapping of the live process', async () => {
    // Control: key names are kept in plaintext (without --seal-keys), so this one must be found.
    const [keyName] = makeMarkers(1, 'SKVDUMPKEY-');
    await client.set(keyName!, 'x');
    await exercise(client, other, markers);
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: keyName!, what: 'the plaintext key name' });
  }, 180_000);
});
