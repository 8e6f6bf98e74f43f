// SORT and SORT_RO through real clients (ioredis, node-redis, redis-cli), what sealing promises
// (a stored result is a list sealed for its key; no element stays in plaintext), the keys COMMAND
// GETKEYS finds, and every reply compared byte for byte with redis-server 7.0 in RESP2 and RESP3.

import { describe, expect, it } from 'vitest';
import { nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess, storedKey } from '../helpers/server.js';
import { Kind } from '../../src/store/keyspace.js';

const { server, client } = withServer();

const LIST = ['RPUSH', 'l', '3', '1', '10', '2', '-1.5', '2.0', '7'];
const WEIGHTS = ['MSET', 'w_3', '30', 'w_1', '5', 'w_10', '1', 'w_2', '20', 'w_-1.5', '4', 'w_7', '100', 'name_3', 'three', 'name_1', 'one', 'name_7', 'seven'];
const HASHES = [
  ['HSET', 'h_3', 'f', '3', 'g', 'c'], ['HSET', 'h_1', 'f', '9', 'g', 'a'], ['HSET', 'h_10', 'f', '-2', 'g', 'b'], ['HSET', 'h_2', 'f', '0'],
];

const CASES: Record<string, string[][]> = {
  'numeric and ALPHA sorts of a list, ASC/DESC, LIMIT': [
    LIST, ['SORT', 'l'], ['SORT', 'l', 'DESC'], ['SORT', 'l', 'ALPHA'], ['SORT', 'l', 'ALPHA', 'DESC'], ['SORT', 'l', 'LIMIT', '1', '3'],
    ['SORT', 'l', 'LIMIT', '-5', '2'], ['SORT', 'l', 'LIMIT', '5', '100'], ['SORT', 'l', 'LIMIT', '100', '5'], ['SORT', 'l', 'LIMIT', '0', '0'],
    ['SORT', 'l', 'LIMIT', '2', '-1'], ['SORT_RO', 'l', 'DESC', 'LIMIT', '0', '2'], ['SORT', 'nokey'], ['SORT', 'nokey', 'LIMIT', '0', '1'],
  ],
  // Without STORE Redis compares with strcoll: in the C locale the bytes up to the first NUL,
  // so 'a', 'a\0b' and 'a\0c' tie and keep their load order; STORE compares every byte.
  'ALPHA of elements and weights with NUL bytes': [
    ['RPUSH', 'l', 'a\0c', 'a', 'a\0b', 'b', '', '\0'], ['SORT', 'l', 'ALPHA'], ['SORT', 'l', 'ALPHA', 'DESC'], ['SORT', 'l', 'ALPHA', 'LIMIT', '1', '3'],
    ['SORT', 'l', 'ALPHA', 'STORE', 'o'], ['LRANGE', 'o', '0', '-1'],
    ['MSET', 'w_1', 'x\0z', 'w_2', 'x\0a', 'w_3', 'x'], ['RPUSH', 'n', '3', '1', '2'], ['SORT', 'n', 'BY', 'w_*', 'ALPHA'],
    ['SORT', 'n', 'BY', 'w_*', 'ALPHA', 'DESC'], ['SORT', 'n', 'BY', 'w_*', 'ALPHA', 'STORE', 'o2'], ['LRANGE', 'o2', '0', '-1'],
  ],
  'sets and sorted sets': [
    ['SADD', 's', '5', '3', '9', '1'], ['SORT', 's'], ['SORT', 's', 'DESC', 'LIMIT', '0', '2'], ['SADD', 'sa', 'pear', 'apple', 'fig'], ['SORT', 'sa', 'ALPHA'],
    ['ZADD', 'z', '1', 'c', '2', 'a', '3', 'b', '4', 'e', '5', 'd'], ['SORT', 'z', 'ALPHA'], ['SORT', 'z', 'BY', 'nosort'], ['SORT', 'z', 'BY', 'nosort', 'DESC'],
    ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '2'], ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'], ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '9', '2'],
    ['SORT', 's', 'BY', 'nosort', 'STORE', 'out'], ['LRANGE', 'out', '0', '-1'], ['SORT', 'sa', 'BY', 'nosort', 'STORE', 'out'], ['LRANGE', 'out', '0', '-1'],
  ],
  'BY patterns, GET patterns, hash fields': [
    LIST, WEIGHTS, ...HASHES, ['SORT', 'l', 'BY', 'w_*'], ['SORT', 'l', 'BY', 'w_*', 'DESC', 'GET', '#', 'GET', 'name_*'], ['SORT', 'l', 'GET', 'name_*'],
    ['SORT', 'l', 'BY', 'h_*->f', 'GET', 'h_*->g', 'GET', '#'], ['SORT', 'l', 'BY', 'h_*->g', 'ALPHA'], ['SORT', 'l', 'BY', 'nosort', 'GET', 'w_*'],
    ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'], ['SORT', 'l', 'BY', 'w_*', 'LIMIT', '1', '2'], ['SORT', 'l', 'GET', 'nostar'],
    ['SORT', 'l', 'GET', 'h_*->'], ['SORT', 'l', 'BY', 'w_*', 'ALPHA', 'GET', 'w_*'], ['SORT', 'l', 'BY', 'missing_*'], ['SORT', 'l', 'BY', 'missing_*', 'ALPHA'],
    ['HSET', 'hh', 'x', 'y'], ['SORT', 'l', 'BY', 'hh', 'GET', 'hh->x'], ['SORT', 'l', 'GET', 'h_*->f->g'],
  ],
  'STORE makes a list, empty results delete the destination': [
    LIST, WEIGHTS, ['SORT', 'l', 'STORE', 'dst'], ['TYPE', 'dst'], ['LRANGE', 'dst', '0', '-1'], ['SORT', 'l', 'BY', 'w_*', 'GET', 'name_*', 'STORE', 'dst'],
    ['LRANGE', 'dst', '0', '-1'], ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'dst'], ['EXISTS', 'dst'], ['SET', 'dst', 'x'], ['SORT', 'nokey', 'STORE', 'dst'],
    ['EXISTS', 'dst'], ['SORT', 'l', 'STORE', 'l'], ['LRANGE', 'l', '0', '-1'], ['SORT_RO', 'l', 'STORE', 'x'], ['SORT', 'l', 'STORE', 'a', 'STORE', 'b'],
    ['EXISTS', 'a', 'b'], ['OBJECT', 'ENCODING', 'b'],
  ],
  'errors': [
    ['RPUSH', 'bad', '1', 'x', '3'], ['SORT', 'bad'], ['SORT', 'bad', 'ALPHA'], ['RPUSH', 'nan', '1', 'nan'], ['SORT', 'nan'], ['RPUSH', 'big', '1e400', '2'],
    ['SORT', 'big'], ['RPUSH', 'ok', ' 5', '', '0x10', 'inf', '-inf', '1e-320', '3'], ['SORT', 'ok'], ['SORT', 'ok', 'LIMIT', '0'], ['SORT', 'ok', 'LIMIT', 'a', '1'],
    ['SORT', 'ok', 'BOGUS'], ['SORT', 'ok', 'BY'], ['SORT', 'ok', 'GET'], ['SET', 'str', '1'], ['SORT', 'str'], ['SORT', 'str', 'BOGUS'], ['SORT_RO', 'str'],
    ['HSET', 'h', 'a', 'b'], ['SORT', 'h'], ['SORT', 'bad', 'LIMIT', '0', '1', 'STORE', 'dst'], ['EXISTS', 'dst'],
  ],
  'numbers as strtod reads them': [
    ['RPUSH', 'n', '1.0000000000000002', '123456789012345678', '0.1e1', '.5', '5.', '-.5e-3', '1e22', '1e23', 'infinity', '+inf', '00012.50',
      '9007199254740993', '0.30000000000000004', '1.7976931348623157e308', '2.2250738585072014e-308', '-0', '0e999', '0.000001e-300'],
    // (A NUL ends the number as in C, checked first: Redis leaves errno set by an ERANGE before.)
    ['RPUSH', 'n9', '5\x00junk'], ['SORT', 'n9'], ['SORT', 'n'], ['SORT', 'n', 'DESC'], ['RPUSH', 'n2', '1', '  '], ['SORT', 'n2'], ['RPUSH', 'n3', '1', '1e'], ['SORT', 'n3'], ['RPUSH', 'n4', 'e5'], ['SORT', 'n4'],
    ['RPUSH', 'n5', '-'], ['SORT', 'n5'], ['RPUSH', 'n6', '.'], ['SORT', 'n6'], ['RPUSH', 'n7', '0x1p-1080', '3'], ['SORT', 'n7'], ['RPUSH', 'n8', '1e-400'], ['SORT', 'n8'], ['RPUSH', 'n10', '4.9e-324'], ['SORT', 'n10'],
  ],
  'BY and GET need read access to every key': [
    LIST, ['ACL', 'SETUSER', 'sorter', 'on', 'nopass', '~l*', '%R~w*', '+@all'], ['AUTH', 'sorter', 'x'], ['SORT', 'l', 'BY', 'w_*'], ['SORT', 'l', 'GET', '#'],
    ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '0', '2'], ['SORT', 'l', 'STORE', 'l2'], ['SORT', 'l', 'STORE', 'x'], ['AUTH', 'default', 'x'],
    ['ACL', 'SETUSER', 'reader', 'on', 'nopass', '%R~*', '+@all'], ['AUTH', 'reader', 'x'], ['SORT', 'l', 'BY', 'w_*', 'GET', '#'], ['AUTH', 'default', 'x'],
    ['ACL', 'DELUSER', 'sorter', 'reader'],
  ],
  // Redis suite, scripting.tcl "SORT BY <constant> output gets ordered for scripting" (sort.c: sets only).
  'an unsorted set returned to a script comes out sorted by its elements': [
    ['SADD', 'myset', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'z', 'aa', 'aaa', 'azz'],
    ['EVAL', "return redis.call('sort',KEYS[1],'by','_')", '1', 'myset'],
    ['EVAL', "return redis.call('sort',KEYS[1],'by','_','desc','limit','1','3')", '1', 'myset'],
    ['EVAL', "return redis.call('sort_ro',KEYS[1],'by','nosort','get','#','get','_:*')", '1', 'myset'],
    ['SADD', 'nums', '10', '9', '100', '-1'], ['EVAL', "return redis.call('sort',KEYS[1],'by','nosort')", '1', 'nums'],
    ['RPUSH', 'lst', 'z', 'a', 'm'], ['EVAL', "return redis.call('sort',KEYS[1],'by','nosort')", '1', 'lst'],
    ['ZADD', 'zs', '1', 'z', '2', 'a', '3', 'm'], ['EVAL', "return redis.call('sort',KEYS[1],'by','nosort','desc')", '1', 'zs'],
  ],
  // sort.c converts every sorted set it sorts to a skiplist, SORT_RO and errors after the lookup too.
  'a sorted set sorted becomes a skiplist for good': [
    ['ZADD', 'z', '2', 'b', '1', 'a'], ['OBJECT', 'ENCODING', 'z'], ['SORT', 'z', 'BY', 'nosort'], ['OBJECT', 'ENCODING', 'z'],
    ['ZADD', 'z', '-0', 'm'], ['ZSCORE', 'z', 'm'], ['ZADD', 'y', '1', 'x'], ['SORT_RO', 'y'], ['OBJECT', 'ENCODING', 'y'],
    ['ZADD', 'w', '1', 'x'], ['SORT', 'w', 'LIMIT', 'x', '1'], ['OBJECT', 'ENCODING', 'w'], ['SORT', 'w', 'STORE', 'w2'], ['OBJECT', 'ENCODING', 'w'],
  ],
  'COMMAND GETKEYS': [
    ['COMMAND', 'GETKEYS', 'SORT', 'l'], ['COMMAND', 'GETKEYS', 'SORT', 'l', 'STORE', 'd'], ['COMMAND', 'GETKEYS', 'SORT', 'l', 'LIMIT', '0', '1', 'GET', 'store', 'STORE', 'd'],
    ['COMMAND', 'GETKEYS', 'SORT', 'l', 'STORE', 'a', 'STORE', 'b'], ['COMMAND', 'GETKEYS', 'SORT_RO', 'l', 'BY', 'x'],
  ],
};

