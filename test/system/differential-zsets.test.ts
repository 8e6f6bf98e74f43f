// Differential run of the sorted-set commands against redis-server 7: random sequences over a
// few keys, a small alphabet of members (binary ones, prefixes of each other, the empty one),
// scores drawn to tie often (lex order of equal scores) and to hit inf, -0, 1e17 and fractions;
// every reply compared byte for byte in RESP2 and RESP3. Only ZSCAN of a large set (whose
// order is a hash's) is compared as a sorted list of pairs, and ZRANDMEMBER by its size. Lex
// ranges go to a key whose scores are all 0: on mixed scores Redis leaves them unspecified
// (its skiplist answer depends on random node levels).
//
// Bounded (DIFF_COUNT sequences, 150 by default; DIFF_SEED fixed) so it runs in well under a
// minute; the seed is printed with each mismatch so it replays.

import { describeDifferential, int as draw, pick, type Rnd, fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_COUNT'], 150, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261207, 'seed');


const KEYS = ['z1', 'z2', 'z3', 'str'];
const MEMBERS = ['a', 'b', 'ab', 'abc', 'B', '', 'z', 'a\x00', '\x00', '\xff', '\xff\xfe', 'member-12', 'm'];
const SCORES = ['0', '0', '0', '1', '1', '2', '-1', '1.5', '0.1', '-0', 'inf', '-inf', '+inf', '1e17', '3.0000000000000004', '-2.5', '1e-5', '100'];
const BAD = ['nan', 'x', '', ' 1', '1e999'];

const int = (rnd: Rnd, lo: number, hi: number): string => String(draw(rnd, lo, hi));

function score(rnd: Rnd): string {
  return rnd() < 0.03 ? pick(rnd, BAD) : pick(rnd, SCORES);
}

function scoreBound(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.2) return pick(rnd, ['-inf', '+inf', 'inf', '(0', '(1', '(-inf']);
  if (r < 0.25) return pick(rnd, ['x', '((1', '']);
  return (rnd() < 0.3 ? '(' : '') + pick(rnd, SCORES.filter((s) => !s.includes('inf')));
}

function lexBound(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.2) return pick(rnd, ['-', '+']);
  if (r < 0.23) return pick(rnd, ['a', '-a', '']);
  return (rnd() < 0.5 ? '(' : '[') + pick(rnd, MEMBERS);
}

function key(rnd: Rnd): string {
  return pick(rnd, KEYS);
}

function pairs(rnd: Rnd, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(score(rnd), pick(rnd, MEMBERS));
  return out;
}

function rangeOptions(rnd: Rnd): string[] {
  const out: string[] = [];
  if (rnd() < 0.3) out.push('LIMIT', int(rnd, -1, 4), int(rnd, -1, 5));
  if (rnd() < 0.4) out.push('WITHSCORES');
  return out;
}

function numkeys(rnd: Rnd): string[] {
  const n = 1 + Math.floor(rnd() * 3);
  return [String(n), ...Array.from({ length: n }, () => key(rnd))];
}

