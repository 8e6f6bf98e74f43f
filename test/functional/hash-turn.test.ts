// The small hash a turn's commands last opened or wrote stays open until the turn ends
// (src/commands/hashes/hash-turn.ts): commands sent in one write run in one turn, so these tests send
// pipelines and MULTIs in one write each. What they check: a turn's writes to one hash open it
// once and seal it once (the point); every reader of the sealed form in between (RENAME, COPY,
// MOVE, SWAPDB, DUMP/RESTORE, OBJECT, MEMORY USAGE, SORT BY, scripts, MULTI, DEL) sees the
// hash as the turn's commands left it, byte for byte as redis-server's replies; a sealed blob
// copied under another key still fails to open; and a retired data key settles what is held.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { hasRedisServer, oneWrite, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';
import { Kind, type HashEntry } from '../../src/store/keyspace.js';
import { Errors } from '../../src/protocol/errors.js';
import { withHash } from '../../src/commands/hashes/hash-fields.js';
import { heldHash, packedLength } from '../../src/store/types/hash-fields.js';
import { openedHash } from '../helpers/hashes.js';
import type { Keyring } from '../../src/seal/keyring.js';
import { PackedRecord } from '../../src/store/packed-record.js';

let server: InProcessServer;

beforeAll(async () => {
  server = await startInProcess();
});
afterAll(async () => {
  await server?.stop();
});

function counts(): { opens: number; seals: number } {
  const s = server.running.state.sealCounts;
  return { opens: s.opens, seals: s.seals };
}

function stored(db: number, name: string): HashEntry {
  const entry = server.running.state.databases[db]!.peek(storedKey(server, name));
  if (entry?.kind !== Kind.Hash) throw new Error(`${name} is not a hash`);
  return entry;
}

describe('writes to one small hash within one turn', () => {
  it('open and seal it once: 16 pipelined HSETs and HINCRBYs of one hash, not 16 of each', async () => {
    const writes = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? ['HSET', 'h', `f${i % 5}`, `v${i}`] : ['HINCRBY', 'h', 'n', '2']));
    await oneWrite(server.port, [['HSET', 'h', 'a', '1']], [['FLUSHALL']]);
    const before = counts();
    const replies = await oneWrite(server.port, writes);
    const after = counts();
    expect(replies.filter((r) => r === ':1\r\n').length).toBe(5);
    expect(replies.at(-1)).toBe(':16\r\n');
    // One turn opens and seals once; a read the server happened to split across turns a few more.
    expect(after.opens - before.opens).toBeGreaterThanOrEqual(1);
    expect(after.opens - before.opens).toBeLessThan(5);
    expect(after.seals - before.seals).toBeGreaterThanOrEqual(1);
    expect(after.seals - before.seals).toBeLessThan(5);
    // Sealed at the turn's end: the stored blob holds every write.
    expect(openedHash(server.running.state, server.running.state.databases[0]!, storedKey(server, 'h'), stored(0, 'h'))).toEqual({
      a: '1', f0: 'v10', f2: 'v12', f4: 'v14', n: '16', f1: 'v6', f3: 'v8',
    });
  });

  it('MEMORY USAGE counts the blob the held pairs will be sealed into', async () => {
    const [during] = await oneWrite(server.port, [['HSET', 'm', 'a', 'x'.repeat(40)], ['MEMORY', 'USAGE', 'm']], [['FLUSHALL'], ['HSET', 'm', 'b', '1']]).then((r) => [r[1]]);
    const [after] = await oneWrite(server.port, [['MEMORY', 'USAGE', 'm']]);
    expect(during).toBe(after);
  });
});

describe('a write that leaves a small hash as it was', () => {
  it('seals nothing: HSET of the value a field holds, at rest and in use, still counted and signalled as a write', async () => {
    await oneWrite(server.port, [['FLUSHALL']]);
    await oneWrite(server.port, [['HSET', 'same', 'a', '1', 'b', 'two']]);
    const db = server.running.state.databases[0]!;
    server.advance(1000);
    db.compactSlice(Infinity, Infinity);
    expect(db.getStored(storedKey(server, 'same'), 0)).toBeInstanceOf(PackedRecord);
    const dirty = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec((await oneWrite(server.port, [['INFO', 'persistence']]))[0]!)?.[1]);
    const changes = await dirty();
    let before = counts();
    // At rest: opened once, sealed not at all; a changed value in the same HSET seals again.
    expect(await oneWrite(server.port, [['HSET', 'same', 'b', 'two']])).toEqual([':0\r\n']);
    let after = counts();
    expect([after.opens - before.opens, after.seals - before.seals]).toEqual([1, 0]);
    expect(await dirty()).toBe(changes + 1);
    before = counts();
    expect(await oneWrite(server.port, [['HSET', 'same', 'b', 'two', 'a', '2']])).toEqual([':0\r\n']);
    after = counts();
    expect(after.seals - before.seals).toBe(1);
    // In use (unpacked, held for the turn): a pipeline writing the values it holds seals nothing more.
    await oneWrite(server.port, [['HSET', 'same', 'c', '3'], ['HSET', 'same', 'c', '3']]);
    before = counts();
    expect(await oneWrite(server.port, [['HSET', 'same', 'a', '2'], ['HSET', 'same', 'c', '3']])).toEqual([':0\r\n', ':0\r\n']);
    after = counts();
    expect(after.seals - before.seals).toBe(0);
    expect(await oneWrite(server.port, [['HGETALL', 'same']])).toEqual(['*6\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$3\r\ntwo\r\n$1\r\nc\r\n$1\r\n3\r\n']);
  });
});

