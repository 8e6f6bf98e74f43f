// Only ciphertext crosses the replication link, and a replica keeps no plaintext: markers are
// written on a primary (before the replica connects, so they travel in the full copy, and after,
// so they travel in the stream) as values, hash fields, list/set/zset members and stream
// entries, and with --seal-keys as key names. Every byte the primary sent through the relay is
// searched for them, and so is every readable mapping of the live replica process.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import type { SpawnedServer } from '../helpers/server.js';
import { linkUp, newMasterKey, startNode, TcpRelay } from '../helpers/replication.js';

const host = '127.0.0.1';
const COUNT = 640;
/** Markers per group: key name, string value, hash field, hash value, list, set, zset member, stream value. */
const GROUP = 8;

function findMarkers(bytes: Buffer, markers: Buffer[]): string[] {
  return markers.filter((m) => bytes.includes(m)).map((m) => m.toString('latin1'));
}

/** Writes one marker in each of the places a value can live, under a key named after another. */
async function writeAll(p: Redis, markers: Buffer[], from: number, to: number): Promise<void> {
  const m = markers.map((b) => b.toString('latin1'));
  const pipe = p.pipeline();
  for (let i = from; i < to; i += GROUP) {
    pipe.set(`k-${m[i]}`, m[i + 1]!);
    pipe.hset(`h-${i}`, m[i + 2]!, m[i + 3]!);
    pipe.rpush(`l-${i}`, m[i + 4]!);
    pipe.sadd(`s-${i}`, m[i + 5]!);
    pipe.zadd(`z-${i}`, 1, m[i + 6]!);
    pipe.xadd(`x-${i}`, '*', 'f', m[i + 7]!);
  }
  await pipe.exec();
}

describe.each([['plain key names', []], ['--seal-keys', ['--seal-keys', 'yes']]] as const)('replication link and replica memory (%s)', (_label, extra) => {
  const key = newMasterKey();
  const markers = makeMarkers(COUNT);
  const keyNames = markers.filter((_, i) => i % GROUP === 0);
  const values = markers.filter((_, i) => i % GROUP !== 0);
  const sealedNames = extra.length > 0;
  let primary: SpawnedServer;
  let replica: SpawnedServer;
  let relay: TcpRelay;
  let p: Redis;

  beforeAll(async () => {
    primary = await startNode(key, [...extra]);
    p = ioredis(primary.port);
    await writeAll(p, markers, 0, COUNT / 2);
    relay = await new TcpRelay({ host, port: primary.port }).start();
    replica = await startNode(key, [...extra], { host, port: relay.port });
    await linkUp(replica.port);
    await writeAll(p, markers, COUNT / 2, COUNT);
    expect(await p.call('wait', '1', '10000')).toBe(1);
  }, 60000);

  afterAll(async () => {
    p?.disconnect();
    await relay?.close();
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('the replica holds every value', async () => {
    const q = ioredis(replica.port);
    try {
      expect(await q.dbsize()).toBe(await p.dbsize());
      const m = markers.map((b) => b.toString('latin1'));
      expect(await q.get(`k-${m[COUNT - GROUP]}`)).toBe(m[COUNT - GROUP + 1]);
      expect(await q.hget(`h-0`, m[2]!)).toBe(m[3]);
    } finally {
      q.disconnect();
    }
  });

  it('no plaintext value crosses the link (full copy and stream)', () => {
    const captured = relay.captured();
    expect(captured.length).toBeGreaterThan(COUNT * 50);
    // Values, fields and members: never, in either direction. Key names: only with --seal-keys
    // (without it the lookup name is the key itself, sealed inside each record all the same).
    expect(findMarkers(captured, values)).toEqual([]);
    expect(findMarkers(captured, keyNames)).toEqual([]);
    expect(findMarkers(Buffer.concat(relay.toTarget), markers)).toEqual([]);
  });

  it('the replica process holds no plaintext marker', () => {
    // Key names are plaintext in the replica's index without --seal-keys (as on any node).
    const result = scanProcessMemory(replica.process.pid!, sealedNames ? markers : values);
    if (result.hits.length > 0) console.error(describeHits(result.hits, markers));
    expect(result.hits.length).toBe(0);
    // The control: without --seal-keys the key names are in the replica's index in clear, and
    // the scan finds them (so it is looking in the right place).
    if (!sealedNames) expect(scanProcessMemory(replica.process.pid!, keyNames).hits.length).toBeGreaterThan(0);
  }, 240000);
});