const GENERATORS: ((rnd: Rnd) => string[])[] = [
  (r) => ['ZADD', key(r), ...pick(r, [[], ['NX'], ['XX'], ['CH'], ['GT'], ['LT'], ['XX', 'GT', 'CH'], ['NX', 'XX'], ['INCR']]), ...pairs(r, 1 + Math.floor(r() * 4))],
  // Flags in any number and order (GT/LT/NX clashes, INCR with CH or several pairs).
  (r) => ['ZADD', key(r), ...Array.from({ length: draw(r, 1, 4) }, () => pick(r, ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'ch'])), ...pairs(r, draw(r, 1, 2))],
  (r) => ['ZADD', key(r), ...pairs(r, 6)],
  (r) => ['ZINCRBY', key(r), score(r), pick(r, MEMBERS)],
  (r) => ['ZREM', key(r), pick(r, MEMBERS), pick(r, MEMBERS)],
  (r) => ['ZCARD', key(r)],
  (r) => ['ZSCORE', key(r), pick(r, MEMBERS)],
  (r) => ['ZMSCORE', key(r), pick(r, MEMBERS), pick(r, MEMBERS)],
  (r) => [pick(r, ['ZRANK', 'ZREVRANK']), key(r), pick(r, MEMBERS)],
  (r) => ['ZRANGE', key(r), int(r, -4, 4), int(r, -4, 6), ...(r() < 0.3 ? ['REV'] : []), ...(r() < 0.4 ? ['WITHSCORES'] : [])],
  (r) => ['ZRANGE', key(r), scoreBound(r), scoreBound(r), 'BYSCORE', ...(r() < 0.4 ? ['REV'] : []), ...rangeOptions(r)],
  (r) => ['ZADD', 'lx', ...Array.from({ length: 1 + Math.floor(r() * 4) }, () => ['0', pick(r, MEMBERS)]).flat()],
  (r) => ['ZRANGE', 'lx', lexBound(r), lexBound(r), 'BYLEX', ...(r() < 0.4 ? ['REV'] : []), ...(r() < 0.3 ? ['LIMIT', int(r, -1, 3), int(r, -1, 4)] : [])],
  (r) => [pick(r, ['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE']), key(r), scoreBound(r), scoreBound(r), ...rangeOptions(r)],
  (r) => [pick(r, ['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), 'lx', lexBound(r), lexBound(r)],
  (r) => ['ZREVRANGE', key(r), int(r, -3, 3), int(r, -3, 5), ...(r() < 0.5 ? ['WITHSCORES'] : [])],
  (r) => ['ZCOUNT', key(r), scoreBound(r), scoreBound(r)],
  (r) => ['ZLEXCOUNT', 'lx', lexBound(r), lexBound(r)],
  (r) => ['ZRANGESTORE', key(r), key(r), int(r, 0, 2), int(r, -2, 4)],
  (r) => {
    const rev = r() < 0.5;
    const [lo, hi] = [scoreBound(r), scoreBound(r)];
    return ['ZRANGESTORE', key(r), key(r), ...(rev ? [hi, lo] : [lo, hi]), 'BYSCORE', ...(rev ? ['REV'] : []), ...(r() < 0.4 ? ['LIMIT', int(r, -1, 3), int(r, -1, 4)] : [])];
  },
  (r) => {
    const rev = r() < 0.5;
    const [lo, hi] = [lexBound(r), lexBound(r)];
    return ['ZRANGESTORE', key(r), 'lx', ...(rev ? [hi, lo] : [lo, hi]), 'BYLEX', ...(rev ? ['REV'] : []), ...(r() < 0.4 ? ['LIMIT', int(r, -1, 3), int(r, -1, 4)] : []), ...(r() < 0.05 ? ['WITHSCORES'] : [])];
  },
  // A random draw: compared by the reply's size (judge below).
  (r) => ['ZRANDMEMBER', key(r), pick(r, ['1', '3', '-3', '-20', '0', '100']), ...(r() < 0.5 ? ['WITHSCORES'] : [])],
  (r) => ['ZREMRANGEBYRANK', key(r), int(r, -3, 2), int(r, -2, 3)],
  (r) => ['ZREMRANGEBYSCORE', key(r), scoreBound(r), scoreBound(r)],
  (r) => ['ZREMRANGEBYLEX', 'lx', lexBound(r), lexBound(r)],
  (r) => [pick(r, ['ZREM', 'ZSCORE', 'ZRANK']), 'lx', pick(r, MEMBERS)],
  (r) => [pick(r, ['ZPOPMIN', 'ZPOPMAX']), key(r), ...(r() < 0.5 ? [int(r, -1, 3)] : [])],
  (r) => ['ZMPOP', ...numkeys(r), pick(r, ['MIN', 'MAX']), ...(r() < 0.5 ? ['COUNT', int(r, 0, 3)] : [])],
  (r) => [pick(r, ['ZUNION', 'ZINTER', 'ZDIFF']), ...numkeys(r), ...(r() < 0.3 ? ['AGGREGATE', pick(r, ['SUM', 'MIN', 'MAX'])] : []), ...(r() < 0.5 ? ['WITHSCORES'] : [])],
  (r) => {
    const n = numkeys(r);
    const weights = r() < 0.5 ? ['WEIGHTS', ...Array.from({ length: Number(n[0]) }, () => pick(r, ['1', '2', '0', '-1', '0.5', 'inf']))] : [];
    return [pick(r, ['ZUNIONSTORE', 'ZINTERSTORE']), key(r), ...n, ...weights];
  },
  (r) => ['ZDIFFSTORE', key(r), ...numkeys(r)],
  (r) => ['ZINTERCARD', ...numkeys(r), ...(r() < 0.5 ? ['LIMIT', int(r, 0, 2)] : [])],
  (r) => ['ZSCAN', key(r), '0', ...(r() < 0.3 ? ['MATCH', pick(r, ['a*', '*b*', '?'])] : [])],
  () => ['SET', 'str', 'v'],
  (r) => [pick(r, ['TYPE', 'EXISTS', 'DEL']), key(r)],
  (r) => ['OBJECT', 'ENCODING', key(r)],
];

function randomCommand(rnd: Rnd): string[] {
  return pick(rnd, GENERATORS)(rnd);
}

/**
 * ZSCAN of a set past the listpack limits walks a hash table: a partial step (cursor not 0)
 * returns whichever members its buckets hold, so only that it is partial is compared; a
 * complete one is compared as a sorted list of pairs.
 */
function canonical(args: string[], reply: string): string {
  if (args[0] === 'ZRANDMEMBER') return reply.slice(0, reply.indexOf('\r\n'));
  if (args[0] !== 'ZSCAN' || !reply.startsWith('*2\r\n')) return reply;
  const parts = reply.split('\r\n');
  if (parts[2] !== '0') return 'partial ZSCAN step';
  const pairs: string[] = [];
  for (let i = 4; i + 3 < parts.length; i += 4) pairs.push(parts.slice(i, i + 4).join('\r\n'));
  return parts.slice(0, 4).join('\r\n') + '|' + pairs.sort().join('|');
}

/** Every other sequence starts from a set past the listpack limits (skiplist in Redis). */
function bigSet(_rnd: Rnd, seq: number): string[][] {
  if (seq % 2 === 0) return [];
  return [['ZADD', 'z1', ...Array.from({ length: 150 }, (_, i) => [String(i % 5), `k${(i * 31) % 150}`]).flat()]];
}

describeDifferential('sorted sets: differential run against redis-server 7', [
  {
    what: 'sorted-set sequences',
    count: COUNT,
    seed: SEED,
    length: 16,
    command: randomCommand,
    setup: bigSet,
    agree: (args, ours, theirs) => canonical(args, ours) === canonical(args, theirs),
  },
]);
