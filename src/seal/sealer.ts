// seal()/open(): the only place values are encrypted or decrypted.
//
// Sealed format, version 1 (all integers big-endian):
//   [0]      version = 1
//   [1..4]   key id of the data key that sealed it
//   [5..28]  24-byte XChaCha20 nonce
//   [29..]   XChaCha20-Poly1305-IETF ciphertext with its 16-byte tag
// The associated data is the 5-byte header followed by the caller's context (database and key
// name), so a value moved to another key, database or key id fails to open.

import { randomFillSync } from 'node:crypto';
import type { AeadBackend } from './aead.js';
import type { Keyring } from './keyring.js';
import { SlabAllocator } from './slab.js';
import { copyBytes } from '../util/bytes.js';

export const VERSION = 1;
export const HEADER_BYTES = 5;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
const CIPHER_POS = HEADER_BYTES + NONCE_BYTES;
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

  constructor(private readonly keyring: Keyring) {
    this.aead = keyring.backend;
  }

  /**
   * The buffer to write a context of `length` bytes into, starting at HEADER_BYTES; then call
   * sealIn()/openIn() with that length. Writing in place spares a copy per value.
   */
  contextArea(length: number): Buffer {
    if (HEADER_BYTES + length > this.ad.length) {
      this.ad.fill(0);
      this.ad = Buffer.allocUnsafeSlow((HEADER_BYTES + length) * 2);
    }
    return this.ad;
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
  sealAt(plain: Uint8Array, contextLength: number, out: Buffer, at: number): void {
    const key = this.keyring.current;
    out[at] = VERSION;
    out.writeUInt32BE(key.id, at + 1);
    if (this.noncePos >= NONCE_POOL) {
      randomFillSync(this.nonces);
      this.noncePos = 0;
    }
    copyBytes(this.nonces, this.noncePos, out, at + HEADER_BYTES, NONCE_BYTES);
    // A used nonce never stays in the pool (three doubles: cheaper than fill() per value).
    const word = this.noncePos / 8;
    this.nonceWords[word] = this.nonceWords[word + 1] = this.nonceWords[word + 2] = 0;
    this.noncePos += NONCE_BYTES;
    copyBytes(out, at, this.ad, 0, HEADER_BYTES);
    this.aead.seal(out, at + HEADER_BYTES, at + CIPHER_POS, plain, this.ad, HEADER_BYTES + contextLength, key.key);
  }

  /**
   * Decrypts straight into target at offset (plainLength(sealed) bytes), so a reply can be
   * built without an intermediate plaintext buffer. Throws SealError if the value was altered
   * or bound to another context; no plaintext is written then.
   */
  openIn(target: Uint8Array, offset: number, sealed: Buffer, contextLength: number): void {
    this.openAt(target, offset, sealed, 0, sealed.length, contextLength);
  }

  /** openIn() for a sealed value of `length` bytes at `start` in src (a record in the arena). */
  openAt(target: Uint8Array, offset: number, src: Buffer, start: number, length: number, contextLength: number): void {
    if (length < OVERHEAD || src[start] !== VERSION) throw new SealError('unknown sealed format');
    // The header names the key: the current one, or an older one a rotation has not retired yet.
    const id = src.readUInt32BE(start + 1);
    const current = this.keyring.current;
    const key = id === current.id ? current : this.keyring.get(id);
    if (key === undefined) throw new SealError('sealed under an unknown key');
    copyBytes(src, start, this.ad, 0, HEADER_BYTES);
    const ok = this.aead.open(
      src, start + HEADER_BYTES, start + CIPHER_POS, length - CIPHER_POS, this.ad, HEADER_BYTES + contextLength, target, offset, key.key,
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

  /** The id of the key that sealed a value (read from its header), or -1 if it has no valid header. */
  static keyId(sealed: Uint8Array): number {
    if (sealed.length < OVERHEAD || sealed[0] !== VERSION) return -1;
    return ((sealed[1]! << 24) | (sealed[2]! << 16) | (sealed[3]! << 8) | sealed[4]!) >>> 0;
  }

  /** Plaintext length of a sealed value, known without opening it. */
  static plainLength(sealed: Uint8Array): number {
    return sealed.length - OVERHEAD;
  }
}
