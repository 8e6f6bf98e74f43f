// The sorted set's membership index: member digest -> the B+tree leaf that holds the member.
// Open addressing with linear probing and backward-shift deletion over two flat arrays (a 32-bit
// tag, a leaf reference); the full 16-byte digest lives only in the leaf, which the lookup scans.
// That costs about 14 bytes per member instead of the ~50 of a Map keyed by a latin1 string.
//
// The tag is the digest's first 32 bits, used unmixed as the hash: digests are keyed hashes, so
// their bits are uniform and nobody without the key can aim members at one bucket. Two members
// may share a tag; slots then say only "one member with this tag is in that leaf", so a lookup
// checks every slot of its tag, and moving or removing a member updates any one slot with the
// same tag and leaf (the slots of equal tags form a multiset, which stays right).
//
// Buckets are home slots (tag & mask), so SCAN can walk them in Redis's reverse-binary order
// (dict.c dictScan) and keep its guarantee across growing and shrinking: with linear probing
// and backward-shift deletion, a member always sits between its home and the next empty slot.

import { nextBucket } from '../../util/scan-order.js';

export const DIGEST_BYTES = 16;

/** What the index needs from a leaf: the position of a member's digest words, or -1. */
export interface DigestHolder {
  indexOf(w0: number, w1: number, w2: number, w3: number): number;
}

const MIN_CAPACITY = 8;


export class DigestIndex<L extends DigestHolder> {
  private tags: Int32Array;
  private refs: (L | undefined)[];
  private mask: number;
  size = 0;
  /** The member's position in the leaf the last successful find returned. */
  foundIndex = -1;

  constructor() {
    this.tags = new Int32Array(MIN_CAPACITY);
    this.refs = new Array<L | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** The leaf holding the digest (its position in foundIndex), or undefined. */
  find(w0: number, w1: number, w2: number, w3: number): L | undefined {
    const { tags, refs, mask } = this;
    for (let j = w0 & mask; ; j = (j + 1) & mask) {
      const leaf = refs[j];
      if (leaf === undefined) return undefined;
      if (tags[j] === w0) {
        const i = leaf.indexOf(w0, w1, w2, w3);
        if (i >= 0) {
          this.foundIndex = i;
          return leaf;
        }
      }
    }
  }

  /** Files a new member (not present: the caller checked) under its leaf. */
  add(tag: number, leaf: L): void {
    if ((this.size + 1) * 4 > this.capacity * 3) this.resize(this.capacity * 2);
    this.place(tag, leaf);
    this.size++;
  }

  /** A member with this tag moved from one leaf to another. */
  relocate(tag: number, from: L, to: L): void {
    this.refs[this.slotOf(tag, from)] = to;
  }

  /** Forgets a member with this tag in this leaf. */
  remove(tag: number, leaf: L): void {
    this.deleteSlot(this.slotOf(tag, leaf));
    this.size--;
    if (this.size * 8 < this.capacity && this.capacity > MIN_CAPACITY) this.resize(this.capacity / 2);
  }

  /**
   * Visits the (tag, leaf) pairs of one bucket and returns the next cursor (0 once every bucket
   * was visited). A pair that occurs twice in the bucket is visited once: the visitor reports
   * every member of that leaf with that tag.
   */
  scanBucket(cursor: number, visit: (tag: number, leaf: L) => void): number {
    const { tags, refs, mask } = this;
    const home = cursor & mask;
    for (let j = home; refs[j] !== undefined; j = (j + 1) & mask) {
      const tag = tags[j]!;
      if ((tag & mask) !== home) continue;
      let seen = false;
      for (let k = home; k !== j; k = (k + 1) & mask) if (tags[k] === tag && refs[k] === refs[j]) seen = true;
      if (!seen) visit(tag, refs[j]!);
    }
    return nextBucket(cursor, mask);
  }

  /** Every filed (tag, leaf) pair with its number of slots, for invariant checks in tests. */
  filed(): Map<L, Map<number, number>> {
    const out = new Map<L, Map<number, number>>();
    const { tags, refs, mask } = this;
    for (let j = 0; j <= mask; j++) {
      const leaf = refs[j];
      if (leaf === undefined) continue;
      // A member sits between its home and the first empty slot after it.
      for (let k = tags[j]! & mask; k !== j; k = (k + 1) & mask) if (refs[k] === undefined) throw new Error(`slot ${j} is cut off from its home`);
      const byTag = out.get(leaf) ?? new Map<number, number>();
      byTag.set(tags[j]!, (byTag.get(tags[j]!) ?? 0) + 1);
      out.set(leaf, byTag);
    }
    return out;
  }

  private slotOf(tag: number, leaf: L): number {
    const { tags, refs, mask } = this;
    for (let j = tag & mask; ; j = (j + 1) & mask) {
      const ref = refs[j];
      if (ref === undefined) throw new Error('digest index: member not filed');
      if (ref === leaf && tags[j] === tag) return j;
    }
  }

  private place(tag: number, leaf: L): void {
    const { refs, mask } = this;
    let j = tag & mask;
    while (refs[j] !== undefined) j = (j + 1) & mask;
    this.tags[j] = tag;
    refs[j] = leaf;
  }

  /** Backward-shift deletion: pulls later members of the cluster back so no tombstone is needed. */
  private deleteSlot(hole: number): void {
    const { tags, refs, mask } = this;
    let k = hole;
    for (;;) {
      k = (k + 1) & mask;
      const ref = refs[k];
      if (ref === undefined) break;
      const home = tags[k]! & mask;
      // The member at k may fill the hole unless its home lies cyclically in (hole, k].
      const stays = hole <= k ? hole < home && home <= k : hole < home || home <= k;
      if (stays) continue;
      tags[hole] = tags[k]!;
      refs[hole] = ref;
      hole = k;
    }
    refs[hole] = undefined;
    tags[hole] = 0;
  }

  private resize(capacity: number): void {
    const { tags, refs } = this;
    this.tags = new Int32Array(capacity);
    this.refs = new Array<L | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let j = 0; j < refs.length; j++) if (refs[j] !== undefined) this.place(tags[j]!, refs[j]!);
  }
}
