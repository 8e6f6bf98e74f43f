// Large string values against the built server: small edits of a 64 MB value (APPEND,
// SETRANGE of 1 byte) re-seal one chunk, not the value, and key rotation re-seals it a few
// chunks per slice, so another client's PINGs stay answered promptly, and the value stays
// byte-exact. Needs `npm run build` (spawnServer runs dist/).

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const MB = 1024 * 1024;
/** Target 50 ms; asserted with room for a busy machine. Before chunking each edit took ~0.7 s. */
const MAX_PING_MS = 250;
const EDITS = 60;
/** Wall-clock cap on the edit loop, so the test stays bounded even when edits are slow. */
const EDIT_BUDGET_MS = 15_000;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('small edits of a 64 MB value', () => {
  let server: SpawnedServer;
  let writer: Redis;
  let prober: Redis;
  beforeAll(async () => {
    server = await spawnServer();
    writer = ioredis(server.port);
    prober = ioredis(server.port);
  });
  afterAll(async () => {
    writer?.disconnect();
    prober?.disconnect();
    await server?.stop();
  });

  it('keeps other clients answered while APPEND/SETRANGE of 1 byte run, and ends byte-exact', async () => {
    // A value whose every 64 KiB differs, so a misplaced chunk would show in the digest.
    let model = Buffer.alloc(64 * MB);
    for (let i = 0; i < model.length; i += 4) model.writeUInt32LE(i, i);
    expect(await writer.set('big', model)).toBe('OK');

    let editing = true;
    const pings: number[] = [];
    const probing = (async () => {
      while (editing) {
        const t = performance.now();
        await prober.ping();
        pings.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const start = performance.now();
    let edits = 0;
    let seed = 12345;
    const appended: Buffer[] = [];
    for (; edits < EDITS && performance.now() - start < EDIT_BUDGET_MS; edits++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const byte = Buffer.from([seed & 0xff]);
      if (edits % 2 === 0) {
        appended.push(byte);
        await writer.append('big', byte);
      } else {
        const offset = seed % model.length;
        model[offset] = byte[0]!;
        await writer.setrange('big', offset, byte);
      }
      // Let the prober in between edits, as interleaved clients would be.
      if (edits % 4 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    editing = false;
    await probing;
    model = Buffer.concat([model, ...appended]);

    expect(edits).toBe(EDITS);
    expect(pings.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...pings), `PING ms: ${pings.map((p) => p.toFixed(0)).join(' ')}`).toBeLessThan(MAX_PING_MS);
    expect(await writer.strlen('big')).toBe(model.length);
    expect(sha256(await writer.getBuffer('big') as Buffer)).toBe(sha256(model));
    // GETRANGE across a chunk boundary and at the end.
    expect((await writer.getrangeBuffer('big', 65_530, 65_545)).equals(model.subarray(65_530, 65_546))).toBe(true);
    expect((await writer.getrangeBuffer('big', -5, -1)).equals(model.subarray(model.length - 5))).toBe(true);
  }, 60_000);

  it('keeps other clients answered while SEAL ROTATE re-seals the 64 MB value, a few chunks per slice', async () => {
    const before = createHash('sha256').update((await writer.getBuffer('big')) as Buffer).digest('hex');
    let rotating = true;
    const pings: number[] = [];
    const probing = (async () => {
      while (rotating) {
        const t = performance.now();
        await prober.ping();
        pings.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await writer.call('seal', 'rotate');
    for (let i = 0; i < 1000; i++) {
      if (/^rotation_in_progress:0/m.test(await writer.info('sealkv'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    rotating = false;
    await probing;
    const info = await writer.info('sealkv');
    expect(info).toMatch(/^rotation_in_progress:0/m);
    expect(info).toMatch(/^keys_in_use:1/m);
    expect(pings.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...pings), `PING ms: ${pings.map((p) => p.toFixed(0)).join(' ')}`).toBeLessThan(MAX_PING_MS);
    expect(createHash('sha256').update((await writer.getBuffer('big')) as Buffer).digest('hex')).toBe(before);
  }, 60_000);
});

// A small value lives in the key table's arena; APPEND or SETRANGE that grows it past one 64 KiB
// chunk seals it chunked in the same place. GET once opened every arena value as unchunked and
// answered the seal error for such a value (the stored bytes were right).
describe('a small value grown past a chunk by APPEND or SETRANGE', () => {
  let server: SpawnedServer;
  let client: Redis;
  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  const cases: [number, number][] = [[1, 65536], [1000, 65000], [30000, 40000], [20000, 50000], [10, 200000], [60000, 70000], [1000, 16385]];
  for (const [oldLength, added] of cases) {
    it(`${oldLength} B, then ${added} B: GET, GETRANGE, STRLEN and a second APPEND read it back`, async () => {
      const old = Buffer.alloc(oldLength);
      for (let i = 0; i < oldLength; i++) old[i] = i % 251;
      const extra = Buffer.alloc(added);
      for (let i = 0; i < added; i++) extra[i] = (i * 7) % 253;
      const whole = Buffer.concat([old, extra]);
      expect(await client.set('grown', old)).toBe('OK');
      expect(await client.append('grown', extra)).toBe(whole.length);
      expect(sha256((await client.getBuffer('grown'))!)).toBe(sha256(whole));
      expect(await client.strlen('grown')).toBe(whole.length);
      expect((await client.getrangeBuffer('grown', oldLength - 1, oldLength + 99)).equals(whole.subarray(oldLength - 1, oldLength + 100))).toBe(true);
      expect(await client.append('grown', 'z')).toBe(whole.length + 1);
      expect(sha256((await client.getBuffer('grown'))!)).toBe(sha256(Buffer.concat([whole, Buffer.from('z')])));

      expect(await client.set('ranged', old)).toBe('OK');
      expect(await client.setrange('ranged', oldLength, extra)).toBe(whole.length);
      expect(sha256((await client.getBuffer('ranged'))!)).toBe(sha256(whole));
    });
  }
});
