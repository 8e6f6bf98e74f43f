// StreamLog against a plain sorted array of (id, bytes): random operation sequences (fast-check,
// fixed seed) with ids crossing the 32- and 64-bit word edges, entries sized to grow node blocks,
// the arena's freed blocks recycled (zeroed) between operations so a stale view would show; then
// Redis's trimming rules (whole nodes, ~, LIMIT), ids, and the consumer-group structures.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordArena } from '../../../src/store/record-arena.js';
import {
  entryIdAt, formatId, ID_MAX, ID_TEXT_MAX, idMs, idSeq, makeId, SAFE_HALF, StreamLog, U64_MAX, writeEntryIdText, writeIdText, type StreamId,
} from '../../../src/store/types/stream.js';
import { ConsumerGroup, IdMap, StreamGroups } from '../../../src/store/types/stream-groups.js';

type Model = [StreamId, Buffer][];

function contents(log: StreamLog, reverse = false): Model {
  const out: Model = [];
  log.range(0n, ID_MAX, reverse, (id, bytes, start, length) => {
    out.push([id, Buffer.from(bytes.subarray(start, start + length))]);
  });
  return out;
}

/** The ids as scan() hands them out: read from the entries' words, and as text written from them. */
function scannedIds(log: StreamLog): [StreamId[], string[]] {
  const ids: StreamId[] = [];
  const texts: string[] = [];
  const out = Buffer.alloc(ID_TEXT_MAX + 3);
  log.scan(0n, ID_MAX, false, (buf, p) => {
    ids.push(entryIdAt(buf, p));
    texts.push(out.toString('latin1', 3, 3 + writeEntryIdText(buf, p, out, 3)));
  });
  return [ids, texts];
}

function expectSame(actual: Model, expected: Model): void {
  const show = (m: Model) => m.map(([id, b]) => `${formatId(id)}:${b.length}:${b.subarray(0, 6).toString('hex')}`);
  expect(show(actual)).toEqual(show(expected));
}

function bytes(length: number, seed: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (seed + i * 7) & 0xff;
  return b;
}

const LIMITS = { maxEntries: 5, maxBytes: 600 };

/** Steps between ids: small ones (same ms, next seq), ones that carry across word edges, big ones. */
const step = fc.oneof(
  { weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 3n }) },
  { weight: 2, arbitrary: fc.constantFrom(1n << 32n, 1n << 64n, (1n << 64n) - 1n, 1n << 96n) },
  { weight: 2, arbitrary: fc.bigInt({ min: 1n, max: 1n << 70n }) },
);

