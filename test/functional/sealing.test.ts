// The store holds only sealed bytes: after real clients write values, nothing in the keyspace
// (string values, hash field values) contains any of the plaintexts, yet every one reads back.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kind, opsOf } from '../../src/store/keyspace.js';
import { ioredis, nodeRedis } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { hashBlobs } from '../helpers/hashes.js';

describe('sealed storage', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Every stored byte string of every database: string values and hash field values. */
  function storedBytes(): Buffer[] {
    const out: Buffer[] = [];
    for (const db of server.running.state.databases) {
      db.forEachEntry((_key, entry) => {
        if (entry.kind === Kind.String) out.push(entry.value);
        else if (entry.kind === Kind.Hash) out.push(...hashBlobs(entry));
        else opsOf(entry).forEachSealed(entry, (v) => out.push(v));
      });
    }
    return out;
  }

  it('finds no written plaintext anywhere in the store, and reads every value back', async () => {
    const client = ioredis(server.port);
    const other = await nodeRedis(server.port);
    const markers = Array.from({ length: 200 }, () => `marker-${randomBytes(8).toString('hex')}`);
    for (const [i, m] of markers.entries()) {
      if (i % 3 === 0) await client.set(`s:${i}`, m);
      else if (i % 3 === 1) await client.hset(`h:${i}`, 'field', m, 'other', `${m}-2`);
      else await other.set(`n:${i}`, Buffer.from(m));
    }
    const stored = storedBytes();
    expect(stored.length).toBeGreaterThanOrEqual(200);
    for (const m of markers) {
      const needle = Buffer.from(m);
      expect(stored.some((b) => b.includes(needle)), `plaintext of ${m} found in the store`).toBe(false);
    }
    for (const [i, m] of markers.entries()) {
      if (i % 3 === 0) expect(await client.get(`s:${i}`)).toBe(m);
      else if (i % 3 === 1) expect(await client.hget(`h:${i}`, 'field')).toBe(m);
      else expect(await other.get(`n:${i}`)).toBe(m);
    }
    client.disconnect();
    await other.quit();
  });

  it('answers a tampered value with an error for that command only, and counts it', async () => {
    const client = ioredis(server.port);
    await client.set('victim', 'original');
    await client.set('healthy', 'fine');
    const entry = server.running.state.databases[0]!.peek('victim');
    if (entry?.kind !== Kind.String) throw new Error('expected a string entry');
    entry.value[entry.value.length - 1]! ^= 0xff;
    await expect(client.get('victim')).rejects.toThrow(/sealed value failed authentication/);
    expect(await client.get('healthy')).toBe('fine');
    expect(server.running.state.stats.sealFailures).toBe(1);
    client.disconnect();
  });
});
