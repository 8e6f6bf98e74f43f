// Differential run across sealkv's internal size boundaries, where the stored form of a value
// changes: strings inline in the key table's arena vs boxed (32 KiB), one sealed blob vs chunks
// (64 KiB), offloaded to a seal worker (128 KiB); counters near 2^53 and 2^63; sets, sorted
// sets, lists and hashes around their packed limits (64 elements, 2,048 bytes), the sorted
// set's listpack limits (128 members, 64 bytes) and the small hash's 2,048 bytes; bitmaps grown
// past a chunk by SETBIT/SETRANGE/BITFIELD. Each sequence walks up AND down (grow, then shrink
// or overwrite) and reads back with every reader, against redis-server 7 in RESP2 and RESP3,
// once plain and once with --seal-keys (names boxed and sealed). A small collection is packed
// as soon as the turn that made it ends, so one command per turn (as the runner sends them)
// crosses the packed form on every step. MOVE, COPY ... DB and SWAPDB carry every form to the
// other database (values are sealed bound to theirs). Replies Redis leaves unordered are
// compared sorted.
//
// Bounded (DIFF_BOUNDARIES_COUNT sequences, 12 by default; DIFF_SEED fixed): a few seconds.

import { describeDifferential, fromEnv, int, parseReply, pick, renderReply, sortedItems, type Rnd } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_BOUNDARIES_COUNT', 'DIFF_COUNT'], 12, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261207, 'seed');

const K = 1024;
/** Lengths on both sides of each string boundary: embstr, inline arena, one chunk, seal worker. */
const STRING_SIZES = [0, 1, 44, 45, 32 * K - 1, 32 * K, 32 * K + 1, 64 * K - 1, 64 * K, 64 * K + 1, 128 * K, 128 * K + 1];
/** Offsets on both sides of the same boundaries, for SETRANGE/GETRANGE/SETBIT. */
const OFFSETS = [0, 3, 32 * K - 2, 32 * K, 64 * K - 3, 64 * K - 1, 64 * K, 64 * K + 2, 128 * K + 5];

/** `n` printable bytes that differ along the value, so a chunk put back in the wrong place shows. */
function text(n: number, seed: number): string {
  let s = seed >>> 0;
  let out = '';
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out += String.fromCharCode(97 + ((s >>> 16) % 26));
  }
  return out;
}

const size = (r: Rnd) => pick(r, STRING_SIZES);
const offset = (r: Rnd) => pick(r, OFFSETS) + int(r, 0, 2);

const STRING_KEYS = ['s1', 's2'];
const COUNTERS = ['0', '9007199254740991', '9007199254740993', '9223372036854775806', '-9223372036854775807', '12345678901234567890', '1.5', '00012', 'x'];

function stringCommand(r: Rnd): string[] {
  const k = () => pick(r, STRING_KEYS);
  switch (int(r, 0, 21)) {
    case 0: case 1: return ['SET', k(), text(size(r), int(r, 1, 1e6))];
    case 2: case 3: return ['APPEND', k(), text(size(r), int(r, 1, 1e6))];
    case 4: return ['SETRANGE', k(), String(offset(r)), text(int(r, 1, 8), int(r, 1, 1e6))];
    case 5: return ['SETBIT', k(), String(8 * offset(r) + int(r, 0, 7)), pick(r, ['0', '1'])];
    case 6: return ['BITFIELD', k(), 'SET', 'u8', String(8 * offset(r)), String(int(r, 0, 255)), 'GET', 'i16', String(8 * offset(r))];
    case 7: return ['GET', k()];
    case 8: return ['STRLEN', k()];
    case 9: { const from = offset(r); return ['GETRANGE', k(), String(from - 4), String(from + 4)]; }
    case 10: return ['GETRANGE', k(), String(-int(r, 1, 70_000)), '-1'];
    case 11: return ['BITCOUNT', k()];
    case 12: return ['BITPOS', k(), pick(r, ['0', '1']), String(offset(r))];
    case 13: return ['SET', k(), pick(r, COUNTERS)];
    case 14: return [pick(r, ['INCR', 'DECR']), k()];
    case 15: return ['INCRBY', k(), pick(r, ['1', '-1', '9007199254740993', '-9223372036854775808'])];
    case 16: return ['INCRBYFLOAT', k(), pick(r, ['0.1', '1e17', '-1.5', '0'])];
    case 17: return pick(r, [['RENAME', 's1', 's2'], ['COPY', 's2', 's1', 'REPLACE'], ['GETSET', k(), 'small'], ['GETDEL', k()]]);
    case 18: return pick(r, [['EXPIRE', k(), '1000'], ['TTL', k()], ['PERSIST', k()], ['GETEX', k(), 'PX', '900000']]);
    case 19: return pick(r, [['MGET', 's1', 's2', 'nope'], ['EVAL', "return redis.call('GET', KEYS[1])", '1', k()], ['SET', k(), 'v', 'GET']]);
    // the other database, where a value sealed for database 0 must be re-sealed or refused
    case 20: return pick(r, [['MOVE', k(), '1'], ['COPY', k(), k(), 'DB', '1', 'REPLACE'], ['SWAPDB', '0', '1']]);
    default: return ['LCS', 's1', 's2', 'LEN'];
  }
}