describe('a sealed blob copied under another key or database', () => {
  const refused = `-${Errors.sealOpenFailed}\r\n`;

  it('fails to open right after the same turn opened and wrote it for its own key', async () => {
    await oneWrite(server.port, [['SELECT', '0']], [['FLUSHALL'], ['HSET', 'a', 'x', '1'], ['HSET', 'b', 'x', '2'], ['SELECT', '1'], ['HSET', 'a', 'x', '1']]);
    stored(0, 'b').fields.packed = stored(0, 'a').fields.packed;
    stored(1, 'a').fields.packed = stored(0, 'a').fields.packed;
    expect(await oneWrite(server.port, [['HGET', 'a', 'x'], ['HGET', 'b', 'x'], ['HSET', 'a', 'x', '3'], ['HGET', 'b', 'x'], ['SELECT', '1'], ['HGET', 'a', 'x'], ['SELECT', '0'], ['HGET', 'a', 'x']])).toEqual([
      '$1\r\n1\r\n', refused, ':0\r\n', refused, '+OK\r\n', refused, '+OK\r\n', '$1\r\n3\r\n',
    ]);
  });
});

// Between a turn's writes: every reader of the sealed form, and every change of where it lives.
const SETUP = [['FLUSHALL'], ['HSET', 'h', 'a', '1', 'b', '2']];
const ALL = ['HGETALL', 'h'];
const CHANGES: Record<string, string[][]> = {
  'RENAME back and forth, COPY, DEL and the key made again': [
    ['HSET', 'h', 'c', '3'], ['RENAME', 'h', 'h2'], ALL, ['HGETALL', 'h2'], ['HSET', 'h2', 'a', '10'], ['COPY', 'h2', 'h'], ['HDEL', 'h2', 'b'], ALL,
    ['HGETALL', 'h2'], ['DEL', 'h'], ALL, ['HSET', 'h', 'z', '26'], ['RENAME', 'h2', 'h'], ALL, ['HINCRBY', 'h', 'a', '5'], ['COPY', 'h', 'h3'], ['HGETALL', 'h3'],
  ],
  'MOVE and SWAPDB': [
    ['HSET', 'h', 'c', '3'], ['MOVE', 'h', '1'], ALL, ['SELECT', '1'], ALL, ['HSET', 'h', 'd', '4'], ['SWAPDB', '0', '1'], ALL, ['SELECT', '0'], ALL,
    ['HDEL', 'h', 'a'], ['SWAPDB', '1', '0'], ['SELECT', '1'], ALL,
  ],
  'DUMP and RESTORE, OBJECT, TYPE, HLEN, SORT BY': [
    ['HSET', 'h', 'c', '3'], ['RESTORE', 'r', '0', 'x'], ['OBJECT', 'ENCODING', 'h'], ['HSET', 'h', 'long', 'x'.repeat(100)], ['OBJECT', 'ENCODING', 'h'], ['HMGET', 'h', 'a', 'b', 'c', 'long'],
    ['DEL', 'h'], ['HSET', 'h', 'w1', '3', 'w2', '1'], ['RPUSH', 'l', '1', '2'], ['SORT', 'l', 'BY', 'h->w*'], ['HSET', 'h', 'w1', '0'], ['SORT', 'l', 'BY', 'h->w*'],
    ['SORT', 'l', 'BY', 'nosort', 'GET', 'h->w*'], ['TYPE', 'h'], ['HLEN', 'h'],
  ],
  'emptied by HDEL and made again, conversion to a hashtable': [
    ['HDEL', 'h', 'a'], ['HDEL', 'h', 'b'], ['EXISTS', 'h'], ['HSET', 'h', 'n', '1'], ['HINCRBYFLOAT', 'h', 'n', '1.5'], ALL, ['CONFIG', 'SET', 'hash-max-listpack-entries', '2'],
    ['HSET', 'h', 'p', '1', 'q', '2'], ['OBJECT', 'ENCODING', 'h'], ['HMGET', 'h', 'n', 'p', 'q'], ['CONFIG', 'SET', 'hash-max-listpack-entries', '128'],
  ],
  'the same inside MULTI and a script': [
    ['MULTI'], ['HSET', 'h', 'c', '3'], ['RENAME', 'h', 'q'], ['HSET', 'q', 'd', '4'], ['HGETALL', 'q'], ['DEL', 'q'], ['HGETALL', 'q'], ['HSET', 'h', 'e', '5'], ['EXEC'], ALL,
    ['EVAL', "redis.call('hset', KEYS[1], 'f', '6'); redis.call('rename', KEYS[1], 'g'); redis.call('hset', 'g', 'a', '0'); return redis.call('hgetall', 'g')", '1', 'h'],
    ['HGETALL', 'g'], ALL,
  ],
  'WATCH sees every write': [['WATCH', 'h'], ['HSET', 'h', 'a', '1'], ['MULTI'], ['HGET', 'h', 'a'], ['EXEC'], ['WATCH', 'h'], ['HGET', 'h', 'a'], ['MULTI'], ['HLEN', 'h'], ['EXEC']],
};

