// Sorted-set structure (src/store/types/zset.ts) at 1e3, 1e5 and 1e6 members, with distinct
// scores and with every score 0 (a lex set: every placement compares members). Members are
// really sealed (XChaCha20-Poly1305, sodium-native when it loads, else WASM) and the comparator
// opens both sides and compares bytes, as the server will; its calls per operation are counted.
// Filling uses a comparator that reads a side table of plaintexts (to keep the run short);
// the measured operations on the filled set use the opening one. Digests are precomputed (the
// member hash is measured with the key-name hasher, not here). Then the heap cost per member of
// a 1e6 set: sealed members as Buffers, as latin1 strings, and the structure alone. Last, the
// same 1e6 members in a Redis-style skiplist with spans (the road not taken), for comparison.
//
//   npm run build && node dist/bench/micro/zset.js [--ops 20000] [--max 1000000]

import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WasmAead, type AeadBackend, type AeadKey } from '../../src/seal/aead.js';
import { NativeAead, loadSodiumNative } from '../../src/seal/native-aead.js';
import { SortedSet, type MemberOrder } from '../../src/store/types/zset.js';
import { fmt } from '../lib/stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const OPS = arg('ops', 20_000);
const MAX = arg('max', 1_000_000);
const NONCE = 24;
const TAG = 16;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Seals members as records nonce | ciphertext+tag, and opens them for the comparator. */
class MemberSealer {
  private readonly ad = Buffer.from('zset-bench-key');
  private readonly a = Buffer.alloc(256);
  private readonly b = Buffer.alloc(256);
  constructor(private readonly aead: AeadBackend, private readonly key: AeadKey) {}

  seal(plain: Buffer): Buffer {
    const record = Buffer.allocUnsafe(NONCE + plain.length + TAG);
    randomBytes(NONCE).copy(record);
    this.aead.seal(record, 0, NONCE, plain, this.ad, this.ad.length, this.key);
    return record;
  }

  private open(record: Buffer, into: Buffer): number {
    const length = record.length - NONCE - TAG;
    if (!this.aead.open(record, 0, NONCE, length + TAG, this.ad, this.ad.length, into, 0, this.key)) throw new Error('open failed');
    return length;
  }

  compare(x: Buffer, y: Buffer): number {
    const lx = this.open(x, this.a);
    const ly = this.open(y, this.b);
    const c = this.a.compare(this.b, 0, ly, 0, lx);
    this.a.fill(0, 0, lx);
    this.b.fill(0, 0, ly);
    return c;
  }

  compareToBound(x: Buffer, bound: Uint8Array): number {
    const lx = this.open(x, this.a);
    const c = this.a.compare(bound, 0, bound.length, 0, lx);
    this.a.fill(0, 0, lx);
    return c;
  }
}

/** The comparator the set is built with; `cheap` switches between the side table and opening. */
function benchOrder(sealer: MemberSealer, plainOf: Map<Buffer, Buffer>) {
  const order = {
    calls: 0,
    cheap: true as boolean,
    compareMembers(a: Buffer, b: Buffer): number {
      order.calls++;
      return order.cheap ? Buffer.compare(plainOf.get(a)!, plainOf.get(b)!) : sealer.compare(a, b);
    },
    compareToBound(a: Buffer, bound: Uint8Array): number {
      order.calls++;
      return order.cheap ? Buffer.compare(plainOf.get(a)!, bound) : sealer.compareToBound(a, bound);
    },
  } satisfies MemberOrder<Buffer> & { calls: number; cheap: boolean };
  return order;
}

/** Operations per second of `fn` run `count` times, and the comparator calls per operation. */
function measure(order: { calls: number }, count: number, fn: (i: number) => void): { rate: number; calls: number } {
  order.calls = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { rate: count / seconds, calls: order.calls / count };
}

function member(i: number): Buffer {
  return Buffer.from(`player:${(i * 2654435761) % 4294967291}`);
}

async function aeadBackend(): Promise<AeadBackend> {
  const native = loadSodiumNative();
  return native ? new NativeAead(native) : WasmAead.create();
}

