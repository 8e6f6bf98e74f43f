// Differential run of the set commands against redis-server 7: the same random sequences go to
// both servers over raw sockets, in RESP2 and RESP3, and every reply must be the same bytes,
// except that replies listing members are compared sorted (Redis sends a hashtable's members in
// its hash order; both servers send an intset's in integer order, but sorting covers that too).
// Random draws are left out (SPOP/SRANDMEMBER ask for the whole set or for errors), so every
// reply is determined by the commands.
//
// Bounded (DIFF_COUNT sequences, 150 by default; DIFF_SEED fixed), under a minute.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/prng.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = Number(process.env.DIFF_COUNT ?? 150);
const SEED = Number(process.env.DIFF_SEED ?? 20261207);
const LENGTH = 16;

type Rand = () => number;
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const KEYS = ['s1', 's2', 's3', 'str'];
const MEMBERS = [
  '0', '1', '2', '3', '7', '-1', '42', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '01', '-0', '+5', '1.5',
  'a', 'b', 'c', 'member:1', 'member:2', '', 'x'.repeat(70), 'caf\u00e9',
];

function members(r: Rand, min: number, max: number): string[] {
  const n = min + Math.floor(r() * (max - min + 1));
  return Array.from({ length: n }, () => pick(r, MEMBERS));
}

/** Many integers at once, so intsets cross set-max-intset-entries now and then. */
function manyIntegers(r: Rand): string[] {
  const base = Math.floor(r() * 400);
  return Array.from({ length: 150 }, (_, i) => String(base + i));
}

function randomCommand(r: Rand): string[] {
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

type Node = { head: string; items?: Node[] };

function parse(buf: Buffer, at = 0): [Node, number] {
  const eol = buf.indexOf('\r\n', at);
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('latin1', at + 1, eol);
  let pos = eol + 2;
  if (type === '$' && Number(line) >= 0) {
    const n = Number(line);
    return [{ head: type + buf.toString('latin1', pos, pos + n) }, pos + n + 2];
  }
  if ('*~'.includes(type) && Number(line) >= 0) {
    const items: Node[] = [];
    for (let i = 0; i < Number(line); i++) {
      const [node, next] = parse(buf, pos);
      items.push(node);
      pos = next;
    }
    return [{ head: type + line, items }, pos];
  }
  return [{ head: type + line }, pos];
}

const render = (n: Node): string => (n.items ? `${n.head}[${n.items.map(render).join(',')}]` : JSON.stringify(n.head));
const sorted = (n: Node): Node => (n.items ? { head: n.head, items: [...n.items].sort((a, b) => (render(a) < render(b) ? -1 : 1)) } : n);
const LISTS_MEMBERS = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop', 'srandmember']);

function canonical(name: string, raw: string): string {
  const [node] = parse(Buffer.from(raw, 'latin1'));
  if (name === 'sscan' && node.items?.length === 2) return render({ head: node.head, items: [node.items[0]!, sorted(node.items[1]!)] });
  return render(LISTS_MEMBERS.has(name) ? sorted(node) : node);
}

describe('set commands: differential run against redis-server 7', () => {
  let reference: ReferenceRedis | null = null;
  let sealkv: SpawnedServer;

  beforeAll(async () => {
    if (hasRedisServer) reference = await startRedis();
    sealkv = await spawnServer();
  });
  afterAll(async () => {
    await reference?.stop();
    await sealkv?.stop();
  });

  for (const protocol of [2, 3] as const) {
    it(`${COUNT} random set sequences answer as redis-server (RESP${protocol}, seed ${SEED})`, async (t) => {
      if (!reference) return t.skip();
      const rnd = prng(SEED + protocol);
      const mismatches: string[] = [];
      let compared = 0;
      for (let seq = 0; seq < COUNT && mismatches.length < 5; seq++) {
        const ours = await ReplyConnection.open(sealkv.port);
        const theirs = await ReplyConnection.open(reference.port);
        const history: string[] = [];
        try {
          for (const c of [ours, theirs]) {
            await c.send(['FLUSHALL']);
            if (protocol === 3) await c.send(['HELLO', '3']);
          }
          for (let i = 0; i < LENGTH; i++) {
            const args = randomCommand(rnd);
            const name = args[0]!.toLowerCase();
            const [a, b] = [await ours.send(args), await theirs.send(args)];
            history.push(args.map((x) => (x.length > 20 ? JSON.stringify(x.slice(0, 12) + '...') : JSON.stringify(x))).join(' '));
            compared++;
            const same = a === b || (!a.startsWith('<') && !b.startsWith('<') && canonical(name, a) === canonical(name, b));
            if (!same) {
              mismatches.push(`sequence ${seq}:\n  ${history.join('\n  ')}\n  sealkv: ${JSON.stringify(a.slice(0, 300))}\n  redis:  ${JSON.stringify(b.slice(0, 300))}`);
              break;
            }
          }
        } finally {
          ours.close();
          theirs.close();
        }
      }
      expect(mismatches.join('\n\n')).toBe('');
      expect(compared).toBeGreaterThan(COUNT * LENGTH * 0.9);
    }, 120_000);
  }
});
