// SADD and ZADD creating a small key pack it at once (commands/sets/sets.ts saddNew, commands/zsets/zsets.ts
// zaddNew; store/types/packed.ts): repeated members, integer and non-integer members, zeros of
// both signs, ties in score, members past the listpack value limit and the packing limits must
// all come out as redis-server 7.0 answers them, encodings included. Replies compared byte for
// byte in RESP2 and RESP3; skipped (with a message) where redis-server is not installed.

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const long = 'x'.repeat(65);
const many = (n: number, f: (k: number) => string[]) => Array.from({ length: n }, (_, k) => f(k)).flat();

const CASES: Record<string, string[][]> = {
  'SADD on a new key: repeats, integers, encodings, order': [
    ['SADD', 's', 'b', 'a', 'b', 'c', 'a'], ['SCARD', 's'], ['SISMEMBER', 's', 'a'], ['SISMEMBER', 's', 'd'], ['OBJECT', 'ENCODING', 's'],
    ['SADD', 'i', '3', '-1', '20', '3', '0', '-20', '999999999999999', '9223372036854775807'], ['SMEMBERS', 'i'], ['OBJECT', 'ENCODING', 'i'],
    ['SADD', 'n', '1', '-0', '01', '+2', '2'], ['SCARD', 'n'], ['OBJECT', 'ENCODING', 'n'], ['SISMEMBER', 'n', '-0'], ['SISMEMBER', 'n', '0'],
    ['SADD', 'big', '9223372036854775808'], ['OBJECT', 'ENCODING', 'big'], ['SADD', 'e', ''], ['SMEMBERS', 'e'],
    ['SADD', 's', 'd', 'a'], ['SCARD', 's'], ['SADD', 'i', '5'], ['SMEMBERS', 'i'], ['SADD', 'i', 'x'], ['OBJECT', 'ENCODING', 'i'],
  ],
  'SADD on a new key past the packing limits': [
    ['SADD', 'wide', 'y'.repeat(3000), 'z'], ['SCARD', 'wide'], ['SISMEMBER', 'wide', 'z'],
    ['SADD', 'many', ...many(70, (k) => [String(k)])], ['SCARD', 'many'], ['OBJECT', 'ENCODING', 'many'], ['SISMEMBER', 'many', '69'],
    ['SADD', 'edge', ...many(64, (k) => [`m${k}`])], ['SCARD', 'edge'], ['SADD', 'edge', 'm1', 'm64'], ['SCARD', 'edge'],
  ],
  'SADD on a key of another type': [['SET', 'str', 'v'], ['SADD', 'str', 'a'], ['GET', 'str'], ['SADD', 'str2', 'a'], ['SET', 'str2', 'v'], ['TYPE', 'str2']],
  'ZADD on a new key: repeats, zeros, ties, order': [
    ['ZADD', 'z', '2', 'b', '1', 'a', '3', 'b', '1', 'c', '0', 'aa', '1', ''], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZCARD', 'z'],
    ['OBJECT', 'ENCODING', 'z'], ['ZRANK', 'z', 'c'], ['ZRANGEBYLEX', 'z', '-', '+'],
    ['ZADD', 'zero', '-0', 'a', '0', 'b', '-0.0', 'c'], ['ZSCORE', 'zero', 'a'], ['ZSCORE', 'zero', 'c'], ['ZRANGE', 'zero', '0', '-1', 'WITHSCORES'],
    ['ZADD', 'again', '1', 'a', '-0', 'a'], ['ZSCORE', 'again', 'a'], ['ZADD', 'again2', '0', 'a', '-0', 'a', '5', 'b'], ['ZSCORE', 'again2', 'a'],
    ['ZADD', 'inf', 'inf', 'a', '-inf', 'b', '+inf', 'c', '1e300', 'd', '0.1', 'e', '-1.5', 'f'], ['ZRANGE', 'inf', '0', '-1', 'WITHSCORES'],
    ['ZADD', 'skip', '-0', 'a', '1', long, '-0', 'b'], ['OBJECT', 'ENCODING', 'skip'], ['ZSCORE', 'skip', 'a'], ['ZSCORE', 'skip', 'b'], ['ZRANGE', 'skip', '0', '-1', 'WITHSCORES'],
    ['ZADD', 'z', '9', 'new'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  ],
  'ZADD on a new key with options, errors, wrong types, past the limits': [
    ['ZADD', 'nx', 'NX', '1', 'a', '2', 'a'], ['ZRANGE', 'nx', '0', '-1', 'WITHSCORES'], ['ZADD', 'xx', 'XX', '1', 'a'], ['EXISTS', 'xx'],
    ['ZADD', 'ch', 'CH', '1', 'a', '2', 'a'], ['ZADD', 'inc', 'INCR', '2', 'a'], ['ZADD', 'bad', '1', 'a', 'x', 'b'], ['EXISTS', 'bad'],
    ['SET', 'str', 'v'], ['ZADD', 'str', '1', 'a'],
    ['ZADD', 'many', ...many(70, (k) => [String(k % 7), `m${k}`])], ['ZCARD', 'many'], ['ZRANGE', 'many', '0', '5', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'many'],
    ['ZADD', 'wide', '1', 'w'.repeat(3000), '2', 'v'], ['ZCARD', 'wide'], ['OBJECT', 'ENCODING', 'wide'],
    ['GEOADD', 'geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'], ['GEOPOS', 'geo', 'Palermo'], ['ZRANGE', 'geo', '0', '-1', 'WITHSCORES'],
  ],
};

compareWithRedis('new small sets and sorted sets, packed at once, against redis-server 7.0', CASES, () => startInProcess());
