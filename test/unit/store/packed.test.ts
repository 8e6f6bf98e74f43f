// The keyspace's side of packing small collections (store/types/packed.ts, store/packed-record.ts)
// with a stand-in packer (the store never seals or opens: the real packer, seal/packing.ts, is
// driven through the server in test/functional/packed-collections.test.ts). A "blob" here is the
// list's elements joined with their lengths, enough to check that what goes in comes back out.

import { describe, expect, it } from 'vitest';
import { Keyspace, Kind, listEntry, type Entry, type ListEntry } from '../../../src/store/keyspace.js';
import { PackedEntry, type PackedLike, type PackedVisitor, type Packer } from '../../../src/store/types/packed.js';
import { isPackedForm, PackedRecord } from '../../../src/store/packed-record.js';
import { testCodec } from '../../helpers/list-codec.js';

const C = testCodec();

const T0 = 1_800_000_000_000;

class StandInPacker implements Packer {
  packs = 0;
  unpacks = 0;

  pack(_db: number, _key: string, entry: Entry): PackedEntry | null {
    if (entry.kind !== Kind.List || entry.length > 4) return null;
    let blob = '';
    entry.forEach((bytes, start, length) => {
      blob += String.fromCharCode(length) + bytes.toString('latin1', start, start + length);
    }, C);
    this.packs++;
    return new PackedEntry(Kind.List, blob, entry.length, false, entry);
  }

  unpack(_db: number, _key: string, packed: PackedLike): Entry {
    const list = listEntry(packed.touchedAt);
    for (let at = 0; at < packed.blob.length; ) {
      const n = packed.blob.charCodeAt(at);
      list.pushTail(Buffer.from(packed.blob.slice(at + 1, at + 1 + n), 'latin1'), C);
      at += 1 + n;
    }
    list.expiresAt = packed.expiresAt;
    list.sealedName = packed.sealedName;
    this.unpacks++;
    this.unpacked = list;
    return list;
  }

  unpacked: ListEntry | null = null;

  read(_db: number, _key: string, packed: PackedLike, visit: PackedVisitor): void {
    const blob = Buffer.from(packed.blob, 'latin1');
    for (let at = 0; at < blob.length; at += 1 + blob[at]!) if (visit(blob, at + 1, blob[at]!, NaN) === false) return;
  }

  packZSet(): Buffer | null {
    return null;
  }

  packNew(): PackedEntry | null {
    return null;
  }

  editList(): Buffer | null {
    return null;
  }

  moveTo(): PackedEntry {
    throw new Error('not used by these tests');
  }

  addToSet(): void {}

  editSet(): void {}
}

function setup(): { db: Keyspace; packer: StandInPacker; stats: { keyspaceHits: number; keyspaceMisses: number } } {
  const stats = { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 };
  const db = new Keyspace(0, stats);
  const packer = new StandInPacker();
  db.packer = packer;
  return { db, packer, stats };
}

function storeList(db: Keyspace, key: string, elements: string[], now = T0): void {
  db.mutate(key, Kind.List, 'rpush', now, (list) => {
    for (const e of elements) list.pushTail(Buffer.from(e), C);
    return true;
  });
}

function elementsOf(entry: Entry | undefined): string[] {
  const out: string[] = [];
  if (entry?.kind === Kind.List) entry.forEach((bytes, start, length) => void out.push(bytes.toString('latin1', start, start + length)), C);
  return out;
}

