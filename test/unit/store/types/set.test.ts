// SealedSet against a Map from digest to plaintext member: random operation sequences
// (fast-check, fixed seed) with digests that often share a bucket, freed blocks recycled between
// operations; members grouped in nodes sealed whole through a stand-in codec (bound to a key
// byte and the node's serial, counting its seals and opens); no node is left behind after many
// adds and removals; tails left open between adds (keepOpen) and settled by whatever uses the
// nodes next; SSCAN's guarantee across growth and shrink; sampling and popping; the
// algebra against Sets.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordArena } from '../../../../src/store/record-arena.js';
import {
  difference, DIGEST_BYTES, intersect, intersectCardinality, NODE_BYTES, NODE_MAX, SealedSet, settleOpenTail, SOLO_BYTES, union, type MemberId,
  type SetCodec,
} from '../../../../src/store/types/set.js';
import { prng } from '../../../helpers/prng.js';

/**
 * A digest for member number n (its last word). Groups of four share the first three words, so
 * only the last tells them apart; a third of the groups share one bucket (long chains).
 */
function digest(n: number): Buffer {
  const d = Buffer.alloc(DIGEST_BYTES);
  const g = n >>> 2;
  d.writeUInt32LE(g % 3 === 0 ? 7 : Math.imul(g + 1, 2654435761) >>> 0, 0);
  d.writeUInt32LE(g, 4);
  d.writeUInt32LE((g ^ 0xdeadbeef) >>> 0, 8);
  d.writeUInt32LE(n, 12);
  return d;
}

/** Member n's plaintext: lengths vary, and one in 97 is long enough for a node of its own. */
function plain(n: number, salt = 0): Buffer {
  const length = n % 97 === 0 ? SOLO_BYTES + 1 + (n % 50) : 1 + ((n * 7 + salt) % 40);
  return Buffer.alloc(length, (n + salt) & 0xff);
}

const OVERHEAD = 45;

/**
 * Seals by XOR with a key byte behind a header of the key byte and the serial; opening checks
 * both (a node sealed for another key or serial fails), as the real codec's AEAD would.
 */
class StubCodec implements SetCodec {
  readonly overhead = OVERHEAD;
  seals = 0;
  opens = 0;
  constructor(public keyByte = 0x5a) {}
  sealNode(serial: number, p: Uint8Array, out: Buffer, at: number): void {
    this.seals++;
    out.fill(0, at, at + OVERHEAD);
    out[at] = this.keyByte;
    out.writeUInt32LE(serial, at + 1);
    for (let i = 0; i < p.length; i++) out[at + OVERHEAD + i] = p[i]! ^ this.keyByte;
  }
  openNode(serial: number, src: Buffer, start: number, length: number, out: Buffer, at: number): void {
    this.opens++;
    if (src[start] !== this.keyByte || src.readUInt32LE(start + 1) !== serial) throw new Error('failed authentication');
    for (let i = 0; i < length - OVERHEAD; i++) out[at + i] = src[start + OVERHEAD + i]! ^ this.keyByte;
  }
}

const key = (d: Uint8Array) => Buffer.from(d).toString('hex');

/** Every member, digest to plaintext (hex), through one walk of the nodes. */
function members(set: SealedSet, codec: SetCodec): Map<string, string> {
  const out = new Map<string, string>();
  set.forEachPlain(codec, (buf, start, length, id) => {
    const k = key(set.digestOf(id));
    expect(out.has(k)).toBe(false);
    out.set(k, buf.toString('hex', start, start + length));
  });
  expect(out.size).toBe(set.size);
  return out;
}

/** The member's plaintext through a reader. */
function read(set: SealedSet, codec: SetCodec, id: MemberId): Buffer {
  const r = set.reader(codec);
  try {
    const n = r.open(id);
    return Buffer.from(r.plain.subarray(r.start, r.start + n));
  } finally {
    r.close();
  }
}

