// The key table's incremental rehash: a new table is allocated when the load factor says so and
// the old one drains into it a few slots per insert/remove (and a slice per cron tick). Every
// lookup, slot walk and SCAN must see each key exactly as with a table rehashed in one pass.
// Most tests give the table a tiny per-operation budget so most operations happen mid-rehash.

import { describe, expect, it } from 'vitest';
import { hashKey, KeyTable } from '../../../src/store/key-table.js';
import { Keyspace, stringEntry } from '../../../src/store/keyspace.js';
import { RecordArena } from '../../../src/store/record-arena.js';
import { scanStep } from '../../../src/store/scan.js';
import { prng } from '../../helpers/prng.js';

const NOW = 1_700_000_000_000;

function tableWithBudget(budget: number): {
  table: KeyTable;
  add(key: string): number;
  remove(key: string): void;
} {
  const table = new KeyTable(new RecordArena(), 16, budget);
  return {
    table,
    add(key) {
      const hash = hashKey(key);
      expect(table.find(key, hash)).toBe(-1);
      const handle = table.newRecord(key, hash, 0, 0);
      table.insert(hash, handle);
      return handle;
    },
    remove(key) {
      const slot = table.find(key, hashKey(key));
      expect(slot).toBeGreaterThanOrEqual(0);
      const handle = table.handleAt(slot);
      table.removeAt(slot);
      table.arena.free(handle, table.recordBytes(handle));
    },
  };
}

