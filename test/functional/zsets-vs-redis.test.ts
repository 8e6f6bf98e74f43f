// Sorted-set commands sent to redis-server 7.0 and to sealkv over raw sockets, in RESP2 and
// RESP3, each reply compared byte for byte: replies, score texts (%.17g, inf), errors and their
// order, and what the type-blind commands say of a sorted set. Skipped (with a message) where
// redis-server is not installed.

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const Z = ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '3', 'cc', '4', 'd', '5', 'e'];
const LEX = ['ZADD', 'lex', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'f', '0', 'g', '0', '', '0', 'ab', '0', 'b\x00c'];

/** ZADD of `n` pairs built by `pair(i)`, with `options` first: the batch path when n >= 64 and the key is empty. */
function bigZadd(key: string, n: number, pair: (i: number) => [string, string], options: string[] = []): string[] {
  const out = ['ZADD', key, ...options];
  for (let i = 0; i < n; i++) out.push(...pair(i));
  return out;
}
const LEX_BATCH = bigZadd('lexb', 300, (i) => ['0', `m${String((i * 37) % 300).padStart(3, '0')}`]);
const MIXED_BATCH = bigZadd('mixed', 200, (i) => [String([0, -0.0, 1.5, -3, 1e17, Infinity, -Infinity][i % 7]).replace('Infinity', 'inf'), `k${(i * 13) % 150}`], ['CH']);

