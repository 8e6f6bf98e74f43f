// The list and set structures (src/store/types/) on their own, with stand-in sealed elements of
// 60 bytes (a 15-byte plaintext sealed: 45 bytes of header, nonce and tag), against the plain JS
// layouts they replace: an Array of Buffers for the list, a Map from the latin1 digest string to
// a Buffer for the set (what hashes use today). Memory is measured, not estimated: V8 heap plus
// ArrayBuffer bytes, after a full GC, before and after building (run with --expose-gc); the
// structures' own memoryBytes() estimate is printed beside it. Speeds are medians of a few
// interleaved rounds. Kept short: one core's worth of seconds.
//
//   node --expose-gc dist/bench/micro/collections.js [--n 1000000] [--rounds 3]

import { RecordArena } from '../../src/store/record-arena.js';
import { SlabAllocator } from '../../src/seal/slab.js';
import { SealedList, type ListCodec } from '../../src/store/types/list.js';
import { DIGEST_BYTES, SealedSet, type SetCodec } from '../../src/store/types/set.js';
import { fmt, summarize } from '../lib/stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const N = arg('n', 1_000_000);
const ROUNDS = arg('rounds', 3);
const SEALED = 60;
const SMALL_KEYS = 200_000;
const SMALL_SIZE = 5;

/** Buffer's latin1Slice (public at run time, missing from @types/node): the lookup string hashes use. */
function latin1(b: Buffer): string {
  return (b as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, b.length);
}

const gc = (globalThis as { gc?: () => void }).gc;

function used(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Bytes the structures built by `build` hold, measured. Building is split into event-loop
 * turns of `step` calls, as commands arrive in the server: blocks a growing node or table gives
 * up are recycled only after the turn they were freed in (record-arena.ts).
 */
async function measure<T>(start: () => T, step: (value: T, i: number) => void, count: number): Promise<{ bytes: number; value: T }> {
  const before = used();
  const value = start();
  for (let i = 0; i < count; i++) {
    step(value, i);
    if (i % 10_000 === 9_999) await turn();
  }
  await turn();
  const bytes = used() - before;
  return { bytes, value };
}

function nsPer(fn: () => void, ops: number): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / ops;
}

function median(samples: number[]): string {
  return fmt(summarize(samples).median, 0);
}

// A stand-in sealed element per index: random-looking bytes, the index in the first four.
const slabs = new SlabAllocator();
function sealedElement(i: number): Buffer {
  const out = slabs.alloc(SEALED);
  for (let j = 4; j < SEALED; j++) out[j] = (i * 31 + j * 17) & 0xff;
  out.writeUInt32LE(i >>> 0, 0);
  return out;
}
const template = Buffer.alloc(SEALED, 0xab);
function digestOf(i: number, out: Buffer): Buffer {
  out.writeUInt32LE(Math.imul(i + 1, 2654435761) >>> 0, 0);
  out.writeUInt32LE(i, 4);
  out.writeUInt32LE(Math.imul(i, 40503) >>> 0, 8);
  out.writeUInt32LE(i ^ 0x5bd1e995, 12);
  return out;
}

/**
 * The list's structure alone: "sealing" copies the bytes behind a seal-sized gap (the real
 * codec, src/seal/list-codec.ts, adds the AEAD's cost on top).
 */
const NO_CRYPTO: ListCodec = {
  overhead: 45,
  nodeBytes: 8192,
  nodeCount: 65535,
  sealElement: (plain, out, at) => void out.set(plain, at + 45),
  openElement: (src, start, length, out, at) => void src.copy(out, at, start + 45, start + length),
  sealNode: (_id, plain, out, at) => void out.set(plain, at + 45),
  openNode: (_id, src, start, length, out, at) => void src.copy(out, at, start + 45, start + length),
  broken: (what) => {
    throw new Error(what);
  },
};