/** Every key a walk over slot numbers (as Keyspace.keys() does) meets, with how often. */
function slotWalk(table: KeyTable): Map<string, number> {
  const seen = new Map<string, number>();
  for (let slot = 0; slot < table.slotCount; slot++) {
    const handle = table.handleAt(slot);
    if (handle !== 0) {
      const key = table.keyOf(handle);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  return seen;
}

/** A whole SCAN with nothing changing meanwhile: every key, and how often. */
function fullScan(table: KeyTable, count = 7): Map<string, number> {
  const seen = new Map<string, number>();
  let cursor = 0;
  do {
    cursor = scanStep(table, cursor, count, (handle) => {
      const key = table.keyOf(handle);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    });
  } while (cursor !== 0);
  return seen;
}

describe('KeyTable incremental rehash', () => {
  it('starts a rehash without moving every key at once, and a synchronous finish is needed only rarely', () => {
    const { table, add } = tableWithBudget(64);
    for (let i = 0; i < 12_288; i++) add(`k:${i}`);
    expect(table.capacity).toBe(16_384);
    expect(table.rehashing).toBe(false);
    const epoch = table.epoch;
    add('k:12288'); // past 3/4 of 16384: grow to 32768
    expect(table.epoch).toBe(epoch + 1);
    expect(table.capacity).toBe(32_768);
    expect(table.rehashing).toBe(true);
    // Both tables' slots are addressed: the old one past capacity.
    expect(table.slotCount).toBe(32_768 + 16_384);
    // 16384 old slots at 64 per insert: done after 256 more operations, not before.
    for (let i = 0; i < 250; i++) add(`more:${i}`);
    expect(table.rehashing).toBe(true);
    for (let i = 250; i < 260; i++) add(`more:${i}`);
    expect(table.rehashing).toBe(false);
    expect(table.slotCount).toBe(32_768);
    expect(table.epoch).toBe(epoch + 1);
    for (let i = 0; i < 12_289; i++) expect(table.find(`k:${i}`, hashKey(`k:${i}`))).toBeGreaterThanOrEqual(0);
  });

  it('the cron share drains a running rehash within its deadline', () => {
    const { table, add } = tableWithBudget(1);
    for (let i = 0; i < 13; i++) add(`k:${i}`);
    for (let i = 13; i < 200_000 && !table.rehashing; i++) add(`k:${i}`);
    expect(table.rehashing).toBe(true);
    // A deadline already past still moves one batch; an open one finishes it.
    table.rehashUntil(0);
    expect(table.rehashUntil(performance.now() + 1000)).toBe(false);
    expect(table.rehashing).toBe(false);
  });

  for (const budget of [1, 3]) {
    it(`agrees with a Map under random inserts, removes, finds and scans mid-rehash (budget ${budget} slots per operation)`, () => {
      const rand = prng(2026_12_06 + budget);
      const { table, add, remove } = tableWithBudget(budget);
      const model = new Map<string, number>();
      const pool = Array.from({ length: 3000 }, (_, i) => `key:${i}:${Math.floor(rand() * 1e6)}`);
      let opsMidRehash = 0;
      let rehashes = 0;
      let lastEpoch = table.epoch;
      let sawShrink = false;
      let lastCapacity = table.capacity;
      const check = (): void => {
        expect(table.size).toBe(model.size);
        // Slot walk: each key exactly once, with its handle.
        const walked = slotWalk(table);
        expect(walked.size).toBe(model.size);
        for (const [k, n] of walked) {
          if (n !== 1 || !model.has(k)) expect.fail(`slot walk: ${k} seen ${n} times, in model: ${model.has(k)}`);
        }
        // SCAN: every key, none twice when nothing changes in between.
        const scanned = fullScan(table);
        expect(scanned.size).toBe(model.size);
        for (const [k, n] of scanned) if (n !== 1 || !model.has(k)) expect.fail(`scan: ${k} seen ${n} times`);
        // Every bucket's visit lists only keys homed there.
        for (let b = 0; b <= table.scanMask; b += 97) {
          table.visitBucket(b, (h) => expect(table.hashOf(h) & table.scanMask).toBe(b));
        }
      };
      // Phases: fill (grows), drain (shrinks), churn (rebuilds at the same size).
      const phases: Array<[number, number]> = [
        [0.8, 6000],
        [0.15, 6000],
        [0.5, 8000],
        [0.9, 4000],
        [0.05, 8000],
      ];
      for (const [insertShare, ops] of phases) {
        for (let op = 0; op < ops; op++) {
          if (table.rehashing) opsMidRehash++;
          const key = pool[Math.floor(rand() * pool.length)]!;
          const r = rand();
          if (r < insertShare) {
            if (!model.has(key)) model.set(key, add(key));
          } else if (r < insertShare + (1 - insertShare) * 0.8) {
            if (model.has(key)) {
              remove(key);
              model.delete(key);
            }
          } else {
            const slot = table.find(key, hashKey(key));
            if (model.has(key)) expect(table.handleAt(slot)).toBe(model.get(key));
            else expect(slot).toBe(-1);
          }
          if (table.epoch !== lastEpoch) {
            rehashes += table.epoch - lastEpoch;
            lastEpoch = table.epoch;
            if (table.capacity < lastCapacity) sawShrink = true;
            lastCapacity = table.capacity;
          }
          if (op % 500 === 0) check();
        }
        check();
        // Finds of every pooled key, whatever the table's state.
        for (const k of pool) {
          const slot = table.find(k, hashKey(k));
          if (model.has(k)) expect(table.handleAt(slot)).toBe(model.get(k));
          else expect(slot).toBe(-1);
        }
      }
      expect(rehashes).toBeGreaterThan(8);
      expect(sawShrink).toBe(true);
      // Many operations met a rehash in progress (the point of the tiny budget).
      expect(opsMidRehash).toBeGreaterThan(8000 / budget);
    });
  }

  for (const direction of ['growth', 'shrink'] as const) {
    it(`SCAN across a ${direction} mid-rehash returns every key present throughout`, () => {
      const rand = prng(direction === 'growth' ? 11 : 12);
      const { table, add, remove } = tableWithBudget(2);
      const throughout = new Set<string>();
      const temp: string[] = [];
      let made = 0;
      if (direction === 'growth') {
        for (let i = 0; i < 700; i++) throughout.add(`stay:${i}`), add(`stay:${i}`);
      } else {
        for (let i = 0; i < 300; i++) throughout.add(`stay:${i}`), add(`stay:${i}`);
        for (let i = 0; i < 5000; i++) temp.push(`tmp:${made}`), add(`tmp:${made++}`);
      }
      const startCapacity = table.capacity;
      const epoch = table.epoch;
      const seen = new Set<string>();
      let cursor = 0;
      let steps = 0;
      let stepsMidRehash = 0;
      do {
        cursor = scanStep(table, cursor, 5, (h) => seen.add(table.keyOf(h)));
        if (table.rehashing) stepsMidRehash++;
        steps++;
        // Between steps: the table grows (inserts) or drains (removes), a little at a time.
        for (let i = 0; i < 12; i++) {
          if (direction === 'growth') {
            temp.push(`tmp:${made}`);
            add(`tmp:${made++}`);
          } else if (temp.length > 0) {
            const at = Math.floor(rand() * temp.length);
            const [k] = temp.splice(at, 1);
            remove(k!);
          }
        }
      } while (cursor !== 0);
      const missed = [...throughout].filter((k) => !seen.has(k));
      expect(missed).toEqual([]);
      expect(table.epoch - epoch).toBeGreaterThanOrEqual(1);
      if (direction === 'growth') expect(table.capacity).toBeGreaterThan(startCapacity);
      else expect(table.capacity).toBeLessThan(startCapacity);
      expect(stepsMidRehash).toBeGreaterThan(20);
      expect(steps).toBeGreaterThan(50);
    });
  }
});

describe('Keyspace mid-rehash', () => {
  it('keys(), forEachEntry(), forEachStored(), scan(), sample(), randomKey() and clear() see every key', () => {
    const ks = new Keyspace(0, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
    const table = (): KeyTable => (ks as unknown as { table: KeyTable }).table;
    // 12288 keys fill 16384 slots to 3/4: the next insert starts a growth that takes 256 more
    // operations (64 old slots each) to finish.
    const keys: string[] = [];
    for (let i = 0; i <= 12_288; i++) {
      keys.push(`k:${i}`);
      ks.set(`k:${i}`, stringEntry(Buffer.from('v'), 0, NOW), 'set');
    }
    expect(table().rehashing).toBe(true);
    // A few more inserts and deletes, so keys sit in both tables.
    for (let i = 0; i < 40; i++) ks.delete(`k:${i * 3}`, 'del');
    const live = new Set(keys.filter((_, i) => !(i % 3 === 0 && i < 120)));
    expect(table().rehashing).toBe(true);
    expect(ks.size).toBe(live.size);
    expect(ks.indexBytes).toBe((32_768 + 16_384) * 8);

    const count = (list: Iterable<string>): Map<string, number> => {
      const m = new Map<string, number>();
      for (const k of list) m.set(k, (m.get(k) ?? 0) + 1);
      return m;
    };
    const exactlyOnce = (m: Map<string, number>): void => {
      expect(m.size).toBe(live.size);
      for (const [k, n] of m) if (n !== 1 || !live.has(k)) expect.fail(`${k}: ${n} times, live ${live.has(k)}`);
    };
    exactlyOnce(count(ks.keys()));
    const entries: string[] = [];
    ks.forEachEntry((k) => entries.push(k));
    exactlyOnce(count(entries));
    const stored: string[] = [];
    ks.forEachStored((k) => stored.push(k));
    exactlyOnce(count(stored));
    const scanned: string[] = [];
    let cursor = 0;
    do cursor = ks.scan(cursor, 100, (k) => scanned.push(k));
    while (cursor !== 0);
    exactlyOnce(count(scanned));
    // sample() keeps going round both tables: live.size samples give every key once.
    const sampled: string[] = [];
    for (let i = 0; i < live.size; i += 500) ks.sample(Math.min(500, live.size - i), false, (k) => sampled.push(k));
    expect(table().rehashing).toBe(true);
    exactlyOnce(count(sampled));
    // randomKey finds keys in either table.
    for (let i = 0; i < 200; i++) expect(live.has(ks.randomKey(NOW)!)).toBe(true);
    // Every key is found, and deleting during keys() (KEYS expiring what it meets) still lists each once.
    for (const k of live) expect(ks.get(k, NOW)).toBeDefined();
    const listed: string[] = [];
    let n = 0;
    for (const k of ks.keys()) {
      listed.push(k);
      if (n++ % 2 === 0) ks.delete(k, 'del');
    }
    expect(table().rehashing).toBe(true);
    exactlyOnce(count(listed));
    // The cron's share finishes the rehash; every key left is still found.
    expect(ks.rehashSlice(performance.now() + 1000)).toBe(false);
    expect(table().rehashing).toBe(false);
    expect(ks.indexBytes).toBe(32_768 * 8);
    let left = 0;
    for (const k of live) if (ks.get(k, NOW) !== undefined) left++;
    expect(left).toBe(ks.size);
    expect(ks.clear()).toBe(live.size - Math.ceil(live.size / 2));
    expect(ks.size).toBe(0);
    expect([...ks.keys()]).toEqual([]);
  });
});
