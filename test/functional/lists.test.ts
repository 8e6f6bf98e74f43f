// List commands against the real server over ioredis, node-redis and redis-cli, and everything
// type-blind that must know lists: TYPE, OBJECT ENCODING, SCAN TYPE, RENAME/COPY/MOVE, EXPIRE,
// MEMORY USAGE, INFO keyspace, maxmemory, SEAL ROTATE, and how the elements are sealed. Reply
// shapes and error texts are compared byte for byte with redis-server in lists-vs-redis.test.ts.

import { describe, expect, it } from 'vitest';
import { nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { storedKey } from '../helpers/server.js';
import { Errors } from '../../src/protocol/errors.js';
import { Sealer } from '../../src/seal/sealer.js';
import { Kind, type ListEntry } from '../../src/store/keyspace.js';
import { sealAllResting, type ListCodec } from '../../src/store/types/list.js';

const { server, client, run } = withServer();

/** The list as stored in database db. */
function storedList(name: string, db = 0): ListEntry {
  const entry = server.running.state.databases[db]!.peek(storedKey(server, name));
  if (entry === undefined || entry.kind !== Kind.List) throw new Error(`${name} holds no list`);
  return entry;
}

/** Copies of the list's sealed elements, head first. */
function sealedElements(name: string, db = 0): Buffer[] {
  const out: Buffer[] = [];
  storedList(name, db).forEachSealed((bytes, start, length, node) => {
    if (node === undefined) out.push(Buffer.from(bytes.subarray(start, start + length)));
  });
  return out;
}

/** Copies of every sealed part of the list: its elements sealed alone and its nodes sealed whole. */
function sealedParts(name: string, db = 0): Buffer[] {
  const out: Buffer[] = [];
  storedList(name, db).forEachSealed((bytes, start, length) => void out.push(Buffer.from(bytes.subarray(start, start + length))));
  return out;
}

/** Stores bytes given as they are (already sealed) as one element: what a forged or moved element would look like. */
const asSealed: ListCodec = {
  overhead: 0,
  nodeBytes: 8192,
  nodeCount: 65535,
  sealElement: (plain, out, at) => void out.set(plain, at),
  openElement: () => {
    throw new Error('not for reading');
  },
  sealNode: () => {
    throw new Error('not for nodes');
  },
  openNode: () => {
    throw new Error('not for nodes');
  },
  broken: (what) => {
    throw new Error(what);
  },
};

describe('lists over ioredis', () => {
  it('keeps a long list in order through pushes at both ends, indexes and ranges', async () => {
    const model: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const el = `element-${i}-${'x'.repeat(i % 50)}`;
      if (i % 3 === 0) {
        await client.lpush('big', el);
        model.unshift(el);
      } else {
        await client.rpush('big', el);
        model.push(el);
      }
    }
    expect(storedList('big').nodeCount).toBeGreaterThan(3);
    expect(await client.llen('big')).toBe(model.length);
    expect(await client.lrange('big', 0, -1)).toEqual(model);
    expect(await client.lrange('big', 1234, 1300)).toEqual(model.slice(1234, 1301));
    for (const i of [0, 1, 777, 1500, 2998, 2999]) expect(await client.lindex('big', i)).toBe(model[i]);
    expect(await client.lindex('big', -3)).toBe(model[model.length - 3]);
  });

  it('changes the middle of a long list: LSET, LINSERT, LREM, LTRIM', async () => {
    const model = Array.from({ length: 2000 }, (_, i) => `v${i % 10}`);
    await client.rpush('l', ...model);
    await client.lset('l', 1000, 'a much longer element than the ones around it');
    model[1000] = 'a much longer element than the ones around it';
    expect(await client.linsert('l', 'AFTER', 'a much longer element than the ones around it', 'after-it')).toBe(2001);
    model.splice(1001, 0, 'after-it');
    expect(await client.lrem('l', -5, 'v3')).toBe(5);
    for (let n = 0, i = model.length - 1; n < 5; i--) if (model[i] === 'v3') (model.splice(i, 1), n++);
    expect(await client.lrem('l', 0, 'v7')).toBe(200);
    for (let i = model.length - 1; i >= 0; i--) if (model[i] === 'v7') model.splice(i, 1);
    expect(await client.lrange('l', 0, -1)).toEqual(model);
    expect(await client.ltrim('l', 100, -100)).toBe('OK');
    expect(await client.lrange('l', 0, -1)).toEqual(model.slice(100, model.length - 99));
    expect(await client.lpos('l', 'after-it')).toBe(model.slice(100).indexOf('after-it'));
  });

  it('keeps binary elements byte for byte', async () => {
    const els = [Buffer.from([0, 0xff, 0x0d, 0x0a]), Buffer.alloc(0), Buffer.alloc(20_000, 0xab)];
    await client.rpush('bin', ...els);
    expect(await client.lrangeBuffer('bin', 0, -1)).toEqual(els);
    expect(await client.rpopBuffer('bin')).toEqual(els[2]);
    expect(await client.lpos('bin', '')).toBe(1);
  });

  it('pops with counts and serves a queue (RPUSH then LPOP) over many nodes', async () => {
    for (let i = 0; i < 5000; i++) await client.rpush('q', `job-${i}`);
    let next = 0;
    while (next < 5000) {
      const got = await client.lpop('q', 333);
      expect(got).toEqual(Array.from({ length: Math.min(333, 5000 - next) }, (_, k) => `job-${next + k}`));
      next += got!.length;
    }
    expect(await client.exists('q')).toBe(0);
  });

  it('LMOVE carries an element to another key, sealed again for it (and within one list for its new place)', async () => {
    // Elements too large for an open end node (list.ts OPEN_ELEMENT) are sealed one by one.
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(400));
    await client.rpush('src', a!, b!, c!);
    const before = sealedElements('src');
    expect(before.length).toBe(3);
    expect(await client.lmove('src', 'src', 'LEFT', 'RIGHT')).toBe(a);
    expect(await client.lrange('src', 0, -1)).toEqual([b, c, a]);
    expect(sealedElements('src').slice(0, 2)).toEqual([before[1], before[2]]);
    expect(await client.lmove('src', 'dst', 'RIGHT', 'LEFT')).toBe(a);
    expect(sealedElements('dst')[0]).not.toEqual(before[0]);
    expect(await client.lrange('dst', 0, -1)).toEqual([a]);
  });

  it('LMOVE of small elements: nodes sealed whole under each key, never an element of one key under the other', async () => {
    await client.rpush('src', 'a', 'b', 'c');
    const before = sealedParts('src');
    expect(await client.lmove('src', 'src', 'LEFT', 'RIGHT')).toBe('a');
    expect(await client.lrange('src', 0, -1)).toEqual(['b', 'c', 'a']);
    expect(await client.lmove('src', 'dst', 'RIGHT', 'LEFT')).toBe('a');
    expect(await client.lrange('dst', 0, -1)).toEqual(['a']);
    expect(await client.lrange('src', 0, -1)).toEqual(['b', 'c']);
    const dst = sealedParts('dst');
    for (const part of dst) expect(before.some((p) => p.equals(part))).toBe(false);
  });
});

