// The master key and the keys derived from it. The master key never seals anything itself:
// per-purpose subkeys come from libsodium's KDF, with subkey id = generation * 256 + purpose.
// Value keys have a generation (SEAL ROTATE derives the next one); the other purposes have
// only generation 0. Every data key has a public 32-bit id, written into each sealed header,
// so a value always names the key that sealed it and several data keys can be live at once.

import type { AeadBackend, AeadKey } from './aead.js';
import { loadAead, type BackendChoice } from './backends.js';
import { openVault, randomKey, type KeyVault } from './key-vault.js';
import { KeyError, readMasterKeyEnv, readMasterKeyFile } from './master-key.js';

export { KeyError, readMasterKeyEnv, readMasterKeyFile } from './master-key.js';

/** What a derived key is for: the low byte of its KDF subkey id. */
export const enum Subkey {
  Values = 1,
  /** Keyed BLAKE2b of key names (--seal-keys). */
  Names = 2,
  /** Reserved: spill records are sealed values already and need no key of their own (README). */
  Spill = 3,
  /** The source of a value key's public id: independent of the key, so the id reveals nothing. */
  ValueKeyId = 4,
  /** Keyed BLAKE2b of set and sorted-set members and hash field names: their index, never the plaintext. */
  Members = 5,
  /** DUMP/RESTORE payloads (transport.ts): nodes sharing the master key share this key, and only they open each other's payloads. */
  Transport = 6,
  /** Snapshot records (seal/snapshot.ts): AEAD key of the records of a snapshot file or full-sync stream. */
  Snapshot = 7,
  /** Keyed BLAKE2b hash chain over a snapshot's records. */
  SnapshotChain = 8,
  /** Keyed BLAKE2b MAC over a snapshot's header, counts and chain. */
  SnapshotMac = 9,
  /** The source of a snapshot's public master key id (which master key wrote it; reveals nothing). */
  SnapshotId = 10,
}

const GENERATION = 256;

export type KeySource = 'ephemeral' | 'file' | 'env';

export interface KeyringOptions {
  /** --master-key-file */
  file?: string | undefined;
  /** --master-key-file-permissive: accept a key file that group or others may access. */
  filePermissive?: boolean;
  /** --master-key-env: the name of the environment variable holding the key. */
  env?: string | undefined;
  /** --seal-backend: `wasm` also keeps the key material in the WASM heap instead of sodium_malloc. */
  backend?: BackendChoice;
}

export interface DataKey {
  readonly id: number;
  readonly generation: number;
  readonly key: AeadKey;
}

export class Keyring {
  /** The key new values are sealed with. */
  current: DataKey;
  /** Every live data key by id, the current one included. */
  private readonly keys = new Map<number, DataKey>();
  private readonly subkeys = new Map<Subkey, Buffer>();
  private transport: AeadKey | null = null;
  private snapshot: AeadKey | null = null;
  private readonly retireListeners: ((id: number) => void)[] = [];

  private constructor(
    readonly backend: AeadBackend,
    private readonly vault: KeyVault,
    readonly source: KeySource,
  ) {
    // The first key cannot collide: the ring is empty.
    this.current = this.derive(0)!;
  }

  /** From a file or an environment variable when one is given (not both), else a random key. */
  static async create(options: KeyringOptions = {}): Promise<Keyring> {
    if (options.file && options.env) throw new KeyError('give the master key as master-key-file or master-key-env, not both');
    const choice = options.backend ?? 'auto';
    const backend = await loadAead(choice);
    const native = choice !== 'wasm';
    if (options.file) {
      const file = options.file;
      return new Keyring(backend, await openVault((m) => readMasterKeyFile(file, m, { permissive: options.filePermissive === true }), native), 'file');
    }
    if (options.env) {
      const env = options.env;
      return new Keyring(backend, await openVault((m) => readMasterKeyEnv(env, m), native), 'env');
    }
    return new Keyring(backend, await openVault(randomKey, native), 'ephemeral');
  }

