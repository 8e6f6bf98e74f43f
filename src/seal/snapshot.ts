// The cryptography of sealed snapshots (src/persistence/snapshot-*.ts): sealing stays in seal/.
// Three subkeys of the master key, all generation 0 (a snapshot outlives SEAL ROTATE):
//   - Subkey.Snapshot: XChaCha20-Poly1305 of each record, its associated data the file's random
//     id and the record's index, so a record opens only in its own file at its own place;
//   - Subkey.SnapshotChain: keyed BLAKE2b chain, c0 = H(header), ci = H(c(i-1) || record i):
//     a dropped, reordered, replayed or spliced record changes every link after it;
//   - Subkey.SnapshotMac: keyed BLAKE2b over header, counts and the last link: the file is
//     authenticated as a whole, and a truncated file (no valid trailer) is refused.
// A fourth, Subkey.SnapshotId, is never used as a key: 16 of its bytes are the public id that
// names the master key in the header (another master key is refused with a clear error before
// anything is opened), revealing nothing about the key.

import { randomFillSync } from 'node:crypto';
import { ABYTES, NPUBBYTES, type AeadKey } from './aead.js';
import { Subkey, type Keyring } from './keyring.js';
import { createNameHasher, NAME_HASH_BYTES, type NameHasher } from './name-hash.js';

export const SNAPSHOT_KEY_ID_BYTES = 16;
export const CHAIN_BYTES = NAME_HASH_BYTES;
export const MAC_BYTES = NAME_HASH_BYTES;
/** Bytes a sealed record adds to its plaintext: nonce and tag. */
export const RECORD_SEAL_OVERHEAD = NPUBBYTES + ABYTES;
/** Associated data of a record: file id (16) and record index (8). */
const AD_BYTES = 24;

export class SnapshotSealer {
  private readonly aead: AeadKey;
  private readonly chain: NameHasher;
  private readonly macer: NameHasher;
  /** The public id of the master key (header). */
  readonly keyId: Buffer;
  private readonly ad = Buffer.allocUnsafeSlow(AD_BYTES);
  private names: NameHasher | null = null;

  constructor(private readonly keyring: Keyring) {
    this.aead = keyring.snapshotKey();
    const native = { native: keyring.secureMemory };
    this.chain = createNameHasher(keyring.subkey(Subkey.SnapshotChain), native);
    this.macer = createNameHasher(keyring.subkey(Subkey.SnapshotMac), native);
    this.keyId = Buffer.from(keyring.subkey(Subkey.SnapshotId).subarray(0, SNAPSHOT_KEY_ID_BYTES));
  }

  /**
   * Seals plain into out at `at` (RECORD_SEAL_OVERHEAD + plain.length bytes): nonce, then
   * ciphertext and tag. The caller wipes plain.
   */
  sealRecord(plain: Uint8Array, fileId: Uint8Array, index: number, out: Buffer, at: number): void {
    randomFillSync(out, at, NPUBBYTES);
    this.keyring.backend.seal(out, at, at + NPUBBYTES, plain, this.adOf(fileId, index), AD_BYTES, this.aead);
  }

  /**
   * Opens a sealed record (sealed[start, start + length): nonce, ciphertext, tag) into a fresh
   * buffer the caller wipes; null when it does not authenticate.
   */
  openRecord(sealed: Buffer, start: number, length: number, fileId: Uint8Array, index: number): Buffer | null {
    if (length < RECORD_SEAL_OVERHEAD) return null;
    const plain = Buffer.from(new ArrayBuffer(length - RECORD_SEAL_OVERHEAD));
    const ok = this.keyring.backend.open(
      sealed, start, start + NPUBBYTES, length - NPUBBYTES, this.adOf(fileId, index), AD_BYTES, plain, 0, this.aead,
    );
    if (!ok) {
      plain.fill(0);
      return null;
    }
    return plain;
  }

  /**
   * One link of the chain: the keyed hash of `linked`, whose first CHAIN_BYTES hold the previous
   * link and the rest the record's bytes as written (so no copy is made); written into out at `at`.
   */
  link(linked: Uint8Array, out: Uint8Array, at: number): void {
    this.chain.digestInto(linked, out, at);
  }

  /** The MAC of `covered` (header, counts, last link) into out at `at`. */
  mac(covered: Uint8Array, out: Uint8Array, at: number): void {
    this.macer.digestInto(covered, out, at);
  }

  /**
   * The --seal-keys lookup hash of a name (Subkey.Names), for a loader without --seal-keys
   * reading a snapshot written with it: its DEL operations name keys by that hash.
   */
  nameHash(name: Uint8Array): string {
    this.names ??= createNameHasher(this.keyring.subkey(Subkey.Names), { native: this.keyring.secureMemory });
    return this.names.hash(name);
  }

  destroy(): void {
    this.chain.destroy();
    this.macer.destroy();
    this.names?.destroy();
  }

  private adOf(fileId: Uint8Array, index: number): Buffer {
    this.ad.set(fileId.subarray(0, 16), 0);
    this.ad.writeBigUInt64BE(BigInt(index), 16);
    return this.ad;
  }
}
