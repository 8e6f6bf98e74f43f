// SealedList against a plain array of Buffers: random operation sequences (fast-check, fixed
// seed) with elements sized to cross node boundaries and the length-prefix widths, the arena's
// freed blocks recycled (zeroed) between operations so a stale block would show; then edges.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordArena } from '../../../../src/store/record-arena.js';
import { entryBytes, NODE_BYTES, normalizeIndex, normalizeRange, SealedList, type ElementPredicate } from '../../../../src/store/types/list.js';

function contents(list: SealedList): Buffer[] {
  const out: Buffer[] = [];
  list.forEach((bytes, start, length) => {
    out.push(Buffer.from(bytes.subarray(start, start + length)));
  });
  return out;
}

/** Buffers compared by bytes (vitest's deep equality walks large buffers slowly). */
function expectSame(actual: (Buffer | undefined)[], expected: (Buffer | undefined)[]): void {
  const hex = (list: (Buffer | undefined)[]) => list.map((b) => (b === undefined ? 'undefined' : `${b.length}:${b.subarray(0, 8).toString('hex')}`));
  const same = actual.length === expected.length && actual.every((b, i) => (b === undefined ? expected[i] === undefined : expected[i] !== undefined && b.equals(expected[i]!)));
  if (!same) expect(hex(actual)).toEqual(hex(expected));
  expect(same).toBe(true);
}

function backwards(list: SealedList): Buffer[] {
  const out: Buffer[] = [];
  list.forEach((bytes, start, length) => {
    out.unshift(Buffer.from(bytes.subarray(start, start + length)));
  }, true);
  return out;
}

/** "Opening" an element in the tests: its first byte decides. */
function firstByteIs(value: number): ElementPredicate {
  return (bytes, start, length) => length > 0 && bytes[start] === value;
}
const modelFirstByteIs = (value: number) => (el: Buffer) => el.length > 0 && el[0] === value;

/** LPOS on the model, written from Redis's description. */
function modelPositions(model: Buffer[], match: (el: Buffer) => boolean, rank: number, count: number, maxlen: number): number[] {
  const out: number[] = [];
  let skip = Math.abs(rank) - 1;
  const order = rank > 0 ? model.map((_, i) => i) : model.map((_, i) => model.length - 1 - i);
  for (let seen = 0; seen < order.length; seen++) {
    if (maxlen > 0 && seen >= maxlen) break;
    const i = order[seen]!;
    if (!match(model[i]!)) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push(i);
    if (count > 0 && out.length >= count) break;
  }
  return out;
}

function modelRemove(model: Buffer[], match: (el: Buffer) => boolean, count: number): number {
  let limit = count === 0 ? Infinity : Math.abs(count);
  let removed = 0;
  if (count >= 0) {
    for (let i = 0; i < model.length && limit > 0; ) {
      if (match(model[i]!)) {
        model.splice(i, 1);
        removed++;
        limit--;
      } else i++;
    }
  } else {
    for (let i = model.length - 1; i >= 0 && limit > 0; i--) {
      if (match(model[i]!)) {
        model.splice(i, 1);
        removed++;
        limit--;
      }
    }
  }
  return removed;
}

/** Element sizes: mostly sealed-value sized, some at varint edges, some near or above a node. */
const element = fc
  .oneof(
    { weight: 10, arbitrary: fc.integer({ min: 45, max: 120 }) },
    { weight: 3, arbitrary: fc.constantFrom(0, 1, 127, 128, 129, 16383, 16384) },
    { weight: 3, arbitrary: fc.integer({ min: 500, max: 3000 }) },
    { weight: 1, arbitrary: fc.integer({ min: NODE_BYTES - 8, max: NODE_BYTES + 200 }) },
  )
  .chain((length) => fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff })).map(([first, seed]) => {
    const el = Buffer.alloc(length);
    for (let i = 0; i < length; i++) el[i] = (seed + i * 31) & 0xff;
    if (length > 0) el[0] = first;
    return el;
  }));

const index = fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -600, max: 600 }));

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('pushHead' as const), el: element }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('pushTail' as const), el: element }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('popHead' as const) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('popTail' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('take' as const), head: fc.boolean(), fail: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('at' as const), i: index }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('set' as const), i: index, el: element }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('insert' as const), i: index, el: element }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), a: index, b: index }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), v: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trim' as const), a: fc.integer({ min: -5, max: 20 }), b: fc.integer({ min: -20, max: 400 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('pos' as const), v: fc.integer({ min: 0, max: 3 }), rank: fc.integer({ min: -3, max: 3 }).filter((r) => r !== 0), count: fc.integer({ min: 0, max: 3 }), maxlen: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('deleteRange' as const), i: index, n: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const), grow: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('pushMany' as const), n: fc.integer({ min: 10, max: 300 }), size: fc.integer({ min: 40, max: 200 }), head: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const) }) },
);

