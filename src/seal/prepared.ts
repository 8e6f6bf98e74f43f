// Seals and member digests made ahead of the command that uses them. A command with a great
// many elements (SADD or MSET of a million arguments) has its per-element crypto done a slice
// per event-loop turn before it runs (commands/values/bulk.ts); when it then runs, in one synchronous
// step, each seal or digest it asks for is taken from what was prepared, so other clients are
// not kept waiting for a million AEAD seals. What is prepared is found by the identity of the
// argument the command passes (or, for a hash field, the field name's digest it binds to) and
// checked against the full context (purpose, database, key, bind); anything else is made as
// usual. SealedValues also refuses a prepared seal whose data key is no longer current (SEAL
// ROTATE in between), so nothing stale is ever stored.

import type { NameHasher } from './name-hash.js';
import type { Bind, Purpose } from './values.js';

export interface PreparedSeals {
  /** The sealed bytes prepared for exactly this seal, or null (then it is made as usual). */
  find(purpose: Purpose, db: number, key: string, plain: Uint8Array, bind: Bind | undefined): Uint8Array | null;
}

/** Where a prepared digest of a member or field name is (its 16 bytes in `digests` at `at`), or -1. */
export type DigestFinder = (name: Uint8Array) => number;

/**
 * The member hasher while a prepared command runs: a name that is one of its prepared arguments
 * gets the digest made ahead, any other is hashed as usual. The key and every other use stay
 * with the real hasher.
 */
export class PreparedDigests implements NameHasher {
  constructor(
    private readonly inner: NameHasher,
    private readonly digests: Uint8Array,
    private readonly find: DigestFinder,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  hash(name: Uint8Array): string {
    return this.inner.hash(name);
  }

  digestInto(name: Uint8Array, out: Uint8Array, at: number): void {
    const from = this.find(name);
    if (from < 0) return this.inner.digestInto(name, out, at);
    for (let i = 0; i < 16; i++) out[at + i] = this.digests[from + i]!;
  }

  /** A range of a read is never a prepared argument (those are found by identity): hashed as usual. */
  digestRangeInto(src: Uint8Array, start: number, length: number, out: Uint8Array, at: number): void {
    this.inner.digestRangeInto(src, start, length, out, at);
  }

  destroy(): void {
    this.inner.destroy();
  }
}
