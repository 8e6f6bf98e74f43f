// A large hash's fields (redis t_hash.c over dict.c): each field is one sealed blob (its name
// and value sealed together, see hash-pairs.ts) filed under the 16-byte keyed digest of its name
// (src/seal/name-hash.ts). The table never sees a plaintext name: lookups come with a digest.
//
// Entries sit in one insertion-ordered Uint32Array, six words each (digest, blob handle, blob
// length; a removed entry leaves a hole until the array is compacted), so HGETALL of a hash that
// grew out of its small form keeps Redis's listpack order. Past a few fields an
// open-addressing index with linear probing over 2^n slots maps a digest to its entry; the
// digest's first word is already a keyed random number, so it is the slot hash as it is. Small
// tables have no index: a lookup compares digests along the array, and HSCAN sees 8 buckets.
//
// Sealed blobs lie in blocks of the collections' record arena (blocks.ts: off the V8 heap, 8-byte
// size classes), named by a handle kept beside the digest: a field costs its sealed bytes rounded
// to 8 and 24 bytes of words, where a latin1 string of them cost a 16-byte header, 8-byte
// alignment and an 8-byte array slot (~25 B more per field of a 1 M-field hash). A blob over the
// arena's largest size class would take a slab of its own (a process has 2^15 slab numbers), so
// those few stay latin1 strings. Only ciphertext is ever kept either way. The blocks are given
// back by clear() (the hash's release when its key goes) or when a field is replaced or removed.
//
// Entry ids (positions in the array) stay valid until the table next changes.

import type { BucketTable } from '../scan.js';
import { collectionArena, offsetOf, type BlockArena } from './blocks.js';
import { sealedString, writeSealed } from './hash-fields.js';

export const DIGEST_BYTES = 16;
/** Up to this many entries, no index. */
const UNINDEXED_MAX = 8;
/** The buckets HSCAN sees in a table without an index. */
const UNINDEXED_SCAN_MASK = 7;
const MIN_SLOTS = 16;
const EMPTY = 0;
const DELETED = -1;
/** Words per entry: the digest (4), the blob's arena handle, its sealed length. */
const STRIDE = 6;
const HANDLE = 4;
const LENGTH = 5;
/** Handles the arena never gives out: a removed entry's, and a blob kept as a string (`big`). */
const HOLE = 0;
const IN_STRING = 1;
/** Larger blobs stay strings (the arena's largest size class: record-arena.ts). */
const ARENA_MAX_BYTES = 64 * 1024;

/** Where a blob kept as a string is copied to be read (ciphertext only). */
let bigView = Buffer.alloc(0);

/** A digest's four words (little-endian), loaded once per lookup. */
let d0 = 0;
let d1 = 0;
let d2 = 0;
let d3 = 0;

function load(digest: Uint8Array, at: number): void {
  if (digest.length - at < DIGEST_BYTES) throw new RangeError(`a field digest is ${DIGEST_BYTES} bytes`);
  d0 = (digest[at]! | (digest[at + 1]! << 8) | (digest[at + 2]! << 16) | (digest[at + 3]! << 24)) >>> 0;
  d1 = (digest[at + 4]! | (digest[at + 5]! << 8) | (digest[at + 6]! << 16) | (digest[at + 7]! << 24)) >>> 0;
  d2 = (digest[at + 8]! | (digest[at + 9]! << 8) | (digest[at + 10]! << 16) | (digest[at + 11]! << 24)) >>> 0;
  d3 = (digest[at + 12]! | (digest[at + 13]! << 8) | (digest[at + 14]! << 16) | (digest[at + 15]! << 24)) >>> 0;
}

export class FieldTable implements BucketTable<number> {
  /** Entry i's digest, handle and sealed length at words [STRIDE i, STRIDE i + STRIDE). */
  private words = new Uint32Array(4 * STRIDE);
  /** Entries filed, holes included. */
  private count = 0;
  /** Blobs over ARENA_MAX_BYTES by entry id; null while there are none. */
  private big: (string | undefined)[] | null = null;
  /** slot -> entry + 1, EMPTY or DELETED; null while the table is small. */
  private index: Int32Array | null = null;
  /** Index slots taken by entries or DELETED markers: what the load factor counts. */
  private occupied = 0;
  /** Live fields. */
  size = 0;
  /** Sum of the live blobs' lengths (MEMORY USAGE, maxmemory). */
  sealedBytes = 0;
  /** Where locate()'s blob starts in the buffer it returned. */
  locatedAt = 0;

  constructor(private readonly arena: BlockArena = collectionArena()) {}

  /** The entry whose digest is DIGEST_BYTES at `at` in digest, or -1. */
  find(digest: Uint8Array, at = 0): number {
    load(digest, at);
    return this.findLoaded();
  }

  /** Entry id's sealed length. */
  lengthOf(id: number): number {
    return this.words[id * STRIDE + LENGTH]!;
  }