const ints = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
/** A burst of members that lands a collection just under, at or just over a limit. */
const around = (r: Rnd, limit: number) => limit + int(r, -2, 1);

function collectionCommand(r: Rnd): string[] {
  const member = (): string => pick(r, ['a', '7', '-3', text(64, 2), text(65, 3), text(int(r, 1000, 2100), 4), '9007199254740993']);
  switch (int(r, 0, 28)) {
    // sets: intset <-> hashtable, packed at 64 members / 2,048 bytes
    case 0: return ['SADD', 'set', ...ints(int(r, 0, 3), around(r, 64))];
    case 1: return ['SADD', 'set', ...Array.from({ length: int(r, 1, 3) }, member)];
    case 2: return ['SREM', 'set', ...ints(int(r, 0, 10), int(r, 1, 64)), ...(r() < 0.3 ? [member()] : [])];
    case 3: return ['SMEMBERS', 'set'];
    case 4: return pick(r, [['SISMEMBER', 'set', member()], ['SCARD', 'set'], ['OBJECT', 'ENCODING', 'set'], ['SMISMEMBER', 'set', '0', '63', '64', member()]]);
    // sorted sets: listpack <-> skiplist at 128 members / 64 bytes, packed at 64 / 2,048
    case 5: return ['ZADD', 'zset', ...ints(int(r, 0, 3), around(r, pick(r, [64, 128]))).flatMap((m) => [String(Number(m) % 7), `m${m}`])];
    case 6: return ['ZADD', 'zset', pick(r, ['1', '-inf', '9007199254740993', '0.1']), member()];
    case 7: return ['ZREM', 'zset', ...ints(int(r, 0, 10), int(r, 1, 128)).map((m) => `m${m}`)];
    case 8: return ['ZRANGE', 'zset', '0', '-1', 'WITHSCORES'];
    case 9: return pick(r, [['ZSCORE', 'zset', 'm63'], ['ZRANK', 'zset', 'm127'], ['ZREVRANK', 'zset', member()], ['ZCARD', 'zset'], ['OBJECT', 'ENCODING', 'zset'], ['ZRANGEBYSCORE', 'zset', '(1', '3', 'LIMIT', '1', '5']]);
    // lists: packed at 64 elements / 2,048 bytes, elements past a chunk
    case 10: return ['RPUSH', 'list', ...ints(int(r, 0, 3), around(r, 64))];
    case 11: return [pick(r, ['LPUSH', 'RPUSH']), 'list', member()];
    case 12: return pick(r, [['LTRIM', 'list', '0', String(int(r, 1, 5))], ['LPOP', 'list', String(int(r, 1, 64))], ['LREM', 'list', '0', member()]]);
    case 13: return ['LRANGE', 'list', '0', '-1'];
    case 14: return pick(r, [['LINDEX', 'list', String(int(r, -66, 65))], ['LPOS', 'list', member()], ['LLEN', 'list'], ['LSET', 'list', '0', member()]]);
    // hashes: small form up to 2,048 bytes, listpack to 512 fields / 64 bytes
    case 15: return ['HSET', 'hash', ...ints(int(r, 0, 30), int(r, 1, 24)).flatMap((f) => [`f${f}`, text(int(r, 1, 100), Number(f))])];
    case 16: return ['HSET', 'hash', pick(r, ['f1', 'big', text(65, 5)]), member()];
    case 17: return ['HDEL', 'hash', ...ints(0, int(r, 1, 40)).map((f) => `f${f}`), 'big'];
    case 18: return ['HGETALL', 'hash'];
    case 19: return pick(r, [['HGET', 'hash', 'f1'], ['HSTRLEN', 'hash', 'big'], ['HLEN', 'hash'], ['OBJECT', 'ENCODING', 'hash'], ['HINCRBY', 'hash', 'n', '9007199254740993']]);
    case 20: return ['HSCAN', 'hash', '0', 'COUNT', '1000'];
    // every form renamed, copied, given an expiry
    case 21: { const [a, b] = pick(r, [['set', 'zset'], ['list', 'hash'], ['zset', 'set'], ['hash', 'list']]); return pick(r, [['RENAME', a!, 'tmp'], ['RENAME', 'tmp', b!], ['COPY', a!, 'tmp', 'REPLACE']]); }
    case 22: return pick(r, [['SMEMBERS', 'tmp'], ['ZRANGE', 'tmp', '0', '-1'], ['LRANGE', 'tmp', '0', '-1'], ['HGETALL', 'tmp'], ['TYPE', 'tmp']]);
    case 23: return [pick(r, ['EXPIRE', 'PEXPIRE']), pick(r, ['set', 'zset', 'list', 'hash']), '100000'];
    case 24: return ['TTL', pick(r, ['set', 'zset', 'list', 'hash'])];
    case 25: return ['PERSIST', pick(r, ['set', 'zset', 'list', 'hash'])];
    case 26: return ['SINTERSTORE', 'tmp', 'set', 'set'];
    case 27: return pick(r, [['MOVE', pick(r, ['set', 'zset', 'list', 'hash']), '1'], ['COPY', pick(r, ['set', 'zset', 'list', 'hash']), 'tmp', 'DB', '1', 'REPLACE'], ['SWAPDB', '0', '1']]);
    default: return ['ZUNIONSTORE', 'tmp', '1', 'zset'];
  }
}

