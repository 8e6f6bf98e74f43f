// Differential run of the set commands against redis-server 7: the same random sequences go to
// both servers over raw sockets, in RESP2 and RESP3, and every reply must be the same bytes,
// except that replies listing members are compared sorted (Redis sends a hashtable's members in
// its hash order; both servers send an intset's in integer order, but sorting covers that too).
// Rndom draws are left out (SPOP/SRANDMEMBER ask for the whole set or for errors), so every
// reply is determined by the commands.
//
// Bounded (DIFF_COUNT sequences, 150 by default; DIFF_SEED fixed), under a minute.

import { describeDifferential, parseReply, pick, renderReply, sortedItems, type Rnd, fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_COUNT'], 150, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261207, 'seed');


const KEYS = ['s1', 's2', 's3', 'str'];
const MEMBERS = [
  '0', '1', '2', '3', '7', '-1', '42', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '01', '-0', '+5', '1.5',
  'a', 'b', 'c', 'member:1', 'member:2', '', 'x'.repeat(70), 'caf\u00e9',
];

function members(r: Rnd, min: number, max: number): string[] {
  const n = min + Math.floor(r() * (max - min + 1));
  return Array.from({ length: n }, () => pick(r, MEMBERS));
}

/** Many integers at once, so intsets cross set-max-intset-entries now and then. */
function manyIntegers(r: Rnd): string[] {
  const base = Math.floor(r() * 400);
  return Array.from({ length: 150 }, (_, i) => String(base + i));
}

function randomCommand(r: Rnd): string[] {
  const k = () => pick(r, KEYS);
  const keys = (min: number) => Array.from({ length: min + Math.floor(r() * 3) }, k);
  switch (Math.floor(r() * 24)) {
    case 0: case 1: case 2: return ['SADD', k(), ...members(r, 1, 5)];
    case 3: return ['SADD', k(), ...manyIntegers(r)];
    case 4: case 5: return ['SREM', k(), ...members(r, 1, 4)];
    case 6: return ['SISMEMBER', k(), pick(r, MEMBERS)];
    case 7: return ['SMISMEMBER', k(), ...members(r, 1, 4)];
    case 8: return ['SCARD', k()];
    case 9: case 10: return ['SMEMBERS', k()];
    case 11: return ['SMOVE', k(), k(), pick(r, MEMBERS)];
    case 12: return [pick(r, ['SINTER', 'SUNION', 'SDIFF']), ...keys(1)];
    case 13: return [pick(r, ['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), k(), ...keys(1)];
    case 14: {
      const ks = keys(1);
      const n = pick(r, [String(ks.length), String(ks.length + 1), '0', '-1']);
      return ['SINTERCARD', n, ...ks, ...(r() < 0.5 ? ['LIMIT', pick(r, ['0', '1', '2', '-1', 'x'])] : [])];
    }
    case 15: return ['SPOP', k(), pick(r, ['1000', '0', '-1', 'x'])];
    case 16: return ['SRANDMEMBER', k(), pick(r, ['1000', '0', 'x', '-9223372036854775808'])];
    case 17: return ['SSCAN', k(), pick(r, ['0', 'x']), ...(r() < 0.5 ? ['MATCH', pick(r, ['*', '1*', 'a*', '?', '*:*'])] : []), 'COUNT', pick(r, ['1000', '0'])];
    case 18: return ['OBJECT', 'ENCODING', k()];
    case 19: return ['TYPE', k()];
    case 20: return ['SET', 'str', 'v'];
    case 21: return ['DEL', k()];
    case 22: return ['EXISTS', ...keys(1)];
    default: return ['SPOP', k()].concat(r() < 0.5 ? ['1', '2'] : ['x', 'y']);
  }
}

const LISTS_MEMBERS = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop', 'srandmember']);

function canonical(name: string, raw: string): string {
  const node = parseReply(raw);
  if (name === 'sscan' && node.items?.length === 2) return renderReply({ head: node.head, items: [node.items[0]!, sortedItems(node.items[1]!)] });
  return renderReply(LISTS_MEMBERS.has(name) ? sortedItems(node) : node);
}

describeDifferential('set commands: differential run against redis-server 7', [
  {
    what: 'set sequences',
    count: COUNT,
    seed: SEED,
    length: 16,
    command: randomCommand,
    agree: (args, ours, theirs) => canonical(args[0]!.toLowerCase(), ours) === canonical(args[0]!.toLowerCase(), theirs),
  },
]);
