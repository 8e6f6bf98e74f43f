// The AEAD primitive behind the sealer: XChaCha20-Poly1305-IETF, called straight into
// libsodium's WebAssembly heap. The wrapper functions of libsodium-wrappers allocate, copy and
// free every argument on each call, which cost more than the cipher for small values; here the
// key stays resident in the WASM heap, inputs go through reused scratch areas that are wiped
// after every call, and callers pass offsets instead of slicing views (a view is an object to
// allocate and collect per call). The output is byte-identical to the wrapper's (unit test).

import sodium from 'libsodium-wrappers';
import { copyBytes } from '../util/bytes.js';

export const ABYTES = 16;
export const NPUBBYTES = 24;
export const KEYBYTES = 32;

/** Writes a nonce of which `bytes` are at src[from..] and the rest zero (a compact seal's) at dst[to, to + NPUBBYTES). */
export function copyNonce(src: Uint8Array, from: number, dst: Uint8Array, to: number, bytes: number): void {
  for (let i = 0; i < bytes; i++) dst[to + i] = src[from + i]!;
  for (let i = bytes; i < NPUBBYTES; i++) dst[to + i] = 0;
}

/** A key living inside the backend's memory. */
export interface AeadKey {
  destroy(): void;
}

export interface AeadBackend {
  readonly name: string;
  importKey(key: Uint8Array): AeadKey;
  /**
   * Seals plain into `record`: the 24-byte nonce is read from record[noncePos..], the
   * ciphertext and tag (plain.length + 16 bytes) are written at record[cipherPos..].
   * The associated data is ad[0..adLength). With `nonceBytes` < 24 only that many are read
   * there and the rest of the nonce is zero (the compact seal: sealer.ts).
   */
  seal(record: Buffer, noncePos: number, cipherPos: number, plain: Uint8Array, ad: Buffer, adLength: number, key: AeadKey, nonceBytes?: number): void;
  /**
   * Opens record[cipherPos .. cipherPos + cipherLength) (nonce at noncePos, `nonceBytes` of it
   * as for seal()) and writes the plaintext into target at offset; false when authentication
   * fails, and then no plaintext was written (the range is left as it was or zeroed).
   */
  open(
    record: Buffer, noncePos: number, cipherPos: number, cipherLength: number, ad: Buffer, adLength: number,
    target: Uint8Array, offset: number, key: AeadKey, nonceBytes?: number,
  ): boolean;
}

interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_aead_xchacha20poly1305_ietf_encrypt(
    c: number, clenP: number, m: number, mlenLo: number, mlenHi: number, ad: number, adlenLo: number,
    adlenHi: number, nsec: number, npub: number, k: number,
  ): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(
    m: number, mlenP: number, nsec: number, c: number, clenLo: number, clenHi: number, ad: number,
    adlenLo: number, adlenHi: number, npub: number, k: number,
  ): number;
}

class WasmKey implements AeadKey {
  constructor(
    private readonly wasm: WasmModule,
    readonly ptr: number,
  ) {}

  destroy(): void {
    this.wasm.HEAPU8.fill(0, this.ptr, this.ptr + KEYBYTES);
    this.wasm._free(this.ptr);
  }
}

/** A growable region of the WASM heap. */
class Scratch {
  ptr = 0;
  size = 0;

  constructor(private readonly wasm: WasmModule) {}

  reserve(n: number): number {
    if (n > this.size) {
      if (this.ptr) {
        this.wasm.HEAPU8.fill(0, this.ptr, this.ptr + this.size);
        this.wasm._free(this.ptr);
      }
      this.size = Math.max(n, 4096);
      this.ptr = this.wasm._malloc(this.size);
      if (!this.ptr) throw new Error('libsodium heap exhausted');
    }
    return this.ptr;
  }
}

export class WasmAead implements AeadBackend {
  readonly name = 'libsodium-wrappers (wasm)';
  private readonly wasm: WasmModule;
  /** One area per call, laid out nonce | associated data | plaintext | ciphertext. */
  private readonly scratch: Scratch;
  /**
   * The WASM memory as a plain Uint8Array (its fill is the fast built-in one; Buffer's is not).
   * Growing the memory detaches the old one, which then has length 0.
   */
  private heapView: Uint8Array;
  /** A 1-byte value sealed under an all-zero key, opened after real opens (see queueScrub). */
  private readonly decoy: { key: number; nonce: number; cipher: number; plain: number };
  private scrubQueued = false;

