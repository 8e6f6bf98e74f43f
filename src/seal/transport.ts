// DUMP/RESTORE payloads: one key's value serialized (src/persistence/payload.ts) and sealed as a
// whole under the transport key (Subkey.Transport, derived from the master key), so the payload
// carries no plaintext and opens only on a node holding the same master key.
//
//   0xF5 'S' 'K' 'V'  | format (1) | nonce (24) | ciphertext + tag (plain + 16)
//   | trailer: "RDB version" (2, LE) = 0xFF5E | CRC-64/Jones of everything before it (8, LE)
//
// The trailer has the shape of Redis's DUMP trailer, so tools that check it find a checksum,
// but its version is above any RDB version: redis-server refuses a sealkv payload ("DUMP payload
// version or checksum are wrong"), and sealkv refuses a Redis payload (wrong version, no magic).
// The associated data is the magic and format byte: the AEAD tag covers them as well.

import { randomFillSync } from 'node:crypto';
import type { Keyring } from './keyring.js';
import { ABYTES, NPUBBYTES, type AeadKey } from './aead.js';

const MAGIC = Buffer.from([0xf5, 0x53, 0x4b, 0x56]);
const FORMAT = 1;
const HEAD = MAGIC.length + 1;
/** The associated data: magic and format byte. */
const AD = Buffer.from([...MAGIC, FORMAT]);
const NONCE_AT = HEAD;
const CIPHER_AT = HEAD + NPUBBYTES;
/** The 2-byte version in the trailer: above every RDB version (Redis 7.0 writes 10). */
export const TRAILER_VERSION = 0xff5e;
const TRAILER = 10;
export const PAYLOAD_OVERHEAD = CIPHER_AT + ABYTES + TRAILER;

// ---- CRC-64/Jones (reflected, poly 0xad93d23594c935a9), as Redis's crc64.c: two 32-bit halves ----

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
{
  // 0xad93d23594c935a9 bit-reversed: the table of a reflected CRC uses the reversed polynomial.
  const poly = 0x95ac9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let crc = BigInt(i);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
    TABLE_LO[i] = Number(crc & 0xffffffffn);
    TABLE_HI[i] = Number(crc >> 32n);
  }
}

/** Redis's crc64(0, bytes) written little-endian into out at `at`. */
export function crc64Into(bytes: Uint8Array, start: number, end: number, out: Buffer, at: number): void {
  let lo = 0;
  let hi = 0;
  for (let i = start; i < end; i++) {
    const idx = (lo ^ bytes[i]!) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx]!) >>> 0;
    hi = ((hi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
  }
  out.writeUInt32LE(lo, at);
  out.writeUInt32LE(hi, at + 4);
}

/** The CRC as a bigint (tests). */
export function crc64(bytes: Uint8Array): bigint {
  const out = Buffer.alloc(8);
  crc64Into(bytes, 0, bytes.length, out, 0);
  return out.readBigUInt64LE(0);
}

/** Nonces drawn per CSPRNG fill: a 24-byte randomFillSync per payload cost 3-4 µs, more than a small seal. */
const NONCE_POOL = NPUBBYTES * 256;

export class TransportSealer {
  private key: AeadKey | null = null;
  private nonces = Buffer.allocUnsafeSlow(NONCE_POOL);
  private noncePos = NONCE_POOL;

  constructor(private readonly keyring: Keyring) {}

  private aeadKey(): AeadKey {
    if (this.key === null) this.key = this.keyring.transportKey();
    return this.key;
  }

  /** Seals plain[0, length) into a new payload; the caller wipes plain. */
  seal(plain: Uint8Array): Buffer {
    const out = Buffer.allocUnsafeSlow(PAYLOAD_OVERHEAD + plain.length);
    MAGIC.copy(out, 0);
    out[MAGIC.length] = FORMAT;
    if (this.noncePos === NONCE_POOL) {
      randomFillSync(this.nonces);
      this.noncePos = 0;
    }
    this.nonces.copy(out, NONCE_AT, this.noncePos, this.noncePos + NPUBBYTES);
    // A used nonce never stays in the pool.
    this.nonces.fill(0, this.noncePos, this.noncePos + NPUBBYTES);
    this.noncePos += NPUBBYTES;
    this.keyring.backend.seal(out, NONCE_AT, CIPHER_AT, plain, AD, HEAD, this.aeadKey());
    const trailer = CIPHER_AT + plain.length + ABYTES;
    out.writeUInt16LE(TRAILER_VERSION, trailer);
    crc64Into(out, 0, trailer + 2, out, trailer + 2);
    return out;
  }

  /**
   * The plaintext of a payload in a fresh buffer (the caller wipes it), or null when it is not
   * a sealkv payload, is damaged, or was sealed under another master key.
   */
  open(payload: Buffer): Buffer | null {
    if (payload.length < PAYLOAD_OVERHEAD) return null;
    const trailer = payload.length - TRAILER;
    if (payload.readUInt16LE(trailer) !== TRAILER_VERSION) return null;
    const crc = Buffer.allocUnsafe(8);
    crc64Into(payload, 0, trailer + 2, crc, 0);
    if (!crc.equals(payload.subarray(trailer + 2))) return null;
    if (!payload.subarray(0, MAGIC.length).equals(MAGIC) || payload[MAGIC.length] !== FORMAT) return null;
    const cipherLength = trailer - CIPHER_AT;
    const plain = Buffer.from(new ArrayBuffer(cipherLength - ABYTES));
    if (!this.keyring.backend.open(payload, NONCE_AT, CIPHER_AT, cipherLength, AD, HEAD, plain, 0, this.aeadKey())) {
      plain.fill(0);
      return null;
    }
    return plain;
  }
}
