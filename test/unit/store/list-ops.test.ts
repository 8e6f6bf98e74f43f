// Lists as the type-blind paths see them through the ops record: TYPE's name, OBJECT ENCODING,
// memory, every sealed element with its purpose, RENAME/COPY's re-sealed copy, key rotation's
// renewal in place, and the arena blocks given back when the entry leaves the keyspace.
// "Sealed" bytes are stand-ins: the ops only pass them to the callbacks they are given.

import { describe, expect, it } from 'vitest';
import { Purpose } from '../../../src/seal/values.js';
import { Keyspace, Kind, listEntry, type ListEntry } from '../../../src/store/keyspace.js';
import { collectionOps, opsOf, TYPE_OPS, typeName } from '../../../src/store/types/index.js';
import { listOps } from '../../../src/store/types/list-ops.js';
import type { ListCodec } from '../../../src/store/types/list.js';

const NOW = 1_700_000_000_000;
const seal = (text: string) => Buffer.concat([Buffer.from([0xee]), Buffer.from(text)]);
/** "Sealing" for these tests: a marker byte before the bytes (0xee an element, 0xef a node). */
const codec: ListCodec = {
  overhead: 1,
  nodeBytes: 8192,
  nodeCount: 65535,
  sealElement: (plain, out, at) => void (out[at] = 0xee, out.set(plain, at + 1)),
  openElement: (src, start, length, out, at) => void src.copy(out, at, start + 1, start + length),
  sealNode: (_id, plain, out, at) => void (out[at] = 0xef, out.set(plain, at + 1)),
  openNode: (_id, src, start, length, out, at) => void src.copy(out, at, start + 1, start + length),
  broken: (what) => {
    throw new Error(what);
  },
};
/** An element too large for an open end node (list.ts OPEN_ELEMENT): sealed on its own in a loose end node. */
const big = (text: string) => text.padEnd(400, '.');
const texts = (entry: ListEntry) => {
  const out: string[] = [];
  entry.forEach((bytes, start, length) => void out.push(bytes.toString('latin1', start, start + length)), codec);
  return out;
};

function listOf(...items: string[]): ListEntry {
  const l = listEntry(NOW);
  for (const t of items) l.pushTail(Buffer.from(t), codec);
  return l;
}

/** A list pushed at once: its nodes sealed whole. */
function bulkListOf(items: string[]): ListEntry {
  const l = listEntry(NOW);
  l.pushMany(items.map((t) => Buffer.from(t)), 0, false, codec);
  return l;
}