const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('append' as const), step, size: fc.integer({ min: 0, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('delete' as const), pick: fc.nat() , miss: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('range' as const), a: fc.nat(), b: fc.nat(), reverse: fc.boolean(), stop: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('maxlen' as const), n: fc.integer({ min: 0, max: 30 }), approx: fc.boolean(), limit: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('minid' as const), pick: fc.nat(), approx: fc.boolean(), limit: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reseal' as const), grow: fc.integer({ min: -1, max: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('copy' as const) }) },
);

/** Model ids between the stream's and a bit beyond, for range bounds. */
function pickId(model: Model, n: number, last: StreamId): StreamId {
  if (model.length === 0) return BigInt(n % 5);
  const i = n % (model.length + 2);
  if (i < model.length) return model[i]![0];
  return i === model.length ? 0n : last + 1n;
}

describe('StreamLog against a sorted array', () => {
  it('agrees on appends, deletes, ranges and trims', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 120 }), (ops) => {
        const arena = new RecordArena();
        let log = new StreamLog(arena);
        let model: Model = [];
        let next = 0n;
        for (const o of ops) {
          switch (o.t) {
            case 'append': {
              next += o.step;
              if (next > ID_MAX) next = ID_MAX;
              if (model.length > 0 && next <= log.lastId) break;
              const b = bytes(o.size, Number(next & 0xffn));
              const [ms, seq] = [idMs(next), idSeq(next)];
              // XADD's path for ids whose halves are numbers: room at the tail, filled in place.
              if (o.size % 2 === 0 && ms <= BigInt(SAFE_HALF) && seq <= BigInt(SAFE_HALF)) {
                const at = log.appendSpace(Number(ms), Number(seq), b.length, b.length, LIMITS);
                log.tailBuffer.set(b, at);
                expect(log.lastSafe).toBe(true);
              } else {
                log.append(next, b, b.length, LIMITS);
              }
              model.push([next, b]);
              expect(log.lastId).toBe(next);
              break;
            }
            case 'delete': {
              if (model.length === 0) {
                expect(log.delete(5n)).toBe(false);
                break;
              }
              const i = o.pick % model.length;
              const id = o.miss ? model[i]![0] + 1n : model[i]![0];
              const present = model.some(([m]) => m === id);
              expect(log.delete(id)).toBe(present);
              if (present) model = model.filter(([m]) => m !== id);
              expect(log.has(id)).toBe(false);
              break;
            }
            case 'range': {
              const a = pickId(model, o.a, next);
              const b = pickId(model, o.b, next);
              const seen: StreamId[] = [];
              log.range(a, b, o.reverse, (id) => {
                seen.push(id);
                return o.stop === 0 || seen.length < o.stop;
              });
              let want = model.filter(([id]) => id >= a && id <= b).map(([id]) => id);
              if (o.reverse) want.reverse();
              if (o.stop > 0) want = want.slice(0, o.stop);
              expect(seen.map(formatId)).toEqual(want.map(formatId));
              break;
            }
            case 'maxlen': {
              const before = model.length;
              const removed = log.trim('maxlen', BigInt(o.n), o.approx, o.approx ? o.limit : 0);
              expect(log.length).toBe(before - removed);
              if (!o.approx) expect(log.length).toBe(Math.min(before, o.n));
              else expect(log.length).toBeGreaterThanOrEqual(Math.min(before, o.n));
              if (o.approx && o.limit > 0) expect(removed).toBeLessThanOrEqual(o.limit);
              model = model.slice(removed);
              break;
            }
            case 'minid': {
              const bound = pickId(model, o.pick, next);
              const before = model.length;
              const removed = log.trim('minid', bound, o.approx, o.approx ? o.limit : 0);
              const below = model.filter(([id]) => id < bound).length;
              if (!o.approx) expect(removed).toBe(below);
              else expect(removed).toBeLessThanOrEqual(below);
              expect(log.length).toBe(before - removed);
              model = model.slice(removed);
              break;
            }
            case 'reseal': {
              log.replaceEach((id, b, start, length) => {
                const out = Buffer.alloc(Math.max(0, length + o.grow));
                for (let i = 0; i < out.length; i++) out[i] = (b[start + (i % Math.max(1, length))] ?? 0) ^ 0x5a;
                expect(idMs(id) >= 0n && idSeq(id) <= U64_MAX).toBe(true);
                return out;
              });
              model = model.map(([id, b]) => {
                const out = Buffer.alloc(Math.max(0, b.length + o.grow));
                for (let i = 0; i < out.length; i++) out[i] = (b[i % Math.max(1, b.length)] ?? 0) ^ 0x5a;
                return [id, out];
              });
              break;
            }
            case 'copy': {
              const copy = log.copy((_id, b, start, length) => Buffer.from(b.subarray(start, start + length)));
              expect(copy.lastId).toBe(log.lastId);
              expect(copy.entriesAdded).toBe(log.entriesAdded);
              log.clear();
              log = copy;
              break;
            }
          }
          // Freed blocks are zeroed and handed out again: any view into them would now show it.
          arena.release();
          expect(log.length).toBe(model.length);
          expectSame(contents(log), model);
          const [ids, texts] = scannedIds(log);
          expect(texts).toEqual(model.map(([id]) => formatId(id)));
          expect(ids).toEqual(model.map(([id]) => id));
          if (model.length > 0) {
            const top = model[model.length - 1]![0];
            expect(log.lastEntryAbove(top)).toBe(false);
            expect(log.lastEntryAbove(top - 1n)).toBe(true);
          } else {
            expect(log.lastEntryAbove(0n)).toBe(false);
          }
        }
        expectSame(contents(log, true), [...model].reverse());
        expect(log.firstId()).toBe(model[0]?.[0]);
        expect(log.lastEntryId()).toBe(model[model.length - 1]?.[0]);
        for (const [id, b] of model) expect(log.get(id)?.equals(b)).toBe(true);
      }),
      { seed: 0x57e4, numRuns: 300 },
    );
  });
});