/** A deterministic stand-in for re-sealing: bytes flipped, length changed by `grow`. */
function reseal(el: Uint8Array, grow: number): Buffer {
  const length = Math.max(0, el.length + grow);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = i < el.length ? (i === 0 ? el[0]! : el[i]! ^ 0x5a) : 0x77;
  return out;
}

describe('SealedList (model-based)', () => {
  it('matches an array of buffers over random operation sequences', () => {
    const stats = { runs: 0, ops: 0, lengths: 0, nodes: 0 };
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 150 }), (ops) => {
        const arena = new RecordArena();
        const list = new SealedList(arena);
        let model: Buffer[] = [];
        let lengths = 0;
        for (const o of ops) {
          switch (o.t) {
            case 'pushHead':
              list.pushHead(o.el);
              model.unshift(o.el);
              break;
            case 'pushTail':
              list.pushTail(o.el);
              model.push(o.el);
              break;
            case 'popHead':
              expectSame([list.popHead()], [model.shift()]);
              break;
            case 'popTail':
              expectSame([list.popTail()], [model.pop()]);
              break;
            case 'take': {
              // A visitor that throws (the element failed to open) leaves the element in place.
              let seen: Buffer | undefined;
              const visit = (b: Buffer, st: number, l: number) => {
                seen = Buffer.from(b.subarray(st, st + l));
                if (o.fail) throw new Error('cannot open');
              };
              const take = () => (o.head ? list.takeHead(visit) : list.takeTail(visit));
              if (o.fail && model.length > 0) expect(take).toThrow('cannot open');
              else expect(take()).toBe(model.length > 0);
              expectSame([seen], [o.head ? model[0] : model[model.length - 1]]);
              if (!o.fail) o.head ? model.shift() : model.pop();
              break;
            }
            case 'at': {
              const i = normalizeIndex(o.i, model.length);
              expectSame([i === -1 ? undefined : list.at(i)], [i === -1 ? undefined : model[i]]);
              expectSame([list.at(o.i)], [o.i >= 0 ? model[o.i] : undefined]);
              break;
            }
            case 'set': {
              const i = normalizeIndex(o.i, model.length);
              expect(list.set(i, o.el)).toBe(i !== -1);
              if (i !== -1) model[i] = o.el;
              break;
            }
            case 'insert': {
              const i = Math.min(Math.abs(o.i), model.length);
              list.insertAt(i, o.el);
              model.splice(i, 0, o.el);
              break;
            }
            case 'range': {
              const r = normalizeRange(o.a, o.b, model.length);
              const got: Buffer[] = [];
              if (r !== null) list.range(r[0], r[1], (b, s, l) => void got.push(Buffer.from(b.subarray(s, s + l))));
              expectSame(got, r === null ? [] : model.slice(r[0], r[1] + 1));
              break;
            }
            case 'remove':
              expect(list.removeWhere(firstByteIs(o.v), o.count)).toBe(modelRemove(model, modelFirstByteIs(o.v), o.count));
              break;
            case 'trim': {
              const r = normalizeRange(o.a, o.b, model.length);
              list.trim(r);
              model = r === null ? [] : model.slice(r[0], r[1] + 1);
              break;
            }
            case 'pos':
              expect(list.positions(firstByteIs(o.v), o.rank, o.count, o.maxlen)).toEqual(modelPositions(model, modelFirstByteIs(o.v), o.rank, o.count, o.maxlen));
              break;
            case 'deleteRange': {
              const i = Math.abs(o.i);
              list.deleteRange(i, o.n);
              if (i < model.length) model.splice(i, o.n);
              break;
            }
            case 'reseal':
              list.replaceEach((b, s, l) => reseal(b.subarray(s, s + l), o.grow));
              model = model.map((el) => reseal(el, o.grow));
              break;
            case 'pushMany':
              for (let i = 0; i < o.n; i++) {
                const e = Buffer.alloc(o.size, i);
                e[0] = i & 3;
                if (o.head) {
                  list.pushHead(e);
                  model.unshift(e);
                } else {
                  list.pushTail(e);
                  model.push(e);
                }
              }
              break;
            case 'clear':
              list.clear();
              model = [];
              break;
          }
          // Freed blocks are zeroed and handed out again: a list still reading one would show.
          arena.release();
          expect(list.length).toBe(model.length);
          expectSame(contents(list), model);
          expectSame(backwards(list), model);
          lengths += model.length;
        }
        const payload = model.reduce((n, el) => n + entryBytes(el.length), 0);
        expect(list.memoryBytes()).toBeGreaterThanOrEqual(payload);
        stats.runs++;
        stats.ops += ops.length;
        stats.lengths += lengths;
        stats.nodes = Math.max(stats.nodes, list.nodeCount);
      }),
      { seed: 0x5ea1, numRuns: 200 },
    );
    // The sequences reach past one node: a test that only ever saw tiny lists would prove little.
    expect(stats.lengths / stats.ops).toBeGreaterThan(50);
    expect(stats.nodes).toBeGreaterThan(3);
  });
});

