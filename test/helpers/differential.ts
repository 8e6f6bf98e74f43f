// One runner for the differential tests against redis-server 7: random command sequences go to
// sealkv and to redis-server over raw sockets, in RESP2 and in RESP3, from a fixed seed, and each
// reply must be the same bytes — or, where a family says so (`agree`), the same once what Redis
// leaves unordered or clock-dependent is set aside. A sequence starts on fresh connections after
// FLUSHALL and stops at its first mismatch, which is reported with the commands that led to it
// and the seed that replays it. Families bring only their generator and their judge.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from './prng.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from './reference-redis.js';
import { spawnServer, type SpawnedServer } from './server.js';

/**
 * A differential run's bound or seed from the first of `names` set in the environment (a
 * family's own variable first, then the shared DIFF_COUNT / DIFF_SEED), else `fallback`. A
 * seed of `random` is a new one per run (printed with each mismatch); anything not a number
 * stops the run instead of comparing nothing.
 */
export function fromEnv(names: readonly string[], fallback: number, what: 'count' | 'seed'): number {
  const raw = names.map((n) => process.env[n]).find((v) => v !== undefined && v !== '');
  // DIFF_SCALE (npm run differential:all) multiplies every family's own bound.
  if (raw === undefined) return what === 'count' ? fallback * wholeNumber('DIFF_SCALE', process.env.DIFF_SCALE || '1') : fallback;
  if (what === 'seed' && raw === 'random') return Date.now() % 2 ** 31;
  return wholeNumber(names[0]!, raw);
}