async function speed(sealer: MemberSealer): Promise<string[]> {
  const lines = [
    '| members | scores | fill (cheap compare) | insert | insert, plain probe | rank | score | range by rank (10) | by score (10) | by lex (10) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  // The first pass (1e3 again) only warms the JIT up.
  for (const [pass, n] of [1_000, 1_000, 100_000, 1_000_000].filter((x) => x <= MAX).entries()) {
    for (const zero of [false, true]) {
      const warmup = pass === 0;
      const plainOf = new Map<Buffer, Buffer>();
      const order = benchOrder(sealer, plainOf);
      const z = new SortedSet<Buffer>(order);
      const total = n + 2 * OPS;
      const digests = randomBytes(total * 16);
      const digest = (i: number) => digests.subarray(i * 16, i * 16 + 16);
      const sealed: Buffer[] = [];
      for (let i = 0; i < total; i++) {
        const plain = member(i);
        const s = sealer.seal(plain);
        plainOf.set(s, plain);
        sealed.push(s);
      }
      const scoreOf = (i: number) => (zero ? 0 : ((i * 7919) % total) + 0.5);
      const fill = measure(order, n, (i) => z.insert(digest(i), scoreOf(i), sealed[i]!));
      order.cheap = false;
      const k = Math.min(OPS, n);
      const pick = (i: number) => (i * 48271) % n;
      const cell = (m: { rate: number; calls: number }) => `${fmt(m.rate)}${zero ? ` (${fmt(m.calls, 1)} cmp)` : ''}`;
      const insert = measure(order, OPS, (i) => z.insert(digest(n + i), scoreOf(n + i), sealed[n + i]!));
      // ZADD has the member's bytes: each tie comparison then opens one member, not two.
      const j = n + OPS;
      const insertPlain = measure(order, OPS, (i) => z.insert(digest(j + i), scoreOf(j + i), sealed[j + i]!, member(j + i)));
      const rank = measure(order, k, (i) => z.rank(digest(pick(i))));
      const score = measure(order, k, (i) => z.score(digest(pick(i))));
      let sink = 0;
      const take = (s: Buffer) => void (sink += s.length);
      const byRank = measure(order, k, (i) => z.each(pick(i), pick(i) + 10, false, take));
      const byScore = measure(order, k, (i) => {
        const [start, end] = z.scoreRange({ value: zero ? 0 : pick(i), exclusive: false }, { value: Infinity, exclusive: false });
        z.each(start, Math.min(end, start + 10), false, take);
      });
      const byLex = zero
        ? measure(order, Math.min(k, 5_000), (i) => {
            const [start, end] = z.lexRange({ value: member(pick(i)), exclusive: false }, '+');
            z.each(start, Math.min(end, start + 10), false, take);
          })
        : undefined;
      if (sink < 0) console.log(sink);
      if (warmup) continue;
      lines.push(
        `| ${fmt(n)} | ${zero ? 'all 0' : 'distinct'} | ${cell(fill)} | ${cell(insert)} | ${cell(insertPlain)} | ${cell(rank)} | ${cell(score)} | ${cell(byRank)} | ${cell(byScore)} | ${byLex ? cell(byLex) : '–'} |`,
      );
      console.log(lines[lines.length - 1]);
    }
  }
  return lines;
}

/**
 * Heap and ArrayBuffer bytes in use after full collections. ArrayBuffer backing stores are
 * released by a background sweeper after the collection: wait for it before reading.
 */
async function used(): Promise<number> {
  let last = -1;
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const m = process.memoryUsage();
    if (m.heapUsed + m.arrayBuffers === last) break;
    last = m.heapUsed + m.arrayBuffers;
  }
  return last;
}

async function memory(sealer: MemberSealer): Promise<string[]> {
  const n = Math.min(MAX, 1_000_000);
  const lines = [`| ${fmt(n)} members, distinct scores, ~20-byte members | bytes per member |`, '|---|---:|'];
  const order = { compareMembers: () => 0, compareToBound: () => 0 };
  const digests = randomBytes(n * 16);
  const one = sealer.seal(member(1));
  const sample = one.toString('latin1');
  const cases: [string, (z: SortedSet<unknown>, i: number) => void][] = [
    ['structure alone (one shared sealed member)', (z, i) => z.insert(digests.subarray(i * 16, i * 16 + 16), i, one)],
    ['sealed members as Buffers', (z, i) => z.insert(digests.subarray(i * 16, i * 16 + 16), i, sealer.seal(member(i)))],
    ['sealed members as latin1 strings', (z, i) => z.insert(digests.subarray(i * 16, i * 16 + 16), i, sealer.seal(member(i)).toString('latin1'))],
  ];
  for (const [name, add] of cases) {
    const before = await used();
    let z: SortedSet<unknown> | null = new SortedSet<unknown>(order);
    for (let i = 0; i < n; i++) add(z, i);
    const after = await used();
    lines.push(`| ${name} | ${fmt((after - before) / n, 1)} |`);
    if (name.startsWith('structure')) lines.push(`| (memoryBytes() estimate of the structure) | ${fmt(z.memoryBytes() / n, 1)} |`);
    z = null;
  }
  console.log(lines.slice(2).join('\n'));
  lines.push(`| (a sealed member here: ${one.length} bytes for ${member(1).length} bytes of member, string form ${sample.length} chars) | |`);
  return lines;
}

// ---- baseline: the skiplist with spans of redis t_zset.c, as V8 objects --------------------
// Kept only to show why the structure is a B+tree: the same 1e6 members (distinct scores, so
// no comparator), a node per member with level arrays, and a Map from digest string to node.

const MAX_LEVEL = 32;

