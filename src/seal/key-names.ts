// How key arguments become the strings entries are filed under (setting seal-keys, fixed at
// start). Plain: the name itself as latin1. Sealed: a keyed hash of the argument's bytes
// (name-hash.ts), while the name is kept only as a sealed copy on its entry, so no key name
// ever becomes a JS string (V8 strings cannot be wiped and dead ones linger in the heap).
//
// A new entry learns its sealed name from the command that creates it: keyOf() remembers each
// key argument of the running command under its hash, Keyspace.set() asks sealedName() for the
// hash it files the entry under, and the dispatcher calls endCommand() once the command ran,
// so no argument buffer is held past its command.

import { nameString } from '../util/names.js';
import { plainBuffer } from '../util/bytes.js';
import { OVERHEAD, Sealer } from './sealer.js';
import { NAME_HASH_BYTES, type NameHasher } from './name-hash.js';
import type { SealedValues } from './values.js';

export class PlainKeyNames {
  readonly sealed = false;

  keyOf(arg: Buffer): string {
    return nameString(arg);
  }

  /** The lookup string of a name, outside any command (a snapshot being loaded). */
  lookupOf(name: Buffer): string {
    return nameString(name);
  }

  endCommand(): void {}
}

/** Also the keyspaces' NameSealer (src/store/keyspace.ts). */
export class SealedKeyNames {
  readonly sealed = true;
  /** Every lookup string is a hash this long (the keyspace's records keep the sealed name after it). */
  readonly keyBytes = NAME_HASH_BYTES;
  /**
   * The running command's key arguments and their hashes, in the order hashed. Arrays, not a
   * Map: clearing a Map after every command costs more than the lookups save, and the entry a
   * store asks for is almost always the one just hashed (searched from the end).
   */
  private readonly hashes: string[] = [];
  private readonly args: (Buffer | null)[] = [];
  private count = 0;

  constructor(
    private readonly hasher: NameHasher,
    private readonly values: SealedValues,
  ) {}

  /** Which implementation hashes names (start-up log). */
  get backend(): string {
    return this.hasher.name;
  }

  keyOf(arg: Buffer): string {
    const key = this.hasher.hash(arg);
    this.hashes[this.count] = key;
    this.args[this.count] = arg;
    this.count++;
    return key;
  }

  /** The lookup string of a name, outside any command (a snapshot being loaded): nothing is remembered. */
  lookupOf(name: Buffer): string {
    return this.hasher.hash(name);
  }

  sealedName(key: string): Buffer {
    return this.values.sealName(key, this.argOf(key));
  }

  sealedLength(key: string): number {
    return this.argOf(key).length + OVERHEAD;
  }

  sealNameAt(key: string, out: Buffer, at: number): void {
    this.values.sealNameAt(key, this.argOf(key), out, at);
  }

  private argOf(key: string): Buffer {
    const arg = this.argFor(key);
    // Every key a command stores was one of its arguments: anything else is a bug to surface.
    if (arg === null) throw new Error('no key argument of the running command hashes to this key');
    return arg;
  }

  /** The running command's key argument that hashes to key, or null (keyspace notifications). */
  argFor(key: string): Buffer | null {
    for (let i = this.count - 1; i >= 0; i--) if (this.hashes[i] === key) return this.args[i]!;
    return null;
  }

  /** Opens a sealed name into target at offset (its length: Sealer.plainLength); throws SealError. */
  openInto(key: string, sealed: Buffer, target: Uint8Array, offset: number): void {
    this.values.openNameInto(key, sealed, target, offset);
  }

  /**
   * A written key's name in a plaintext buffer of its own (the caller wipes it), for messages
   * that must carry it (keyspace notifications, tracking invalidations): the running command's
   * own argument when it named the key, else the sealed name `sealedOf` finds, opened; null if
   * there is neither or it does not open.
   */
  plainNameOf(key: string, sealedOf: () => Buffer | undefined): Buffer | null {
    const arg = this.argFor(key);
    if (arg !== null) {
      const out = plainBuffer(arg.length);
      arg.copy(out);
      return out;
    }
    const sealed = sealedOf();
    if (sealed === undefined) return null;
    const out = plainBuffer(Sealer.plainLength(sealed));
    try {
      this.openInto(key, sealed, out, 0);
    } catch {
      out.fill(0);
      return null;
    }
    return out;
  }

  /** Drops the references, so no argument buffer outlives its command here. */
  endCommand(): void {
    if (this.count > 1024) {
      // After a huge MSET: let the arrays go rather than keep them at that size.
      this.hashes.length = 0;
      this.args.length = 0;
    } else {
      for (let i = 0; i < this.count; i++) this.args[i] = null;
    }
    this.count = 0;
  }

  destroy(): void {
    this.hasher.destroy();
  }
}

export type KeyNames = PlainKeyNames | SealedKeyNames;