const el = (text: string) => Buffer.from(text);
const is = (text: string): ElementPredicate => (bytes, start, length) => bytes.subarray(start, start + length).equals(el(text));

describe('SealedList', () => {
  it('starts empty: pops give undefined, ranges visit nothing', () => {
    const list = new SealedList(new RecordArena());
    expect(list.length).toBe(0);
    expect(list.popHead()).toBeUndefined();
    expect(list.popTail()).toBeUndefined();
    expect(list.at(0)).toBeUndefined();
    expect(list.set(0, el('x'))).toBe(false);
    expect(list.positions(is('x'), 1, 0, 0)).toEqual([]);
    expect(list.removeWhere(is('x'), 0)).toBe(0);
    list.trim([0, 5]);
    expect(list.length).toBe(0);
    expect(() => list.insertAt(1, el('x'))).toThrow(RangeError);
  });

  it('normalises indexes and ranges as Redis does', () => {
    expect(normalizeIndex(-1, 3)).toBe(2);
    expect(normalizeIndex(-3, 3)).toBe(0);
    expect(normalizeIndex(-4, 3)).toBe(-1);
    expect(normalizeIndex(3, 3)).toBe(-1);
    expect(normalizeRange(0, -1, 3)).toEqual([0, 2]);
    expect(normalizeRange(-100, 100, 3)).toEqual([0, 2]);
    expect(normalizeRange(2, 1, 3)).toBeNull();
    expect(normalizeRange(5, 10, 3)).toBeNull();
    expect(normalizeRange(0, -4, 3)).toBeNull();
    expect(normalizeRange(0, 0, 0)).toBeNull();
  });

  it('keeps a queue (push one end, pop the other) in one reused block', () => {
    const arena = new RecordArena();
    const list = new SealedList(arena);
    for (let i = 0; i < 50; i++) list.pushHead(Buffer.alloc(60, i));
    for (let i = 0; i < 20_000; i++) {
      list.pushHead(Buffer.alloc(60, i & 0xff));
      expect(list.popTail()![0]).toBe(i < 50 ? i : (i - 50) & 0xff);
      if (i % 1000 === 0) arena.release();
    }
    expect(list.length).toBe(50);
    expect(list.nodeCount).toBe(1);
    expect(list.memoryBytes()).toBeLessThan(50 * entryBytes(60) * 2 + 200);
  });

  it('stores a large element in a node of its own and reads it from either end', () => {
    const list = new SealedList(new RecordArena());
    const big = Buffer.alloc(200_000, 7);
    list.pushTail(el('a'));
    list.pushTail(big);
    list.pushTail(el('b'));
    expectSame([list.at(1)], [big]);
    expect(list.nodeCount).toBe(3);
    list.insertAt(2, el('c'));
    expectSame(contents(list), [el('a'), big, el('c'), el('b')]);
    expect(list.popTail()).toEqual(el('b'));
    expect(list.popTail()).toEqual(el('c'));
    expectSame([list.popTail()], [big]);
  });

  it('LPOS: rank skips matches from either end, maxlen bounds the scan, count 0 is all', () => {
    const list = new SealedList(new RecordArena());
    for (const x of ['a', 'b', 'c', 'a', 'b', 'c', 'a']) list.pushTail(el(x));
    expect(list.positions(is('a'), 1, 0, 0)).toEqual([0, 3, 6]);
    expect(list.positions(is('a'), 2, 1, 0)).toEqual([3]);
    expect(list.positions(is('a'), -1, 2, 0)).toEqual([6, 3]);
    expect(list.positions(is('c'), -2, 0, 0)).toEqual([2]);
    expect(list.positions(is('c'), 1, 0, 3)).toEqual([2]);
    expect(list.positions(is('c'), 1, 0, 2)).toEqual([]);
    expect(list.positions(is('a'), 4, 0, 0)).toEqual([]);
    expect(list.indexOf(is('b'))).toBe(1);
    expect(list.indexOf(is('z'))).toBe(-1);
  });

  it('LREM: from the head, from the tail, all', () => {
    const make = () => {
      const list = new SealedList(new RecordArena());
      for (const x of ['a', 'b', 'a', 'c', 'a']) list.pushTail(el(x));
      return list;
    };
    let list = make();
    expect(list.removeWhere(is('a'), 2)).toBe(2);
    expect(contents(list).map(String)).toEqual(['b', 'c', 'a']);
    list = make();
    expect(list.removeWhere(is('a'), -2)).toBe(2);
    expect(contents(list).map(String)).toEqual(['a', 'b', 'c']);
    list = make();
    expect(list.removeWhere(is('a'), 0)).toBe(3);
    expect(contents(list).map(String)).toEqual(['b', 'c']);
    expect(list.removeWhere(is('b'), 0) + list.removeWhere(is('c'), 0)).toBe(2);
    expect(list.length).toBe(0);
    expect(list.nodeCount).toBe(0);
  });

  it('stays consistent when the predicate throws (an element that fails to open)', () => {
    const list = new SealedList(new RecordArena());
    for (let i = 0; i < 400; i++) list.pushTail(Buffer.alloc(50, i % 4));
    let calls = 0;
    const boom: ElementPredicate = (bytes, start) => {
      if (++calls === 300) throw new Error('cannot open');
      return bytes[start] === 1;
    };
    expect(() => list.removeWhere(boom, 0)).toThrow('cannot open');
    // The first 299 elements were judged (75 of them removed); the rest is untouched.
    expect(list.length).toBe(400 - 75);
    const got = contents(list).map((b) => b[0]);
    expect(got.filter((v) => v === 1).length).toBe(100 - 75);
    expect(got.slice(0, 6)).toEqual([0, 2, 3, 0, 2, 3]);
    expect(backwards(list).map((b) => b[0])).toEqual(got);
  });

  it('a capped list (LPUSH + LTRIM 0 99) keeps 100 elements in a bounded number of blocks', () => {
    const arena = new RecordArena();
    const list = new SealedList(arena);
    for (let i = 0; i < 20_000; i++) {
      list.pushHead(Buffer.alloc(64, i & 0xff));
      list.trim(normalizeRange(0, 99, list.length));
      if (i % 500 === 0) arena.release();
    }
    expect(list.length).toBe(100);
    expect(list.at(0)![0]).toBe(19_999 & 0xff);
    expect(list.memoryBytes()).toBeLessThan(100 * entryBytes(64) * 2 + 1024);
  });

  it('walks a 200 k-element list by index from both ends', () => {
    const list = new SealedList(new RecordArena());
    const n = 200_000;
    const e = Buffer.alloc(48);
    for (let i = 0; i < n; i++) {
      e.writeUInt32BE(i, 0);
      list.pushTail(e);
    }
    for (const i of [0, 1, 99_999, 100_000, 150_001, n - 1]) expect(list.at(i)!.readUInt32BE(0)).toBe(i);
    // Elements per node: about NODE_BYTES / 50.
    expect(list.nodeCount).toBeLessThan(Math.ceil(n / Math.floor(NODE_BYTES / entryBytes(48))) + 2);
  });
});