  /**
   * The buffer entry id's sealed blob lies in, from locatedAt for lengthOf(id) bytes, to be
   * opened where it lies at once: a later setAt() may write over it.
   */
  locate(id: number): Buffer {
    const handle = this.words[id * STRIDE + HANDLE]!;
    if (handle === IN_STRING) {
      const sealed = this.big![id]!;
      if (bigView.length < sealed.length) bigView = Buffer.allocUnsafeSlow(sealed.length);
      writeSealed(sealed, bigView, 0);
      this.locatedAt = 0;
      return bigView;
    }
    this.locatedAt = offsetOf(handle);
    return this.arena.bytes[handle >>> 17]!;
  }

  /** A copy of entry id's sealed blob (rotation, a copy for another key). */
  sealedCopy(id: number): Buffer {
    const bytes = this.locate(id);
    return Buffer.from(bytes.subarray(this.locatedAt, this.locatedAt + this.lengthOf(id)));
  }

  /**
   * Replaces entry id's blob with src[from, from + length) (the same field sealed anew): over the
   * old one when it fits the same block (a counter or a same-sized value, the usual overwrite), so
   * the arena has no block to free, zero and recycle. Nothing reads a blob where it lies past the
   * call that located it (see locate), so no reader sees it change.
   */
  setAt(id: number, src: Uint8Array, from: number, length: number): void {
    const w = id * STRIDE;
    const old = this.words[w + LENGTH]!;
    this.sealedBytes += length - old;
    const handle = this.words[w + HANDLE]!;
    if (handle !== IN_STRING && length <= ARENA_MAX_BYTES && ((old + 7) & ~7) === ((length + 7) & ~7)) {
      const bytes = this.arena.bytes[handle >>> 17]!;
      const at = offsetOf(handle);
      bytes.set(src.subarray(from, from + length), at);
      if (length < old) bytes.fill(0, at + length, at + old);
      this.words[w + LENGTH] = length;
      return;
    }
    this.drop(id);
    this.store(id, src, from, length);
  }

  /** Copies entry id's digest into out at `at`. */
  digestInto(id: number, out: Uint8Array, at: number): void {
    const w = id * STRIDE;
    for (let i = 0; i < 4; i++) {
      const word = this.words[w + i]!;
      out[at + i * 4] = word & 0xff;
      out[at + i * 4 + 1] = (word >>> 8) & 0xff;
      out[at + i * 4 + 2] = (word >>> 16) & 0xff;
      out[at + i * 4 + 3] = word >>> 24;
    }
  }

  /**
   * Adds a field the table does not hold (the caller looked it up first), its sealed blob
   * src[from, from + length) copied in; returns its id.
   */
  add(digest: Uint8Array, at: number, src: Uint8Array, from: number, length: number): number {
    load(digest, at);
    const id = this.count;
    if (this.words.length < (id + 1) * STRIDE) {
      const grown = new Uint32Array(Math.max(4, Math.ceil((id * 3) / 2)) * STRIDE);
      grown.set(this.words);
      this.words = grown;
    }
    const w = id * STRIDE;
    this.words[w] = d0;
    this.words[w + 1] = d1;
    this.words[w + 2] = d2;
    this.words[w + 3] = d3;
    this.store(id, src, from, length);
    this.count++;
    this.sealedBytes += length;
    this.size++;
    if (this.index !== null) {
      if ((this.occupied + 1) * 4 > this.index.length * 3) this.rebuild();
      else this.place(this.index, d0, id);
    } else if (this.size > UNINDEXED_MAX) {
      this.rebuild();
    }
    return id;
  }

  /** Removes entry id; every id may change (compaction). */
  deleteAt(id: number): void {
    const w = id * STRIDE;
    this.sealedBytes -= this.words[w + LENGTH]!;
    this.drop(id);
    this.words[w + HANDLE] = HOLE;
    this.size--;
    if (this.index !== null) {
      const index = this.index;
      const mask = index.length - 1;
      let slot = this.words[w]! & mask;
      while (index[slot] !== id + 1) slot = (slot + 1) & mask;
      index[slot] = DELETED;
    }
    // Holes and index markers are reclaimed once they outnumber the fields (amortized O(1)).
    const holes = this.count - this.size;
    if (holes > UNINDEXED_MAX && holes > this.size) this.rebuild();
    else if (this.index !== null && this.size * 8 < this.index.length && this.index.length > MIN_SLOTS) this.rebuild();
  }

  /** Gives every blob's block back to the arena and empties the table (the hash's key is gone). */
  clear(): void {
    for (let id = 0; id < this.count; id++) if (this.words[id * STRIDE + HANDLE] !== HOLE) this.drop(id);
    this.words = new Uint32Array(4 * STRIDE);
    this.count = this.size = this.sealedBytes = this.occupied = 0;
    this.big = this.index = null;
  }

  /** Visits every live entry in insertion order; the table must not change meanwhile. */
  forEach(visit: (id: number) => void): void {
    const words = this.words;
    for (let i = 0; i < this.count; i++) if (words[i * STRIDE + HANDLE] !== HOLE) visit(i);
  }