describe('StreamLog nodes and trimming', () => {
  function filled(n: number, limits = { maxEntries: 100, maxBytes: 0 }): StreamLog {
    const log = new StreamLog(new RecordArena());
    for (let i = 1; i <= n; i++) log.append(makeId(BigInt(i), 0n), bytes(20, i), 20, limits);
    return log;
  }

  it('splits nodes at stream-node-max-entries, counting deleted entries as Redis does', () => {
    const log = filled(250);
    expect(log.nodeCount).toBe(3);
    const small = new StreamLog(new RecordArena());
    for (let i = 1; i <= 4; i++) small.append(BigInt(i), bytes(10, i), 10, { maxEntries: 2, maxBytes: 0 });
    small.delete(4n);
    small.append(5n, bytes(10, 5), 10, { maxEntries: 2, maxBytes: 0 });
    expect(small.nodeCount).toBe(3);
  });

  it('splits nodes at stream-node-max-bytes', () => {
    const log = new StreamLog(new RecordArena());
    for (let i = 1; i <= 10; i++) log.append(BigInt(i), bytes(10, i), 100, { maxEntries: 100, maxBytes: 350 });
    // 100 + 100 + 100 + 100 >= 350: each node takes three entries.
    expect(log.nodeCount).toBe(4);
  });

  it('sizes a node for the entries it can take: an entry over stream-node-max-bytes gets a block of its own size', () => {
    const limits = { maxEntries: 100, maxBytes: 4096 };
    // Blocks, node objects and all: within 10 % (plus a little per node) of the entries' bytes.
    const near = (log: StreamLog, entryBytes: number) => expect(log.memoryBytes()).toBeLessThan(1.1 * entryBytes + 200 * log.nodeCount);
    for (const size of [4096, 8192, 65_536, 140_000]) {
      const log = new StreamLog(new RecordArena());
      for (let i = 1; i <= 10; i++) log.append(BigInt(i), bytes(size, i), size, limits);
      expect(log.nodeCount).toBe(10);
      near(log, 10 * size); // each node's block was 8 entries' room
    }
    // 1,000-byte entries: four to a node (4 x 1,000 < 4,096), blocks of four entries' room, not eight.
    const log = new StreamLog(new RecordArena());
    for (let i = 1; i <= 40; i++) log.append(BigInt(i), bytes(1000, i), 1000, limits);
    expect(log.nodeCount).toBe(10);
    near(log, 40 * 1000);
  });

  it('MAXLEN ~ removes whole nodes only, exact MAXLEN cuts into the first node', () => {
    const log = filled(250);
    expect(log.trim('maxlen', 120n, true, 0)).toBe(100);
    expect(log.length).toBe(150);
    expect(log.trim('maxlen', 120n, false, 0)).toBe(30);
    expect(log.firstId()).toBe(makeId(131n, 0n));
  });

  it('LIMIT stops before a node that would pass it', () => {
    const log = filled(500);
    expect(log.trim('maxlen', 0n, true, 250)).toBe(200);
    expect(log.length).toBe(300);
  });

  it('MINID removes entries below the id, with ~ only whole nodes', () => {
    const log = filled(250);
    expect(log.trim('minid', makeId(150n, 0n), true, 0)).toBe(100);
    expect(log.trim('minid', makeId(150n, 0n), false, 0)).toBe(49);
    expect(log.firstId()).toBe(makeId(150n, 0n));
  });

  it('keeps lastId, entriesAdded and maxDeletedId apart from the entries', () => {
    const log = filled(3);
    log.delete(makeId(3n, 0n));
    expect(log.lastId).toBe(makeId(3n, 0n));
    expect(log.entriesAdded).toBe(3);
    expect(log.lastEntryId()).toBe(makeId(2n, 0n));
    log.clear();
    expect(log.length).toBe(0);
    expect(log.firstId()).toBeUndefined();
  });

  it('keeps lastId as numbers while both halves are safe, exact beyond', () => {
    const log = new StreamLog(new RecordArena());
    expect([log.lastSafe, log.lastMs, log.lastSeq, log.lastId]).toEqual([true, 0, 0, 0n]);
    log.lastId = makeId(BigInt(SAFE_HALF), 5n);
    expect([log.lastSafe, log.lastMs, log.lastSeq]).toEqual([true, SAFE_HALF, 5]);
    log.lastId = makeId(BigInt(SAFE_HALF) + 1n, 0n);
    expect(log.lastSafe).toBe(false);
    expect(log.lastId).toBe(makeId(BigInt(SAFE_HALF) + 1n, 0n));
    log.lastId = makeId(7n, BigInt(SAFE_HALF) + 1n);
    expect(log.lastSafe).toBe(false);
    log.lastId = ID_MAX;
    expect([log.lastSafe, log.lastId]).toEqual([false, ID_MAX]);
    log.lastId = makeId(1733400000000n, 0n);
    const at = log.appendSpace(1733400000000, 1, 3, 3, { maxEntries: 100, maxBytes: 0 });
    log.tailBuffer.set([1, 2, 3], at);
    expect(log.lastId).toBe(makeId(1733400000000n, 1n));
    expect(formatId(log.lastEntryId()!)).toBe('1733400000000-1');
  });

  it('writes id text as formatId does, across the 2^53 and 2^64 edges', () => {
    const out = Buffer.alloc(ID_TEXT_MAX + 1);
    const halves = [0, 1, 9, 10, 99999999, 100000000, 100000001, 999999999, 1e9, 2 ** 32 - 1, 2 ** 32, 1733400000000, SAFE_HALF];
    for (const ms of halves) {
      for (const seq of halves) expect(out.toString('latin1', 1, 1 + writeIdText(out, 1, ms, seq))).toBe(`${ms}-${seq}`);
    }
    const header = Buffer.alloc(20);
    for (const id of [0n, ID_MAX, makeId(U64_MAX, 5n), makeId(5n, U64_MAX), makeId(1n << 53n, (1n << 53n) - 1n), makeId(BigInt(SAFE_HALF), 1n << 53n)]) {
      header.writeBigUInt64BE(idMs(id), 0);
      header.writeBigUInt64BE(idSeq(id), 8);
      expect(out.toString('latin1', 0, writeEntryIdText(header, 0, out, 0))).toBe(formatId(id));
      expect(entryIdAt(header, 0)).toBe(id);
    }
  });

  it('formats and splits 128-bit ids', () => {
    const id = makeId(U64_MAX, U64_MAX);
    expect(id).toBe(ID_MAX);
    expect(formatId(id)).toBe('18446744073709551615-18446744073709551615');
    expect(formatId(makeId(1n << 32n, 7n))).toBe('4294967296-7');
  });
});

