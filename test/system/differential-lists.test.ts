// Differential run of list commands against redis-server 7: random sequences over a few keys
// (lists, one string, missing keys) with small elements that repeat, indexes around the ends,
// counts, ranks and bad arguments, sent to both servers in RESP2 and RESP3; every reply must be
// the same bytes (lists are ordered, so nothing is sorted first). Bounded by a fixed seed and
// count (DIFF_LIST_COUNT, DIFF_LIST_SEED to replay or run longer).

import { describeDifferential, int, pick, type Rnd, fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_LIST_COUNT', 'DIFF_COUNT'], 150, 'count');
const SEED = fromEnv(['DIFF_LIST_SEED', 'DIFF_SEED'], 20261207, 'seed');


const KEYS = ['l1', 'l2', 'l3', 'str', 'none'];
const LISTS = ['l1', 'l1', 'l2', 'l3'];
/** Few distinct elements, so LREM, LPOS and LINSERT find matches; one long, one empty, one binary. */
const ELEMENTS = ['a', 'b', 'c', 'a', 'b', '', 'x'.repeat(70), '\u0000\r\n', '12345'];
const SIDES = ['LEFT', 'RIGHT', 'left', 'right', 'UP'];

function index(rnd: Rnd): string {
  const r = rnd();
  if (r < 0.05) return pick(rnd, ['x', '9223372036854775807', '-9223372036854775808', '1.5']);
  return String(int(rnd, -9, 9));
}

function elements(rnd: Rnd, n: number): string[] {
  return Array.from({ length: n }, () => pick(rnd, ELEMENTS));
}

/** One random command, mostly lists, sometimes the string key or wrong arguments. */
function listCommand(rnd: Rnd): string[] {
  const key = rnd() < 0.85 ? pick(rnd, LISTS) : pick(rnd, KEYS);
  const other = pick(rnd, KEYS);
  switch (int(rnd, 0, 22)) {
    case 0: case 1: return ['LPUSH', key, ...elements(rnd, int(rnd, 1, 4))];
    case 2: case 3: return ['RPUSH', key, ...elements(rnd, int(rnd, 1, 4))];
    case 4: return [pick(rnd, ['LPUSHX', 'RPUSHX']), key, ...elements(rnd, int(rnd, 1, 2))];
    case 5: return rnd() < 0.5 ? [pick(rnd, ['LPOP', 'RPOP']), key] : [pick(rnd, ['LPOP', 'RPOP']), key, pick(rnd, ['0', '1', '2', '5', '-1', 'x'])];
    case 6: return ['LLEN', key];
    case 7: case 8: return ['LRANGE', key, index(rnd), index(rnd)];
    case 9: return ['LINDEX', key, index(rnd)];
    case 10: return ['LSET', key, index(rnd), pick(rnd, ELEMENTS)];
    case 11: return ['LINSERT', key, pick(rnd, ['BEFORE', 'AFTER', 'after', 'NEAR']), pick(rnd, ELEMENTS), pick(rnd, ELEMENTS)];
    case 12: return ['LREM', key, pick(rnd, ['0', '1', '-1', '2', '-2', 'x']), pick(rnd, ELEMENTS)];
    case 13: return ['LTRIM', key, index(rnd), index(rnd)];
    case 14: {
      const args = ['LPOS', key, pick(rnd, ELEMENTS)];
      if (rnd() < 0.5) args.push('RANK', pick(rnd, ['1', '2', '-1', '-2', '0', '3']));
      if (rnd() < 0.5) args.push('COUNT', pick(rnd, ['0', '1', '2', '-1']));
      if (rnd() < 0.3) args.push('MAXLEN', pick(rnd, ['0', '1', '3', '-1']));
      if (rnd() < 0.05) args.push('BOGUS');
      return args;
    }
    case 15: return ['LMOVE', key, rnd() < 0.3 ? key : other, pick(rnd, SIDES), pick(rnd, SIDES)];
    case 16: return ['RPOPLPUSH', key, rnd() < 0.3 ? key : other];
    case 17: {
      const n = int(rnd, 1, 3);
      const args = ['LMPOP', rnd() < 0.05 ? '0' : String(n), ...Array.from({ length: n }, () => pick(rnd, KEYS)), pick(rnd, SIDES)];
      if (rnd() < 0.5) args.push('COUNT', pick(rnd, ['1', '2', '10', '0']));
      return args;
    }
    case 18: return ['SET', 'str', pick(rnd, ELEMENTS)];
    case 19: return [pick(rnd, ['TYPE', 'EXISTS', 'DEL']), key];
    case 20: return [pick(rnd, ['BLPOP', 'BRPOP']), key, other, '0.01'];
    case 21: return ['BLMOVE', key, other, pick(rnd, SIDES), pick(rnd, SIDES), '0.01'];
    default: return ['LRANGE', key, '0', '-1'];
  }
}

/**
 * The same commands over lists of several nodes: node sizes changed now and then (a few
 * elements per node, or bytes), and large pushes (over 2 KiB) that build sealed nodes from their
 * arguments.
 */
function nodeCommand(rnd: Rnd): string[] {
  const r = rnd();
  if (r < 0.04) return ['CONFIG', 'SET', 'list-max-listpack-size', pick(rnd, ['1', '2', '3', '5', '-1', '-2'])];
  if (r < 0.14) return [pick(rnd, ['RPUSH', 'LPUSH']), pick(rnd, LISTS), ...elements(rnd, int(rnd, 150, 400))];
  return listCommand(rnd);
}

describeDifferential('list commands, differential against redis-server 7', [
  { what: 'sequences of list commands', count: COUNT, seed: SEED, length: 25, command: listCommand },
  { what: 'sequences over lists of many nodes', count: Math.ceil(COUNT / 2), seed: SEED + 100, length: 40, command: nodeCommand },
]);