  /** Every live entry id, in insertion order. */
  ids(): number[] {
    const out: number[] = [];
    this.forEach((id) => out.push(id));
    return out;
  }

  /**
   * A uniformly random live entry (the hash must not be empty): a random position, again while
   * it is a hole. Holes never outnumber entries by much (see deleteAt), so a few tries do.
   */
  randomId(random: () => number = Math.random): number {
    for (;;) {
      const i = Math.floor(random() * this.count);
      if (this.words[i * STRIDE + HANDLE] !== HOLE) return i;
    }
  }

  /** HSCAN positions: home buckets of the index (or of a virtual 8-slot one without it). */
  get scanMask(): number {
    return this.index === null ? UNINDEXED_SCAN_MASK : this.index.length - 1;
  }

  visitBucket(bucket: number, visit: (id: number) => void): number {
    const words = this.words;
    let n = 0;
    if (this.index === null) {
      for (let i = 0; i < this.count; i++) {
        if (words[i * STRIDE + HANDLE] === HOLE || (words[i * STRIDE]! & UNINDEXED_SCAN_MASK) !== bucket) continue;
        visit(i);
        n++;
      }
      return n;
    }
    const index = this.index;
    const mask = index.length - 1;
    for (let slot = bucket; index[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const entry = index[slot]! - 1;
      if (entry < 0 || (words[entry * STRIDE]! & mask) !== bucket) continue;
      visit(entry);
      n++;
    }
    return n;
  }

  /** Files src[from, from + length) as entry id's blob: in an arena block, or as a string when over ARENA_MAX_BYTES. */
  private store(id: number, src: Uint8Array, from: number, length: number): void {
    const w = id * STRIDE;
    this.words[w + LENGTH] = length;
    if (length > ARENA_MAX_BYTES) {
      this.big ??= [];
      this.big[id] = sealedString(src instanceof Buffer ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength), from, from + length);
      this.words[w + HANDLE] = IN_STRING;
      return;
    }
    const handle = this.arena.alloc(length);
    this.arena.bytes[handle >>> 17]!.set(src.subarray(from, from + length), offsetOf(handle));
    this.words[w + HANDLE] = handle;
  }

  /** Gives entry id's blob back (its block readable until the turn ends: record-arena.ts). */
  private drop(id: number): void {
    const w = id * STRIDE;
    const handle = this.words[w + HANDLE]!;
    if (handle === IN_STRING) this.big![id] = undefined;
    else this.arena.free(handle, this.words[w + LENGTH]!);
  }

  private findLoaded(): number {
    const words = this.words;
    const index = this.index;
    if (index === null) {
      for (let i = 0; i < this.count; i++) {
        const w = i * STRIDE;
        if (words[w] === d0 && words[w + 1] === d1 && words[w + 2] === d2 && words[w + 3] === d3 && words[w + HANDLE] !== HOLE) return i;
      }
      return -1;
    }
    const mask = index.length - 1;
    for (let slot = d0 & mask; ; slot = (slot + 1) & mask) {
      const e = index[slot]!;
      if (e === EMPTY) return -1;
      if (e === DELETED) continue;
      const w = (e - 1) * STRIDE;
      if (words[w] === d0 && words[w + 1] === d1 && words[w + 2] === d2 && words[w + 3] === d3) return e - 1;
    }
  }

  private place(index: Int32Array, hash: number, entry: number): void {
    const mask = index.length - 1;
    let slot = hash & mask;
    while (index[slot] !== EMPTY && index[slot] !== DELETED) slot = (slot + 1) & mask;
    if (index[slot] === EMPTY) this.occupied++;
    index[slot] = entry + 1;
  }

  /** Drops holes and markers, and sizes the index for the live fields (or drops it). */
  private rebuild(): void {
    if (this.count !== this.size) {
      const words = new Uint32Array(Math.max(4, this.size + (this.size >> 1)) * STRIDE);
      const old = this.words;
      const oldBig = this.big;
      let big: (string | undefined)[] | null = null;
      let n = 0;
      for (let i = 0; i < this.count; i++) {
        if (old[i * STRIDE + HANDLE] === HOLE) continue;
        words.set(old.subarray(i * STRIDE, i * STRIDE + STRIDE), n * STRIDE);
        if (old[i * STRIDE + HANDLE] === IN_STRING) (big ??= [])[n] = oldBig![i];
        n++;
      }
      this.words = words;
      this.big = big;
      this.count = n;
    }
    this.occupied = 0;
    if (this.size <= UNINDEXED_MAX / 2) {
      this.index = null;
      return;
    }
    let slots = MIN_SLOTS;
    while (slots * 3 < this.size * 5) slots *= 2;
    const index = new Int32Array(slots);
    for (let i = 0; i < this.size; i++) this.place(index, this.words[i * STRIDE]!, i);
    this.index = index;
  }
}
