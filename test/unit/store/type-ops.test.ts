// The ops record per Kind: what TYPE, OBJECT ENCODING, memory accounting, RENAME/COPY/MOVE and
// key rotation ask of a value, answered without knowing its type. "Sealed" bytes here are
// stand-ins: the ops never open anything themselves, they go through the callbacks given.

import { describe, expect, it } from 'vitest';
import { hashEntry, Kind, stringEntry, type HashEntry, type StringEntry } from '../../../src/store/keyspace.js';
import { hashOps } from '../../../src/store/types/hash-ops.js';
import { DIGEST_BYTES, FieldTable } from '../../../src/store/types/field-table.js';
import { Purpose } from '../../../src/seal/values.js';
import { collectionOps, FIELD_OVERHEAD, HASH_OVERHEAD, opsOf, STRING_OVERHEAD, TYPE_OPS, typeName, type OpsRecord, type SealedInspector } from '../../../src/store/types/index.js';
import { stringOps } from '../../../src/store/types/string-ops.js';

const NOW = 1_700_000_000_000;
/** A stand-in seal: the plaintext behind a one-byte header. */
const seal = (text: string) => Buffer.concat([Buffer.from([0xee]), Buffer.from(text)]);
const inspector = (opened: string[] = []): SealedInspector => ({
  plainLength: (sealed) => sealed.length - 1,
  isInteger: (sealed) => {
    const text = sealed.subarray(1).toString();
    opened.push(text);
    return /^-?(0|[1-9]\d*)$/.test(text);
  },
});

/** A small hash: its pairs' stand-in blob. */
function smallHash(blob: string, size: number): HashEntry {
  const h = hashEntry(NOW);
  h.fields.packed = blob;
  h.fields.size = size;
  return h;
}

/** A large hash: one stand-in blob per field, filed under a made-up digest (i repeated). */
function largeHash(blobs: string[]): HashEntry {
  const h = hashEntry(NOW);
  const table = new FieldTable();
  blobs.forEach((blob, i) => table.add(Buffer.alloc(DIGEST_BYTES, i + 1), 0, Buffer.from(blob, 'latin1'), 0, blob.length));
  h.fields.table = table;
  h.fields.size = blobs.length;
  return h;
}

const blobsOf = (h: HashEntry) => h.fields.table!.ids().map((id) => h.fields.table!.sealedCopy(id).toString('latin1'));

describe('the ops record', () => {
  it('has ops for every Kind, found from an entry', () => {
    expect(TYPE_OPS[Kind.String]).toBe(stringOps);
    expect(TYPE_OPS[Kind.Hash]).toBe(hashOps);
    expect(opsOf(stringEntry(seal('x'), 0, NOW))).toBe(stringOps);
    expect(opsOf(hashEntry(NOW))).toBe(hashOps);
    expect(collectionOps(Kind.Hash)).toBe(hashOps);
  });

  it('refuses, at compile time, a record that leaves a Kind out', () => {
    // @ts-expect-error Kind.Hash has no ops
    const partial = { [Kind.String]: stringOps } satisfies OpsRecord;
    // @ts-expect-error a collection's ops must say how it is created and emptied
    const stringsAsHashes = { [Kind.String]: stringOps, [Kind.Hash]: stringOps } satisfies OpsRecord;
    expect([partial, stringsAsHashes]).toBeDefined();
  });

  it('names types as TYPE does', () => {
    expect(typeName(stringEntry(seal('x'), 0, NOW))).toBe('string');
    expect(typeName(hashEntry(NOW))).toBe('hash');
  });
});

describe('strings', () => {
  it('answer OBJECT ENCODING as Redis 7.0: int, embstr up to 44 bytes, raw beyond; long values are never opened', () => {
    const opened: string[] = [];
    const enc = (text: string) => stringOps.encoding(stringEntry(seal(text), 0, NOW), inspector(opened));
    expect([enc('12345'), enc('-7'), enc('007'), enc('a'.repeat(44)), enc('a'.repeat(45))]).toEqual(['int', 'int', 'embstr', 'embstr', 'raw']);
    expect(opened).toEqual(['12345', '-7', '007']);
    expect(stringOps.encoding(stringEntry(seal('1'), 0, NOW), { plainLength: () => 1, isInteger: () => null })).toBeNull();
  });

  it('count their sealed bytes, one element, and re-seal into a new entry keeping the TTL', () => {
    const entry = stringEntry(seal('value'), NOW + 50, NOW);
    expect(stringOps.overhead).toBe(STRING_OVERHEAD);
    expect(stringOps.valueBytes(entry, 5)).toBe(6);
    expect(stringOps.elements(entry)).toBe(1);
    const seen: [string, string | undefined][] = [];
    stringOps.forEachSealed(entry, (sealed, _purpose, field) => seen.push([sealed.toString(), field]));
    expect(seen).toEqual([[seal('value').toString(), undefined]]);
    const copy = stringOps.reseal(entry, (sealed, _purpose, field) => Buffer.concat([sealed, Buffer.from(field ?? '+')]), NOW + 1) as StringEntry;
    expect(copy).not.toBe(entry);
    expect(copy.value.toString()).toBe(seal('value+').toString());
    expect([copy.expiresAt, copy.touchedAt]).toEqual([NOW + 50, NOW + 1]);
  });
});