describe('argument errors, with Redis 7.0 texts', () => {
  it('counts, indexes, LPOS options and LMPOP numbers', async () => {
    await client.rpush('l', 'a');
    expect(await run(['lpop', 'l', '-1'])).toEqual({ error: Errors.mustBePositive });
    expect(await run(['lset', 'l', '5', 'x'])).toEqual({ error: Errors.indexOutOfRange });
    expect(await run(['lset', 'none', '0', 'x'])).toEqual({ error: Errors.noSuchKey });
    expect(await run(['lpos', 'l', 'a', 'rank', '0'])).toEqual({ error: Errors.lposRankZero });
    expect(await run(['lpos', 'l', 'a', 'count', '-1'])).toEqual({ error: Errors.lposCountNegative });
    expect(await run(['lpos', 'l', 'a', 'maxlen', 'x'])).toEqual({ error: Errors.lposMaxlenNegative });
    expect(await run(['lmpop', '0', 'l', 'left'])).toEqual({ error: Errors.numkeysPositive });
    expect(await run(['lmpop', '1', 'l', 'left', 'count', '0'])).toEqual({ error: Errors.countPositive });
    expect(await run(['blmpop', '0', '1', 'l', 'left', 'count', '-3'])).toEqual({ error: Errors.countPositive });
  });
});

