// How key arguments become the strings entries are filed under (setting seal-keys, fixed at
// start). Plain: the name itself as latin1. Sealed: a keyed hash of the argument's bytes
// (name-hash.ts), while the name is kept only as a sealed copy on its entry, so no key name
// ever becomes a JS string (V8 strings cannot be wiped and dead ones linger in the heap).
//
// A new entry learns its sealed name from the command that creates it: keyOf() remembers each
// key argument of the running command under its hash, Keyspace.set() asks sealedName() for the
// hash it files the entry under, and the dispatcher calls endCommand() once the command ran,
// so no argument buffer is held past its command.

import type { NameHasher } from './name-hash.js';
import type { SealedValues } from './values.js';

export class PlainKeyNames {
  readonly sealed = false;

  keyOf(arg: Buffer): string {
    return arg.toString('latin1');
  }

  endCommand(): void {}
}

/** Also the keyspaces' NameSealer (src/store/keyspace.ts). */
export class SealedKeyNames {
  readonly sealed = true;
  /** The running command's key arguments by hash (see the header comment). */
  private readonly args = new Map<string, Buffer>();

  constructor(
    private readonly hasher: NameHasher,
    private readonly values: SealedValues,
  ) {}

  /** Which implementation hashes names (INFO, start-up log). */
  get backend(): string {
    return this.hasher.name;
  }

  keyOf(arg: Buffer): string {
    const key = this.hasher.hash(arg);
    this.args.set(key, arg);
    return key;
  }

  sealedName(key: string): Buffer {
    const arg = this.args.get(key);
    // Every key a command stores was one of its arguments: anything else is a bug to surface.
    if (arg === undefined) throw new Error('no key argument of the running command hashes to this key');
    return this.values.sealName(key, arg);
  }

  /** Opens a sealed name into target at offset (its length: Sealer.plainLength); throws SealError. */
  openInto(key: string, sealed: Buffer, target: Uint8Array, offset: number): void {
    this.values.openNameInto(key, sealed, target, offset);
  }

  endCommand(): void {
    if (this.args.size > 0) this.args.clear();
  }

  destroy(): void {
    this.hasher.destroy();
  }
}

export type KeyNames = PlainKeyNames | SealedKeyNames;
