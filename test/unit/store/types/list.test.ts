// SealedList against a plain array of Buffers: random operation sequences (fast-check, fixed
// seed) with elements sized to cross node boundaries and the length-prefix widths, the arena's
// freed blocks recycled (zeroed) between operations so a stale block would show; then edges.

import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { RecordArena } from '../../../../src/store/record-arena.js';
import {
  entryBytes, NODE_BYTES, normalizeIndex, normalizeRange, OPEN_BYTES, openListCount, plainEntryBytes, sealAllResting, SealedList, settleOpenLists,
  type ElementPredicate, type ListCodec,
} from '../../../../src/store/types/list.js';
import { blockBytes } from '../../../../src/store/types/blocks.js';
import { OpenError, TEST_OVERHEAD, testCodec } from '../../../helpers/list-codec.js';

/** The codec most tests use: Redis's default node size. */
let C: ListCodec = testCodec();

function contents(list: SealedList): Buffer[] {
  const out: Buffer[] = [];
  list.forEach((bytes, start, length) => {
    out.push(Buffer.from(bytes.subarray(start, start + length)));
  }, C);
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
  }, C, true);
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
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }) },
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
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('pushMany' as const), n: fc.integer({ min: 10, max: 300 }), size: fc.integer({ min: 40, max: 200 }), head: fc.boolean(), bulk: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const) }) },
  // The end of a turn (open end nodes sealed, or their plaintext only wiped), the list at rest,
  // and a full read: pushes and pops in between run against open end nodes.
  { weight: 2, arbitrary: fc.record({ t: fc.constant('settle' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rest' as const) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('check' as const) }) },
);

/** Re-sealing in place with the test codec (what rotation does with the real one). */
function resealed(sealed: Buffer, node: number | undefined): Buffer {
  const plain = Buffer.alloc(sealed.length - TEST_OVERHEAD);
  const out = Buffer.alloc(sealed.length);
  if (node === undefined) {
    C.openElement(sealed, 0, sealed.length, plain, 0);
    C.sealElement(plain, out, 0);
  } else {
    C.openNode(node, sealed, 0, sealed.length, plain, 0);
    C.sealNode(node, plain, out, 0);
  }
  return out;
}

describe.each([
  ['Redis\'s default nodes (8 KiB)', () => testCodec()],
  ['small nodes (1 KiB), many of them sealed', () => testCodec(1024)],
  ['nodes of at most 5 elements', () => testCodec(8192, 5)],
])('SealedList (model-based), %s', (_name, codec) => {
  it('matches an array of buffers over random operation sequences', () => {
    C = codec();
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
              list.pushHead(o.el, C);
              model.unshift(o.el);
              break;
            case 'pushTail':
              list.pushTail(o.el, C);
              model.push(o.el);
              break;
            case 'popHead':
              expectSame([list.popHead(C)], [model.shift()]);
              break;
            case 'popTail':
              expectSame([list.popTail(C)], [model.pop()]);
              break;
            case 'take': {
              // A visitor that throws (the element failed to open) leaves the element in place.
              let seen: Buffer | undefined;
              const visit = (b: Buffer, st: number, l: number) => {
                seen = Buffer.from(b.subarray(st, st + l));
                if (o.fail) throw new Error('cannot open');
              };
              const take = () => (o.head ? list.takeHead(visit, C) : list.takeTail(visit, C));
              if (o.fail && model.length > 0) expect(take).toThrow('cannot open');
              else expect(take()).toBe(model.length > 0);
              expectSame([seen], [o.head ? model[0] : model[model.length - 1]]);
              if (!o.fail) o.head ? model.shift() : model.pop();
              break;
            }
            case 'at': {
              const i = normalizeIndex(o.i, model.length);
              expectSame([i === -1 ? undefined : list.at(i, C)], [i === -1 ? undefined : model[i]]);
              expectSame([list.at(o.i, C)], [o.i >= 0 ? model[o.i] : undefined]);
              break;
            }
            case 'set': {
              const i = normalizeIndex(o.i, model.length);
              expect(list.set(i, o.el, C)).toBe(i !== -1);
              if (i !== -1) model[i] = o.el;
              break;
            }
            case 'insert': {
              const i = Math.min(Math.abs(o.i), model.length);
              list.insertAt(i, o.el, C);
              model.splice(i, 0, o.el);
              break;
            }
            case 'range': {
              const r = normalizeRange(o.a, o.b, model.length);
              const got: Buffer[] = [];
              if (r !== null) list.range(r[0], r[1], (b, s, l) => void got.push(Buffer.from(b.subarray(s, s + l))), C);
              expectSame(got, r === null ? [] : model.slice(r[0], r[1] + 1));
              break;
            }
            case 'remove':
              expect(list.removeWhere(firstByteIs(o.v), o.count, C)).toBe(modelRemove(model, modelFirstByteIs(o.v), o.count));
              break;
            case 'trim': {
              const r = normalizeRange(o.a, o.b, model.length);
              list.trim(r, C);
              model = r === null ? [] : model.slice(r[0], r[1] + 1);
              break;
            }
            case 'pos':
              expect(list.positions(firstByteIs(o.v), o.rank, o.count, o.maxlen, C)).toEqual(modelPositions(model, modelFirstByteIs(o.v), o.rank, o.count, o.maxlen));
              break;
            case 'deleteRange': {
              const i = Math.abs(o.i);
              list.deleteRange(i, o.n, C);
              if (i < model.length) model.splice(i, o.n);
              break;
            }
            case 'reseal':
              // Key rotation: every element and node opened and sealed again where it lies.
              list.replaceEach((b, s, l, node) => resealed(b.subarray(s, s + l), node));
              break;
            case 'pushMany':
              if (o.bulk) {
                const els = Array.from({ length: o.n }, (_, i) => {
                  const e = Buffer.alloc(o.size, i);
                  e[0] = i & 3;
                  return e;
                });
                list.pushMany(els, 0, o.head, C);
                if (o.head) model = [...els.reverse(), ...model];
                else model = [...model, ...els];
                break;
              }
              for (let i = 0; i < o.n; i++) {
                const e = Buffer.alloc(o.size, i);
                e[0] = i & 3;
                if (o.head) {
                  list.pushHead(e, C);
                  model.unshift(e);
                } else {
                  list.pushTail(e, C);
                  model.push(e);
                }
              }
              break;
            case 'clear':
              list.clear();
              model = [];
              break;
            case 'settle':
              settleOpenLists();
              expect(openListCount()).toBe(0);
              break;
            case 'rest':
              sealAllResting();
              break;
            case 'check':
              expectSame(contents(list), model);
              expectSame(backwards(list), model);
              break;
          }
          // Freed blocks are zeroed and handed out again: a list still reading one would show.
          arena.release();
          expect(list.length).toBe(model.length);
          lengths += model.length;
        }
        expectSame(contents(list), model);
        expectSame(backwards(list), model);
        settleOpenLists();
        const payload = model.reduce((n, el) => n + plainEntryBytes(el.length), 0);
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
    C = testCodec();
  });
});

const el = (text: string) => Buffer.from(text);
const is = (text: string): ElementPredicate => (bytes, start, length) => bytes.subarray(start, start + length).equals(el(text));

describe('SealedList', () => {
  it('starts empty: pops give undefined, ranges visit nothing', () => {
    const list = new SealedList(new RecordArena());
    expect(list.length).toBe(0);
    expect(list.popHead(C)).toBeUndefined();
    expect(list.popTail(C)).toBeUndefined();
    expect(list.at(0, C)).toBeUndefined();
    expect(list.set(0, el('x'), C)).toBe(false);
    expect(list.positions(is('x'), 1, 0, 0, C)).toEqual([]);
    expect(list.removeWhere(is('x'), 0, C)).toBe(0);
    list.trim([0, 5], C);
    expect(list.length).toBe(0);
    expect(() => list.insertAt(1, el('x'), C)).toThrow(RangeError);
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

  it('keeps a queue (push one end, pop the other) in a few small sealed nodes', () => {
    const arena = new RecordArena();
    const list = new SealedList(arena);
    for (let i = 0; i < 50; i++) list.pushHead(Buffer.alloc(60, i), C);
    for (let i = 0; i < 20_000; i++) {
      list.pushHead(Buffer.alloc(60, i & 0xff), C);
      expect(list.popTail(C)![0]).toBe(i < 50 ? i : (i - 50) & 0xff);
      // A turn ends every 16 commands (a pipeline of 16).
      if (i % 16 === 15) settleOpenLists();
      if (i % 1000 === 0) arena.release();
    }
    settleOpenLists();
    expect(list.length).toBe(50);
    // 50 elements of 61 plaintext bytes in nodes of up to OPEN_BYTES, each sealed whole.
    expect(list.nodeCount).toBeLessThanOrEqual(Math.ceil((50 * plainEntryBytes(60)) / (OPEN_BYTES - 64)) + 1);
    expect(list.sealedNodeCount).toBe(list.nodeCount);
    expect(list.memoryBytes()).toBeLessThan(50 * entryBytes(60) * 2 + 200);
  });

  it('stores a large element in a node of its own and reads it from either end', () => {
    const list = new SealedList(new RecordArena());
    const big = Buffer.alloc(200_000, 7);
    list.pushTail(el('a'), C);
    list.pushTail(big, C);
    list.pushTail(el('b'), C);
    expectSame([list.at(1, C)], [big]);
    expect(list.nodeCount).toBe(3);
    list.insertAt(2, el('c'), C);
    expectSame(contents(list), [el('a'), big, el('c'), el('b')]);
    expect(list.popTail(C)).toEqual(el('b'));
    expect(list.popTail(C)).toEqual(el('c'));
    expectSame([list.popTail(C)], [big]);
  });

  it('LPOS: rank skips matches from either end, maxlen bounds the scan, count 0 is all', () => {
    const list = new SealedList(new RecordArena());
    for (const x of ['a', 'b', 'c', 'a', 'b', 'c', 'a']) list.pushTail(el(x), C);
    expect(list.positions(is('a'), 1, 0, 0, C)).toEqual([0, 3, 6]);
    expect(list.positions(is('a'), 2, 1, 0, C)).toEqual([3]);
    expect(list.positions(is('a'), -1, 2, 0, C)).toEqual([6, 3]);
    expect(list.positions(is('c'), -2, 0, 0, C)).toEqual([2]);
    expect(list.positions(is('c'), 1, 0, 3, C)).toEqual([2]);
    expect(list.positions(is('c'), 1, 0, 2, C)).toEqual([]);
    expect(list.positions(is('a'), 4, 0, 0, C)).toEqual([]);
    expect(list.indexOf(is('b'), C)).toBe(1);
    expect(list.indexOf(is('z'), C)).toBe(-1);
  });

  it('LREM: from the head, from the tail, all', () => {
    const make = () => {
      const list = new SealedList(new RecordArena());
      for (const x of ['a', 'b', 'a', 'c', 'a']) list.pushTail(el(x), C);
      return list;
    };
    let list = make();
    expect(list.removeWhere(is('a'), 2, C)).toBe(2);
    expect(contents(list).map(String)).toEqual(['b', 'c', 'a']);
    list = make();
    expect(list.removeWhere(is('a'), -2, C)).toBe(2);
    expect(contents(list).map(String)).toEqual(['a', 'b', 'c']);
    list = make();
    expect(list.removeWhere(is('a'), 0, C)).toBe(3);
    expect(contents(list).map(String)).toEqual(['b', 'c']);
    expect(list.removeWhere(is('b'), 0, C) + list.removeWhere(is('c'), 0, C)).toBe(2);
    expect(list.length).toBe(0);
    expect(list.nodeCount).toBe(0);
  });

  it('stays consistent when the predicate throws (an element that fails to open)', () => {
    const list = new SealedList(new RecordArena());
    for (let i = 0; i < 400; i++) list.pushTail(Buffer.alloc(50, i % 4), C);
    let calls = 0;
    const boom: ElementPredicate = (bytes, start) => {
      if (++calls === 300) throw new Error('cannot open');
      return bytes[start] === 1;
    };
    expect(() => list.removeWhere(boom, 0, C)).toThrow('cannot open');
    // Nodes judged whole before the throw lost their matches; the node it came in (and every
    // later one) is untouched: at most the 75 matches of the first 299 elements went.
    const got = contents(list).map((b) => b[0]);
    const removed = 400 - list.length;
    expect(removed).toBeGreaterThan(0);
    expect(removed).toBeLessThanOrEqual(75);
    expect(got.filter((v) => v === 1).length).toBe(100 - removed);
    expect(got.filter((v) => v !== 1)).toEqual(Array.from({ length: 400 }, (_, i) => i % 4).filter((v) => v !== 1));
    expect(got.slice(0, 6)).toEqual([0, 2, 3, 0, 2, 3]);
    expect(backwards(list).map((b) => b[0])).toEqual(got);
  });

  it('a capped list (LPUSH + LTRIM 0 99) keeps 100 elements in a bounded number of blocks', () => {
    const arena = new RecordArena();
    const list = new SealedList(arena);
    for (let i = 0; i < 20_000; i++) {
      list.pushHead(Buffer.alloc(64, i & 0xff), C);
      list.trim(normalizeRange(0, 99, list.length), C);
      if (i % 500 === 0) arena.release();
    }
    expect(list.length).toBe(100);
    expect(list.at(0, C)![0]).toBe(19_999 & 0xff);
    expect(list.memoryBytes()).toBeLessThan(100 * entryBytes(64 + TEST_OVERHEAD) * 2 + 1024);
  });

  it('walks a 200 k-element list by index from both ends', () => {
    const list = new SealedList(new RecordArena());
    const n = 200_000;
    const e = Buffer.alloc(48);
    for (let i = 0; i < n; i++) {
      e.writeUInt32BE(i, 0);
      list.pushTail(e, C);
    }
    for (const i of [0, 1, 99_999, 100_000, 150_001, n - 1]) expect(list.at(i, C)!.readUInt32BE(0)).toBe(i);
    // The small nodes pushes leave behind (OPEN_BYTES each) are packed into full ones once the
    // list rests (and past SMALL_DEFER_MAX of them at once): nodes of NODE_BYTES less at most one small node.
    sealAllResting();
    expect(list.nodeCount).toBeLessThan(Math.ceil(n / Math.floor((NODE_BYTES - OPEN_BYTES) / plainEntryBytes(48))) + 4);
    expect(list.sealedNodeCount).toBe(list.nodeCount);
    for (const i of [0, 1, 99_999, 100_000, 150_001, n - 1]) expect(list.at(i, C)!.readUInt32BE(0)).toBe(i);
  });
});

describe('SealedList.pushMany', () => {
  it('pushes in order at either end, as one push per element would', () => {
    const els = Array.from({ length: 300 }, (_, i) => Buffer.alloc(40 + (i % 90), i & 0xff));
    for (const atHead of [true, false]) {
      const many = new SealedList(new RecordArena());
      const one = new SealedList(new RecordArena());
      many.pushTail(Buffer.from('seed'), C);
      one.pushTail(Buffer.from('seed'), C);
      for (let i = 0; i < els.length; i += 7) {
        many.pushMany(els.slice(i, i + 7 + (i % 3) * 20), 0, atHead, C);
        for (const el of els.slice(i, i + 7 + (i % 3) * 20)) (atHead ? one.pushHead(el, C) : one.pushTail(el, C));
      }
      expectSame(contents(many), contents(one));
      expectSame(backwards(many), contents(one));
    }
  });

  it('a small list pushed at once takes one exact-fit block, sealed whole at the end of the turn', () => {
    const arena = new RecordArena();
    const list = new SealedList(arena);
    const allocated: number[] = [];
    const alloc = arena.alloc.bind(arena);
    arena.alloc = (size: number) => (allocated.push(size), alloc(size));
    list.pushMany(Array.from({ length: 5 }, () => Buffer.alloc(55)), 0, false, C);
    expect(allocated).toEqual([]);
    settleOpenLists();
    expect(allocated).toEqual([blockBytes(5 * plainEntryBytes(55) + TEST_OVERHEAD)]);
    expect(list.length).toBe(5);
    expect(list.sealedNodeCount).toBe(1);
  });

  it('elements too large for an open end are pushed sealed on their own (a loose end node), nothing left open', () => {
    settleOpenLists();
    const arena = new RecordArena();
    const list = new SealedList(arena);
    const allocated: number[] = [];
    const alloc = arena.alloc.bind(arena);
    arena.alloc = (size: number) => (allocated.push(size), alloc(size));
    list.pushMany(Array.from({ length: 5 }, () => Buffer.alloc(300)), 0, false, C);
    expect(openListCount()).toBe(0);
    expect(list.length).toBe(5);
    expect(list.sealedNodeCount).toBe(0);
  });
});

describe('SealedList nodes sealed whole', () => {
  /** The list's node array, for tests that tamper with it as an attacker with heap access would. */
  const nodesOf = (list: SealedList) => (list as unknown as { nodes: { id: number; sealed: boolean; count: number; deadHead: number; deadTail: number }[] }).nodes;

  it('a large push builds full sealed nodes straight from the plaintext: one seal per node, none per element', () => {
    const c = testCodec();
    const list = new SealedList(new RecordArena());
    const els = Array.from({ length: 100_000 }, (_, i) => Buffer.from(String(i).padStart(10, 'e')));
    for (let i = 0; i < els.length; i += 1000) list.pushMany(els.slice(i, i + 1000), 0, false, c);
    expect(c.calls.sealElement).toBe(0);
    expect(list.sealedNodeCount).toBe(list.nodeCount);
    // 11 plaintext bytes per element, 8 KiB nodes: ~745 per node.
    expect(list.nodeCount).toBeLessThanOrEqual(Math.ceil(100_000 / 700));
    expect(list.memoryBytes() / 100_000).toBeLessThan(12.5);
    C = c;
    expect(list.at(0, c)!.toString()).toBe(els[0]!.toString());
    expect(list.at(54_321, c)!.toString()).toBe(els[54_321]!.toString());
    expectSame(contents(list), els);
    C = testCodec();
  });

  it('pops from a sealed end cut that node into sealed groups once, then open one group per pop (no element sealed on its own)', () => {
    const c = testCodec();
    const list = new SealedList(new RecordArena());
    const els = Array.from({ length: 3000 }, (_, i) => Buffer.from(`x${i}`));
    list.pushMany(els, 0, false, c);
    const first = nodesOf(list)[0]!.count;
    const before = { ...c.calls };
    const firstPlain = els.slice(0, first).reduce((n, e) => n + plainEntryBytes(e.length), 0);
    for (let i = 0; i < 10; i++) expect(list.popHead(c)!.toString()).toBe(`x${i}`);
    // One open of the whole node, one seal per group of up to OPEN_BYTES, then ONE open of the
    // first group for all ten pops of the turn.
    expect(c.calls.openNode - before.openNode).toBe(1 + 1);
    expect(c.calls.sealNode - before.sealNode).toBeGreaterThanOrEqual(Math.ceil(firstPlain / OPEN_BYTES));
    expect(c.calls.sealNode - before.sealNode).toBeLessThanOrEqual(Math.ceil(firstPlain / OPEN_BYTES) + 1);
    expect(c.calls.sealElement - before.sealElement).toBe(0);
    expect(c.calls.openElement - before.openElement).toBe(0);
    expect(nodesOf(list).every((n) => n.sealed)).toBe(true);
    // The turn ends: the group only popped from is not sealed again; x0..x9 (3 bytes each) are marked gone in it.
    settleOpenLists();
    expect(c.calls.sealNode - before.sealNode).toBeLessThanOrEqual(Math.ceil(firstPlain / OPEN_BYTES) + 1);
    expect(nodesOf(list)[0]!.deadHead).toBe(30);
    expectSame(contents(list), els.slice(10));
    expect(list.length).toBe(2990);
  });

  it('groups popped from at both ends read, edit, re-seal, copy and take pushes like any sealed node', () => {
    const c = testCodec();
    C = c;
    try {
      const list = new SealedList(new RecordArena());
      let model = Array.from({ length: 2000 }, (_, i) => Buffer.from(`e${i}`));
      list.pushMany(model, 0, false, c);
      for (let i = 0; i < 3; i++) expect(list.popHead(c)!.equals(model[i]!)).toBe(true);
      for (let i = 0; i < 3; i++) expect(list.popTail(c)!.equals(model[model.length - 1 - i]!)).toBe(true);
      model = model.slice(3, -3);
      settleOpenLists();
      expect(nodesOf(list)[0]!.deadHead).toBeGreaterThan(0);
      expect(nodesOf(list).at(-1)!.deadTail).toBeGreaterThan(0);
      expectSame(contents(list), model);
      expectSame(backwards(list), model);
      expect(list.at(0, c)!.equals(model[0]!)).toBe(true);
      expect(list.at(model.length - 1, c)!.equals(model.at(-1)!)).toBe(true);
      // Key rotation re-seals each blob whole, the gone bytes with it; a copy keeps them gone too.
      list.replaceEach((b, s, l) => Buffer.from(b.subarray(s, s + l)));
      const copy = new SealedList(new RecordArena());
      copy.copyResealed(list, (sealed) => Buffer.from(sealed));
      expectSame(contents(copy), model);
      // An edit inside a group, and pushes onto both group ends (each opened for the turn).
      list.set(1, Buffer.from('changed'), c);
      model[1] = Buffer.from('changed');
      list.pushHead(Buffer.from('head'), c);
      list.pushTail(Buffer.from('tail'), c);
      model = [Buffer.from('head'), ...model, Buffer.from('tail')];
      expectSame(contents(list), model);
      while (list.length > 0) expect(list.popTail(c)!.equals(model.pop()!)).toBe(true);
      expect(list.nodeCount).toBe(0);
    } finally {
      C = testCodec();
    }
  });

  it('pushes go to the open end node, sealed once per turn; small nodes left behind are packed once the list rests', async () => {
    const c = testCodec();
    const list = new SealedList(new RecordArena());
    for (let i = 0; i < 500; i++) {
      list.pushTail(Buffer.from(`element-${i}`), c);
      if (i % 16 === 15) settleOpenLists();
    }
    for (let i = 0; i < 500; i++) {
      list.pushHead(Buffer.from(`front-${i}`), c);
      if (i % 16 === 15) settleOpenLists();
    }
    settleOpenLists();
    // No element sealed on its own, none opened: one seal of an end node per turn, and one more
    // each time the end node fills up (OPEN_BYTES, about 14 bytes per element here).
    expect(c.calls.sealElement).toBe(0);
    expect(c.calls.openElement).toBe(0);
    expect(c.calls.sealNode).toBeLessThanOrEqual(2 * (Math.ceil(500 / 16) + Math.ceil((500 * 14) / (OPEN_BYTES - 16))) + 2);
    expect(list.sealedNodeCount).toBe(list.nodeCount);
    const small = list.nodeCount;
    expect(small).toBeGreaterThan(10);
    // The list rests (the rest timer's tick, 100 ms, then one more without changes): the small
    // nodes between the ends are packed into nodes of up to nodeBytes.
    await new Promise((r) => setTimeout(r, 350));
    const nodes = nodesOf(list);
    expect(nodes.length).toBeLessThan(small / 2);
    expect(nodes.every((n) => n.sealed)).toBe(true);
    const model = [...Array.from({ length: 500 }, (_, i) => Buffer.from(`front-${499 - i}`)), ...Array.from({ length: 500 }, (_, i) => Buffer.from(`element-${i}`))];
    expectSame(contents(list), model);
    // Ids rise from head to tail.
    for (let i = 1; i < nodes.length; i++) expect(nodes[i]!.id).toBeGreaterThan(nodes[i - 1]!.id);
  });

  it('nodes swapped, repeated or given another id fail to open', () => {
    const c = testCodec(256);
    const make = () => {
      const list = new SealedList(new RecordArena());
      list.pushMany(Array.from({ length: 1000 }, (_, i) => Buffer.from(`v${i}`)), 0, false, c);
      expect(list.sealedNodeCount).toBe(list.nodeCount);
      return list;
    };
    let list = make();
    let nodes = nodesOf(list);
    [nodes[1], nodes[2]] = [nodes[2]!, nodes[1]!];
    expect(() => contents(list)).toThrow(OpenError);
    list = make();
    nodes = nodesOf(list);
    nodes[2] = nodes[1]!;
    expect(() => list.range(0, list.length - 1, () => true, c)).toThrow(OpenError);
    list = make();
    nodes = nodesOf(list);
    // An id changed so that the order still holds: the seal is bound to the id, so it no longer opens.
    nodes[1]!.id += 1;
    expect(() => list.at(nodes[0]!.count, c)).toThrow(OpenError);
  });

  it('LSET, LINSERT and LREM in the middle re-seal only the node they touch', () => {
    const c = testCodec(512);
    const list = new SealedList(new RecordArena());
    const model = Array.from({ length: 2000 }, (_, i) => Buffer.from(`m${i}`));
    list.pushMany(model, 0, false, c);
    const before = { ...c.calls };
    list.set(1000, Buffer.from('changed'), c);
    model[1000] = Buffer.from('changed');
    list.insertAt(1500, Buffer.from('new'), c);
    model.splice(1500, 0, Buffer.from('new'));
    expect(c.calls.openNode - before.openNode).toBe(2);
    expect(c.calls.sealNode - before.sealNode).toBeLessThanOrEqual(4);
    C = c;
    expectSame(contents(list), model);
    expectSame(backwards(list), model);
    C = testCodec();
  });
});

describe('SealedList node ids', () => {
  it('stay rising through many splits at one place, renumbering (and re-sealing) when two neighbours run out of room', () => {
    const c = testCodec(8192, 2);
    const list = new SealedList(new RecordArena());
    const model = Array.from({ length: 400 }, (_, i) => Buffer.from(`base-${i}`));
    list.pushMany(model, 0, false, c);
    const renumber = vi.spyOn(list as unknown as { renumber: () => void }, 'renumber');
    for (let i = 0; i < 60; i++) {
      const el = Buffer.from(`in-${i}`);
      list.insertAt(101, el, c);
      model.splice(101, 0, el);
    }
    const ids = (list as unknown as { nodes: { id: number }[] }).nodes.map((n) => n.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    expect(renumber).toHaveBeenCalled();
    C = c;
    expectSame(contents(list), model);
    expectSame(backwards(list), model);
    C = testCodec();
  });
});

describe('SealedList open ends (the turn: pushes and pops at an end between two settleOpenLists)', () => {
  const nodesOf = (list: SealedList) => (list as unknown as { nodes: { sealed: boolean; count: number; cap: number }[] }).nodes;

  it('a turn of pushes seals its end node once, a turn of pops opens it once; no element sealed or opened on its own', () => {
    const c = testCodec();
    const list = new SealedList(new RecordArena());
    for (let i = 0; i < 16; i++) list.pushHead(el(`v${i}`), c);
    expect(c.calls).toEqual({ sealElement: 0, openElement: 0, sealNode: 0, openNode: 0 });
    settleOpenLists();
    expect(c.calls).toEqual({ sealElement: 0, openElement: 0, sealNode: 1, openNode: 0 });
    // The next turn opens the end node once, and seals it once.
    for (let i = 16; i < 32; i++) list.pushHead(el(`v${i}`), c);
    settleOpenLists();
    expect(c.calls).toEqual({ sealElement: 0, openElement: 0, sealNode: 2, openNode: 1 });
    // A turn of pops opens it once and seals nothing (the popped bytes stay sealed in the blob, dead).
    for (let i = 31; i >= 16; i--) expect(list.popHead(c)!.toString()).toBe(`v${i}`);
    settleOpenLists();
    expect(c.calls).toEqual({ sealElement: 0, openElement: 0, sealNode: 2, openNode: 2 });
    // A push at the head then cuts the dead bytes away (sealed again from the live elements).
    list.pushHead(el('new'), c);
    settleOpenLists();
    expect(c.calls.sealNode).toBe(3);
    expect(contents(list).map(String)).toEqual(['new', ...Array.from({ length: 16 }, (_, i) => `v${15 - i}`)]);
  });

  it('leaves no plaintext behind when the turn ends: the buffer a pop read from is wiped', () => {
    const c = testCodec();
    const list = new SealedList(new RecordArena());
    const secrets = Array.from({ length: 10 }, (_, i) => el(`secret-${i}-plaintext`));
    for (const s of secrets) list.pushTail(s, c);
    let seen: Buffer | undefined;
    list.takeHead((bytes) => void (seen = bytes), c);
    // The pop read straight from the open end node, where the other elements still are in plaintext...
    expect(seen!.includes(secrets[5]!)).toBe(true);
    expect(openListCount()).toBe(1);
    settleOpenLists();
    // ...until the turn ends: sealed, and the buffer wiped.
    expect(openListCount()).toBe(0);
    expect(seen!.every((b) => b === 0)).toBe(true);
    // A list only popped from in a turn: its opened group is wiped as well.
    list.takeTail((bytes) => void (seen = bytes), c);
    expect(seen!.includes(secrets[5]!)).toBe(true);
    settleOpenLists();
    expect(seen!.every((b) => b === 0)).toBe(true);
    // A list cleared (deleted) in the turn: wiped, not sealed.
    const before = c.calls.sealNode;
    list.pushHead(el('gone'), c);
    list.takeTail((bytes) => void (seen = bytes), c);
    list.clear();
    expect(openListCount()).toBe(0);
    expect(seen!.every((b) => b === 0)).toBe(true);
    expect(c.calls.sealNode).toBe(before);
  });

  it('every other reader or writer in the turn sees the open end\'s pushes and pops, never a stale list', () => {
    const c = testCodec();
    C = c;
    try {
      const make = () => {
        const list = new SealedList(new RecordArena());
        list.pushMany(Array.from({ length: 3000 }, (_, i) => el(`m${i}`)), 0, false, c);
        settleOpenLists();
        // In the turn: pushes at both ends, pops at both ends.
        list.pushHead(el('h1'), c);
        list.pushTail(el('t1'), c);
        expect(list.popHead(c)!.toString()).toBe('h1');
        list.pushHead(el('h2'), c);
        expect(list.popTail(c)!.toString()).toBe('t1');
        expect(list.popTail(c)!.toString()).toBe('m2999');
        list.pushTail(el('t2'), c);
        return list;
      };
      const model = ['h2', ...Array.from({ length: 2999 }, (_, i) => `m${i}`), 't2'];
      const readers: [string, (list: SealedList) => unknown][] = [
        ['forEach', (list) => expect(contents(list).map(String)).toEqual(model)],
        ['forEach from the tail', (list) => expect(backwards(list).map(String)).toEqual(model)],
        ['range', (list) => {
          const got: string[] = [];
          list.range(0, 2, (b, s, l) => void got.push(b.toString('latin1', s, s + l)), c);
          expect(got).toEqual(model.slice(0, 3));
        }],
        ['at', (list) => expect([list.at(0, c)!.toString(), list.at(model.length - 1, c)!.toString()]).toEqual(['h2', 't2'])],
        ['positions', (list) => expect(list.positions(is('t2'), 1, 0, 0, c)).toEqual([model.length - 1])],
        ['set', (list) => (list.set(0, el('H'), c), expect(contents(list).map(String)).toEqual(['H', ...model.slice(1)]))],
        ['insertAt', (list) => (list.insertAt(1, el('I'), c), expect(contents(list).map(String)).toEqual(['h2', 'I', ...model.slice(1)]))],
        ['removeWhere', (list) => (expect(list.removeWhere(is('t2'), 0, c)).toBe(1), expect(contents(list).map(String)).toEqual(model.slice(0, -1)))],
        ['trim', (list) => (list.trim([0, 1], c), expect(contents(list).map(String)).toEqual(model.slice(0, 2)))],
        ['forEachSealed (DUMP, memory scan)', (list) => {
          let count = 0;
          list.forEachSealed((b, s, l, node) => {
            const plain = Buffer.alloc(l - TEST_OVERHEAD);
            if (node === undefined) c.openElement(b, s, l, plain, 0);
            else c.openNode(node, b, s, l, plain, 0);
            count++;
          });
          expect(count).toBeGreaterThan(0);
        }],
        ['copyResealed (RENAME, COPY, MOVE)', (list) => {
          const copy = new SealedList(new RecordArena());
          copy.copyResealed(list, (sealed) => Buffer.from(sealed));
          expect(contents(copy).map(String)).toEqual(model);
        }],
        ['replaceEach (SEAL ROTATE)', (list) => {
          list.replaceEach((b, s, l, node) => resealed(b.subarray(s, s + l), node));
          expect(contents(list).map(String)).toEqual(model);
        }],
        ['sealAtRest', (list) => (list.sealAtRest(Infinity, true), expect(contents(list).map(String)).toEqual(model))],
      ];
      for (const [name, read] of readers) {
        const list = make();
        expect(openListCount(), name).toBe(1);
        read(list);
        // The reader settled the open ends first: nothing is open, every node is sealed or loose as stored.
        expect(openListCount(), name).toBe(0);
        expect(nodesOf(list).every((n) => n.cap > 0), name).toBe(true);
      }
    } finally {
      C = testCodec();
    }
  });

  it('keeps a bounded number of lists open: past that, the one opened first is settled', () => {
    const c = testCodec();
    const lists = Array.from({ length: 100 }, () => new SealedList(new RecordArena()));
    for (const [i, list] of lists.entries()) list.pushTail(el(`x${i}`), c);
    expect(openListCount()).toBeLessThanOrEqual(64);
    expect(c.calls.sealNode).toBe(100 - openListCount());
    settleOpenLists();
    expect(c.calls.sealNode).toBe(100);
    for (const [i, list] of lists.entries()) expect(list.at(0, c)!.toString()).toBe(`x${i}`);
  });
});

describe('SealedList open ends under pushes that never pause', () => {
  it('packs the small nodes pushes leave behind a few at a time, while the other end is open too', () => {
    const c = testCodec();
    C = c;
    try {
      const list = new SealedList(new RecordArena());
      const model: string[] = [];
      let popped = 0;
      for (let i = 0; i < 100_000; i++) {
        const v = `element-${i}-${'x'.repeat(i % 13)}`;
        list.pushHead(el(v), c);
        model.unshift(v);
        // A slow consumer at the tail: its end node is open as well whenever packing runs.
        if (i % 7 === 0) {
          expect(list.popTail(c)!.toString()).toBe(model.pop());
          popped++;
        }
        if (i % 16 === 15) settleOpenLists();
      }
      settleOpenLists();
      const plain = model.reduce((n, v) => n + plainEntryBytes(v.length), 0);
      // Full nodes for all but at most SMALL_DEFER_MAX (64) small ones and the groups at the tail.
      expect(list.nodeCount).toBeLessThan(Math.ceil(plain / (NODE_BYTES - OPEN_BYTES)) + 64 + 12);
      expect(list.length).toBe(100_000 - popped);
      expectSame(contents(list), model.map((v) => el(v)));
    } finally {
      C = testCodec();
    }
  });
});
