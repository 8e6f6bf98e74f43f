// Client-side caching holds key names like the keyspace does: clients track marker keys
// (default mode, some redirected to a RESP2 subscriber, BCAST clients with marker prefixes),
// another client changes half of them (the invalidation messages carry the names, as they
// must), CLIENT TRACKINGINFO shows the prefixes; then every readable mapping of the live server
// process is searched. With --seal-keys no marker name or prefix is found, neither of the keys
// still in the tracking table nor of those sent; without it the tracked names are found (the
// control: the scan can see them).

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const KEYS = 300;
const PREFIXES = 10;

async function until(check: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !check(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > 20_000) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Tracks every key, broadcasts on every prefix, changes half of the keys; resolves once all messages arrived. */
async function exercise(server: SpawnedServer, keys: string[], prefixes: string[]): Promise<Redis[]> {
  const writer = ioredis(server.port, { protocol: 2 });
  const sub = ioredis(server.port, { protocol: 2 });
  const tracking = ioredis(server.port, { protocol: 2 });
  const bcast = ioredis(server.port, { protocol: 2 });
  const resp3 = ioredis(server.port);
  let messages = 0;
  sub.on('messageBuffer', () => messages++);
  await sub.subscribe('__redis__:invalidate');
  const subId = ((await writer.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).match(/id=(\d+)/)![1]!;
  await tracking.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', subId);
  await resp3.call('CLIENT', 'TRACKING', 'on', 'OPTIN');
  const prefixArgs = prefixes.flatMap((p) => ['PREFIX', p]);
  await bcast.call('CLIENT', 'TRACKING', 'on', 'BCAST', 'REDIRECT', subId, ...prefixArgs);
  for (const k of keys) await writer.set(k, 'v');
  for (const k of keys) {
    await tracking.get(k);
    await resp3.call('CLIENT', 'CACHING', 'yes');
    await resp3.get(k);
  }
  expect(((await bcast.call('CLIENT', 'TRACKINGINFO')) as unknown[])[5]).toHaveLength(PREFIXES);
  // Half the keys change: one message each to the subscriber (default mode), pushes to resp3.
  let expected = 0;
  for (let i = 0; i < keys.length; i += 2) {
    await writer.set(keys[i]!, 'w');
    expected++;
  }
  // Keys under the prefixes change: one broadcast per prefix and turn.
  for (const p of prefixes) await writer.set(`${p}:x`, 'v');
  expected += prefixes.length;
  await until(() => messages === expected, `${expected} invalidation messages`);
  return [writer, sub, tracking, bcast, resp3];
}

function scan(server: SpawnedServer, markers: Buffer[]) {
  const result = scanProcessMemory(server.process.pid!, markers);
  expect(result.bytesScanned).toBeGreaterThan(10 * 1024 * 1024);
  return result;
}

describe('process memory with client tracking', () => {
  describe('with --seal-keys', () => {
    let server: SpawnedServer;
    const open: Redis[] = [];
    beforeAll(async () => {
      server = await spawnServer(['--seal-keys', 'yes']);
    });
    afterAll(async () => {
      for (const c of open) c.disconnect();
      await server?.stop();
    });

    it('holds no tracked key name, no invalidated key name and no BCAST prefix in plaintext', async () => {
      const keys = makeMarkers(KEYS, 'SKVTRACK-').map((b) => b.toString('latin1'));
      const prefixes = makeMarkers(PREFIXES, 'SKVPREFIX-').map((b) => b.toString('latin1'));
      open.push(...(await exercise(server, keys, prefixes)));
      const markers = [...keys, ...prefixes].map((k) => Buffer.from(k, 'latin1'));
      const result = scan(server, markers);
      if (result.hits.length > 0) console.error(`${result.hits.length} marker copies found:\n${describeHits(result.hits, markers)}`);
      expect(result.hits.length).toBe(0);
    }, 120_000);
  });

  describe('without --seal-keys', () => {
    let server: SpawnedServer;
    const open: Redis[] = [];
    beforeAll(async () => {
      server = await spawnServer();
    });
    afterAll(async () => {
      for (const c of open) c.disconnect();
      await server?.stop();
    });

    it('finds the plaintext names it keeps (control)', async () => {
      const keys = makeMarkers(KEYS, 'SKVTRACK-').map((b) => b.toString('latin1'));
      const prefixes = makeMarkers(PREFIXES, 'SKVPREFIX-').map((b) => b.toString('latin1'));
      open.push(...(await exercise(server, keys, prefixes)));
      const markers = [...keys, ...prefixes].map((k) => Buffer.from(k, 'latin1'));
      const result = scan(server, markers);
      expect(result.hits.filter((h) => h.marker < KEYS).length, 'plaintext key names (control)').toBeGreaterThan(0);
      expect(result.hits.filter((h) => h.marker >= KEYS).length, 'plaintext prefixes (control)').toBeGreaterThan(0);
    }, 120_000);
  });
});
