// Differential run of the bitmap, HyperLogLog and LCS commands against redis-server 7: random
// sequences over a few keys (small strings, bitmaps grown past the 64 KiB chunk size, HLLs
// sparse and dense, a hash for WRONGTYPE) go to both servers over raw sockets, in RESP2 and
// RESP3, and every reply must be the same bytes: counts, positions, bitfield values, HLL bytes
// read back with GET, estimates, LCS strings and ranges, and every error.
//
// Bounded (BITS_DIFF_COUNT sequences, 150; BITS_DIFF_SEED fixed, printed with a mismatch so it
// replays). Skipped with a message where redis-server is not installed.

import { describeDifferential, int, pick, type Rnd, fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['BITS_DIFF_COUNT', 'DIFF_COUNT'], 150, 'count');
const SEED = fromEnv(['BITS_DIFF_SEED', 'DIFF_SEED'], 20261207, 'seed');


const BIT_KEYS = ['b1', 'b2', 'b3', 'nokey'];
const HLL_KEYS = ['h1', 'h2', 'h3', 'nokey'];
const ANY_KEYS = [...BIT_KEYS, 'h1', 'hash'];

/** Small bytes, often from a short alphabet so LCS and BITOP find something in common. */
function value(rnd: Rnd): string {
  const n = pick(rnd, [0, 1, 2, 3, 5, 8, 13, 40]);
  let s = '';
  for (let i = 0; i < n; i++) s += rnd() < 0.7 ? pick(rnd, ['a', 'b', 'c', '\x00', '\xff']) : String.fromCharCode(int(rnd, 0, 255));
  return s;
}

/** Mostly valid numbers of the right size, sometimes edge cases and junk. */
function offset(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.55) return String(int(rnd, 0, 200));
  if (r < 0.7) return String(int(rnd, 524_000, 525_000));
  if (r < 0.78) return String(int(rnd, 1_000_000, 1_100_000));
  return pick(rnd, ['-1', '0', '7', '8', '4294967296', 'x', '', '1.5', '+1']);
}

function index(rnd: Rnd): string {
  return rnd() < 0.9 ? String(int(rnd, -30, 30)) : pick(rnd, ['-9223372036854775808', '9223372036854775807', 'x', '100000']);
}

function fieldType(rnd: Rnd): string {
  if (rnd() < 0.9) return (rnd() < 0.5 ? 'i' : 'u') + int(rnd, 1, 64);
  return pick(rnd, ['u64', 'i65', 'I8', 'u0', 'x8', 'u']);
}

function fieldOffset(rnd: Rnd): string {
  return rnd() < 0.3 ? `#${int(rnd, 0, 20)}` : rnd() < 0.95 ? String(int(rnd, 0, 200)) : pick(rnd, ['-1', '#-1', 'x', '4294967296']);
}

function fieldValue(rnd: Rnd): string {
  return rnd() < 0.85 ? String(int(rnd, -300, 300)) : pick(rnd, ['9223372036854775807', '-9223372036854775808', 'x', '1e3']);
}

function bitfieldArgs(rnd: Rnd): string[] {
  const out: string[] = [];
  const n = int(rnd, 0, 4);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.35) out.push('GET', fieldType(rnd), fieldOffset(rnd));
    else if (r < 0.6) out.push('SET', fieldType(rnd), fieldOffset(rnd), fieldValue(rnd));
    else if (r < 0.85) out.push('INCRBY', fieldType(rnd), fieldOffset(rnd), fieldValue(rnd));
    else out.push('OVERFLOW', pick(rnd, ['WRAP', 'SAT', 'FAIL', 'fail', 'bad']));
  }
  if (rnd() < 0.05) out.push('GET');
  return out;
}

function rangeArgs(rnd: Rnd, withBit: boolean): string[] {
  const r = rnd();
  if (r < 0.3) return [];
  if (r < 0.45) return [index(rnd)];
  const out = [index(rnd), index(rnd)];
  if (withBit && rnd() < 0.5) out.push(pick(rnd, ['BIT', 'BYTE', 'bit', 'bad']));
  return out;
}

const ELEMENTS = Array.from({ length: 400 }, (_, i) => `el${i}`);

