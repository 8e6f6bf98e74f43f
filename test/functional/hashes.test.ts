// Hash commands against the real server over real clients. Every expected reply and error text
// was taken from redis-server 7.0.15 running the same commands.

import { beforeEach, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, nodeRedis, rawExchange, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { storedKey } from '../helpers/server.js';
import { Kind, type HashEntry } from '../../src/store/keyspace.js';
import { hashBlobs } from '../helpers/hashes.js';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

const { server, client, run } = withServer();

/** The raw RESP3 reply bytes (as latin1 text) of each command after HELLO 3. */
async function resp3(...commands: string[][]): Promise<string> {
  const hello = encodeCommand(['HELLO', '3']);
  const { data } = await rawExchange(server.port, Buffer.concat([hello, ...commands.map((c) => encodeCommand(c))]));
  const text = data.toString('latin1');
  // Skip HELLO's own map reply: everything after its last field ("modules" => empty array).
  const marker = '$7\r\nmodules\r\n*0\r\n';
  const at = text.indexOf(marker);
  expect(at, `no HELLO 3 reply in ${JSON.stringify(text)}`).toBeGreaterThan(0);
  return text.slice(at + marker.length);
}

describe('HSET, HSETNX, HMSET', () => {
  it('HSET counts only the new fields and overwrites existing ones', async () => {
    expect(await run(['hset', 'h', 'a', '1', 'b', '2'])).toBe(2);
    expect(await run(['hset', 'h', 'a', '10', 'c', '3'])).toBe(1);
    expect(await run(['hset', 'h', 'd', '4', 'd', '5'])).toBe(1);
    expect(await run(['hmget', 'h', 'a', 'b', 'c', 'd'])).toEqual(['10', '2', '3', '5']);
  });

  it('HSET and HMSET with an odd number of field/value arguments are arity errors', async () => {
    expect(await run(['hset', 'h', 'a'])).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
    expect(await run(['hset', 'h', 'a', '1', 'b'])).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
    expect(await run(['hmset', 'h', 'a', '1', 'b'])).toEqual({ error: "ERR wrong number of arguments for 'hmset' command" });
    expect(await run(['exists', 'h'])).toBe(0);
  });

  it('HMSET answers OK', async () => {
    expect(await run(['hmset', 'h', 'x', '1', 'y', '2'])).toBe('OK');
    expect(await client.hgetall('h')).toEqual({ x: '1', y: '2' });
  });

  it('HSETNX sets only a missing field', async () => {
    expect(await run(['hsetnx', 'h', 'a', '1'])).toBe(1);
    expect(await run(['hsetnx', 'h', 'a', '2'])).toBe(0);
    expect(await run(['hget', 'h', 'a'])).toBe('1');
  });

  it('keeps binary values and an empty field name intact', async () => {
    const value = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80]);
    expect(await client.hset('bin', '', 'empty', 'f', value)).toBe(2);
    expect(await client.hget('bin', '')).toBe('empty');
    expect(await client.hgetBuffer('bin', 'f')).toEqual(value);
  });
});

