// The sorted-set structure against a sorted-array model: random operation sequences with many
// equal scores, tiny nodes (every split, merge and borrow path) and weak digests (shared tags in
// the index), plus comparator-call bounds, ZSCAN's guarantee under changes, and the edge cases.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankSpan, SortedSet, type LexBound, type MemberOrder, type ScoreBound } from '../../../../src/store/types/zset.js';
import { prng } from '../../../helpers/prng.js';

/** Stands in for a sealed member: the structure must treat it as opaque. */
interface Sealed {
  readonly bytes: Buffer;
  readonly generation: number;
}

interface Counted extends MemberOrder<Sealed> {
  calls: number;
}

function countingOrder(): Counted {
  const order = {
    calls: 0,
    compareMembers(a: Sealed, b: Sealed): number {
      order.calls++;
      return Buffer.compare(a.bytes, b.bytes);
    },
    compareToBound(member: Sealed, bound: Uint8Array): number {
      order.calls++;
      return Buffer.compare(member.bytes, bound);
    },
  };
  return order;
}

const digests = new Map<string, Buffer>();

/** A stand-in for the keyed member hash (memoized: the model test asks for the same members often). */
function digestOf(member: Buffer): Buffer {
  const hex = member.toString('hex');
  let d = digests.get(hex);
  if (d === undefined) digests.set(hex, (d = createHash('sha256').update(member).digest().subarray(0, 16)));
  return d;
}

/**
 * Digests whose first word (the index tag) takes one of four values, homed at both ends of the
 * table: shared tags everywhere and clusters that wrap around.
 */
function weakDigestOf(member: Buffer): Buffer {
  const d = Buffer.from(digestOf(member));
  d.writeInt32LE((d[0]! & 3) - 2, 0);
  return d;
}

function seal(member: Buffer, generation = 0): Sealed {
  return { bytes: member, generation };
}

interface ModelEntry {
  member: Buffer;
  score: number;
}

function cmp(a: ModelEntry, b: ModelEntry): number {
  return a.score < b.score ? -1 : a.score > b.score ? 1 : Buffer.compare(a.member, b.member);
}

/** The reference: an array kept sorted by (score, member bytes). */
class Model {
  entries: ModelEntry[] = [];
  find(m: Buffer): number {
    return this.entries.findIndex((e) => e.member.equals(m));
  }
  insert(member: Buffer, score: number): void {
    this.entries.push({ member, score });
    this.entries.sort(cmp);
  }
  rankWhere(pred: (e: ModelEntry) => boolean): number {
    let n = 0;
    while (n < this.entries.length && pred(this.entries[n]!)) n++;
    return n;
  }
}

function contents(z: SortedSet<Sealed>, start = 0, end = z.size, reverse = false): string[] {
  const out: string[] = [];
  z.each(start, end, reverse, (s, score) => {
    out.push(`${s.bytes.toString('hex')}@${Object.is(score, -0) ? '-0' : score}`);
  });
  return out;
}

function modelContents(entries: ModelEntry[]): string[] {
  return entries.map((e) => `${e.member.toString('hex')}@${Object.is(e.score, -0) ? '-0' : e.score}`);
}

const MEMBERS = ['', 'a', 'aa', 'ab', 'b', 'ba', '\x00', '\x00\x00', '\xff', 'zz', 'm', 'n', 'o', 'p', 'q']
  .map((s) => Buffer.from(s, 'latin1'))
  .concat(Array.from({ length: 105 }, (_, i) => Buffer.from(`member:${(i * 7919) % 1000}`)));
const SCORES = [-Infinity, -2.5, -1, -0, 0, 0, 0, 1, 1, 3.25, Infinity];

