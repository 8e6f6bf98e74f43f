// No digits of a stored number outlive INCRBYFLOAT, HINCRBYFLOAT or HINCRBY: the stored value is
// parsed from its opened bytes and the result written as bytes into a buffer outside the V8 heap,
// wiped once sealed, so no JS string of either is made. Values are stored, incremented twice (the
// second increment parses the first one's result), and every readable mapping of the live server
// is searched for the stored texts and the results the server computed.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

/** Every number starts with these digits (one prefix for the scan to look for); increments are too small to carry into them. */
const PREFIX = '31415926';
const COUNT = 150;

function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 10);
  return s;
}

describe('memory scan: numbers', () => {
  let server: SpawnedServer;
  let client: Redis;
  beforeAll(async () => {
    server = await spawnServer();
    // Integer replies as strings: HINCRBY's pass 2^53.
    client = ioredis(server.port, { stringNumbers: true });
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('INCRBYFLOAT, HINCRBYFLOAT and HINCRBY leave no text of the numbers they read and wrote', async () => {
    const secrets: string[] = [];
    const increment = () => `0.${randomDigits(3)}1`;
    for (let i = 0; i < COUNT; i++) {
      const stored = `${PREFIX}${randomDigits(7)}.${randomDigits(3)}`;
      await client.set(`f:${i}`, stored);
      const first = await client.incrbyfloat(`f:${i}`, increment());
      const second = await client.incrbyfloat(`f:${i}`, increment());
      secrets.push(stored, first, second);
    }
    for (let i = 0; i < COUNT; i++) {
      const stored = `${PREFIX}${randomDigits(7)}.${randomDigits(3)}`;
      await client.hset(`h:${i}`, 'n', stored);
      const first = await client.hincrbyfloat(`h:${i}`, 'n', increment());
      const second = await client.hincrbyfloat(`h:${i}`, 'n', increment());
      secrets.push(stored, first, second);
    }
    for (let i = 0; i < COUNT; i++) {
      // Past 2^53: the path where HINCRBY computes with bigints.
      const stored = `${PREFIX}${randomDigits(11)}`;
      await client.hset(`i:${i}`, 'n', stored);
      const by = 1 + Math.floor(Math.random() * 1000);
      expect(await client.call('HINCRBY', `i:${i}`, 'n', String(by))).toBe(String(BigInt(stored) + BigInt(by)));
      expect(await client.call('HINCRBY', `i:${i}`, 'n', String(by))).toBe(String(BigInt(stored) + 2n * BigInt(by)));
      secrets.push(stored, String(BigInt(stored) + BigInt(by)), String(BigInt(stored) + 2n * BigInt(by)));
    }
    for (const s of secrets) expect(s.startsWith(PREFIX), s).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.ping();
    expectNoPlaintext(server.process.pid!, secrets.map((s) => Buffer.from(s, 'latin1')));
  }, 120_000);
});
