// Both AEAD backends write the same standard XChaCha20-Poly1305-IETF format: a value sealed by
// one opens with the other and with plain libsodium-wrappers, byte for byte, at every size the
// native path treats differently; tampering is rejected by both; and with sodium-native the
// data key never enters the WebAssembly heap.

import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmAead, type AeadBackend } from '../../../src/seal/aead.js';
import { loadAead } from '../../../src/seal/backends.js';
import { NativeAead, loadSodiumNative } from '../../../src/seal/native-aead.js';

const native = loadSodiumNative();
// sodium-native is an optional dependency; CI installs it with npm ci, so there it must load.
const skipNative = native === null && process.env.CI !== 'true';
if (skipNative) console.warn('sodium-native did not load: skipping native-backend tests (WASM is used)');

/** A record as the sealer lays it out: 5 header bytes, the 24-byte nonce at 5, ciphertext at 29. */
function sealWith(backend: AeadBackend, key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, ad: Buffer): Buffer {
  const record = Buffer.alloc(29 + plain.length + 16);
  record.set(nonce, 5);
  const handle = backend.importKey(key);
  // The associated data is the start of a longer buffer, as the sealer passes it.
  backend.seal(record, 5, 29, plain, Buffer.concat([ad, Buffer.from('not associated')]), ad.length, handle);
  handle.destroy();
  return record;
}

/** Opens into the middle of a larger target; null when authentication fails. */
function openWith(backend: AeadBackend, key: Uint8Array, record: Buffer, ad: Buffer): Buffer | null {
  const target = Buffer.alloc(record.length - 29 - 16 + 2, 0xee);
  const handle = backend.importKey(key);
  const ok = backend.open(record, 5, 29, record.length - 29, ad, ad.length, target, 1, handle);
  handle.destroy();
  if (!ok) return null;
  expect([target[0], target[target.length - 1]]).toEqual([0xee, 0xee]);
  return target.subarray(1, target.length - 1);
}

/** Whether the WebAssembly heap libsodium-wrappers runs in holds these bytes anywhere. */
function inWasmHeap(bytes: Uint8Array): boolean {
  const heap = (sodium as unknown as { libsodium: { HEAPU8: Uint8Array } }).libsodium.HEAPU8;
  return Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength).indexOf(bytes) >= 0;
}

