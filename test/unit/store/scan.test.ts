import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextBucket, parseCursor, scanStep } from '../../../src/store/scan.js';
import { DIGEST_BYTES, FieldTable } from '../../../src/store/types/field-table.js';
import { Keyspace, stringEntry } from '../../../src/store/keyspace.js';

const NOW = 1_700_000_000_000;

describe('reverse-binary cursor order', () => {
  it('visits every bucket of a 2^n table once, then returns 0', () => {
    for (const bits of [0, 1, 3, 8, 12]) {
      const mask = 2 ** bits - 1;
      const seen = new Set<number>();
      let v = 0;
      do {
        expect(seen.has(v)).toBe(false);
        seen.add(v);
        v = nextBucket(v, mask);
      } while (v !== 0);
      expect(seen.size).toBe(mask + 1);
    }
    // 8 buckets: 0 4 2 6 1 5 3 7.
    const order: number[] = [];
    for (let v = 0, first = true; first || v !== 0; first = false) {
      order.push(v);
      v = nextBucket(v, 7);
    }
    expect(order).toEqual([0, 4, 2, 6, 1, 5, 3, 7]);
  });
});

describe('cursor text', () => {
  const parse = (s: string) => parseCursor(Buffer.from(s, 'latin1'));
  it('reads like Redis 7.0 strtoul (checked against redis-server 7.0.15)', () => {
    expect(parse('0')).toBe(0);
    expect(parse('')).toBe(0);
    expect(parse('00')).toBe(0);
    expect(parse('-0')).toBe(0);
    expect(parse('+1')).toBe(1);
    expect(parse('-1')).toBe(0xffffffff);
    expect(parse('4294967297')).toBe(1);
    expect(parse('18446744073709551615')).toBe(0xffffffff);
    expect(parse('000000000000000000000000018446744073709551615')).toBe(0xffffffff);
    expect(parse('-18446744073709551615')).toBe(1);
    for (const bad of ['18446744073709551616', '-18446744073709551616', ' 1', '1 ', '-', '+', '0x1', 'x', '1.0', '\x001']) {
      expect(parse(bad), JSON.stringify(bad)).toBeNull();
    }
  });
});

/**
 * Runs a scan to the end with `between` applied after each step; asserts the SCAN guarantee:
 * every element present from start to end was returned.
 */
function checkGuarantee(
  step: (cursor: number, visit: (name: string) => void) => number,
  present: () => Set<string>,
  between: (round: number) => void,
): void {
  const seen = new Set<string>();
  const atStart = present();
  let cursor = 0;
  let round = 0;
  do {
    cursor = step(cursor, (n) => seen.add(n));
    if (cursor !== 0) between(round++);
    expect(round).toBeLessThan(100_000);
  } while (cursor !== 0);
  const atEnd = present();
  const owed = [...atStart].filter((n) => atEnd.has(n) && !seen.has(n));
  expect(owed).toEqual([]);
}

describe('SCAN guarantee on the key table', () => {
  it('returns every key present throughout, under random inserts and deletes that grow, shrink and rebuild the table', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 60 }), fc.integer({ min: 5, max: 40 }), (ops, count) => {
        const ks = new Keyspace(1, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
        for (let i = 0; i < 500; i++) ks.set(`k:${i}`, stringEntry(Buffer.from('v'), 0, NOW), 'set');
        let made = 0;
        const keys = () => new Set(ks.keys());
        checkGuarantee(
          (cursor, visit) => ks.scan(cursor, count, visit),
          keys,
          (round) => {
            const [grow, n] = ops[round % ops.length]!;
            // Growth stays bounded, or a scan of COUNT 1 would chase an ever larger table.
            if (grow && ks.size < 4000) for (let i = 0; i < n; i++) ks.set(`t:${made++}`, stringEntry(Buffer.from('v'), 0, NOW), 'set');
            else if (!grow) {
              let left = n;
              for (const k of keys()) {
                if (left-- <= 0) break;
                ks.delete(k, 'del');
              }
            }
          },
        );
      }),
      { seed: 1414, numRuns: 30 },
    );
  });
});

