// Chunked sealing of large string values: round trips, partial opens, edits that re-seal only
// what they touch, and every way of rearranging chunks failing authentication.

import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/seal/keyring.js';
import { CHUNK_PLAIN, CHUNK_SEALED, CHUNKED_HEADER, OVERHEAD, SealError, Sealer } from '../../../src/seal/sealer.js';
import { SealedValues } from '../../../src/seal/values.js';

const C = CHUNK_PLAIN;
const chunkAt = (i: number) => CHUNKED_HEADER + i * CHUNK_SEALED;

describe('chunked values', () => {
  let keyring: Keyring;
  let values: SealedValues;
  beforeAll(async () => {
    keyring = await Keyring.create();
    values = new SealedValues(new Sealer(keyring));
  });

  it('seals values longer than one chunk in chunks, and opens them whole', () => {
    for (const length of [C + 1, 2 * C, 3 * C + 5]) {
      const plain = randomBytes(length);
      const sealed = values.sealValue(0, 'k', plain);
      expect(Sealer.isChunked(sealed)).toBe(true);
      expect(Sealer.plainLength(sealed)).toBe(length);
      expect(sealed.length).toBe(CHUNKED_HEADER + length + Math.ceil(length / C) * OVERHEAD);
      expect(values.openValue(0, 'k', sealed).equals(plain)).toBe(true);
    }
    expect(Sealer.isChunked(values.sealValue(0, 'k', randomBytes(C)))).toBe(false);
  });

  it('opens any range, touching only its chunks', () => {
    const plain = randomBytes(3 * C + 100);
    const sealed = values.sealValue(2, 'k', plain);
    for (const [from, to] of [[0, 1], [C - 1, C + 1], [5, 3 * C + 100], [2 * C, 3 * C], [3 * C + 99, 3 * C + 100]] as const) {
      const out = Buffer.alloc(to - from);
      values.openValueRange(2, 'k', sealed, from, to, out, 0);
      expect(out.equals(plain.subarray(from, to))).toBe(true);
    }
    // Chunk 0 damaged: a range in chunk 2 still opens, one over chunk 0 does not (and leaves nothing).
    sealed[chunkAt(0) + 40] ^= 1;
    const out = Buffer.alloc(10);
    values.openValueRange(2, 'k', sealed, 2 * C, 2 * C + 10, out, 0);
    expect(out.equals(plain.subarray(2 * C, 2 * C + 10))).toBe(true);
    const wide = Buffer.alloc(2 * C);
    expect(() => values.openValueRange(2, 'k', sealed, C, 3 * C, wide, 0)).not.toThrow();
    const refused = Buffer.alloc(2 * C);
    expect(() => values.openValueRange(2, 'k', sealed, 10, 2 * C, refused, 0)).toThrow(SealError);
    expect(refused.every((b) => b === 0)).toBe(true);
  });

  it('edits in place like SETRANGE and APPEND, re-sealing only the chunks touched', () => {
    let model = Buffer.from(randomBytes(2 * C + 7));
    let sealed = values.sealValue(0, 'k', model);
    const edit = (offset: number, bytes: Buffer) => {
      const before = Buffer.from(sealed);
      sealed = values.editValue(0, 'k', sealed, offset, bytes, true);
      const grown = Buffer.alloc(Math.max(model.length, offset + bytes.length));
      model.copy(grown);
      bytes.copy(grown, offset);
      model = grown;
      expect(values.openValue(0, 'k', sealed).equals(model)).toBe(true);
      return before;
    };
    const before = edit(C + 10, Buffer.from('x'));
    // Chunks 0 and 2 are the very same bytes; chunk 1 was re-sealed.
    expect(sealed.subarray(chunkAt(0), chunkAt(1)).equals(before.subarray(chunkAt(0), chunkAt(1)))).toBe(true);
    expect(sealed.subarray(chunkAt(2)).equals(before.subarray(chunkAt(2)))).toBe(true);
    expect(sealed.subarray(chunkAt(1), chunkAt(2)).equals(before.subarray(chunkAt(1), chunkAt(2)))).toBe(false);
    for (let i = 0; i < 50; i++) edit(model.length, Buffer.from('a'));
    edit(model.length, randomBytes(C + 3));
    edit(C - 2, Buffer.from('straddle'));
    edit(model.length + 3 * C, Buffer.from('past the end'));
    edit(0, randomBytes(model.length));
  });

  it('seals a whole value into memory of its size; the first edit that grows it moves it to growable memory, later ones grow it there', () => {
    const resizable = (b: Buffer) => (b.buffer as ArrayBuffer & { resizable?: boolean }).resizable === true;
    let model = Buffer.from(randomBytes(2 * C + 7));
    const sealed = values.sealValue(0, 'k', model);
    // Growable memory is mapped and faulted in afresh for each value: a SET of 256 KiB paid ~125 µs for it.
    expect(resizable(sealed)).toBe(false);
    expect(sealed.buffer.byteLength).toBe(sealed.length);
    const append = (value: Buffer, bytes: Buffer) => {
      model = Buffer.concat([model, bytes]);
      const out = values.editValue(0, 'k', value, model.length - bytes.length, bytes, true);
      expect(values.openValue(0, 'k', out).equals(model)).toBe(true);
      return out;
    };
    const grown = append(sealed, Buffer.from('more'));
    expect(resizable(grown)).toBe(true);
    expect(grown.buffer).not.toBe(sealed.buffer);
    const again = append(grown, randomBytes(C));
    expect(again.buffer).toBe(grown.buffer);
  });

  it('refuses chunks swapped, dropped, moved between values or versions, and a forged header', () => {
    const plain = randomBytes(3 * C + 10);
    const sealed = values.sealValue(0, 'k', plain);
    const fails = (bytes: Buffer) => expect(() => values.openValue(0, 'k', bytes)).toThrow(SealError);

    const swapped = Buffer.from(sealed);
    sealed.copy(swapped, chunkAt(0), chunkAt(1), chunkAt(2));
    sealed.copy(swapped, chunkAt(1), chunkAt(0), chunkAt(1));
    fails(swapped);

    // The last chunk dropped and the header's length made to fit.
    const cut = Buffer.from(sealed.subarray(0, chunkAt(3)));
    Sealer.writeChunkedLength(cut, 3 * C);
    fails(cut);

    // A chunk of another value of the same key, at the same index.
    const other = values.sealValue(0, 'k', randomBytes(3 * C + 10));
    const mixed = Buffer.from(sealed);
    other.copy(mixed, chunkAt(1), chunkAt(1), chunkAt(2));
    fails(mixed);

    // The value id changed: every chunk was bound to the old one.
    const renamed = Buffer.from(sealed);
    renamed[7] ^= 1;
    fails(renamed);

    // Bound to its key and database, and a chunk is not a small value.
    expect(() => values.openValue(1, 'k', sealed)).toThrow(SealError);
    expect(() => values.openValue(0, 'j', sealed)).toThrow(SealError);
    expect(() => values.openValue(0, 'k', Buffer.from(sealed.subarray(chunkAt(0), chunkAt(1))))).toThrow(SealError);

    expect(values.openValue(0, 'k', sealed).equals(plain)).toBe(true);
  });

  it('renews every chunk under a new key (rotation), including ones edited under it already', () => {
    const plain = Buffer.from(randomBytes(3 * C));
    const sealed = values.sealValue(0, 'k', plain);
    const oldId = Sealer.keyId(sealed);
    keyring.rotate();
    const newId = keyring.current.id;
    // An edit after the rotation seals its chunk under the new key; the value keeps the old mark.
    const edited = values.editValue(0, 'k', sealed, C, Buffer.from('y'), true);
    plain[C] = 'y'.charCodeAt(0);
    expect(Sealer.keyId(edited)).toBe(oldId);
    expect(Sealer.keyId(edited.subarray(chunkAt(1)))).toBe(newId);
    expect(Sealer.keyId(edited.subarray(chunkAt(0)))).toBe(oldId);
    const renewed = values.renewValue(0, 'k', edited);
    expect(Sealer.keyId(renewed)).toBe(newId);
    for (let i = 0; i < 3; i++) expect(Sealer.keyId(renewed.subarray(chunkAt(i)))).toBe(newId);
    expect(keyring.retire(oldId)).toBe(true);
    expect(values.openValue(0, 'k', renewed).equals(plain)).toBe(true);
  });
});