function wholeNumber(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}: not a whole number: ${raw}`);
  return value;
}

export type Rnd = () => number;
export const pick = <T,>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
export const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/** A reply as a tree: `head` is the type byte and its line (a bulk string's contents included). */
export type ReplyNode = { head: string; items?: ReplyNode[] };

function parseAt(buf: Buffer, at: number): [ReplyNode, number] {
  const eol = buf.indexOf('\r\n', at);
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('latin1', at + 1, eol);
  let pos = eol + 2;
  if ('$=!'.includes(type) && Number(line) >= 0) {
    const n = Number(line);
    return [{ head: type + buf.toString('latin1', pos, pos + n) }, pos + n + 2];
  }
  if ('*~>%|'.includes(type) && Number(line) >= 0) {
    const count = Number(line) * ('%|'.includes(type) ? 2 : 1);
    const items: ReplyNode[] = [];
    for (let i = 0; i < count; i++) {
      const [node, next] = parseAt(buf, pos);
      items.push(node);
      pos = next;
    }
    return [{ head: type + line, items }, pos];
  }
  return [{ head: type + line }, pos];
}

/** The first reply of `raw` (latin1, as ReplyConnection returns it) as a tree. */
export function parseReply(raw: string): ReplyNode {
  return parseAt(Buffer.from(raw, 'latin1'), 0)[0];
}

export const renderReply = (n: ReplyNode): string => (n.items ? `${n.head}[${n.items.map(renderReply).join(',')}]` : JSON.stringify(n.head));

/** The node with its elements sorted: for replies whose order Redis does not promise. */
export const sortedItems = (n: ReplyNode): ReplyNode =>
  n.items ? { head: n.head, items: [...n.items].sort((a, b) => (renderReply(a) < renderReply(b) ? -1 : 1)) } : n;

/** Integer replies that depend on the clock: allowed to differ by this much. */
const CLOCK_SLACK: Record<string, number> = { ttl: 1, pttl: 100, expiretime: 1, pexpiretime: 100 };

/**
 * README, Differences of detail: a string's OBJECT ENCODING (and so REFCOUNT) comes from its
 * current value; Redis also remembers APPEND/SETRANGE (raw) and INCRBYFLOAT (never int).
 */
export function encodingFromContent(args: string[], ours: ReplyNode, theirs: ReplyNode): boolean {
  const sub = args[1]?.toLowerCase();
  if (sub === 'encoding') return ['$int', '$embstr'].includes(ours.head) && ['$embstr', '$raw'].includes(theirs.head);
  return sub === 'refcount' && ours.head === ':2147483647' && theirs.head === ':1';
}

export function sameClock(name: string, a: ReplyNode, b: ReplyNode): boolean {
  const slack = CLOCK_SLACK[name];
  if (slack === undefined || a.head[0] !== ':' || b.head[0] !== ':') return false;
  const x = Number(a.head.slice(1));
  const y = Number(b.head.slice(1));
  return x >= 0 && y >= 0 && Math.abs(x - y) <= slack;
}

/**
 * Whether two replies that differ in bytes still agree. `queued` lists the (lower-case) names
 * of the commands queued in the open MULTI, as redis-server accepted them, so EXEC's elements
 * can be judged by their commands. Never called with a '<closed>'/'<timeout>' marker.
 */
export type Judge = (args: string[], ours: string, theirs: string, queued: readonly string[]) => boolean;

export interface DifferentialFamily {
  /** Names the sequences in the test's title: `${count} random ${what} ...`. */
  what: string;
  count: number;
  seed: number;
  /** Commands per sequence. */
  length: number;
  command(rnd: Rnd): string[];
  /** Commands sent to both servers after FLUSHALL, before the compared ones (replies not compared). */
  setup?(rnd: Rnd, seq: number): string[][];
  agree?: Judge;
  /** How long one reply may take (default 5 s). */
  replyTimeoutMs?: number;
}

const clip = (s: string, n: number) => JSON.stringify(s.length > n ? `${s.slice(0, n)}...` : s);
// Mismatching sequences a run collects before it stops; DIFF_MAX_MISMATCHES raises it when hunting.
const MAX_MISMATCHES = Number(process.env.DIFF_MAX_MISMATCHES || 5);

async function runSequences(family: DifferentialFamily, protocol: 2 | 3, ourPort: number, theirPort: number) {
  const seed = family.seed + protocol;
  const rnd = prng(seed);
  const mismatches: string[] = [];
  let compared = 0;
  let aggregates = 0;
  for (let seq = 0; seq < family.count && mismatches.length < MAX_MISMATCHES; seq++) {
    const ours = await ReplyConnection.open(ourPort);
    const theirs = await ReplyConnection.open(theirPort);
    const history: string[] = [];
    const note = (args: string[]) => history.push(args.map((x) => clip(x, 60)).join(' '));
    try {
      const setup = [['FLUSHALL'], ...(protocol === 3 ? [['HELLO', '3']] : []), ...(family.setup?.(rnd, seq) ?? [])];
      for (const args of setup) {
        for (const c of [ours, theirs]) await c.send(args, family.replyTimeoutMs);
        if (args.length > 1 && args[0] !== 'HELLO') note(args);
      }
      let queued: string[] | null = null;
      for (let i = 0; i < family.length; i++) {
        const args = family.command(rnd);
        const name = args[0]!.toLowerCase();
        const a = await ours.send(args, family.replyTimeoutMs);
        const b = await theirs.send(args, family.replyTimeoutMs);
        note(args);
        compared++;
        const markers = a.startsWith('<') || b.startsWith('<');
        const same = a === b || (!markers && (family.agree?.(args, a, b, queued ?? []) ?? false));
        if (!same) {
          mismatches.push(`seed ${seed} sequence ${seq}:\n  ${history.join('\n  ')}\n  last, whole: ${clip(args.join(' '), 3000)}\n  sealkv: ${clip(a, 400)}\n  redis:  ${clip(b, 400)}`);
          break;
        }
        if (markers) break; // both closed the connection (or both still wait): the sequence ends
        if (/^[*%~][1-9]/.test(b)) aggregates++;
        // Follow MULTI as redis-server did, so EXEC's elements are judged by their commands.
        if (name === 'multi' && b.startsWith('+OK')) queued = [];
        else if (queued && b.startsWith('+QUEUED')) queued.push(name);
        else if (name === 'exec' || name === 'discard' || (queued && b.startsWith('-EXECABORT'))) queued = null;
      }
    } finally {
      ours.close();
      theirs.close();
    }
  }
  return { seed, mismatches, compared, aggregates };
}

/**
 * A describe block that starts one sealkv and one redis-server and, for each family, one test
 * per protocol. Skipped with a message where redis-server is not installed (CI installs it).
 */
export function describeDifferential(title: string, families: DifferentialFamily[], extraServerArgs: string[] = []): void {
  // DIFF_SEAL_KEYS=yes runs every family against a sealkv with key names sealed as well.
  const serverArgs = process.env.DIFF_SEAL_KEYS === 'yes' && !extraServerArgs.includes('--seal-keys') ? [...extraServerArgs, '--seal-keys', 'yes'] : extraServerArgs;
  describe.skipIf(!hasRedisServer)(title, () => {
    let reference: ReferenceRedis;
    let sealkv: SpawnedServer;

    beforeAll(async () => {
      [reference, sealkv] = await Promise.all([startRedis(), spawnServer(serverArgs)]);
    });

    afterAll(async () => {
      await Promise.all([reference?.stop(), sealkv?.stop()]);
    });

    for (const family of families) {
      for (const protocol of [2, 3] as const) {
        it(`${family.count} random ${family.what} answer as redis-server (RESP${protocol}, seed ${family.seed + protocol})`, async () => {
          const { mismatches, compared, aggregates } = await runSequences(family, protocol, sealkv.port, reference.port);
          console.log(`differential ${family.what} RESP${protocol}: ${compared} commands compared (${aggregates} non-empty aggregate replies), ${mismatches.length} mismatches`);
          expect(mismatches, mismatches.join('\n\n')).toEqual([]);
          expect(compared).toBeGreaterThan(family.count * family.length * 0.9);
        }, Math.max(120_000, family.count * family.length * 60));
      }
    }
  });
  if (!hasRedisServer) console.warn(`${title}: redis-server is not installed, skipped`);
}
