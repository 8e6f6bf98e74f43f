// What a key holds, as commands see it. A string is either a view of its record in the arena
// (StoredString, the usual case, its sealed name in the record with --seal-keys) or a boxed JS
// object (BoxedString: spilled or large); a hash is always a JS object. Both string forms answer the same interface.

import { HashFields } from './types/hash-fields.js';
import { StreamLog } from './types/stream.js';
import { StreamGroups } from './types/stream-groups.js';
import { SealedSet } from './types/set.js';
import { SealedList } from './types/list.js';
import type { SortedSet } from './types/zset.js';

export const enum Kind {
  String = 0,
  Hash = 1,
  List = 2,
  Set = 3,
  ZSet = 4,
  Stream = 5,
}

/** Where a spilled value's sealed bytes sit on tmpfs (src/spill/segments.ts). */
export interface SpillRef {
  segment: number;
  /** Offset of the record (header included) in the segment file. */
  offset: number;
  /** Sealed value length (the record adds its header). */
  length: number;
  /**
   * The record's digest (Sealer.digest: the AEAD tag of a value), as four 32-bit words: a
   * record read back is accepted only if it is the very one written for this value, so an
   * older sealed copy of the same key put in its place (a rollback) is refused.
   */
  d0: number;
  d1: number;
  d2: number;
  d3: number;
}

export interface StringEntry {
  readonly kind: Kind.String;
  /**
   * Sealed value bytes; a zero-length buffer while the value is spilled. The dispatcher reads
   * spilled values back before any command on the key runs, so handlers never see that state.
   */
  value: Buffer;
  /** Length of `value`, without making a Buffer for it. */
  readonly size: number;
  /** Absolute expiry in unix ms; 0 means none. */
  expiresAt: number;
  /** Last access in unix ms (OBJECT IDLETIME, LRU sampling). */
  touchedAt: number;
  /** Set while the sealed value lives in a spill segment instead of `value`. */
  spilled: SpillRef | undefined;
  /** Bytes memory accounting counted for this entry (src/store/memory.ts). */
  accounted: number;
  /** With --seal-keys, the key's name sealed (filled in by Keyspace.set; a view reads a copy of its record's); absent otherwise. */
  sealedName: Buffer | undefined;
  /** Whether `sealed` is still this entry's value (the same bytes in memory, not equal bytes). */
  holds(sealed: Buffer): boolean;
}

/**
 * A string entry as its own object. The sealed bytes are kept as (ArrayBuffer, offset, length)
 * rather than a Buffer view, which would be a ~100-byte object of its own per key.
 */
export class BoxedString implements StringEntry {
  readonly kind = Kind.String;
  private slab: ArrayBuffer;
  private at: number;
  private length: number;
  expiresAt: number;
  touchedAt: number;
  spilled: SpillRef | undefined = undefined;
  accounted = 0;
  sealedName: Buffer | undefined = undefined;

  constructor(value: Buffer, expiresAt: number, touchedAt: number) {
    this.slab = value.buffer as ArrayBuffer;
    this.at = value.byteOffset;
    this.length = value.length;
    this.expiresAt = expiresAt;
    this.touchedAt = touchedAt;
  }

  get value(): Buffer {
    return Buffer.from(this.slab, this.at, this.length);
  }

  set value(sealed: Buffer) {
    this.slab = sealed.buffer as ArrayBuffer;
    this.at = sealed.byteOffset;
    this.length = sealed.length;
  }

  get size(): number {
    return this.length;
  }

  holds(sealed: Buffer): boolean {
    return this.slab === sealed.buffer && this.at === sealed.byteOffset && this.length === sealed.length;
  }
}

export interface HashEntry {
  readonly kind: Kind.Hash;
  /** The fields, sealed (types/hash-fields.ts): no plaintext name or value is kept. */
  fields: HashFields;
  expiresAt: number;
  touchedAt: number;
  accounted?: number;
  sealedName?: Buffer | undefined;
}