describe('packed collections in the keyspace', () => {
  it('packs a new small collection into its record and unpacks it on use, elements, expiry and access time kept', () => {
    const { db, packer } = setup();
    let fresh = 0;
    db.onFresh = () => fresh++;
    storeList(db, 'k', ['a', 'bb', '']);
    storeList(db, 'other', ['x']);
    expect(fresh).toBe(1); // once per batch of new keys
    db.setExpiry('k', db.get('k', T0)!, T0 + 5000);
    expect(db.compactFresh()).toBe(2);
    expect(db.isPacked('k')).toBe(true);
    const stored = db.getStored('k', T0);
    expect(stored).toBeInstanceOf(PackedRecord);
    expect(stored!.kind).toBe(Kind.List);
    expect(stored!.expiresAt).toBe(T0 + 5000);
    expect(stored!.touchedAt).toBe(T0);
    expect(db.isPacked('k')).toBe(true);
    const entry = db.get('k', T0 + 1);
    expect(packer.unpacks).toBe(1);
    expect(db.isPacked('k')).toBe(false);
    expect(elementsOf(entry)).toEqual(['a', 'bb', '']);
    expect(entry!.expiresAt).toBe(T0 + 5000);
    // The same object from now on, until it is packed again.
    expect(db.get('k', T0 + 2)).toBe(entry);
  });

  it('keeps a packed record\'s heat (at-rest.ts) in its aux word apart from its kind, count and flags, saturating, and through a reshape', () => {
    const { db } = setup();
    storeList(db, 'k', ['a', 'bb', '']);
    db.compactFresh();
    const stored = db.getStored('k', T0) as unknown as PackedRecord;
    expect(stored.heat).toBe(0);
    stored.heat = 3;
    expect([stored.heat, stored.kind, stored.count, stored.flag, stored.intDeltas]).toEqual([3, Kind.List, 3, false, false]);
    stored.heat = 100;
    expect(stored.heat).toBe(7);
    stored.reshape(2, true, true);
    expect([stored.heat, stored.kind, stored.count, stored.flag, stored.intDeltas]).toEqual([7, Kind.List, 2, true, true]);
    stored.heat = 0;
    expect([stored.heat, stored.kind, stored.count, stored.flag, stored.intDeltas]).toEqual([0, Kind.List, 2, true, true]);
  });

  it('packs a used collection again only once it has rested, and never one too large', () => {
    const { db } = setup();
    storeList(db, 'k', ['a']);
    storeList(db, 'big', ['1', '2', '3', '4', '5']);
    db.compactFresh();
    expect(db.isPacked('big')).toBe(false);
    storeList(db, 'k', ['b'], T0 + 100); // unpacks, changes
    expect(db.isPacked('k')).toBe(false);
    expect(db.compactSlice(T0 + 100, Infinity)).toBe(0); // touched at T0 + 100: still in use
    expect(db.compactSlice(T0 + 101, Infinity)).toBe(1);
    expect(elementsOf(db.get('k', T0 + 200))).toEqual(['a', 'b']);
    // A large one that shrinks back is a candidate again.
    db.mutate('big', Kind.List, 'rpop', T0 + 300, (list) => {
      list.popTail(C);
      return true;
    });
    expect(db.compactSlice(T0 + 1000, Infinity)).toBe(2);
    expect(db.isPacked('big')).toBe(true);
  });

  it('expires, deletes, replaces and flushes packed keys, giving their records back', async () => {
    const { db, packer } = setup();
    const baseline = db.arena.liveBytes;
    for (let i = 0; i < 100; i++) storeList(db, `k${i}`, ['e', String(i)]);
    db.compactFresh();
    db.setExpiry('k0', db.getStored('k0', T0)!, T0 + 10);
    expect(db.get('k0', T0 + 20)).toBeUndefined();
    expect(db.delete('k1', 'del')).toBe(true);
    db.set('k2', listEntry(T0), 'set');
    expect(db.size).toBe(98);
    expect(packer.unpacks).toBe(0); // none of that opened a packed key
    db.clear();
    expect(db.size).toBe(0);
    // Freed blocks are given back once the turn is over (record-arena.ts).
    await new Promise((r) => setTimeout(r, 10));
    expect(db.arena.liveBytes).toBe(baseline);
  });

  it('reads a packed collection without unpacking it, counted and touched as any read', () => {
    const { db, packer, stats } = setup();
    storeList(db, 'k', ['a', 'bb', 'ccc']);
    db.compactFresh();
    const misses = stats.keyspaceMisses;
    expect(db.readPacked('missing', T0 + 5)).toBeUndefined();
    expect(stats.keyspaceMisses).toBe(misses + 1);
    const hits = stats.keyspaceHits;
    const entry = db.readPacked('k', T0 + 10);
    expect(isPackedForm(entry)).toBe(true);
    expect(stats.keyspaceHits).toBe(hits + 1);
    expect(db.getStored('k', T0 + 10)!.touchedAt).toBe(T0 + 10);
    const seen: string[] = [];
    db.readPackedElements('k', entry as unknown as PackedRecord, (bytes, start, length) => {
      seen.push(bytes.toString('latin1', start, start + length));
      return seen.length < 2; // stops early
    });
    expect(seen).toEqual(['a', 'bb']);
    expect(packer.unpacks).toBe(0);
    expect(db.isPacked('k')).toBe(true);
    expect(db.unpackedCount).toBe(0); // nothing for the cron to pack again
  });

  it('renews a packed blob in place for key rotation, and visits stored forms as they are', () => {
    const { db, packer } = setup();
    storeList(db, 'k', ['abc']);
    db.compactFresh();
    const seen: Entry[] = [];
    db.forEachStored((_key, entry) => void seen.push(entry));
    expect(seen.every(isPackedForm)).toBe(true);
    const renewed = db.renewPacked('k', (sealed) => {
      expect(sealed.toString('latin1')).toBe('\u0003abc');
      return Buffer.from('\u0003xyz', 'latin1');
    });
    expect(renewed).toBe(true);
    expect(db.renewPacked('k', () => null)).toBe(false);
    expect(db.renewPacked('missing', () => null)).toBeNull();
    expect(packer.unpacks).toBe(0);
    expect(elementsOf(db.get('k', T0))).toEqual(['xyz']);
    expect(db.renewPacked('k', () => null)).toBeNull(); // unpacked now
  });
});
