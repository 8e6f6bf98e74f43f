// The ops record per Kind: what TYPE, OBJECT ENCODING, memory accounting, RENAME/COPY/MOVE and
// key rotation ask of a value, answered without knowing its type. "Sealed" bytes here are
// stand-ins: the ops never open anything themselves, they go through the callbacks given.

import { describe, expect, it } from 'vitest';
import { hashEntry, Kind, stringEntry, type HashEntry, type StringEntry } from '../../../src/store/keyspace.js';
import { hashOps } from '../../../src/store/types/hash-ops.js';
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

function hashOf(fields: Record<string, string>): HashEntry {
  const h = hashEntry(NOW);
  for (const [f, text] of Object.entries(fields)) h.fields.set(f, seal(text));
  return h;
}

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
  it('answer OBJECT ENCODING from lengths alone: listpack up to 128 fields of 64 bytes, hashtable beyond', () => {
    const opened: string[] = [];
    const small = hashOf({ a: '1', b: 'x'.repeat(64) });
    const longValue = hashOf({ a: 'x'.repeat(65) });
    const longField = hashOf({ ['f'.repeat(65)]: '1' });
    const many = hashOf(Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`f${i}`, 'v'])));
    expect([small, longValue, longField, many].map((h) => hashOps.encoding(h, inspector(opened)))).toEqual(['listpack', 'hashtable', 'hashtable', 'hashtable']);
    expect(opened).toEqual([]);
  });

  it('count every field exactly, or sample and scale (MEMORY USAGE ... SAMPLES)', () => {
    const h = hashOf({ a: '1', bb: '22', ccc: '333', dddd: '4444' });
    const exact = (FIELD_OVERHEAD + 1 + 2) + (FIELD_OVERHEAD + 2 + 3) + (FIELD_OVERHEAD + 3 + 4) + (FIELD_OVERHEAD + 4 + 5);
    expect(hashOps.overhead).toBe(HASH_OVERHEAD);
    expect(hashOps.valueBytes(h, Infinity)).toBe(exact);
    expect(hashOps.valueBytes(h, 4)).toBe(exact);
    expect(hashOps.valueBytes(h, 2)).toBe(Math.round(((FIELD_OVERHEAD + 3) + (FIELD_OVERHEAD + 5)) / 2 * 4));
    expect(hashOps.elements(h)).toBe(4);
  });

  it('re-seal every field bound to its name, into a copy without a sealed name; the original is untouched', () => {
    const h = hashOf({ a: '1', b: '2' });
    h.expiresAt = NOW + 9;
    h.sealedName = Buffer.from('name');
    const copy = hashOps.reseal(h, (sealed, _purpose, field) => Buffer.concat([sealed, Buffer.from(`@${field}`)]), NOW + 3);
    expect([...copy.fields].map(([f, s]) => [f, s.subarray(1).toString()])).toEqual([['a', '1@a'], ['b', '2@b']]);
    expect([...h.fields].map(([, s]) => s.subarray(1).toString())).toEqual(['1', '2']);
    expect([copy.expiresAt, copy.touchedAt, copy.sealedName]).toEqual([NOW + 9, NOW + 3, undefined]);
  });

  it('a failing re-seal leaves the hash as it was', () => {
    const h = hashOf({ a: '1' });
    expect(() => hashOps.reseal(h, () => {
      throw new Error('does not open');
    }, NOW)).toThrow('does not open');
    expect(h.fields.get('a')!.subarray(1).toString()).toBe('1');
  });

  it('renew in place the elements given a new sealing, and say how many (key rotation)', () => {
    const h = hashOf({ a: 'old', b: 'new', c: 'old' });
    const visited: string[] = [];
    hashOps.forEachSealed(h, (_sealed, _purpose, field) => visited.push(field!));
    expect(visited).toEqual(['a', 'b', 'c']);
    const renewed = hashOps.renewEach(h, (sealed) => (sealed.subarray(1).toString() === 'old' ? seal('renewed') : null));
    expect(renewed).toBe(2);
    expect([...h.fields.values()].map((s) => s.subarray(1).toString())).toEqual(['renewed', 'new', 'renewed']);
  });

  it('are created empty and known to be empty (Keyspace.mutate deletes an emptied one)', () => {
    const h = hashOps.create(NOW);
    expect([h.kind, h.touchedAt, hashOps.isEmpty(h)]).toEqual([Kind.Hash, NOW, true]);
    h.fields.set('f', seal('v'));
    expect(hashOps.isEmpty(h)).toBe(false);
  });
});
