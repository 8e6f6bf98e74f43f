// Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO) against the real
// server over real clients. Replies are compared byte for byte with redis-server 7.0 running the
// same commands (RESP2 and RESP3), small values and large ones (sealed in 64 KiB chunks) alike;
// a large bitmap is also checked to be edited a chunk at a time.

import { describe, expect, it } from 'vitest';
import { nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess, storedKey } from '../helpers/server.js';
import { CHUNK_PLAIN, CHUNK_SEALED, CHUNKED_HEADER } from '../../src/seal/sealer.js';
import { Errors } from '../../src/protocol/errors.js';
import type { StringEntry } from '../../src/store/keyspace.js';

const CASES: Record<string, string[][]> = {
  'SETBIT and GETBIT grow the string and answer the old bit': [
    ['SETBIT', 'b', '7', '1'], ['SETBIT', 'b', '7', '1'], ['SETBIT', 'b', '100', '1'], ['GET', 'b'], ['STRLEN', 'b'],
    ['GETBIT', 'b', '7'], ['GETBIT', 'b', '6'], ['GETBIT', 'b', '100'], ['GETBIT', 'b', '1000'], ['GETBIT', 'nokey', '0'],
    ['SETBIT', 'b', '7', '0'], ['GET', 'b'], ['SET', 's', 'foo'], ['SETBIT', 's', '0', '1'], ['GET', 's'], ['GETBIT', 's', '1'],
  ],
  'SETBIT and GETBIT errors': [
    ['SETBIT', 'b', '-1', '1'], ['SETBIT', 'b', '4294967296', '1'], ['SETBIT', 'b', 'x', '1'], ['SETBIT', 'b', '1', '2'],
    ['SETBIT', 'b', '1', '-1'], ['SETBIT', 'b', '1', 'x'], ['GETBIT', 'b', '-1'], ['GETBIT', 'b', '4294967296'],
    ['HSET', 'h', 'f', 'v'], ['SETBIT', 'h', '0', '1'], ['GETBIT', 'h', '0'], ['GETBIT', 'h', 'x'], ['EXISTS', 'b'],
  ],
  'offsets up to proto-max-bulk-len': [
    ['CONFIG', 'SET', 'proto-max-bulk-len', '2mb'], ['SETBIT', 'b', '16777215', '1'], ['STRLEN', 'b'], ['SETBIT', 'b', '16777216', '1'],
    ['GETBIT', 'b', '16777216'], ['BITCOUNT', 'b'], ['BITPOS', 'b', '1'], ['CONFIG', 'SET', 'proto-max-bulk-len', '512mb'],
  ],
  'BITCOUNT with BYTE and BIT ranges': [
    ['SET', 's', 'foobar'], ['BITCOUNT', 's'], ['BITCOUNT', 's', '0', '0'], ['BITCOUNT', 's', '1', '1'], ['BITCOUNT', 's', '1', '1', 'BYTE'],
    ['BITCOUNT', 's', '5', '30', 'BIT'], ['BITCOUNT', 's', '-3', '-1'], ['BITCOUNT', 's', '-1', '-3'], ['BITCOUNT', 's', '0', '-1', 'bit'],
    ['BITCOUNT', 's', '3', '3', 'BIT'], ['BITCOUNT', 's', '100', '200'], ['BITCOUNT', 's', '-100', '100', 'BIT'],
    ['BITCOUNT', 's', '0'], ['BITCOUNT', 's', '0', '1', 'BAD'], ['BITCOUNT', 's', 'a', '1'], ['BITCOUNT', 's', '0', '1', 'BIT', 'x'],
    ['BITCOUNT', 'nokey', 'junk'], ['BITCOUNT', 'nokey'], ['SET', 'e', ''], ['BITCOUNT', 'e'], ['BITCOUNT', 'e', '0', '-1', 'BIT'],
    ['HSET', 'h', 'f', 'v'], ['BITCOUNT', 'h'],
  ],
  'BITPOS with BYTE and BIT ranges': [
    ['SET', 's', '\xff\xf0\x00'], ['BITPOS', 's', '0'], ['BITPOS', 's', '1'], ['BITPOS', 's', '0', '1'], ['BITPOS', 's', '1', '2'],
    ['BITPOS', 's', '0', '2', '-1'], ['BITPOS', 's', '1', '7', '15', 'BIT'], ['BITPOS', 's', '0', '7', '15', 'BIT'],
    ['BITPOS', 's', '0', '0', '11', 'BIT'], ['BITPOS', 's', '1', '13', '13', 'BIT'], ['BITPOS', 's', '0', '3', '5', 'bit'],
    ['SET', 'ones', '\xff\xff'], ['BITPOS', 'ones', '0'], ['BITPOS', 'ones', '0', '0'], ['BITPOS', 'ones', '0', '0', '-1'],
    ['BITPOS', 'ones', '0', '0', '-1', 'BIT'], ['BITPOS', 'ones', '1', '5', '2', 'BIT'], ['SET', 'zeros', '\x00\x00'],
    ['BITPOS', 'zeros', '1'], ['BITPOS', 'zeros', '0', '1'], ['BITPOS', 'nokey', '1'], ['BITPOS', 'nokey', '0'],
    ['BITPOS', 'nokey', '0', 'junk'], ['SET', 'e', ''], ['BITPOS', 'e', '0'], ['BITPOS', 'e', '1'],
    ['BITPOS', 's', '2'], ['BITPOS', 's', 'x'], ['BITPOS', 's', '1', 'x'], ['BITPOS', 's', '1', '0', 'x'], ['BITPOS', 's', '1', '0', '1', 'x'],
    ['BITPOS', 's', '1', '0', '1', 'BIT', 'x'], ['HSET', 'h', 'f', 'v'], ['BITPOS', 'h', '1'],
  ],
  'BITOP AND OR XOR NOT': [
    ['SET', 'a', '\x0f\xf0abc'], ['SET', 'b', '\xff\x00'], ['BITOP', 'AND', 'd', 'a', 'b'], ['GET', 'd'],
    ['BITOP', 'OR', 'd', 'a', 'b', 'nokey'], ['GET', 'd'], ['BITOP', 'XOR', 'd', 'a', 'b', 'a'], ['GET', 'd'],
    ['BITOP', 'NOT', 'd', 'a'], ['GET', 'd'], ['BITOP', 'and', 'a', 'a', 'b'], ['GET', 'a'],
    ['BITOP', 'AND', 'd', 'nokey', 'nokey2'], ['EXISTS', 'd'], ['SET', 'e', ''], ['BITOP', 'OR', 'd2', 'e'], ['EXISTS', 'd2'],
    ['BITOP', 'NOT', 'd', 'a', 'b'], ['BITOP', 'NAND', 'd', 'a'], ['HSET', 'h', 'f', 'v'], ['BITOP', 'OR', 'd', 'a', 'h'],
    ['BITOP', 'OR', 'h', 'a'], ['TYPE', 'h'], ['SET', 'ttl', 'x', 'EX', '100'], ['BITOP', 'OR', 'ttl', 'a'], ['TTL', 'ttl'],
  ],
  'BITFIELD GET SET INCRBY with every overflow mode': [
    ['BITFIELD', 'f', 'SET', 'i8', '0', '-100', 'GET', 'u4', '3', 'INCRBY', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'INCRBY', 'i8', '0', '-200',
      'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '#3', '300', 'GET', 'i64', '0'],
    ['GET', 'f'], ['BITFIELD', 'f', 'INCRBY', 'u2', '100', '1', 'OVERFLOW', 'WRAP', 'INCRBY', 'i5', '#10', '20', 'INCRBY', 'i5', '#10', '20'],
    ['BITFIELD', 'f', 'OVERFLOW', 'SAT', 'SET', 'u8', '0', '-1', 'SET', 'i8', '8', '1000', 'SET', 'u63', '#1', '9223372036854775807', 'GET', 'u63', '#1'],
    ['BITFIELD', 'f', 'SET', 'i64', '0', '-9223372036854775808', 'INCRBY', 'i64', '0', '-1', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '-1'],
    ['BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'INCRBY', 'i64', '0', '-1', 'SET', 'u1', '1', '2', 'GET', 'u1', '1'],
    ['BITFIELD', 'f'], ['BITFIELD', 'nokey', 'GET', 'u8', '0'], ['EXISTS', 'nokey'], ['BITFIELD', 'new', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '100', '5'],
    ['STRLEN', 'new'], ['BITFIELD_RO', 'f', 'GET', 'i8', '0', 'GET', 'u7', '#3'], ['BITFIELD_RO', 'f'],
  ],
  // Redis's signed overflow test wraps in 64 bits: a SET far below min saturates to max.
  'BITFIELD SET of values near -2^63 into signed types': [
    ['BITFIELD', 'q', 'OVERFLOW', 'SAT', 'SET', 'i58', '0', '-9223372036854775808', 'GET', 'i58', '0', 'SET', 'i8', '0', '-9223372036854775681', 'SET', 'i8', '0', '-9223372036854775680', 'SET', 'i8', '0', '-9223372036854775679'],
    ['BITFIELD', 'q', 'OVERFLOW', 'SAT', 'SET', 'i63', '0', '-9223372036854775808', 'SET', 'i63', '0', '-4611686018427387905', 'INCRBY', 'i63', '0', '-9223372036854775808', 'INCRBY', 'i63', '0', '9223372036854775807'],
    ['BITFIELD', 'q', 'OVERFLOW', 'FAIL', 'SET', 'i8', '0', '-9223372036854775808', 'OVERFLOW', 'WRAP', 'SET', 'i8', '0', '-9223372036854775808', 'SET', 'i64', '8', '-9223372036854775808', 'INCRBY', 'i64', '8', '-1'],
    ['BITFIELD', 'q', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '8', '-1', 'INCRBY', 'i64', '8', '9223372036854775807', 'SET', 'u8', '0', '-9223372036854775808'], ['GET', 'q'],
  ],
  'BITFIELD errors': [
    ['BITFIELD', 'f', 'GET', 'u64', '0'], ['BITFIELD', 'f', 'GET', 'i65', '0'], ['BITFIELD', 'f', 'GET', 'I8', '0'], ['BITFIELD', 'f', 'GET', 'u0', '0'],
    ['BITFIELD', 'f', 'GET', 'u8'], ['BITFIELD', 'f', 'GET', 'u8', '-1'], ['BITFIELD', 'f', 'GET', 'u8', '#-1'], ['BITFIELD', 'f', 'GET', 'u8', '#x'],
    ['BITFIELD', 'f', 'SET', 'u8', '0', 'x'], ['BITFIELD', 'f', 'OVERFLOW', 'BAD', 'GET', 'u8', '0'], ['BITFIELD', 'f', 'OVERFLOW'],
    ['BITFIELD', 'f', 'BOGUS', 'u8', '0'], ['BITFIELD', 'f', 'SET', 'u8', '4294967296', '1'], ['BITFIELD', 'f', 'SET', 'u8', '#536870912', '1'],
    ['BITFIELD_RO', 'f', 'SET', 'u8', '0', '1'], ['BITFIELD_RO', 'f', 'INCRBY', 'u8', '0', '1'], ['BITFIELD_RO', 'f', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'],
    ['HSET', 'h', 'f', 'v'], ['BITFIELD', 'h', 'GET', 'u8', '0'], ['BITFIELD', 'h', 'SET', 'u8', '0', '1'], ['BITFIELD_RO', 'h', 'GET', 'u8', '0'],
    ['EXISTS', 'f'],
  ],
  'a bitmap large enough to be sealed in chunks': [
    ['SETBIT', 'big', '3000000', '1'], ['STRLEN', 'big'], ['SETBIT', 'big', '524287', '1'], ['SETBIT', 'big', '524288', '1'],
    ['SETBIT', 'big', '524288', '1'], ['SETBIT', 'big', '0', '1'], ['BITCOUNT', 'big'], ['BITCOUNT', 'big', '65535', '65536'],
    ['BITCOUNT', 'big', '524280', '524295', 'BIT'], ['BITPOS', 'big', '1', '1'], ['BITPOS', 'big', '1', '65537'], ['BITPOS', 'big', '0'],
    ['BITPOS', 'big', '1', '524289', '-1', 'BIT'], ['GETBIT', 'big', '524288'], ['GETBIT', 'big', '3000000'],
    ['SETBIT', 'big', '4000000', '1'], ['STRLEN', 'big'], ['BITCOUNT', 'big'],
    ['BITFIELD', 'big', 'SET', 'u16', '524280', '65535', 'INCRBY', 'i32', '#20000', '-7', 'GET', 'u16', '524280', 'GET', 'u8', '4000000',
      'SET', 'u8', '5000000', '1'],
    ['STRLEN', 'big'], ['BITFIELD_RO', 'big', 'GET', 'i32', '#20000', 'GET', 'u16', '524280', 'GET', 'u8', '9999999'],
    ['SET', 'small', '\xff'], ['BITOP', 'XOR', 'x', 'big', 'small'], ['BITCOUNT', 'x'], ['BITOP', 'NOT', 'y', 'big'], ['BITCOUNT', 'y'],
    ['BITOP', 'AND', 'z', 'big', 'y'], ['BITCOUNT', 'z'], ['GETRANGE', 'x', '65530', '65545'],
    ['SETBIT', 'big', '5000000', '0'], ['SETBIT', 'big', '5000007', '1'], ['BITPOS', 'big', '1', '-1'], ['GETRANGE', 'big', '-3', '-1'],
  ],
};

compareWithRedis('bitmaps against redis-server 7.0', CASES, () => startInProcess());

const { server, client, run } = withServer();

describe('bitmaps through the clients', () => {
  it('ioredis: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP', async () => {
    expect(await client.setbit('k', 1, 1)).toBe(0);
    expect(await client.setbit('k', 1, 0)).toBe(1);
    expect(await client.setbit('k', 9, 1)).toBe(0);
    expect(await client.getbit('k', 9)).toBe(1);
    expect(await client.bitcount('k')).toBe(1);
    expect(await client.bitpos('k', 1)).toBe(9);
    expect(await client.bitop('NOT', 'n', 'k')).toBe(2);
    expect(await client.getBuffer('n')).toEqual(Buffer.from([0xff, 0xbf]));
    expect(await run(['bitfield', 'k', 'incrby', 'u4', '0', '3', 'get', 'u8', '8'])).toEqual([3, 64]);
    expect(await run(['setbit', 'k', '1', '5'])).toEqual({ error: Errors.bitValue });
    expect(await run(['setbit', 'k', '-5', '1'])).toEqual({ error: Errors.bitOffset });
    expect(await run(['bitpos', 'k', '3'])).toEqual({ error: Errors.bitposBit });
    expect(await run(['bitop', 'not', 'n', 'k', 'k'])).toEqual({ error: Errors.bitopNotOneKey });
    expect(await run(['bitfield', 'k', 'get', 'u64', '0'])).toEqual({ error: Errors.bitfieldType });
    expect(await run(['bitfield', 'k', 'overflow', 'never', 'get', 'u8', '0'])).toEqual({ error: Errors.bitfieldOverflow });
  });

  it('node-redis: BITFIELD replies, nil for a FAIL overflow', async () => {
    const c = await nodeRedis(server.port);
    try {
      expect(await c.sendCommand(['BITFIELD', 'nr', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '5', 'SET', 'u2', '0', '3'])).toEqual([null, 0]);
      expect(await c.bitCount('nr')).toBe(2);
      expect(await c.sendCommand(['BITFIELD_RO', 'nr', 'GET', 'u2', '0'])).toEqual([3]);
    } finally {
      await c.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli: a bitmap set and counted', async () => {
    expect((await redisCli(server.port, ['SETBIT', 'cli', '15', '1'])).trim()).toBe('0');
    expect((await redisCli(server.port, ['BITCOUNT', 'cli'])).trim()).toBe('1');
    expect((await redisCli(server.port, ['BITFIELD_RO', 'cli', 'SET', 'u1', '0', '1'])).trim()).toBe(Errors.bitfieldReadOnly);
  });
});

describe('a large bitmap is edited a chunk at a time', () => {
  const sealedOf = (name: string): Buffer => {
    const entry = server.running.state.databases[0]!.peek(storedKey(server, name)) as StringEntry;
    return Buffer.from(entry.value);
  };
  /** Indexes of the chunks whose sealed bytes differ between two copies of a value. */
  const changedChunks = (before: Buffer, after: Buffer): number[] => {
    expect(after.length).toBe(before.length);
    expect(after.subarray(0, CHUNKED_HEADER).equals(before.subarray(0, CHUNKED_HEADER))).toBe(true);
    const out: number[] = [];
    for (let i = 0, at = CHUNKED_HEADER; at < before.length; i++, at += CHUNK_SEALED) {
      if (!before.subarray(at, at + CHUNK_SEALED).equals(after.subarray(at, at + CHUNK_SEALED))) out.push(i);
    }
    return out;
  };

  it('SETBIT re-seals only the chunk its bit is in; an unchanged bit re-seals nothing', async () => {
    expect(await client.setbit('lb', 8 * 4 * CHUNK_PLAIN - 1, 1)).toBe(0);
    const before = sealedOf('lb');
    expect(await client.setbit('lb', 8 * (2 * CHUNK_PLAIN + 5), 1)).toBe(0);
    const after = sealedOf('lb');
    expect(changedChunks(before, after)).toEqual([2]);
    expect(await client.setbit('lb', 8 * (2 * CHUNK_PLAIN + 5), 1)).toBe(1);
    expect(changedChunks(after, sealedOf('lb'))).toEqual([]);
    expect(await client.bitcount('lb')).toBe(2);
  });

  it('BITFIELD on a large value re-seals only the chunks its fields span', async () => {
    expect(await client.setbit('lf', 8 * 4 * CHUNK_PLAIN - 1, 1)).toBe(0);
    const before = sealedOf('lf');
    // A 16-bit field across the boundary of chunks 0 and 1.
    expect(await run(['bitfield', 'lf', 'set', 'u16', String(8 * CHUNK_PLAIN - 8), '65535'])).toEqual([0]);
    expect(changedChunks(before, sealedOf('lf'))).toEqual([0, 1]);
    expect(await run(['bitfield_ro', 'lf', 'get', 'u16', String(8 * CHUNK_PLAIN - 8)])).toEqual([65535]);
  });
});