const member = fc.integer({ min: 0, max: MEMBERS.length - 1 });
const score = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...SCORES) }, { weight: 1, arbitrary: fc.double({ noNaN: true }) });
const scoreBound = fc.record({ value: fc.constantFrom(...SCORES), exclusive: fc.boolean() });
const lexBound: fc.Arbitrary<LexBound> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<LexBound>('-', '+') },
  { weight: 6, arbitrary: fc.record({ value: member.map((i) => MEMBERS[i]!), exclusive: fc.boolean() }) },
);
const op = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('insert' as const), m: member, s: score, plain: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('setScore' as const), m: member, s: score, plain: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('remove' as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pop' as const), rev: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('removeRange' as const), a: fc.integer({ min: -2, max: 120 }), n: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rank' as const), m: member, rev: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('scoreRange' as const), min: scoreBound, max: scoreBound }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('lexRange' as const), min: lexBound, max: lexBound }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('each' as const), a: fc.integer({ min: -3, max: 120 }), b: fc.integer({ min: -3, max: 120 }), rev: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('at' as const), r: fc.integer({ min: -1, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
const shapes = fc.record({
  leafCapacity: fc.constantFrom(2, 3, 4, 6, 8, 64),
  innerCapacity: fc.constantFrom(4, 5, 8, 32),
  weak: fc.boolean(),
  /** Lex-only sets: every score is 0, so lex ranges have a defined answer. */
  lexOnly: fc.boolean(),
});

function apply(z: SortedSet<Sealed>, model: Model, o: Op, digest: (m: Buffer) => Buffer, lexOnly: boolean): void {
  const e = model.entries;
  switch (o.t) {
    case 'insert': {
      const m = MEMBERS[o.m]!;
      const s = lexOnly ? 0 : o.s;
      const had = model.find(m) >= 0;
      expect(z.insert(digest(m), s, seal(m), o.plain ? m : undefined)).toBe(!had);
      if (!had) model.insert(m, s);
      break;
    }
    case 'setScore': {
      const m = MEMBERS[o.m]!;
      const s = lexOnly ? 0 : o.s;
      const at = model.find(m);
      expect(z.setScore(digest(m), s, o.plain ? m : undefined)).toBe(at >= 0 ? e[at]!.score : undefined);
      if (at >= 0) {
        e.splice(at, 1);
        model.insert(m, s);
      }
      break;
    }
    case 'remove': {
      const m = MEMBERS[o.m]!;
      const at = model.find(m);
      expect(z.remove(digest(m))).toBe(at >= 0);
      if (at >= 0) e.splice(at, 1);
      break;
    }
    case 'pop': {
      const got = z.pop(o.rev);
      const want = o.rev ? e.pop() : e.shift();
      expect(got && { m: got.sealed.bytes.toString('hex'), s: got.score }).toEqual(want && { m: want.member.toString('hex'), s: want.score });
      break;
    }
    case 'removeRange': {
      const start = Math.max(0, o.a);
      const end = Math.min(e.length, o.a + o.n);
      expect(z.removeRange(o.a, o.a + o.n)).toBe(Math.max(0, end - start));
      if (end > start) e.splice(start, end - start);
      break;
    }
    case 'rank': {
      const m = MEMBERS[o.m]!;
      const at = model.find(m);
      expect(z.rank(digest(m), o.rev)).toBe(at < 0 ? undefined : o.rev ? e.length - 1 - at : at);
      expect(z.score(digest(m))).toBe(at < 0 ? undefined : e[at]!.score);
      break;
    }
    case 'scoreRange': {
      const { min, max } = o;
      const start = model.rankWhere((x) => (min.exclusive ? x.score <= min.value : x.score < min.value));
      const end = model.rankWhere((x) => (max.exclusive ? x.score < max.value : x.score <= max.value));
      expect(z.scoreRange(min, max)).toEqual([start, Math.max(start, end)]);
      break;
    }
    case 'lexRange': {
      const got = z.lexRange(o.min, o.max);
      if (!lexOnly) break; // only defined when every score is equal (as in Redis)
      const below = (b: LexBound, isMin: boolean) => (x: ModelEntry) => {
        if (b === '-') return false;
        if (b === '+') return true;
        const c = Buffer.compare(x.member, b.value);
        return isMin === b.exclusive ? c <= 0 : c < 0;
      };
      const start = model.rankWhere(below(o.min, true));
      const end = model.rankWhere(below(o.max, false));
      expect(got).toEqual([start, Math.max(start, end)]);
      break;
    }
    case 'each': {
      const start = Math.max(0, Math.min(o.a, o.b));
      const end = Math.min(e.length, Math.max(o.a, o.b));
      const want = modelContents(e.slice(start, Math.max(start, end)));
      expect(contents(z, Math.min(o.a, o.b), Math.max(o.a, o.b), o.rev)).toEqual(o.rev ? want.reverse() : want);
      break;
    }
    case 'at': {
      const got = z.at(o.r);
      const want = e[o.r];
      expect(got && got.sealed.bytes.toString('hex')).toBe(o.r >= 0 && want ? want.member.toString('hex') : undefined);
      break;
    }
    case 'reseal': {
      const before = contents(z);
      const fresh = new Set<Sealed>();
      z.reseal((s) => {
        const next = seal(s.bytes, s.generation + 1);
        fresh.add(next);
        return next;
      });
      expect(contents(z)).toEqual(before);
      expect(fresh.size).toBe(z.size);
      z.each(0, z.size, false, (s) => void expect(fresh.has(s)).toBe(true));
      break;
    }
  }
}

/** Whole-set checks after every operation: order both ways, size, rank and score of every member. */
function checkAgainst(z: SortedSet<Sealed>, model: Model, digest: (m: Buffer) => Buffer): void {
  const want = modelContents(model.entries);
  z.checkInvariants();
  expect(z.size).toBe(model.entries.length);
  expect(contents(z)).toEqual(want);
  expect(contents(z, 0, z.size, true)).toEqual([...want].reverse());
  // One comparison for all members (an expect per member makes the property run crawl).
  const ranks = model.entries.map((x) => z.rank(digest(x.member)));
  expect(ranks).toEqual(model.entries.map((_, i) => i));
  const scores = model.entries.map((x) => Object.is(z.score(digest(x.member)), x.score));
  expect(scores.every(Boolean)).toBe(true);
}

describe('SortedSet against a sorted-array model', () => {
  it('random operation sequences with many equal scores agree with the model', () => {
    fc.assert(
      fc.property(shapes, fc.array(op, { minLength: 1, maxLength: 400, size: 'max' }), (shape, ops) => {
        const digest = shape.weak ? weakDigestOf : digestOf;
        const z = new SortedSet<Sealed>(countingOrder(), shape);
        const model = new Model();
        for (const o of ops) {
          apply(z, model, o, digest, shape.lexOnly);
          checkAgainst(z, model, digest);
        }
      }),
      // Fixed seed; no shrinking (long op sequences shrink for minutes): the failing case prints as drawn.
      { numRuns: 80, seed: 0x5e41, endOnFailure: true },
    );
  });

  for (const order of ['random', 'ascending'] as const) {
    it(`members filled in ${order} order through small nodes, then removed at random, checked after every step`, () => {
      const rand = prng(15);
      const z = new SortedSet<Sealed>(countingOrder(), { leafCapacity: 8, innerCapacity: 4 });
      const model = new Model();
      const members = Array.from({ length: 400 }, (_, i) => Buffer.from(`m${i}`));
      // Ascending scores take the append path (full leaves), so removals borrow from full siblings.
      for (const [i, m] of members.entries()) {
        const s = order === 'ascending' ? i : Math.floor(rand() * 20) - 10;
        z.insert(digestOf(m), s, seal(m));
        model.insert(m, s);
      }
      checkAgainst(z, model, digestOf);
      for (let i = members.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [members[i], members[j]] = [members[j]!, members[i]!];
      }
      for (const m of members) {
        expect(z.remove(digestOf(m))).toBe(true);
        model.entries.splice(model.find(m), 1);
        z.checkInvariants();
        // A score search right after each change: it reads the cached first scores.
        const probe = { value: Math.floor(rand() * 400) - 10, exclusive: false };
        expect(z.scoreRange(probe, { value: Infinity, exclusive: false })[0]).toBe(model.rankWhere((x) => x.score < probe.value));
      }
      expect(z.size).toBe(0);
      expect(z.memoryBytes()).toBeLessThan(2000);
    });
  }
});

describe('rebalancing between full and underfull leaves', () => {
  for (const side of ['right', 'left'] as const) {
    it(`a leaf that runs low borrows from its ${side} neighbour and the cached first scores follow`, () => {
      const z = new SortedSet<Sealed>(countingOrder(), { leafCapacity: 8, innerCapacity: 4 });
      const m = (i: number) => Buffer.from(`m${String(i).padStart(3, '0')}`);
      // Ascending scores take the append path: leaves of exactly 8 members, [0..7] [8..15] ...
      for (let i = 0; i < 64; i++) z.insert(digestOf(m(i)), i, seal(m(i)));
      // Empty the first (or last) leaf down to one member: its neighbour is full, so they even out.
      const doomed = side === 'right' ? [1, 2, 3, 4, 5, 6, 7] : [56, 57, 58, 59, 60, 61, 62];
      for (const i of doomed) {
        z.remove(digestOf(m(i)));
        z.checkInvariants();
      }
      const want = Array.from({ length: 64 }, (_, i) => i).filter((i) => !doomed.includes(i));
      for (const [rank, i] of want.entries()) {
        expect(z.scoreRange({ value: i, exclusive: false }, { value: Infinity, exclusive: false })[0]).toBe(rank);
        expect(z.rank(digestOf(m(i)))).toBe(rank);
      }
    });
  }
});

describe('a comparator that throws', () => {
  it('while a score change places the member leaves it removed and the set consistent', () => {
    let fail = false;
    const order: MemberOrder<Sealed> = {
      compareMembers: (a, b) => {
        if (fail) throw new Error('open failed');
        return Buffer.compare(a.bytes, b.bytes);
      },
      compareToBound: (member, bound) => {
        if (fail) throw new Error('open failed');
        return Buffer.compare(member.bytes, bound);
      },
    };
    // Weak digests: the moving member shares its index tag with others in its leaf.
    const z = new SortedSet<Sealed>(order, { leafCapacity: 4, innerCapacity: 4 });
    const members = Array.from({ length: 64 }, (_, i) => Buffer.from(`m${i}`));
    members.forEach((m, i) => z.insert(weakDigestOf(m), i % 8, seal(m)));
    fail = true;
    // Score 3 ties with other members: placing it needs the comparator, which throws.
    expect(() => z.setScore(weakDigestOf(members[0]!), 3, members[0]!)).toThrow('open failed');
    fail = false;
    z.checkInvariants();
    expect(z.size).toBe(63);
    expect(z.score(weakDigestOf(members[0]!))).toBeUndefined();
    expect(z.score(weakDigestOf(members[1]!))).toBe(1);
    expect(z.insert(weakDigestOf(members[0]!), 3, seal(members[0]!))).toBe(true);
    z.checkInvariants();
  });
});

describe('comparator calls', () => {
  const N = 4096;
  const members = Array.from({ length: N }, (_, i) => Buffer.from(`player:${(i * 2654435761) % 1_000_003}`));

  it('are never made when scores differ', () => {
    const order = countingOrder();
    const z = new SortedSet<Sealed>(order);
    members.forEach((m, i) => z.insert(digestOf(m), (i * 7919) % N, seal(m)));
    for (const m of members.slice(0, 500)) {
      z.rank(digestOf(m));
      z.score(digestOf(m));
      z.setScore(digestOf(m), (z.score(digestOf(m))! + 0.5) * -1);
    }
    z.scoreRange({ value: 10, exclusive: true }, { value: 100, exclusive: false });
    for (const m of members.slice(0, 100)) z.remove(digestOf(m));
    z.pop();
    z.pop(true);
    expect(order.calls).toBe(0);
  });

  it('are O(log n) per insert and lex bound when every score is 0, and none for rank, score or remove', () => {
    const order = countingOrder();
    const z = new SortedSet<Sealed>(order);
    const log = Math.log2(N);
    let worst = 0;
    for (const m of members) {
      order.calls = 0;
      z.insert(digestOf(m), 0, seal(m));
      worst = Math.max(worst, order.calls);
    }
    // Binary search in every node: about log2(n), plus one probe per level.
    expect(worst).toBeLessThanOrEqual(log + 6);
    order.calls = 0;
    z.lexRange({ value: Buffer.from('player:5'), exclusive: false }, { value: Buffer.from('player:6'), exclusive: true });
    expect(order.calls).toBeLessThanOrEqual(2 * (log + 6));
    order.calls = 0;
    for (const m of members.slice(0, 1000)) {
      z.rank(digestOf(m), true);
      z.score(digestOf(m));
    }
    for (const m of members.slice(0, 1000)) z.remove(digestOf(m));
    expect(order.calls).toBe(0);
  });
});

describe('ZSCAN cursor', () => {
  it('returns every member present for the whole scan while others are added, removed and rescored', () => {
    const rand = prng(7);
    const z = new SortedSet<Sealed>(countingOrder(), { leafCapacity: 8 });
    const stable = Array.from({ length: 3000 }, (_, i) => Buffer.from(`stable:${i}`));
    for (const m of stable) z.insert(digestOf(m), Math.floor(rand() * 5), seal(m));
    let churn = 0;
    const seen = new Set<string>();
    let cursor = 0;
    let calls = 0;
    do {
      cursor = z.scan(cursor, 10, (s) => void seen.add(s.bytes.toString()));
      calls++;
      // Grow the index past two doublings, then shrink it back below the start.
      const phase = calls < 150 ? 'grow' : 'shrink';
      for (let k = 0; k < 40; k++) {
        if (phase === 'grow') {
          const m = Buffer.from(`churn:${churn++}`);
          z.insert(digestOf(m), rand(), seal(m));
        } else if (churn > 0) z.remove(digestOf(Buffer.from(`churn:${--churn}`)));
      }
      if (calls % 5 === 0) {
        const m = stable[Math.floor(rand() * stable.length)]!;
        z.setScore(digestOf(m), rand() * 10);
      }
      if (calls % 7 === 0) z.remove(digestOf(stable[calls]!)); // these leave mid-scan: not required
      if (calls % 50 === 0) z.checkInvariants();
    } while (cursor !== 0 && calls < 100_000);
    expect(cursor).toBe(0);
    const removed = new Set(Array.from({ length: calls + 1 }, (_, i) => (i % 7 === 0 ? `stable:${i}` : '')));
    const missing = stable.map(String).filter((m) => !seen.has(m) && !removed.has(m));
    expect(missing).toEqual([]);
  });

  it('an empty set scans to 0 at once; a small one in one call with a large count', () => {
    const z = new SortedSet<Sealed>(countingOrder());
    expect(z.scan(0, 10, () => undefined)).toBe(0);
    for (const m of MEMBERS) z.insert(digestOf(m), 1, seal(m));
    const seen: string[] = [];
    expect(z.scan(0, 1000, (s) => void seen.push(s.bytes.toString('hex')))).toBe(0);
    expect(seen.sort()).toEqual(MEMBERS.map((m) => m.toString('hex')).sort());
  });
});

describe('edge cases', () => {
  const d = (s: string) => digestOf(Buffer.from(s));
  const zsetOf = (pairs: [string, number][]) => {
    const z = new SortedSet<Sealed>(countingOrder());
    for (const [m, s] of pairs) z.insert(d(m), s, seal(Buffer.from(m)));
    return z;
  };
  const names = (z: SortedSet<Sealed>, [start, end]: [number, number], reverse = false) => {
    const out: string[] = [];
    z.each(start, end, reverse, (s) => void out.push(s.bytes.toString()));
    return out;
  };
  const incl = (value: number): ScoreBound => ({ value, exclusive: false });
  const excl = (value: number): ScoreBound => ({ value, exclusive: true });

  it('an empty set answers nothing and never fails', () => {
    const z = zsetOf([]);
    expect(z.size).toBe(0);
    expect(z.pop()).toBeUndefined();
    expect(z.pop(true)).toBeUndefined();
    expect(z.at(0)).toBeUndefined();
    expect(z.rank(d('x'))).toBeUndefined();
    expect(z.score(d('x'))).toBeUndefined();
    expect(z.remove(d('x'))).toBe(false);
    expect(z.setScore(d('x'), 1)).toBeUndefined();
    expect(z.scoreRange(incl(-Infinity), incl(Infinity))).toEqual([0, 0]);
    expect(z.lexRange('-', '+')).toEqual([0, 0]);
    expect(z.removeRange(0, 10)).toBe(0);
    expect(names(z, [0, 10])).toEqual([]);
  });

  it('a single member, and a duplicate insert that changes nothing', () => {
    const z = zsetOf([['only', 5]]);
    expect(z.insert(d('only'), 9, seal(Buffer.from('only')))).toBe(false);
    expect(z.score(d('only'))).toBe(5);
    expect(z.rank(d('only'), true)).toBe(0);
    expect(z.scoreRange(excl(5), incl(Infinity))).toEqual([1, 1]);
    expect(z.pop(true)?.score).toBe(5);
    expect(z.size).toBe(0);
  });

  it('orders -0 and 0 as equal scores broken by member bytes, and keeps the sign it was given', () => {
    const z = zsetOf([['b', 0], ['a', -0], ['c', -0]]);
    expect(names(z, [0, 3])).toEqual(['a', 'b', 'c']);
    expect(Object.is(z.score(d('a')), -0)).toBe(true);
    expect(z.scoreRange(excl(-0), incl(0))).toEqual([3, 3]);
    expect(z.scoreRange(incl(0), incl(-0))).toEqual([0, 3]);
  });

  it('infinite scores sort at the ends; exclusive infinite bounds leave them out', () => {
    const z = zsetOf([['top', Infinity], ['mid', 1], ['bottom', -Infinity], ['top2', Infinity]]);
    expect(names(z, [0, 4])).toEqual(['bottom', 'mid', 'top', 'top2']);
    expect(z.scoreRange(incl(-Infinity), incl(Infinity))).toEqual([0, 4]);
    expect(z.scoreRange(excl(-Infinity), excl(Infinity))).toEqual([1, 2]);
    expect(z.scoreRange(incl(Infinity), incl(Infinity))).toEqual([2, 4]);
    expect(z.scoreRange(incl(2), incl(1))).toEqual([2, 2]); // min above max: empty
  });

  it('ranges read backwards for ZREVRANGE, and rankSpan takes Redis negative ranks', () => {
    const z = zsetOf([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    expect(names(z, rankSpan(0, -1, z.size), true)).toEqual(['d', 'c', 'b', 'a']);
    expect(names(z, rankSpan(-2, -1, z.size))).toEqual(['c', 'd']);
    expect(names(z, rankSpan(-100, 1, z.size))).toEqual(['a', 'b']);
    expect(rankSpan(2, 1, 4)).toEqual([0, 0]);
    expect(rankSpan(4, 10, 4)).toEqual([0, 0]);
    expect(rankSpan(1, 100, 4)).toEqual([1, 4]);
    expect(rankSpan(-1, -2, 4)).toEqual([0, 0]);
    expect(names(z, z.scoreRange(excl(1), incl(3)), true)).toEqual(['c', 'b']);
    let first = '';
    z.each(0, 4, false, (s) => {
      first = s.bytes.toString();
      return false;
    });
    expect(first).toBe('a');
  });

  it('lex bounds: inclusive, exclusive, open ends, and prefixes', () => {
    const z = zsetOf(['', 'a', 'aa', 'ab', 'b'].map((m) => [m, 0] as [string, number]));
    const lb = (s: string, exclusive = false): LexBound => ({ value: Buffer.from(s), exclusive });
    expect(names(z, z.lexRange('-', '+'))).toEqual(['', 'a', 'aa', 'ab', 'b']);
    expect(names(z, z.lexRange(lb('a'), lb('ab')))).toEqual(['a', 'aa', 'ab']);
    expect(names(z, z.lexRange(lb('a', true), lb('ab', true)))).toEqual(['aa']);
    expect(names(z, z.lexRange(lb(''), lb('a', true)))).toEqual(['']);
    expect(z.lexRange('+', '-')).toEqual([5, 5]);
    expect(z.lexRange(lb('b', true), '+')).toEqual([5, 5]);
  });

  it('setScore keeps the member and its sealed form, moving it only when its place changes', () => {
    const z = zsetOf([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    const sealed = z.sealedOf(d('b'));
    expect(z.setScore(d('b'), 2.5)).toBe(2);
    expect(names(z, [0, 4])).toEqual(['a', 'b', 'c', 'd']);
    expect(z.setScore(d('b'), 10)).toBe(2.5);
    expect(names(z, [0, 4])).toEqual(['a', 'c', 'd', 'b']);
    expect(z.sealedOf(d('b'))).toBe(sealed);
  });

  it('rehash gives every member a new digest without changing the order', () => {
    const z = zsetOf([['a', 1], ['b', 0], ['c', 0], ['d', 2]]);
    const rekeyed = (m: Buffer) => createHash('sha256').update('new key').update(m).digest().subarray(0, 16);
    const before = names(z, [0, 4]);
    z.rehash((s) => rekeyed(s.bytes));
    z.checkInvariants();
    expect(names(z, [0, 4])).toEqual(before);
    expect(['a', 'b', 'c', 'd'].map((m) => z.rank(rekeyed(Buffer.from(m))))).toEqual([2, 0, 1, 3]);
    expect(z.score(d('a'))).toBeUndefined();
    expect(z.remove(rekeyed(Buffer.from('b')))).toBe(true);
    expect(names(z, [0, 3])).toEqual(['c', 'a', 'd']);
  });

  it('rejects digests that are not 16 bytes, and NaN scores (they would break the order)', () => {
    const z = zsetOf([['a', 1]]);
    expect(() => z.score(Buffer.alloc(15))).toThrow(RangeError);
    expect(() => z.insert(d('b'), NaN, seal(Buffer.from('b')))).toThrow(RangeError);
    expect(() => z.setScore(d('a'), NaN)).toThrow(RangeError);
    expect(z.size).toBe(1);
    expect(z.score(d('a'))).toBe(1);
  });
});

describe('append and copy', () => {
  it('append builds a set from sorted members without comparing, and copy keeps order and digests', () => {
    const order = countingOrder();
    const set = new SortedSet<Sealed>(order, { leafCapacity: 4, innerCapacity: 4 });
    const members = Array.from({ length: 200 }, (_, i) => Buffer.from(`m${String(i).padStart(3, '0')}`));
    members.forEach((m, i) => set.append(digestOf(m), Math.floor(i / 10), seal(m)));
    expect(order.calls).toBe(0);
    expect(set.size).toBe(200);
    set.checkInvariants();
    const before = order.calls;
    const copy = set.copy((s) => seal(s.bytes, s.generation + 1));
    expect(order.calls).toBe(before);
    copy.checkInvariants();
    expect(copy.size).toBe(200);
    expect(copy.rank(digestOf(members[123]!))).toBe(123);
    expect(copy.sealedOf(digestOf(members[5]!))!.generation).toBe(1);
    expect(set.sealedOf(digestOf(members[5]!))!.generation).toBe(0);
    copy.remove(digestOf(members[0]!));
    expect(set.size).toBe(200);
    expect(() => set.append(digestOf(Buffer.from('x')), Number.NaN, seal(Buffer.from('x')))).toThrow(RangeError);
  });
});
