// Keyed BLAKE2b of a key name (--seal-keys): the lookup string a sealed-name keyspace files an
// entry under. Computed from the argument's bytes, so the name never becomes a JS string; the
// result is 16 bytes as a latin1 string (a V8 one-byte string, fast as a Map key). 128 bits with
// a secret key: nobody without the key can even test a guess, and collisions are out of reach.

import sodium from 'libsodium-wrappers';
import { createRequire } from 'node:module';
import { loadSodiumNative } from './native-aead.js';
import { PrekeyedBlake2b, type GenericHashStateBinding } from './prekeyed-blake2b.js';

/** Buffer's latin1Slice is public at run time but missing from @types/node; it skips toString()'s encoding lookup. */
type Latin1Readable = Buffer & { latin1Slice(start: number, end: number): string };

export const NAME_HASH_BYTES = 16;
const KEY_BYTES = 32;

export interface NameHasher {
  readonly name: string;
  /** The lookup string for a key name's bytes. */
  hash(name: Uint8Array): string;
  /**
   * The same 16 bytes written into out at `at`: the index of a set or sorted-set member, or a
   * hash field name, so the collection never keeps the plaintext to find an element.
   */
  digestInto(name: Uint8Array, out: Uint8Array, at: number): void;
  /**
   * digestInto() of src[start, start + length), read where it lies: a member of a RawArgs command
   * (SADD) is digested without making a Buffer view of it first.
   */
  digestRangeInto(src: Uint8Array, start: number, length: number, out: Uint8Array, at: number): void;
  /** Wipes the hasher's copy of the key. */
  destroy(): void;
}

/** The part of sodium-native's API used here (the package ships no type declarations). */
interface NativeGenericHash {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Uint8Array): void;
  crypto_generichash(out: Buffer, input: Uint8Array, key: Buffer): void;
}

const require = createRequire(import.meta.url);

/** sodium-native's binding if it exposes the generichash calls as index.js calls them, else null. */
function genericHashBinding(): GenericHashStateBinding | null {
  try {
    const b = require('sodium-native/binding.js') as Partial<GenericHashStateBinding>;
    const direct = typeof b.crypto_generichash === 'function' && b.crypto_generichash.length !== 3;
    const incremental = typeof b.crypto_generichash_init === 'function' && typeof b.crypto_generichash_update === 'function' && typeof b.crypto_generichash_final === 'function';
    return direct && incremental ? (b as GenericHashStateBinding) : null;
  } catch {
    return null;
  }
}

/**
 * sodium-native: the key stays in sodium_malloc memory, the name is read where it lies. A
 * member's digest (once per SADD/SREM/SISMEMBER member) goes to the addon directly, written
 * straight into its place: index.js's argument checks were ~0.3 us of each call. Names up to
 * 256 bytes (but not the empty one) start from a state with the key block already compressed (prekeyed-blake2b.ts):
 * one compression and one shorter addon call instead of two and crypto_generichash's 9 arguments.
 */
class NativeNameHasher implements NameHasher {
  readonly name = 'sodium-native';
  private readonly key: Buffer;
  private readonly out = Buffer.allocUnsafeSlow(NAME_HASH_BYTES) as Latin1Readable;
  private readonly binding = genericHashBinding();
  private readonly prekeyed: PrekeyedBlake2b | null;

  constructor(private readonly sodium: NativeGenericHash, key: Uint8Array) {
    this.key = sodium.sodium_malloc(KEY_BYTES);
    this.key.set(key);
    this.prekeyed = this.binding === null ? null : PrekeyedBlake2b.create(sodium, this.binding, this.key, NAME_HASH_BYTES);
  }

  hash(name: Uint8Array): string {
    this.digestRangeInto(name, 0, name.length, this.out, 0);
    return this.out.latin1Slice(0, NAME_HASH_BYTES);
  }

  digestInto(name: Uint8Array, out: Uint8Array, at: number): void {
    this.digestRangeInto(name, 0, name.length, out, at);
  }

