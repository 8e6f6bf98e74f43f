// The keyspace's index: an open-addressing hash table (linear probing, tombstones) from key
// names to records in the RecordArena. The table is two typed arrays and the records are arena
// blocks, so a stored key costs no JS object, string or Map slot.
//
// Record layout (byte offsets from the block start):
//   0   f64  expiry, unix ms (0 = none)            } used by strings stored inline;
//   8   f64  last access, unix ms                  } a boxed entry keeps its own
//   16  u32  key length
//   20  u32  sealed value length, or BOXED: the entry is a JS object (a hash, or a string
//            that is spilled, large or carries a sealed name) at objects[word 24]
//   24  u32  bytes memory accounting counted (inline) / object index (boxed)
//   28  u32  the key's hash, so a record that moves can find its slot again
//   32  key bytes, then the sealed value
// Keys are latin1 strings (one char per byte), the keyspace's lookup form of a key name.

import { randomInt } from 'node:crypto';
import { RecordArena } from './record-arena.js';
import type { BucketTable } from './scan.js';

export const RECORD_HEADER = 32;
export const BOXED = 0xffffffff;
/** Field positions: doubles (index from the record's double index) and words (from its word index). */
export const D_EXPIRES = 0;
export const D_TOUCHED = 1;
export const W_KEY_LENGTH = 4;
export const W_VALUE_LENGTH = 5;
export const W_AUX = 6;
export const W_HASH = 7;

const MIN_CAPACITY = 16;
const EMPTY = 0;
const DELETED = 1;
const OFFSET_MASK = (1 << 17) - 1;

/** Buffer's latin1 helpers exist at run time but are missing from @types/node. */
type Latin1Buffer = Buffer & {
  latin1Write(text: string, offset: number, length: number): number;
  latin1Slice(start: number, end: number): string;
};

/** Per-process seed: key names chosen to collide in one process do not collide in another. */
const SEED = randomInt(2 ** 32 - 1);