describe('lists over node-redis and redis-cli', () => {
  it('node-redis: pushes, ranges, LMPOP and LPOS', async () => {
    const nr = await nodeRedis(server.port);
    try {
      expect(await nr.rPush('n', ['1', '2', '3', '2'])).toBe(4);
      expect(await nr.lRange('n', 0, -1)).toEqual(['1', '2', '3', '2']);
      expect(await nr.lPos('n', '2', { RANK: -1 })).toBe(3);
      expect(await nr.lPosCount('n', '2', 0)).toEqual([1, 3]);
      expect(await nr.lmPop(['none', 'n'], 'RIGHT', { COUNT: 2 })).toEqual(['n', ['2', '3']]);
      expect(await nr.lMove('n', 'm', 'LEFT', 'LEFT')).toBe('1');
      expect(await nr.lLen('m')).toBe(1);
    } finally {
      await nr.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli: pushes and reads', async () => {
    expect((await redisCli(server.port, ['rpush', 'cli', 'x', 'y z'])).trim()).toBe('2');
    expect(await redisCli(server.port, ['lrange', 'cli', '0', '-1'])).toBe('x\ny z\n');
    expect(await redisCli(server.port, ['lpos', 'cli', 'y z'])).toBe('1\n');
    expect(await redisCli(server.port, ['lpop', 'none'])).toBe('\n');
  });
});

describe('what every type-blind path knows of lists', () => {
  it('TYPE, OBJECT ENCODING, SCAN TYPE, KEYS, EXISTS, DEL', async () => {
    await client.rpush('l1', 'a');
    await client.rpush('l2', 'b');
    await client.set('s', 'v');
    await client.hset('h', 'f', 'v');
    expect(await client.type('l1')).toBe('list');
    expect(await run(['object', 'encoding', 'l1'])).toBe('quicklist');
    const [, found] = (await run(['scan', '0', 'type', 'list', 'count', '100'])) as [string, string[]];
    expect(found.sort()).toEqual(['l1', 'l2']);
    expect(await client.del('l1', 'l2')).toBe(2);
    expect(await client.exists('l1', 'l2')).toBe(0);
  });

  it('RENAME, COPY (also to another database) and MOVE carry every element, re-sealed for the new home', async () => {
    const els = Array.from({ length: 500 }, (_, i) => `el-${i}`);
    await client.rpush('a', ...els);
    const sealedA = sealedParts('a');
    // Pushed at once: nodes sealed whole.
    expect(sealedA.length).toBeLessThan(10);
    expect(await client.rename('a', 'b')).toBe('OK');
    expect(await client.lrange('b', 0, -1)).toEqual(els);
    const sealedB = sealedParts('b');
    expect(sealedB.length).toBe(sealedA.length);
    expect(sealedB[0]).not.toEqual(sealedA[0]);
    expect(await client.copy('b', 'c')).toBe(1);
    expect(await run(['copy', 'b', 'c', 'db', '2'])).toBe(1);
    expect(await client.move('b', 1)).toBe(1);
    await run(['select', '1']);
    expect(await client.lrange('b', 0, -1)).toEqual(els);
    await run(['select', '2']);
    expect(await client.lrange('c', 0, -1)).toEqual(els);
    await run(['select', '0']);
    expect(await client.lrange('c', 0, -1)).toEqual(els);
    expect(await client.exists('b')).toBe(0);
  });

  it('list-max-listpack-size (old name list-max-ziplist-size) sizes nodes and is not reported as not applied', async () => {
    expect(await run(['config', 'set', 'list-max-ziplist-size', '2'])).toBe('OK');
    await client.rpush('sized', ...Array.from({ length: 100 }, (_, i) => `s${i}`));
    expect(storedList('sized').nodeCount).toBe(50);
    expect(await client.lrange('sized', 48, 51)).toEqual(['s48', 's49', 's50', 's51']);
    const info = (await run(['info', 'sealkv'])) as string;
    expect(/config_not_applied:(.*)\r\n/.exec(info)?.[1] ?? '').not.toMatch(/list-max/);
    expect(await run(['config', 'set', 'list-max-listpack-size', '-2'])).toBe('OK');
  });

  it('EXPIRE and TTL on a list; an expired list is gone', async () => {
    await client.rpush('t', 'a', 'b');
    expect(await client.pexpire('t', 50)).toBe(1);
    expect(await client.pttl('t')).toBe(50);
    server.advance(51);
    expect(await client.lrange('t', 0, -1)).toEqual([]);
    expect(await client.exists('t')).toBe(0);
  });

  it('MEMORY USAGE and INFO keyspace count lists; used memory follows pushes and pops', async () => {
    await client.rpush('m', 'x');
    const small = (await run(['memory', 'usage', 'm'])) as number;
    await client.rpush('m', ...Array.from({ length: 1000 }, (_, i) => `element-${i}`));
    const large = (await run(['memory', 'usage', 'm'])) as number;
    // Pushed at once, the elements are sealed a node at a time: about their plaintext, not 45
    // bytes of seal each.
    expect(large - small).toBeGreaterThan(1000 * 12);
    expect(large - small).toBeLessThan(1000 * 25);
    const info = (await run(['info', 'keyspace'])) as string;
    expect(info).toMatch(/db0:keys=1,/);
    const usedBefore = server.running.state.memory.account.used;
    await client.del('m');
    expect(server.running.state.memory.account.used).toBeLessThan(usedBefore - 1000 * 12);
  });

  it('the memory accounted for a list follows its nodes sealed at rest (maxmemory counts what MEMORY USAGE says)', async () => {
    // Elements of 1,000 bytes are pushed loose (each sealed on its own, in blocks grown by half);
    // at rest the interior nodes are sealed whole into blocks of their size, outside any command.
    const account = server.running.state.memory.account;
    const base = account.used;
    for (let i = 0; i < 400; i++) await client.rpush('rest', Buffer.alloc(1000, i));
    const loose = account.used - base;
    sealAllResting();
    const usage = (await run(['memory', 'usage', 'rest', 'samples', '0'])) as number;
    expect(usage).toBeLessThan(loose * 0.8);
    // It was left at the loose size (by a third more) until the key's next write.
    expect(account.used - base).toBe(usage);
    await client.del('rest');
  });

  it('refuses pushes over maxmemory with noeviction (denyoom), and still pops', async () => {
    await client.rpush('full', 'a', 'b');
    await run(['config', 'set', 'maxmemory', '1']);
    try {
      await expect(client.rpush('full', 'c')).rejects.toThrow(/^OOM command not allowed/);
      expect(await client.lpop('full')).toBe('a');
    } finally {
      await run(['config', 'set', 'maxmemory', '0']);
    }
  });

  it('INCR and friends on a list answer WRONGTYPE', async () => {
    await client.rpush('l', 'a');
    await expect(client.incr('l')).rejects.toThrow(/^WRONGTYPE/);
    await expect(client.get('l')).rejects.toThrow(/^WRONGTYPE/);
    await expect(client.hget('l', 'f')).rejects.toThrow(/^WRONGTYPE/);
  });

  it('SEAL ROTATE re-seals every list element under the new key', async () => {
    await client.rpush('r', ...Array.from({ length: 300 }, (_, i) => `r${i}`));
    const newId = parseInt((await run(['seal', 'rotate'])) as string, 16);
    for (let i = 0; i < 500; i++) {
      const info = (await run(['info', 'sealkv'])) as string;
      if (/rotation_in_progress:0/.test(info)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(new Set(sealedParts('r').map((s) => Sealer.keyId(s)))).toEqual(new Set([newId]));
    expect(await client.lrange('r', 0, 2)).toEqual(['r0', 'r1', 'r2']);
  });
});

describe('sealing of list elements', () => {
  it('stores no element in plaintext', async () => {
    const marker = 'plaintext-list-marker-7f3a';
    await client.rpush('p', marker, `${marker}-2`);
    for (const sealed of sealedElements('p')) expect(sealed.includes(Buffer.from(marker))).toBe(false);
  });

  it('an element copied into another key fails to open there: the seal error, not its bytes', async () => {
    // Elements sealed one by one (too large for an open end node); nodes are the next test's.
    const two = 'two'.repeat(150);
    await client.rpush('one', `secret-one${'!'.repeat(400)}`);
    await client.rpush('two', two);
    const foreign = sealedElements('one')[0]!;
    storedList('two').pushTail(foreign, asSealed);
    await expect(client.lrange('two', 0, -1)).rejects.toThrow(Errors.sealOpenFailed);
    await expect(client.rpop('two')).rejects.toThrow(Errors.sealOpenFailed);
    // The element that failed stays; the others still read.
    expect(await client.llen('two')).toBe(2);
    expect(await client.lindex('two', 0)).toBe(two);
    await expect(client.lpos('two', `secret-one${'!'.repeat(400)}`)).rejects.toThrow(Errors.sealOpenFailed);
    await expect(client.lmove('two', 'three', 'RIGHT', 'LEFT')).rejects.toThrow(Errors.sealOpenFailed);
    expect(await client.exists('three')).toBe(0);
  });
});
