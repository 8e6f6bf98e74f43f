// What the server does with a value of any type, without asking which type it is: one record
// of operations per Kind (garnet IGarnetObject, dragonfly CompactObj's per-type branches kept in
// one place). The record (index.ts) is checked against every Kind, so a new kind does not compile
// until each of these knows it. Ops see sealed bytes only; opening and sealing come in as
// callbacks from the layers that own them (commands/, seal/).

import type { Entry } from '../entry.js';
import type { Purpose } from '../../seal/values.js';

/**
 * Re-seals one sealed element for a new home or a newer key. `purpose` is what the element is
 * (Purpose in seal/values.ts: a string value, a hash field, a list element...), `bind` the name
 * it is bound to beside its key (a hash field's name, a stream entry's id), undefined for none.
 */
export type ResealElement = (sealed: Buffer, purpose: Purpose, bind: string | undefined) => Buffer;

/** Like ResealElement, but null leaves the element as it was (it failed to open). */
export type RenewElement = (sealed: Buffer, purpose: Purpose, bind: string | undefined) => Buffer | null;

/** What OBJECT ENCODING may learn of a sealed element. */
export interface SealedInspector {
  /** The plaintext's length, from the sealed header. */
  plainLength(sealed: Buffer): number;
  /** Whether the (short) value is a canonical 64-bit integer; null when it failed to open (reported). */
  isInteger(sealed: Buffer): boolean | null;
}

export interface TypeOps<E extends Entry> {
  /** As TYPE answers it and SCAN TYPE matches it. */
  readonly name: string;
  /** Bookkeeping bytes per entry beside its key and value bytes (maxmemory, MEMORY USAGE). */
  readonly overhead: number;
  /**
   * Bytes the value holds in memory: sealed elements, their names and per-element overhead.
   * With fewer `samples` than elements, the average of the first `samples` scaled to the whole
   * (MEMORY USAGE ... SAMPLES); Infinity counts every element.
   */
  valueBytes(entry: E, samples: number): number;
  /** OBJECT ENCODING as Redis 7.0 would answer for this value; null when it had to be opened and failed. */
  encoding(entry: E, inspect: SealedInspector): string | null;
  /** Sealed elements held in memory (key rotation's work per entry). */
  elements(entry: E): number;
  /** Each sealed element, with what it is and the name it is bound to. */
  forEachSealed(entry: E, visit: (sealed: Buffer, purpose: Purpose, bind: string | undefined) => void): void;
  /**
   * A copy for a new home (RENAME, COPY, MOVE): every element re-sealed, TTL kept, accessed at
   * `touchedAt`, and no sealed name (the new key's comes when it is stored). May throw what
   * `reseal` throws; the entry is then untouched.
   */
  reseal(entry: E, reseal: ResealElement, touchedAt: number): E;
}

/** A type made of many elements: it can be created empty, and disappears when emptied. */
export interface CollectionOps<E extends Entry> extends TypeOps<E> {
  /** A new empty value (not yet stored). */
  create(now: number): E;
  /** A collection never stays empty: Keyspace.mutate deletes it. */
  isEmpty(entry: E): boolean;
  /** Re-seals in place every element renew() gives a new sealing (key rotation; not a write). Returns how many. */
  renewEach(entry: E, renew: RenewElement): number;
  /**
   * Gives back what the value holds outside the V8 heap (arena blocks) once its entry has left
   * the keyspace for good (Keyspace.dispose); absent when the garbage collector is enough.
   */
  free?(entry: E): void;
}