/**
 * A FieldTable filed by name, for tests: the digest is a cheap unkeyed hash of the name (the
 * table only needs 16 random-looking bytes) and the "sealed" string is the name itself, so a
 * visited id tells which field it is.
 */
class NamedTable {
  readonly table = new FieldTable();
  private static readonly out = Buffer.alloc(DIGEST_BYTES);
  /** Four seeded FNV-1a words of the name, murmur-finalized: random-looking and cheap. */
  private static digest(name: string): Buffer {
    for (let w = 0; w < 4; w++) {
      let h = 0x811c9dc5 ^ (w * 0x9e3779b9);
      for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      NamedTable.out.writeUInt32LE(h >>> 0, w * 4);
    }
    return NamedTable.out;
  }
  get size(): number {
    return this.table.size;
  }
  set(name: string): void {
    const d = NamedTable.digest(name);
    const id = this.table.find(d);
    const sealed = Buffer.from(name);
    if (id >= 0) this.table.setAt(id, sealed, 0, sealed.length);
    else this.table.add(d, 0, sealed, 0, sealed.length);
  }
  /** The name entry id holds (its "sealed" bytes). */
  nameAt(id: number): string {
    return this.table.sealedCopy(id).toString();
  }
  delete(name: string): boolean {
    const id = this.table.find(NamedTable.digest(name));
    if (id < 0) return false;
    this.table.deleteAt(id);
    return true;
  }
  has(name: string): boolean {
    return this.table.find(NamedTable.digest(name)) >= 0;
  }
  keys(): string[] {
    return this.table.ids().map((id) => this.nameAt(id));
  }
}

describe('FieldTable', () => {
  it('behaves like a Map (insertion order included) under random sets and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 })), { maxLength: 400 }), (ops) => {
        const named = new NamedTable();
        const map = new Map<string, true>();
        for (const [set, n] of ops) {
          const field = `f${n}`;
          if (set) {
            named.set(field);
            map.set(field, true);
          } else {
            expect(named.delete(field)).toBe(map.delete(field));
          }
          expect(named.size).toBe(map.size);
        }
        expect(named.keys()).toEqual([...map.keys()]);
        expect(named.table.sealedBytes).toBe([...map.keys()].reduce((n, k) => n + k.length, 0));
        for (let n = 0; n <= 60; n++) expect(named.has(`f${n}`)).toBe(map.has(`f${n}`));
        const out = Buffer.alloc(DIGEST_BYTES);
        for (const id of named.table.ids()) {
          named.table.digestInto(id, out, 0);
          expect(named.table.find(out)).toBe(id);
        }
        if (named.size > 0) expect(map.has(named.nameAt(named.table.randomId()))).toBe(true);
      }),
      { seed: 1415, numRuns: 300 },
    );
  });

  it('HSCAN positions keep the guarantee while fields come and go (index built, grown, shrunk, dropped)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 500 })), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }), (ops, count, start) => {
        const named = new NamedTable();
        for (let i = 0; i < start; i++) named.set(`keep:${i}`);
        let made = 0;
        checkGuarantee(
          (cursor, visit) => scanStep(named.table, cursor, count, (id) => visit(named.nameAt(id))),
          () => new Set(named.keys()),
          (round) => {
            const [grow, n] = ops[round % ops.length]!;
            if (grow && named.size < 2000) for (let i = 0; i < n; i++) named.set(`t:${made++}`);
            else if (!grow) for (const f of named.keys().slice(0, n)) named.delete(f);
          },
        );
      }),
      { seed: 1416, numRuns: 200 },
    );
  });

  it('a full scan of an unchanging table returns each field exactly once', () => {
    for (const size of [1, 5, 8, 9, 100, 5000]) {
      const named = new NamedTable();
      for (let i = 0; i < size; i++) named.set(`f${i}`);
      const seen: string[] = [];
      let cursor = 0;
      do cursor = scanStep(named.table, cursor, 7, (id) => seen.push(named.nameAt(id)));
      while (cursor !== 0);
      expect(seen.length).toBe(size);
      expect(new Set(seen).size).toBe(size);
    }
  });
});