  /** Whether the master and derived keys live in sodium_malloc memory. */
  get secureMemory(): boolean {
    return this.vault.secure;
  }

  /** The live data key with this id, if any. */
  get(id: number): DataKey | undefined {
    return this.keys.get(id);
  }

  /** Ids of the live data keys, oldest first (the current one is last). */
  ids(): number[] {
    return [...this.keys.keys()];
  }

  /** Derives the next generation's value key and makes it current; older keys stay live for opening. */
  rotate(): DataKey {
    let generation = this.current.generation + 1;
    let key = this.derive(generation);
    // A 32-bit id may collide with a key still live (about 1 in 2^32): skip that generation.
    while (key === null) key = this.derive(++generation);
    this.current = key;
    return key;
  }

  /** Wipes a data key nothing is sealed with any more and forgets it. The current key stays. */
  retire(id: number): boolean {
    const key = this.keys.get(id);
    if (key === undefined || key === this.current) return false;
    key.key.destroy();
    this.keys.delete(id);
    for (const listener of this.retireListeners) listener(id);
    return true;
  }

  /** Called with a data key's id once it is retired (or the ring destroyed): copies of it elsewhere are wiped then. */
  onRetire(listener: (id: number) => void): void {
    this.retireListeners.push(listener);
  }

  /**
   * The 32-byte subkey for a purpose other than values, derived on first use and kept until
   * destroy() (a sodium_malloc Buffer when sodium-native loads). The caller must not wipe it.
   */
  subkey(purpose: Subkey.Names | Subkey.Spill | Subkey.Members | Subkey.SnapshotChain | Subkey.SnapshotMac | Subkey.SnapshotId): Uint8Array {
    let key = this.subkeys.get(purpose);
    if (key === undefined) {
      key = this.vault.alloc();
      this.vault.derive(purpose, key);
      this.subkeys.set(purpose, key);
    }
    return key;
  }

  /** The AEAD key DUMP payloads are sealed with (generation 0 only: a SEAL ROTATE does not strand payloads in flight). */
  transportKey(): AeadKey {
    if (this.transport === null) {
      const scratch = this.vault.alloc();
      try {
        this.vault.derive(Subkey.Transport, scratch);
        this.transport = this.backend.importKey(scratch);
      } finally {
        this.vault.wipe(scratch);
      }
    }
    return this.transport;
  }

  /** The AEAD key of snapshot records (generation 0 only, like the transport key: a snapshot outlives SEAL ROTATE). */
  snapshotKey(): AeadKey {
    if (this.snapshot === null) {
      const scratch = this.vault.alloc();
      try {
        this.vault.derive(Subkey.Snapshot, scratch);
        this.snapshot = this.backend.importKey(scratch);
      } finally {
        this.vault.wipe(scratch);
      }
    }
    return this.snapshot;
  }

  /** Wipes all key material; the keyring is unusable afterwards. */
  destroy(): void {
    this.transport?.destroy();
    this.transport = null;
    this.snapshot?.destroy();
    this.snapshot = null;
    for (const [id, key] of this.keys) {
      key.key.destroy();
      for (const listener of this.retireListeners) listener(id);
    }
    this.keys.clear();
    for (const key of this.subkeys.values()) this.vault.wipe(key);
    this.subkeys.clear();
    this.vault.destroy();
  }

  /** Derives generation's value key into the backend; null if its id is already taken. */
  private derive(generation: number): DataKey | null {
    const scratch = this.vault.alloc();
    try {
      this.vault.derive(generation * GENERATION + Subkey.ValueKeyId, scratch);
      const id = scratch.readUInt32BE(0);
      if (this.keys.has(id)) return null;
      this.vault.derive(generation * GENERATION + Subkey.Values, scratch);
      const key: DataKey = { id, generation, key: this.backend.importKey(scratch) };
      this.keys.set(id, key);
      return key;
    } finally {
      this.vault.wipe(scratch);
    }
  }
}
