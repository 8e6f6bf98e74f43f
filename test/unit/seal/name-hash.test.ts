import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Keyring, Subkey } from '../../../src/seal/keyring.js';
import { createNameHasher, NAME_HASH_BYTES } from '../../../src/seal/name-hash.js';
import { loadSodiumNative } from '../../../src/seal/native-aead.js';

describe('key name hashing', () => {
  const key = new Uint8Array(32).fill(7);
  beforeAll(async () => {
    await sodium.ready;
  });

  it('is keyed BLAKE2b-128: the WASM and native routes agree with libsodium', () => {
    const wasm = createNameHasher(key, { native: false });
    const native = loadSodiumNative() === null ? null : createNameHasher(key);
    for (const name of [Buffer.alloc(0), Buffer.from('user:1'), randomBytes(1000), randomBytes(5000)]) {
      const expected = Buffer.from(sodium.crypto_generichash(NAME_HASH_BYTES, name, key)).toString('latin1');
      expect(wasm.hash(name)).toBe(expected);
      if (native !== null) expect(native.hash(name)).toBe(expected);
    }
  });

  it('writes the same digest as bytes where asked (member and field indexes)', () => {
    for (const hasher of [createNameHasher(key, { native: false }), ...(loadSodiumNative() === null ? [] : [createNameHasher(key)])]) {
      const out = Buffer.alloc(40, 0xee);
      const name = randomBytes(300);
      hasher.digestInto(name, out, 7);
      expect(out.subarray(7, 7 + NAME_HASH_BYTES).toString('latin1')).toBe(hasher.hash(name));
      expect(out[6]).toBe(0xee);
      expect(out[7 + NAME_HASH_BYTES]).toBe(0xee);
    }
  });

  it('digests a range of a larger buffer where it lies, as digestInto does its copy (SADD from a read)', () => {
    for (const hasher of [createNameHasher(key, { native: false }), ...(loadSodiumNative() === null ? [] : [createNameHasher(key)])]) {
      const read = randomBytes(200);
      const bytes = read.subarray(10, 190);
      for (const [start, length] of [[0, 0], [0, 20], [33, 17], [150, 30]] as const) {
        const got = Buffer.alloc(20, 0xee);
        hasher.digestRangeInto(bytes, start, length, got, 3);
        expect(got.subarray(3, 3 + NAME_HASH_BYTES).toString('latin1')).toBe(hasher.hash(Buffer.from(bytes.subarray(start, start + length))));
        expect(got[2]).toBe(0xee);
        expect(got[3 + NAME_HASH_BYTES]).toBe(0xee);
      }
    }
  });

  it('depends on the key, so names cannot be guessed and checked without it', () => {
    const a = createNameHasher(key, { native: false });
    const b = createNameHasher(new Uint8Array(32).fill(8), { native: false });
    expect(a.hash(Buffer.from('k'))).not.toBe(b.hash(Buffer.from('k')));
  });

  it('leaves no copy of the name in the WASM heap', () => {
    const hasher = createNameHasher(key, { native: false });
    const marker = Buffer.from(`name-in-heap-${randomBytes(8).toString('hex')}`);
    hasher.hash(marker);
    const heap = Buffer.from((sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8.buffer);
    expect(heap.includes(marker)).toBe(false);
  });

  it('takes its key from the keyring, the same for the same master key', async () => {
    const master = randomBytes(32).toString('hex');
    const file = join(mkdtempSync(join(tmpdir(), 'sealkv-names-')), 'master');
    writeFileSync(file, master, { mode: 0o600 });
    const one = await Keyring.create({ file });
    const two = await Keyring.create({ file });
    const other = await Keyring.create();
    const names = (k: Keyring) => createNameHasher(k.subkey(Subkey.Names)).hash(Buffer.from('user:1'));
    expect(names(one)).toBe(names(two));
    expect(names(one)).not.toBe(names(other));
    expect(one.subkey(Subkey.Names)).toHaveLength(32);
    for (const k of [one, two, other]) k.destroy();
  });
});
