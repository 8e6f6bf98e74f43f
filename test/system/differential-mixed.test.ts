// Differential run where every family's commands hit the same few key names against
// redis-server 7: a name is a string, then a list, a hash, a set, a sorted set or a stream, so
// WRONGTYPE paths, type changes under one name (SET over a list, SINTERSTORE/ZRANGESTORE/SORT
// STORE over another type, RENAME/COPY/MOVE of every type onto every type, with TTLs), OBJECT
// ENCODING and TYPE after them, and the options each family's own fuzzer sends seldom (ZADD
// GT/LT/CH/INCR, ZRANGESTORE BYLEX/BYSCORE REV LIMIT, LPOS RANK/COUNT/MAXLEN, SINTERCARD LIMIT,
// BITFIELD OVERFLOW, GETEX/SET GET/KEEPTTL/PXAT, EXPIRE NX/XX/GT/LT, HINCRBYFLOAT edge floats,
// XADD MINID LIMIT, XSETID, MULTI with errors queued, WATCH) are compared byte for byte in RESP2
// and RESP3. One key name has a NUL and CRLF in it; values carry them too. Random draws
// (HRANDFIELD, SRANDMEMBER, ZRANDMEMBER with a count) are compared by their reply's size, and
// lex ranges read a set of equal scores ('lx', written by ZADD 0 only).
//
// Bounded (DIFF_MIXED_COUNT or DIFF_COUNT sequences, 150 by default; DIFF_MIXED_SEED or
// DIFF_SEED fixed, printed with a mismatch so it replays).

import { describeDifferential, encodingFromContent, fromEnv, int, parseReply, pick, renderReply, sameClock, sortedItems, type ReplyNode, type Rnd } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_MIXED_COUNT', 'DIFF_COUNT'], 150, 'count');
const SEED = fromEnv(['DIFF_MIXED_SEED', 'DIFF_SEED'], 20261207, 'seed');

const KEYS = ['a', 'a', 'b', 'c', 'k\x00\r\n', '{t}x'];
/** Elements and members that are also key names, so SORT BY/GET patterns find something. */
const ELEMENTS = ['a', 'b', 'c', '1', '2', '-3', '1.5', '', 'x\r\ny', '\x00\xff', '10'];
const VALUES = ['v', '', '1', '-2', '1.5', '7', 'a\r\nb', '\x00\xff\x00', 'x'.repeat(70), '9223372036854775807', '3.0'];
const FIELDS = ['f', 'g', '', 'f\x00'];
const FLOATS = ['1.5', '-0', '0', '1e308', '-1e308', '5e-324', '1e-310', '0.1', 'inf', 'nan', '1e400', '3.0000000000000004', '-1.7976931348623157e308', '+7', ' 1', '0x10', '1.'];
const SCORES = ['0', '1', '1', '2', '-1', '1.5', 'inf', '-inf', '-0', '1e17', 'nan', 'x'];
const FUTURE_S = '4102444800';
const FUTURE_MS = '4102444800000';

const key = (r: Rnd) => pick(r, KEYS);
const el = (r: Rnd) => pick(r, ELEMENTS);
const val = (r: Rnd) => pick(r, VALUES);
const some = (r: Rnd, n: number, f: (q: Rnd) => string[]) => Array.from({ length: int(r, 1, n) }, () => f(r)).flat();
const maybe = (r: Rnd, p: number, xs: string[]) => (r() < p ? xs : []);
/** 0-2 options drawn from `choices`, so combinations and repeats (some of them invalid) occur. */
const opts = (r: Rnd, choices: string[][], max = 2) => Array.from({ length: int(r, 0, max) }, () => pick(r, choices)).flat();

