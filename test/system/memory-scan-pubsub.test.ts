// Published payloads do not outlive their delivery: marker messages go out through PUBLISH,
// SPUBLISH and pattern subscriptions (RESP2 and RESP3 subscribers), and keyspace notifications
// carry marker key names; once every subscriber has them, every readable mapping of the live
// server process is searched for them. With --seal-keys, the names of channels still
// subscribed are not found either; without it, they are (the control: the scan can see them).

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const MESSAGES = 600;

async function until(check: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !check(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() - start > 20_000) throw new Error(`timed out waiting for ${what}`);
  }
}

/** Publishes every payload over the ways pub/sub carries one and waits until all arrived. */
async function deliver(server: SpawnedServer, channels: string[], payloads: Buffer[], keyNames: string[]): Promise<Redis[]> {
  const sub = ioredis(server.port);
  const pub = ioredis(server.port);
  let got = 0;
  sub.on('messageBuffer', () => got++);
  sub.on('pmessageBuffer', () => got++);
  await sub.subscribe(...channels);
  await sub.psubscribe('pat:*');
  const shard = ioredis(server.port);
  shard.on('smessageBuffer', () => got++);
  await shard.ssubscribe('shard:chan');
  let expected = 0;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i]!;
    if (i % 3 === 0) expected += await pub.publish(channels[i % channels.length]!, p);
    else if (i % 3 === 1) expected += await pub.publish(`pat:${i}`, p);
    else expected += (await pub.spublish('shard:chan', p)) as number;
  }
  expect(expected).toBe(payloads.length);
  // Keyspace notifications carry key names as messages.
  await pub.config('SET', 'notify-keyspace-events', 'KE$');
  const events = ioredis(server.port);
  let heard = 0;
  events.on('pmessageBuffer', () => heard++);
  await events.psubscribe('__key*__:*');
  for (const k of keyNames) await pub.set(k, 'v');
  await until(() => got === expected, 'every message');
  await until(() => heard === keyNames.length * 2, 'every notification');
  await pub.config('SET', 'notify-keyspace-events', '');
  for (const k of keyNames) await pub.del(k);
  return [sub, pub, shard, events];
}

function scan(server: SpawnedServer, markers: Buffer[]) {
  const result = scanProcessMemory(server.process.pid!, markers);
  expect(result.bytesScanned).toBeGreaterThan(10 * 1024 * 1024);
  return result;
}

describe('process memory after pub/sub deliveries', () => {
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

    it('holds no delivered payload, no notified key name and no subscribed channel name', async () => {
      const payloads = makeMarkers(MESSAGES, 'SKVMSG-');
      const channels = makeMarkers(20, 'SKVCHAN-').map((b) => b.toString('latin1'));
      const keys = makeMarkers(50, 'SKVNOTE-').map((b) => b.toString('latin1'));
      open.push(...(await deliver(server, channels, payloads, keys)));
      // The subscriptions are alive while we look: their names are held, sealed.
      const markers = [...payloads, ...channels.map((c) => Buffer.from(c, 'latin1')), ...keys.map((k) => Buffer.from(k, 'latin1'))];
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

    it('holds no delivered payload; the channel names it keeps are found (control)', async () => {
      const payloads = makeMarkers(MESSAGES, 'SKVMSG-');
      const channels = makeMarkers(20, 'SKVCHAN-').map((b) => b.toString('latin1'));
      open.push(...(await deliver(server, channels, payloads, [])));
      const markers = [...payloads, ...channels.map((c) => Buffer.from(c, 'latin1'))];
      const result = scan(server, markers);
      const control = result.hits.filter((h) => h.marker >= MESSAGES);
      expect(control.length, 'plaintext channel names (control) are found').toBeGreaterThan(0);
      const leaks = result.hits.filter((h) => h.marker < MESSAGES);
      if (leaks.length > 0) console.error(`${leaks.length} payload copies found:\n${describeHits(leaks, markers)}`);
      expect(leaks.length).toBe(0);
    }, 120_000);
  });
});
