// No plaintext stream field or value outlives its command: markers go in as field names and
// values through every way entries arrive (XADD, XADD in MULTI, an XADD that wakes a blocked
// XREAD and XREADGROUP) and come back out through every way they leave (XRANGE, XREVRANGE,
// XREAD, XREADGROUP new and history, XCLAIM, XAUTOCLAIM, XINFO STREAM FULL), also after RENAME,
// COPY and SEAL ROTATE re-sealed them; then every readable mapping of the live server process is
// searched for them.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const ENTRIES = 400;

async function untilBlocked(client: Redis, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (Number(/blocked_clients:(\d+)/.exec(String(await client.info('clients')))?.[1] ?? -1) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no blocked client');
}

describe('process memory after stream entries went in and out', () => {
  let server: SpawnedServer;
  let client: Redis;
  let reader: Redis;
  const values = makeMarkers(ENTRIES, 'SKVSTREAMV-');
  const names = makeMarkers(ENTRIES, 'SKVSTREAMF-');
  const woken = makeMarkers(4, 'SKVWOKEN-');

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
    reader = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    reader?.disconnect();
    await server?.stop();
  });

  it('holds none of the field names or values in any readable mapping of the live process', async () => {
    const [keyName] = makeMarkers(1, 'SKVSTREAMKEY-');
    await client.xadd(keyName!.toString('latin1'), '1-0', 'f', 'v');
    const v = values.map((b) => b.toString('latin1'));
    const f = names.map((b) => b.toString('latin1'));
    await client.xgroup('CREATE', 's', 'g', '$', 'MKSTREAM');
    for (let i = 0; i < ENTRIES / 2; i++) await client.xadd('s', `${i + 1}-0`, f[i]!, v[i]!, 'n', String(i));
    const tx = client.multi();
    for (let i = ENTRIES / 2; i < ENTRIES; i++) tx.xadd('s', `${i + 1}-0`, f[i]!, v[i]!);
    await tx.exec();

    // Out again, every way.
    const all = await client.xrange('s', '-', '+');
    expect(all.map(([, fields]) => fields[1])).toEqual(v);
    expect((await client.xrevrange('s', '+', '-', 'COUNT', 5))[0]![1]).toEqual([f[ENTRIES - 1], v[ENTRIES - 1]]);
    expect((await client.xread('COUNT', 50, 'STREAMS', 's', '0')) as unknown[]).toHaveLength(1);
    await client.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 100, 'STREAMS', 's', '>');
    await client.xreadgroup('GROUP', 'g', 'alice', 'STREAMS', 's', '0');
    await client.xclaim('s', 'g', 'bob', 0, '1-0', '2-0', '3-0');
    await client.xautoclaim('s', 'g', 'carol', 0, '0', 'COUNT', 50);
    await client.xinfo('STREAM', 's', 'FULL', 'COUNT', 0);
    await client.xinfo('STREAM', 's');

    // Moved and re-sealed.
    await client.copy('s', 's2');
    await client.rename('s2', 's3');
    expect((await client.xrange('s3', '-', '+', 'COUNT', 1))[0]![1]).toEqual([f[0], v[0], 'n', '0']);
    await client.call('seal', 'rotate');
    for (let i = 0; i < 500; i++) {
      if (String(await client.info('sealkv')).includes('rotation_in_progress:0')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await client.xlen('s3')).toBe(ENTRIES);

    // Blocked readers woken by XADD: the entry is opened straight into their replies.
    const w = woken.map((b) => b.toString('latin1'));
    const plainRead = reader.xread('BLOCK', 10_000, 'STREAMS', 'w', '$');
    await untilBlocked(client, 1);
    await client.xadd('w', '1-0', w[0]!, w[1]!);
    expect(await plainRead).toEqual([['w', [['1-0', [w[0], w[1]]]]]]);
    await client.xgroup('CREATE', 'w', 'g', '$');
    const groupRead = reader.xreadgroup('GROUP', 'g', 'c', 'BLOCK', 10_000, 'STREAMS', 'w', '>');
    await untilBlocked(client, 1);
    await client.xadd('w', '2-0', w[2]!, w[3]!);
    expect(await groupRead).toEqual([['w', [['2-0', [w[2], w[3]]]]]]);

    expect(await client.ping()).toBe('PONG');
    const markers = [...values, ...names, ...woken, keyName!];
    const result = scanProcessMemory(server.process.pid!, markers);
    expect(result.bytesScanned).toBeGreaterThan(10 * 1024 * 1024);
    const control = result.hits.filter((h) => h.marker === markers.length - 1);
    expect(control.length, 'the plaintext key name (control) is found').toBeGreaterThan(0);
    const leaks = result.hits.filter((h) => h.marker < markers.length - 1);
    if (leaks.length > 0) console.error(`${leaks.length} marker copies found:\n${describeHits(leaks, markers)}`);
    expect(leaks.length).toBe(0);
  }, 120_000);
});
