// The digest index of a set (store/types/set.ts): where each member is found by the keyed digest
// of its bytes, with nothing opened. Apart from the nodes that hold the sealed members because it
// is the part every lookup, SISMEMBER, SSCAN and random pick uses, and the part the algebra's
// digest-only scratch sets are made of; SealedSet extends it with the nodes.
//
// The index, outside the V8 heap's objects, in typed arrays:
//   - entries: per member six words: its digest (4), next in its bucket's chain (entry + 1, 0
//     ends), and its place: node * NODE_MAX + slot. Entries are dense (a removal moves the last
//     into the hole), so a member's id is its entry + 1: uniform random picks are O(1).
//   - buckets: chain heads (entry + 1), a power of two, the bucket being the digest's first 32
//     bits masked (the digest is already a keyed random value); none up to SMALL members, where
//     a lookup compares the few digests in turn.
// The table doubles past one member per bucket and halves below one per eight (Redis's dict
// rules), at once rather than incrementally.
//
// SSCAN: the cursor is Redis's reverse-binary bucket cursor (dict.c dictScan) over the single
// table. Because a bucket's members move only to its split images on growth and its merge on
// shrink, and the cursor counts up in the reversed bits, every member present throughout a scan
// is returned at least once, whatever resizes happen between calls (and wherever nodes move the
// member: the cursor never looks at nodes); some may come twice. Stateless: the next bucket.
//

import { nextBucket } from '../../util/scan-order.js';

export const DIGEST_BYTES = 16;
/** Up to this many members there are no buckets (see the header). */
const SMALL = 8;
const MIN_BUCKETS = 16;
/**
 * The bucket count of a set made by adding `count` members one by one to an empty one (as
 * Packer.unpack makes it from a blob), 0 for none; each bucket's chain then holds its members
 * the last added first (link() puts an entry at the head, resize() relinks in entry order). A set
 * packed at rest scans in that layout without being made (commands/sets/sets-random.ts).
 */
export function bucketsAfterAdding(count: number): number {
  if (count <= SMALL) return 0;
  let size = MIN_BUCKETS;
  while (count > size) size *= 2;
  return size;
}

/** Entry words: digest 0..3, next, place. */
export const EW = 6;
const E_NEXT = 4;
export const E_PLACE = 5;
/** The place of an entry that has no member (the algebra's digest-only scratch sets). */
export const NO_PLACE = 0xffffffff;
export const EMPTY = new Uint32Array(0);

/** A member of a set: opaque, valid until that set next changes. */
export type MemberId = number;
/** Looks at one member; false stops the walk. */
export type MemberVisitor = (id: MemberId) => boolean | void;
/** Random numbers in [0, 1); Math.random in the server, a seeded generator in tests. */
export type Random = () => number;

/**
 * A digest's four 32-bit words (little-endian), read once per operation. In a typed array, not
 * module-level numbers: a word at or past 2^30 is no small integer, and each store of one into a
 * module variable made a heap number (~33 B per SADD, a third of what the set's code allocated).
 */
const dw = new Uint32Array(4);

/** Reads the digest at `at` for the next findLoaded or insertEntry. */
export function loadDigest(digest: Uint8Array, at: number): void {
  if (digest.length - at < DIGEST_BYTES) throw new RangeError(`a member digest is ${DIGEST_BYTES} bytes`);
  dw[0] = digest[at]! | (digest[at + 1]! << 8) | (digest[at + 2]! << 16) | (digest[at + 3]! << 24);
  dw[1] = digest[at + 4]! | (digest[at + 5]! << 8) | (digest[at + 6]! << 16) | (digest[at + 7]! << 24);
  dw[2] = digest[at + 8]! | (digest[at + 9]! << 8) | (digest[at + 10]! << 16) | (digest[at + 11]! << 24);
  dw[3] = digest[at + 12]! | (digest[at + 13]! << 8) | (digest[at + 14]! << 16) | (digest[at + 15]! << 24);
}

export abstract class SetIndex {
  protected entries: Uint32Array<ArrayBuffer> = EMPTY;
  /** Chain heads (entry + 1); null while the set has SMALL members or fewer. */
  protected buckets: Uint32Array<ArrayBuffer> | null = null;
  protected count = 0;
  /** Counts changes, so a reader knows its opened node is still the node. */
  version = 0;

