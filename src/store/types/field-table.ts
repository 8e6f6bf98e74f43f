// A hash's fields: field name (latin1) -> sealed value, in insertion order like a Map (and like
// Redis's listpack hashes, which HGETALL and HSCAN of a small hash follow), with what a Map
// cannot give: a stable position in hash order for stateless HSCAN cursors (src/store/scan.ts).
//
// Entries sit in insertion-ordered arrays (a removed one leaves a hole until the arrays are
// compacted); an open-addressing index with linear probing over 2^n slots maps a field's hash
// to its entry. A hash of a few fields has no index: lookups compare hashes along the arrays,
// and HSCAN sees it as 8 buckets (each visit checks the few entries), so a cursor still moves
// through it in hash order as through an indexed table.

import { hashKey } from '../key-table.js';
import type { BucketTable } from '../scan.js';

/** Up to this many fields, no index. */
const UNINDEXED_MAX = 8;
/** The buckets HSCAN sees in a table without an index. */
const UNINDEXED_SCAN_MASK = 7;
const MIN_SLOTS = 16;
const EMPTY = 0;
const DELETED = -1;

export class FieldTable implements BucketTable<string> {
  /** Entries in insertion order; undefined marks a removed one. */
  private names: (string | undefined)[] = [];
  private sealed: (Buffer | undefined)[] = [];
  /** Each entry's field hash (int32, so the array stays small integers). */
  private hashes: number[] = [];
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
    const at = this.find(field, hashKey(field) | 0);
    return at < 0 ? undefined : this.sealed[at];
  }

  has(field: string): boolean {
    return this.find(field, hashKey(field) | 0) >= 0;
  }

  /** Sets field's value; an existing field keeps its place in the order. */
  set(field: string, value: Buffer): this {
    const hash = hashKey(field) | 0;
    const at = this.find(field, hash);
    if (at >= 0) {
      this.sealed[at] = value;
      return this;
    }
    const entry = this.names.length;
    this.names.push(field);
    this.sealed.push(value);
    this.hashes.push(hash);
    this.size++;
    if (this.index !== null) {
      if ((this.occupied + 1) * 4 > this.index.length * 3) this.rebuild();
      else this.place(this.index, hash, entry);
    } else if (this.size > UNINDEXED_MAX) {
      this.rebuild();
    }
    return this;
  }

  delete(field: string): boolean {
    const hash = hashKey(field) | 0;
    const at = this.find(field, hash);
    if (at < 0) return false;
    this.names[at] = undefined;
    this.sealed[at] = undefined;
    this.size--;
    if (this.index !== null) {
      const index = this.index;
      const mask = index.length - 1;
      let slot = hash & mask;
      while (index[slot] !== at + 1) slot = (slot + 1) & mask;
      index[slot] = DELETED;
    }
    // Holes and index markers are reclaimed once they outnumber the fields (amortized O(1)).
    const holes = this.names.length - this.size;
    if (holes > UNINDEXED_MAX && holes > this.size) this.rebuild();
    else if (this.index !== null && this.size * 8 < this.index.length && this.index.length > MIN_SLOTS) this.rebuild();
    return true;
  }

  clear(): void {
    this.names = [];
    this.sealed = [];
    this.hashes = [];
    this.index = null;
    this.occupied = 0;
    this.size = 0;
  }

  *keys(): IterableIterator<string> {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] !== undefined) yield names[i]!;
  }

  *values(): IterableIterator<Buffer> {
    const names = this.names;
    const sealed = this.sealed;
    for (let i = 0; i < names.length; i++) if (names[i] !== undefined) yield sealed[i]!;
  }

  *entries(): IterableIterator<[string, Buffer]> {
    const names = this.names;
    const sealed = this.sealed;
    for (let i = 0; i < names.length; i++) if (names[i] !== undefined) yield [names[i]!, sealed[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, Buffer]> {
    return this.entries();
  }

  /** HSCAN positions: home buckets of the index (or of a virtual 8-slot one without it). */
  get scanMask(): number {
    return this.index === null ? UNINDEXED_SCAN_MASK : this.index.length - 1;
  }

  visitBucket(bucket: number, visit: (field: string) => void): number {
    const names = this.names;
    let n = 0;
    if (this.index === null) {
      for (let i = 0; i < names.length; i++) {
        if (names[i] === undefined || (this.hashes[i]! & UNINDEXED_SCAN_MASK) !== bucket) continue;
        visit(names[i]!);
        n++;
      }
      return n;
    }
    const index = this.index;
    const mask = index.length - 1;
    for (let slot = bucket; index[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const entry = index[slot]! - 1;
      if (entry < 0 || (this.hashes[entry]! & mask) !== bucket) continue;
      visit(names[entry]!);
      n++;
    }
    return n;
  }

  /** The entry index of field, or -1. */
  private find(field: string, hash: number): number {
    const names = this.names;
    const hashes = this.hashes;
    const index = this.index;
    if (index === null) {
      for (let i = 0; i < names.length; i++) if (hashes[i] === hash && names[i] === field) return i;
      return -1;
    }
    const mask = index.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const e = index[slot]!;
      if (e === EMPTY) return -1;
      if (e !== DELETED && hashes[e - 1] === hash && names[e - 1] === field) return e - 1;
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
    if (this.names.length !== this.size) {
      const names: string[] = [];
      const sealed: Buffer[] = [];
      const hashes: number[] = [];
      for (let i = 0; i < this.names.length; i++) {
        if (this.names[i] === undefined) continue;
        names.push(this.names[i]!);
        sealed.push(this.sealed[i]!);
        hashes.push(this.hashes[i]!);
      }
      this.names = names;
      this.sealed = sealed;
      this.hashes = hashes;
    }
    this.occupied = 0;
    if (this.size <= UNINDEXED_MAX / 2) {
      this.index = null;
      return;
    }
    let slots = MIN_SLOTS;
    while (slots * 3 < this.size * 8) slots *= 2;
    const index = new Int32Array(slots);
    for (let i = 0; i < this.size; i++) this.place(index, this.hashes[i]!, i);
    this.index = index;
  }
}
