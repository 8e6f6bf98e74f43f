// seal()/open(): the only place values are encrypted or decrypted.
//
// Sealed format, version 1 (all integers big-endian):
//   [0]      version = 1
//   [1..4]   key id of the data key that sealed it
//   [5..28]  24-byte XChaCha20 nonce
//   [29..]   XChaCha20-Poly1305-IETF ciphertext with its 16-byte tag
// The associated data is the 5-byte header followed by the caller's context (database and key
// name), so a value moved to another key, database or key id fails to open.
//
// Chunked format, version 2: string values longer than CHUNK_PLAIN, so that a small edit of a
// large value (SETRANGE, APPEND) re-seals one chunk instead of the whole value:
//   [0]       version = 2
//   [1..4]    key id that last sealed every chunk (key rotation's marker; each chunk names its own)
//   [5..20]   value id: 16 random bytes drawn when the value was sealed whole
//   [21..28]  plaintext length (u64)
//   [29..]    chunks, each a version-1 sealed value of CHUNK_PLAIN plaintext bytes (the last one
//             1..CHUNK_PLAIN), chunk i at CHUNKED_HEADER + i * CHUNK_SEALED
// Compact form of version 1, for small collections packed at rest (store/types/packed.ts),
// where the seal is most of what a key costs: sealed with the nonce's last 8 bytes zero, which
// are then left out (bytes 21..28 dropped, 37 bytes of overhead instead of 45). The 16 random
// bytes kept are HChaCha20's input, so each such seal still gets its own subkey: two collide
// with probability n^2 / 2^129 for n seals, far below any bound that matters (AES-GCM's 96-bit
// random nonces are used to 2^32 seals). Sealed and opened where it lies: the AEAD is given the
// 16 nonce bytes kept and puts the 8 zeros after them.
// Each chunk's context adds the value id, its index and whether it is the last one to the
// value's context (src/seal/chunked.ts), so chunks cannot be reordered, dropped, or mixed with
// another value's.

import { createHash, randomFillSync } from 'node:crypto';
import type { AeadBackend } from './aead.js';
import type { Keyring } from './keyring.js';
import { SlabAllocator } from './slab.js';

export const VERSION = 1;
export const HEADER_BYTES = 5;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
export const CHUNKED = 2;
export const CHUNK_PLAIN = 64 * 1024;
export const CHUNK_SEALED = OVERHEAD + CHUNK_PLAIN;
export const CHUNKED_HEADER = 29;
export const VALUE_ID_AT = 5;
export const VALUE_ID_BYTES = 16;
const LENGTH_AT = 21;
/** Nonce bytes the compact form leaves out (always zero). */
export const COMPACT_TAIL = 8;
export const COMPACT_OVERHEAD = OVERHEAD - COMPACT_TAIL;
/** Bytes of a record's digest (Sealer.digest). */
export const DIGEST_BYTES = TAG_BYTES;
const NONCE_POOL = NONCE_BYTES * 4096;

export class SealError extends Error {}

export class Sealer {
  /**
   * Random nonces drawn from one CSPRNG fill per 4096 values: a per-value randombytes_buf call
   * costs more than the encryption itself. 192-bit random nonces make reuse negligible.
   */
  private nonces = Buffer.allocUnsafeSlow(NONCE_POOL);
  private nonceWords = new Float64Array(this.nonces.buffer, this.nonces.byteOffset, NONCE_POOL / 8);
  private noncePos = NONCE_POOL;
  /** Associated data: the record's header, then the caller's context written by contextArea(). */
  private ad = Buffer.allocUnsafeSlow(1024);
  private readonly storage = new SlabAllocator();
  private readonly aead: AeadBackend;
  /** AEAD operations (a chunked value counts one per chunk), for the admin port's metrics. */
  seals = 0;
  opens = 0;
  /** contextArea() calls so far: a context written once for several opens is still there while this stays. */
  contextWrites = 0;

  constructor(private readonly keyring: Keyring) {
    this.aead = keyring.backend;
  }

  /**
   * The buffer to write a context of `length` bytes into, starting at HEADER_BYTES; then call
   * sealIn()/openIn() with that length. Writing in place spares a copy per value.
   */
  contextArea(length: number): Buffer {
    this.contextWrites++;
    if (HEADER_BYTES + length > this.ad.length) {
      this.ad.fill(0);
      this.ad = Buffer.allocUnsafeSlow((HEADER_BYTES + length) * 2);
    }
    return this.ad;
  }

