// A hash's fields: field name (latin1) -> sealed value, in insertion order like a Map (and like
// Redis's listpack hashes, which HGETALL and HSCAN of a small hash follow), with what a Map
// cannot give: a stable position in hash order for stateless HSCAN cursors (src/store/scan.ts).
//
// Entries sit in one insertion-ordered array, name then value (a removed entry leaves a hole
// until the array is compacted). Past a few fields an open-addressing index with linear probing
// over 2^n slots maps a field's hash to its entry. A small hash has no index and no stored
// hashes (it costs less than a Map): lookups compare names along the array, and HSCAN sees it
// as 8 buckets by field hash, so a cursor moves through it in hash order as through an indexed
// table.

import { hashKey } from '../key-table.js';
import type { BucketTable } from '../scan.js';

/** Up to this many fields, no index. */
const UNINDEXED_MAX = 8;
/** The buckets HSCAN sees in a table without an index. */
const UNINDEXED_SCAN_MASK = 7;
const MIN_SLOTS = 16;
const EMPTY = 0;
const DELETED = -1;

/** A field's hash as an int32 (small integers keep a JS array compact); bucket = hash & mask. */
function fieldHash(field: string): number {
  return hashKey(field) | 0;
}

export class FieldTable implements BucketTable<string> {
  /** Entry i is items[2i] (name, undefined once removed) and items[2i + 1] (sealed value). */
  private items: (string | Buffer | undefined)[] = [];
  /** Entry i's field hash, kept while there is an index. */
  private hashes: number[] | null = null;
  /** slot -> entry index + 1, EMPTY or DELETED; null while the table is small. */
  private index: Int32Array | null = null;
  /** Index slots taken by entries or DELETED markers: what the load factor counts. */
  private occupied = 0;
  /** Live fields. */
  size = 0;

  constructor(entries?: Iterable<readonly [string, Buffer]>) {
    if (entries !== undefined) for (const [field, value] of entries) this.set(field, value);
  }

  get(field: string): Buffer | undefined {
    const at = this.find(field);
    return at < 0 ? undefined : (this.items[at * 2 + 1] as Buffer);
  }

  has(field: string): boolean {
    return this.find(field) >= 0;
  }

  /** Sets field's value; an existing field keeps its place in the order. */
  set(field: string, value: Buffer): this {
    const at = this.find(field);
    if (at >= 0) {
      this.items[at * 2 + 1] = value;
      return this;
    }
    const entry = this.items.length / 2;
    this.items.push(field, value);
    this.size++;
    if (this.index !== null) {
      const hash = fieldHash(field);
      this.hashes!.push(hash);
      if ((this.occupied + 1) * 4 > this.index.length * 3) this.rebuild();
      else this.place(this.index, hash, entry);
    } else if (this.size > UNINDEXED_MAX) {
      this.rebuild();
    }
    return this;
  }

  delete(field: string): boolean {
    const at = this.find(field);
    if (at < 0) return false;
    this.items[at * 2] = undefined;
    this.items[at * 2 + 1] = undefined;
    this.size--;
    if (this.index !== null) {
      const index = this.index;
      const mask = index.length - 1;
      let slot = this.hashes![at]! & mask;
      while (index[slot] !== at + 1) slot = (slot + 1) & mask;
      index[slot] = DELETED;
    }
    // Holes and index markers are reclaimed once they outnumber the fields (amortized O(1)).
    const holes = this.items.length / 2 - this.size;
    if (holes > UNINDEXED_MAX && holes > this.size) this.rebuild();
    else if (this.index !== null && this.size * 8 < this.index.length && this.index.length > MIN_SLOTS) this.rebuild();
    return true;
  }

  clear(): void {
    this.items = [];
    this.hashes = null;
    this.index = null;
    this.occupied = 0;
    this.size = 0;
  }

  *keys(): IterableIterator<string> {
    const items = this.items;
    for (let i = 0; i < items.length; i += 2) if (items[i] !== undefined) yield items[i] as string;
  }

  *values(): IterableIterator<Buffer> {
    const items = this.items;
    for (let i = 0; i < items.length; i += 2) if (items[i] !== undefined) yield items[i + 1] as Buffer;
  }

  *entries(): IterableIterator<[string, Buffer]> {
    const items = this.items;
    for (let i = 0; i < items.length; i += 2) if (items[i] !== undefined) yield [items[i] as string, items[i + 1] as Buffer];
  }

  [Symbol.iterator](): IterableIterator<[string, Buffer]> {
    return this.entries();
  }

  /** HSCAN positions: home buckets of the index (or of a virtual 8-slot one without it). */
  get scanMask(): number {
    return this.index === null ? UNINDEXED_SCAN_MASK : this.index.length - 1;
  }

  visitBucket(bucket: number, visit: (field: string) => void): number {
    const items = this.items;
    let n = 0;
    if (this.index === null) {
      for (let i = 0; i < items.length; i += 2) {
        const name = items[i] as string | undefined;
        if (name === undefined || (fieldHash(name) & UNINDEXED_SCAN_MASK) !== bucket) continue;
        visit(name);
        n++;
      }
      return n;
    }
    const index = this.index;
    const hashes = this.hashes!;
    const mask = index.length - 1;
    for (let slot = bucket; index[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const entry = index[slot]! - 1;
      if (entry < 0 || (hashes[entry]! & mask) !== bucket) continue;
      visit(items[entry * 2] as string);
      n++;
    }
    return n;
  }

  /** The entry index of field, or -1. */
  private find(field: string): number {
    const items = this.items;
    const index = this.index;
    if (index === null) {
      for (let i = 0; i < items.length; i += 2) if (items[i] === field) return i / 2;
      return -1;
    }
    const hashes = this.hashes!;
    const hash = fieldHash(field);
    const mask = index.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const e = index[slot]!;
      if (e === EMPTY) return -1;
      if (e !== DELETED && hashes[e - 1] === hash && items[(e - 1) * 2] === field) return e - 1;
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
    if (this.items.length !== this.size * 2) {
      const items: (string | Buffer)[] = [];
      const old = this.items;
      for (let i = 0; i < old.length; i += 2) if (old[i] !== undefined) items.push(old[i]!, old[i + 1]!);
      this.items = items;
    }
    this.occupied = 0;
    if (this.size <= UNINDEXED_MAX / 2) {
      this.index = null;
      this.hashes = null;
      return;
    }
    let slots = MIN_SLOTS;
    while (slots * 3 < this.size * 8) slots *= 2;
    const index = new Int32Array(slots);
    const hashes: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const hash = fieldHash(this.items[i * 2] as string);
      hashes.push(hash);
      this.place(index, hash, i);
    }
    this.hashes = hashes;
    this.index = index;
  }
}
