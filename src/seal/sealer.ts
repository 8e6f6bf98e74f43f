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

export const VERSION = 1;
export const HEADER_BYTES = 5;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
const NONCE_POOL = NONCE_BYTES * 4096;

export class SealError extends Error {}

export class Sealer {
  /**
   * Random nonces drawn from one CSPRNG fill per 4096 values: a per-value randombytes_buf call
   * costs more than the encryption itself. 192-bit random nonces make reuse negligible.
   */
  private nonces = Buffer.allocUnsafeSlow(NONCE_POOL);
  private noncePos = NONCE_POOL;
  private ad = Buffer.allocUnsafeSlow(1024);
  private readonly storage = new SlabAllocator();

  private readonly aead: AeadBackend;

  constructor(private readonly keyring: Keyring) {
    this.aead = keyring.backend;
  }

  /** Encrypts plain under the current data key, bound to context; returns the sealed bytes. */
  seal(plain: Uint8Array, context: Uint8Array): Buffer {
    const key = this.keyring.current;
    const out = this.storage.alloc(OVERHEAD + plain.length);
    out[0] = VERSION;
    out.writeUInt32BE(key.id >>> 0, 1);
    if (this.noncePos >= NONCE_POOL) {
      randomFillSync(this.nonces);
      this.noncePos = 0;
    }
    const nonce = this.nonces.subarray(this.noncePos, this.noncePos + NONCE_BYTES);
    this.noncePos += NONCE_BYTES;
    out.set(nonce, HEADER_BYTES);
    nonce.fill(0); // a used nonce never stays in the pool
    const ad = this.associatedData(out, context);
    this.aead.seal(out, HEADER_BYTES + NONCE_BYTES, plain, ad, out.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), key.key);
    return out;
  }

  /** Decrypts a sealed value into a fresh buffer (the caller wipes it); throws SealError. */
  open(sealed: Uint8Array, context: Uint8Array): Buffer {
    const plain = Buffer.allocUnsafeSlow(Math.max(0, sealed.length - OVERHEAD));
    this.openInto(plain, 0, sealed, context);
    return plain;
  }

  /**
   * Decrypts straight into target at offset (plainLength(sealed) bytes), so a reply can be
   * built without an intermediate plaintext buffer. Throws SealError if the value was altered
   * or bound to another context; target is then left untouched.
   */
  openInto(target: Uint8Array, offset: number, sealed: Uint8Array, context: Uint8Array): void {
    if (sealed.length < OVERHEAD || sealed[0] !== VERSION) throw new SealError('unknown sealed format');
    const key = this.keyring.current;
    const id = ((sealed[1]! << 24) | (sealed[2]! << 16) | (sealed[3]! << 8) | sealed[4]!) >>> 0;
    if (id !== key.id >>> 0) throw new SealError('sealed under an unknown key');
    const ad = this.associatedData(sealed, context);
    const ok = this.aead.openInto(
      target, offset, sealed.subarray(HEADER_BYTES + NONCE_BYTES), ad, sealed.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES), key.key,
    );
    if (!ok) throw new SealError('authentication failed');
  }

  /** Plaintext length of a sealed value, known without opening it. */
  static plainLength(sealed: Uint8Array): number {
    return sealed.length - OVERHEAD;
  }

  private associatedData(header: Uint8Array, context: Uint8Array): Uint8Array {
    const need = HEADER_BYTES + context.length;
    if (need > this.ad.length) this.ad = Buffer.allocUnsafeSlow(need * 2);
    this.ad.set(header.subarray(0, HEADER_BYTES), 0);
    this.ad.set(context, HEADER_BYTES);
    return this.ad.subarray(0, need);
  }
}