function modelView(model: Map<string, Buffer>): Map<string, string> {
  return new Map([...model].map(([k, v]) => [k, v.toString('hex')]));
}

const sorted = (m: Map<string, string>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** Every node but the tail holds a quarter of a node or more: the bound on nodes that follows. */
function expectNoNodeLeak(set: SealedSet, model: Map<string, Buffer>): void {
  const bytes = [...model.values()].reduce((n, v) => n + v.length + 2, 0);
  expect(set.nodeCount).toBeLessThanOrEqual(1 + set.size / (NODE_MAX / 4) + bytes / (NODE_BYTES / 4));
  if (set.size === 0) expect(set.nodeCount).toBe(0);
}

const member = fc.integer({ min: 0, max: 400 });
const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('add' as const), n: member, salt: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('addMany' as const), from: member, n: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('remove' as const), n: member }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('removeMany' as const), from: member, n: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('has' as const), n: member }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('pop' as const), seed: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('popMany' as const), count: fc.integer({ min: 1, max: 200 }), seed: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sample' as const), count: fc.integer({ min: 0, max: 300 }), seed: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('copy' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const) }) },
);

describe('SealedSet (model-based)', () => {
  it('matches a Map of digest to plaintext over random operation sequences, leaving no node behind', () => {
    let sizes = 0;
    let steps = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 100 }), (ops) => {
        const arena = new RecordArena();
        let set = new SealedSet(arena);
        const codec = new StubCodec();
        const model = new Map<string, Buffer>();
        const add = (n: number, salt: number) => {
          const k = key(digest(n));
          // Half the adds leave the tail open (the server's way within a turn) for what follows;
          // odd salts add the member from the middle of a larger buffer (SADD's raw arguments).
          const p = plain(n, salt);
          const added = salt % 2 === 0
            ? set.add(digest(n), p, codec, salt >= 2)
            : set.addRange(digest(n), Buffer.concat([Buffer.alloc(5, 0xab), p, Buffer.alloc(3, 0xcd)]), 5, p.length, codec, salt >= 2);
          expect(added).toBe(!model.has(k));
          if (!model.has(k)) model.set(k, plain(n, salt));
        };
        const remove = (n: number) => {
          const k = key(digest(n));
          expect(set.remove(digest(n), codec)).toBe(model.delete(k));
        };
        for (const o of ops) {
          switch (o.t) {
            case 'add':
              add(o.n, o.salt);
              break;
            case 'addMany':
              // One batch: the tail is sealed once at the end.
              set.adding(codec, (put) => {
                for (let i = 0; i < o.n; i++) {
                  const n = o.from + i;
                  const k = key(digest(n));
                  expect(put(digest(n), plain(n))).toBe(!model.has(k));
                  if (!model.has(k)) model.set(k, plain(n));
                }
              }, o.from % 2 === 0);
              break;
            case 'remove':
              if (o.n % 2 === 0) remove(o.n);
              else {
                // SMOVE's way: found by digest, removed by id.
                const id = set.find(digest(o.n));
                if (id !== 0) set.removeId(id, codec);
                expect(id !== 0).toBe(model.delete(key(digest(o.n))));
              }
              break;
            case 'removeMany':
              for (let i = 0; i < o.n; i++) remove(o.from + i);
              break;
            case 'has': {
              const id = set.find(digest(o.n));
              expect(id !== 0).toBe(model.has(key(digest(o.n))));
              if (id !== 0) expect(read(set, codec, id).equals(model.get(key(digest(o.n)))!)).toBe(true);
              break;
            }
            case 'pop': {
              const id = set.randomMember(prng(o.seed));
              if (model.size === 0) {
                expect(id).toBe(0);
                break;
              }
              const k = key(set.digestOf(id));
              expect(model.get(k)?.equals(read(set, codec, id))).toBe(true);
              // SPOP: the member's plaintext shown once, from the node it is taken out of.
              const shown: string[] = [];
              set.takeId(id, codec, (b, start, length, taken) => void shown.push(b.toString('hex', start, start + length), String(taken === id)));
              expect(shown).toEqual([model.get(k)!.toString('hex'), 'true']);
              model.delete(k);
              break;
            }
            case 'popMany': {
              const ids = set.sample(o.count, prng(o.seed));
              const keys = ids.map((id) => key(set.digestOf(id)));
              set.removeIds(ids, codec);
              for (const k of keys) expect(model.delete(k)).toBe(true);
              break;
            }
            case 'sample': {
              const ids = set.sample(o.count, prng(o.seed));
              expect(ids.length).toBe(Math.min(o.count, model.size));
              const keys = ids.map((id) => key(set.digestOf(id)));
              expect(new Set(keys).size).toBe(keys.length);
              for (const k of keys) expect(model.has(k)).toBe(true);
              const rep = set.sampleWithRepetition(o.count, prng(o.seed));
              expect(rep.length).toBe(model.size === 0 ? 0 : o.count);
              for (const id of rep) expect(model.has(key(set.digestOf(id)))).toBe(true);
              break;
            }
            case 'reseal': {
              // Renewed in place under another key byte: the old codec no longer opens any node.
              const next = new StubCodec(codec.keyByte ^ 0xff);
              set.replaceNodes((b, s, l, serial) => {
                const p = Buffer.alloc(l - OVERHEAD);
                codec.openNode(serial, b, s, l, p, 0);
                const out = Buffer.alloc(l);
                next.sealNode(serial, p, out, 0);
                return out;
              });
              codec.keyByte = next.keyByte;
              break;
            }
            case 'copy': {
              // A copy sealed for another home (RENAME), then the original released.
              const other = new StubCodec(codec.keyByte ^ 0x0f);
              const copy = new SealedSet(arena);
              copy.copyResealed(set, (sealed, serial) => {
                const p = Buffer.alloc(sealed.length - OVERHEAD);
                codec.openNode(serial, sealed, 0, sealed.length, p, 0);
                const out = Buffer.alloc(sealed.length);
                other.sealNode(serial, p, out, 0);
                return out;
              });
              set.clear();
              set = copy;
              codec.keyByte = other.keyByte;
              break;
            }
            case 'scan': {
              const seen = new Set<string>();
              let cursor = 0;
              do cursor = set.scan(cursor, o.count, (id) => void seen.add(key(set.digestOf(id))));
              while (cursor !== 0);
              expect([...seen].sort()).toEqual([...model.keys()].sort());
              break;
            }
            case 'clear':
              set.clear();
              model.clear();
              break;
          }
          arena.release();
          expect(set.size).toBe(model.size);
          expectNoNodeLeak(set, model);
          sizes += model.size;
          steps++;
        }
        expect(sorted(members(set, codec))).toEqual(sorted(modelView(model)));
        for (const [k] of model) expect(set.has(Buffer.from(k, 'hex'))).toBe(true);
        set.clear();
        arena.release();
        expect(arena.liveBytes).toBe(0);
      }),
      { seed: 0x5e7, numRuns: 150 },
    );
    // Sets large enough to have resized several times, on average.
    expect(sizes / steps).toBeGreaterThan(40);
  });

  it('SSCAN returns every member present throughout, while the set grows and shrinks between calls', () => {
    let totalResizes = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.array(fc.oneof(fc.integer({ min: -150, max: 150 }), fc.constant(-100_000)), { minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 40 }), (stableCount, changes, count) => {
        const arena = new RecordArena();
        const set = new SealedSet(arena);
        const codec = new StubCodec();
        for (let n = 0; n < stableCount; n++) set.add(digest(n), plain(n), codec);
        // Transient members come and go between scan calls: numbers from 100000 up.
        let next = 100_000;
        const transient: number[] = [];
        const seen = new Set<number>();
        let cursor = 0;
        let step = 0;
        let resizes = 0;
        do {
          cursor = set.scan(cursor, count, (id) => void seen.add(set.digestOf(id).readUInt32LE(12)));
          const before = set.bucketCount;
          // -100000: every transient member leaves at once (the table halves several times).
          const change = changes[step++ % changes.length]!;
          // Growth is bounded: a table that doubles forever would keep the cursor from ever finishing.
          if (change > 0 && transient.length < 1500) for (let i = 0; i < change * 2; i++) set.add(digest(next), plain(next), codec), transient.push(next++);
          else for (let i = 0; i < -change * 4 && transient.length > 0; i++) set.remove(digest(transient.pop()!), codec);
          if (set.bucketCount !== before) resizes++;
          if (step > 10_000) throw new Error('scan does not finish');
          arena.release();
        } while (cursor !== 0);
        for (let n = 0; n < stableCount; n++) if (!seen.has(n)) throw new Error(`member ${n} missed (${resizes} resizes)`);
        totalResizes += resizes;
      }),
      { seed: 0x5ca9, numRuns: 100 },
    );
    expect(totalResizes).toBeGreaterThan(40);
  });
});

