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

      const out = Buffer.alloc(size + 16 + 3);
      aead.seal(out, 3, plain, ad, nonce, handle);
      const reference = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, key);
      expect(out.subarray(3).equals(Buffer.from(reference))).toBe(true);

      expect(aead.open(Buffer.from(reference), ad, nonce, handle)!.equals(plain)).toBe(true);
      expect(aead.open(Buffer.from(reference), Buffer.from('other'), nonce, handle)).toBeNull();
      handle.destroy();
    });
  }
});