class SkipNode {
  backward: SkipNode | null = null;
  readonly next: (SkipNode | null)[];
  readonly span: number[];
  constructor(level: number, readonly score: number, readonly sealed: unknown) {
    this.next = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

class SkipList {
  private readonly head = new SkipNode(MAX_LEVEL, 0, null);
  private level = 1;
  private length = 0;
  private readonly dict = new Map<string, SkipNode>();
  private readonly update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL);
  private readonly rankAt: number[] = new Array<number>(MAX_LEVEL).fill(0);

  insert(digest: string, score: number, sealed: unknown): void {
    const { update, rankAt } = this;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rankAt[i] = i === this.level - 1 ? 0 : rankAt[i + 1]!;
      while (x.next[i] !== null && x.next[i]!.score < score) {
        rankAt[i]! += x.span[i]!;
        x = x.next[i]!;
      }
      update[i] = x;
    }
    let level = 1;
    while (Math.random() < 0.25 && level < MAX_LEVEL) level++;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankAt[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(level, score, sealed);
    for (let i = 0; i < level; i++) {
      node.next[i] = update[i]!.next[i]!;
      update[i]!.next[i] = node;
      node.span[i] = update[i]!.span[i]! - (rankAt[0]! - rankAt[i]!);
      update[i]!.span[i] = rankAt[0]! - rankAt[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    node.backward = update[0] === this.head ? null : update[0]!;
    this.length++;
    this.dict.set(digest, node);
  }

  rank(digest: string): number {
    const node = this.dict.get(digest)!;
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && x.next[i]!.score <= node.score) {
        rank += x.span[i]!;
        x = x.next[i]!;
      }
      if (x === node) return rank - 1;
    }
    return -1;
  }
}

async function baseline(): Promise<string[]> {
  const n = Math.min(MAX, 1_000_000);
  const digests = randomBytes(n * 16);
  const sealed = Buffer.alloc(57);
  const scoreOf = (i: number) => ((i * 7919) % n) + 0.5;
  const probes = Math.min(n, 100_000);
  const lines = [`| ${fmt(n)} members, distinct scores | insert (ns) | rank (ns) | bytes per member |`, '|---|---:|---:|---:|'];
  for (const kind of ['B+tree (zset.ts)', 'skiplist with spans + Map']) {
    const keys = kind.startsWith('skip') ? Array.from({ length: n }, (_, i) => digests.toString('latin1', i * 16, i * 16 + 16)) : [];
    const before = await used();
    let rank: (i: number) => number;
    let start = process.hrtime.bigint();
    if (kind.startsWith('skip')) {
      const s = new SkipList();
      for (let i = 0; i < n; i++) s.insert(keys[i]!, scoreOf(i), sealed);
      rank = (i) => s.rank(keys[i]!);
    } else {
      const z = new SortedSet<Buffer>({ compareMembers: () => 0, compareToBound: () => 0 });
      for (let i = 0; i < n; i++) z.insert(digests.subarray(i * 16, i * 16 + 16), scoreOf(i), sealed);
      rank = (i) => z.rank(digests.subarray(i * 16, i * 16 + 16))!;
    }
    const insert = Number(process.hrtime.bigint() - start) / n;
    const bytes = (await used() - before) / n;
    start = process.hrtime.bigint();
    let sink = 0;
    for (let i = 0; i < probes; i++) sink += rank((i * 48271) % n);
    const rankNs = Number(process.hrtime.bigint() - start) / probes;
    if (sink < 0) console.log(sink);
    lines.push(`| ${kind} | ${fmt(insert)} | ${fmt(rankNs)} | ${fmt(bytes, 1)} |`);
    console.log(lines[lines.length - 1]);
  }
  return lines;
}

/** Small sets (sessions, per-user sets): the fixed cost of a tree per key dominates. */
async function smallSets(sealer: MemberSealer): Promise<string[]> {
  const keys = Math.min(200_000, MAX);
  const order = { compareMembers: () => 0, compareToBound: () => 0 };
  const digests = randomBytes(keys * 5 * 16);
  const one = sealer.seal(member(1));
  const before = await used();
  let small: SortedSet<unknown>[] | null = [];
  for (let k = 0; k < keys; k++) {
    const z = new SortedSet<unknown>(order);
    for (let i = 0; i < 5; i++) z.insert(digests.subarray((k * 5 + i) * 16, (k * 5 + i) * 16 + 16), i, one);
    small.push(z);
  }
  const after = await used();
  // Read the sets after measuring: V8 collects locals it sees no later use of.
  if (small.length !== keys) throw new Error('lost sets');
  const line = `| ${fmt(keys)} sets of 5 members, structure alone (one shared sealed member) | ${fmt((after - before) / (keys * 5), 1)} |`;
  small = null;
  console.log(line);
  return [line];
}

export async function runZsetBench(): Promise<string[]> {
  const aead = await aeadBackend();
  const sealer = new MemberSealer(aead, aead.importKey(randomBytes(32)));
  console.log(`AEAD backend: ${aead.name}; ops/s, comparator calls per op in brackets for all-0 sets`);
  return [...(await speed(sealer)), '', ...(await memory(sealer)), ...(await smallSets(sealer)), '', ...(await baseline())];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runZsetBench();
}