describe('SealedSet', () => {
  it('SSCAN: a table that halves three times mid-scan still returns every member that stayed', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    for (let n = 0; n < 4000; n++) set.add(digest(n), plain(n), codec);
    const seen = new Set<number>();
    let cursor = 0;
    for (let i = 0; i < 150; i++) cursor = set.scan(cursor, 10, (id) => void seen.add(set.digestOf(id).readUInt32LE(12)));
    const before = set.bucketCount;
    // The members that stay (one in 40) sit in many buckets, not only in shared ones.
    for (let n = 0; n < 4000; n++) if (n % 40 !== 0) set.remove(digest(n), codec);
    expect(set.bucketCount).toBeLessThanOrEqual(before / 8);
    while (cursor !== 0) cursor = set.scan(cursor, 10, (id) => void seen.add(set.digestOf(id).readUInt32LE(12)));
    for (let n = 0; n < 4000; n += 40) expect(seen.has(n)).toBe(true);
  });

  it('rejects a digest of the wrong size, answers empty when empty', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    expect(() => set.add(Buffer.alloc(15), plain(1), codec)).toThrow(RangeError);
    expect(set.randomMember()).toBe(0);
    expect(set.sample(5)).toEqual([]);
    expect(set.sampleWithRepetition(5)).toEqual([]);
    expect(set.scan(0, 10, () => {})).toBe(0);
  });

  it('keeps the first member when a digest is added again (SADD)', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    expect(set.add(digest(1), plain(1, 0), codec)).toBe(true);
    expect(set.add(digest(1), plain(1, 1), codec)).toBe(false);
    expect(read(set, codec, set.find(digest(1))).equals(plain(1, 0))).toBe(true);
  });

  it('draws members uniformly: random member, distinct samples (both methods) and pops', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    const n = 50;
    for (let i = 0; i < n; i++) set.add(digest(i), plain(i), codec);
    const rand = prng(12345);
    const index = (id: MemberId) => set.digestOf(id).readUInt32LE(12);
    // Chi-square with 49 degrees of freedom: 99.9% quantile is about 85.4.
    const chi = (hist: number[], draws: number) => hist.reduce((s, c) => s + (c - draws / n) ** 2 / (draws / n), 0);
    for (const draw of [() => [set.randomMember(rand)], () => set.sample(5, rand), () => set.sample(40, rand), () => set.sampleWithRepetition(7, rand)]) {
      const hist = new Array<number>(n).fill(0);
      let draws = 0;
      for (let r = 0; r < 4000; r++) for (const id of draw()) hist[index(id)]!++, draws++;
      expect(chi(hist, draws)).toBeLessThan(85.4);
    }
  });

  it('shrinks its table and node arrays as members leave, and gives back every block when cleared', () => {
    const arena = new RecordArena();
    const set = new SealedSet(arena);
    const codec = new StubCodec();
    for (let i = 0; i < 10_000; i++) set.add(digest(i), plain(i), codec);
    const big = set.bucketCount;
    expect(big).toBeGreaterThanOrEqual(10_000);
    for (let i = 0; i < 9_990; i++) set.removeId(set.randomMember(prng(i)), codec);
    expect(set.bucketCount).toBeLessThanOrEqual(128);
    expect(set.nodeCount).toBeLessThanOrEqual(3);
    expect(set.memoryBytes()).toBeLessThan(4096);
    set.clear();
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });

  it('algebra: intersection (smallest set first), cardinality with a limit, union, difference', () => {
    const arena = new RecordArena();
    const codec = new StubCodec();
    const make = (ns: number[]) => {
      const s = new SealedSet(arena);
      for (const n of ns) s.add(digest(n), plain(n), codec);
      return s;
    };
    const rand = prng(99);
    for (let round = 0; round < 60; round++) {
      const specs = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => Array.from({ length: Math.floor(rand() * 60) }, () => Math.floor(rand() * 80)));
      const sets = specs.map(make);
      const models = specs.map((ns) => new Set(ns));
      const ids = (f: (v: (from: SealedSet, id: MemberId) => void) => void) => {
        const out: number[] = [];
        f((from, id) => void out.push(from.digestOf(id).readUInt32LE(12)));
        return out.sort((a, b) => a - b);
      };
      const inter = [...models[0]!].filter((n) => models.every((m) => m.has(n))).sort((a, b) => a - b);
      expect(ids((v) => intersect(sets, v))).toEqual(inter);
      expect(intersectCardinality(sets)).toBe(inter.length);
      expect(intersectCardinality(sets, 3)).toBe(Math.min(3, inter.length));
      expect(ids((v) => union(sets, v))).toEqual([...new Set(specs.flat())].sort((a, b) => a - b));
      expect(ids((v) => difference(sets, v))).toEqual([...models[0]!].filter((n) => !models.slice(1).some((m) => m.has(n))).sort((a, b) => a - b));
      // The member handed out is the holding set's own, and opens there.
      intersect(sets, (from, id) => void expect(sets.includes(from) && read(from, codec, id).equals(plain(from.digestOf(id).readUInt32LE(12)))).toBe(true));
      for (const s of sets) s.clear();
      arena.release();
    }
    const a = make([1, 2, 3]);
    expect(ids2(difference, [a, a])).toEqual([]);
    expect(ids2(intersect, [a, new SealedSet(arena)])).toEqual([]);
    expect(ids2(union, [])).toEqual([]);
  });
});

