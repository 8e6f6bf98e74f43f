// The set and sorted-set algebra, SSCAN, ZRANGESTORE and SORT read small collections packed at
// rest from their blobs (sets-algebra.ts, sets-random.ts, zsets-algebra.ts, zsets-ranges.ts,
// sort.ts, opened-members.ts), and store a small result packed at once; sources in use take the live
// path. Random sequences of writes and these commands go to sealkv and redis-server 7.0 with the
// clock moved and the keyspace packed before most commands (at-rest-differential.ts); replies
// compared byte for byte in RESP2 and RESP3, sorted where Redis's order is a hashtable's.
// Skipped (with a message) where redis-server is not installed.

import { afterAll, beforeAll, describe } from 'vitest';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { fromEnv, int, pick, type Rnd } from '../helpers/differential.js';
import { itRestingSequences } from '../helpers/at-rest-differential.js';

// REST_COUNT / REST_SEED (or DIFF_COUNT / DIFF_SEED, DIFF_SCALE) for longer runs.
const SEQUENCES = fromEnv(['REST_COUNT', 'DIFF_COUNT'], 30, 'count');
const SEED = fromEnv(['REST_SEED', 'DIFF_SEED'], 20261207, 'seed');
const ELEMENTS = ['a', 'b', 'c', '', '1', '2', '-7', '10', 'caf\u00e9', 'an element of some bytes', 'y'.repeat(70)];
const SCORES = ['0', '-0', '1', '1.5', '-2', '3', '1e300', '+inf', '-inf', 'x'];

/** Members of i1 and i2, which only ever hold integers: intsets, whose orders Redis's replies show. */
const INTEGERS = ['1', '2', '-7', '10', '0', '3', '12345678901234567', '-9223372036854775808', '9223372036854775807'];
/** Sources of the set algebra: i9 is never made; l1 is a list (WRONGTYPE). */
const SOURCES = ['s1', 's2', 's3', 'i1', 'i2', 'i1', 'i2', 'i9'];

function algebraCommand(r: Rnd): string[] {
  const sources = () => [...Array.from({ length: int(r, 1, 3) }, () => pick(r, SOURCES)), ...(r() < 0.05 ? ['l1'] : [])];
  const ints = () => Array.from({ length: int(r, 1, 3) }, () => pick(r, INTEGERS));
  switch (int(r, 0, 10)) {
    case 0: case 8: case 9: return ['SADD', pick(r, ['i1', 'i2']), ...ints()];
    case 1: return ['SREM', pick(r, ['i1', 'i2']), ...ints()];
    case 2: {
      const keys = sources();
      return ['SINTERCARD', String(keys.length), ...keys, ...(r() < 0.4 ? ['LIMIT', pick(r, ['0', '1', '2'])] : [])];
    }
    case 3: return [pick(r, ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), pick(r, ['d1', 'd2']), ...sources()];
    case 4: return [pick(r, ['SMEMBERS', 'SCARD']), pick(r, ['d1', 'd2'])];
    // An intset scans whole, in its order, at any COUNT; a set of strings is compared scanned whole (COUNT 100), sorted.
    case 5: {
      const key = pick(r, ['i1', 'i2', 's1', 's2', 'l1']);
      const match = r() < 0.4 ? ['MATCH', pick(r, ['*', '1*', '-*', '?', '*a*'])] : [];
      return ['SSCAN', key, '0', ...match, ...(key.startsWith('s') ? ['COUNT', '100'] : r() < 0.3 ? ['COUNT', pick(r, ['1', '100'])] : [])];
    }
    default: return [pick(r, ['SINTER', 'SUNION', 'SDIFF']), ...sources()];
  }
}

function writeCommand(r: Rnd): string[] {
  const some = () => Array.from({ length: int(r, 1, 3) }, () => pick(r, ELEMENTS));
  switch (int(r, 0, 6)) {
    case 0: case 1: return ['SADD', pick(r, ['s1', 's2', 's3']), ...some()];
    case 2: return ['SREM', pick(r, ['s1', 's2']), ...some()];
    case 3: return ['ZADD', pick(r, ['z1', 'z2']), ...Array.from({ length: int(r, 1, 3) }, () => [pick(r, SCORES), pick(r, ELEMENTS)]).flat()];
    // Lex ranges mean something where every score is the same: z3 only ever gets score 0.
    case 4: return ['ZADD', 'z3', ...Array.from({ length: int(r, 1, 3) }, () => ['0', pick(r, ELEMENTS)]).flat()];
    case 5: return ['ZREM', pick(r, ['z1', 'z2', 'z3']), pick(r, ELEMENTS)];
    default: return [pick(r, ['RPUSH', 'LPUSH']), 'l1', ...some()];
  }
}

