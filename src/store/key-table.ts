// The keyspace's index: an open-addressing hash table (linear probing, tombstones) from key
// names to records in the RecordArena. The table is two typed arrays and the records are arena
// blocks, so a stored key costs no JS object, string or Map slot.
//
// Record layout (byte offsets from the block start):
//   0   f64  expiry, unix ms (0 = none)            } used by strings stored inline;
//   8   f64  last access, unix ms                  } a boxed entry keeps its own
//   16  u32  length of the key area: the key, and with --seal-keys the name's sealed copy
//   20  u32  sealed value length, or BOXED: the entry is a JS object (a collection, or a
//            string that is spilled or large) at objects[word 24]
//   24  u32  bytes memory accounting counted (inline) / object index (boxed)
//   28  u32  the key's hash, so a record that moves can find its slot again
//   32  the key area, then the sealed value
// Keys are latin1 strings (one char per byte), the keyspace's lookup form of a key name. With
// --seal-keys every key is a 16-byte hash (`keyBytes`) and the rest of the key area is the
// name sealed (empty for a boxed entry, whose object keeps it): the name moves with the record
// (relocate copies the key area) and is freed with it, at no JS object per key.
//
// Rehashing is incremental, as Redis's dict.c (_dictRehashStep per operation, incrementallyRehash
// from the cron): when the load factor says so (over 3/4 with live keys and deleted markers:
// grow 2x, or rebuild at the same size when most are markers; under 1/8 live: shrink) a new
// table is allocated and the old one drains into it MOVE_BUDGET slots per insert or remove, plus
// the cron's share (rehashUntil, 1 ms per tick). A rehash of millions of keys moved in one pass
// froze every client for ~25 ns a key (~100 ms at 4 M keys); now no operation moves more than
// MOVE_BUDGET slots, except in the rare case below. While it runs:
// - each key is in exactly one table; lookups try the new table, then the old;
// - slot numbers 0 .. capacity-1 address the new table and capacity .. slotCount-1 the old one,
//   so loops over every slot go to slotCount (randomKey/sample take slot % slotCount);
// - a moved old slot becomes a deleted marker, never empty, so the old table's probe runs stay
//   whole; inserts go to the new table only;
// - SCAN's bucket is a bucket of the new mask: visitBucket adds the old table's keys homed there;
// - a new rehash never starts: one due meanwhile (the new table, counting the keys still to
//   move, would pass 3/4) first finishes the running one in one pass, which the 2x headroom
//   makes rare; a shrink due meanwhile starts on the remove that ends it (or a later one);
// - pauseRehash (walks over slot numbers that may delete, as KEYS does) holds every slot where
//   it is until resumeRehash.
// Slot numbers may change on any insert or remove (as before), never on a lookup.

import { randomInt } from 'node:crypto';
import { RecordArena } from './record-arena.js';
import type { BucketTable } from './scan.js';

export const RECORD_HEADER = 32;
export const BOXED = 0xffffffff;
/** Field positions: doubles (index from the record's double index) and words (from its word index). */
export const D_EXPIRES = 0;
export const D_TOUCHED = 1;
/** The key area's length (key, then any sealed name): the value starts this far past the header. */
export const W_KEY_LENGTH = 4;
export const W_VALUE_LENGTH = 5;
export const W_AUX = 6;
export const W_HASH = 7;

const MIN_CAPACITY = 16;
const EMPTY = 0;
const DELETED = 1;
const OFFSET_MASK = (1 << 17) - 1;
/** Old slots moved per insert or remove while a rehash runs (redis moves one bucket per step). */
const MOVE_BUDGET = 64;
/** Old slots moved between clock reads in the cron's share (~0.03 ms: a slice ends near its deadline). */
const CRON_BATCH = 1024;

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
  return spread(h);
}