function pfaddArgs(rnd: Rnd): string[] {
  const n = pick(rnd, [0, 1, 3, 10, 50, 300]);
  return Array.from({ length: n }, () => (rnd() < 0.95 ? pick(rnd, ELEMENTS) : value(rnd)));
}

/** One random command of the families under test (and a few that make keys for them). */
export function randomBitsCommand(rnd: Rnd): string[] {
  const r = rnd();
  const key = () => pick(rnd, BIT_KEYS);
  if (r < 0.08) return ['SET', pick(rnd, ANY_KEYS), value(rnd)];
  if (r < 0.1) return ['HSET', 'hash', 'f', 'v'];
  if (r < 0.2) return ['SETBIT', pick(rnd, [...BIT_KEYS, 'hash']), offset(rnd), pick(rnd, ['0', '1', '1', '2', 'x'])];
  if (r < 0.26) return ['GETBIT', pick(rnd, [...BIT_KEYS, 'hash']), offset(rnd)];
  if (r < 0.34) return ['BITCOUNT', pick(rnd, [...BIT_KEYS, 'hash']), ...rangeArgs(rnd, true)];
  if (r < 0.42) return ['BITPOS', key(), pick(rnd, ['0', '1', '1', '2']), ...rangeArgs(rnd, true).slice(0, int(rnd, 0, 3))];
  if (r < 0.48) {
    const op = pick(rnd, ['AND', 'OR', 'XOR', 'NOT', 'not', 'bad']);
    const n = op.toLowerCase() === 'not' && rnd() < 0.8 ? 1 : int(rnd, 1, 3);
    return ['BITOP', op, key(), ...Array.from({ length: n }, () => pick(rnd, [...BIT_KEYS, 'h1']))];
  }
  if (r < 0.58) return ['BITFIELD', pick(rnd, [...BIT_KEYS, 'hash']), ...bitfieldArgs(rnd)];
  if (r < 0.61) return ['BITFIELD_RO', key(), ...bitfieldArgs(rnd)];
  if (r < 0.7) return ['PFADD', pick(rnd, [...HLL_KEYS, 'b1']), ...pfaddArgs(rnd)];
  if (r < 0.77) return ['PFCOUNT', ...Array.from({ length: int(rnd, 1, 3) }, () => pick(rnd, [...HLL_KEYS, 'b1', 'hash']))];
  if (r < 0.81) return ['PFMERGE', pick(rnd, HLL_KEYS), ...Array.from({ length: int(rnd, 0, 2) }, () => pick(rnd, [...HLL_KEYS, 'b2']))];
  if (r < 0.83) return ['PFDEBUG', pick(rnd, ['ENCODING', 'DECODE', 'TODENSE']), pick(rnd, HLL_KEYS)];
  if (r < 0.9) {
    const opts: string[] = [];
    for (const o of ['LEN', 'IDX', 'WITHMATCHLEN']) if (rnd() < 0.3) opts.push(o);
    if (rnd() < 0.2) opts.push('MINMATCHLEN', pick(rnd, ['0', '1', '2', '3', '-1', 'x']));
    if (rnd() < 0.03) opts.push('BOGUS');
    return ['LCS', pick(rnd, [...BIT_KEYS, 'h1', 'hash']), pick(rnd, [...BIT_KEYS, 'hash']), ...opts];
  }
  if (r < 0.94) return ['GET', pick(rnd, [...ANY_KEYS, 'h2', 'h3'])];
  if (r < 0.97) return ['STRLEN', pick(rnd, [...BIT_KEYS, 'h1'])];
  return ['APPEND', pick(rnd, [...BIT_KEYS, 'h1']), value(rnd)];
}

describeDifferential('bitmap, HyperLogLog and LCS differential run against redis-server 7', [
  {
    what: 'bitmap, HyperLogLog and LCS sequences',
    count: COUNT,
    seed: SEED,
    length: 16,
    command: randomBitsCommand,
    // Small enough that HLLs are promoted to dense within a sequence now and then.
    setup: (_rnd, seq) => [['CONFIG', 'SET', 'hll-sparse-max-bytes', seq % 2 === 0 ? '3000' : '200']],
    replyTimeoutMs: 20_000,
  },
]);