  /** Visits every member (in the order the set keeps them). */
  abstract forEach(visit: MemberVisitor): void;

  /** Entry e now sits where the removed one was: the member at `place` is entry e now. */
  protected abstract entryMoved(place: number, e: number): void;

  get size(): number {
    return this.count;
  }

  /** Bucket count, 0 for a small set (tests: resizes during scans). */
  get bucketCount(): number {
    return this.buckets?.length ?? 0;
  }

  /** The member with this digest (DIGEST_BYTES at `at` in digest), or 0. */
  find(digest: Uint8Array, at = 0): MemberId {
    loadDigest(digest, at);
    return this.findLoaded() + 1;
  }

  has(digest: Uint8Array, at = 0): boolean {
    return this.find(digest, at) !== 0;
  }

  /** Whether this set holds the member `id` of `other` (the same digest). */
  hasMemberOf(other: SetIndex, id: MemberId): boolean {
    const w = (id - 1) * EW;
    const e = other.entries;
    dw[0] = e[w]!;
    dw[1] = e[w + 1]!;
    dw[2] = e[w + 2]!;
    dw[3] = e[w + 3]!;
    return this.findLoaded() >= 0;
  }

  /** The member's digest, a view valid until the set changes. */
  digestOf(id: MemberId): Buffer {
    return Buffer.from(this.entries.buffer, this.entries.byteOffset + 4 * (id - 1) * EW, DIGEST_BYTES);
  }

  /** A uniformly random member, or 0 when empty (SRANDMEMBER without a count). */
  randomMember(random: Random = Math.random): MemberId {
    if (this.count === 0) return 0;
    return Math.floor(random() * this.count) + 1;
  }

  /**
   * SRANDMEMBER with count >= 0: min(count, size) distinct members, uniformly. As Redis does,
   * a draw of most of the set shuffles a copy of the members partway, a small draw picks at
   * random and drops repeats.
   */
  sample(count: number, random: Random = Math.random): MemberId[] {
    const n = this.count;
    const out: MemberId[] = [];
    if (count >= n) {
      this.forEach((id) => void out.push(id));
      return out;
    }
    if (count * 3 > n) {
      const pool = new Uint32Array(n);
      for (let i = 0; i < n; i++) pool[i] = i + 1;
      for (let i = 0; i < count; i++) {
        const j = i + Math.floor(random() * (n - i));
        const t = pool[j]!;
        pool[j] = pool[i]!;
        pool[i] = t;
        out.push(t);
      }
      return out;
    }
    const picked = new Set<number>();
    while (out.length < count) {
      const i = Math.floor(random() * n);
      if (picked.has(i)) continue;
      picked.add(i);
      out.push(i + 1);
    }
    return out;
  }

  /** SRANDMEMBER with a negative count: `count` members drawn with repetition. */
  sampleWithRepetition(count: number, random: Random = Math.random): MemberId[] {
    const out: MemberId[] = [];
    if (this.count === 0) return out;
    for (let i = 0; i < count; i++) out.push(Math.floor(random() * this.count) + 1);
    return out;
  }

  /**
   * SSCAN: visits the members of buckets from `cursor` on, until at least `count` members were
   * visited (or about 10 x count empty buckets went by, as Redis bounds the work); returns the
   * next cursor, 0 when the scan is complete. Cursors are taken modulo 2^32. A small set (no
   * buckets) gives every member at once and cursor 0, as Redis does for its compact encodings.
   */
  scan(cursor: number, count: number, visit: (id: MemberId) => void): number {
    const buckets = this.buckets;
    if (buckets === null) {
      for (let i = 1; i <= this.count; i++) visit(i);
      return 0;
    }
    const entries = this.entries;
    let v = cursor >>> 0;
    const mask = buckets.length - 1;
    let budget = Math.max(1, count) * 10;
    let seen = 0;
    do {
      for (let h = buckets[v & mask]!; h !== 0; h = entries[(h - 1) * EW + E_NEXT]!) {
        visit(h);
        seen++;
      }
      v = nextBucket(v, mask);
    } while (v !== 0 && seen < count && --budget > 0);
    return v;
  }

