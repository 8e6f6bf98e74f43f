import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nextBucket, parseCursor, scanStep } from '../../../src/store/scan.js';
import { FieldTable } from '../../../src/store/types/field-table.js';
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

describe('FieldTable', () => {
  it('behaves like a Map (insertion order included) under random sets and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 })), { maxLength: 400 }), (ops) => {
        const table = new FieldTable();
        const map = new Map<string, Buffer>();
        for (const [set, n] of ops) {
          const field = `f${n}`;
          if (set) {
            const value = Buffer.from(String(Math.random()));
            table.set(field, value);
            map.set(field, value);
          } else {
            expect(table.delete(field)).toBe(map.delete(field));
          }
          expect(table.size).toBe(map.size);
        }
        expect([...table]).toEqual([...map]);
        expect([...table.keys()]).toEqual([...map.keys()]);
        for (let n = 0; n <= 60; n++) {
          expect(table.get(`f${n}`)).toBe(map.get(`f${n}`));
          expect(table.has(`f${n}`)).toBe(map.has(`f${n}`));
        }
      }),
      { seed: 1415, numRuns: 300 },
    );
  });

  it('HSCAN positions keep the guarantee while fields come and go (index built, grown, shrunk, dropped)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 500 })), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }), (ops, count, start) => {
        const table = new FieldTable();
        for (let i = 0; i < start; i++) table.set(`keep:${i}`, Buffer.from('v'));
        let made = 0;
        checkGuarantee(
          (cursor, visit) => scanStep(table, cursor, count, visit),
          () => new Set(table.keys()),
          (round) => {
            const [grow, n] = ops[round % ops.length]!;
            if (grow && table.size < 2000) for (let i = 0; i < n; i++) table.set(`t:${made++}`, Buffer.from('v'));
            else if (!grow) for (const f of [...table.keys()].slice(0, n)) table.delete(f);
          },
        );
      }),
      { seed: 1416, numRuns: 200 },
    );
  });

  it('a full scan of an unchanging table returns each field exactly once', () => {
    for (const size of [1, 5, 8, 9, 100, 5000]) {
      const table = new FieldTable();
      for (let i = 0; i < size; i++) table.set(`f${i}`, Buffer.from('v'));
      const seen: string[] = [];
      let cursor = 0;
      do cursor = scanStep(table, cursor, 7, (f) => seen.push(f));
      while (cursor !== 0);
      expect(seen.length).toBe(size);
      expect(new Set(seen).size).toBe(size);
    }
  });
});