/** FNV-1a over the key's bytes, seeded, then murmur3's finalizer to spread the low bits. */
export function hashKey(key: string): number {
  let h = SEED ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class KeyTable implements BucketTable<number> {
  /** Per slot two words, record handle then key hash: one cache line answers a probe. */
  private slots: Uint32Array;
  private mask: number;
  /** Live keys. */
  size = 0;
  /** Live keys plus deleted markers: what the load factor counts. */
  private occupied = 0;
  /** Rebuilds so far (slots moved): what tests watch to know a rehash happened. */
  epoch = 0;

  constructor(
    readonly arena: RecordArena,
    capacity = MIN_CAPACITY,
  ) {
    this.slots = new Uint32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** SCAN positions are home buckets, one per slot (src/store/scan.ts). */
  get scanMask(): number {
    return this.mask;
  }

  /**
   * Calls visit with the record handle of every key homed at `bucket` (hash & mask): all sit in
   * the probe run from that slot to the first empty one. visit must not change the table.
   */
  visitBucket(bucket: number, visit: (handle: number) => void): number {
    const slots = this.slots;
    const mask = this.mask;
    let n = 0;
    for (let i = bucket; ; i = (i + 1) & mask) {
      const handle = slots[i * 2]!;
      if (handle === EMPTY) return n;
      if (handle !== DELETED && (slots[i * 2 + 1]! & mask) === bucket) {
        visit(handle);
        n++;
      }
    }
  }

  /** The slot holding key, or -1. */
  find(key: string, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const handle = slots[i * 2]!;
      if (handle === EMPTY) return -1;
      if (handle !== DELETED && slots[i * 2 + 1] === hash && this.holdsKey(handle, key)) return i;
    }
  }

  /** The record handle in slot, or 0 for a free slot (empty or deleted). */
  handleAt(slot: number): number {
    const handle = this.slots[slot * 2]!;
    return handle === DELETED ? EMPTY : handle;
  }

  /** Points an occupied slot at another record of the same key. */
  setHandle(slot: number, handle: number): void {
    this.slots[slot * 2] = handle;
  }

  /** The slot of the record `handle`, whose key hashes to `hash`; -1 if no slot holds it. */
  slotOf(handle: number, hash: number): number {
    const slots = this.slots;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const h = slots[i * 2]!;
      if (h === handle) return i;
      if (h === EMPTY) return -1;
    }
  }

  /** Adds a key known to be absent. May rehash (slot numbers change). */
  insert(hash: number, handle: number): void {
    const capacity = this.mask + 1;
    if ((this.occupied + 1) * 4 > capacity * 3) {
      // Mostly live keys: grow. Mostly deleted markers: rebuild at the same size without them.
      this.rehash((this.size + 1) * 8 >= capacity * 3 ? capacity * 2 : capacity);
    }
    const slots = this.slots;
    let i = hash & this.mask;
    while (slots[i * 2] !== EMPTY && slots[i * 2] !== DELETED) i = (i + 1) & this.mask;
    if (slots[i * 2] === EMPTY) this.occupied++;
    slots[i * 2] = handle;
    slots[i * 2 + 1] = hash;
    this.size++;
  }

  /** Frees a slot. May rehash (the table shrinks once it is 1/8 full): slot numbers change. */
  removeAt(slot: number): void {
    this.slots[slot * 2] = DELETED;
    this.size--;
    const capacity = this.mask + 1;
    if (capacity > MIN_CAPACITY && this.size * 8 < capacity) {
      let fit = MIN_CAPACITY;
      while (fit < this.size * 2) fit *= 2;
      this.rehash(fit);
    }
  }

  /** Writes a new record's header and key; the caller fills in the rest. Throws ArenaFullError. */
  newRecord(key: string, hash: number, valueLength: number, bodyBytes: number): number {
    const handle = this.arena.alloc(RECORD_HEADER + key.length + bodyBytes);
    const slab = handle >>> 17;
    const word = (handle & OFFSET_MASK) * 2;
    const words = this.arena.words[slab]!;
    words[word + W_KEY_LENGTH] = key.length;
    words[word + W_VALUE_LENGTH] = valueLength;
    words[word + W_HASH] = hash;
    const at = word * 4 + RECORD_HEADER;
    const bytes = this.arena.bytes[slab]!;
    if (key.length <= 16) for (let i = 0; i < key.length; i++) bytes[at + i] = key.charCodeAt(i);
    else (bytes as Latin1Buffer).latin1Write(key, at, key.length);
    return handle;
  }

  /**
   * Moves a record to a new block sized for a value of `valueLength` bytes (header and key
   * copied, value left zero), repoints its slot and frees the old block. Returns the new handle.
   */
  relocate(handle: number, valueLength: number): number {
    const arena = this.arena;
    const from = (handle & OFFSET_MASK) * 8;
    const words = arena.words[handle >>> 17]!;
    const keyLength = words[from / 4 + W_KEY_LENGTH]!;
    const hash = words[from / 4 + W_HASH]!;
    const slot = this.slotOf(handle, hash);
    if (slot < 0) throw new Error('relocate: record is no longer in the table');
    const moved = arena.alloc(RECORD_HEADER + keyLength + valueLength);
    const to = (moved & OFFSET_MASK) * 8;
    arena.bytes[moved >>> 17]!.set(arena.bytes[handle >>> 17]!.subarray(from, from + RECORD_HEADER + keyLength), to);
    arena.words[moved >>> 17]![to / 4 + W_VALUE_LENGTH] = valueLength;
    this.slots[slot * 2] = moved;
    arena.free(handle, this.recordBytes(handle));
    return moved;
  }

  /** The key hash a live record carries. */
  hashOf(handle: number): number {
    return this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_HASH]!;
  }

  /** The record's size in the arena (what to free). */
  recordBytes(handle: number): number {
    const words = this.arena.words[handle >>> 17]!;
    const word = (handle & OFFSET_MASK) * 2;
    const value = words[word + W_VALUE_LENGTH]!;
    // A packed collection (packed-record.ts) tags its blob's length with bit 30.
    return RECORD_HEADER + words[word + W_KEY_LENGTH]! + (value === BOXED ? 0 : value & 0x40000000 ? value & 0xffff : value);
  }

  /** The record's key name as a (latin1) string. */
  keyOf(handle: number): string {
    const slab = handle >>> 17;
    const at = (handle & OFFSET_MASK) * 8;
    const length = this.arena.words[slab]![at / 4 + W_KEY_LENGTH]!;
    return (this.arena.bytes[slab] as Latin1Buffer).latin1Slice(at + RECORD_HEADER, at + RECORD_HEADER + length);
  }

  private holdsKey(handle: number, key: string): boolean {
    const slab = handle >>> 17;
    const at = (handle & OFFSET_MASK) * 8;
    if (this.arena.words[slab]![at / 4 + W_KEY_LENGTH] !== key.length) return false;
    const bytes = this.arena.bytes[slab]!;
    const start = at + RECORD_HEADER;
    for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    const slots = new Uint32Array(capacity * 2);
    this.slots = slots;
    this.mask = capacity - 1;
    this.occupied = this.size;
    this.epoch++;
    for (let s = 0; s < old.length; s += 2) {
      const handle = old[s]!;
      if (handle === EMPTY || handle === DELETED) continue;
      const hash = old[s + 1]!;
      let i = hash & this.mask;
      while (slots[i * 2] !== EMPTY) i = (i + 1) & this.mask;
      slots[i * 2] = handle;
      slots[i * 2 + 1] = hash;
    }
  }
}