  /** The id of the data key new values are sealed under. */
  get currentKeyId(): number {
    return this.keyring.current.id;
  }

  /** A sealed value prepared earlier (seal/prepared.ts), copied into the sealer's own storage. */
  copyIn(sealed: Uint8Array): Buffer {
    const out = this.storage.alloc(sealed.length);
    out.set(sealed);
    return out;
  }

  /** Encrypts plain under the current data key, bound to the context in contextArea(). */
  sealIn(plain: Uint8Array, contextLength: number): Buffer {
    const out = this.storage.alloc(OVERHEAD + plain.length);
    this.sealAt(plain, contextLength, out, 0);
    return out;
  }

  /**
   * sealIn() writing the sealed value (OVERHEAD + plain.length bytes) into out at `at`: SET
   * seals straight into the value's record in the arena.
   */
  sealAt(plain: Uint8Array, contextLength: number, out: Buffer, at: number, compact = false): void {
    const key = this.keyring.current;
    this.seals++;
    out[at] = VERSION;
    // The key id, big-endian, by hand: writeUInt32BE checks its arguments through Node's
    // validators first, a visible share of sealing a 32-byte value.
    const id = key.id;
    out[at + 1] = id >>> 24;
    out[at + 2] = (id >>> 16) & 0xff;
    out[at + 3] = (id >>> 8) & 0xff;
    out[at + 4] = id & 0xff;
    if (this.noncePos >= NONCE_POOL) {
      randomFillSync(this.nonces);
      this.noncePos = 0;
    }
    // The compact form (see the header) keeps the nonce's first bytes; the rest is zero.
    const nonceBytes = compact ? NONCE_BYTES - COMPACT_TAIL : NONCE_BYTES;
    // Loops of their own rather than copyBytes(), as in native-aead.ts: one kind of array each.
    const nonces = this.nonces;
    const from = this.noncePos;
    for (let i = 0; i < nonceBytes; i++) out[at + HEADER_BYTES + i] = nonces[from + i]!;
    // A used nonce never stays in the pool (three doubles: cheaper than fill() per value).
    const word = this.noncePos / 8;
    this.nonceWords[word] = this.nonceWords[word + 1] = this.nonceWords[word + 2] = 0;
    this.noncePos += NONCE_BYTES;
    const ad = this.ad;
    for (let i = 0; i < HEADER_BYTES; i++) ad[i] = out[at + i]!;
    this.aead.seal(out, at + HEADER_BYTES, at + HEADER_BYTES + nonceBytes, plain, ad, HEADER_BYTES + contextLength, key.key, nonceBytes);
  }

  /**
   * Decrypts straight into target at offset (plainLength(sealed) bytes), so a reply can be
   * built without an intermediate plaintext buffer. Throws SealError if the value was altered
   * or bound to another context; no plaintext is written then.
   */
  openIn(target: Uint8Array, offset: number, sealed: Buffer, contextLength: number): void {
    this.openAt(target, offset, sealed, 0, sealed.length, contextLength);
  }

  /**
   * openIn() for a sealed value of `length` bytes at `start` in src (a record in the arena), in
   * the compact form (sealAt(..., true)) when `compact`: opened where it lies either way.
   */
  openAt(target: Uint8Array, offset: number, src: Buffer, start: number, length: number, contextLength: number, compact = false): void {
    this.opens++;
    const nonceBytes = compact ? NONCE_BYTES - COMPACT_TAIL : NONCE_BYTES;
    if (length < HEADER_BYTES + nonceBytes + TAG_BYTES || src[start] !== VERSION) throw new SealError('unknown sealed format');
    // The header names the key: the current one, or an older one a rotation has not retired yet.
    // By hand, as sealAt writes it: readUInt32BE checks its arguments in JS first (length is checked above).
    const id = ((src[start + 1]! << 24) | (src[start + 2]! << 16) | (src[start + 3]! << 8) | src[start + 4]!) >>> 0;
    const current = this.keyring.current;
    const key = id === current.id ? current : this.keyring.get(id);
    if (key === undefined) throw new SealError('sealed under an unknown key');
    const ad = this.ad;
    for (let i = 0; i < HEADER_BYTES; i++) ad[i] = src[start + i]!;
    const cipherPos = HEADER_BYTES + nonceBytes;
    const ok = this.aead.open(
      src, start + HEADER_BYTES, start + cipherPos, length - cipherPos, ad, HEADER_BYTES + contextLength, target, offset, key.key, nonceBytes,
    );
    if (!ok) throw new SealError('authentication failed');
  }