async function listBench(): Promise<string[]> {
  const lines = ['### List', '', `| layout | ${fmt(N)} elements: bytes/element (measured) | memoryBytes()/element | RPUSH ns/op | LPUSH+RPOP ns/op (RPOP in place: takeTail) | LINDEX middle µs | LRANGE 0 99 µs | ${fmt(SMALL_KEYS)} lists of ${SMALL_SIZE}: bytes/element |`, '|---|---:|---:|---:|---:|---:|---:|---:|'];

  // Memory, one big list of each.
  const sealedList = await measure(() => new SealedList(new RecordArena()), (list) => list.pushTail(template, NO_CRYPTO), N);
  const arrayList = await measure((): Buffer[] => [], (list, i) => list.push(sealedElement(i)), N);
  // Small lists filled key by key (RPUSH k e1 .. e5, or a client's pushes in a row). Filling them
  // round-robin instead leaves each growth step's freed blocks on a size class nobody asks for
  // again in this pattern (measured: about 2.4x the bytes).
  const arena = new RecordArena();
  const smallSealed = await measure(() => Array.from({ length: SMALL_KEYS }, () => new SealedList(arena)), (lists, i) => lists[Math.floor(i / SMALL_SIZE)]!.pushTail(template, NO_CRYPTO), SMALL_KEYS * SMALL_SIZE);
  const smallArray = await measure(() => Array.from({ length: SMALL_KEYS }, (): Buffer[] => []), (lists, i) => lists[Math.floor(i / SMALL_SIZE)]!.push(sealedElement(i)), SMALL_KEYS * SMALL_SIZE);
  const smallEstimate = smallSealed.value.reduce((n, l) => n + l.memoryBytes(), 0) / (SMALL_KEYS * SMALL_SIZE);

  // Speed: interleaved rounds on fresh structures of 100 k.
  const M = 100_000;
  const t = { sp: [] as number[], ap: [] as number[], sq: [] as number[], aq: [] as number[], si: [] as number[], ai: [] as number[], sr: [] as number[], ar: [] as number[] };
  const big = sealedList.value;
  const arr = arrayList.value;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const sl = new SealedList(new RecordArena());
    t.sp.push(nsPer(() => { for (let i = 0; i < M; i++) sl.pushTail(template, NO_CRYPTO); }, M));
    const al: Buffer[] = [];
    t.ap.push(nsPer(() => { for (let i = 0; i < M; i++) al.push(Buffer.from(template)); }, M));
    t.sq.push(nsPer(() => { for (let i = 0; i < M; i++) { sl.pushHead(template, NO_CRYPTO); sl.takeTail((b, s) => void (sink += b[s]!), NO_CRYPTO); } }, M));
    t.aq.push(nsPer(() => { for (let i = 0; i < M; i++) { al.unshift(Buffer.from(template)); Buffer.from(al.pop()!); } }, M));
    t.si.push(nsPer(() => { for (let i = 0; i < 200; i++) sink += big.at((N >> 1) + i, NO_CRYPTO)!.length; }, 200) / 1000);
    t.ai.push(nsPer(() => { for (let i = 0; i < 200; i++) sink += arr[(N >> 1) + i]!.length; }, 200) / 1000);
    t.sr.push(nsPer(() => { for (let i = 0; i < 100; i++) big.range(0, 99, (b, s, l) => void (sink += b[s]! + l), NO_CRYPTO); }, 100) / 1000);
    t.ar.push(nsPer(() => { for (let i = 0; i < 100; i++) for (let j = 0; j < 100; j++) sink += arr[j]![0]! + arr[j]!.length; }, 100) / 1000);
  }
  if (sink === -1) console.log(sink);
  const f2 = (s: number[]) => fmt(summarize(s).median, 2);
  lines.push(`| SealedList (8 KiB nodes in arena blocks) | ${fmt(sealedList.bytes / N, 1)} | ${fmt(big.memoryBytes() / N, 1)} | ${median(t.sp)} | ${median(t.sq)} | ${f2(t.si)} | ${f2(t.sr)} | ${fmt(smallSealed.bytes / (SMALL_KEYS * SMALL_SIZE), 1)} (est. ${fmt(smallEstimate, 1)}) |`);
  lines.push(`| Array of Buffers (slab views) | ${fmt(arrayList.bytes / N, 1)} | – | ${median(t.ap)} | ${median(t.aq)} | ${f2(t.ai)} | ${f2(t.ar)} | ${fmt(smallArray.bytes / (SMALL_KEYS * SMALL_SIZE), 1)} |`);
  lines.push('', `Sealed element: ${SEALED} bytes, so the floor is ${SEALED} bytes/element; the list has ${fmt(big.nodeCount)} nodes for ${fmt(N)} elements.`);
  return lines;
}

/** A stand-in codec for the set's nodes: copies plaintext and leaves a seal's room (no crypto: the structure's cost alone). */
const plainCodec: SetCodec = {
  overhead: 45,
  sealNode: (_serial, plain, out, at) => void out.set(plain, at),
  openNode: (_serial, src, start, length, out, at) => void src.copy(out, at, start, start + length - 45),
};