describe('reading fields', () => {
  beforeEach(async () => {
    await run(['hset', 'h', 'f1', 'v1', 'f2', 'value-2']);
  });

  it('HGET returns the value, or nil for a missing field or key', async () => {
    expect(await run(['hget', 'h', 'f1'])).toBe('v1');
    expect(await run(['hget', 'h', 'nope'])).toBe(null);
    expect(await run(['hget', 'nokey', 'f1'])).toBe(null);
  });

  it('HMGET returns nil for each missing field, and only nils for a missing key', async () => {
    expect(await run(['hmget', 'h', 'f2', 'x', 'f1'])).toEqual(['value-2', null, 'v1']);
    expect(await run(['hmget', 'nokey', 'a', 'b'])).toEqual([null, null]);
  });

  it('HGETALL, HKEYS and HVALS list the hash; empty for a missing key', async () => {
    expect(await client.hgetall('h')).toEqual({ f1: 'v1', f2: 'value-2' });
    expect(await run(['hkeys', 'h'])).toEqual(['f1', 'f2']);
    expect(await run(['hvals', 'h'])).toEqual(['v1', 'value-2']);
    expect(await client.hgetall('nokey')).toEqual({});
    const { data } = await rawExchange(server.port, [encodeCommand(['HGETALL', 'h']), encodeCommand(['HGETALL', 'nokey'])]);
    expect(data.toString()).toBe('*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$7\r\nvalue-2\r\n*0\r\n');
    expect(await run(['hkeys', 'nokey'])).toEqual([]);
    expect(await run(['hvals', 'nokey'])).toEqual([]);
  });

  it('HLEN, HEXISTS and HSTRLEN', async () => {
    expect(await run(['hlen', 'h'])).toBe(2);
    expect(await run(['hlen', 'nokey'])).toBe(0);
    expect(await run(['hexists', 'h', 'f1'])).toBe(1);
    expect(await run(['hexists', 'h', 'x'])).toBe(0);
    expect(await run(['hexists', 'nokey', 'f1'])).toBe(0);
    expect(await run(['hstrlen', 'h', 'f2'])).toBe(7);
    expect(await run(['hstrlen', 'h', 'x'])).toBe(0);
    expect(await run(['hstrlen', 'nokey', 'x'])).toBe(0);
  });

  it('node-redis reads a hash as an object', async () => {
    const nr = await nodeRedis(server.port);
    try {
      expect(await nr.hGetAll('h')).toEqual({ f1: 'v1', f2: 'value-2' });
      expect(await nr.hSet('h', { f3: 'three' })).toBe(1);
      expect(await nr.hGet('h', 'f3')).toBe('three');
    } finally {
      await nr.quit();
    }
  });
});

describe('HDEL', () => {
  it('counts the deleted fields and deletes the key with its last field', async () => {
    await run(['hset', 'h', 'a', '1', 'b', '2', 'c', '3']);
    expect(await run(['hdel', 'h', 'a', 'x', 'a'])).toBe(1);
    expect(await run(['hlen', 'h'])).toBe(2);
    expect(await run(['hdel', 'h', 'b', 'c'])).toBe(1 + 1);
    expect(await run(['exists', 'h'])).toBe(0);
    expect(await run(['hdel', 'nokey', 'a'])).toBe(0);
    expect(await run(['exists', 'nokey'])).toBe(0);
  });
});