  constructor() {
    this.wasm = (sodium as unknown as { libsodium: WasmModule }).libsodium;
    this.scratch = new Scratch(this.wasm);
    this.heapView = this.wasm.HEAPU8;
    const decoy = this.wasm._malloc(KEYBYTES + NPUBBYTES + 1 + 1 + ABYTES);
    this.wasm.HEAPU8.fill(0, decoy, decoy + KEYBYTES + NPUBBYTES + 1);
    this.decoy = { key: decoy, nonce: decoy + KEYBYTES, plain: decoy + KEYBYTES + NPUBBYTES, cipher: decoy + KEYBYTES + NPUBBYTES + 1 };
    const d = this.decoy;
    this.wasm._crypto_aead_xchacha20poly1305_ietf_encrypt(d.cipher, 0, d.plain, 1, 0, 0, 0, 0, 0, d.nonce, d.key);
  }

  /**
   * libsodium's C stack lives in the WASM memory, and opening a value leaves its last partial
   * 64-byte block of plaintext (ChaCha20's tmp block) and the per-nonce subkey in stack frames
   * that nothing zeroes. Opening a decoy value through the same call path puts the decoy's
   * bytes in exactly those frames. It runs once the current task's synchronous work is done
   * (a microtask), so a pipelined batch of opens pays for one decoy, not one each.
   */
  private queueScrub(): void {
    if (this.scrubQueued) return;
    this.scrubQueued = true;
    queueMicrotask(this.scrubStack);
  }

  private readonly scrubStack = (): void => {
    this.scrubQueued = false;
    const d = this.decoy;
    this.wasm._crypto_aead_xchacha20poly1305_ietf_decrypt(d.plain, 0, 0, d.cipher, 1 + ABYTES, 0, 0, 0, 0, d.nonce, d.key);
  };

  static async create(): Promise<WasmAead> {
    await sodium.ready;
    return new WasmAead();
  }

  /**
   * The current heap; call after reserve(). Any libsodium-wrappers call elsewhere may have grown
   * the memory; checking our own view's length is cheaper than reading the module's HEAPU8.
   */
  private heap(): Uint8Array {
    if (this.heapView.length === 0) this.heapView = this.wasm.HEAPU8;
    return this.heapView;
  }

  importKey(key: Uint8Array): AeadKey {
    if (key.length !== KEYBYTES) throw new Error('bad key length');
    const ptr = this.wasm._malloc(KEYBYTES);
    this.wasm.HEAPU8.set(key, ptr);
    return new WasmKey(this.wasm, ptr);
  }

  seal(record: Buffer, noncePos: number, cipherPos: number, plain: Uint8Array, ad: Buffer, adLength: number, key: AeadKey, nonceBytes = NPUBBYTES): void {
    const n = this.scratch.reserve(NPUBBYTES + adLength + 2 * plain.length + ABYTES);
    const a = n + NPUBBYTES;
    const m = a + adLength;
    const c = m + plain.length;
    const heap = this.heap();
    copyNonce(record, noncePos, heap, n, nonceBytes);
    copyBytes(ad, 0, heap, a, adLength);
    copyBytes(plain, 0, heap, m, plain.length);
    this.wasm._crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m, plain.length, 0, a, adLength, 0, 0, n, (key as WasmKey).ptr);
    copyBytes(heap, c, record, cipherPos, plain.length + ABYTES);
    // One fill wipes the associated data and the plaintext (the nonce with them, at no cost).
    heap.fill(0, n, c);
  }

  open(
    record: Buffer, noncePos: number, cipherPos: number, cipherLength: number, ad: Buffer, adLength: number,
    target: Uint8Array, offset: number, key: AeadKey, nonceBytes = NPUBBYTES,
  ): boolean {
    if (cipherLength < ABYTES) return false;
    const plainLength = cipherLength - ABYTES;
    const n = this.scratch.reserve(NPUBBYTES + adLength + plainLength + cipherLength);
    const a = n + NPUBBYTES;
    const m = a + adLength;
    const c = m + plainLength;
    const heap = this.heap();
    copyNonce(record, noncePos, heap, n, nonceBytes);
    copyBytes(ad, 0, heap, a, adLength);
    copyBytes(record, cipherPos, heap, c, cipherLength);
    const ok = this.wasm._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, c, cipherLength, 0, a, adLength, 0, n, (key as WasmKey).ptr) === 0;
    this.queueScrub();
    if (ok) copyBytes(heap, m, target, offset, plainLength);
    heap.fill(0, n, c);
    return ok;
  }
}