  /** The entry with the loaded digest (dw), or -1. */
  protected findLoaded(): number {
    const entries = this.entries;
    const d0 = dw[0]!;
    const d1 = dw[1]!;
    const d2 = dw[2]!;
    const d3 = dw[3]!;
    if (this.buckets === null) {
      for (let e = 0, w = 0; e < this.count; e++, w += EW) {
        if (entries[w] === d0 && entries[w + 1] === d1 && entries[w + 2] === d2 && entries[w + 3] === d3) return e;
      }
      return -1;
    }
    for (let h = this.buckets[d0 & (this.buckets.length - 1)]!; h !== 0; ) {
      const w = (h - 1) * EW;
      if (entries[w] === d0 && entries[w + 1] === d1 && entries[w + 2] === d2 && entries[w + 3] === d3) return h - 1;
      h = entries[w + E_NEXT]!;
    }
    return -1;
  }

  /** A new entry (index `count`) for the loaded digest (dw) at `place`. */
  protected insertEntry(place: number): void {
    const e = this.count;
    if ((e + 1) * EW > this.entries.length) this.entries = growTo(this.entries, Math.max(4, (this.entries.length / EW) * 2) * EW);
    const w = e * EW;
    const entries = this.entries;
    entries[w] = dw[0]!;
    entries[w + 1] = dw[1]!;
    entries[w + 2] = dw[2]!;
    entries[w + 3] = dw[3]!;
    entries[w + E_PLACE] = place;
    this.count++;
    this.version++;
    if (this.buckets !== null) {
      this.link(e);
      if (this.count > this.buckets.length) this.resize(this.buckets.length * 2);
    } else if (this.count > SMALL) {
      this.resize(MIN_BUCKETS);
    }
  }

  /** Takes entry e out of the index; the last entry fills its place. */
  protected removeEntry(e: number): void {
    const entries = this.entries;
    if (this.buckets !== null) this.unlink(e, e + 1);
    const last = this.count - 1;
    if (e !== last) {
      if (this.buckets !== null) this.unlink(last, e + 1);
      entries.copyWithin(e * EW, last * EW, last * EW + EW);
      const place = entries[e * EW + E_PLACE]!;
      if (place !== NO_PLACE) this.entryMoved(place, e);
    }
    this.count--;
    if (this.buckets !== null) {
      if (this.count <= SMALL / 2) this.buckets = null;
      else if (this.count < this.buckets.length / 8 && this.buckets.length > MIN_BUCKETS) this.resize(this.buckets.length / 2);
    }
    if (this.count === 0) this.entries = EMPTY;
    else if (this.count * EW < this.entries.length / 4 && this.entries.length > 16 * EW) this.entries = growTo(this.entries, this.entries.length / 2);
  }

  /** Puts entry e at the head of its bucket's chain. */
  protected link(e: number): void {
    const buckets = this.buckets!;
    const w = e * EW;
    const b = this.entries[w]! & (buckets.length - 1);
    this.entries[w + E_NEXT] = buckets[b]!;
    buckets[b] = e + 1;
  }

  /**
   * Unlinks entry e from its chain; with `to` other than e + 1, the link to e is pointed at
   * entry to - 1 instead (the entry that takes e's place), which keeps e's own next.
   */
  protected unlink(e: number, to: number): void {
    const buckets = this.buckets!;
    const entries = this.entries;
    const b = entries[e * EW]! & (buckets.length - 1);
    const replace = to !== e + 1;
    const next = replace ? to : entries[e * EW + E_NEXT]!;
    if (buckets[b] === e + 1) {
      buckets[b] = next;
      return;
    }
    for (let h = buckets[b]!; h !== 0; h = entries[(h - 1) * EW + E_NEXT]!) {
      if (entries[(h - 1) * EW + E_NEXT] === e + 1) {
        entries[(h - 1) * EW + E_NEXT] = next;
        return;
      }
    }
    throw new Error('set member missing from its bucket');
  }

  /** Rebuilds the chains over `size` buckets. */
  protected resize(size: number): void {
    this.buckets = new Uint32Array(size);
    for (let e = 0; e < this.count; e++) this.link(e);
  }
}

/** A copy of array at `length` words (longer: zero-filled; shorter: cut). */
export function growTo(array: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(length);
  out.set(array.subarray(0, Math.min(array.length, out.length)));
  return out;
}
