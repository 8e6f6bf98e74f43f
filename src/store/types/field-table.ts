// A large hash's fields (redis t_hash.c over dict.c): each field is one sealed blob (its name
// and value sealed together, see hash-pairs.ts) filed under the 16-byte keyed digest of its name
// (src/seal/name-hash.ts). The table never sees a plaintext name: lookups come with a digest.
//
// Entries sit in one insertion-ordered array (a removed entry leaves a hole until the arrays
// are compacted), so HGETALL of a hash that grew out of its small form keeps Redis's listpack
// order; beside it a Uint32Array of digests, four words per entry. Past a few fields an
// open-addressing index with linear probing over 2^n slots maps a digest to its entry; the
// digest's first word is already a keyed random number, so it is the slot hash as it is. Small
// tables have no index: a lookup compares digests along the array, and HSCAN sees 8 buckets.
//
// Sealed blobs are kept as latin1 strings of their bytes: a V8 string costs 16 bytes beside its
// bytes, a Buffer view about a hundred, and the GC frees it with the table (no arena to free).
// Only ciphertext is ever kept this way.
//
// Entry ids (positions in the array) stay valid until the table next changes.

import type { BucketTable } from '../scan.js';

export const DIGEST_BYTES = 16;
/** Up to this many entries, no index. */
const UNINDEXED_MAX = 8;
/** The buckets HSCAN sees in a table without an index. */
const UNINDEXED_SCAN_MASK = 7;
const MIN_SLOTS = 16;
const EMPTY = 0;
const DELETED = -1;

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
  /** Entry i's sealed blob, undefined once removed. */
  private sealed: (string | undefined)[] = [];
  /** Entry i's digest at words [4i, 4i + 4). */
  private digests = new Uint32Array(4 * 4);
  /** slot -> entry + 1, EMPTY or DELETED; null while the table is small. */
  private index: Int32Array | null = null;
  /** Index slots taken by entries or DELETED markers: what the load factor counts. */
  private occupied = 0;
  /** Live fields. */
  size = 0;
  /** Sum of the live blobs' lengths (MEMORY USAGE, maxmemory). */
  sealedBytes = 0;

  /** The entry whose digest is DIGEST_BYTES at `at` in digest, or -1. */
  find(digest: Uint8Array, at = 0): number {
    load(digest, at);
    return this.findLoaded();
  }

  /** Entry id's sealed blob (latin1 string of its bytes). */
  sealedAt(id: number): string {
    return this.sealed[id]!;
  }

  /** Replaces entry id's blob (the same field sealed anew). */
  setAt(id: number, sealed: string): void {
    this.sealedBytes += sealed.length - this.sealed[id]!.length;
    this.sealed[id] = sealed;
  }

  /** Copies entry id's digest into out at `at`. */
  digestInto(id: number, out: Uint8Array, at: number): void {
    const w = id * 4;
    for (let i = 0; i < 4; i++) {
      const word = this.digests[w + i]!;
      out[at + i * 4] = word & 0xff;
      out[at + i * 4 + 1] = (word >>> 8) & 0xff;
      out[at + i * 4 + 2] = (word >>> 16) & 0xff;
      out[at + i * 4 + 3] = word >>> 24;
    }
  }

  /** Adds a field the table does not hold (the caller looked it up first); returns its id. */
  add(digest: Uint8Array, at: number, sealed: string): number {
    load(digest, at);
    const id = this.sealed.length;
    if (this.digests.length < (id + 1) * 4) {
      const grown = new Uint32Array(Math.max(16, Math.ceil((this.digests.length * 1.5) / 4) * 4));
      grown.set(this.digests);
      this.digests = grown;
    }
    const w = id * 4;
    this.digests[w] = d0;
    this.digests[w + 1] = d1;
    this.digests[w + 2] = d2;
    this.digests[w + 3] = d3;
    this.sealed.push(sealed);
    this.sealedBytes += sealed.length;
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
    this.sealedBytes -= this.sealed[id]!.length;
    this.sealed[id] = undefined;
    this.size--;
    if (this.index !== null) {
      const index = this.index;
      const mask = index.length - 1;
      let slot = this.digests[id * 4]! & mask;
      while (index[slot] !== id + 1) slot = (slot + 1) & mask;
      index[slot] = DELETED;
    }
    // Holes and index markers are reclaimed once they outnumber the fields (amortized O(1)).
    const holes = this.sealed.length - this.size;
    if (holes > UNINDEXED_MAX && holes > this.size) this.rebuild();
    else if (this.index !== null && this.size * 8 < this.index.length && this.index.length > MIN_SLOTS) this.rebuild();
  }

  /** Visits every live entry in insertion order; the table must not change meanwhile. */
  forEach(visit: (id: number) => void): void {
    const sealed = this.sealed;
    for (let i = 0; i < sealed.length; i++) if (sealed[i] !== undefined) visit(i);
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
    const sealed = this.sealed;
    for (;;) {
      const i = Math.floor(random() * sealed.length);
      if (sealed[i] !== undefined) return i;
    }
  }

  /** HSCAN positions: home buckets of the index (or of a virtual 8-slot one without it). */
  get scanMask(): number {
    return this.index === null ? UNINDEXED_SCAN_MASK : this.index.length - 1;
  }

  visitBucket(bucket: number, visit: (id: number) => void): number {
    const sealed = this.sealed;
    const digests = this.digests;
    let n = 0;
    if (this.index === null) {
      for (let i = 0; i < sealed.length; i++) {
        if (sealed[i] === undefined || (digests[i * 4]! & UNINDEXED_SCAN_MASK) !== bucket) continue;
        visit(i);
        n++;
      }
      return n;
    }
    const index = this.index;
    const mask = index.length - 1;
    for (let slot = bucket; index[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const entry = index[slot]! - 1;
      if (entry < 0 || (digests[entry * 4]! & mask) !== bucket) continue;
      visit(entry);
      n++;
    }
    return n;
  }

  private findLoaded(): number {
    const digests = this.digests;
    const index = this.index;
    if (index === null) {
      const sealed = this.sealed;
      for (let i = 0; i < sealed.length; i++) {
        const w = i * 4;
        if (digests[w] === d0 && digests[w + 1] === d1 && digests[w + 2] === d2 && digests[w + 3] === d3 && sealed[i] !== undefined) return i;
      }
      return -1;
    }
    const mask = index.length - 1;
    for (let slot = d0 & mask; ; slot = (slot + 1) & mask) {
      const e = index[slot]!;
      if (e === EMPTY) return -1;
      if (e === DELETED) continue;
      const w = (e - 1) * 4;
      if (digests[w] === d0 && digests[w + 1] === d1 && digests[w + 2] === d2 && digests[w + 3] === d3) return e - 1;
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
    if (this.sealed.length !== this.size) {
      const sealed: string[] = [];
      const digests = new Uint32Array(Math.max(16, this.size * 4 + (this.size >> 1) * 4));
      const old = this.sealed;
      for (let i = 0; i < old.length; i++) {
        if (old[i] === undefined) continue;
        digests.set(this.digests.subarray(i * 4, i * 4 + 4), sealed.length * 4);
        sealed.push(old[i]!);
      }
      this.sealed = sealed;
      this.digests = digests;
    }
    this.occupied = 0;
    if (this.size <= UNINDEXED_MAX / 2) {
      this.index = null;
      return;
    }
    let slots = MIN_SLOTS;
    while (slots * 3 < this.size * 5) slots *= 2;
    const index = new Int32Array(slots);
    for (let i = 0; i < this.size; i++) this.place(index, this.digests[i * 4]!, i);
    this.index = index;
  }
}
