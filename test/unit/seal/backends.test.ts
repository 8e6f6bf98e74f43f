// Both AEAD backends write the same standard format: a value sealed by one opens with the other
// and with plain libsodium-wrappers, byte for byte, on both sides of the size split.

import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmAead, type AeadBackend } from '../../../src/seal/aead.js';
import { NATIVE_FROM_BYTES, loadAead } from '../../../src/seal/backends.js';
import { NativeAead, loadSodiumNative } from '../../../src/seal/native-aead.js';

const native = loadSodiumNative();
// sodium-native is an optional dependency; CI installs it with npm ci, so there it must load.
const skipNative = native === null && process.env.CI !== 'true';
if (skipNative) console.warn('sodium-native did not load: skipping native-backend tests (WASM is used)');

function sealWith(backend: AeadBackend, key: Uint8Array, nonce: Uint8Array, plain: Buffer, ad: Buffer): Buffer {
  const record = Buffer.alloc(29 + plain.length + 16);
  record.set(nonce, 5);
  const handle = backend.importKey(key);
  backend.seal(record, 5, 29, plain, ad, ad.length, handle);
  handle.destroy();
  return record;
}

function openWith(backend: AeadBackend, key: Uint8Array, record: Buffer, ad: Buffer): Buffer | null {
  const out = Buffer.alloc(record.length - 29 - 16);
  const handle = backend.importKey(key);
  const ok = backend.open(record, 5, 29, record.length - 29, ad, ad.length, out, 0, handle);
  handle.destroy();
  return ok ? out : null;
}

describe.skipIf(skipNative)('AEAD backends', () => {
  let wasm: WasmAead;
  let nativeAead: NativeAead;
  beforeAll(async () => {
    await sodium.ready;
    wasm = await WasmAead.create();
    nativeAead = new NativeAead(native!);
  });

  for (const size of [0, 31, NATIVE_FROM_BYTES - 1, NATIVE_FROM_BYTES, 16 * 1024, 1024 * 1024]) {
    it(`native and WASM produce identical records and open each other's, ${size} B`, () => {
      const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
      const nonce = sodium.randombytes_buf(24);
      const plain = Buffer.from(sodium.randombytes_buf(size));
      const ad = Buffer.from(`\x01ctx-${size}`);
      const fromNative = sealWith(nativeAead, key, nonce, plain, ad);
      const fromWasm = sealWith(wasm, key, nonce, plain, ad);
      expect(fromNative.equals(fromWasm)).toBe(true);
      const reference = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, key);
      expect(fromNative.subarray(29).equals(Buffer.from(reference))).toBe(true);
      expect(openWith(wasm, key, fromNative, ad)!.equals(plain)).toBe(true);
      expect(openWith(nativeAead, key, fromWasm, ad)!.equals(plain)).toBe(true);
      expect(openWith(nativeAead, key, fromWasm, Buffer.from('other'))).toBeNull();
    });
  }

  it('the server picks the split backend when sodium-native loads, WASM alone when told not to', async () => {
    expect((await loadAead()).name).toMatch(/^sodium-native for values of 256 B and more, libsodium-wrappers \(wasm\) below$/);
    expect((await loadAead('wasm')).name).toBe('libsodium-wrappers (wasm)');
  });

  it('a forged value never puts plaintext into the native target', () => {
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const record = sealWith(nativeAead, key, sodium.randombytes_buf(24), Buffer.alloc(4096, 7), Buffer.from('ad'));
    record[40]! ^= 1;
    const target = Buffer.alloc(4096, 0xee);
    const handle = nativeAead.importKey(key);
    expect(nativeAead.open(record, 5, 29, record.length - 29, Buffer.from('ad'), 2, target, 0, handle)).toBe(false);
    // libsodium wipes the output range when the tag does not verify.
    expect(target.includes(7)).toBe(false);
  });
});
