import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNameHasher, NAME_HASH_BYTES } from '../../../src/seal/name-hash.js';
import { loadSodiumNative, type SodiumNative } from '../../../src/seal/native-aead.js';
import { PREKEYED_MAX_INPUT, PrekeyedBlake2b, type GenericHashStateBinding } from '../../../src/seal/prekeyed-blake2b.js';

const require = createRequire(import.meta.url);
const native = loadSodiumNative() as (SodiumNative & { crypto_generichash(out: Uint8Array, input: Uint8Array, key: Uint8Array): void }) | null;

describe.skipIf(native === null)('keyed BLAKE2b from a pre-keyed state (sodium-native)', () => {
  const binding = require('sodium-native/binding.js') as GenericHashStateBinding;
  const key = native!.sodium_malloc(32);
  key.set(randomBytes(32));
  const reference = (input: Uint8Array): Buffer => {
    const out = Buffer.alloc(NAME_HASH_BYTES);
    native!.crypto_generichash(out, input, key);
    return out;
  };

  it('is made with the installed libsodium (its state has the layout it expects)', () => {
    expect(PrekeyedBlake2b.create(native!, binding, key, NAME_HASH_BYTES)).not.toBeNull();
  });

  it('covers every length from 1 byte to two blocks, not the empty input (its key block is the last block)', () => {
    expect(PrekeyedBlake2b.covers(0)).toBe(false);
    expect(PrekeyedBlake2b.covers(1)).toBe(true);
    expect(PrekeyedBlake2b.covers(PREKEYED_MAX_INPUT)).toBe(true);
    expect(PrekeyedBlake2b.covers(PREKEYED_MAX_INPUT + 1)).toBe(false);
  });

  it('gives crypto_generichash(out16, input, key) for every length it covers, read from inside a larger buffer', () => {
    const prekeyed = PrekeyedBlake2b.create(native!, binding, key, NAME_HASH_BYTES)!;
    const read = randomBytes(PREKEYED_MAX_INPUT + 40);
    const out = Buffer.alloc(NAME_HASH_BYTES + 10, 0xee);
    for (let length = 1; length <= PREKEYED_MAX_INPUT; length++) {
      const start = length % 37;
      prekeyed.digestRange(read, start, length, out, 5);
      expect(out.subarray(5, 5 + NAME_HASH_BYTES)).toEqual(reference(read.subarray(start, start + length)));
      expect(out[4]).toBe(0xee);
      expect(out[5 + NAME_HASH_BYTES]).toBe(0xee);
    }
  });

  it('leaves each digest independent of the one before (the work state starts over every time)', () => {
    const prekeyed = PrekeyedBlake2b.create(native!, binding, key, NAME_HASH_BYTES)!;
    const long = randomBytes(200);
    const short = Buffer.from('element:1');
    const out = Buffer.alloc(NAME_HASH_BYTES);
    prekeyed.digestRange(long, 0, long.length, out, 0);
    prekeyed.digestRange(short, 0, short.length, out, 0);
    expect(out).toEqual(reference(short));
  });

  it('keeps the member hasher bit-identical to crypto_generichash on both sides of the pre-keyed limit', () => {
    const hasher = createNameHasher(key);
    for (const length of [0, 1, 20, 128, 129, 255, 256, 257, 1000]) {
      const name = randomBytes(length);
      const out = Buffer.alloc(NAME_HASH_BYTES);
      hasher.digestInto(name, out, 0);
      expect(out).toEqual(reference(name));
      expect(hasher.hash(name)).toBe(reference(name).toString('latin1'));
    }
  });

  it('wipes its key-derived state on destroy', () => {
    const prekeyed = PrekeyedBlake2b.create(native!, binding, key, NAME_HASH_BYTES)!;
    const state = (prekeyed as unknown as { keyed: Buffer }).keyed;
    expect(state.subarray(0, 64).some((b) => b !== 0)).toBe(true);
    prekeyed.destroy();
    expect(state.every((b) => b === 0)).toBe(true);
  });
});