const CASES: Record<string, string[][]> = {
  'a ZADD of many pairs into an empty key (sorted in the request, then appended) leaves what member-by-member ZADD does': [
    LEX_BATCH, ['ZCARD', 'lexb'], ['ZRANGE', 'lexb', '0', '9'], ['ZRANGEBYLEX', 'lexb', '[m100', '(m105'], ['ZRANK', 'lexb', 'm299'], ['OBJECT', 'ENCODING', 'lexb'],
    ['ZADD', 'lexb', '0', 'm0005', '0', 'a'], ['ZRANGE', 'lexb', '0', '3'], ['ZREVRANGE', 'lexb', '0', '1'],
    MIXED_BATCH, ['ZRANGE', 'mixed', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'mixed'],
    bigZadd('nx', 100, (i) => [String(i), `r${i % 40}`], ['NX', 'CH']), ['ZRANGE', 'nx', '0', '-1', 'WITHSCORES'],
    bigZadd('gt', 100, (i) => [String((i * 7) % 23), `r${i % 30}`], ['GT', 'CH']), ['ZRANGE', 'gt', '0', '-1', 'WITHSCORES'],
    bigZadd('lt', 100, (i) => [String((i * 7) % 23), `r${i % 30}`], ['LT']), ['ZRANGE', 'lt', '0', '-1', 'WITHSCORES'],
    bigZadd('xx', 100, (i) => [String(i), `r${i}`], ['XX']), ['EXISTS', 'xx'],
    bigZadd('long', 70, (i) => ['1', `${'x'.repeat(i)}y`]), ['OBJECT', 'ENCODING', 'long'], ['ZRANGE', 'long', '0', '2'],
    bigZadd('small', 64, (i) => ['1', `s${i}`]), ['OBJECT', 'ENCODING', 'small'], ['ZRANGE', 'small', '60', '-1'],
  ],
  'ZADD key score member and ZRANGE key start stop [WITHSCORES] read from the request bytes (and the same inside MULTI)': [
    ['ZADD', 'r', '5', 'a'], ['ZADD', 'r', '-0', 'b'], ['ZADD', 'r2', '-0', 'x'], ['ZADD', 'r', '123456789012345', 'c'],
    ['ZADD', 'r', '1234567890123456', 'd'], ['ZADD', 'r', '007', 'e'], ['ZADD', 'r', '-', 'f'], ['ZADD', 'r', '--1', 'f'], ['ZADD', 'r', '1-', 'f'],
    ['ZADD', 'r', '5', 'a'], ['ZADD', 'r', '6', 'a'], ['ZADD', 'r2', '-5', 'x'], ['ZADD', 'r', '-12', ''], ['ZADD', 'r', 'NX', 'a'],
    ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'r', '0', '-1', 'WiThScOrEs'], ['ZRANGE', 'r', '0', '-1', 'withscore'],
    ['ZRANGE', 'r', '0', '-1', 'WITHSCORESX'], ['ZRANGE', 'r', '-0', '1'], ['ZRANGE', 'r', '+1', '2'], ['ZRANGE', 'r', '0', '99999999999999999999'],
    ['ZRANGE', 'r', '0', '9223372036854775807', 'WITHSCORES'], ['ZRANGE', 'r', '-9223372036854775808', '1'], ['ZRANGE', 'r', '1', '1'],
    ['ZRANGE', 'r', '3', '1'], ['ZRANGE', 'r2', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'nokey', '0', '-1'], ['ZRANGE', 'nokey', '0', '-1', 'WITHSCORES'],
    ['SET', 's', 'x'], ['ZRANGE', 's', '0', '1'], ['ZADD', 's', '1', 'a'], ['ZRANGE', 'r', 'a', '1'],
    ['MULTI'], ['ZADD', 'm', '3', 'x'], ['ZADD', 'm', '-2', 'y'], ['ZRANGE', 'm', '0', '-1', 'WITHSCORES'], ['ZADD', 'm', 'x', 'y'], ['EXEC'],
    ['ZINCRBY', 'r', '2', 'a'], ['ZINCRBY', 'r', '-3', 'new'], ['ZINCRBY', 'r', '1.5', 'a'], ['ZINCRBY', 'r', 'x', 'a'], ['ZINCRBY', 'r', '0', 'a'],
    ['ZADD', 'r', 'inf', 'p'], ['ZINCRBY', 'r', '-inf', 'p'], ['ZINCRBY', 'r', '-inf', 'a'], ['ZINCRBY', 's', '1', 'a'], ['ZINCRBY', 'fresh', '-0', 'a'],
    ['ZSCORE', 'r', 'a'], ['ZSCORE', 'r', 'p'], ['ZSCORE', 'r', 'nope'], ['ZSCORE', 'nokey', 'a'], ['ZSCORE', 's', 'a'], ['ZSCORE', 'fresh', 'a'],
    ['MULTI'], ['ZINCRBY', 'm', '4', 'x'], ['ZSCORE', 'm', 'x'], ['EXEC'], ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'],
  ],
  'ZADD counts new members, CH counts changed ones': [
    ['ZADD', 'z', '1', 'a', '2', 'b'], ['ZADD', 'z', '1', 'a', '3', 'b', '4', 'c'], ['ZADD', 'z', 'CH', '1', 'a', '9', 'b', '5', 'd'],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZCARD', 'z'], ['ZCARD', 'nokey'],
  ],
  'ZADD NX XX GT LT': [
    ['ZADD', 'z', '5', 'a'], ['ZADD', 'z', 'NX', '1', 'a', '1', 'b'], ['ZADD', 'z', 'XX', '7', 'a', '7', 'c'], ['ZADD', 'z', 'GT', 'CH', '6', 'a', '8', 'b'],
    ['ZADD', 'z', 'LT', 'CH', '9', 'a', '0', 'b'], ['ZADD', 'z', 'XX', 'GT', '100', 'a', '100', 'zz'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['ZADD', 'nokey', 'XX', '1', 'a'], ['EXISTS', 'nokey'],
  ],
  'ZADD option errors': [
    ['ZADD', 'z', 'NX', 'XX', '1', 'a'], ['ZADD', 'z', 'GT', 'LT', '1', 'a'], ['ZADD', 'z', 'NX', 'GT', '1', 'a'], ['ZADD', 'z', 'NX', 'LT', '1', 'a'],
    ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'], ['ZADD', 'z', '1'], ['ZADD', 'z', '1', 'a', '2'], ['ZADD', 'z', 'NX'], ['ZADD', 'z', 'nan', 'a'],
    ['ZADD', 'z', 'abc', 'a'], ['ZADD', 'z', '1', 'a', 'x', 'b'], ['ZADD', 'z', ' 1', 'a'], ['ZADD', 'z', '1e400', 'a'], ['ZADD', 'z', '', 'a'], ['EXISTS', 'z'],
  ],
  'ZADD and ZINCRBY scores': [
    ['ZADD', 'z', '0.1', 'a', '-0.0', 'b', '1e17', 'c', '12345678901234567', 'd', 'inf', 'e', '-inf', 'f', '0x10', 'g', '1.5e-7', 'h', '+3', 'i'],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZSCORE', 'z', 'a'], ['ZSCORE', 'z', 'b'], ['ZSCORE', 'z', 'e'], ['ZSCORE', 'z', 'nope'], ['ZMSCORE', 'z', 'a', 'nope', 'f'],
    ['ZINCRBY', 'z', '0.2', 'a'], ['ZINCRBY', 'z', '1', 'new'], ['ZINCRBY', 'z', '-inf', 'e'], ['ZINCRBY', 'z', 'abc', 'a'], ['ZSCORE', 'z', 'e'],
    ['ZADD', 'z', 'INCR', '5', 'a'], ['ZADD', 'z', 'INCR', 'NX', '5', 'a'], ['ZADD', 'z', 'INCR', 'GT', '-1', 'a'], ['ZADD', 'z', 'INCR', 'XX', '1', 'nope'],
    ['ZMSCORE', 'nokey', 'a'], ['ZSCORE', 'nokey', 'a'],
  ],
  'ZREM, ZRANK, ZREVRANK': [
    Z, ['ZRANK', 'z', 'a'], ['ZRANK', 'z', 'cc'], ['ZREVRANK', 'z', 'a'], ['ZRANK', 'z', 'nope'], ['ZRANK', 'nokey', 'a'],
    ['ZREM', 'z', 'a', 'nope', 'b'], ['ZREM', 'nokey', 'a'], ['ZRANGE', 'z', '0', '-1'], ['ZREM', 'z', 'c', 'cc', 'd', 'e', 'x'], ['EXISTS', 'z'],
  ],
  'ZRANGE by rank, reversed, with scores': [
    Z, ['ZRANGE', 'z', '0', '-1'], ['ZRANGE', 'z', '1', '3', 'WITHSCORES'], ['ZRANGE', 'z', '-2', '-1', 'withscores'], ['ZRANGE', 'z', '5', '1'],
    ['ZRANGE', 'z', '0', '-1', 'REV', 'WITHSCORES'], ['ZREVRANGE', 'z', '0', '2', 'WITHSCORES'], ['ZREVRANGE', 'z', '-100', '100'], ['ZRANGE', 'z', '100', '200'],
    ['ZRANGE', 'z', 'a', '1'], ['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'], ['ZRANGE', 'z', '0', '1', 'BOGUS'], ['ZREVRANGE', 'z', '0', '1', 'REV'],
    ['ZRANGE', 'nokey', '0', '-1'],
  ],
  'ZRANGE BYSCORE and ZRANGEBYSCORE': [
    Z, ['ZRANGE', 'z', '2', '4', 'BYSCORE'], ['ZRANGE', 'z', '(2', '(4', 'BYSCORE', 'WITHSCORES'], ['ZRANGE', 'z', '4', '2', 'BYSCORE', 'REV'],
    ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '2'], ['ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '1', '-1', 'WITHSCORES'],
    ['ZRANGEBYSCORE', 'z', '3', '3'], ['ZRANGEBYSCORE', 'z', '(3', '3'], ['ZRANGEBYSCORE', 'z', '3', '(3'], ['ZRANGEBYSCORE', 'z', '5', '1'],
    ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '-1', '2'], ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '10', '2'], ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '2', '0'],
    ['ZREVRANGEBYSCORE', 'z', '+inf', '2', 'WITHSCORES', 'LIMIT', '1', '3'], ['ZRANGEBYSCORE', 'z', '(', '3'], ['ZRANGEBYSCORE', 'z', '', '3'],
    ['ZRANGEBYSCORE', 'z', 'x', '3'], ['ZRANGEBYSCORE', 'z', '1', 'nan'], ['ZRANGEBYSCORE', 'z', '1', '2', 'LIMIT', '1'], ['ZRANGEBYSCORE', 'z', '1', '2', 'LIMIT', 'a', '1'],
    ['ZRANGEBYSCORE', 'z', '1', '2', 'REV'], ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX'],
  ],
  'ZRANGE BYLEX, ZRANGEBYLEX, ZLEXCOUNT': [
    LEX, ['ZRANGE', 'lex', '-', '+', 'BYLEX'], ['ZRANGEBYLEX', 'lex', '[b', '(e'], ['ZRANGEBYLEX', 'lex', '(a', '[b'], ['ZREVRANGEBYLEX', 'lex', '+', '-', 'LIMIT', '1', '3'],
    ['ZRANGE', 'lex', '[f', '[b', 'BYLEX', 'REV'], ['ZRANGEBYLEX', 'lex', '[', '[a'], ['ZRANGEBYLEX', 'lex', '+', '-'], ['ZRANGEBYLEX', 'lex', '[e', '[b'],
    ['ZLEXCOUNT', 'lex', '-', '+'], ['ZLEXCOUNT', 'lex', '[b', '[d'], ['ZLEXCOUNT', 'lex', '(b', '(d'], ['ZLEXCOUNT', 'nokey', '-', '+'],
    ['ZRANGEBYLEX', 'lex', 'b', '[d'], ['ZLEXCOUNT', 'lex', '-x', '+'], ['ZRANGE', 'lex', '-', '+', 'BYLEX', 'WITHSCORES'], ['ZRANGEBYLEX', 'lex', '[b', '[d', 'WITHSCORES'],
  ],
  'ZCOUNT': [
    Z, ['ZCOUNT', 'z', '-inf', '+inf'], ['ZCOUNT', 'z', '(1', '3'], ['ZCOUNT', 'z', '3', '(3'], ['ZCOUNT', 'z', 'a', '1'], ['ZCOUNT', 'nokey', '0', '1'],
  ],
  'ZRANGESTORE': [
    Z, ['ZRANGESTORE', 'dst', 'z', '1', '3'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'dst', 'z', '5', '2', 'BYSCORE', 'REV', 'LIMIT', '0', '2'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'dst', 'z', '10', '20'], ['EXISTS', 'dst'], ['ZRANGESTORE', 'dst', 'nokey', '0', '-1'],
    ['ZRANGESTORE', 'dst', 'z', '0', '-1', 'WITHSCORES'], ['SET', 'str', 'x'], ['ZRANGESTORE', 'str', 'z', '0', '0'], ['TYPE', 'str'], ['ZRANGESTORE', 'd2', 'str', '0', '1'],
    ['ZRANGESTORE', 'z', 'z', '0', '1'], ['ZRANGE', 'z', '0', '-1'],
  ],
  'ZREMRANGEBYRANK, BYSCORE, BYLEX': [
    Z, ['ZREMRANGEBYRANK', 'z', '0', '1'], ['ZREMRANGEBYRANK', 'z', '10', '20'], ['ZREMRANGEBYSCORE', 'z', '(3', '4'], ['ZRANGE', 'z', '0', '-1'],
    ['ZREMRANGEBYSCORE', 'z', 'x', '1'], ['ZREMRANGEBYRANK', 'z', 'x', '1'], ['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'], ['EXISTS', 'z'],
    LEX, ['ZREMRANGEBYLEX', 'lex', '[b', '(e'], ['ZRANGE', 'lex', '0', '-1'], ['ZREMRANGEBYLEX', 'lex', 'x', '+'], ['ZREMRANGEBYLEX', 'nokey', '-', '+'],
  ],
  'ZUNION, ZINTER, ZDIFF and their STORE forms': [
    ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'z2', '10', 'b', '20', 'c', '30', 'd'],
    ['ZUNION', '2', 'z1', 'z2', 'WITHSCORES'], ['ZINTER', '2', 'z1', 'z2', 'WITHSCORES'], ['ZDIFF', '2', 'z1', 'z2', 'WITHSCORES'],
    ['ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '2', '0.5', 'AGGREGATE', 'MAX', 'WITHSCORES'], ['ZINTER', '2', 'z1', 'z2', 'AGGREGATE', 'min', 'WITHSCORES'],
    ['ZUNIONSTORE', 'out', '2', 'z1', 'z2'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'], ['ZINTERSTORE', 'out', '2', 'z1', 'z2', 'WEIGHTS', '1', '-1'],
    ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'], ['ZDIFFSTORE', 'out', '2', 'z1', 'z2'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
    ['ZINTERSTORE', 'out', '2', 'z1', 'nokey'], ['EXISTS', 'out'], ['ZUNION', '3', 'z1', 'nokey', 'z1', 'WITHSCORES'], ['ZINTER', '2', 'z1', 'z1'],
    ['ZINTERCARD', '2', 'z1', 'z2'], ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '1'], ['ZINTERCARD', '1', 'z1', 'LIMIT', '0'],
    ['ZADD', 'inf1', 'inf', 'a'], ['ZADD', 'inf2', '-inf', 'a'], ['ZUNION', '2', 'inf1', 'inf2', 'WITHSCORES'], ['ZUNION', '1', 'inf1', 'WEIGHTS', '0', 'WITHSCORES'],
  ],
  'ZUNION and friends: errors': [
    ['ZADD', 'z1', '1', 'a'], ['SET', 'str', 'x'], ['ZUNION', '0', 'z1'], ['ZUNIONSTORE', 'o', '0', 'z1'], ['ZINTERCARD', '0', 'z1'], ['ZUNION', 'x', 'z1'],
    ['ZUNION', '3', 'z1'], ['ZUNION', '1', 'str'], ['ZUNION', '1', 'z1', 'WEIGHTS', 'x'], ['ZUNION', '1', 'z1', 'WEIGHTS'], ['ZUNION', '1', 'z1', 'AGGREGATE', 'avg'],
    ['ZDIFF', '1', 'z1', 'WEIGHTS', '1'], ['ZUNIONSTORE', 'o', '1', 'z1', 'WITHSCORES'], ['ZINTERCARD', '1', 'z1', 'LIMIT', '-1'], ['ZINTERCARD', '1', 'z1', 'LIMIT', 'x'],
    ['ZINTERCARD', '1', 'z1', 'LIMIT', '9223372036854775807'], ['ZINTERCARD', '1', 'z1', 'LIMIT', '9223372036854775000'], ['ZINTERCARD', '1', 'z1', 'LIMIT', '9223372036854775808'],
    ['ZINTERCARD', '1', 'z1', 'WITHSCORES'], ['ZUNION', '1', 'str', 'WEIGHTS', 'x'],
  ],
  'ZPOPMIN, ZPOPMAX, ZMPOP': [
    Z, ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z'], ['ZPOPMIN', 'z', '2'], ['ZPOPMAX', 'z', '0'], ['ZPOPMIN', 'z', '-1'], ['ZPOPMIN', 'z', 'x'], ['ZPOPMIN', 'z', '1', '2'],
    ['ZPOPMIN', 'nokey'], ['ZPOPMIN', 'nokey', '2'], ['ZMPOP', '2', 'nokey', 'z', 'MAX'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '10'], ['EXISTS', 'z'],
    ['ZMPOP', '1', 'z', 'MIN'], ['ZMPOP', '0', 'z', 'MIN'], ['ZMPOP', '1', 'z', 'MID'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'], ['ZMPOP', '1', 'z', 'MIN', 'COUNT'],
    ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'], ['ZMPOP', '5', 'z', 'MIN'], ['SET', 'str', 'x'], ['ZMPOP', '2', 'nokey', 'str', 'MIN'], ['ZPOPMIN', 'str'],
  ],
  'blocking pops that find members, and inside MULTI': [
    Z, ['BZPOPMIN', 'nokey', 'z', '0'], ['BZPOPMAX', 'z', '0.5'], ['BZMPOP', '0', '2', 'nokey', 'z', 'MAX', 'COUNT', '2'], ['BZPOPMIN', 'z', '-1'],
    ['BZPOPMIN', 'z', 'x'], ['BZMPOP', '0', '0', 'z', 'MIN'], ['BZMPOP', 'x', '1', 'z', 'MIN'], ['MULTI'], ['BZPOPMIN', 'nokey', '0'], ['BZMPOP', '0', '1', 'nokey', 'MIN'],
    ['BZPOPMAX', 'z', '0'], ['EXEC'], ['SET', 'str', 'x'], ['BZPOPMIN', 'str', '0'],
  ],
  'ZRANDMEMBER argument checks': [
    Z, ['ZRANDMEMBER', 'nokey'], ['ZRANDMEMBER', 'nokey', '3'], ['ZRANDMEMBER', 'z', '0'], ['ZRANDMEMBER', 'z', '10', 'WITHSCORES'], ['ZRANDMEMBER', 'z', 'x'],
    ['ZRANDMEMBER', 'z', '1', 'WITHSCORE'], ['ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'], ['ZRANDMEMBER', 'z', '-9223372036854775808'],
    ['ZRANDMEMBER', 'z', '-9223372036854775807', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '9223372036854775807', 'WITHSCORES'],
  ],
  'ZSCAN of a small set, options and errors': [
    Z, ['ZSCAN', 'z', '0'], ['ZSCAN', 'z', '0', 'MATCH', 'c*'], ['ZSCAN', 'z', '0', 'COUNT', '1'], ['ZSCAN', 'z', '0', 'COUNT', '0'], ['ZSCAN', 'z', '0', 'COUNT', 'x'],
    ['ZSCAN', 'z', 'x'], ['ZSCAN', 'z', '0', 'MATCH'], ['ZSCAN', 'z', '0', 'TYPE', 'zset'], ['ZSCAN', 'nokey', '0'], ['ZADD', 'f', '0.1', 'a'], ['ZSCAN', 'f', '0'],
  ],
  'wrong types both ways': [
    ['SET', 'str', 'x'], ['ZADD', 'str', '1', 'a'], ['ZINCRBY', 'str', '1', 'a'], ['ZREM', 'str', 'a'], ['ZCARD', 'str'], ['ZSCORE', 'str', 'a'], ['ZMSCORE', 'str', 'a'],
    ['ZRANK', 'str', 'a'], ['ZRANGE', 'str', '0', '1'], ['ZCOUNT', 'str', '0', '1'], ['ZLEXCOUNT', 'str', '-', '+'], ['ZRANDMEMBER', 'str'], ['ZSCAN', 'str', '0'],
    ['ZREMRANGEBYRANK', 'str', '0', '1'], ['ZADD', 'z', '1', 'a'], ['GET', 'z'], ['HSET', 'z', 'f', 'v'], ['INCR', 'z'], ['ZADD', 'str', 'x', 'a'],
  ],
  'what the keyspace commands say of a sorted set': [
    Z, ['SET', 's', 'v'], ['SCAN', '0', 'TYPE', 'zset'], ['TYPE', 'z'], ['OBJECT', 'ENCODING', 'z'], ['ZADD', 'long', '1', 'x'.repeat(65)], ['OBJECT', 'ENCODING', 'long'],
    ['RENAME', 'z', 'z2'], ['ZRANGE', 'z2', '0', '-1', 'WITHSCORES'], ['COPY', 'z2', 'z3'], ['ZRANGE', 'z3', '0', '-1'], ['MOVE', 'z3', '1'], ['SELECT', '1'],
    ['ZRANGE', 'z3', '0', '-1'], ['SELECT', '0'], ['EXPIRE', 'z2', '100'], ['TTL', 'z2'], ['ZADD', 'z2', '1', 'new'], ['TTL', 'z2'], ['DEL', 'z2'], ['EXISTS', 'z2'],
    ['ZUNIONSTORE', 'long', '1', 'long'], ['OBJECT', 'ENCODING', 'long'],
  ],
  'many members: skiplist encoding, ties ordered by member bytes': [
    ['ZADD', 'big', ...Array.from({ length: 200 }, (_, i) => [String(i % 7), `m${(i * 37) % 200}`]).flat()], ['OBJECT', 'ENCODING', 'big'], ['ZCARD', 'big'],
    ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'big', '(2', '4', 'BYSCORE', 'LIMIT', '5', '10'], ['ZRANK', 'big', 'm150'], ['ZREVRANK', 'big', 'm3'],
    ['ZREMRANGEBYRANK', 'big', '10', '150'], ['ZRANGE', 'big', '0', '-1', 'REV', 'WITHSCORES'],
  ],
};

compareWithRedis('sorted sets, byte for byte with redis-server', CASES, () => startInProcess());
