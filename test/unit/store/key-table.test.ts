// The key table and the Keyspace over it: binary latin1 keys in arena records, lookups through
// linear probing with tombstones, rehashes (growing, or at the same size to drop tombstones),
// walks that survive rehashes, string views that move their record, and boxing.

import { describe, expect, it } from 'vitest';
import { hashKey, hashKeyBytes, KeyTable } from '../../../src/store/key-table.js';
import { BoxedString, Keyspace, KeyWalk, stringEntry, type StringEntry } from '../../../src/store/keyspace.js';
import { RecordArena } from '../../../src/store/record-arena.js';
import { StoredString } from '../../../src/store/stored-string.js';
import { prng } from '../../helpers/prng.js';

function newKeyspace(): Keyspace {
  return new Keyspace(0, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
}

function randomBytes(rand: () => number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** A binary key as its latin1 lookup string: short (byte loop) and long (> 16, latin1Write) ones. */
function randomKey(rand: () => number): string {
  const r = rand();
  const length = r < 0.6 ? Math.floor(rand() * 17) : 17 + Math.floor(rand() * 48);
  const bytes = randomBytes(rand, length);
  // Make the edge bytes common rather than 1-in-256.
  for (let i = 0; i < length; i++) if (rand() < 0.1) bytes[i] = rand() < 0.5 ? 0 : 255;
  return bytes.toString('latin1');
}

function stringAt(ks: Keyspace, key: string, now: number): StringEntry {
  const entry = ks.get(key, now);
  if (entry === undefined) throw new Error(`key ${JSON.stringify(key)} not found`);
  if (!('value' in entry)) throw new Error('not a string entry');
  return entry;
}

/** A KeyTable used directly: records with only a key (no value). */
function rawTable(capacity = 16): { table: KeyTable; add(key: string, hash?: number): number; remove(key: string, hash?: number): void } {
  const table = new KeyTable(new RecordArena(), capacity);
  return {
    table,
    add(key, hash = hashKey(key)) {
      expect(table.find(key, hash)).toBe(-1);
      const handle = table.newRecord(key, hash, 0, 0);
      table.insert(hash, handle);
      return handle;
    },
    remove(key, hash = hashKey(key)) {
      const slot = table.find(key, hash);
      expect(slot).toBeGreaterThanOrEqual(0);
      table.removeAt(slot);
    },
  };
}

const NOW = 1_700_000_000_000;

describe('KeyTable', () => {
  it('tells apart keys that share a hash by their bytes, across tombstones in the probe chain', () => {
    const { table, add, remove } = rawTable(64);
    // All on one hash: every lookup walks the same probe chain and must compare key bytes.
    const keys = ['', '\x00', '\x00\x00', '\xff', 'ab', 'abc', 'x'.repeat(40), 'x'.repeat(39) + 'y', '\x00'.repeat(17), '\xff'.repeat(17)];
    const handles = new Map(keys.map((k) => [k, add(k, 7)]));
    for (const k of keys) {
      const slot = table.find(k, 7);
      expect(table.handleAt(slot)).toBe(handles.get(k));
      expect(table.keyOf(table.handleAt(slot))).toBe(k);
    }
    expect(table.find('abcd', 7)).toBe(-1);
    expect(table.find('ab', 8)).toBe(-1);
    // Removing from the middle of the chain leaves a tombstone the later keys are found past.
    remove('\xff', 7);
    remove('ab', 7);
    expect(table.find('ab', 7)).toBe(-1);
    expect(table.find('\xff', 7)).toBe(-1);
    expect(table.handleAt(table.find('x'.repeat(40), 7))).toBe(handles.get('x'.repeat(40)));
    expect(table.handleAt(table.find('\xff'.repeat(17), 7))).toBe(handles.get('\xff'.repeat(17)));
    expect(table.size).toBe(keys.length - 2);
  });

  it('rebuilds at the same capacity once deletions fill it with tombstones, and finds still work', () => {
    const { table, add, remove } = rawTable(1024);
    const live: string[] = [];
    for (let i = 0; i < 200; i++) live.push(`live:${i}`);
    const liveHandles = live.map((k) => add(k));
    expect(table.epoch).toBe(0);
    // Insert-then-delete churn: the live count stays at 200 (too many to shrink) while tombstones pile up.
    let n = 0;
    let occupiedAfterRebuild = -1;
    while (table.epoch === 0) {
      const key = `gone:${n++}`;
      add(key);
      // Once the rebuild (incremental) has run its course: no tombstones, only the 200 live
      // keys and the one just added.
      if (table.epoch !== 0) {
        expect(table.rehashing).toBe(true);
        table.finishRehash();
        occupiedAfterRebuild = (table as unknown as { occupied: number }).occupied;
      }
      remove(key);
      expect(n).toBeLessThan(10_000);
    }
    expect(n).toBeGreaterThan(500);
    expect(table.epoch).toBe(1);
    expect(table.capacity).toBe(1024);
    expect(occupiedAfterRebuild).toBe(201);
    expect(table.size).toBe(200);
    let occupiedSlots = 0;
    for (let s = 0; s < table.capacity; s++) if (table.handleAt(s) !== 0) occupiedSlots++;
    expect(occupiedSlots).toBe(200);
    live.forEach((k, i) => expect(table.handleAt(table.find(k, hashKey(k)))).toBe(liveHandles[i]));
    for (let i = 0; i < n; i++) expect(table.find(`gone:${i}`, hashKey(`gone:${i}`))).toBe(-1);
  });

  it('shrinks once it is an eighth full, keeping every key findable', () => {
    const { table, add, remove } = rawTable(16);
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const handles = keys.map((k) => add(k));
    expect(table.capacity).toBe(2048);
    for (const k of keys.slice(20)) remove(k);
    // 2048 -> 512 (at 255 live) -> 128 (at 63 live); 20 live keys in 128 slots stay above 1/8.
    expect(table.capacity).toBe(128);
    keys.slice(0, 20).forEach((k, i) => expect(table.handleAt(table.find(k, hashKey(k)))).toBe(handles[i]));
    for (const k of keys.slice(20)) expect(table.find(k, hashKey(k))).toBe(-1);
  });

  it('keeps a sealed name after fixed-length keys (--seal-keys): found by the key alone, carried when its record moves, renewed in place', () => {
    const table = new KeyTable(new RecordArena(), 16, undefined, 16);
    const key = 'k'.repeat(16);
    const hash = hashKey(key);
    const name = Buffer.from('a sealed name: any bytes, the key area knows only their length');
    const handle = table.newRecord(key, hash, 4, 4, name.length);
    table.arena.bytes[handle >>> 17]!.set(name, table.nameAt(handle));
    table.insert(hash, handle);
    expect(table.keyOf(handle)).toBe(key);
    expect(table.nameOf(handle)).toEqual(name);
    expect(table.find(`${'k'.repeat(15)}j`, hash)).toBe(-1);
    const moved = table.relocate(handle, 40);
    expect(table.handleAt(table.find(key, hash))).toBe(moved);
    expect(table.nameOf(moved)).toEqual(name);
    expect(table.recordBytes(moved)).toBe(32 + 16 + name.length + 40);
    const renewed = Buffer.alloc(name.length, 7);
    table.writeName(moved, renewed);
    expect(table.nameOf(moved)).toEqual(renewed);
    expect(() => table.writeName(moved, Buffer.alloc(3))).toThrow();
    // A record without a name (a boxed entry's: its object keeps it).
    const bare = table.newRecord('b'.repeat(16), hashKey('b'.repeat(16)), 0, 0);
    expect(table.nameOf(bare)).toBeUndefined();
    expect(table.keyOf(bare)).toBe('b'.repeat(16));
  });

  it('grows when the keys are live ones', () => {
    const { table, add } = rawTable(16);
    for (let i = 0; i < 13; i++) add(`k${i}`);
    expect(table.capacity).toBe(32);
    for (let i = 0; i < 13; i++) expect(table.keyOf(table.handleAt(table.find(`k${i}`, hashKey(`k${i}`))))).toBe(`k${i}`);
  });
});

describe('Keyspace over the key table', () => {
  it('agrees with a Map under 100k random binary keys and a random mix of sets and deletes', () => {
    const rand = prng(20240601);
    const ks = newKeyspace();
    const pool = new Set<string>(['', '\x00', '\xff', '\x00\xff', '\xff'.repeat(16), '\xff'.repeat(17), '\x00'.repeat(64), 'a'.repeat(16), 'a'.repeat(17)]);
    while (pool.size < 100_000) pool.add(randomKey(rand));
    const keys = [...pool];
    expect(keys.filter((k) => k.length > 16).length).toBeGreaterThan(20_000);
    const model = new Map<string, Buffer>();
    const value = (): Buffer => {
      const r = rand();
      // Mostly inline values, some empty, a few over the inline limit (stored boxed).
      const length = r < 0.05 ? 0 : r < 0.999 ? 1 + Math.floor(rand() * 120) : 33_000;
      return randomBytes(rand, length);
    };
    const set = (key: string): void => {
      const v = value();
      ks.set(key, stringEntry(v, 0, NOW), 'set');
      model.set(key, Buffer.from(v));
    };
    const check = (): void => {
      expect(ks.size).toBe(model.size);
      for (const [k, v] of model) {
        const got = ks.get(k, NOW) as StringEntry | undefined;
        if (got === undefined || !got.value.equals(v)) expect.fail(`key ${JSON.stringify(k)}: ${got === undefined ? 'missing' : 'wrong value'}`);
      }
      // Every key the table lists comes back byte for byte and is in the model.
      let listed = 0;
      for (const k of ks.keys()) {
        if (!model.has(k)) expect.fail(`listed key ${JSON.stringify(k)} is not in the model`);
        listed++;
      }
      expect(listed).toBe(model.size);
    };

    // Round 0: insert every key.
    for (const k of keys) set(k);
    ks.arena.release();
    check();
    for (let round = 1; round <= 6; round++) {
      // Deletes outweigh sets in early rounds and the other way round later, so the table both
      // drains (tombstones) and refills.
      const deleteShare = round <= 3 ? 0.65 : 0.35;
      for (let op = 0; op < 60_000; op++) {
        const k = keys[Math.floor(rand() * keys.length)]!;
        if (rand() < deleteShare) expect(ks.delete(k, 'del')).toBe(model.delete(k));
        else set(k);
      }
      // Frees take effect only now: zeroing recycled blocks must not touch live records.
      ks.arena.release();
      check();
      for (let i = 0; i < 2000; i++) {
        const k = keys[Math.floor(rand() * keys.length)]!;
        if (!model.has(k)) expect(ks.get(k, NOW)).toBeUndefined();
      }
    }
    expect(model.size).toBeGreaterThan(1000);
    expect(model.size).toBeLessThan(keys.length);
    for (const k of ['', '\x00', '\xff']) {
      ks.set(k, stringEntry(Buffer.from(`v${k}`, 'latin1'), 0, NOW), 'set');
      expect(stringAt(ks, k, NOW).value.toString('latin1')).toBe(`v${k}`);
    }
    // ~3 s alone; a machine shared with other jobs has taken 31 s.
  }, 120_000);

  it('walks every key present for the whole walk, even when inserts rehash and deletes happen mid-walk', () => {
    const ks = newKeyspace();
    const table = (): KeyTable => (ks as unknown as { table: KeyTable }).table;
    // 3000 keys in 4096 slots: long probe runs, so a rehash moves many keys to lower slots
    // than the walk has reached, and a walk that did not start over would miss them.
    const throughout = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      ks.set(`w:${i}`, stringEntry(Buffer.from('w'), 0, NOW), 'set');
      throughout.add(`w:${i}`);
    }
    expect(table().capacity).toBe(4096);
    const epoch = table().epoch;
    const seen = new Map<string, number>();
    const walk = ks.walk();
    const temp = new Set<string>();
    let made = 0;
    let events = 0;
    let steps = 0;
    for (let k = walk.next(); k !== undefined; k = walk.next()) {
      seen.set(k, (seen.get(k) ?? 0) + 1);
      if (++steps % 60 !== 0 || events >= 40) continue;
      switch (events++ % 4) {
        case 0: // inserts that grow the table
          for (let i = 0; i < 2000; i++) {
            const key = `t:${made++}`;
            ks.set(key, stringEntry(Buffer.from('t'), 0, NOW), 'set');
            temp.add(key);
          }
          break;
        case 1: // deletes that leave tombstones
          for (const key of temp) ks.delete(key, 'del');
          temp.clear();
          break;
        case 2: // churn that fills the table with tombstones until it is rebuilt at its size
          for (let i = 0; i < 6000; i++) {
            const key = `t:${made++}`;
            ks.set(key, stringEntry(Buffer.from('t'), 0, NOW), 'set');
            ks.delete(key, 'del');
          }
          break;
        default: // keys deleted mid-walk are no longer owed to it
          for (let i = 0; i < 10; i++) {
            const key = `w:${(events * 131 + i * 7) % 3000}`;
            ks.delete(key, 'del');
            throughout.delete(key);
          }
      }
      expect(steps).toBeLessThan(1_000_000);
    }
    const missed = [...throughout].filter((k) => !seen.has(k));
    expect(missed).toEqual([]);
    // The walk lasted through every event and saw several rehashes.
    expect(events).toBe(40);
    expect(table().epoch - epoch).toBeGreaterThanOrEqual(5);
    expect(throughout.size).toBeLessThan(3000);
    expect(walk.next()).toBeUndefined();
  });

  it('still gives the keys a rebuild moved below the slot the walk had reached', () => {
    const { table, add, remove } = rawTable(64);
    // One forced hash: fillers take slots 0..19, targets 20..29.
    for (let i = 0; i < 20; i++) add(`filler:${i}`, 0);
    const targets: string[] = [];
    for (let i = 0; i < 10; i++) targets.push(`target:${i}`);
    for (const k of targets) add(k, 0);
    const walk = new KeyWalk({ generation: 0 } as unknown as Keyspace, table);
    const seen = new Set<string>();
    for (let i = 0; i < 25; i++) seen.add(walk.next()!);
    expect(seen.has('target:9')).toBe(false);
    // Tombstones, then churn until the table is rebuilt at its size: the targets slide down to
    // slots 0..9, behind the walk's position.
    for (let i = 0; i < 20; i++) remove(`filler:${i}`, 0);
    // Each churn key gets its own hash so it takes a fresh empty slot rather than a tombstone.
    for (let n = 30; table.epoch === 0 && n < 64; n++) {
      add(`churn:${n}`, n);
      remove(`churn:${n}`, n);
    }
    expect(table.epoch).toBe(1);
    expect(table.capacity).toBe(64);
    expect(table.find('target:9', 0)).toBeLessThan(25);
    for (let k = walk.next(); k !== undefined; k = walk.next()) seen.add(k);
    expect(targets.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('walks an unchanging keyspace once per key', () => {
    const ks = newKeyspace();
    for (let i = 0; i < 500; i++) ks.set(`k:${i}`, stringEntry(Buffer.from('v'), 0, NOW), 'set');
    ks.delete('k:7', 'del');
    const walk = ks.walk();
    const seen: string[] = [];
    for (let k = walk.next(); k !== undefined; k = walk.next()) seen.push(k);
    expect(seen.length).toBe(499);
    expect(new Set(seen).size).toBe(499);
    expect(seen).not.toContain('k:7');
  });

  it('marks a walk stale after clear(), and it gives nothing more', () => {
    const ks = newKeyspace();
    for (let i = 0; i < 100; i++) ks.set(`k:${i}`, stringEntry(Buffer.from('v'), 0, NOW), 'set');
    const walk = ks.walk();
    expect(walk.next()).toBeDefined();
    expect(walk.stale).toBe(false);
    expect(ks.clear()).toBe(100);
    expect(walk.stale).toBe(true);
    // Keys added after the flush belong to a new table, not to this walk.
    ks.set('after', stringEntry(Buffer.from('v'), 0, NOW), 'set');
    expect(walk.next()).toBeUndefined();
    expect(ks.size).toBe(1);
    expect(ks.walk().next()).toBe('after');
  });

  it('moves a string record when its view gets a value of another length, keeping expiry and access time', () => {
    const ks = newKeyspace();
    const key = 'moving:' + '\xff\x00'.repeat(10);
    const expires = NOW + 60_000;
    ks.set(key, stringEntry(Buffer.from('0123456789'), expires, NOW - 5), 'set');
    ks.set('neighbour', stringEntry(Buffer.from('untouched'), 0, NOW), 'set');
    const view = ks.get(key, NOW);
    expect(view).toBeInstanceOf(StoredString);
    const stored = view as StoredString;
    stored.accounted = 123;
    const first = stored.handle;

    // Same length: written in place.
    stored.value = Buffer.from('abcdefghij');
    expect(stored.handle).toBe(first);

    // Longer: a new record; lookups find it.
    const longer = Buffer.alloc(300, 0x5a);
    stored.value = longer;
    expect(stored.handle).not.toBe(first);
    ks.arena.release();
    const afterLonger = stringAt(ks, key, NOW);
    expect(afterLonger.value).toEqual(longer);
    expect(afterLonger.expiresAt).toBe(expires);
    expect(afterLonger.touchedAt).toBe(NOW - 5);
    expect(afterLonger.accounted).toBe(123);

    // Shorter, after the table has rehashed under the view: the record still finds its slot.
    const second = stored.handle;
    for (let i = 0; i < 5000; i++) ks.set(`filler:${i}`, stringEntry(Buffer.from('f'), 0, NOW), 'set');
    stored.value = Buffer.from('xy');
    expect(stored.handle).not.toBe(second);
    ks.arena.release();
    const afterShorter = stringAt(ks, key, NOW);
    expect(afterShorter.value.toString()).toBe('xy');
    expect(afterShorter.expiresAt).toBe(expires);
    expect(afterShorter.touchedAt).toBe(NOW - 5);
    expect(ks.size).toBe(5002);

    // Past 64 KiB the record gets a slab of its own, and comes back when it shrinks again.
    const huge = Buffer.alloc(70_000, 0x33);
    stored.value = huge;
    expect(stringAt(ks, key, NOW).value).toEqual(huge);
    const slabBytes = ks.arena.slabBytes;
    stored.value = Buffer.from('small');
    ks.arena.release();
    expect(ks.arena.slabBytes).toBeLessThan(slabBytes);
    expect(stringAt(ks, key, NOW).value.toString()).toBe('small');
    expect(stringAt(ks, 'neighbour', NOW).value.toString()).toBe('untouched');
  });

  it('boxes a stored string into an object that later lookups return, and set() puts it back inline', () => {
    const ks = newKeyspace();
    const expires = NOW + 1000;
    ks.set('b', stringEntry(Buffer.from('hello'), expires, NOW - 9), 'set');
    ks.set('c', stringEntry(Buffer.from('other'), 0, NOW), 'set');
    const stored = ks.get('b', NOW) as StoredString;
    expect(stored).toBeInstanceOf(StoredString);
    stored.accounted = 42;

    const boxed = ks.box('b')!;
    expect(boxed).toBeInstanceOf(BoxedString);
    expect(boxed.value.toString()).toBe('hello');
    expect(boxed.expiresAt).toBe(expires);
    expect(boxed.touchedAt).toBe(NOW - 9);
    expect(boxed.accounted).toBe(42);
    // The spill tier keeps the object: every lookup must give that same object back.
    expect(ks.get('b', NOW)).toBe(boxed);
    expect(ks.peek('b')).toBe(boxed);
    expect(ks.box('b')).toBe(boxed);
    // Its bytes are its own: recycling the old record does not touch them.
    ks.arena.release();
    expect(boxed.value.toString()).toBe('hello');
    expect(ks.box('missing')).toBeUndefined();

    ks.set('b', stringEntry(Buffer.from('world'), 0, NOW), 'set');
    const inline = ks.get('b', NOW);
    expect(inline).toBeInstanceOf(StoredString);
    expect(inline).not.toBe(boxed);
    expect((inline as StoredString).value.toString()).toBe('world');

    // The freed object slot is reused by the next box without mixing up entries.
    const boxedC = ks.box('c')!;
    expect(ks.get('c', NOW)).toBe(boxedC);
    expect(boxedC.value.toString()).toBe('other');
    expect(ks.get('b', NOW)).toBeInstanceOf(StoredString);
    expect(stringAt(ks, 'b', NOW).value.toString()).toBe('world');
  });
});

describe('hashKey', () => {
  it('is deterministic within the process and tells keys apart', () => {
    expect(hashKey('abc')).toBe(hashKey('abc'));
    expect(hashKey('')).toBe(hashKey(''));
    expect(hashKey('abc')).not.toBe(hashKey('abd'));
    expect(hashKey('\x00')).not.toBe(hashKey(''));
    for (const k of ['', 'a', '\xff'.repeat(100)]) {
      const h = hashKey(k);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });

  it('spreads 100k sequential keys over the low 17 bits', () => {
    const buckets = new Uint16Array(1 << 17);
    for (let i = 0; i < 100_000; i++) buckets[hashKey(`key:${i}`) & ((1 << 17) - 1)]!++;
    // A uniform hash gives a max bucket around 7 here; 12 would mean clustering.
    expect(buckets.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(12);
    // About 1 - e^(-100000/131072) = 53% of buckets get a key.
    const used = buckets.filter((n) => n > 0).length;
    expect(used).toBeGreaterThan(0.5 * (1 << 17));
    // The high bits spread too (a hash of sequential names that only counts up would not).
    const high = new Uint16Array(1 << 17);
    for (let i = 0; i < 100_000; i++) high[hashKey(`key:${i}`) >>> 15]!++;
    expect(high.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(12);
  });

  it('hashKeyBytes() of a key\'s bytes is hashKey() of its latin1 string', () => {
    const rand = prng(7);
    for (let i = 0; i < 2000; i++) {
      const key = randomKey(rand);
      const at = Math.floor(rand() * 5);
      const bytes = Buffer.concat([Buffer.alloc(at, 0x61), Buffer.from(key, 'latin1'), Buffer.alloc(3, 0x62)]);
      expect(hashKeyBytes(bytes, at, key.length)).toBe(hashKey(key));
    }
  });

  it('prefetchRaw() of keys in a read changes nothing a lookup sees', () => {
    const ks = newKeyspace();
    for (let i = 0; i < 1000; i++) ks.set(`k${i}`, stringEntry(Buffer.from([i & 255]), 0, 0), 'set');
    const read = Buffer.from('k1k999nopek500', 'latin1');
    const starts = Int32Array.from([0, 2, 6, 10]);
    const lengths = Int32Array.from([2, 4, 4, 4]);
    ks.prefetchRaw(read, starts, lengths, 4);
    expect(ks.size).toBe(1000);
    for (const key of ['k1', 'k999', 'k500']) expect(ks.get(key, 0)).toBeDefined();
    expect(ks.get('nope', 0)).toBeUndefined();
  });
});