function ids2(f: (sets: SealedSet[], v: (from: SealedSet, id: MemberId) => void) => void, sets: SealedSet[]): number[] {
  const out: number[] = [];
  f(sets, (from, id) => void out.push(from.digestOf(id).readUInt32LE(12)));
  return out;
}

describe('small sets', () => {
  it('hold no buckets up to 8 members, one node, and keep every member across the switch both ways', () => {
    const arena = new RecordArena();
    const set = new SealedSet(arena);
    const codec = new StubCodec();
    const empty = set.memoryBytes();
    for (let n = 1; n <= 8; n++) set.add(digest(n), plain(n), codec);
    expect(set.bucketCount).toBe(0);
    expect(set.nodeCount).toBe(1);
    set.add(digest(9), plain(9), codec);
    expect(set.bucketCount).toBeGreaterThan(0);
    for (let n = 1; n <= 9; n++) expect(set.has(digest(n))).toBe(true);
    for (let n = 1; n <= 5; n++) expect(set.remove(digest(n), codec)).toBe(true);
    expect(set.bucketCount).toBe(0);
    expect(set.size).toBe(4);
    for (let n = 6; n <= 9; n++) expect(set.has(digest(n))).toBe(true);
    const seen: number[] = [];
    expect(set.scan(0, 1, (id) => seen.push(id))).toBe(0);
    expect(seen).toHaveLength(4);
    set.clear();
    expect(set.memoryBytes()).toBe(empty);
  });
});

