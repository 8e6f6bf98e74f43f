// The AEAD primitive behind the sealer: XChaCha20-Poly1305-IETF, called straight into
// libsodium's WebAssembly heap. The wrapper functions of libsodium-wrappers allocate, copy and
// free every argument on each call, which cost more than the cipher for small values; here the
// key stays resident in the WASM heap and inputs go through reused scratch areas that are
// wiped after every call. The output is byte-identical to the wrapper's (a unit test checks).

import sodium from 'libsodium-wrappers';

export const ABYTES = 16;
export const NPUBBYTES = 24;
export const KEYBYTES = 32;

/** A key living inside the backend's memory. */
export interface AeadKey {
  destroy(): void;
}

export interface AeadBackend {
  readonly name: string;
  importKey(key: Uint8Array): AeadKey;
  /** Writes ciphertext||tag of plain into out at offset (plain.length + 16 bytes). */
  seal(out: Uint8Array, offset: number, plain: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: AeadKey): void;
  /**
   * Writes the plaintext (cipher.length - 16 bytes) into target at offset; false, with target
   * untouched, when authentication fails.
   */
  openInto(target: Uint8Array, offset: number, cipher: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: AeadKey): boolean;
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
  private readonly input: Scratch;
  private readonly output: Scratch;
  private readonly adArea: Scratch;
  private readonly noncePtr: number;

  constructor() {
    this.wasm = (sodium as unknown as { libsodium: WasmModule }).libsodium;
    this.input = new Scratch(this.wasm);
    this.output = new Scratch(this.wasm);
    this.adArea = new Scratch(this.wasm);
    this.noncePtr = this.wasm._malloc(NPUBBYTES);
  }

  static async create(): Promise<WasmAead> {
    await sodium.ready;
    return new WasmAead();
  }

  importKey(key: Uint8Array): AeadKey {
    if (key.length !== KEYBYTES) throw new Error('bad key length');
    const ptr = this.wasm._malloc(KEYBYTES);
    this.wasm.HEAPU8.set(key, ptr);
    return new WasmKey(this.wasm, ptr);
  }

  seal(out: Uint8Array, offset: number, plain: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: AeadKey): void {
    const m = this.input.reserve(plain.length);
    const c = this.output.reserve(plain.length + ABYTES);
    const a = this.adArea.reserve(ad.length);
    const heap = this.wasm.HEAPU8; // read after reserve(): a heap growth replaces the view
    heap.set(plain, m);
    heap.set(ad, a);
    heap.set(nonce, this.noncePtr);
    this.wasm._crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m, plain.length, 0, a, ad.length, 0, 0, this.noncePtr, (key as WasmKey).ptr);
    out.set(heap.subarray(c, c + plain.length + ABYTES), offset);
    heap.fill(0, m, m + plain.length);
    heap.fill(0, a, a + ad.length);
  }

  openInto(target: Uint8Array, offset: number, cipher: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: AeadKey): boolean {
    if (cipher.length < ABYTES) return false;
    const plainLength = cipher.length - ABYTES;
    const c = this.input.reserve(cipher.length);
    const m = this.output.reserve(Math.max(plainLength, 1));
    const a = this.adArea.reserve(ad.length);
    const heap = this.wasm.HEAPU8;
    heap.set(cipher, c);
    heap.set(ad, a);
    heap.set(nonce, this.noncePtr);
    const rc = this.wasm._crypto_aead_xchacha20poly1305_ietf_decrypt(m, 0, 0, c, cipher.length, 0, a, ad.length, 0, this.noncePtr, (key as WasmKey).ptr);
    heap.fill(0, a, a + ad.length);
    if (rc !== 0) return false;
    target.set(heap.subarray(m, m + plainLength), offset);
    heap.fill(0, m, m + plainLength);
    return true;
  }
}