describe('consumer groups', () => {
  it('IdMap keeps ids ordered with inserts anywhere, deletes and ranges', () => {
    const m = new IdMap<string>();
    for (const id of [5n, 1n, 9n, 3n, 7n]) m.set(id, `v${id}`);
    expect([...m.values()]).toEqual(['v1', 'v3', 'v5', 'v7', 'v9']);
    expect([...m.range(3n, 7n)]).toEqual(['v3', 'v5', 'v7']);
    expect([...m.range(0n, ID_MAX, 2)]).toEqual(['v1', 'v3']);
    expect(m.delete(5n)).toBe(true);
    expect(m.delete(5n)).toBe(false);
    expect(m.get(7n)).toBe('v7');
    expect(m.lowerBound(6n)).toBe(2);
    expect(m.first()).toBe(1n);
    expect(m.last()).toBe(9n);
  });

  it('delivers, hands over, acknowledges and deletes consumers with both PELs in step', () => {
    const g = new ConsumerGroup(0n, 0);
    const alice = g.createConsumer('alice', 1)!;
    const bob = g.createConsumer('bob', 2)!;
    expect(g.createConsumer('alice', 3)).toBeUndefined();
    g.deliver(1n, alice, 10, 1);
    g.deliver(2n, alice, 10, 1);
    g.deliver(2n, bob, 20, 1);
    expect(alice.pel.size).toBe(1);
    expect(bob.pel.size).toBe(1);
    expect(g.pel.get(2n)!.consumer).toBe(bob);
    expect(g.ack(1n)).toBe(true);
    expect(g.ack(1n)).toBe(false);
    expect(alice.pel.size).toBe(0);
    expect(g.deleteConsumer('bob')).toBe(1);
    expect(g.pel.size).toBe(0);
    expect(g.deleteConsumer('bob')).toBe(-1);
    expect(g.sortedConsumers().map((c) => c.name)).toEqual(['alice']);
  });

  it('clones groups deeply (COPY)', () => {
    const groups = new StreamGroups();
    const g = groups.create('g', 5n, 2)!;
    const c = g.createConsumer('c', 1)!;
    g.deliver(3n, c, 7, 2);
    const copy = groups.clone();
    g.ack(3n);
    const cg = copy.get('g')!;
    expect(cg.pel.size).toBe(1);
    expect(cg.consumer('c')!.pel.get(3n)).toBe(cg.pel.get(3n));
    expect(cg.lastId).toBe(5n);
    expect(groups.create('g', 0n, 0)).toBeUndefined();
    expect(groups.sorted().map(([n]) => n)).toEqual(['g']);
  });
});