  digestRangeInto(src: Uint8Array, start: number, length: number, out: Uint8Array, at: number): void {
    const b = this.binding;
    if (b === null || at < 0 || at + NAME_HASH_BYTES > out.length || start < 0 || length < 0 || start + length > src.length) {
      this.sodium.crypto_generichash(this.out, src.subarray(start, start + length), this.key);
      out.set(this.out, at);
      return;
    }
    if (this.prekeyed !== null && PrekeyedBlake2b.covers(length)) return this.prekeyed.digestRange(src, start, length, out, at);
    const k = this.key;
    b.crypto_generichash(
      out.buffer, out.byteOffset + at, NAME_HASH_BYTES, src.buffer, src.byteOffset + start, length, k.buffer, k.byteOffset, KEY_BYTES,
    );
  }

  destroy(): void {
    this.prekeyed?.destroy();
    this.sodium.sodium_memzero(this.key);
  }
}

interface WasmGenericHash {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _crypto_generichash(out: number, outlen: number, input: number, inlenLo: number, inlenHi: number, key: number, keylen: number): number;
}

/**
 * libsodium's WASM build, called directly (the wrapper function allocates and frees per call and
 * leaves the name in freed heap memory): the name is copied into a scratch area of the WASM heap
 * and that copy is wiped right after hashing.
 */
class WasmNameHasher implements NameHasher {
  readonly name = 'libsodium-wrappers (wasm)';
  private readonly wasm: WasmGenericHash;
  private readonly keyPtr: number;
  private readonly outPtr: number;
  private inPtr = 0;
  private inSize = 0;

  constructor(key: Uint8Array) {
    this.wasm = (sodium as unknown as { libsodium: WasmGenericHash }).libsodium;
    this.keyPtr = this.wasm._malloc(KEY_BYTES);
    this.outPtr = this.wasm._malloc(NAME_HASH_BYTES);
    this.wasm.HEAPU8.set(key, this.keyPtr);
  }

  hash(name: Uint8Array): string {
    this.compute(name);
    const heap = this.wasm.HEAPU8;
    const out = Buffer.from(heap.buffer, heap.byteOffset + this.outPtr, NAME_HASH_BYTES) as Latin1Readable;
    return out.latin1Slice(0, NAME_HASH_BYTES);
  }

  digestInto(name: Uint8Array, out: Uint8Array, at: number): void {
    this.compute(name);
    out.set(this.wasm.HEAPU8.subarray(this.outPtr, this.outPtr + NAME_HASH_BYTES), at);
  }

  digestRangeInto(src: Uint8Array, start: number, length: number, out: Uint8Array, at: number): void {
    this.digestInto(src.subarray(start, start + length), out, at);
  }

  private compute(name: Uint8Array): void {
    if (name.length > this.inSize) this.grow(name.length);
    // HEAPU8 is read after any allocation: growing the WASM memory replaces the array.
    const heap = this.wasm.HEAPU8;
    heap.set(name, this.inPtr);
    this.wasm._crypto_generichash(this.outPtr, NAME_HASH_BYTES, this.inPtr, name.length, 0, this.keyPtr, KEY_BYTES);
    heap.fill(0, this.inPtr, this.inPtr + name.length);
  }

  private grow(size: number): void {
    if (this.inPtr !== 0) this.wasm._free(this.inPtr);
    this.inSize = Math.max(size, 256);
    this.inPtr = this.wasm._malloc(this.inSize);
    if (this.inPtr === 0) throw new Error('libsodium heap exhausted');
  }

  destroy(): void {
    this.wasm.HEAPU8.fill(0, this.keyPtr, this.keyPtr + KEY_BYTES);
    this.wasm._free(this.keyPtr);
  }
}

/**
 * sodium-native when it loads (unless told not to), else the WASM build. libsodium must be
 * ready: call it once a Keyring exists (Keyring.create waits for it).
 */
export function createNameHasher(key: Uint8Array, options: { native?: boolean } = {}): NameHasher {
  const native = options.native === false ? null : (loadSodiumNative() as unknown as NativeGenericHash | null);
  return native !== null ? new NativeNameHasher(native, key) : new WasmNameHasher(key);
}