describe('list ops', () => {
  it('are the ops record entry for Kind.List', () => {
    expect(TYPE_OPS[Kind.List]).toBe(listOps);
    expect(opsOf(listOf('a'))).toBe(listOps);
    expect(collectionOps(Kind.List)).toBe(listOps);
    expect(typeName(listOf('a'))).toBe('list');
  });

  it('answer OBJECT ENCODING quicklist, as Redis 7.0 does for every list, without opening anything', () => {
    const inspect = { plainLength: () => { throw new Error('not needed'); }, isInteger: () => { throw new Error('not needed'); } };
    expect(listOps.encoding(listOf('a'), inspect)).toBe('quicklist');
    expect(listOps.encoding(listOf(...Array.from({ length: 1000 }, (_, i) => `e${i}`)), inspect)).toBe('quicklist');
  });

  it('count elements and memory that grows with them', () => {
    const small = listOf('a');
    const large = listOf(...Array.from({ length: 1000 }, () => 'x'.repeat(50)));
    expect(listOps.elements(large)).toBe(1000);
    expect(listOps.valueBytes(large, Infinity) - listOps.valueBytes(small, Infinity)).toBeGreaterThan(999 * 51);
    expect(listOps.isEmpty(listEntry(NOW))).toBe(true);
    expect(listOps.create(NOW).length).toBe(0);
  });

  it('visit every element sealed on its own (too large for an open end node) as a list element, bound to no name', () => {
    const [a, b] = [big('a'), big('b')];
    const seen: [string, Purpose, string | undefined][] = [];
    listOps.forEachSealed(listOf(a, b), (sealed, purpose, bind) => seen.push([sealed.toString('latin1', 1), purpose, bind]));
    expect(seen).toEqual([[a, Purpose.ListElement, undefined], [b, Purpose.ListElement, undefined]]);
  });

  it('visit small elements pushed in one turn as one node sealed whole (the open end settled first)', () => {
    const seen: [string, Purpose, string | undefined][] = [];
    listOps.forEachSealed(listOf('a', 'b'), (sealed, purpose, bind) => seen.push([sealed.toString('latin1', 1), purpose, bind]));
    expect(seen).toEqual([['\u0001a\u0001b', Purpose.ListNode, '0']]);
  });

  it('visit a node sealed whole as a list node, bound to its id; reseal and renew keep its id', () => {
    const items = Array.from({ length: 2000 }, (_, i) => `n${i}`);
    const list = bulkListOf(items);
    const seen: [Purpose, string | undefined][] = [];
    listOps.forEachSealed(list, (sealed, purpose, bind) => {
      expect(sealed[0]).toBe(0xef);
      seen.push([purpose, bind]);
    });
    expect(seen.length).toBe(list.nodeCount);
    expect(seen.every(([p, bind]) => p === Purpose.ListNode && bind !== undefined && /^-?\d+$/.test(bind))).toBe(true);
    const binds: (string | undefined)[] = [];
    const copy = listOps.reseal(list, (sealed, _p, bind) => (binds.push(bind), Buffer.from(sealed)), NOW);
    expect(binds).toEqual(seen.map(([, b]) => b));
    expect(texts(copy)).toEqual(items);
    expect(listOps.renewEach(copy, (sealed) => Buffer.from(sealed))).toBe(copy.nodeCount);
    expect(texts(copy)).toEqual(items);
  });

  it('reseal into a new entry in order, keeping the TTL; a failure leaves the source alone', () => {
    const src = listOf('a', 'b', 'c');
    src.expiresAt = NOW + 5000;
    const copy = listOps.reseal(src, (sealed) => seal(sealed.toString('latin1', 1).toUpperCase()), NOW + 1);
    expect(texts(copy)).toEqual(['A', 'B', 'C']);
    expect(copy.expiresAt).toBe(NOW + 5000);
    expect(copy.touchedAt).toBe(NOW + 1);
    expect(copy.sealedName).toBeUndefined();
    expect(() => listOps.reseal(src, () => { throw new Error('seal failed'); }, NOW)).toThrow('seal failed');
    expect(texts(src)).toEqual(['a', 'b', 'c']);
  });

  it('renew in place, counting only the elements renewed (null keeps one as it was)', () => {
    const l = listOf(big('a'), big('b'), big('c'));
    const renewed = listOps.renewEach(l, (sealed) => (sealed.toString('latin1', 1) === big('b') ? null : seal(sealed.toString('latin1', 1) + '!')));
    expect(renewed).toBe(2);
    expect(texts(l)).toEqual([`${big('a')}!`, big('b'), `${big('c')}!`]);
  });

  it('give their blocks back when the entry leaves the keyspace (delete, overwrite, flush)', () => {
    const db = new Keyspace(1, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
    const lists = [listOf('a', 'b'), listOf('c'), listOf('d')];
    db.set('k1', lists[0]!, 'rpush');
    db.set('k2', lists[1]!, 'rpush');
    db.set('k3', lists[2]!, 'rpush');
    db.delete('k1', 'del');
    db.set('k2', listOf('e'), 'rpush');
    db.clear();
    for (const l of lists) {
      expect(l.length).toBe(0);
      expect(l.nodeCount).toBe(0);
    }
  });
});

describe('list ops and nodes waiting to be sealed', () => {
  it('RENAME/COPY of a list fresh from a run of pushes copies its middle nodes sealed whole', () => {
    const c: ListCodec = { ...codec, nodeBytes: 64 };
    const src = listEntry(NOW);
    for (let i = 0; i < 200; i++) src.pushTail(Buffer.from(big(`p${i}`)), c);
    expect(src.nodeCount).toBeGreaterThan(2);
    const copy = listOps.reseal(src, (sealed) => Buffer.from(sealed), NOW);
    expect(copy.sealedNodeCount).toBe(copy.nodeCount - 2);
    expect(texts(copy)).toEqual(Array.from({ length: 200 }, (_, i) => big(`p${i}`)));
  });

  it('RENAME/COPY in the turn of the pushes copies the open end node sealed, and the small nodes packed', () => {
    const c: ListCodec = { ...codec, nodeBytes: 4096 };
    const src = listEntry(NOW);
    for (let i = 0; i < 2000; i++) src.pushTail(Buffer.from(`p${i}`), c);
    const copy = listOps.reseal(src, (sealed) => Buffer.from(sealed), NOW);
    expect(copy.sealedNodeCount).toBe(copy.nodeCount);
    expect(copy.nodeCount).toBeLessThanOrEqual(Math.ceil((2000 * 6) / (4096 - 1024)) + 2);
    expect(texts(copy)).toEqual(Array.from({ length: 2000 }, (_, i) => `p${i}`));
    expect(texts(src)).toEqual(Array.from({ length: 2000 }, (_, i) => `p${i}`));
  });
});