export interface StreamEntry {
  kind: Kind.Stream;
  /** The entries, each one sealed blob of its fields and values bound to its id. */
  log: StreamLog;
  groups: StreamGroups;
  expiresAt: number;
  touchedAt: number;
  accounted?: number;
  sealedName?: Buffer | undefined;
}

/**
 * A set: the entry is its SealedSet (members sealed, indexed by keyed digest), so a small set
 * costs one object, not an entry plus a set. `intset` tracks the encoding Redis 7.0 would have
 * chosen (every member a canonical 64-bit integer, at most set-max-intset-entries of them): it
 * is cleared once that stops being true and never set again, as Redis never converts back.
 */
export class SetEntry extends SealedSet {
  readonly kind = Kind.Set;
  expiresAt = 0;
  touchedAt: number;
  accounted = 0;
  sealedName: Buffer | undefined = undefined;
  intset = true;

  constructor(touchedAt: number) {
    super();
    this.touchedAt = touchedAt;
  }

  /** The members, for code that reads better naming them (the entry is the set). */
  get members(): SealedSet {
    return this;
  }
}


/** A sorted set: members sealed (Purpose.ZSetMember, bound to database and key), scores in clear. */
export interface ZSetEntry {
  kind: Kind.ZSet;
  /** Sealed members as latin1 strings of their sealed bytes (zset-ops.ts). */
  zset: SortedSet<string>;
  /** Sum of the sealed members' lengths (memory accounting without a walk). */
  sealedBytes: number;
  /**
   * Whether Redis would hold this set as a skiplist: once past 128 members or given a member of
   * over 64 bytes it stays one, as in Redis (OBJECT ENCODING, ZSCAN returning all at once or not).
   */
  skiplist: boolean;
  expiresAt: number;
  touchedAt: number;
  accounted: number;
  sealedName: Buffer | undefined;
}

export type Entry = StringEntry | HashEntry | ListEntry | SetEntry | ZSetEntry | StreamEntry;

/** A new string entry, to hand to Keyspace.set (which usually copies it into the arena). */
export function stringEntry(value: Buffer, expiresAt: number, touchedAt: number): StringEntry {
  return new BoxedString(value, expiresAt, touchedAt);
}

/**
 * A hash entry is its own field store: one object per hash instead of two (a few million small
 * hashes make that 50-odd bytes each count). `kind` and `fields` live on the prototype.
 */
class StoredHash extends HashFields implements HashEntry {
  expiresAt = 0;
  accounted = 0;
  sealedName: Buffer | undefined = undefined;

  constructor(public touchedAt: number) {
    super();
  }

  get kind(): Kind.Hash {
    return Kind.Hash;
  }

  get fields(): HashFields {
    return this;
  }
}

/**
 * New entries with every field present from the start: adding `accounted` later would move
 * each entry to another hidden class on its first write (slower, and more memory).
 */
export function hashEntry(touchedAt: number): HashEntry {
  return new StoredHash(touchedAt);
}

/** A new, empty stream (XADD, XGROUP CREATE ... MKSTREAM). */
export function streamEntry(touchedAt: number): StreamEntry {
  return { kind: Kind.Stream, log: new StreamLog(), groups: new StreamGroups(), expiresAt: 0, touchedAt, accounted: 0, sealedName: undefined };
}

/**
 * A list is its SealedList itself plus the entry fields: one object per key instead of two
 * (small lists are common, and each object costs its header and fields).
 */
export class ListEntry extends SealedList {
  readonly kind = Kind.List;
  expiresAt = 0;
  touchedAt: number;
  accounted = 0;
  sealedName: Buffer | undefined = undefined;

  constructor(touchedAt: number) {
    super();
    this.touchedAt = touchedAt;
  }
}

export function listEntry(touchedAt: number): ListEntry {
  return new ListEntry(touchedAt);
}
