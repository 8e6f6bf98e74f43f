import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmAead } from '../../../src/seal/aead.js';

describe('WasmAead (direct heap calls)', () => {
  let aead: WasmAead;
  beforeAll(async () => {
    aead = await WasmAead.create();
  });

  for (const size of [0, 1, 32, 1024, 65_536, 3 * 1024 * 1024 + 7]) {
    it(`is byte-identical to libsodium-wrappers for ${size}-byte values, both ways`, () => {
      const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
      const nonce = sodium.randombytes_buf(24);
      const ad = Buffer.from(`context-${size}`);
      const plain = Buffer.from(sodium.randombytes_buf(size));
      const handle = aead.importKey(key);

      // A record laid out as the sealer does: 5 header bytes, the nonce, then ciphertext.
      const record = Buffer.alloc(5 + 24 + size + 16);
      record.set(nonce, 5);
      aead.seal(record, 5, 29, plain, Buffer.concat([ad, Buffer.from('ignored')]), ad.length, handle);
      const reference = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, key);
      expect(record.subarray(29).equals(Buffer.from(reference))).toBe(true);

      const opened = Buffer.alloc(size + 2, 0xee);
      expect(aead.open(record, 5, 29, size + 16, ad, ad.length, opened, 1, handle)).toBe(true);
      expect(opened.subarray(1, size + 1).equals(plain)).toBe(true);
      expect([opened[0], opened[size + 1]]).toEqual([0xee, 0xee]);

      const untouched = Buffer.alloc(size, 0xee);
      const other = Buffer.from('other');
      expect(aead.open(record, 5, 29, size + 16, other, other.length, untouched, 0, handle)).toBe(false);
      expect(untouched.equals(Buffer.alloc(size, 0xee))).toBe(true);
      handle.destroy();
    }, 90_000); // the 3 MiB case is slow in WASM on a busy machine
  }
});
