// SealedSet against a Map from digest to sealed bytes: random operation sequences (fast-check,
// fixed seed) with digests that often share a bucket, freed blocks recycled between operations;
// SSCAN's guarantee across growth and shrink; sampling and popping; the algebra against Sets.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordArena } from '../../../../src/store/record-arena.js';
import { difference, DIGEST_BYTES, intersect, intersectCardinality, SealedSet, union, type MemberId } from '../../../../src/store/types/set.js';
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

/** A stand-in sealed member for n: its length varies so blocks of several sizes are used. */
function sealed(n: number, salt = 0): Buffer {
  return Buffer.alloc(45 + ((n * 7 + salt) % 90), (n + salt) & 0xff);
}

const key = (d: Uint8Array) => Buffer.from(d).toString('hex');

function members(set: SealedSet): Map<string, string> {
  const out = new Map<string, string>();
  set.forEach((id) => {
    expect(out.has(key(set.digestOf(id)))).toBe(false);
    out.set(key(set.digestOf(id)), set.sealedOf(id).toString('hex'));
  });
  return out;
}

function modelView(model: Map<string, Buffer>): Map<string, string> {
  return new Map([...model].map(([k, v]) => [k, v.toString('hex')]));
}

const sorted = (m: Map<string, string>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

const member = fc.integer({ min: 0, max: 400 });
const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('add' as const), n: member, salt: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('addMany' as const), from: member, n: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('remove' as const), n: member }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('removeMany' as const), from: member, n: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('has' as const), n: member }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('pop' as const), seed: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sample' as const), count: fc.integer({ min: 0, max: 300 }), seed: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const), grow: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('scan' as const), count: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const) }) },
);

function reseal(bytes: Uint8Array, grow: number): Buffer {
  const out = Buffer.alloc(Math.max(1, bytes.length + grow), 0x33);
  for (let i = 0; i < Math.min(bytes.length, out.length); i++) out[i] = bytes[i]! ^ 0xa5;
  return out;
}

