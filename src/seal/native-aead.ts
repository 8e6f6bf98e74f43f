// XChaCha20-Poly1305-IETF through sodium-native (libsodium compiled natively, with SIMD): from
// about 1 KiB up it is 2.5-3.4x faster than the WASM build here, while for tiny values the
// native call overhead makes the WASM path faster. Keys live in sodium_malloc memory (guarded
// pages, mlocked, kept out of core dumps). Optional: absent or unloadable, sealkv uses WASM.

import { createRequire } from 'node:module';
import { ABYTES, KEYBYTES, NPUBBYTES, type AeadBackend, type AeadKey } from './aead.js';

/** The part of sodium-native's API sealkv uses (the package ships no type declarations). */
interface SodiumNative {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Buffer): void;
  crypto_aead_xchacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array, nsec: null, npub: Uint8Array, k: Buffer): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Buffer): number;
}

/** sodium-native if it is installed and loads on this platform, else null. */
export function loadSodiumNative(): SodiumNative | null {
  try {
    return createRequire(import.meta.url)('sodium-native') as SodiumNative;
  } catch {
    return null;
  }
}

class NativeKey implements AeadKey {
  constructor(
    private readonly sodium: SodiumNative,
    readonly secure: Buffer,
  ) {}

  destroy(): void {
    this.sodium.sodium_memzero(this.secure);
  }
}

export class NativeAead implements AeadBackend {
  readonly name = 'sodium-native';

  constructor(private readonly sodium: SodiumNative) {}

  importKey(key: Uint8Array): AeadKey {
    if (key.length !== KEYBYTES) throw new Error('bad key length');
    const secure = this.sodium.sodium_malloc(KEYBYTES);
    secure.set(key);
    return new NativeKey(this.sodium, secure);
  }

  seal(record: Buffer, noncePos: number, cipherPos: number, plain: Uint8Array, ad: Buffer, adLength: number, key: AeadKey): void {
    this.sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
      record.subarray(cipherPos, cipherPos + plain.length + ABYTES), plain, ad.subarray(0, adLength), null,
      record.subarray(noncePos, noncePos + NPUBBYTES), (key as NativeKey).secure,
    );
  }

  open(
    record: Buffer, noncePos: number, cipherPos: number, cipherLength: number, ad: Buffer, adLength: number,
    target: Uint8Array, offset: number, key: AeadKey,
  ): boolean {
    if (cipherLength < ABYTES) return false;
    try {
      // libsodium checks the tag before it decrypts; on a forged value it zeroes the range.
      this.sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        target.subarray(offset, offset + cipherLength - ABYTES), null, record.subarray(cipherPos, cipherPos + cipherLength),
        ad.subarray(0, adLength), record.subarray(noncePos, noncePos + NPUBBYTES), (key as NativeKey).secure,
      );
      return true;
    } catch {
      return false;
    }
  }
}

class PairKey implements AeadKey {
  constructor(
    readonly small: AeadKey,
    readonly large: AeadKey,
  ) {}

  destroy(): void {
    this.small.destroy();
    this.large.destroy();
  }
}

/**
 * Small values through one backend, large ones through the other. Both write the same standard
 * format, so a value sealed by either opens with either (unit-tested).
 */
export class SizeSplitAead implements AeadBackend {
  readonly name: string;

  constructor(
    private readonly small: AeadBackend,
    private readonly large: AeadBackend,
    private readonly threshold: number,
  ) {
    this.name = `${large.name} for values of ${threshold} B and more, ${small.name} below`;
  }

  importKey(key: Uint8Array): AeadKey {
    return new PairKey(this.small.importKey(key), this.large.importKey(key));
  }

  seal(record: Buffer, noncePos: number, cipherPos: number, plain: Uint8Array, ad: Buffer, adLength: number, key: AeadKey): void {
    const pair = key as PairKey;
    if (plain.length >= this.threshold) this.large.seal(record, noncePos, cipherPos, plain, ad, adLength, pair.large);
    else this.small.seal(record, noncePos, cipherPos, plain, ad, adLength, pair.small);
  }

  open(
    record: Buffer, noncePos: number, cipherPos: number, cipherLength: number, ad: Buffer, adLength: number,
    target: Uint8Array, offset: number, key: AeadKey,
  ): boolean {
    const pair = key as PairKey;
    return cipherLength - ABYTES >= this.threshold
      ? this.large.open(record, noncePos, cipherPos, cipherLength, ad, adLength, target, offset, pair.large)
      : this.small.open(record, noncePos, cipherPos, cipherLength, ad, adLength, target, offset, pair.small);
  }
}