describe('SealedList.pushMany', () => {
  it('pushes in order at either end, as one push per element would', () => {
    const els = Array.from({ length: 300 }, (_, i) => Buffer.alloc(40 + (i % 90), i & 0xff));
    for (const atHead of [true, false]) {
      const many = new SealedList(new RecordArena());
      const one = new SealedList(new RecordArena());
      many.pushTail(Buffer.from('seed'));
      one.pushTail(Buffer.from('seed'));
      for (let i = 0; i < els.length; i += 7) {
        many.pushMany(els.slice(i, i + 7), atHead);
        for (const el of els.slice(i, i + 7)) (atHead ? one.pushHead(el) : one.pushTail(el));
      }
      expectSame(contents(many), contents(one));
      expectSame(backwards(many), contents(one));
    }
  });

  it('a small list pushed at once takes one exact-fit block, not one per intermediate size', () => {
    const arena = new RecordArena();
    const list = new SealedList(arena);
    const allocated: number[] = [];
    const alloc = arena.alloc.bind(arena);
    arena.alloc = (size: number) => (allocated.push(size), alloc(size));
    list.pushMany(Array.from({ length: 5 }, () => Buffer.alloc(55)), false);
    expect(allocated).toEqual([5 * entryBytes(55) + 3]);
    expect(list.length).toBe(5);
  });
});
