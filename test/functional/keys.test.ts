// Generic key commands against the real server over real clients. Expected replies and error
// texts were taken from redis-server 7.0.15 running the same commands.

import { afterEach, describe, expect, it } from 'vitest';
import { ioredis, nodeRedis, redisCli, redisCliMissing, runner } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { storedKey } from '../helpers/server.js';
import { Kind, type Entry } from '../../src/store/keyspace.js';
import { corruptHash, openedHash, sealedHash } from '../helpers/hashes.js';

const START = 1_700_000_000_000;

const { server, client, run } = withServer({}, START);

const state = () => server.running.state;

/** Stores a hash straight into database `dbIndex` (the hash commands live in another family). */
function seedHash(dbIndex: number, name: string, fields: Record<string, string>, expiresAt = 0): void {
  const db = state().databases[dbIndex]!;
  const key = storedKey(server, name);
  const entry = sealedHash(state(), db, key, fields, state().clock());
  entry.expiresAt = expiresAt;
  db.set(key, entry, 'hset');
}

/** Opens every field of a stored hash with the binding of where it now lives. */
function readHash(dbIndex: number, name: string): Record<string, string> | null {
  const db = state().databases[dbIndex]!;
  const key = storedKey(server, name);
  const entry = db.get(key, state().clock());
  if (entry === undefined) return null;
  if (entry.kind !== Kind.Hash) throw new Error('not a hash');
  return openedHash(state(), db, key, entry);
}

function entryOf(dbIndex: number, name: string): Entry | undefined {
  return state().databases[dbIndex]!.get(storedKey(server, name), state().clock());
}

/** Runs commands on a connection that selected another database. */
async function inDb<T>(db: number, fn: (r: ReturnType<typeof runner>) => Promise<T>): Promise<T> {
  const other = ioredis(server.port, { db });
  try {
    return await fn(runner(other));
  } finally {
    other.disconnect();
  }
}

describe('DEL, UNLINK, EXISTS, TOUCH, TYPE, DBSIZE', () => {
  it('DEL and UNLINK count the keys they removed, once each', async () => {
    await run(['set', 'a', '1']);
    await run(['set', 'b', '2']);
    seedHash(0, 'h', { f: 'v' });
    expect(await run(['del', 'a', 'nokey', 'a'])).toBe(1);
    expect(await run(['unlink', 'b', 'h', 'b'])).toBe(2);
    expect(await run(['dbsize'])).toBe(0);
    expect(await run(['del'])).toEqual({ error: "ERR wrong number of arguments for 'del' command" });
  });

  it('EXISTS counts a key each time it is named', async () => {
    await run(['set', 'a', '1']);
    expect(await run(['exists', 'a', 'a', 'nokey'])).toBe(2);
    expect(await run(['exists', 'nokey'])).toBe(0);
  });

  it('TOUCH counts existing keys and resets their idle time', async () => {
    await run(['set', 'a', '1']);
    server.advance(7000);
    expect(await run(['object', 'idletime', 'a'])).toBe(7);
    expect(await run(['touch', 'a', 'a', 'nokey'])).toBe(2);
    expect(await run(['object', 'idletime', 'a'])).toBe(0);
  });

  it('EXISTS and TYPE do not reset the idle time', async () => {
    await run(['set', 'a', '1']);
    server.advance(3000);
    await run(['exists', 'a']);
    await run(['type', 'a']);
    expect(await run(['object', 'idletime', 'a'])).toBe(3);
  });

  it('TYPE names strings and hashes, and none for a missing key', async () => {
    await run(['set', 's', 'v']);
    seedHash(0, 'h', { f: 'v' });
    expect(await run(['type', 's'])).toBe('string');
    expect(await run(['type', 'h'])).toBe('hash');
    expect(await run(['type', 'nokey'])).toBe('none');
  });

  it('DBSIZE counts keys of the selected database only', async () => {
    await run(['set', 'a', '1']);
    await run(['set', 'b', '1']);
    await inDb(3, (r) => r(['set', 'c', '1']));
    expect(await run(['dbsize'])).toBe(2);
    expect(await inDb(3, (r) => r(['dbsize']))).toBe(1);
  });
});