describe('hashes', () => {
  it('answer OBJECT ENCODING from what Redis would hold (the listpack flag), never opening anything', () => {
    const opened: string[] = [];
    const small = smallHash('blob', 2);
    const converted = largeHash(['x']);
    converted.fields.listpack = false;
    const tableStillListpack = largeHash(['x', 'y']);
    expect([small, converted, tableStillListpack].map((h) => hashOps.encoding(h, inspector(opened)))).toEqual(['listpack', 'hashtable', 'listpack']);
    expect(opened).toEqual([]);
  });

  it('count their sealed bytes: one blob when small, every field with its share of the table when large', () => {
    expect(hashOps.overhead).toBe(HASH_OVERHEAD);
    expect(hashOps.valueBytes(smallHash('12345678', 3), Infinity)).toBe(16 + 8);
    const large = largeHash(['a', 'bb', 'ccc']);
    expect(hashOps.valueBytes(large, 2)).toBe(6 + 3 * FIELD_OVERHEAD);
    expect([hashOps.elements(smallHash('x', 5)), hashOps.elements(large)]).toEqual([1, 3]);
  });

  it('re-seal a small hash as one blob of pairs, bound to nothing beside its key', () => {
    const h = smallHash('pairs', 2);
    h.expiresAt = NOW + 9;
    h.sealedName = Buffer.from('name');
    h.fields.listpack = false;
    const seen: [Purpose, string | undefined][] = [];
    const copy = hashOps.reseal(h, (sealed, purpose, bind) => {
      seen.push([purpose, bind]);
      return Buffer.concat([sealed, Buffer.from('+')]);
    }, NOW + 3);
    expect(seen).toEqual([[Purpose.HashPairs, undefined]]);
    expect([copy.fields.packed, copy.fields.size, copy.fields.listpack, h.fields.packed]).toEqual(['pairs+', 2, false, 'pairs']);
    expect([copy.expiresAt, copy.touchedAt, copy.sealedName]).toEqual([NOW + 9, NOW + 3, undefined]);
  });

  it('re-seal a large hash field by field, each bound to its digest, into a copy filed under the same digests', () => {
    const h = largeHash(['one', 'two']);
    const binds: string[] = [];
    const copy = hashOps.reseal(h, (sealed, purpose, bind) => {
      expect(purpose).toBe(Purpose.HashFieldName);
      binds.push(bind!);
      return Buffer.concat([sealed, Buffer.from('@')]);
    }, NOW + 3);
    expect(binds).toEqual([Buffer.alloc(DIGEST_BYTES, 1).toString('latin1'), Buffer.alloc(DIGEST_BYTES, 2).toString('latin1')]);
    expect(blobsOf(copy)).toEqual(['one@', 'two@']);
    expect(copy.fields.table!.find(Buffer.alloc(DIGEST_BYTES, 2))).toBeGreaterThanOrEqual(0);
    expect(blobsOf(h)).toEqual(['one', 'two']);
  });

  it('a failing re-seal leaves the hash as it was', () => {
    const h = largeHash(['a']);
    expect(() => hashOps.reseal(h, () => {
      throw new Error('does not open');
    }, NOW)).toThrow('does not open');
    expect(blobsOf(h)).toEqual(['a']);
  });

  it('renew in place the elements given a new sealing, and say how many (key rotation)', () => {
    const h = largeHash(['old', 'new', 'old']);
    const visited: Purpose[] = [];
    hashOps.forEachSealed(h, (_sealed, purpose) => visited.push(purpose));
    expect(visited).toEqual([Purpose.HashFieldName, Purpose.HashFieldName, Purpose.HashFieldName]);
    const renewed = hashOps.renewEach(h, (sealed) => (sealed.toString('latin1') === 'old' ? Buffer.from('renewed') : null));
    expect(renewed).toBe(2);
    expect(blobsOf(h)).toEqual(['renewed', 'new', 'renewed']);
    const small = smallHash('old', 1);
    expect(hashOps.renewEach(small, () => Buffer.from('fresh'))).toBe(1);
    expect(small.fields.packed).toBe('fresh');
  });

  it('are created empty and known to be empty (Keyspace.mutate deletes an emptied one)', () => {
    const h = hashOps.create(NOW);
    expect([h.kind, h.touchedAt, hashOps.isEmpty(h), h.fields.listpack]).toEqual([Kind.Hash, NOW, true, true]);
    h.fields.size = 1;
    expect(hashOps.isEmpty(h)).toBe(false);
  });
});