const TTL_OPTS = [['EX', '100'], ['PX', '100000'], ['EXAT', FUTURE_S], ['PXAT', FUTURE_MS], ['KEEPTTL'], ['PERSIST'], ['EX', '0'], ['PXAT', '-1']];
const ZADD_FLAGS = [['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['INCR']];
const OVERFLOW = ['WRAP', 'SAT', 'FAIL', 'bogus'];
const BITFIELD_OPS = (r: Rnd) => pick(r, [
  ['OVERFLOW', pick(r, OVERFLOW)],
  ['SET', pick(r, ['i8', 'u8', 'i5', 'u1', 'i64', 'u63', 'u64']), pick(r, ['0', '3', '#1']), pick(r, ['127', '-128', '255', '300', '-1'])],
  ['INCRBY', pick(r, ['i8', 'u8', 'i3', 'u2']), pick(r, ['0', '#1']), pick(r, ['1', '100', '-100', '200'])],
  ['GET', pick(r, ['i8', 'u4', 'i64']), pick(r, ['0', '4'])],
]);

const XTRIM_OPTS = [['MAXLEN', '2'], ['MAXLEN', '=', '1'], ['MAXLEN', '~', '2'], ['MINID', '2-0', 'LIMIT', '0'], ['MINID', '~', '3', 'LIMIT', '10'], ['MINID', '=', '4']];

const GENERATORS: ((r: Rnd) => string[])[] = [
  // strings
  (r) => ['SET', key(r), val(r), ...opts(r, [...TTL_OPTS, ['GET'], ['NX'], ['XX']], 3)],
  (r) => ['GETEX', key(r), ...opts(r, TTL_OPTS, 2)],
  (r) => [pick(r, ['GET', 'GETDEL', 'STRLEN']), key(r)],
  (r) => ['APPEND', key(r), val(r)],
  (r) => ['SETRANGE', key(r), pick(r, ['0', '2', '5']), val(r)],
  (r) => [pick(r, ['INCRBY', 'DECRBY']), key(r), pick(r, ['1', '-5', '9223372036854775807'])],
  (r) => ['INCRBYFLOAT', key(r), pick(r, FLOATS)],
  (r) => ['BITFIELD', key(r), ...some(r, 4, BITFIELD_OPS)],
  (r) => ['BITFIELD_RO', key(r), 'GET', 'u8', pick(r, ['0', '8'])],
  (r) => ['SETBIT', key(r), pick(r, ['0', '7', '100']), pick(r, ['1', '0'])],
  (r) => ['GETBIT', key(r), pick(r, ['0', '7', '100'])],
  (r) => [pick(r, ['BITCOUNT', 'BITPOS']), key(r), ...maybe(r, 0.3, ['1'])],
  (r) => ['BITOP', pick(r, ['AND', 'OR', 'XOR', 'NOT']), key(r), key(r), ...maybe(r, 0.5, [key(r)])],
  (r) => ['PFADD', key(r), ...some(r, 3, (q) => [el(q)])],
  (r) => ['PFCOUNT', key(r), ...maybe(r, 0.3, [key(r)])],
  (r) => ['LCS', key(r), key(r), ...maybe(r, 0.3, ['LEN'])],
  // hashes
  (r) => ['HSET', key(r), ...some(r, 3, (q) => [pick(q, FIELDS), val(q)])],
  (r) => ['HINCRBYFLOAT', key(r), pick(r, FIELDS), pick(r, FLOATS)],
  (r) => ['HINCRBY', key(r), pick(r, FIELDS), pick(r, ['1', '-1', '9223372036854775807'])],
  (r) => [pick(r, ['HGET', 'HSTRLEN', 'HEXISTS']), key(r), pick(r, FIELDS)],
  (r) => [pick(r, ['HGETALL', 'HKEYS', 'HVALS', 'HLEN']), key(r)],
  (r) => ['HDEL', key(r), ...some(r, 2, (q) => [pick(q, FIELDS)])],
  (r) => ['HRANDFIELD', key(r), pick(r, ['1', '3', '-1', '-5', '0']), ...maybe(r, 0.5, ['WITHVALUES'])],
  // lists
  (r) => [pick(r, ['RPUSH', 'LPUSH', 'RPUSHX']), key(r), ...some(r, 4, (q) => [el(q)])],
  (r) => ['LRANGE', key(r), '0', '-1'],
  (r) => [pick(r, ['LPOP', 'RPOP']), key(r), ...maybe(r, 0.4, [pick(r, ['0', '2', '10'])])],
  (r) => ['LPOS', key(r), el(r), ...opts(r, [['RANK', pick(r, ['1', '-1', '2', '-2', '0'])], ['COUNT', pick(r, ['0', '1', '3'])], ['MAXLEN', pick(r, ['0', '1', '2'])]], 3)],
  (r) => ['LMOVE', key(r), key(r), pick(r, ['LEFT', 'RIGHT']), pick(r, ['LEFT', 'RIGHT'])],
  (r) => ['LLEN', key(r)],
  (r) => ['LINDEX', key(r), pick(r, ['0', '-1'])],
  // sets
  (r) => ['SADD', key(r), ...some(r, 4, (q) => [el(q)])],
  (r) => ['SADD', key(r), ...some(r, 4, (q) => [String(int(q, -5, 20))])],
  (r) => ['SMEMBERS', key(r)],
  (r) => ['SMISMEMBER', key(r), ...some(r, 3, (q) => [el(q)])],
  (r) => [pick(r, ['SINTER', 'SUNION', 'SDIFF']), key(r), key(r)],
  (r) => [pick(r, ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), key(r), key(r), ...maybe(r, 0.5, [key(r)])],
  (r) => ['SINTERCARD', '2', key(r), key(r), ...maybe(r, 0.5, ['LIMIT', pick(r, ['0', '1', '2', '-1'])])],
  (r) => ['SMOVE', key(r), key(r), el(r)],
  (r) => ['SRANDMEMBER', key(r), pick(r, ['2', '-4', '0'])],
  (r) => ['SPOP', key(r), '1000'],
  // sorted sets
  (r) => ['ZADD', key(r), ...opts(r, ZADD_FLAGS, 3), ...some(r, 3, (q) => [pick(q, SCORES), el(q)])],
  (r) => ['ZADD', key(r), ...some(r, 4, (q) => ['0', el(q)])],
  (r) => ['ZRANGE', key(r), '0', '-1', 'WITHSCORES'],
  (r) => [pick(r, ['ZSCORE', 'ZRANK']), key(r), el(r)],
  (r) => ['ZINCRBY', key(r), pick(r, SCORES), el(r)],
  (r) => {
    const by = pick(r, ['BYLEX', 'BYSCORE', '']);
    const [lo, hi] = by === 'BYLEX' ? [pick(r, ['-', '[a', '(1', '[']), pick(r, ['+', '[c', '(b'])] : by === 'BYSCORE' ? [pick(r, ['-inf', '(0', '1']), pick(r, ['+inf', '2', '(1.5'])] : [pick(r, ['0', '1', '-2']), pick(r, ['-1', '2', '0'])];
    const rev = r() < 0.4;
    // BYLEX reads 'lx', whose scores are all 0: on mixed scores Redis leaves lex ranges unspecified (README).
    return ['ZRANGESTORE', key(r), by === 'BYLEX' ? 'lx' : key(r), ...(rev ? [hi, lo] : [lo, hi]), ...(by ? [by] : []), ...(rev ? ['REV'] : []), ...maybe(r, 0.4, ['LIMIT', pick(r, ['0', '1']), pick(r, ['1', '2', '-1'])])];
  },
  (r) => ['ZADD', 'lx', ...some(r, 4, (q) => ['0', el(q)])],
  (r) => [pick(r, ['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), key(r), '2', key(r), key(r)],
  (r) => ['ZRANDMEMBER', key(r), pick(r, ['2', '-3']), ...maybe(r, 0.5, ['WITHSCORES'])],
  (r) => ['GEOADD', key(r), pick(r, ['13.361389', '-181', '180']), pick(r, ['38.115556', '85.1']), el(r)],
  (r) => ['GEOPOS', key(r), el(r)],
  // streams (explicit IDs: the servers' clocks differ)
  (r) => ['XADD', key(r), ...maybe(r, 0.3, pick(r, XTRIM_OPTS)), `${int(r, 1, 9)}-${pick(r, ['0', '1', '*'])}`, pick(r, FIELDS), val(r)],
  (r) => ['XRANGE', key(r), '-', '+'],
  (r) => ['XLEN', key(r)],
  (r) => ['XTRIM', key(r), ...pick(r, XTRIM_OPTS)],
  (r) => ['XSETID', key(r), pick(r, ['9-9', '1-0', '0-0']), ...maybe(r, 0.3, ['ENTRIESADDED', pick(r, ['5', '100']), 'MAXDELETEDID', pick(r, ['0-0', '8-0'])])],
  // keys
  (r) => [pick(r, ['TYPE', 'EXISTS', 'DEL', 'UNLINK', 'TOUCH']), key(r)],
  (r) => ['OBJECT', 'ENCODING', key(r)],
  (r) => [pick(r, ['RENAME', 'RENAMENX']), key(r), key(r)],
  (r) => ['COPY', key(r), key(r), ...opts(r, [['REPLACE'], ['DB', pick(r, ['0', '1'])]], 2)],
  (r) => ['MOVE', key(r), pick(r, ['1', '0'])],
  (r) => ['SELECT', pick(r, ['0', '0', '1'])],
  () => ['SWAPDB', '0', '1'],
  (r) => [pick(r, ['EXPIRE', 'EXPIRE', 'PEXPIRE', 'EXPIREAT']), key(r), pick(r, ['100', '1000', '100000', FUTURE_S]), ...opts(r, [['NX'], ['XX'], ['GT'], ['LT']], 2)],
  (r) => [pick(r, ['TTL', 'PTTL', 'PERSIST', 'EXPIRETIME']), key(r)],
  () => ['DBSIZE'],
  () => ['KEYS', '*'],
  (r) => ['SCAN', '0', 'COUNT', '1000', ...maybe(r, 0.5, ['TYPE', pick(r, ['string', 'list', 'set', 'zset', 'hash', 'stream'])])],
  (r) => [pick(r, ['SORT', 'SORT_RO']), key(r), ...maybe(r, 0.4, ['BY', pick(r, ['*', '*->f', 'nosort'])]), ...maybe(r, 0.4, ['GET', pick(r, ['#', '*', '*->f'])]), ...maybe(r, 0.3, ['LIMIT', '0', '2']), ...maybe(r, 0.3, ['DESC']), ...maybe(r, 0.5, ['ALPHA'])],
  (r) => ['SORT', key(r), ...maybe(r, 0.5, ['ALPHA']), 'STORE', key(r)],
  // more of each family, on whatever the name holds
  (r) => [pick(r, ['GETRANGE', 'SUBSTR']), key(r), pick(r, ['0', '-3', '2']), pick(r, ['-1', '1', '100'])],
  (r) => ['LMPOP', '2', key(r), key(r), pick(r, ['LEFT', 'RIGHT']), ...maybe(r, 0.5, ['COUNT', pick(r, ['1', '3'])])],
  (r) => ['ZMPOP', '2', key(r), key(r), pick(r, ['MIN', 'MAX']), ...maybe(r, 0.5, ['COUNT', pick(r, ['1', '3'])])],
  (r) => [pick(r, ['BLPOP', 'BZPOPMIN']), key(r), key(r), '0.01'],
  (r) => ['LINSERT', key(r), pick(r, ['BEFORE', 'AFTER']), el(r), el(r)],
  (r) => ['LSET', key(r), pick(r, ['0', '-1', '5']), el(r)],
  (r) => ['LREM', key(r), pick(r, ['0', '1', '-1']), el(r)],
  (r) => ['LTRIM', key(r), pick(r, ['0', '1']), pick(r, ['-1', '1', '-2'])],
  (r) => [pick(r, ['SSCAN', 'ZSCAN', 'HSCAN']), key(r), '0', 'COUNT', '1000', ...maybe(r, 0.3, ['MATCH', pick(r, ['*', '1*', '?'])])],
  (r) => ['ZMSCORE', key(r), el(r), el(r)],
  (r) => ['ZREVRANK', key(r), el(r)],
  (r) => ['XDEL', key(r), `${int(r, 1, 9)}-${pick(r, ['0', '1'])}`],
  (r) => ['XREAD', 'COUNT', '2', 'STREAMS', key(r), key(r), '0-0', pick(r, ['0-0', '3-0'])],
  (r) => ['PERSIST', key(r)],
  (r) => ['PEXPIREAT', key(r), pick(r, [FUTURE_MS, '1']), ...opts(r, [['NX'], ['XX'], ['GT'], ['LT']], 1)],
  // transactions
  () => ['MULTI'],
  () => ['MULTI'],
  () => ['EXEC'],
  () => ['DISCARD'],
  (r) => ['WATCH', key(r), ...maybe(r, 0.3, [key(r)])],
  () => ['UNWATCH'],
];

/** One command; a few lose an argument or gain one, so arity errors are queued in MULTI too. */
function mixedCommand(r: Rnd): string[] {
  const cmd = pick(r, GENERATORS)(r);
  const twist = r();
  // (SPOP keeps its count: a random pop would part the two servers' data.)
  if (twist < 0.03 && cmd.length > 1 && cmd[0] !== 'SPOP') return cmd.slice(0, -1);
  if (twist < 0.04) return ['NOSUCHCMD', ...cmd.slice(1)];
  return cmd;
}

/** Replies whose order Redis does not promise (a hash table's). */
const UNORDERED = new Set(['keys', 'hkeys', 'hvals', 'smembers', 'sinter', 'sunion', 'sdiff', 'spop']);
/** [cursor, elements] replies: a set's elements in its hash order, a hash's (and a sorted set's) as pairs. */
const SCANS: Record<string, number> = { sscan: 1, hscan: 2, zscan: 2 };
/** Random draws: only how many came back is compared. */
const RANDOM = new Set(['hrandfield', 'srandmember', 'zrandmember']);

function canonical(name: string, node: ReplyNode, args: string[]): ReplyNode {
  if (RANDOM.has(name)) return { head: node.items || node.head === '$-1' ? node.head : node.head[0]! };
  if (name === 'scan' && node.items?.length === 2) return { head: node.head, items: [node.items[0]!, sortedItems(node.items[1]!)] };
  if (SCANS[name] && node.items?.length === 2 && node.items[1]!.items) {
    const elements = node.items[1]!;
    return { head: node.head, items: [node.items[0]!, sortedItems(SCANS[name] === 2 ? { head: elements.head, items: pairs(elements.items!) } : elements)] };
  }
  if (name === 'hgetall' && node.items) return sortedItems({ head: node.head, items: pairs(node.items) });
  if (node.items && UNORDERED.has(name)) return sortedItems(node);
  // A set's (or sorted set's) SORT is ordered only by distinct keys: BY nosort walks a hash
  // table, and ties stay in its order: ALPHA with BY (missing weights), and ALPHA without
  // STORE of elements with a NUL (strcoll stops there, so '' and '\0\xff' tie). LIMIT then
  // picks from that order.
  if (node.items && (name === 'sort' || name === 'sort_ro')) {
    const upper = args.map((a) => a.toUpperCase());
    const alpha = upper.includes('ALPHA');
    const nulTies = alpha && !upper.includes('STORE') && node.items.some((item) => item.head.includes('\0'));
    if (upper.includes('NOSORT') || (alpha && upper.includes('BY')) || nulTies) return upper.includes('LIMIT') ? { head: node.head } : sortedItems(node);
  }
  return node;
}

function pairs(items: ReplyNode[]): ReplyNode[] {
  const out: ReplyNode[] = [];
  for (let i = 0; i < items.length; i += 2) out.push({ head: 'pair', items: items.slice(i, i + 2) });
  return out;
}

const alike = (name: string, args: string[], a: ReplyNode, b: ReplyNode) =>
  renderReply(canonical(name, a, args)) === renderReply(canonical(name, b, args)) || sameClock(name, a, b);

function agree(args: string[], ours: string, theirs: string, queued: readonly string[]): boolean {
  const name = args[0]!.toLowerCase();
  const [a, b] = [parseReply(ours), parseReply(theirs)];
  if (name === 'exec' && a.items && b.items && a.items.length === b.items.length && a.head === b.head) {
    // Inside EXEC only the names are known: a SORT there is compared as if it had NOSORT LIMIT.
    return a.items.every((item, i) => alike(queued[i] ?? '', ['NOSORT', 'LIMIT'], item, b.items![i]!) || (queued[i] === 'object' && encodingFromContent(['OBJECT', 'ENCODING'], item, b.items![i]!)));
  }
  return alike(name, args, a, b) || (name === 'object' && encodingFromContent(args, a, b));
}

describeDifferential('every family on the same keys: differential run against redis-server 7', [
  { what: 'mixed-family sequences', count: COUNT, seed: SEED, length: 20, command: mixedCommand, agree },
]);