describe('nodes', () => {
  it('group members: a batch of adds seals each full node once, walks open each node once', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    set.adding(codec, (add) => {
      for (let n = 1; n <= 1000; n++) if (n % 97 !== 0) add(digest(n), Buffer.alloc(10, n));
    });
    const nodes = set.nodeCount;
    expect(nodes).toBe(Math.ceil(set.size / NODE_MAX));
    expect(codec.seals).toBe(nodes);
    codec.opens = 0;
    members(set, codec);
    expect(codec.opens).toBe(nodes);
    // A reader over the walk order opens each node once too.
    codec.opens = 0;
    const r = set.reader(codec);
    set.forEach((id) => void r.open(id));
    r.close();
    expect(codec.opens).toBe(nodes);
  });

  it('many SADD/SREM cycles leave no leaked nodes and no arena bytes', () => {
    const arena = new RecordArena();
    const set = new SealedSet(arena);
    const codec = new StubCodec();
    const rand = prng(7);
    const live = new Map<string, Buffer>();
    for (let cycle = 0; cycle < 30; cycle++) {
      for (let i = 0; i < 2000; i++) {
        const n = Math.floor(rand() * 5000);
        if (set.add(digest(n), plain(n), codec)) live.set(key(digest(n)), plain(n));
      }
      // Remove most, scattered over every node.
      for (const k of [...live.keys()]) if (rand() < 0.9) expect(set.remove(Buffer.from(k, 'hex'), codec)).toBe(live.delete(k));
      arena.release();
      expectNoNodeLeak(set, live);
    }
    expect(sorted(members(set, codec))).toEqual(sorted(modelView(live)));
    for (const k of [...live.keys()]) set.remove(Buffer.from(k, 'hex'), codec);
    expect(set.nodeCount).toBe(0);
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });

  it('bind each node to its serial: nodes swapped between places fail to open', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    set.adding(codec, (add) => {
      for (let n = 1; n <= 2 * NODE_MAX; n++) add(digest(n), Buffer.alloc(10, n));
    });
    const views: Buffer[] = [];
    set.forEachNode((b, s, l) => void views.push(b.subarray(s, s + l)));
    expect(views).toHaveLength(2);
    const first = Buffer.from(views[0]!);
    views[1]!.copy(views[0]!);
    first.copy(views[1]!);
    expect(() => members(set, codec)).toThrow('failed authentication');
  });

  it('removes lazily: slots are marked until half the node is dead, then it is rewritten; a rewrite that fails to open changes nothing', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    for (let n = 1; n <= NODE_MAX; n++) set.add(digest(n), Buffer.alloc(10, n), codec);
    expect(set.nodeCount).toBe(1);
    const sealedLength = () => {
      let length = 0;
      set.forEachNode((_b, _s, l) => void (length = l));
      return length;
    };
    const full = sealedLength();
    // A codec that cannot open the node: the removals that only mark slots never call it.
    const bad = new StubCodec(1);
    for (let n = 1; n <= NODE_MAX / 2; n++) expect(set.remove(digest(n), bad)).toBe(true);
    expect(bad.opens + bad.seals).toBe(0);
    expect(sealedLength()).toBe(full);
    expect(members(set, codec).size).toBe(NODE_MAX / 2);
    // One more and most of the node is dead: it must be opened, and that fails with nothing changed.
    expect(() => set.remove(digest(NODE_MAX / 2 + 1), bad)).toThrow('failed authentication');
    expect(set.size).toBe(NODE_MAX / 2);
    expect(set.has(digest(NODE_MAX / 2 + 1))).toBe(true);
    expect(set.remove(digest(NODE_MAX / 2 + 1), codec)).toBe(true);
    // Rewritten without the dead members' bytes.
    expect(sealedLength()).toBe(OVERHEAD + (NODE_MAX / 2 - 1) * 11);
    expect(sorted(members(set, codec))).toEqual(
      sorted(new Map(Array.from({ length: NODE_MAX / 2 - 1 }, (_, i) => [key(digest(NODE_MAX / 2 + 2 + i)), Buffer.alloc(10, NODE_MAX / 2 + 2 + i).toString('hex')]))),
    );
  });

  it('adds with keepOpen open and seal the tail once until settled; memory reads the same before and after', () => {
    const arena = new RecordArena();
    const set = new SealedSet(arena);
    const codec = new StubCodec();
    for (let n = 1; n <= NODE_MAX / 2; n++) set.add(digest(n), Buffer.alloc(10, n), codec);
    codec.opens = codec.seals = 0;
    for (let n = NODE_MAX / 2 + 1; n <= NODE_MAX; n++) expect(set.add(digest(n), Buffer.alloc(10, n), codec, true)).toBe(true);
    // One open of the tail for all of them, nothing sealed yet.
    expect([codec.opens, codec.seals]).toEqual([1, 0]);
    const before = set.memoryBytes();
    settleOpenTail();
    expect([codec.opens, codec.seals]).toEqual([1, 1]);
    expect(set.memoryBytes()).toBe(before);
    settleOpenTail();
    expect(codec.seals).toBe(1);
    // A full tail is sealed as the next add starts a new one (left open in turn).
    expect(set.add(digest(NODE_MAX + 1), Buffer.alloc(10, 1), codec, true)).toBe(true);
    expect(set.nodeCount).toBe(2);
    // Reading the nodes settles first: the walk sees every member.
    const seen = members(set, codec);
    expect(seen.size).toBe(NODE_MAX + 1);
    expect(seen.get(key(digest(NODE_MAX + 1)))).toBe(Buffer.alloc(10, 1).toString('hex'));
    set.clear();
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });

  it('one open tail at a time: another set opening its tail seals the first; a cleared set drops its open tail', () => {
    const arena = new RecordArena();
    const a = new SealedSet(arena);
    const b = new SealedSet(arena);
    const ca = new StubCodec(0x11);
    const cb = new StubCodec(0x22);
    a.add(digest(1), Buffer.alloc(5, 1), ca, true);
    expect(ca.seals).toBe(0);
    b.add(digest(2), Buffer.alloc(5, 2), cb, true);
    // a's tail was sealed (with a's codec) before b took the scratch.
    expect([ca.seals, cb.seals]).toEqual([1, 0]);
    expect(read(a, ca, a.find(digest(1)))).toEqual(Buffer.alloc(5, 1));
    // SPOP, SREM and readers of b settle b first.
    expect(b.remove(digest(2), cb)).toBe(true);
    expect(cb.seals).toBe(1);
    b.add(digest(3), Buffer.alloc(5, 3), cb, true);
    b.clear();
    settleOpenTail();
    expect(cb.seals).toBe(1);
    a.clear();
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });

  it('SPOP takes a member with one open of its node and no seal', () => {
    const set = new SealedSet(new RecordArena());
    const codec = new StubCodec();
    for (let n = 1; n <= 4 * NODE_MAX; n++) set.add(digest(n), Buffer.alloc(10, n), codec);
    codec.opens = codec.seals = 0;
    const id = set.find(digest(5));
    let shown = '';
    set.takeId(id, codec, (b, start, length) => void (shown = b.toString('hex', start, start + length)));
    expect(shown).toBe(Buffer.alloc(10, 5).toString('hex'));
    expect([codec.opens, codec.seals]).toEqual([1, 0]);
    expect(set.has(digest(5))).toBe(false);
  });
});
