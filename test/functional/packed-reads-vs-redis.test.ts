// Small collections packed at rest answer LRANGE, LINDEX, LLEN, SMEMBERS, SISMEMBER, SCARD, ZRANGE
// (by rank, either way), ZSCORE, ZRANK, ZREVRANK, ZCARD and every hash read from their blob without unpacking
// (commands/values/packed-reads.ts, hash-entries.ts readHash), and SADD of members a packed set holds.
// Each command here runs in a turn of its own, after its key was packed as the turn that made it
// ended, so every read meets the packed form: replies compared byte for byte with redis-server 7.0
// in RESP2 and RESP3. (Sets of strings are left out of SMEMBERS with several members: Redis 7.0
// answers them in its hash table's order.)

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const CASES: Record<string, string[][]> = {
  'lists: ranges of every shape, counts, wrong types': [
    ['RPUSH', 'l', 'a', 'bb', '', 'dddd', 'e'],
    ['LRANGE', 'l', '0', '-1'], ['LRANGE', 'l', '1', '2'], ['LRANGE', 'l', '-2', '-1'], ['LRANGE', 'l', '-100', '100'],
    ['LRANGE', 'l', '3', '1'], ['LRANGE', 'l', '5', '10'], ['LRANGE', 'l', '4', '4'], ['LRANGE', 'l', '0', '0'], ['LRANGE', 'l', 'x', '1'],
    ['LLEN', 'l'], ['LLEN', 'nope'], ['LRANGE', 'nope', '0', '-1'],
    ['LINDEX', 'l', '0'], ['LINDEX', 'l', '2'], ['LINDEX', 'l', '-1'], ['LINDEX', 'l', '-5'], ['LINDEX', 'l', '5'], ['LINDEX', 'l', '-6'],
    ['LINDEX', 'l', 'x'], ['LINDEX', 'nope', '0'], ['LINDEX', 'nope', 'x'],
    ['SET', 'str', 'v'], ['LRANGE', 'str', '0', '-1'], ['LLEN', 'str'], ['LINDEX', 'str', '0'],
    ['SADD', 'set', 'a'], ['LRANGE', 'set', '0', '-1'], ['LLEN', 'set'],
    ['RPUSH', 'l', 'f'], ['LRANGE', 'l', '0', '-1'], ['OBJECT', 'ENCODING', 'l'],
  ],
  'sets and intsets: members, membership, counts, wrong types': [
    ['SADD', 'i', '30', '-1', '20', '3', '0', '-20', '999999999999999'], ['SMEMBERS', 'i'], ['SCARD', 'i'],
    ['SISMEMBER', 'i', '20'], ['SISMEMBER', 'i', '020'], ['SISMEMBER', 'i', '-0'], ['SISMEMBER', 'i', '0'], ['SISMEMBER', 'i', '21'],
    ['SADD', 'big', '9223372036854775807', '-5', '12345678901234567'], ['SMEMBERS', 'big'], ['SISMEMBER', 'big', '9223372036854775807'],
    ['SADD', 's', 'b', 'a', 'c', '1', '-0', ''], ['SISMEMBER', 's', 'a'], ['SISMEMBER', 's', 'd'], ['SISMEMBER', 's', '1'], ['SISMEMBER', 's', '-0'],
    ['SISMEMBER', 's', ''], ['SISMEMBER', 's', 'aa'], ['SCARD', 's'], ['SADD', 'one', 'only'], ['SMEMBERS', 'one'],
    ['SMEMBERS', 'nope'], ['SISMEMBER', 'nope', 'a'], ['SCARD', 'nope'],
    ['ZADD', 'z', '1', 'a'], ['SMEMBERS', 'z'], ['SISMEMBER', 'z', 'a'], ['SCARD', 'z'],
    ['SADD', 'i', '20'], ['SADD', 'i', '-20', '0', '20', '0'], ['SADD', 's', ''], ['SADD', 's', 'a', '-0', 'c', 'a'], ['SADD', 'big', '-5'],
    ['SADD', 'z', 'a'], ['SADD', 'str', 'v'], ['OBJECT', 'ENCODING', 's'],
    ['SADD', 'i', '7'], ['SMEMBERS', 'i'], ['OBJECT', 'ENCODING', 'i'], ['SADD', 's', 'a', 'new'], ['SCARD', 's'],
  ],
  'sorted sets: rank ranges forward and reversed, scores, counts, wrong types': [
    ['ZADD', 'z', '2', 'b', '1', 'a', '1', 'c', '0', 'aa', '-0', 'zero', '1.5', 'half', 'inf', 'top', '-inf', 'bottom', '1e20', 'huge', '0.1', 'tenth'],
    ['ZRANGE', 'z', '0', '-1'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'z', '2', '4', 'WITHSCORES'], ['ZRANGE', 'z', '-3', '-1'],
    ['ZRANGE', 'z', '5', '2'], ['ZRANGE', 'z', '20', '30'], ['ZRANGE', 'z', '-100', '1', 'withscores'],
    ['ZREVRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZREVRANGE', 'z', '1', '3'], ['ZRANGE', 'z', '0', '2', 'REV', 'WITHSCORES'], ['ZRANGE', 'z', '-2', '-1', 'REV'],
    ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'], ['ZRANGE', 'z', '0', 'x'], ['ZRANGE', 'z', '0', '-1', 'BYSCORE'], ['ZRANGE', 'z', '(1', '2', 'BYSCORE', 'WITHSCORES'],
    ['ZSCORE', 'z', 'a'], ['ZSCORE', 'z', 'zero'], ['ZSCORE', 'z', 'top'], ['ZSCORE', 'z', 'huge'], ['ZSCORE', 'z', 'tenth'], ['ZSCORE', 'z', 'nope'], ['ZSCORE', 'z', ''],
    ['ZCARD', 'z'], ['ZCARD', 'nope'], ['ZSCORE', 'nope', 'a'], ['ZRANGE', 'nope', '0', '-1'],
    ['ZRANK', 'z', 'bottom'], ['ZRANK', 'z', 'c'], ['ZRANK', 'z', 'top'], ['ZRANK', 'z', 'nope'], ['ZREVRANK', 'z', 'bottom'], ['ZREVRANK', 'z', 'b'],
    ['ZREVRANK', 'z', 'nope'], ['ZRANK', 'nope', 'a'],
    ['SET', 'str', 'v'], ['ZRANGE', 'str', '0', '-1'], ['ZSCORE', 'str', 'a'], ['ZCARD', 'str'], ['ZRANK', 'str', 'a'],
    ['ZADD', 'skip', '1', 'x'.repeat(65), '-0', 'n'], ['ZRANGE', 'skip', '0', '-1', 'WITHSCORES'], ['ZSCORE', 'skip', 'n'], ['OBJECT', 'ENCODING', 'skip'],
    ['ZADD', 'z', '3', 'b'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
  ],
  'hashes: fields, values, counts, wrong types': [
    ['HSET', 'h', 'f1', 'v1', 'f2', '', '', 'empty name', 'n', '12'], ['HGET', 'h', 'f1'], ['HGET', 'h', ''], ['HGET', 'h', 'nope'],
    ['HGETALL', 'h'], ['HMGET', 'h', 'f2', 'nope', 'n'], ['HLEN', 'h'], ['HEXISTS', 'h', 'f2'], ['HEXISTS', 'h', 'f3'], ['HSTRLEN', 'h', 'n'],
    ['HKEYS', 'h'], ['HVALS', 'h'], ['HGETALL', 'nope'], ['HLEN', 'nope'], ['SET', 'str', 'v'], ['HGET', 'str', 'f'], ['HGETALL', 'str'],
    ['HSET', 'h', 'f3', 'v3'], ['HGETALL', 'h'], ['OBJECT', 'ENCODING', 'h'],
  ],
};

compareWithRedis('reads of small collections packed at rest, against redis-server 7.0', CASES, () => startInProcess());