/** Replies whose order Redis does not promise (hash and hashtable order). */
const UNORDERED = new Set(['smembers', 'hgetall', 'hscan']);

function canonical(args: string[], raw: string): string {
  const name = args[0]!.toLowerCase();
  const node = parseReply(raw);
  if (name === 'hscan' && node.items?.length === 2) return renderReply({ head: node.head, items: [node.items[0]!, pairsSorted(node.items[1]!)] });
  if (name === 'hgetall') return renderReply(pairsSorted(node));
  return renderReply(UNORDERED.has(name) ? sortedItems(node) : node);
}

/** A flat field/value list (or RESP3 map) sorted by pair, keeping each field with its value. */
function pairsSorted(node: ReturnType<typeof parseReply>): ReturnType<typeof parseReply> {
  const items = node.items ?? [];
  const pairs: [ReturnType<typeof parseReply>, ReturnType<typeof parseReply>][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) pairs.push([items[i]!, items[i + 1]!]);
  pairs.sort((a, b) => (renderReply(a[0]) < renderReply(b[0]) ? -1 : 1));
  return { head: node.head, items: pairs.flat() };
}

/**
 * OBJECT ENCODING of a string is worked out from its current value (README, differences of
 * detail: Redis remembers `raw` after APPEND/SETRANGE): left out for the string keys.
 */
const stringFamily = {
  what: 'string sequences across the inline/boxed/chunked/offload sizes',
  count: COUNT,
  seed: SEED,
  length: 40,
  command: stringCommand,
};

const collectionFamily = {
  what: 'collection sequences across the packed/listpack/intset limits',
  count: COUNT,
  seed: SEED + 10,
  length: 60,
  command: collectionCommand,
  agree: (args: string[], ours: string, theirs: string) => canonical(args, ours) === canonical(args, theirs),
};

describeDifferential('size boundaries: differential run against redis-server 7', [stringFamily, collectionFamily]);
describeDifferential('size boundaries with --seal-keys: differential run against redis-server 7', [
  { ...stringFamily, seed: SEED + 20 },
  { ...collectionFamily, seed: SEED + 30 },
], ['--seal-keys', 'yes']);