  /** seal with a context given as bytes (tests, tools); the server uses sealIn(). */
  seal(plain: Uint8Array, context: Uint8Array): Buffer {
    this.contextArea(context.length).set(context, HEADER_BYTES);
    return this.sealIn(plain, context.length);
  }

  /** Decrypts into a fresh buffer (the caller wipes it); throws SealError. */
  open(sealed: Buffer, context: Uint8Array): Buffer {
    this.contextArea(context.length).set(context, HEADER_BYTES);
    const plain = Buffer.allocUnsafeSlow(Math.max(0, sealed.length - OVERHEAD));
    this.openIn(plain, 0, sealed, context.length);
    return plain;
  }

  /** keyId() of a compact seal. */
  static compactKeyId(sealed: Uint8Array): number {
    if (sealed.length < COMPACT_OVERHEAD || sealed[0] !== VERSION) return -1;
    return ((sealed[1]! << 24) | (sealed[2]! << 16) | (sealed[3]! << 8) | sealed[4]!) >>> 0;
  }

  /**
   * The id of the key that sealed a value (read from its header; for a chunked value the key
   * every chunk was last sealed under as a whole), or -1 if it has no valid header.
   */
  static keyId(sealed: Uint8Array): number {
    if (sealed.length < OVERHEAD || (sealed[0] !== VERSION && sealed[0] !== CHUNKED)) return -1;
    return ((sealed[1]! << 24) | (sealed[2]! << 16) | (sealed[3]! << 8) | sealed[4]!) >>> 0;
  }

  /** Plaintext length of a sealed value, known without opening it. */
  static plainLength(sealed: Uint8Array): number {
    if (sealed[0] === CHUNKED && sealed.length >= CHUNKED_HEADER) return Sealer.chunkedLength(sealed);
    return sealed.length - OVERHEAD;
  }

  static isChunked(sealed: Uint8Array): boolean {
    return sealed[0] === CHUNKED;
  }

  /** The plaintext length a chunked value's header claims (checked against the chunks when opened). */
  static chunkedLength(sealed: Uint8Array): number {
    const view = Buffer.from(sealed.buffer, sealed.byteOffset, CHUNKED_HEADER);
    return view.readUInt32BE(LENGTH_AT) * 2 ** 32 + view.readUInt32BE(LENGTH_AT + 4);
  }

  static writeChunkedLength(sealed: Buffer, length: number): void {
    sealed.writeUInt32BE(Math.floor(length / 2 ** 32), LENGTH_AT);
    sealed.writeUInt32BE(length >>> 0, LENGTH_AT + 4);
  }

  /**
   * A short digest that names one sealed value exactly (DIGEST_BYTES): its AEAD tag, or for a
   * chunked value a hash of its header and every chunk's tag. Tags cannot be forged without
   * the key, so bytes with this digest that open are the very bytes it was taken from (the spill
   * tier uses it to refuse an older copy of a value put in place of the current one).
   */
  static digest(sealed: Uint8Array): Uint8Array {
    if (sealed[0] !== CHUNKED || sealed.length < CHUNKED_HEADER + OVERHEAD) {
      return sealed.subarray(Math.max(0, sealed.length - TAG_BYTES));
    }
    const hash = createHash('sha256').update(sealed.subarray(0, CHUNKED_HEADER));
    // Every chunk ends with its tag; the last chunk ends the value.
    for (let end = CHUNKED_HEADER + CHUNK_SEALED; end < sealed.length; end += CHUNK_SEALED) {
      hash.update(sealed.subarray(end - TAG_BYTES, end));
    }
    hash.update(sealed.subarray(sealed.length - TAG_BYTES));
    return hash.digest().subarray(0, DIGEST_BYTES);
  }
}
