// The commands that read or rewrite small collections where they lie (hash fields in place,
// the set and sorted-set algebra, SORT, COPY/RENAME/MOVE, OBJECT ENCODING, INCR and INCRBYFLOAT
// in scripts), sent as a hostile client would: destinations that are also sources, a key
// copied, renamed or moved onto itself and onto keys of every other type, absurd counts,
// increments, database numbers and SORT patterns. Random sequences go to sealkv and
// redis-server 7.0 with the keyspace packed before most commands (at-rest-differential.ts);
// replies compared byte for byte in RESP2 and RESP3, sorted where Redis's order is a
// hashtable's. Skipped (with a message) where redis-server is not installed.

import { afterAll, beforeAll, describe } from 'vitest';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { fromEnv, int, pick, type Rnd } from '../helpers/differential.js';
import { itRestingSequences } from '../helpers/at-rest-differential.js';

// REST_COUNT / REST_SEED (or DIFF_COUNT / DIFF_SEED, DIFF_SCALE) for longer runs.
const SEQUENCES = fromEnv(['REST_COUNT', 'DIFF_COUNT'], 30, 'count');
const SEED = fromEnv(['REST_SEED', 'DIFF_SEED'], 20261207, 'seed');

/** One key per type, a counter, the SORT pattern targets and a key never written. */
const KEYS = ['h1', 'h2', 's1', 'i1', 'z1', 'z2', 'l1', 'k1', 'n1', 'w_1', 'hw_2', 'none'];
const FIELDS = ['f', 'g', '', 'n', '1', 'caf\u00e9', 'a field of some bytes', 'y'.repeat(70)];
const VALUES = ['v', '', '1', '-7', '10.5', '3e2', ' 1', 'a longer value of some bytes', 'y'.repeat(70), '9223372036854775807'];
const INTEGERS = ['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '', 'x', '1.5', '0x10', ' 1', '007'];
const FLOATS = ['1', '-0', '0.1', '1e308', '-1e308', '1e-320', 'inf', '-inf', 'nan', '', '1.5e', ' 1', '0x10', '1e400', '17976931348623157e292', '5e-324'];
const MEMBERS = ['a', 'b', '', '1', '2', '-7', '10', 'caf\u00e9', 'y'.repeat(70)];
const SCORES = ['0', '-0', '1', '1.5', '-2', '1e300', '+inf', '-inf', 'nan', 'x'];
const DBS = ['0', '1', '15', '16', '-1', '9223372036854775807', 'x', ''];

const key = (r: Rnd) => pick(r, KEYS);

/** Past the listpack / intset limits (128 entries, 512 integers): the in-use paths and Redis's conversions. */
function fillLarge(r: Rnd): string[] {
  const n = int(r, 120, 140);
  switch (int(r, 0, 3)) {
    case 0: return ['HSET', pick(r, ['h1', 'h2']), ...Array.from({ length: n }, (_, i) => [`f${i}`, String(i)]).flat()];
    case 1: return ['ZADD', pick(r, ['z1', 'z2']), ...Array.from({ length: n }, (_, i) => [String(i % 7), `m${i}`]).flat()];
    case 2: return ['SADD', 'i1', ...Array.from({ length: int(r, 500, 520) }, (_, i) => String(i * 3))];
    default: return ['RPUSH', pick(r, ['l1', 'sl']), ...Array.from({ length: n }, (_, i) => String(n - i))];
  }
}

function fill(r: Rnd): string[] {
  if (r() < 0.04) return fillLarge(r);
  switch (int(r, 0, 7)) {
    case 0: return ['HSET', pick(r, ['h1', 'h2', 'hw_2']), ...Array.from({ length: int(r, 1, 3) }, () => [pick(r, FIELDS), pick(r, VALUES)]).flat()];
    case 1: return ['SADD', 's1', ...Array.from({ length: int(r, 1, 3) }, () => pick(r, MEMBERS))];
    case 2: return ['SADD', 'i1', ...Array.from({ length: int(r, 1, 3) }, () => pick(r, ['1', '2', '-7', '10', '0', '12345678901234567']))];
    case 3: return ['ZADD', pick(r, ['z1', 'z2']), ...Array.from({ length: int(r, 1, 3) }, () => [pick(r, SCORES), pick(r, MEMBERS)]).flat()];
    case 4: return ['RPUSH', pick(r, ['l1', 'sl']), ...Array.from({ length: int(r, 1, 3) }, () => pick(r, MEMBERS))];
    case 5: return ['SET', pick(r, ['k1', 'w_1', 'w_a', 'w_b']), pick(r, ['3', '-1', '1.5', 'x', '', '10'])];
    case 6: return ['HSET', pick(r, ['hw_1', 'hw_2', 'hw_a']), 'f', pick(r, ['5', '-2', 'x', '2.5'])];
    default: return ['SET', 'n1', pick(r, ['0', '10', '9223372036854775806', '-9223372036854775807', '1.5', 'x'])];
  }
}

function hashCommand(r: Rnd): string[] {
  const h = pick(r, ['h1', 'h2', 'h1', 's1', 'none']);
  const f = () => pick(r, FIELDS);
  switch (int(r, 0, 9)) {
    case 0: return ['HSET', h, ...Array.from({ length: int(r, 1, 4) }, () => [f(), pick(r, VALUES)]).flat()];
    case 1: return ['HSETNX', h, f(), pick(r, VALUES)];
    case 2: return ['HGET', h, f()];
    case 3: return ['HDEL', h, ...Array.from({ length: int(r, 1, 4) }, f)];
    case 4: return ['HINCRBYFLOAT', h, f(), pick(r, FLOATS)];
    case 5: return ['HINCRBY', h, f(), pick(r, INTEGERS)];
    // A negative count beyond -LONG_MAX/2 is refused only WITHVALUES: without, Redis would send it whole.
    case 6: {
      const withValues = r() < 0.5;
      const counts = ['0', '1', '-1', '3', '-3', '100', '-100', '9223372036854775807', '-9223372036854775808', 'x', '1.5', ''];
      return ['HRANDFIELD', h, pick(r, withValues ? [...counts, '-4611686018427387904', '-9223372036854775807'] : counts), ...(withValues ? ['WITHVALUES'] : [])];
    }
    case 7: return ['HRANDFIELD', h];
    case 8: return r() < 0.4 ? ['HMGET', h, f(), f()] : [pick(r, ['HSTRLEN', 'HEXISTS']), h, f()];
    default: return [pick(r, ['HGETALL', 'HKEYS', 'HVALS', 'HLEN']), h];
  }
}

function algebraCommand(r: Rnd): string[] {
  const setKeys = () => Array.from({ length: int(r, 1, 3) }, () => pick(r, ['s1', 'i1', 's1', 'i1', 'none', 'z1', 'h1']));
  const zKeys = () => {
    const keys = Array.from({ length: int(r, 1, 3) }, () => pick(r, ['z1', 'z2', 'z1', 's1', 'i1', 'none', 'l1']));
    return [pick(r, [String(keys.length), String(keys.length), '0', '-1', String(keys.length + 1), '9223372036854775807']), ...keys];
  };
  const weights = () => (r() < 0.3 ? ['WEIGHTS', ...Array.from({ length: int(r, 1, 3) }, () => pick(r, ['1', '-1', '0', 'inf', '-inf', 'nan', 'x', '1e308']))] : []);
  const aggregate = () => (r() < 0.3 ? ['AGGREGATE', pick(r, ['SUM', 'MIN', 'MAX', 'AVG'])] : []);
  switch (int(r, 0, 5)) {
    // The destination is one of the sources as often as not.
    case 0: case 1: {
      const sources = setKeys();
      return [pick(r, ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), r() < 0.6 ? sources[0]! : key(r), ...sources];
    }
    case 2: case 3: {
      const sources = zKeys();
      const op = pick(r, ['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
      return [op, r() < 0.6 ? (sources[1] ?? 'z1') : key(r), ...sources, ...(op === 'ZDIFFSTORE' ? [] : [...weights(), ...aggregate()])];
    }
    case 4: return ['ZRANGESTORE', pick(r, ['z1', 'z2', 's1']), pick(r, ['z1', 'z2', 'none', 's1']), pick(r, ['0', '-1', '1', '-9223372036854775808']), pick(r, ['-1', '0', '2', '9223372036854775807']), ...(r() < 0.3 ? ['REV'] : [])];
    default: return ['SMOVE', pick(r, ['s1', 'i1', 'z1']), pick(r, ['s1', 'i1', 'none']), pick(r, MEMBERS)];
  }
}

function copyCommand(r: Rnd): string[] {
  const from = key(r);
  const to = r() < 0.3 ? from : key(r);
  switch (int(r, 0, 5)) {
    case 0: case 1: return ['COPY', from, to, ...(r() < 0.5 ? ['REPLACE'] : []), ...(r() < 0.2 ? ['DB', pick(r, DBS)] : [])];
    case 2: return ['COPY', from, to, 'DB', pick(r, DBS), ...(r() < 0.5 ? ['REPLACE'] : [])];
    case 3: return [pick(r, ['RENAME', 'RENAMENX']), from, to];
    case 4: return ['MOVE', from, pick(r, DBS)];
    default: return pick(r, [['SWAPDB', '0', '1'], ['DEL', from], ['EXISTS', from, to], ['TYPE', from]]);
  }
}

/**
 * SORT BY / GET over w_* strings and hw_*->f hash fields, which may be missing, not numbers or of
 * another type. Any key may have become a set by now (COPY, RENAME, the algebra's STORE), whose
 * order is its hashtable's where SORT leaves it: no sorting (BY without `*`) and ALPHA BY a
 * pattern (ties keep the load order: Redis's sortCompare answers 0) only over `sl`, a list
 * nothing but RPUSH writes, and without LIMIT. Numeric BY breaks ties by the elements, ALPHA alone sorts them.
 */
function sortCommand(r: Rnd): string[] {
  const source = pick(r, ['l1', 'i1', 's1', 'z1', 'z2', 'h1', 'none', 'sl', 'sl', 'sl']);
  const stable = source === 'sl';
  const patterns = ['w_*', 'hw_*->f', 'none_*', 'w_*->f', 'hw_*', '*', ...(stable ? ['h1->f', '#', 'nosort'] : [])];
  const by = r() < 0.7 ? ['BY', pick(r, patterns)] : [];
  const gets = Array.from({ length: int(r, 0, 3) }, () => ['GET', pick(r, ['#', 'w_*', 'hw_*->f', 'hw_*->', '*->f', 'k1', 'w_*->f'])]).flat();
  const limit = r() < 0.4 ? ['LIMIT', pick(r, ['0', '1', '-1', '9223372036854775807', 'x']), pick(r, ['-1', '0', '2', '9223372036854775807'])] : [];
  // With LIMIT, Redis sorts ALPHA BY ties with its partial quicksort (README, Geo and SORT).
  const alpha = r() < 0.5 && (by.length === 0 || (stable && limit.length === 0)) ? ['ALPHA'] : [];
  return [r() < 0.8 ? 'SORT' : 'SORT_RO', source, ...by, ...gets, ...limit, ...(r() < 0.3 ? ['DESC'] : []), ...alpha, ...(r() < 0.2 ? ['STORE', pick(r, ['l1', 'z1', 'k1', 'sorted'])] : [])];
}

const INCR_SCRIPT = "return redis.call('INCR', KEYS[1])";
const INCRBY_SCRIPT = "return redis.call(ARGV[1], KEYS[1], ARGV[2])";
const LIMITER_SCRIPT = "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('EXPIRE', KEYS[1], 100) end return {c, redis.call('GET', KEYS[1]), redis.call('EXISTS', KEYS[1])}";
const FLOAT_SCRIPT = "local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1]) return {v, redis.call('GET', KEYS[1]), redis.call('STRLEN', KEYS[1])}";

function scriptCommand(r: Rnd): string[] {
  const k = pick(r, ['n1', 'n1', 'k1', 'h1', 'none', 'w_1']);
  switch (int(r, 0, 4)) {
    case 0: return ['EVAL', INCR_SCRIPT, '1', k];
    case 1: return ['EVAL', LIMITER_SCRIPT, '1', k];
    case 2: return ['EVAL', FLOAT_SCRIPT, '1', k, pick(r, FLOATS)];
    case 3: return ['EVAL', INCRBY_SCRIPT, '1', k, pick(r, ['INCRBY', 'DECRBY', 'INCRBYFLOAT']), pick(r, [...INTEGERS, ...FLOATS])];
    default: return r() < 0.5 ? [pick(r, ['INCR', 'DECR', 'GET']), k] : ['INCRBYFLOAT', k, pick(r, FLOATS)];
  }
}

function randomCommand(r: Rnd): string[] {
  const x = r();
  if (x < 0.25) return fill(r);
  if (x < 0.45) return hashCommand(r);
  if (x < 0.6) return algebraCommand(r);
  if (x < 0.75) return copyCommand(r);
  if (x < 0.85) return sortCommand(r);
  if (x < 0.93) return scriptCommand(r);
  if (x < 0.96) return ['OBJECT', 'ENCODING', key(r)];
  const k = key(r);
  return pick(r, [['SMEMBERS', k], ['ZRANGE', k, '0', '-1', 'WITHSCORES'], ['LRANGE', k, '0', '-1'], ['GET', k], ['HGETALL', k], ['SCARD', k], ['ZCARD', k], ['TYPE', k]]);
}

/** Replies whose order is a hashtable's in Redis: compared as sorted items. */
function unordered(args: string[]): boolean {
  const name = args[0]!;
  // SMEMBERS of an intset comes in integer order, compared as sorted all the same.
  return ['HGETALL', 'HKEYS', 'HVALS', 'SMEMBERS'].includes(name);
}

const STRING_ENCODINGS = new Set(['$3\r\nint\r\n', '$6\r\nembstr\r\n', '$3\r\nraw\r\n']);

/**
 * README's deliberate differences: a script's integer reply past 2^53 (Lua 5.4 keeps it exact
 * where Redis's 5.1 rounds it through a double, and 2^63 becomes -2^63; Scripting), and a
 * string's OBJECT ENCODING worked out from its value (Redis remembers how it was made: never
 * `int` after INCRBYFLOAT).
 */
function deliberatelyDifferent(args: string[], ours: string, theirs: string): boolean {
  if (args[0] === 'OBJECT') return STRING_ENCODINGS.has(ours) && STRING_ENCODINGS.has(theirs);
  if (args[0] !== 'EVAL') return false;
  const rounded = (reply: string) => reply.replace(/(?<=^|\r\n):(-?\d+)(?=\r\n)/g, (_, digits: string) => {
    const n = BigInt(Number(digits));
    return `:${n >= 2n ** 63n ? -(2n ** 63n) : n}`;
  });
  return rounded(ours) === rounded(theirs);
}

const SOURCES_AT = (args: string[]): string => {
  if (['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'].includes(args[0]!)) return args[2]!;
  if (['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'].includes(args[0]!)) return args[3] ?? args[1]!;
  if (args[0] === 'ZRANGESTORE') return args[2]!;
  if (args[0] === 'OBJECT') return args[2]!;
  if (args[0] === 'EVAL') return args[3] ?? 'none';
  if (args[0] === 'SWAPDB') return 'h1';
  return args[1]!;
};

describe.skipIf(!hasRedisServer)('hostile arguments to the commands that read packed keys in place, against redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;

  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  itRestingSequences(() => [sealkv, redis], {
    sequences: SEQUENCES, length: 60, seed: SEED, command: randomCommand,
    keyOf: SOURCES_AT,
    unordered,
    equivalent: deliberatelyDifferent,
    sampled: (args) => (args[0] === 'HRANDFIELD' ? { from: ['HGETALL', args[1]!], repeats: true } : undefined),
  });
});
