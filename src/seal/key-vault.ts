// Holds the master key and derives subkeys from it with libsodium's KDF (crypto_kdf, BLAKE2b).
// With sodium-native the master key and every derived key live in sodium_malloc memory (guarded
// pages, mlocked, left out of core dumps). Without it they live in libsodium's WebAssembly heap,
// called directly: libsodium-wrappers' own crypto_kdf_derive_from_key copies the key into that
// heap and frees it without wiping, which would leave copies behind on every derivation.

import { randomFillSync } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { KEY_BYTES } from './master-key.js';
import { loadSodiumNative } from './native-aead.js';

/** libsodium crypto_kdf contexts are exactly 8 bytes. */
export const KDF_CONTEXT = 'sealkv01';

export interface KeyVault {
  /** sodium_malloc memory (true) or the WebAssembly heap and plain Buffers (false). */
  readonly secure: boolean;
  /** A new 32-byte buffer for key material: sodium_malloc memory when secure. */
  alloc(): Buffer;
  /** Writes the subkey with this id (crypto_kdf subkey_id) into out. */
  derive(subkeyId: number, out: Buffer): void;
  wipe(key: Uint8Array): void;
  /** Wipes the master key; the vault is unusable afterwards. */
  destroy(): void;
}

/** What of sodium-native the vault uses (the package ships no type declarations). */
interface SodiumKdf {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Uint8Array): void;
  crypto_kdf_derive_from_key(subkey: Uint8Array, subkeyId: number, ctx: Uint8Array, key: Uint8Array): void;
}

/**
 * A vault whose master key `fill` writes into the buffer it is given (which is wiped if fill
 * throws). Native when sodium-native loads and `native` is not false.
 */
export async function openVault(fill: (master: Buffer) => void, native = true): Promise<KeyVault> {
  const lib = native ? (loadSodiumNative() as SodiumKdf | null) : null;
  if (lib !== null) return new NativeVault(lib, fill);
  await sodium.ready;
  return new WasmVault(fill);
}

/** Fills a master-key buffer from the CSPRNG: the ephemeral key. */
export function randomKey(master: Buffer): void {
  randomFillSync(master);
}

class NativeVault implements KeyVault {
  readonly secure = true;
  private readonly master: Buffer;
  private readonly context = Buffer.from(KDF_CONTEXT, 'latin1');

  constructor(
    private readonly lib: SodiumKdf,
    fill: (master: Buffer) => void,
  ) {
    this.master = lib.sodium_malloc(KEY_BYTES);
    try {
      fill(this.master);
    } catch (err) {
      lib.sodium_memzero(this.master);
      throw err;
    }
  }

  alloc(): Buffer {
    return this.lib.sodium_malloc(KEY_BYTES);
  }

  derive(subkeyId: number, out: Buffer): void {
    this.lib.crypto_kdf_derive_from_key(out, subkeyId, this.context, this.master);
  }

  wipe(key: Uint8Array): void {
    this.lib.sodium_memzero(key);
  }

  destroy(): void {
    this.lib.sodium_memzero(this.master);
  }
}

interface WasmKdf {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_kdf_derive_from_key(out: number, outLen: number, idLo: number, idHi: number, ctx: number, key: number): number;
}

class WasmVault implements KeyVault {
  readonly secure = false;
  private readonly wasm = (sodium as unknown as { libsodium: WasmKdf }).libsodium;
  /** Master key, context and one derivation's output, resident in the WASM heap. */
  private readonly masterPtr: number;
  private readonly contextPtr: number;
  private readonly outPtr: number;

  constructor(fill: (master: Buffer) => void) {
    const staging = Buffer.allocUnsafeSlow(KEY_BYTES);
    try {
      fill(staging);
      this.masterPtr = this.wasm._malloc(KEY_BYTES);
      this.contextPtr = this.wasm._malloc(KDF_CONTEXT.length);
      this.outPtr = this.wasm._malloc(KEY_BYTES);
      this.wasm.HEAPU8.set(staging, this.masterPtr);
      for (let i = 0; i < KDF_CONTEXT.length; i++) this.wasm.HEAPU8[this.contextPtr + i] = KDF_CONTEXT.charCodeAt(i);
    } finally {
      staging.fill(0);
    }
  }

  alloc(): Buffer {
    return Buffer.alloc(KEY_BYTES);
  }

  derive(subkeyId: number, out: Buffer): void {
    const lo = subkeyId >>> 0;
    const hi = Math.floor(subkeyId / 2 ** 32) >>> 0;
    this.wasm._crypto_kdf_derive_from_key(this.outPtr, KEY_BYTES, lo, hi, this.contextPtr, this.masterPtr);
    // HEAPU8 is re-read on each use: the WASM memory may have grown (and been replaced) meanwhile.
    out.set(this.wasm.HEAPU8.subarray(this.outPtr, this.outPtr + KEY_BYTES));
    this.wasm.HEAPU8.fill(0, this.outPtr, this.outPtr + KEY_BYTES);
  }

  wipe(key: Uint8Array): void {
    key.fill(0);
  }

  destroy(): void {
    this.wasm.HEAPU8.fill(0, this.masterPtr, this.masterPtr + KEY_BYTES);
  }
}