describe('SealedSet (model-based)', () => {
  it('matches a Map of digest to sealed bytes over random operation sequences', () => {
    let sizes = 0;
    let steps = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 100 }), (ops) => {
        const arena = new RecordArena();
        const set = new SealedSet(arena);
        const model = new Map<string, Buffer>();
        const add = (n: number, salt: number) => {
          const k = key(digest(n));
          expect(set.add(digest(n), sealed(n, salt))).toBe(!model.has(k));
          if (!model.has(k)) model.set(k, sealed(n, salt));
        };
        const remove = (n: number) => {
          const k = key(digest(n));
          expect(set.remove(digest(n))).toBe(model.delete(k));
        };
        for (const o of ops) {
          switch (o.t) {
            case 'add':
              add(o.n, o.salt);
              break;
            case 'addMany':
              for (let i = 0; i < o.n; i++) add(o.from + i, 0);
              break;
            case 'remove':
              remove(o.n);
              break;
            case 'removeMany':
              for (let i = 0; i < o.n; i++) remove(o.from + i);
              break;
            case 'has': {
              const id = set.find(digest(o.n));
              expect(id !== 0).toBe(model.has(key(digest(o.n))));
              if (id !== 0) expect(set.sealedOf(id).equals(model.get(key(digest(o.n)))!)).toBe(true);
              break;
            }
            case 'pop': {
              const got = set.popRandom(prng(o.seed));
              if (model.size === 0) expect(got).toBeUndefined();
              else {
                const k = key(got!.digest);
                expect(model.get(k)?.equals(got!.sealed)).toBe(true);
                model.delete(k);
              }
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
            case 'reseal':
              set.replaceEach((b, s, l) => reseal(b.subarray(s, s + l), o.grow));
              for (const [k, v] of model) model.set(k, reseal(v, o.grow));
              break;
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
          sizes += model.size;
          steps++;
        }
        expect(sorted(members(set))).toEqual(sorted(modelView(model)));
        for (const [k] of model) expect(set.has(Buffer.from(k, 'hex'))).toBe(true);
        expect(set.memoryBytes()).toBeGreaterThan([...model.values()].reduce((n, v) => n + v.length + DIGEST_BYTES, 0));
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
        for (let n = 0; n < stableCount; n++) set.add(digest(n), sealed(n));
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
          if (change > 0 && transient.length < 1500) for (let i = 0; i < change * 2; i++) set.add(digest(next), sealed(next)), transient.push(next++);
          else for (let i = 0; i < -change * 4 && transient.length > 0; i++) set.remove(digest(transient.pop()!));
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
    for (let n = 0; n < 4000; n++) set.add(digest(n), sealed(n));
    const seen = new Set<number>();
    let cursor = 0;
    for (let i = 0; i < 150; i++) cursor = set.scan(cursor, 10, (id) => void seen.add(set.digestOf(id).readUInt32LE(12)));
    const before = set.bucketCount;
    // The members that stay (one in 40) sit in many buckets, not only in shared ones.
    for (let n = 0; n < 4000; n++) if (n % 40 !== 0) set.remove(digest(n));
    expect(set.bucketCount).toBeLessThanOrEqual(before / 8);
    while (cursor !== 0) cursor = set.scan(cursor, 10, (id) => void seen.add(set.digestOf(id).readUInt32LE(12)));
    for (let n = 0; n < 4000; n += 40) expect(seen.has(n)).toBe(true);
  });

  it('rejects a digest of the wrong size, answers empty when empty', () => {
    const set = new SealedSet(new RecordArena());
    expect(() => set.add(Buffer.alloc(15), sealed(1))).toThrow(RangeError);
    expect(set.randomMember()).toBe(0);
    expect(set.popRandom()).toBeUndefined();
    expect(set.sample(5)).toEqual([]);
    expect(set.sampleWithRepetition(5)).toEqual([]);
    expect(set.scan(0, 10, () => {})).toBe(0);
  });

  it('keeps the first sealed member when a digest is added again (SADD)', () => {
    const set = new SealedSet(new RecordArena());
    expect(set.add(digest(1), sealed(1, 0))).toBe(true);
    expect(set.add(digest(1), sealed(1, 1))).toBe(false);
    expect(set.sealedOf(set.find(digest(1))).equals(sealed(1, 0))).toBe(true);
  });

  it('draws members uniformly: random member, distinct samples (both methods) and pops', () => {
    const set = new SealedSet(new RecordArena());
    const n = 50;
    for (let i = 0; i < n; i++) set.add(digest(i), sealed(i));
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

  it('shrinks its table as members leave, and gives back every block when cleared', () => {
    const arena = new RecordArena();
    const set = new SealedSet(arena);
    for (let i = 0; i < 10_000; i++) set.add(digest(i), sealed(i));
    const big = set.bucketCount;
    expect(big).toBeGreaterThanOrEqual(10_000);
    for (let i = 0; i < 9_990; i++) expect(set.popRandom(prng(i))).toBeDefined();
    expect(set.bucketCount).toBeLessThanOrEqual(128);
    set.clear();
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });

  it('algebra: intersection (smallest set first), cardinality with a limit, union, difference', () => {
    const arena = new RecordArena();
    const make = (ns: number[]) => {
      const s = new SealedSet(arena);
      for (const n of ns) s.add(digest(n), sealed(n, s === undefined ? 0 : ns.length));
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
      // The member handed out is the holding set's own (its sealed bytes are bound to its key).
      intersect(sets, (from, id) => void expect(from.sealedOf(id).equals(sets[sets.indexOf(from)]!.sealedOf(id))).toBe(true));
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
  it('hold no arrays up to 8 members, and keep every member across the switch both ways', () => {
    const arena = new RecordArena();
    const set = new SealedSet(arena);
    const empty = set.memoryBytes();
    for (let n = 0; n < 8; n++) set.add(digest(n), sealed(n));
    expect(set.bucketCount).toBe(0);
    // The object and the blocks only: no typed array yet.
    let blocks = 0;
    set.forEach((id) => void (blocks += (28 + set.sealedLength(id) + 7) & ~7));
    expect(set.memoryBytes()).toBe(empty + blocks);
    set.add(digest(8), sealed(8));
    expect(set.bucketCount).toBeGreaterThan(0);
    for (let n = 0; n <= 8; n++) expect(set.has(digest(n))).toBe(true);
    for (let n = 0; n < 5; n++) expect(set.remove(digest(n))).toBe(true);
    expect(set.bucketCount).toBe(0);
    expect(set.size).toBe(4);
    for (let n = 5; n <= 8; n++) expect(set.has(digest(n))).toBe(true);
    const seen: number[] = [];
    expect(set.scan(0, 1, (id) => seen.push(id))).toBe(0);
    expect(seen).toHaveLength(4);
    set.clear();
    expect(set.memoryBytes()).toBe(empty);
  });
});
