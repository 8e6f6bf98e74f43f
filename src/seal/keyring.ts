// Master key sources and the data key derived from it. The master key never seals values
// itself: a per-purpose subkey is derived with libsodium's KDF, and its short id goes into
// every sealed header so a value can always say which key sealed it.

import { readFileSync } from 'node:fs';
import sodium from 'libsodium-wrappers';
import type { AeadBackend, AeadKey } from './aead.js';
import { loadAead, type BackendChoice } from './backends.js';

export const KEY_BYTES = 32;
/** libsodium crypto_kdf contexts are exactly 8 bytes. */
const KDF_CONTEXT = 'sealkv01';
export const enum Subkey {
  Values = 1,
}

export type KeySource = 'ephemeral' | 'file';

export interface DataKey {
  id: number;
  key: AeadKey;
}

export class KeyError extends Error {}

export async function sodiumReady(): Promise<typeof sodium> {
  await sodium.ready;
  return sodium;
}

/** Reads a master key file: exactly 32 raw bytes, or 64 hex characters (surrounding whitespace ignored). */
export function readMasterKeyFile(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new KeyError(`cannot read master key file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    if (raw.length === KEY_BYTES) return new Uint8Array(raw);
    const text = raw.toString('latin1').trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
    throw new KeyError(
      `master key file ${path} must hold exactly 32 raw bytes or 64 hex characters (found ${raw.length} bytes)`,
    );
  } finally {
    raw.fill(0);
  }
}

export class Keyring {
  readonly source: KeySource;
  readonly current: DataKey;

  private constructor(
    readonly backend: AeadBackend,
    master: Uint8Array,
    source: KeySource,
  ) {
    this.source = source;
    const key = sodium.crypto_kdf_derive_from_key(KEY_BYTES, Subkey.Values, KDF_CONTEXT, master);
    sodium.memzero(master);
    this.current = { id: keyId(key), key: backend.importKey(key) };
    sodium.memzero(key);
  }

  /** Key material from a file when given, else a random key that dies with the process. */
  static async create(masterKeyFile: string | undefined, backendChoice: BackendChoice = 'auto'): Promise<Keyring> {
    await sodium.ready;
    const backend = await loadAead(backendChoice);
    if (masterKeyFile) return new Keyring(backend, readMasterKeyFile(masterKeyFile), 'file');
    return new Keyring(backend, sodium.randombytes_buf(KEY_BYTES), 'ephemeral');
  }

  /** Wipes key material; the keyring is unusable afterwards. */
  destroy(): void {
    this.current.key.destroy();
  }
}

/** A 32-bit id from a keyed hash of the key: stable for a key, revealing nothing about it. */
function keyId(key: Uint8Array): number {
  const digest = sodium.crypto_generichash(16, key, new TextEncoder().encode('sealkv key id'));
  return Buffer.from(digest).readUInt32BE(0);
}
