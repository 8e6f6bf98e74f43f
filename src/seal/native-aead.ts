// XChaCha20-Poly1305-IETF through sodium-native (libsodium compiled natively). Keys live only in
// sodium_malloc memory (guarded pages, mlocked, kept out of core dumps), and so do the nonce and
// the scratch areas small values pass through. Optional: absent or unloadable, sealkv uses WASM.
//
// For small values the cost is the call, not the cipher, so the hot path avoids what the
// package's convenience layer and slicing add per call: it calls the addon's functions directly
// (index.js re-validates every argument in JS; here every view has its exact length by
// construction), copies the nonce into one fixed buffer, and passes cached exact-length views
// (of the caller's associated-data buffer and of the scratch areas) instead of a new view per
// argument (each one an object to allocate and collect).

import { createRequire } from 'node:module';
import { ExactViews } from '../util/bytes.js';
import { useNativeWipe } from '../util/shared-pool.js';
import { ABYTES, KEYBYTES, NPUBBYTES, type AeadBackend, type AeadKey } from './aead.js';

/** The part of sodium-native's public API sealkv uses (the package ships no type declarations). */
export interface SodiumNative {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Uint8Array): void;
}

/**
 * The addon's own AEAD entry points (what index.js calls after its argument checks): no `nsec`
 * argument, and a negative result instead of an exception when a value does not authenticate.
 */
export interface SodiumNativeBinding {
  crypto_aead_xchacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(m: Uint8Array, c: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): number;
}

const require = createRequire(import.meta.url);

/** sodium-native if it is installed and loads on this platform, else null. */
export function loadSodiumNative(): SodiumNative | null {
  let sodium: SodiumNative;
  try {
    sodium = require('sodium-native') as SodiumNative;
  } catch {
    return null;
  }
  useNativeWipe(sodium.sodium_memzero);
  return sodium;
}

/**
 * Values whose ciphertext is at most this long go through the scratch areas: copying them with a
 * plain loop costs less than creating views. Longer ones are passed as views of their buffers.
 */
const SCRATCH_BYTES = 64;

export class NativeKey implements AeadKey {
  constructor(
    private readonly sodium: SodiumNative,
    readonly secure: Buffer,
  ) {}

  destroy(): void {
    this.sodium.sodium_memzero(this.secure);
  }
}

/**
 * A plain Uint8Array view of bytes[start, start + length): Buffer's subarray goes through extra
 * JS and a FastBuffer construction, a visible share of opening a packed blob where it lies.
 * bytes itself when that is all of it (a caller's exact-length view of its scratch: ExactViews).
 */
function view(bytes: Uint8Array, start: number, length: number): Uint8Array {
  if (start === 0 && length === bytes.length) return bytes;
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
}

export class NativeAead implements AeadBackend {
  readonly name = 'sodium-native';
  /**
   * The addon's two AEAD functions, read off its exports once: that object holds ~300 functions
   * in dictionary mode, so each `binding.name` was a generic property lookup (a LoadIC call)
   * on every seal and open.
   */
  private readonly encrypt: SodiumNativeBinding['crypto_aead_xchacha20poly1305_ietf_encrypt'];
  private readonly decrypt: SodiumNativeBinding['crypto_aead_xchacha20poly1305_ietf_decrypt'];
  private readonly nonce: Uint8Array;
  /** Ciphertext (seal output, open input) of small values. */
  private readonly cipher: ExactViews;
  /** Plaintext of small values being opened; wiped after each copy out. */
  private readonly plain: ExactViews;
  /** Views of the caller's associated-data buffer (the sealer reuses one until it grows). */
  private ad: ExactViews | null = null;

  /** sodium-native as loadSodiumNative() returned it; its addon file then loads too. */
  constructor(private readonly sodium: SodiumNative) {
    const binding = require('sodium-native/binding.js') as SodiumNativeBinding;
    this.encrypt = binding.crypto_aead_xchacha20poly1305_ietf_encrypt;
    this.decrypt = binding.crypto_aead_xchacha20poly1305_ietf_decrypt;
    this.nonce = sodium.sodium_malloc(NPUBBYTES);
    this.cipher = new ExactViews(sodium.sodium_malloc(SCRATCH_BYTES));
    this.plain = new ExactViews(sodium.sodium_malloc(SCRATCH_BYTES - ABYTES));
  }

  importKey(key: Uint8Array): AeadKey {
    if (key.length !== KEYBYTES) throw new Error('bad key length');
    const secure = this.sodium.sodium_malloc(KEYBYTES);
    secure.set(key);
    return new NativeKey(this.sodium, secure);
  }