describe.skipIf(skipNative)('AEAD backends', () => {
  let wasm: WasmAead;
  let nativeAead: NativeAead;
  beforeAll(async () => {
    await sodium.ready;
    wasm = await WasmAead.create();
    nativeAead = new NativeAead(native!);
  });

  // 48 and 49: the last plaintext length through the native scratch areas, and the first past them.
  for (const size of [0, 1, 32, 48, 49, 255, 256, 1024, 64 * 1024]) {
    it(`native and WASM seal identically to libsodium-wrappers and open each other's values, ${size} B`, () => {
      const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
      const nonce = sodium.randombytes_buf(24);
      const plain = sodium.randombytes_buf(size);
      const ad = Buffer.from(`\x01ctx-${size}`);
      const reference = Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, key));
      const fromNative = sealWith(nativeAead, key, nonce, plain, ad);
      const fromWasm = sealWith(wasm, key, nonce, plain, ad);
      expect(fromNative.subarray(29).equals(reference)).toBe(true);
      expect(fromWasm.subarray(29).equals(reference)).toBe(true);
      // Sealed by one, opened by the other, both ways, and by libsodium-wrappers itself.
      expect(openWith(wasm, key, fromNative, ad)!.equals(plain)).toBe(true);
      expect(openWith(nativeAead, key, fromWasm, ad)!.equals(plain)).toBe(true);
      expect(Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromNative.subarray(29), ad, nonce, key)).equals(plain)).toBe(true);
      expect(openWith(nativeAead, key, fromWasm, Buffer.from('other'))).toBeNull();
      expect(openWith(wasm, key, fromNative, Buffer.from('other'))).toBeNull();
    });
  }

  it('both seal and open with a nonce of 16 bytes in the record and 8 zeros after them (the compact seal), as the full nonce', () => {
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const nonce = Buffer.concat([Buffer.from(sodium.randombytes_buf(16)), Buffer.alloc(8)]);
    const ad = Buffer.from('\x0actx');
    for (const size of [5, 200]) {
      const plain = Buffer.from(sodium.randombytes_buf(size));
      const reference = Buffer.from(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, key));
      for (const backend of [nativeAead, wasm]) {
        const handle = backend.importKey(key);
        // 5 header bytes, the 16 nonce bytes kept, the ciphertext at 21; 0xee after the nonce would be read as its tail if the 8 zeros were not put in.
        const record = Buffer.alloc(21 + size + 16 + 8, 0xee);
        record.set(nonce.subarray(0, 16), 5);
        backend.seal(record, 5, 21, plain, ad, ad.length, handle, 16);
        expect(record.subarray(21, 21 + size + 16).equals(reference), backend.name).toBe(true);
        record.fill(0xee, 21 + size + 16);
        const opened = Buffer.alloc(size);
        expect(backend.open(record, 5, 21, size + 16, ad, ad.length, opened, 0, handle, 16)).toBe(true);
        expect(opened.equals(plain)).toBe(true);
        // The same bytes read as a full nonce (their next 8 bytes the ciphertext's) do not open.
        expect(backend.open(record, 5, 21, size + 16, ad, ad.length, opened, 0, handle)).toBe(false);
        handle.destroy();
      }
    }
  });

  it('both reject a value with any single byte of nonce, ciphertext or tag flipped, and a flipped associated-data byte', () => {
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const ad = Buffer.from('\x01\x00\x00\x00\x07user:42');
    const plain = Buffer.from('a small secret of 32 bytes......');
    const sealed = sealWith(wasm, key, sodium.randombytes_buf(24), plain, ad);
    for (const backend of [nativeAead, wasm]) {
      expect(openWith(backend, key, sealed, ad)!.equals(plain)).toBe(true);
      for (let i = 5; i < sealed.length; i++) {
        const forged = Buffer.from(sealed);
        forged[i]! ^= 0x01;
        expect(openWith(backend, key, forged, ad), `${backend.name}, byte ${i}`).toBeNull();
      }
      for (let i = 0; i < ad.length; i++) {
        const otherAd = Buffer.from(ad);
        otherAd[i]! ^= 0x80;
        expect(openWith(backend, key, sealed, otherAd), `${backend.name}, ad byte ${i}`).toBeNull();
      }
    }
  });

  it('a forged small value leaves the target as it was; a forged large one only zeroed', () => {
    const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
    const handle = nativeAead.importKey(key);
    for (const size of [32, 4096]) {
      const record = sealWith(nativeAead, key, sodium.randombytes_buf(24), Buffer.alloc(size, 7), Buffer.from('ad'));
      record[40]! ^= 1;
      const target = Buffer.alloc(size, 0xee);
      expect(nativeAead.open(record, 5, 29, record.length - 29, Buffer.from('ad'), 2, target, 0, handle)).toBe(false);
      // Small values are decrypted into scratch memory and copied out only when authentic;
      // large ones straight into the target, which libsodium wipes when the tag does not verify.
      expect(target.equals(Buffer.alloc(size, size === 32 ? 0xee : 0))).toBe(true);
    }
    handle.destroy();
  });

  it('native refuses buffers shorter than the lengths it is given instead of writing past them', () => {
    const handle = nativeAead.importKey(randomBytes(32));
    const ad = Buffer.from('ctx');
    for (const size of [32, 4096]) {
      const record = Buffer.alloc(29 + size + 16);
      expect(() => nativeAead.seal(record.subarray(0, record.length - 1), 5, 29, Buffer.alloc(size), ad, 3, handle)).toThrow(RangeError);
      expect(() => nativeAead.seal(record, 5, 29, Buffer.alloc(size), ad, 4, handle)).toThrow(RangeError);
      nativeAead.seal(record, 5, 29, Buffer.alloc(size, 1), ad, 3, handle);
      const short = Buffer.alloc(size + 8, 0xee);
      expect(() => nativeAead.open(record, 5, 29, size + 16, ad, 3, short, 9, handle)).toThrow(RangeError);
      expect(short.equals(Buffer.alloc(size + 8, 0xee))).toBe(true);
    }
    handle.destroy();
  });

  it('with sodium-native the data key is never copied into the WebAssembly heap (the WASM backend does copy it there)', () => {
    // Not from libsodium-wrappers: its randombytes_buf leaves its output in the heap it frees.
    const key = randomBytes(32);
    const handle = nativeAead.importKey(key);
    const ad = Buffer.from('ctx');
    for (const size of [0, 32, 1024, 64 * 1024]) {
      const record = Buffer.alloc(29 + size + 16);
      nativeAead.seal(record, 5, 29, Buffer.alloc(size, 1), ad, ad.length, handle);
      expect(nativeAead.open(record, 5, 29, size + 16, ad, ad.length, Buffer.alloc(size), 0, handle)).toBe(true);
    }
    expect(inWasmHeap(key)).toBe(false);
    handle.destroy();
    // The same scan finds a key the WASM backend holds: the check above can fail.
    const wasmHandle = wasm.importKey(key);
    expect(inWasmHeap(key)).toBe(true);
    wasmHandle.destroy();
    expect(inWasmHeap(key)).toBe(false);
  });

  it('seal-backend: auto and native pick sodium-native alone for every size, wasm never loads it', async () => {
    expect(await loadAead('auto')).toBeInstanceOf(NativeAead);
    expect((await loadAead('native')).name).toBe('sodium-native');
    const wasmOnly = await loadAead('wasm');
    expect(wasmOnly).toBeInstanceOf(WasmAead);
    expect(wasmOnly.name).toBe('libsodium-wrappers (wasm)');
  });
});