describe.skipIf(!hasRedisServer)('changes between the writes of one turn, byte for byte with redis-server', () => {
  let redis: ReferenceRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  for (const [name, commands] of Object.entries(CHANGES)) {
    it(name, async () => {
      const expected = await oneWrite(redis.port, commands, SETUP);
      const actual = await oneWrite(server.port, commands, SETUP);
      const show = (r: string[]) => commands.map((c, i) => `${c.slice(0, 6).join(' ')} -> ${JSON.stringify(r[i])}`);
      expect(show(actual)).toEqual(show(expected));
    });
  }

  it('DUMP in the turn of the writes restores what they left', async () => {
    const [, dump] = await oneWrite(server.port, [['HSET', 'h', 'c', '3', 'a', '9'], ['DUMP', 'h']], SETUP);
    const payload = Buffer.from(dump!.slice(dump!.indexOf('\r\n') + 2, -2), 'latin1');
    const c = await ReplyConnection.open(server.port);
    try {
      expect(await c.sendRaw(encodeCommand(['RESTORE', 'copy', '0', payload]))).toBe('+OK\r\n');
    } finally {
      c.close();
    }
    expect(await oneWrite(server.port, [['HGETALL', 'copy']])).toEqual(['*6\r\n$1\r\na\r\n$1\r\n9\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n']);
  });
});

describe('SEAL ROTATE and a retired data key', () => {
  it('writes before and after a rotation in one pipeline all land, and again once the old key is gone', async () => {
    const piped = await oneWrite(server.port, [['HSET', 'h', 'c', '3'], ['SEAL', 'ROTATE'], ['HSET', 'h', 'd', '4'], ALL], SETUP);
    expect(piped[3]).toBe('*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n');
    const c = await ReplyConnection.open(server.port);
    for (let i = 0; i < 500 && /rotation_in_progress:1/.test(await c.send(['INFO', 'sealkv'])); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await c.send(['INFO', 'sealkv'])).toMatch(/keys_in_use:1\r\n/);
    c.close();
    expect(await oneWrite(server.port, [ALL])).toEqual([piped[3]]);
  });

  it('seals the held hash under the current key when a data key is retired', async () => {
    await oneWrite(server.port, [['HSET', 'k', 'a', '1']], [['FLUSHALL']]);
    const state = server.running.state;
    const db = state.databases[0]!;
    const key = storedKey(server, 'k');
    const entry = stored(0, 'k');
    // A retirement runs in its own turn; hold a written hash by hand first, as a command would.
    withHash({ server: state, db }, key, entry.fields, (h) => {
      h.set(Buffer.from('b'), Buffer.from('2'), { entries: 128, value: 64 });
      h.commit(true);
    });
    expect(heldHash.lagging).toBe(entry.fields);
    expect(packedLength(entry.fields)).toBeGreaterThan(entry.fields.packed.length);
    const keyring = (state as unknown as { keyring: Keyring }).keyring;
    const old = keyring.current.id;
    keyring.rotate();
    expect(heldHash.lagging).toBe(entry.fields);
    expect(keyring.retire(old)).toBe(true);
    expect(heldHash.lagging).toBe(null);
    expect(packedLength(entry.fields)).toBe(entry.fields.packed.length);
    expect(openedHash(state, db, key, entry)).toEqual({ a: '1', b: '2' });
  });
});