  /**
   * The addon trusts the lengths of the views it gets (index.js checked them; here a view cut
   * short by subarray at the end of a buffer would let libsodium write past it): check them.
   */
  private static checkRanges(record: Buffer, noncePos: number, nonceBytes: number, cipherEnd: number, ad: Buffer, adLength: number): void {
    if (nonceBytes > NPUBBYTES || noncePos + nonceBytes > record.length || cipherEnd > record.length || adLength > ad.length) {
      throw new RangeError('sealed record or associated data shorter than the given lengths');
    }
  }

  private adView(ad: Buffer, adLength: number): Uint8Array {
    if (this.ad?.of !== ad) this.ad = new ExactViews(ad);
    return this.ad.get(adLength);
  }

  seal(record: Buffer, noncePos: number, cipherPos: number, plain: Uint8Array, ad: Buffer, adLength: number, key: AeadKey, nonceBytes = NPUBBYTES): void {
    const cipherLength = plain.length + ABYTES;
    NativeAead.checkRanges(record, noncePos, nonceBytes, cipherPos + cipherLength, ad, adLength);
    const nonce = this.nonce;
    // The small copies here and in open() are loops of their own, not copyNonce()/copyBytes():
    // each loop's element accesses then see one kind of array, where the shared helpers see
    // every caller's, and an open of 32 B took ~70 ns (10%) more through them (measured alone).
    for (let i = 0; i < nonceBytes; i++) nonce[i] = record[noncePos + i]!;
    for (let i = nonceBytes; i < NPUBBYTES; i++) nonce[i] = 0;
    const k = (key as NativeKey).secure;
    if (cipherLength > SCRATCH_BYTES) return this.sealLarge(record, cipherPos, cipherLength, plain, ad, adLength, k);
    this.encrypt(this.cipher.get(cipherLength), plain, this.adView(ad, adLength), nonce, k);
    const cipher = this.cipher.all;
    for (let i = 0; i < cipherLength; i++) record[cipherPos + i] = cipher[i]!;
  }

  /**
   * The larger values' seal and open, in methods of their own: written inline, the branch not
   * taken cost a small value's open ~50 ns (measured alone), the optimizing compiler then
   * inlining less of the small path.
   */
  private sealLarge(record: Buffer, cipherPos: number, cipherLength: number, plain: Uint8Array, ad: Buffer, adLength: number, k: Buffer): void {
    this.encrypt(view(record, cipherPos, cipherLength), plain, this.adView(ad, adLength), this.nonce, k);
  }

  private openLarge(record: Buffer, cipherPos: number, cipherLength: number, ad: Buffer, adLength: number, target: Uint8Array, offset: number, k: Buffer): boolean {
    // libsodium checks the tag before it decrypts; on a forged value it zeroes the range.
    const plain = view(target, offset, cipherLength - ABYTES);
    return this.decrypt(plain, view(record, cipherPos, cipherLength), this.adView(ad, adLength), this.nonce, k) >= 0;
  }

  open(
    record: Buffer, noncePos: number, cipherPos: number, cipherLength: number, ad: Buffer, adLength: number,
    target: Uint8Array, offset: number, key: AeadKey, nonceBytes = NPUBBYTES,
  ): boolean {
    if (cipherLength < ABYTES) return false;
    const plainLength = cipherLength - ABYTES;
    NativeAead.checkRanges(record, noncePos, nonceBytes, cipherPos + cipherLength, ad, adLength);
    if (offset + plainLength > target.length) throw new RangeError('target shorter than the plaintext');
    const nonce = this.nonce;
    for (let i = 0; i < nonceBytes; i++) nonce[i] = record[noncePos + i]!;
    for (let i = nonceBytes; i < NPUBBYTES; i++) nonce[i] = 0;
    const k = (key as NativeKey).secure;
    if (cipherLength > SCRATCH_BYTES) return this.openLarge(record, cipherPos, cipherLength, ad, adLength, target, offset, k);
    const cipher = this.cipher.all;
    for (let i = 0; i < cipherLength; i++) cipher[i] = record[cipherPos + i]!;
    const rc = this.decrypt(this.plain.get(plainLength), this.cipher.get(cipherLength), this.adView(ad, adLength), nonce, k);
    if (rc < 0) return false;
    const plain = this.plain.all;
    for (let i = 0; i < plainLength; i++) target[offset + i] = plain[i]!;
    // A loop: fill() is a call into the runtime (C++), dearer than a few stores.
    for (let i = 0; i < plainLength; i++) plain[i] = 0;
    return true;
  }
}