describe('RENAME and RENAMENX', () => {
  it('RENAME moves the value, which reads back intact under the new name', async () => {
    await run(['set', 'old', 'secret value']);
    expect(await run(['rename', 'old', 'new'])).toBe('OK');
    expect(await run(['get', 'new'])).toBe('secret value');
    expect(await run(['exists', 'old'])).toBe(0);
  });

  it('RENAME replaces a destination of any type and keeps the TTL', async () => {
    await run(['set', 'src', 'v']);
    await run(['pexpire', 'src', '5000']);
    seedHash(0, 'dst', { f: 'x' });
    expect(await run(['rename', 'src', 'dst'])).toBe('OK');
    expect(await run(['type', 'dst'])).toBe('string');
    expect(await run(['pttl', 'dst'])).toBe(5000);
    expect(await run(['get', 'dst'])).toBe('v');
  });

  it('RENAME re-seals every field of a hash for its new name', async () => {
    seedHash(0, 'h1', { name: 'ada', city: 'london' });
    expect(await run(['rename', 'h1', 'h2'])).toBe('OK');
    expect(readHash(0, 'h2')).toEqual({ name: 'ada', city: 'london' });
    expect(readHash(0, 'h1')).toBeNull();
  });

  it('RENAME of a missing key, and a key to itself, behave as in Redis 7', async () => {
    expect(await run(['rename', 'nokey', 'x'])).toEqual({ error: 'ERR no such key' });
    expect(await run(['renamenx', 'nokey', 'x'])).toEqual({ error: 'ERR no such key' });
    await run(['set', 'a', '1']);
    expect(await run(['rename', 'a', 'a'])).toBe('OK');
    expect(await run(['renamenx', 'a', 'a'])).toBe(0);
    expect(await run(['get', 'a'])).toBe('1');
  });

  it('RENAMENX only renames onto a free name', async () => {
    await run(['set', 'a', '1']);
    await run(['set', 'b', '2']);
    expect(await run(['renamenx', 'a', 'b'])).toBe(0);
    expect(await run(['get', 'a'])).toBe('1');
    expect(await run(['get', 'b'])).toBe('2');
    expect(await run(['renamenx', 'a', 'c'])).toBe(1);
    expect(await run(['get', 'c'])).toBe('1');
    expect(await run(['exists', 'a'])).toBe(0);
  });

  it('RENAME of an expired key answers no such key', async () => {
    await run(['set', 'a', '1']);
    await run(['pexpire', 'a', '100']);
    server.advance(100);
    expect(await run(['rename', 'a', 'b'])).toEqual({ error: 'ERR no such key' });
  });

  it('binary key names survive RENAME, KEYS and SCAN byte for byte', async () => {
    const from = Buffer.from([0x6b, 0xff, 0x00, 0x80]);
    const to = Buffer.from([0xfe, 0x0a, 0x0d]);
    await client.set(from, 'bin');
    expect(await client.call('rename', from, to)).toBe('OK');
    expect(await client.keysBuffer('*')).toEqual([to]);
    const [cursor, found] = (await client.callBuffer('scan', '0')) as [Buffer, Buffer[]];
    expect(cursor.toString()).toBe('0');
    expect(found).toEqual([to]);
    expect(await client.get(to)).toBe('bin');
  });
});