/** hashKey() of the key whose latin1 string is bytes[start, start + length), with no string made. */
export function hashKeyBytes(bytes: Uint8Array, start: number, length: number): number {
  let h = SEED ^ length;
  for (let i = start, end = start + length; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return spread(h);
}

/** murmur3's 32-bit finalizer: every input bit reaches the low bits the table masks with. */
function spread(h: number): number {
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
  /**
   * While a rehash runs: the table being emptied into `slots` (moved slots become tombstones so
   * its probe runs stay whole), its mask, and the next of its slots to move. null otherwise.
   */
  private old: Uint32Array | null = null;
  private oldMask = 0;
  private moveAt = 0;
  /** Live keys still in `old`. */
  private oldLive = 0;
  /** Walks in progress (pauseRehash): no slot moves between tables while one is open. */
  private paused = 0;
  /** Live keys, in both tables. */
  size = 0;
  /** Live keys plus deleted markers in `slots`: what the load factor counts. */
  private occupied = 0;
  /** Rehashes started so far (new table allocated): what tests watch to know one happened. */
  epoch = 0;

  /**
   * @param moveBudget old slots moved per insert or remove while a rehash runs (tests pass a
   * tiny one so most operations happen mid-rehash).
   * @param keyBytes every key's length when keys are fixed-length hashes (--seal-keys), the key
   * area then holding a sealed name after the key; 0: the key area is the key.
   */
  constructor(
    readonly arena: RecordArena,
    capacity = MIN_CAPACITY,
    private readonly moveBudget = MOVE_BUDGET,
    readonly keyBytes = 0,
  ) {
    this.slots = new Uint32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  /** Slots of the current (new, while rehashing) table: a power of two. */
  get capacity(): number {
    return this.mask + 1;
  }

  /**
   * Slot numbers in use: 0 .. capacity-1 address the current table, capacity .. slotCount-1 the
   * old one while a rehash runs. What walks over every slot loop to (not a power of two then).
   */
  get slotCount(): number {
    return this.old === null ? this.mask + 1 : this.mask + 1 + this.oldMask + 1;
  }

  get rehashing(): boolean {
    return this.old !== null;
  }

  /** SCAN positions are home buckets, one per slot of the current table (src/store/scan.ts). */
  get scanMask(): number {
    return this.mask;
  }

  /**
   * Calls visit with the record handle of every key homed at `bucket` (hash & mask): all sit in
   * the probe run from that slot to the first empty one, and while a rehash runs also in the old
   * table's runs from the buckets that fold onto this one. Each key is in one table only, so
   * none comes twice. visit must not change the table.
   */
  visitBucket(bucket: number, visit: (handle: number) => void): number {
    let n = visitRun(this.slots, this.mask, bucket, this.mask, bucket, visit);
    const old = this.old;
    if (old !== null) {
      const oldMask = this.oldMask;
      const mask = this.mask;
      if (oldMask <= mask) {
        // Grown (or rebuilt): the old bucket bucket & oldMask holds this bucket's keys and others.
        n += visitRun(old, oldMask, bucket & oldMask, mask, bucket, visit);
      } else {
        // Shrunk: old buckets bucket, bucket + capacity, ... all fold onto this one.
        for (let b = bucket; b <= oldMask; b += mask + 1) n += visitRun(old, oldMask, b, oldMask, b, visit);
      }
    }
    return n;
  }

  /** The slot holding key, or -1. */
  find(key: string, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const handle = slots[i * 2]!;
      if (handle === EMPTY) break;
      if (handle !== DELETED && slots[i * 2 + 1] === hash && this.holdsKey(handle, key)) return i;
    }
    return this.old === null ? -1 : this.findOld(key, hash);
  }

  /**
   * Reads the home slot of each of the first `count` hashes, then the record each names (the
   * first block of slab 0 for an empty or deleted slot, never given out: no branch is needed),
   * to bring them into cache for Keyspace.prefetch. Overwrites the hashes; returns a value only
   * so that the loads are not compiled away. Loops of nothing but independent loads, so that the
   * processor has all of the keys' misses in flight at once.
   */
  touchHomes(hashes: Uint32Array, count: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const words = this.arena.words;
    for (let i = 0; i < count; i++) hashes[i] = slots[(hashes[i]! & mask) * 2]!;
    let read = 0;
    for (let i = 0; i < count; i++) {
      const handle = hashes[i]!;
      read ^= words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_KEY_LENGTH]!;
    }
    return read;
  }

  private findOld(key: string, hash: number): number {
    const old = this.old!;
    const mask = this.oldMask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const handle = old[i * 2]!;
      if (handle === EMPTY) return -1;
      if (handle !== DELETED && old[i * 2 + 1] === hash && this.holdsKey(handle, key)) return this.mask + 1 + i;
    }
  }

  /** The record handle in slot, or 0 for a free slot (empty or deleted). */
  handleAt(slot: number): number {
    const capacity = this.mask + 1;
    const handle = slot < capacity ? this.slots[slot * 2]! : this.old![(slot - capacity) * 2]!;
    return handle === DELETED ? EMPTY : handle;
  }

  /** Points an occupied slot at another record of the same key. */
  setHandle(slot: number, handle: number): void {
    const capacity = this.mask + 1;
    if (slot < capacity) this.slots[slot * 2] = handle;
    else this.old![(slot - capacity) * 2] = handle;
  }

  /** The slot of the record `handle`, whose key hashes to `hash`; -1 if no slot holds it. */
  slotOf(handle: number, hash: number): number {
    const slots = this.slots;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const h = slots[i * 2]!;
      if (h === handle) return i;
      if (h === EMPTY) break;
    }
    const old = this.old;
    if (old === null) return -1;
    for (let i = hash & this.oldMask; ; i = (i + 1) & this.oldMask) {
      const h = old[i * 2]!;
      if (h === handle) return this.mask + 1 + i;
      if (h === EMPTY) return -1;
    }
  }

  /** Adds a key known to be absent. May move slots (slot numbers change). */
  insert(hash: number, handle: number): void {
    if (this.old !== null && this.paused === 0) this.moveSlots(this.moveBudget);
    const capacity = this.mask + 1;
    // Counting the keys still to move in keeps the current table under 3/4 however far a
    // rehash has got.
    if ((this.occupied + this.oldLive + 1) * 4 > capacity * 3) {
      // A rehash still running when the next is due (rare: the new table is twice the old, and
      // a few slots move per operation) ends first, all at once.
      if (this.old !== null) this.moveSlots(Infinity);
      // Mostly live keys: grow. Mostly deleted markers: rebuild at the same size without them.
      if ((this.occupied + 1) * 4 > capacity * 3) this.startRehash((this.size + 1) * 8 >= capacity * 3 ? capacity * 2 : capacity);
    }
    this.place(hash, handle);
    this.size++;
  }

  /** Frees a slot. May move slots or start a shrink (once 1/8 full): slot numbers change. */
  removeAt(slot: number): void {
    const capacity = this.mask + 1;
    if (slot < capacity) this.slots[slot * 2] = DELETED;
    else {
      this.old![(slot - capacity) * 2] = DELETED;
      this.oldLive--;
    }
    this.size--;
    if (this.paused !== 0) return;
    if (this.old !== null) this.moveSlots(this.moveBudget);
    // A shrink that came due while a rehash ran starts on the remove that ends it (or a later one).
    if (this.old === null && capacity > MIN_CAPACITY && this.size * 8 < capacity) {
      let fit = MIN_CAPACITY;
      while (fit < this.size * 2) fit *= 2;
      this.startRehash(fit);
    }
  }

  /**
   * The cron's share of a running rehash (redis incrementallyRehash): moves slots until
   * `deadline` (performance.now()). Returns whether a rehash is still running.
   */
  rehashUntil(deadline: number): boolean {
    while (this.old !== null && this.paused === 0) {
      this.moveSlots(CRON_BATCH);
      if (performance.now() >= deadline) break;
    }
    return this.old !== null;
  }

  /** Ends a running rehash now (tests; a walk that needs settled slot numbers). */
  finishRehash(): void {
    if (this.old !== null) this.moveSlots(Infinity);
  }

  /**
   * Holds slots where they are (redis's pauserehash, for its safe iterators): while paused no
   * slot moves between tables and no shrink starts, so a loop over slot numbers that deletes
   * keys as it goes (KEYS expiring what it meets) sees each key once. Pair with resumeRehash.
   */
  pauseRehash(): void {
    this.paused++;
  }

  resumeRehash(): void {
    this.paused--;
  }

  private startRehash(capacity: number): void {
    this.old = this.slots;
    this.oldMask = this.mask;
    this.moveAt = 0;
    this.oldLive = this.size;
    this.slots = new Uint32Array(capacity * 2);
    this.mask = capacity - 1;
    this.occupied = 0;
    this.epoch++;
    this.moveSlots(this.moveBudget);
  }

  /** Puts a key in the current table's first free slot of its run. */
  private place(hash: number, handle: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (slots[i * 2] !== EMPTY && slots[i * 2] !== DELETED) i = (i + 1) & mask;
    if (slots[i * 2] === EMPTY) this.occupied++;
    slots[i * 2] = handle;
    slots[i * 2 + 1] = hash;
  }

  /** Moves up to n of the old table's slots (empty ones count too) to the current table. */
  private moveSlots(n: number): void {
    const old = this.old!;
    const end = Math.min(this.oldMask + 1, this.moveAt + n);
    let s = this.moveAt;
    for (; s < end; s++) {
      const handle = old[s * 2]!;
      if (handle === EMPTY || handle === DELETED) continue;
      this.place(old[s * 2 + 1]!, handle);
      // A tombstone, not empty: keys further along this run stay findable in the old table.
      old[s * 2] = DELETED;
      this.oldLive--;
    }
    this.moveAt = s;
    if (s > this.oldMask) this.old = null;
  }

  /**
   * Writes a new record's header and key, with room for a sealed name of `nameBytes` after it
   * (written by the caller at nameAt()); the caller fills in the rest. Throws ArenaFullError.
   */
  newRecord(key: string, hash: number, valueLength: number, bodyBytes: number, nameBytes = 0): number {
    const handle = this.arena.alloc(RECORD_HEADER + key.length + nameBytes + bodyBytes);
    const slab = handle >>> 17;
    const word = (handle & OFFSET_MASK) * 2;
    const words = this.arena.words[slab]!;
    words[word + W_KEY_LENGTH] = key.length + nameBytes;
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
   * `bodyBytes` is the value's size when the length word carries more (a packed record's tag).
   */
  relocate(handle: number, valueLength: number, bodyBytes = valueLength): number {
    const arena = this.arena;
    const from = (handle & OFFSET_MASK) * 8;
    const words = arena.words[handle >>> 17]!;
    const keyLength = words[from / 4 + W_KEY_LENGTH]!;
    const hash = words[from / 4 + W_HASH]!;
    const slot = this.slotOf(handle, hash);
    if (slot < 0) throw new Error('relocate: record is no longer in the table');
    const moved = arena.alloc(RECORD_HEADER + keyLength + bodyBytes);
    const to = (moved & OFFSET_MASK) * 8;
    arena.bytes[moved >>> 17]!.set(arena.bytes[handle >>> 17]!.subarray(from, from + RECORD_HEADER + keyLength), to);
    arena.words[moved >>> 17]![to / 4 + W_VALUE_LENGTH] = valueLength;
    this.setHandle(slot, moved);
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
    // A packed collection (packed-record.ts) tags its blob's length with bit 30, its slack in bits 16-29.
    return RECORD_HEADER + words[word + W_KEY_LENGTH]! + (value === BOXED ? 0 : value & 0x40000000 ? (value & 0xffff) + ((value >>> 16) & 0x3fff) : value);
  }

  /** The record's key name as a (latin1) string. */
  keyOf(handle: number): string {
    const slab = handle >>> 17;
    const at = (handle & OFFSET_MASK) * 8;
    const length = this.keyBytes || this.arena.words[slab]![at / 4 + W_KEY_LENGTH]!;
    return (this.arena.bytes[slab] as Latin1Buffer).latin1Slice(at + RECORD_HEADER, at + RECORD_HEADER + length);
  }

  /** Bytes of the sealed name in the record's key area (0: none, or keys are names). */
  nameLength(handle: number): number {
    if (this.keyBytes === 0) return 0;
    return this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_KEY_LENGTH]! - this.keyBytes;
  }

  /** Byte offset in its slab of the record's sealed name (see nameLength). */
  nameAt(handle: number): number {
    return (handle & OFFSET_MASK) * 8 + RECORD_HEADER + this.keyBytes;
  }

  /** A copy of the record's sealed name, or undefined (a view would outlive the record's block). */
  nameOf(handle: number): Buffer | undefined {
    const length = this.nameLength(handle);
    if (length === 0) return undefined;
    const at = this.nameAt(handle);
    return Buffer.from(this.arena.bytes[handle >>> 17]!.subarray(at, at + length));
  }

  /** Writes a sealed name over the record's (key rotation): a renewed name is as long as the old. */
  writeName(handle: number, name: Buffer | undefined): void {
    if (name === undefined || name.length !== this.nameLength(handle)) throw new Error("a record keeps its sealed name's length: it cannot gain, lose or resize one");
    this.arena.bytes[handle >>> 17]!.set(name, this.nameAt(handle));
  }

  private holdsKey(handle: number, key: string): boolean {
    const slab = handle >>> 17;
    const at = (handle & OFFSET_MASK) * 8;
    // With fixed-length keys the key area's length also counts the sealed name.
    if (this.keyBytes === 0 ? this.arena.words[slab]![at / 4 + W_KEY_LENGTH] !== key.length : key.length !== this.keyBytes) return false;
    const bytes = this.arena.bytes[slab]!;
    const start = at + RECORD_HEADER;
    for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

}

/**
 * Visits the live keys in `slots`' probe run from `start` (to the first empty slot) whose hash &
 * homeMask is home; returns how many.
 */
function visitRun(slots: Uint32Array, mask: number, start: number, homeMask: number, home: number, visit: (handle: number) => void): number {
  let n = 0;
  for (let i = start; ; i = (i + 1) & mask) {
    const handle = slots[i * 2]!;
    if (handle === EMPTY) return n;
    if (handle !== DELETED && (slots[i * 2 + 1]! & homeMask) === home) {
      visit(handle);
      n++;
    }
  }
}