async function setBench(): Promise<string[]> {
  const lines = ['### Set', '', `| layout | ${fmt(N)} members: bytes/member (measured) | memoryBytes()/member | SADD ns/op | SISMEMBER hit ns/op | SISMEMBER miss ns/op | SREM ns/op | ${fmt(SMALL_KEYS)} sets of ${SMALL_SIZE}: bytes/member |`, '|---|---:|---:|---:|---:|---:|---:|---:|'];
  const d = Buffer.alloc(DIGEST_BYTES);
  const sealedSet = await measure(() => new SealedSet(new RecordArena()), (set, i) => set.add(digestOf(i, d), template, plainCodec), N);
  const mapSet = await measure(() => new Map<string, Buffer>(), (map, i) => map.set(latin1(digestOf(i, d)), sealedElement(i)), N);
  const arena = new RecordArena();
  const smallSealed = await measure(() => Array.from({ length: SMALL_KEYS }, () => new SealedSet(arena)), (sets, i) => sets[Math.floor(i / SMALL_SIZE)]!.add(digestOf(i, d), template, plainCodec), SMALL_KEYS * SMALL_SIZE);
  const smallMap = await measure(() => Array.from({ length: SMALL_KEYS }, () => new Map<string, Buffer>()), (sets, i) => sets[Math.floor(i / SMALL_SIZE)]!.set(latin1(digestOf(i, d)), sealedElement(i)), SMALL_KEYS * SMALL_SIZE);
  const smallEstimate = smallSealed.value.reduce((n, s) => n + s.memoryBytes(), 0) / (SMALL_KEYS * SMALL_SIZE);

  const M = 100_000;
  const t = { sa: [] as number[], ma: [] as number[], sh: [] as number[], mh: [] as number[], sm: [] as number[], mm: [] as number[], sr: [] as number[], mr: [] as number[] };
  const big = sealedSet.value;
  const map = mapSet.value;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const ss = new SealedSet(new RecordArena());
    const ms = new Map<string, Buffer>();
    // The digest counts as computed by the caller in both: the Map also pays for its string.
    t.sa.push(nsPer(() => { for (let i = 0; i < M; i++) ss.add(digestOf(i, d), template, plainCodec); }, M));
    t.ma.push(nsPer(() => { for (let i = 0; i < M; i++) { const k = latin1(digestOf(i, d)); if (!ms.has(k)) ms.set(k, Buffer.from(template)); } }, M));
    t.sh.push(nsPer(() => { for (let i = 0; i < M; i++) sink += big.has(digestOf((i * 7919) % N, d)) ? 1 : 0; }, M));
    t.mh.push(nsPer(() => { for (let i = 0; i < M; i++) sink += map.has(latin1(digestOf((i * 7919) % N, d))) ? 1 : 0; }, M));
    t.sm.push(nsPer(() => { for (let i = 0; i < M; i++) sink += big.has(digestOf(N + i, d)) ? 1 : 0; }, M));
    t.mm.push(nsPer(() => { for (let i = 0; i < M; i++) sink += map.has(latin1(digestOf(N + i, d))) ? 1 : 0; }, M));
    t.sr.push(nsPer(() => { for (let i = 0; i < M; i++) ss.remove(digestOf(i, d), plainCodec); }, M));
    t.mr.push(nsPer(() => { for (let i = 0; i < M; i++) ms.delete(latin1(digestOf(i, d))); }, M));
  }
  if (sink === -1) console.log(sink);
  lines.push(`| SealedSet (digest index + members in nodes of 32, arena blocks; no crypto) | ${fmt(sealedSet.bytes / N, 1)} | ${fmt(big.memoryBytes() / N, 1)} | ${median(t.sa)} | ${median(t.sh)} | ${median(t.sm)} | ${median(t.sr)} | ${fmt(smallSealed.bytes / (SMALL_KEYS * SMALL_SIZE), 1)} (est. ${fmt(smallEstimate, 1)}) |`);
  lines.push(`| Map<latin1 digest, Buffer> | ${fmt(mapSet.bytes / N, 1)} | – | ${median(t.ma)} | ${median(t.mh)} | ${median(t.mm)} | ${median(t.mr)} | ${fmt(smallMap.bytes / (SMALL_KEYS * SMALL_SIZE), 1)} |`);
  lines.push('', `Sealed member: ${SEALED} bytes plus its ${DIGEST_BYTES}-byte digest, so the floor is ${SEALED + DIGEST_BYTES} bytes/member.`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (gc === undefined) console.log('(run with --expose-gc for exact memory figures)\n');
  const which = process.argv.includes('--set') ? ['set'] : process.argv.includes('--list') ? ['list'] : ['list', 'set'];
  if (which.includes('list')) console.log((await listBench()).join('\n') + '\n');
  if (which.includes('set')) console.log((await setBench()).join('\n'));
}