describe('COPY', () => {
  it('copies a string within the database, leaving the source', async () => {
    await run(['set', 'src', 'payload']);
    await run(['pexpire', 'src', '9000']);
    expect(await run(['copy', 'src', 'dst'])).toBe(1);
    expect(await run(['get', 'dst'])).toBe('payload');
    expect(await run(['get', 'src'])).toBe('payload');
    expect(await run(['pttl', 'dst'])).toBe(9000);
  });

  it('does not overwrite without REPLACE, and does with it', async () => {
    await run(['set', 'src', 'new']);
    await run(['set', 'dst', 'old']);
    expect(await run(['copy', 'src', 'dst'])).toBe(0);
    expect(await run(['get', 'dst'])).toBe('old');
    expect(await run(['copy', 'src', 'dst', 'REPLACE'])).toBe(1);
    expect(await run(['get', 'dst'])).toBe('new');
  });

  it('copies into another database with DB, strings and hashes alike', async () => {
    await run(['set', 's', 'text']);
    seedHash(0, 'h', { a: '1', b: '2' });
    expect(await run(['copy', 's', 's', 'db', '2'])).toBe(1);
    expect(await run(['copy', 'h', 'h2', 'DB', '2', 'replace'])).toBe(1);
    expect(await inDb(2, (r) => r(['get', 's']))).toBe('text');
    expect(readHash(2, 'h2')).toEqual({ a: '1', b: '2' });
    expect(readHash(0, 'h')).toEqual({ a: '1', b: '2' });
  });

  it('answers 0 for a missing source', async () => {
    expect(await run(['copy', 'nokey', 'dst'])).toBe(0);
    expect(await run(['copy', 'nokey', 'x', 'db', '1'])).toBe(0);
  });

  it('rejects bad arguments with Redis errors', async () => {
    await run(['set', 'a', '1']);
    expect(await run(['copy', 'a', 'a'])).toEqual({ error: 'ERR source and destination objects are the same' });
    expect(await run(['copy', 'a', 'a', 'db', '0'])).toEqual({ error: 'ERR source and destination objects are the same' });
    expect(await run(['copy', 'a', 'b', 'db', '99'])).toEqual({ error: 'ERR DB index is out of range' });
    expect(await run(['copy', 'a', 'b', 'db', '-1'])).toEqual({ error: 'ERR DB index is out of range' });
    expect(await run(['copy', 'a', 'b', 'db', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    // Redis reads DB as an int (getIntFromObjectOrReply): a 64-bit integer past it names the range.
    expect(await run(['copy', 'a', 'b', 'db', '2147483648'])).toEqual({ error: 'ERR value is out of range, value must between -2147483648 and 2147483647' });
    expect(await run(['copy', 'a', 'b', 'db', '-2147483649'])).toEqual({ error: 'ERR value is out of range, value must between -2147483648 and 2147483647' });
    expect(await run(['copy', 'a', 'b', 'db', '9223372036854775808'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['copy', 'a', 'b', 'foo'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['copy', 'a', 'b', 'replace', 'db'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['copy', 'a'])).toEqual({ error: "ERR wrong number of arguments for 'copy' command" });
  });
});

describe('MOVE', () => {
  it('moves a key to another database with its TTL, re-sealed for that database', async () => {
    await run(['set', 'k', 'moving']);
    await run(['pexpire', 'k', '4000']);
    expect(await run(['move', 'k', '5'])).toBe(1);
    expect(await run(['exists', 'k'])).toBe(0);
    expect(await inDb(5, (r) => r(['get', 'k']))).toBe('moving');
    expect(await inDb(5, (r) => r(['pttl', 'k']))).toBe(4000);
  });

  it('moves hashes', async () => {
    seedHash(0, 'h', { f: 'v' });
    expect(await run(['move', 'h', '1'])).toBe(1);
    expect(readHash(1, 'h')).toEqual({ f: 'v' });
  });

  it('answers 0 when the key is missing or the target already has it', async () => {
    expect(await run(['move', 'nokey', '1'])).toBe(0);
    await run(['set', 'k', 'here']);
    await inDb(1, (r) => r(['set', 'k', 'there']));
    expect(await run(['move', 'k', '1'])).toBe(0);
    expect(await run(['get', 'k'])).toBe('here');
    expect(await inDb(1, (r) => r(['get', 'k']))).toBe('there');
  });

  it('rejects bad targets with Redis errors', async () => {
    await run(['set', 'k', 'v']);
    expect(await run(['move', 'k', '0'])).toEqual({ error: 'ERR source and destination objects are the same' });
    expect(await run(['move', 'k', '16'])).toEqual({ error: 'ERR DB index is out of range' });
    expect(await run(['move', 'k', '-1'])).toEqual({ error: 'ERR DB index is out of range' });
    expect(await run(['move', 'k', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['move', 'k', '9223372036854775807'])).toEqual({ error: 'ERR value is out of range, value must between -2147483648 and 2147483647' });
    expect(await run(['move', 'k', '2147483647'])).toEqual({ error: 'ERR DB index is out of range' });
  });
});

describe('a value that fails to open while being re-sealed', () => {
  function corruptString(key: string): void {
    const entry = entryOf(0, key)!;
    if (entry.kind !== Kind.String) throw new Error('not a string');
    entry.value[entry.value.length - 1]! ^= 0x01;
  }

  it('stops RENAME, COPY and MOVE with the seal error and changes nothing', async () => {
    await run(['set', 'bad', 'value']);
    await run(['set', 'other', 'kept']);
    corruptString('bad');
    const before = state().stats.sealFailures;
    const sealError = { error: 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with' };
    expect(await run(['rename', 'bad', 'other'])).toEqual(sealError);
    expect(await run(['renamenx', 'bad', 'fresh'])).toEqual(sealError);
    expect(await run(['copy', 'bad', 'other', 'replace'])).toEqual(sealError);
    expect(await run(['move', 'bad', '1'])).toEqual(sealError);
    expect(state().stats.sealFailures).toBe(before + 4);
    expect(await run(['get', 'other'])).toBe('kept');
    expect(await run(['exists', 'bad', 'fresh'])).toBe(1);
    expect(await inDb(1, (r) => r(['dbsize']))).toBe(0);
  });

  it('stops a hash whose one field is corrupt', async () => {
    seedHash(0, 'h', { a: '1', b: '2' });
    const entry = entryOf(0, 'h')!;
    if (entry.kind !== Kind.Hash) throw new Error('not a hash');
    corruptHash(entry);
    expect(await run(['rename', 'h', 'h2'])).toEqual({
      error: 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with',
    });
    expect(await run(['exists', 'h', 'h2'])).toBe(1);
  });
});

describe('KEYS and RANDOMKEY', () => {
  it('KEYS matches Redis glob patterns', async () => {
    for (const k of ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h*llo']) await run(['set', k, '1']);
    const keys = async (p: string) => ((await run(['keys', p])) as string[]).sort();
    expect(await keys('*')).toEqual(['h*llo', 'hallo', 'heeeello', 'hello', 'hllo', 'hxllo']);
    expect(await keys('h?llo')).toEqual(['h*llo', 'hallo', 'hello', 'hxllo']);
    expect(await keys('h*llo')).toEqual(['h*llo', 'hallo', 'heeeello', 'hello', 'hllo', 'hxllo']);
    expect(await keys('h[ae]llo')).toEqual(['hallo', 'hello']);
    expect(await keys('h[^e]llo')).toEqual(['h*llo', 'hallo', 'hxllo']);
    expect(await keys('h[a-b]llo')).toEqual(['hallo']);
    expect(await keys('h\\*llo')).toEqual(['h*llo']);
    expect(await keys('nothing*')).toEqual([]);
  });

  it('KEYS and RANDOMKEY skip expired keys', async () => {
    await run(['set', 'live', '1']);
    await run(['set', 'dying', '1']);
    await run(['pexpire', 'dying', '10']);
    server.advance(10);
    expect(await run(['keys', '*'])).toEqual(['live']);
    for (let i = 0; i < 5; i++) expect(await run(['randomkey'])).toBe('live');
  });

  it('RANDOMKEY answers nil on an empty database and a present key otherwise', async () => {
    expect(await run(['randomkey'])).toBeNull();
    await run(['set', 'a', '1']);
    await run(['set', 'b', '1']);
    for (let i = 0; i < 10; i++) expect(['a', 'b']).toContain(await run(['randomkey']));
  });
});

describe('SCAN', () => {
  async function scanAll(extra: string[] = []): Promise<string[]> {
    const seen: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = (await run(['scan', cursor, ...extra])) as [string, string[]];
      expect(typeof next).toBe('string');
      seen.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return seen;
  }

  it('walks every key once, with MATCH, COUNT and TYPE', async () => {
    for (let i = 0; i < 50; i++) await run(['set', `user:${i}`, 'x']);
    for (let i = 0; i < 5; i++) seedHash(0, `map:${i}`, { f: 'v' });
    const all = await scanAll(['count', '7']);
    expect(all).toHaveLength(55);
    expect(new Set(all).size).toBe(55);
    expect((await scanAll(['match', 'user:1*'])).sort()).toEqual(
      ['user:1', ...Array.from({ length: 10 }, (_, i) => `user:1${i}`)].sort(),
    );
    expect((await scanAll(['type', 'HASH'])).sort()).toEqual(['map:0', 'map:1', 'map:2', 'map:3', 'map:4']);
    expect(await scanAll(['type', 'string', 'match', 'map:*'])).toEqual([]);
    expect(await scanAll(['type', 'nosuchtype'])).toEqual([]);
  });

  it('returns the cursor as a bulk string and stops at 0', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    for (const k of keys) await run(['set', k, 'x']);
    // COUNT is a hint, as in Redis: whole buckets are returned, up to COUNT * 10 of them per call,
    // so a call may bring more than COUNT keys or (in a sparse table) fewer.
    const first = (await run(['scan', '0', 'count', '2'])) as [string, string[]];
    expect(first[0]).toMatch(/^[1-9]\d*$/);
    const seen = [...first[1]];
    for (let cursor = first[0], calls = 0; cursor !== '0'; calls++) {
      expect(calls).toBeLessThan(1000);
      const [next, batch] = (await run(['scan', cursor, 'count', '2'])) as [string, string[]];
      seen.push(...batch);
      cursor = next;
    }
    expect([...new Set(seen)].sort()).toEqual([...keys].sort());
    expect(await run(['scan', '0', 'count', '1000'])).toEqual(['0', expect.arrayContaining(keys)]);
  });

  it('returns every key present for the whole walk exactly once while others come and go', async () => {
    const stable = Array.from({ length: 300 }, (_, i) => `stable:${i}`);
    for (const k of stable) await run(['set', k, 'v']);
    for (let i = 0; i < 100; i++) await run(['set', `doomed:${i}`, 'v']);
    const counts = new Map<string, number>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, keys] = (await run(['scan', cursor, 'count', '13'])) as [string, string[]];
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      cursor = next;
      // Between calls: new keys arrive, others leave.
      for (let j = 0; j < 5; j++) await run(['set', `new:${round}:${j}`, 'v']);
      await run(['del', `doomed:${round}`]);
      round++;
    } while (cursor !== '0');
    for (const k of stable) expect(counts.get(k), k).toBe(1);
    for (const [k, n] of counts) expect(n, k).toBe(1);
  });

  it('skips expired keys', async () => {
    await run(['set', 'live', '1']);
    await run(['set', 'dying', '1']);
    await run(['pexpire', 'dying', '50']);
    server.advance(60);
    expect(await scanAll()).toEqual(['live']);
  });

  it('rejects bad cursors and options with Redis errors', async () => {
    expect(await run(['scan', 'x'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['scan', '18446744073709551616'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['scan', 'x', 'count', '0'])).toEqual({ error: 'ERR invalid cursor' });
    expect(await run(['scan', '0', 'count', '0'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['scan', '0', 'count', '1', 'count', '0'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['scan', '0', 'count', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['scan', '0', 'match'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['scan', '0', 'type'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['scan', '0', 'foo', 'bar'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['scan'])).toEqual({ error: "ERR wrong number of arguments for 'scan' command" });
  });

  it('reads the cursor as Redis 7.0 does (strtoul): empty, signed and zero-padded cursors are valid', async () => {
    await run(['set', 'k', 'v']);
    // Each answer as redis-server 7.0.15 gives it.
    for (const cursor of ['', '-1', '+1', '-0', '00', '-18446744073709551615', '4294967296']) {
      const reply = (await run(['scan', cursor, 'count', '1000'])) as [string, string[]];
      expect(Array.isArray(reply), JSON.stringify(cursor)).toBe(true);
    }
    expect(await run(['scan', ''])).toEqual(['0', ['k']]);
    for (const cursor of [' 1', '1 ', '-', '+', '0x1', '1.5', '-18446744073709551616']) {
      expect(await run(['scan', cursor]), JSON.stringify(cursor)).toEqual({ error: 'ERR invalid cursor' });
    }
  });

  it('treats the largest unsigned cursor as valid (an unknown cursor)', async () => {
    const reply = (await run(['scan', '18446744073709551615'])) as [string, string[]];
    expect(reply[0]).toBe('0');
  });

  it('works with ioredis scanStream', async () => {
    for (let i = 0; i < 40; i++) await run(['set', `stream:${i}`, 'x']);
    await run(['set', 'other', 'x']);
    const found: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.scanStream({ match: 'stream:*', count: 6 });
      stream.on('data', (keys: string[]) => found.push(...keys));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    expect(found.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `stream:${i}`).sort());
  });

  it('works with node-redis scanIterator', async () => {
    for (let i = 0; i < 30; i++) await run(['set', `iter:${i}`, 'x']);
    await run(['set', 'other', 'x']);
    const nr = await nodeRedis(server.port);
    try {
      const found: string[] = [];
      for await (const batch of nr.scanIterator({ MATCH: 'iter:*', COUNT: 4 })) found.push(...batch);
      expect(found.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `iter:${i}`).sort());
    } finally {
      nr.destroy();
    }
  });
});

describe.skipIf(redisCliMissing)('redis-cli', () => {
  it('--scan --pattern lists the matching keys', async () => {
    for (let i = 0; i < 25; i++) await run(['set', `cli:${i}`, 'x']);
    await run(['set', 'other', 'x']);
    const out = await redisCli(server.port, ['--scan', '--pattern', 'cli:*']);
    expect(out.trim().split('\n').sort()).toEqual(Array.from({ length: 25 }, (_, i) => `cli:${i}`).sort());
  });
});

describe('OBJECT', () => {
  it('ENCODING follows Redis rules for strings', async () => {
    const cases: [string, string][] = [
      ['12345', 'int'],
      ['-1', 'int'],
      ['0', 'int'],
      ['9223372036854775807', 'int'],
      ['-9223372036854775808', 'int'],
      ['9223372036854775808', 'embstr'],
      ['-0', 'embstr'],
      ['01', 'embstr'],
      [' 1', 'embstr'],
      ['', 'embstr'],
      ['hello', 'embstr'],
      ['x'.repeat(44), 'embstr'],
      ['x'.repeat(45), 'raw'],
      ['1'.repeat(21), 'embstr'],
    ];
    for (const [value, encoding] of cases) {
      await run(['set', 'k', value]);
      expect(await run(['object', 'encoding', 'k']), JSON.stringify(value)).toBe(encoding);
    }
    expect(await run(['object', 'encoding', 'nokey'])).toBeNull();
  });

  it('ENCODING follows Redis default listpack limits for hashes', async () => {
    seedHash(0, 'small', { f: 'v' });
    seedHash(0, 'edge', { ['f'.repeat(64)]: 'v'.repeat(64) });
    seedHash(0, 'longvalue', { f: 'v'.repeat(65) });
    seedHash(0, 'longfield', { ['f'.repeat(65)]: 'v' });
    // hash-max-listpack-entries is 512 in Redis 7.0 (Debian's redis.conf lowers it to 128).
    seedHash(0, 'many', Object.fromEntries(Array.from({ length: 513 }, (_, i) => [`f${i}`, 'v'])));
    seedHash(0, 'enough', Object.fromEntries(Array.from({ length: 512 }, (_, i) => [`f${i}`, 'v'])));
    expect(await run(['object', 'encoding', 'small'])).toBe('listpack');
    expect(await run(['object', 'encoding', 'edge'])).toBe('listpack');
    expect(await run(['object', 'encoding', 'longvalue'])).toBe('hashtable');
    expect(await run(['object', 'encoding', 'longfield'])).toBe('hashtable');
    expect(await run(['object', 'encoding', 'many'])).toBe('hashtable');
    expect(await run(['object', 'encoding', 'enough'])).toBe('listpack');
  });

  it('REFCOUNT shows shared small integers as Redis does', async () => {
    await run(['set', 'shared', '9999']);
    await run(['set', 'big', '10000']);
    await run(['set', 'neg', '-1']);
    await run(['set', 'text', 'abc']);
    expect(await run(['object', 'refcount', 'shared'])).toBe(2147483647);
    expect(await run(['object', 'refcount', 'big'])).toBe(1);
    expect(await run(['object', 'refcount', 'neg'])).toBe(1);
    expect(await run(['object', 'refcount', 'text'])).toBe(1);
    expect(await run(['object', 'refcount', 'nokey'])).toBeNull();
  });

  it('IDLETIME counts whole seconds since the last access', async () => {
    await run(['set', 'k', 'v']);
    server.advance(2999);
    expect(await run(['object', 'idletime', 'k'])).toBe(2);
    await run(['get', 'k']);
    expect(await run(['object', 'idletime', 'k'])).toBe(0);
    expect(await run(['object', 'idletime', 'nokey'])).toBeNull();
  });

  it('FREQ and IDLETIME answer as Redis does for the configured policy', async () => {
    await run(['set', 'k', 'v']);
    expect(await run(['object', 'freq', 'nokey'])).toBeNull();
    expect(await run(['object', 'freq', 'k'])).toEqual({
      error:
        'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    });
    state().config.setAtRuntime([['maxmemory-policy', 'allkeys-lfu']]);
    try {
      expect(await run(['object', 'idletime', 'k'])).toEqual({
        error:
          'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
      });
      // A key last used under LRU reads as a new one under LFU.
      expect(await run(['object', 'freq', 'k'])).toBe(5);
    } finally {
      state().config.setAtRuntime([['maxmemory-policy', 'noeviction']]);
    }
  });

  describe('LFU counters (redis evict.c)', () => {
    const lfu = (settings: [string, string][]) => state().config.setAtRuntime([['maxmemory-policy', 'allkeys-lfu'], ...settings]);
    afterEach(() => state().config.setAtRuntime([['maxmemory-policy', 'noeviction'], ['lfu-log-factor', '10'], ['lfu-decay-time', '1']]));

    it('start at 5, count each read with lfu-log-factor 0, and carry over to a value written over them (as redis-server 7.0)', async () => {
      lfu([['lfu-log-factor', '0']]);
      await run(['set', 'k', 'v']);
      expect(await run(['object', 'freq', 'k'])).toBe(5);
      for (let i = 0; i < 10; i++) await run(['get', 'k']);
      expect(await run(['object', 'freq', 'k'])).toBe(15);
      // OBJECT, EXISTS, TYPE and TTL do not touch the key.
      for (const cmd of [['exists', 'k'], ['type', 'k'], ['ttl', 'k'], ['object', 'freq', 'k']]) await run(cmd);
      expect(await run(['object', 'freq', 'k'])).toBe(15);
      await run(['set', 'k', 'v2']);
      expect(await run(['object', 'freq', 'k'])).toBe(16);
      await run(['rpush', 'l', 'a']);
      await run(['rpush', 'l', 'b']);
      await run(['lrange', 'l', '0', '-1']);
      expect(await run(['object', 'freq', 'l'])).toBe(7);
    });

    it('rise more slowly the higher they are with the default log factor, and never pass 255', async () => {
      lfu([]);
      await run(['set', 'k', 'v']);
      for (let i = 0; i < 2000; i++) await run(['get', 'k']);
      const freq = (await run(['object', 'freq', 'k'])) as number;
      // Redis's LFULogIncr with factor 10: about 30 after 2,000 hits; far below one per hit.
      expect(freq).toBeGreaterThan(15);
      expect(freq).toBeLessThan(60);
      lfu([['lfu-log-factor', '0']]);
      for (let i = 0; i < 300; i++) await run(['get', 'k']);
      expect(await run(['object', 'freq', 'k'])).toBe(255);
    });

    it('decay by one per lfu-decay-time minutes, and not at all with 0', async () => {
      lfu([['lfu-log-factor', '0']]);
      await run(['set', 'k', 'v']);
      for (let i = 0; i < 10; i++) await run(['get', 'k']);
      server.advance(3 * 60_000);
      expect(await run(['object', 'freq', 'k'])).toBe(12);
      lfu([['lfu-decay-time', '2']]);
      expect(await run(['object', 'freq', 'k'])).toBe(14);
      lfu([['lfu-decay-time', '0']]);
      server.advance(60 * 60_000);
      expect(await run(['object', 'freq', 'k'])).toBe(15);
    });

    it('RESTORE ... FREQ sets the counter; IDLETIME is ignored under LFU', async () => {
      lfu([]);
      await run(['set', 'k', 'v']);
      const payload = (await client.dumpBuffer('k'))!;
      expect(await client.restore('r', 0, payload, 'FREQ', 100)).toBe('OK');
      expect(await run(['object', 'freq', 'r'])).toBe(100);
      expect(await client.call('restore', 'r', '0', payload, 'IDLETIME', '100', 'REPLACE')).toBe('OK');
      expect(await run(['object', 'freq', 'r'])).toBe(5);
    });
  });

  it('HELP, unknown subcommands and arity match Redis', async () => {
    const help = (await run(['object', 'help'])) as string[];
    expect(help[0]).toBe('OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toHaveLength(15);
    expect(help.at(-1)).toBe('    Prints this help.');
    expect(await run(['object', 'foo', 'k'])).toEqual({ error: "ERR unknown subcommand 'foo'. Try OBJECT HELP." });
    expect(await run(['object', 'encoding'])).toEqual({
      error: "ERR wrong number of arguments for 'object|encoding' command",
    });
  });
});