/** ZRANGESTORE and the sorted-set algebra over sorted sets, sets (each member scoring 1) and a missing key; results into zd. */
function zsetAlgebraCommand(r: Rnd): string[] {
  const sources = () => {
    const keys = Array.from({ length: int(r, 1, 3) }, () => pick(r, ['z1', 'z2', 'z3', 'z1', 's1', 'z9', ...(r() < 0.05 ? ['l1'] : [])]));
    return [String(keys.length), ...keys];
  };
  const weights = (n: number) => (r() < 0.3 ? ['WEIGHTS', ...Array.from({ length: n }, () => pick(r, ['1', '2', '-1', '0', '0.5', 'inf']))] : []);
  const aggregate = () => (r() < 0.3 ? ['AGGREGATE', pick(r, ['SUM', 'MIN', 'MAX'])] : []);
  const bound = () => pick(r, ['-inf', '+inf', '0', '(0', '1', '(1.5', '3']);
  const limit = () => (r() < 0.4 ? ['LIMIT', pick(r, ['0', '1', '2']), pick(r, ['-1', '1', '2'])] : []);
  const lex = () => pick(r, ['-', '+', '[a', '(a', '[b', '(c', '[an element']);
  switch (int(r, 0, 8)) {
    case 0: return ['ZRANGESTORE', 'zd', pick(r, ['z1', 'z2', 'z9', 's1']), String(int(r, -4, 3)), String(int(r, -3, 4)), ...(r() < 0.3 ? ['REV'] : [])];
    case 1: return ['ZRANGESTORE', 'zd', pick(r, ['z1', 'z2']), bound(), bound(), 'BYSCORE', ...(r() < 0.4 ? ['REV'] : []), ...limit()];
    case 2: return ['ZRANGESTORE', 'zd', 'z3', lex(), lex(), 'BYLEX', ...(r() < 0.4 ? ['REV'] : []), ...limit()];
    case 3: {
      const keys = sources();
      return [pick(r, ['ZUNION', 'ZINTER']), ...keys, ...weights(keys.length - 1), ...aggregate(), ...(r() < 0.6 ? ['WITHSCORES'] : [])];
    }
    case 4: return ['ZDIFF', ...sources(), ...(r() < 0.6 ? ['WITHSCORES'] : [])];
    case 5: return ['ZINTERCARD', ...sources(), ...(r() < 0.4 ? ['LIMIT', pick(r, ['0', '1', '2'])] : [])];
    case 6: {
      const keys = sources();
      const op = pick(r, ['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
      return [op, 'zd', ...keys, ...(op === 'ZDIFFSTORE' ? [] : [...weights(keys.length - 1), ...aggregate()])];
    }
    case 7: return ['OBJECT', 'ENCODING', 'zd'];
    default: return ['ZRANGE', 'zd', '0', '-1', 'WITHSCORES'];
  }
}

/**
 * Replies whose order is a hashtable's in Redis (compared as sorted items): the algebra of sets
 * that may hold strings (only the intsets i1 and i2 and the missing i9 reply in integer order),
 * and SSCAN of a set of strings (its members sorted, the cursor kept: s1 and s2 hold at most 12
 * members, scanned whole by both servers at COUNT 100).
 */
function isHashtableOrder(args: string[]): boolean {
  if (args[0] === 'SSCAN') return args[1]!.startsWith('s');
  if (!['SINTER', 'SUNION', 'SDIFF'].includes(args[0]!)) return false;
  return !args.slice(1).every((k) => k.startsWith('i'));
}

/**
 * SORT of a list, an intset, a sorted set or a set of strings (ALPHA only: unsorted, its order
 * is a hashtable's), BY nosort (LIMIT's range as stored), DESC, LIMIT, STORE.
 */
function sortCommand(r: Rnd): string[] {
  const key = pick(r, ['l1', 'l1', 'i1', 'i2', 'z1', 'z3', 's1', 'i9']);
  const strings = key.startsWith('s') || key === 'z1' || key === 'z3';
  const limit = r() < 0.5 ? ['LIMIT', pick(r, ['0', '1', '-1', '3']), pick(r, ['-1', '0', '2', '5'])] : [];
  const nosort = !key.startsWith('s') && r() < 0.4 ? ['BY', 'nosort'] : [];
  return ['SORT', key, ...nosort, ...limit, ...(r() < 0.4 ? ['DESC'] : []), ...(strings || r() < 0.3 ? ['ALPHA'] : []), ...(r() < 0.2 ? ['STORE', 'sorted'] : [])];
}

function randomCommand(r: Rnd): string[] {
  const x = r();
  if (x < 0.35) return writeCommand(r);
  if (x < 0.62) return algebraCommand(r);
  if (x < 0.9) return zsetAlgebraCommand(r);
  return sortCommand(r);
}

describe.skipIf(!hasRedisServer)('the set and sorted-set algebra, SSCAN, ZRANGESTORE and SORT of small collections at rest and in use, against redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;

  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  itRestingSequences(() => [sealkv, redis], {
    sequences: SEQUENCES, length: 30, seed: SEED, command: randomCommand,
    keyOf: (args) => {
      if (['SINTERCARD', 'SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE', 'ZUNION', 'ZINTER', 'ZDIFF', 'ZINTERCARD', 'ZRANGESTORE'].includes(args[0]!)) return args[2]!;
      if (['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'].includes(args[0]!)) return args[3]!;
      return args[0] === 'OBJECT' ? args[2]! : args[1]!;
    },
    unordered: (args) => args[0] === 'SMEMBERS' || isHashtableOrder(args),
  });
});