describe('HINCRBY and HINCRBYFLOAT', () => {
  it('HINCRBY creates, adds and subtracts', async () => {
    expect(await run(['hincrby', 'c', 'n', '-5'])).toBe(-5);
    expect(await run(['hincrby', 'c', 'n', '15'])).toBe(10);
    expect(await run(['hget', 'c', 'n'])).toBe('10');
  });

  it('HINCRBY rejects a bad increment, a non-integer value and overflow', async () => {
    await run(['hset', 'c', 't', 'abc', 'sp', ' 1', 'big', '9223372036854775807', 'lead', '01']);
    expect(await run(['hincrby', 'c', 'n', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['hincrby', 'c', 'n', '9223372036854775808'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['hincrby', 'c', 't', '1'])).toEqual({ error: 'ERR hash value is not an integer' });
    expect(await run(['hincrby', 'c', 'sp', '1'])).toEqual({ error: 'ERR hash value is not an integer' });
    expect(await run(['hincrby', 'c', 'lead', '1'])).toEqual({ error: 'ERR hash value is not an integer' });
    expect(await run(['hincrby', 'c', 'big', '1'])).toEqual({ error: 'ERR increment or decrement would overflow' });
    expect(await run(['hget', 'c', 'big'])).toBe('9223372036854775807');
    expect(await client.hincrby('c', 'big', '-9223372036854775808')).toBe(-1);
  });

  it('HINCRBY works with the full 64-bit range', async () => {
    expect(await run(['hincrby', 'c', 'n', '-5'])).toBe(-5);
    // stringNumbers: integers beyond 2^53 must not pass through a JS number on the client side.
    const exact = ioredis(server.port, { stringNumbers: true });
    try {
      expect(await exact.call('hincrby', 'c', 'n', '9223372036854775807')).toBe('9223372036854775802');
      expect(await exact.call('hincrby', 'c', 'n', '-9223372036854775808')).toBe('-6');
    } finally {
      exact.disconnect();
    }
    expect(await run(['hincrby', 'c', 'n', '-9223372036854775807'])).toEqual({ error: 'ERR increment or decrement would overflow' });
    expect(await run(['hget', 'c', 'n'])).toBe('-6');
  });

  it('HINCRBYFLOAT prints results like Redis (long double, %.17Lf, zeros trimmed)', async () => {
    expect(await run(['hincrbyfloat', 'c', 'x', '0.3'])).toBe('0.3');
    expect(await run(['hincrbyfloat', 'c', 'x', '1000'])).toBe('1000.29999999999999999');
    expect(await run(['hincrbyfloat', 'c', 'y', '10.5'])).toBe('10.5');
    expect(await run(['hincrbyfloat', 'c', 'y', '-10.5'])).toBe('0');
    expect(await run(['hincrbyfloat', 'c', 'z', '5.0e3'])).toBe('5000');
    expect(await run(['hincrbyfloat', 'c', 'z', '1.5e-7'])).toBe('5000.00000014999999998');
    await run(['hset', 'c', 'hex', '0x10', 'b', '2']);
    expect(await run(['hincrbyfloat', 'c', 'hex', '1'])).toBe('17');
    expect(await run(['hincrbyfloat', 'c', 'b', '0.1'])).toBe('2.1');
    expect(await run(['hincrbyfloat', 'c', 'b', '0.2'])).toBe('2.3');
    expect(await run(['hget', 'c', 'b'])).toBe('2.3');
  });

  it('HINCRBYFLOAT errors: bad increment, infinite increment, non-float value, infinite result', async () => {
    await run(['hset', 'c', 'word', 'abc', 'nan', 'nan', 'inf', 'inf', 'int', '12 ']);
    expect(await run(['hincrbyfloat', 'c', 'x', 'abc'])).toEqual({ error: 'ERR value is not a valid float' });
    expect(await run(['hincrbyfloat', 'c', 'x', ''])).toEqual({ error: 'ERR value is not a valid float' });
    expect(await run(['hincrbyfloat', 'c', 'x', 'inf'])).toEqual({ error: 'ERR value is NaN or Infinity' });
    expect(await run(['hincrbyfloat', 'c', 'word', '1'])).toEqual({ error: 'ERR hash value is not a float' });
    expect(await run(['hincrbyfloat', 'c', 'nan', '1'])).toEqual({ error: 'ERR hash value is not a float' });
    expect(await run(['hincrbyfloat', 'c', 'int', '1'])).toEqual({ error: 'ERR hash value is not a float' });
    expect(await run(['hincrbyfloat', 'c', 'inf', '1'])).toEqual({ error: 'ERR increment would produce NaN or Infinity' });
    expect(await run(['hget', 'c', 'inf'])).toBe('inf');
  });
});

describe('wrong type', () => {
  it('every hash command answers WRONGTYPE on a string, and errors on arguments come first where Redis checks them first', async () => {
    await run(['set', 's', 'v']);
    const wrong = { error: WRONGTYPE };
    for (const cmd of [
      ['hset', 's', 'a', '1'], ['hsetnx', 's', 'a', '1'], ['hmset', 's', 'a', '1'], ['hget', 's', 'a'],
      ['hmget', 's', 'a'], ['hgetall', 's'], ['hkeys', 's'], ['hvals', 's'], ['hlen', 's'], ['hexists', 's', 'a'],
      ['hstrlen', 's', 'a'], ['hdel', 's', 'a'], ['hincrby', 's', 'a', '1'], ['hincrbyfloat', 's', 'a', '1'],
      ['hscan', 's', '0'], ['hrandfield', 's'], ['hrandfield', 's', '2'],
    ]) {
      expect(await run(cmd), cmd.join(' ')).toEqual(wrong);
    }
    expect(await run(['hincrby', 's', 'a', 'y'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['hincrbyfloat', 's', 'a', 'y'])).toEqual({ error: 'ERR value is not a valid float' });
    expect(await run(['hincrbyfloat', 's', 'a', 'inf'])).toEqual({ error: 'ERR value is NaN or Infinity' });
    expect(await run(['hset', 's', 'a'])).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
    expect(await run(['hmset', 's', 'a', '1', 'b'])).toEqual({ error: "ERR wrong number of arguments for 'hmset' command" });
    expect(await run(['hscan', 's', 'x'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['hrandfield', 's', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['get', 's'])).toBe('v');
  });
});

describe('HSCAN', () => {
  it('returns a small hash whole with cursor 0, filtered by MATCH', async () => {
    await run(['hset', 'h', 'a1', '1', 'a2', '2', 'b1', '3']);
    expect(await run(['hscan', 'h', '0'])).toEqual(['0', ['a1', '1', 'a2', '2', 'b1', '3']]);
    expect(await run(['hscan', 'h', '0', 'COUNT', '1'])).toEqual(['0', ['a1', '1', 'a2', '2', 'b1', '3']]);
    expect(await run(['hscan', 'h', '0', 'match', 'a*', 'count', '1'])).toEqual(['0', ['a1', '1', 'a2', '2']]);
    expect(await run(['hscan', 'h', '0', 'match', '*'])).toEqual(['0', ['a1', '1', 'a2', '2', 'b1', '3']]);
  });

  it('parses the cursor like Redis 7.0 (strtoul): empty is 0, signs allowed, spaces and overflow rejected', async () => {
    await run(['hset', 'h', 'a', '1']);
    expect(await run(['hscan', 'h', ''])).toEqual(['0', ['a', '1']]);
    expect(await run(['hscan', 'h', '-1'])).toEqual(['0', ['a', '1']]);
    expect(await run(['hscan', 'h', '18446744073709551615'])).toEqual(['0', ['a', '1']]);
    expect(await run(['hscan', 'h', '18446744073709551616'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['hscan', 'h', ' 0'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['hscan', 'h', 'abc'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['hscan', 'nokey', 'abc'])).toEqual({ error: 'ERR invalid cursor' });
  });

  it('checks options only for an existing hash', async () => {
    await run(['hset', 'h', 'a', '1']);
    expect(await run(['hscan', 'h', '0', 'count', '0'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hscan', 'h', '0', 'count', '-1'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hscan', 'h', '0', 'count', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['hscan', 'h', '0', 'foo'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hscan', 'h', '0', 'match'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hscan', 'h', '0', 'type', 'string'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hscan', 'nokey', '0', 'foo'])).toEqual(['0', []]);
  });

  it('walks a large hash with cursors and returns every field exactly once', async () => {
    const expected: Record<string, string> = {};
    // Past hash-max-listpack-entries (512): Redis scans a listpack whole in one call.
    for (let i = 0; i < 600; i++) expected[`field:${i}`] = `value-${i}`;
    await client.hset('big', expected);
    const seen: Record<string, string> = {};
    let cursor = '0';
    let calls = 0;
    do {
      const [next, flat] = (await run(['hscan', 'big', cursor, 'COUNT', '50'])) as [string, string[]];
      // Whole buckets at a time, like Redis: at least COUNT fields until the last call.
      if (next !== '0') expect(flat.length).toBeGreaterThanOrEqual(100);
      for (let i = 0; i < flat.length; i += 2) {
        expect(seen[flat[i]!]).toBeUndefined();
        seen[flat[i]!] = flat[i + 1]!;
      }
      cursor = next;
      calls++;
    } while (cursor !== '0');
    expect(calls).toBeGreaterThan(1);
    expect(seen).toEqual(expected);
  });

  it('scans with cursors when one value is too long for the compact encoding', async () => {
    await run(['hset', 'h', 'a', '1', 'b', 'x'.repeat(65), 'c', '3', 'd', '4', 'e', '5']);
    const [cursor, first] = (await run(['hscan', 'h', '0', 'count', '1'])) as [string, string[]];
    expect(cursor).not.toBe('0');
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(10);
  });
});

describe('HRANDFIELD', () => {
  beforeEach(async () => {
    await run(['hset', 'h', 'a', '1', 'b', '2', 'c', '3']);
  });

  it('without a count returns one field, or nil for a missing key', async () => {
    expect(['a', 'b', 'c']).toContain(await run(['hrandfield', 'h']));
    expect(await run(['hrandfield', 'nokey'])).toBe(null);
  });

  it('a positive count gives distinct fields, the whole hash when count >= size', async () => {
    const two = (await run(['hrandfield', 'h', '2'])) as string[];
    expect(two).toHaveLength(2);
    expect(new Set(two).size).toBe(2);
    expect(((await run(['hrandfield', 'h', '5'])) as string[]).sort()).toEqual(['a', 'b', 'c']);
    expect(await run(['hrandfield', 'h', '0'])).toEqual([]);
    expect(await run(['hrandfield', 'h', '0', 'withvalues'])).toEqual([]);
    expect(await run(['hrandfield', 'nokey', '3'])).toEqual([]);
    expect(await run(['hrandfield', 'nokey', '3', 'WITHVALUES'])).toEqual([]);
  });

  it('a negative count allows repeats and returns exactly that many', async () => {
    await run(['hset', 'one', 'f', '1']);
    expect(await run(['hrandfield', 'one', '-3'])).toEqual(['f', 'f', 'f']);
    expect(await run(['hrandfield', 'one', '-3', 'withvalues'])).toEqual(['f', '1', 'f', '1', 'f', '1']);
    const many = (await run(['hrandfield', 'h', '-50'])) as string[];
    expect(many).toHaveLength(50);
    for (const f of many) expect(['a', 'b', 'c']).toContain(f);
  });

  it('WITHVALUES pairs each field with its own value (RESP2: flat)', async () => {
    const flat = (await run(['hrandfield', 'h', '-20', 'WITHVALUES'])) as string[];
    expect(flat).toHaveLength(40);
    const values: Record<string, string> = { a: '1', b: '2', c: '3' };
    for (let i = 0; i < flat.length; i += 2) expect(flat[i + 1]).toBe(values[flat[i]!]);
  });

  it('rejects bad counts and options with Redis errors', async () => {
    expect(await run(['hrandfield', 'h', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['hrandfield', 'h', '2', 'foo'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hrandfield', 'h', '2', 'withvalues', 'extra'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['hrandfield', 'h', '-9223372036854775808'])).toEqual({
      error: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    });
    expect(await run(['hrandfield', 'h', '-9223372036854775807', 'withvalues'])).toEqual({ error: 'ERR value is out of range' });
    expect(await run(['hrandfield', 'h', '4611686018427387904', 'withvalues'])).toEqual({ error: 'ERR value is out of range' });
    expect(await run(['hrandfield', 'nokey', '-9223372036854775807', 'withvalues'])).toEqual({ error: 'ERR value is out of range' });
  });

  it('refuses a repeat count too large to answer (Redis 7.0 itself crashes on it)', async () => {
    expect(await run(['hrandfield', 'h', '-4611686018427387903'])).toEqual({ error: 'ERR value is out of range' });
    expect(await run(['hrandfield', 'h', '-4611686018427387903', 'withvalues'])).toEqual({ error: 'ERR value is out of range' });
    expect(await run(['hrandfield', 'h', '9223372036854775807'])).toHaveLength(3);
  });
});

describe('RESP3 reply shapes (HELLO 3)', () => {
  it('HGETALL is a map, HSCAN an array, HRANDFIELD WITHVALUES a list of pairs, HINCRBYFLOAT a bulk', async () => {
    await run(['hset', 'h', 'a', '1', 'b', '2']);
    const out = await resp3(
      ['HGETALL', 'h'], ['HGETALL', 'nokey'], ['HRANDFIELD', 'h', '2', 'WITHVALUES'], ['HRANDFIELD', 'h', '-1', 'WITHVALUES'],
      ['HRANDFIELD', 'nokey'], ['HRANDFIELD', 'nokey', '2', 'WITHVALUES'], ['HSCAN', 'h', '0'], ['HINCRBYFLOAT', 'h', 'a', '1.5'],
      ['HMGET', 'h', 'a', 'zz'], ['HGET', 'h', 'zz'], ['HKEYS', 'h'], ['HRANDFIELD', 'h', '0', 'WITHVALUES'], ['HEXISTS', 'h', 'a'],
    );
    const pair = (f: string, v: string) => `*2\r\n$1\r\n${f}\r\n$1\r\n${v}\r\n`;
    const oneOf = (f: string) => pair(f, { a: '1', b: '2' }[f]!);
    expect(out.startsWith('%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n%0\r\n*2\r\n')).toBe(true);
    let rest = out.slice('%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n%0\r\n*2\r\n'.length);
    // The whole hash in pairs (order is the hash's), then one random pair.
    expect([pair('a', '1') + pair('b', '2'), pair('b', '2') + pair('a', '1')]).toContain(rest.slice(0, 2 * pair('a', '1').length));
    rest = rest.slice(2 * pair('a', '1').length);
    expect(rest.startsWith('*1\r\n')).toBe(true);
    rest = rest.slice(4);
    expect([oneOf('a'), oneOf('b')]).toContain(rest.slice(0, pair('a', '1').length));
    rest = rest.slice(pair('a', '1').length);
    expect(rest).toBe(
      '_\r\n' + '*0\r\n' + '*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n' + '$3\r\n2.5\r\n' +
        '*2\r\n$3\r\n2.5\r\n_\r\n' + '_\r\n' + '*2\r\n$1\r\na\r\n$1\r\nb\r\n' + '*0\r\n' + ':1\r\n',
    );
  });
});

describe('sealing', () => {
  const state = () => server.running.state;
  const failed = 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with';

  function stored(name: string): HashEntry {
    const entry = state().databases[0]!.get(storedKey(server, name), state().clock());
    if (entry?.kind !== Kind.Hash) throw new Error(`${name} is not a hash`);
    return entry;
  }

  it('keeps field names and values only sealed, in a small hash (one blob) and a large one (a blob per field)', async () => {
    await run(['hset', 'small', 'secret-field-name-1', 'secret-hash-value-123']);
    await run(['hset', 'large', 'secret-field-name-2', 'secret-hash-value-456', 'long', 'x'.repeat(100)]);
    const small = stored('small');
    const large = stored('large');
    expect([small.fields.table, small.fields.packed.length > 0]).toEqual([null, true]);
    expect(large.fields.table?.size).toBe(2);
    for (const blob of [...hashBlobs(small), ...hashBlobs(large)]) {
      for (const secret of ['secret-field-name', 'secret-hash-value']) expect(blob.includes(Buffer.from(secret))).toBe(false);
    }
    expect(await run(['hgetall', 'small'])).toEqual({ 'secret-field-name-1': 'secret-hash-value-123' });
    expect(await run(['hget', 'large', 'secret-field-name-2'])).toBe('secret-hash-value-456');
  });

  it("a large hash: a field's blob moved to another field fails to open, and multi-value replies give one clean error", async () => {
    await run(['hset', 'h', 'a', 'alpha', 'b', 'beta', 'long', 'x'.repeat(100)]);
    const table = stored('h').fields.table!;
    const [a, b] = table.ids();
    const moved = table.sealedCopy(a!);
    table.setAt(b!, moved, 0, moved.length);
    expect(await run(['hget', 'h', 'a'])).toBe('alpha');
    expect(await run(['hget', 'h', 'b'])).toEqual({ error: failed });
    expect(await run(['hgetall', 'h'])).toEqual({ error: failed });
    expect(await run(['hvals', 'h'])).toEqual({ error: failed });
    expect(await run(['hkeys', 'h'])).toEqual({ error: failed });
    expect(await run(['hmget', 'h', 'a', 'b'])).toEqual({ error: failed });
    expect(await run(['hincrby', 'h', 'b', '1'])).toEqual({ error: failed });
    expect(await run(['hstrlen', 'h', 'b'])).toEqual({ error: failed });
    // The connection is still in step: the next reply is the right one.
    expect(await run(['hlen', 'h'])).toBe(3);
    expect(await run(['hstrlen', 'h', 'a'])).toBe(5);
    // Fields that do not need the bad blob still work, and deleting it is allowed.
    expect(await run(['hexists', 'h', 'b'])).toBe(1);
    expect(await run(['hdel', 'h', 'b'])).toBe(1);
    expect(Object.entries(await run(['hgetall', 'h']) as object).flat()).toEqual(['a', 'alpha', 'long', 'x'.repeat(100)]);
  });

  it('a small hash: its blob moved to another key fails to open, and a failed write leaves the hash as it was', async () => {
    await run(['hset', 'one', 'f', '1']);
    await run(['hset', 'two', 'f', '2', 'g', '3']);
    stored('two').fields.packed = stored('one').fields.packed;
    expect(await run(['hget', 'two', 'f'])).toEqual({ error: failed });
    expect(await run(['hset', 'two', 'h', '4'])).toEqual({ error: failed });
    expect(await run(['hdel', 'two', 'f'])).toEqual({ error: failed });
    expect(await run(['hlen', 'two'])).toBe(2);
    expect(await run(['hget', 'one', 'f'])).toBe('1');
  });

  it('moves a hash from one blob to a blob per field past its size, keeping every field and their order', async () => {
    const pairs: string[] = [];
    for (let i = 0; i < 60; i++) pairs.push(`field:${i}`, `value-${i}-${'v'.repeat(30)}`);
    for (let i = 0; i < pairs.length; i += 2) await run(['hset', 'grow', pairs[i]!, pairs[i + 1]!]);
    const fields = stored('grow').fields;
    expect(fields.table?.size).toBe(60);
    // Redis would still hold it as a listpack (60 fields of <= 64 bytes): so does OBJECT ENCODING.
    expect(await run(['object', 'encoding', 'grow'])).toBe('listpack');
    expect(Object.entries(await run(['hgetall', 'grow']) as object).flat()).toEqual(pairs);
    expect(await run(['hscan', 'grow', '0', 'count', '5'])).toEqual(['0', pairs]);
    expect(await run(['hdel', 'grow', 'field:0', 'field:59'])).toBe(2);
    expect(Object.entries(await run(['hgetall', 'grow']) as object).flat()).toEqual(pairs.slice(2, -2));
  });

  it('moves a hash to a blob per field on a value larger than the sealing scratch (8 KiB), and keeps one over 64 KiB', async () => {
    await run(['config', 'set', 'hash-max-listpack-value', '1000000000']);
    try {
      await run(['hset', 'wide', 'a', '127', 'b', 'x'.repeat(31)]);
      await run(['hset', 'wide', 'c', 'y'.repeat(8191)]);
      await run(['hset', 'wide', 'd', 'z'.repeat(65535)]);
      expect(stored('wide').fields.table?.size).toBe(4);
      expect(await run(['hgetall', 'wide'])).toEqual({ a: '127', b: 'x'.repeat(31), c: 'y'.repeat(8191), d: 'z'.repeat(65535) });
      expect(await run(['hset', 'wide', 'd', 'w'.repeat(70000), 'a', '128'])).toBe(0);
      expect(await run(['hmget', 'wide', 'd', 'a'])).toEqual(['w'.repeat(70000), '128']);
    } finally {
      await run(['config', 'set', 'hash-max-listpack-value', '64']);
    }
  });
});

describe.skipIf(redisCliMissing)('redis-cli', () => {
  it('sets and reads a hash', async () => {
    expect((await redisCli(server.port, ['hset', 'cli', 'f', 'v', 'g', 'w'])).trim()).toBe('2');
    expect(await redisCli(server.port, ['hgetall', 'cli'])).toBe('f\nv\ng\nw\n');
    expect((await redisCli(server.port, ['hincrbyfloat', 'cli', 'n', '2.5'])).trim()).toBe('2.5');
  });
});
