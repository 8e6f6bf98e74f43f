// The commands that take the parser's raw path (src/protocol/raw-args.ts: offsets into the read,
// no Buffer per argument): GET, SET, MGET, MSET(NX), LPUSH/RPUSH(X), LPOP/RPOP, SADD, SREM, XADD.
// Each request of a case arrives whole in one read, so it comes raw whenever it can; every reply
// is compared byte for byte with redis-server 7's, in RESP2 and RESP3: spellings, errors in
// Redis's order, the 32-argument edge of the raw path, MULTI queueing, ACL key patterns and the commands that reach
// the same handlers some other way. Skipped (with a message) where redis-server is not installed.

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';
import { RAW_MAX_ARGS } from '../../src/protocol/raw-args.js';

const members = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i % 9}`);
/** n key-value pairs over 9 names (so some repeat), each value telling which pair it came from. */
const pairs = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => [`${prefix}${i % 9}`, `v${i}`]).flat();

const CASES: Record<string, string[][]> = {
  'GET and SET in any spelling, binary-safe names and values': [
    ['SET', 'k', 'v'], ['get', 'k'], ['sEt', 'k', ''], ['GeT', 'k'], ['SET', '', 'empty name'], ['GET', ''],
    ['SET', 'k\u00ff\u0000x', 'v\r\n$3\r\n'], ['GET', 'k\u00ff\u0000x'], ['GET', 'missing'],
  ],
  'SET with options through the raw path': [
    ['SET', 'k', 'v', 'NX'], ['SET', 'k', 'w', 'NX'], ['SET', 'k', 'w', 'XX', 'GET'], ['GET', 'k'],
    ['SET', 'k', 'x', 'EX', '100', 'GET'], ['TTL', 'k'], ['SET', 'k', 'y', 'KEEPTTL'], ['TTL', 'k'],
    ['SET', 'k', 'z', 'NX', 'XX'], ['SET', 'k', 'z', 'EX', '0'], ['SET', 'k', 'z', 'EX', 'abc'], ['SET', 'k', 'z', 'PX'],
    ['SET', 'k', 'z', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx', 'nx'],
    ['SET', 'k', 'z', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'xx', 'get'],
    ['GET', 'k'],
  ],
  'wrong types and arity answer as Redis does': [
    ['LPUSH', 'l', 'a'], ['GET', 'l'], ['SET', 'l', 'v', 'GET'], ['SADD', 'l', 'x'], ['SREM', 'l', 'x'],
    ['SADD', 's', 'x'], ['LPUSH', 's', 'a'], ['LPOP', 's'], ['RPUSHX', 's', 'a'],
    ['GET'], ['GET', 'a', 'b'], ['SET', 'k'], ['LPUSH', 'l'], ['LPOP'], ['LPOP', 'l', '1', '2'], ['SADD', 's'], ['SREM', 's'],
    ['LPOP', 'l', '-1'], ['LPOP', 'l', 'x'], ['LPOP', 'l', '0'], ['LPOP', 'nolist', '0'], ['RPOP', 'nolist', '2'],
  ],
  'pushes and pops on one list, both ends': [
    ['LPUSHX', 'l', 'a'], ['RPUSHX', 'l', 'a'], ['LPUSH', 'l', 'a', 'b', 'c'], ['RPUSH', 'l', 'x', 'y'], ['lpushx', 'l', 'h'], ['rPushX', 'l', 't'],
    ['LRANGE', 'l', '0', '-1'], ['LPOP', 'l'], ['RPOP', 'l'], ['LPOP', 'l', '2'], ['RPOP', 'l', '10'], ['LPOP', 'l'], ['EXISTS', 'l'],
    ['RPUSH', 'l', ...members(RAW_MAX_ARGS - 2, 'e')], ['LLEN', 'l'], ['RPUSH', 'l', ...members(RAW_MAX_ARGS - 1, 'f')], ['LLEN', 'l'], ['LRANGE', 'l', '10', '40'],
  ],
  [`SADD and SREM around the raw path's ${RAW_MAX_ARGS} arguments`]: [
    ['SADD', 's', ...members(RAW_MAX_ARGS - 2)], ['SADD', 's', ...members(RAW_MAX_ARGS - 1, 'n')], ['SCARD', 's'], ['SISMEMBER', 's', 'n3'],
    ['SREM', 's', ...members(RAW_MAX_ARGS - 2)], ['SREM', 's', ...members(RAW_MAX_ARGS - 1, 'n')], ['EXISTS', 's'], ['SADD', 's', 'a', 'a', 'b'], ['SREM', 's', 'a', 'a', 'z'], ['SMEMBERS', 's'],
  ],
  [`MGET, MSET and MSETNX around the raw path's ${RAW_MAX_ARGS} arguments, keys named twice`]: [
    ['MSET', 'a', '1', 'b', '2', 'a', '3'], ['MGET', 'a', 'b', 'a', 'nokey'], ['mset', 'a', '4', 'a', '5', 'a', '6', 'b', '7', 'a', '8'], ['MGET', 'a', 'b'],
    ['MSET', ...pairs(15, 'p')], ['MSET', ...pairs(16, 'q')], ['MGET', ...members(RAW_MAX_ARGS - 1, 'p')], ['MGET', ...members(RAW_MAX_ARGS, 'q')],
    ['MSET', ...pairs(16, 'p'), 'p0', 'last'], ['GET', 'p0'], ['DBSIZE'],
    ['LPUSH', 'l', 'x'], ['EXPIRE', 'b', '100'], ['MSET', 'l', 's1', 'b', 's2', 'l', 's3'], ['TYPE', 'l'], ['GET', 'l'], ['TTL', 'b'], ['MGET', 'l', 'b'],
    ['SADD', 'set', 'x'], ['MGET', 'set', 'l'], ['MSET', 'a'], ['MSET', 'a', '1', 'b'], ['MSET'], ['MGET'],
    ['MSETNX', 'n1', 'x', 'n1', 'y'], ['GET', 'n1'], ['MSETNX', 'n2', 'x', 'n1', 'z', 'n2', 'w'], ['EXISTS', 'n2'], ['MSETNX', 'n3', 'a', 'n4', 'b', 'n3', 'c'], ['MGET', 'n3', 'n4'],
    ['MSETNX', 'n5'], ['MSETNX', 'n5', 'v', 'n6'],
  ],
  'raw commands queued in MULTI run with their own arguments at EXEC': [
    ['MULTI'], ['SET', 'k', 'v1'], ['LPUSH', 'l', 'a', 'b'], ['SADD', 's', 'm'], ['GET', 'k'], ['LPOP', 'l'], ['SREM', 's', 'm', 'x'], ['EXEC'],
    ['MULTI'], ['MSET', 'm1', 'a', 'm2', 'b', 'm1', 'c'], ['MGET', 'm1', 'm2', 'k'], ['MSETNX', 'm1', 'x'], ['EXEC'],
    ['MULTI'], ['GET'], ['SET', 'k', 'v2'], ['EXEC'], ['GET', 'k'],
  ],
  'ACL key patterns refuse raw commands as any other': [
    ['ACL', 'SETUSER', 'rawu', 'on', 'nopass', '~ok*', '+@all'],
    ['AUTH', 'rawu', 'x'], ['SET', 'ok1', 'v'], ['SET', 'no1', 'v'], ['GET', 'no1'], ['GET', 'ok1'], ['LPUSH', 'no2', 'a'], ['LPOP', 'no2'],
    ['SADD', 'no3', 'a'], ['SREM', 'no3', 'a'], ['SADD', 'ok3', 'a'], ['AUTH', 'default', 'x'],
  ],
  'the same handlers reached from a script': [
    ['EVAL', "redis.call('SET', KEYS[1], 'v'); redis.call('LPUSH', KEYS[2], 'a', 'b'); redis.call('SADD', KEYS[3], 'x'); return {redis.call('GET', KEYS[1]), redis.call('LPOP', KEYS[2]), redis.call('SREM', KEYS[3], 'x')}", '3', 'k', 'l', 's'],
    ['EVAL', "return redis.pcall('SET', KEYS[1], 'v', 'NX', 'XX')", '1', 'k'],
    ['EVAL', "redis.call('MSET', KEYS[1], 'a', KEYS[2], 'b', KEYS[1], 'c'); return redis.call('MGET', KEYS[1], KEYS[2], 'nokey')", '2', 'k', 'k2'],
  ],
};

compareWithRedis('raw-path commands vs redis-server 7', CASES, () => startInProcess());