compareWithRedis('SORT, byte for byte with redis-server', CASES, () => startInProcess());

describe('with clients', () => {
  it('ioredis: sorts with BY, GET and STORE', async () => {
    await client.rpush('ids', '3', '1', '2');
    await client.mset('score_1', '30', 'score_2', '10', 'score_3', '20', 'user_1', 'ann', 'user_2', 'bob', 'user_3', 'cy');
    expect(await client.call('SORT', 'ids')).toEqual(['1', '2', '3']);
    expect(await client.call('SORT', 'ids', 'BY', 'score_*', 'GET', 'user_*')).toEqual(['bob', 'cy', 'ann']);
    expect(await client.call('SORT', 'ids', 'BY', 'score_*', 'DESC', 'GET', '#', 'STORE', 'ranked')).toBe(3);
    expect(await client.lrange('ranked', 0, -1)).toEqual(['1', '3', '2']);
    expect(await client.call('SORT_RO', 'ids', 'LIMIT', 0, 1, 'DESC')).toEqual(['3']);
  });

  it('node-redis: sort with options', async () => {
    const c = await nodeRedis(server.port);
    try {
      await c.sAdd('fruit', ['pear', 'apple', 'fig']);
      expect(await c.sort('fruit', { ALPHA: true })).toEqual(['apple', 'fig', 'pear']);
      expect(await c.sort('fruit', { ALPHA: true, DIRECTION: 'DESC', LIMIT: { offset: 0, count: 1 } })).toEqual(['pear']);
      expect(await c.sortStore('fruit', 'sorted', { ALPHA: true })).toBe(3);
      expect(await c.lRange('sorted', 0, -1)).toEqual(['apple', 'fig', 'pear']);
    } finally {
      await c.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli prints the sorted elements', async () => {
    await client.rpush('cli', '10', '9', '-1');
    expect(await redisCli(server.port, ['sort', 'cli'])).toBe('-1\n9\n10\n');
    expect(await redisCli(server.port, ['sort', 'cli', 'alpha'])).toBe('-1\n10\n9\n');
  });
});

describe('sealing', () => {
  it('stores the result as a list sealed for its own key', async () => {
    const secret = 'sort-secret-element-55ad';
    await client.sadd('src', secret, `${secret}-b`);
    expect(await client.call('SORT', 'src', 'ALPHA', 'STORE', 'out')).toBe(2);
    const entry = server.running.state.databases[0]!.peek(storedKey(server, 'out'));
    if (entry?.kind !== Kind.List) throw new Error('out is not a list');
    const raw: Buffer[] = [];
    entry.forEachSealed((bytes, start, length) => {
      raw.push(Buffer.from(bytes.subarray(start, start + length)));
    });
    // One sealed node now (a list's end node takes the turn's pushes and is sealed once), or one
    // record per element: either way sealed, never the plaintext.
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.reduce((n, r) => n + r.length, 0)).toBeGreaterThan(2 * secret.length);
    for (const r of raw) expect(r.includes(Buffer.from(secret))).toBe(false);
    expect(await client.lrange('out', 0, -1)).toEqual([secret, `${secret}-b`]);
  });
});
