// A set of sealed members (redis t_set.c over dict.c), indexed by a keyed digest of each member
// that the caller computes (DIGEST_BYTES, as src/seal/name-hash.ts does for key names): the set
// never sees a plaintext member, only digests and sealed bytes. Digests must come from one key
// for every set, so the algebra below can compare members of different sets by digest alone.
//
// Layout, all outside the V8 heap but the two index arrays:
//   - each member is one arena block: next-in-chain handle, dense index, sealed length (3 u32),
//     then the 16-byte digest, then the sealed bytes;
//   - buckets: a power-of-two Uint32Array of chain heads, the bucket being the digest's first
//     32 bits masked (the digest is already a keyed random value, so nothing more to mix);
//   - dense: every member's handle packed in one Uint32Array, for uniform random picks and
//     pops in O(1) and fast walks.
// The table doubles past one member per bucket and halves below one per eight (Redis's dict
// rules), at once rather than incrementally: a rehash walks the dense array (~10 ns a member).
// Sets of up to SMALL members have neither: their blocks are chained through the next-in-chain
// word from one head handle, so a small set is one object and its blocks (see SMALL).
//
// SSCAN: the cursor is Redis's reverse-binary bucket cursor (dict.c dictScan) over the single
// table. Because a bucket's members move only to its split images on growth and its merge on
// shrink, and the cursor counts up in the reversed bits, every member present throughout a scan
// is returned at least once, whatever resizes happen between calls; some may come twice. The
// cursor is stateless: the next bucket index, nothing kept server-side.
//
// Member ids handed out (MemberId) are block handles, valid until the set next changes.

import { nextBucket } from '../../util/scan-order.js';
import { RecordArena } from '../record-arena.js';
import { blockBytes, collectionArena, offsetOf, type BlockArena } from './blocks.js';

export const DIGEST_BYTES = 16;
/** Words before the sealed bytes: next, dense index, length, then four of digest. */
const W_NEXT = 0;
const W_DENSE = 1;
const W_LENGTH = 2;
const W_DIGEST = 3;
const HEADER_BYTES = 12 + DIGEST_BYTES;
/**
 * Up to this many members a set has no buckets and no dense array: its blocks form one chain
 * and a lookup compares the digests along it, as Redis keeps small sets in one compact blob. It
 * saves two typed arrays (about 350 bytes with their ArrayBuffers) per small set, which is most
 * of what a set of a few members costs beside its members; buckets and the dense array come
 * back past SMALL and go below SMALL / 2.
 */
const SMALL = 8;
const MIN_BUCKETS = 16;
/** Estimated heap cost of the set object, and of each typed array with its ArrayBuffer (V8, 64-bit). */
const SET_OVERHEAD = 80;
const ARRAY_OVERHEAD = 160;

/** A member of a set: opaque, valid until that set next changes. */
export type MemberId = number;
/** Looks at one member; false stops the walk. */
export type MemberVisitor = (id: MemberId) => boolean | void;

/** Random numbers in [0, 1); Math.random in the server, a seeded generator in tests. */
export type Random = () => number;

/** A digest's four 32-bit words (little-endian), read once per operation. */
let d0 = 0;
let d1 = 0;
let d2 = 0;
let d3 = 0;

function loadDigest(digest: Uint8Array, at: number): void {
  if (digest.length - at < DIGEST_BYTES) throw new RangeError(`a member digest is ${DIGEST_BYTES} bytes`);
  d0 = (digest[at]! | (digest[at + 1]! << 8) | (digest[at + 2]! << 16) | (digest[at + 3]! << 24)) >>> 0;
  d1 = (digest[at + 4]! | (digest[at + 5]! << 8) | (digest[at + 6]! << 16) | (digest[at + 7]! << 24)) >>> 0;
  d2 = (digest[at + 8]! | (digest[at + 9]! << 8) | (digest[at + 10]! << 16) | (digest[at + 11]! << 24)) >>> 0;
  d3 = (digest[at + 12]! | (digest[at + 13]! << 8) | (digest[at + 14]! << 16) | (digest[at + 15]! << 24)) >>> 0;
}


export class SealedSet {
  /** Chain heads; null while the set is small (see SMALL). */
  private buckets: Uint32Array<ArrayBuffer> | null = null;
  /** Every member's handle; null while the set is small. */
  private dense: Uint32Array<ArrayBuffer> | null = null;
  /** While small: the first block of the chain of members (0 when empty). */
  private head = 0;
  private count = 0;
  private blockTotal = 0;

  /** The arena the members live in (the algebra's scratch sets use it too). */
  constructor(readonly arena: BlockArena = collectionArena()) {}

  get size(): number {
    return this.count;
  }

  /** Approximate bytes held (maxmemory accounting, MEMORY USAGE). */
  memoryBytes(): number {
    const buckets = this.buckets === null ? 0 : ARRAY_OVERHEAD + 4 * this.buckets.length;
    const dense = this.dense === null ? 0 : ARRAY_OVERHEAD + 4 * this.dense.length;
    return SET_OVERHEAD + this.blockTotal + dense + buckets;
  }

  /** The member with this digest (DIGEST_BYTES at `at` in digest), or 0. */
  find(digest: Uint8Array, at = 0): MemberId {
    loadDigest(digest, at);
    return this.findLoaded();
  }

  has(digest: Uint8Array, at = 0): boolean {
    return this.find(digest, at) !== 0;
  }

  /** Adds a member (SADD); false, with the stored member kept, when the digest is already in. */
  add(digest: Uint8Array, sealed: Uint8Array): boolean {
    loadDigest(digest, 0);
    if (this.findLoaded() !== 0) return false;
    const handle = this.newBlock(sealed, 0, sealed.length);
    if (this.dense === null) {
      this.setNext(handle, this.head);
      this.head = handle;
      if (++this.count > SMALL) this.toLarge();
      return true;
    }
    if (this.count === this.dense.length) this.dense = growTo(this.dense, this.dense.length * 2);
    this.link(handle, this.count);
    this.count++;
    if (this.count > this.buckets!.length) this.resize(this.buckets!.length * 2);
    return true;
  }

  /** Removes the member with this digest (SREM); false when absent. */
  remove(digest: Uint8Array, at = 0): boolean {
    const id = this.find(digest, at);
    if (id === 0) return false;
    this.removeId(id);
    return true;
  }

  /** Removes a member found by id (SPOP, SMOVE). */
  removeId(id: MemberId): void {
    const words = this.arena.words[RecordArena.slab(id)]!;
    const w = offsetOf(id) >>> 2;
    if (this.dense === null) {
      this.unchain(id);
      this.count--;
      this.freeBlock(id, words[w + W_LENGTH]!);
      return;
    }
    this.unlink(id, words[w + W_DIGEST]!);
    // The last dense slot fills the hole.
    const index = words[w + W_DENSE]!;
    const last = this.dense[--this.count]!;
    this.dense[index] = last;
    this.arena.words[RecordArena.slab(last)]![(offsetOf(last) >>> 2) + W_DENSE] = index;
    this.freeBlock(id, words[w + W_LENGTH]!);
    if (this.count <= SMALL / 2) return this.toSmall();
    if (this.count < this.buckets!.length / 8 && this.buckets!.length > MIN_BUCKETS) this.resize(this.buckets!.length / 2);
    if (this.count < this.dense.length / 4 && this.dense.length > 16) this.dense = growTo(this.dense, this.dense.length / 2);
  }

  /** The member's sealed bytes as a view (valid until the set changes). */
  sealedOf(id: MemberId): Buffer {
    const bytes = this.arena.bytes[RecordArena.slab(id)]!;
    const at = offsetOf(id);
    return bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + this.arena.words[RecordArena.slab(id)]![(at >>> 2) + W_LENGTH]!);
  }

  /** The member's digest as a view. */
  digestOf(id: MemberId): Buffer {
    const at = offsetOf(id) + 12;
    return this.arena.bytes[RecordArena.slab(id)]!.subarray(at, at + DIGEST_BYTES);
  }

  /** Where the member's sealed bytes lie, to open them in place: slab, start, length. */
  slabOf(id: MemberId): Buffer {
    return this.arena.bytes[RecordArena.slab(id)]!;
  }

  sealedStart(id: MemberId): number {
    return offsetOf(id) + HEADER_BYTES;
  }

  sealedLength(id: MemberId): number {
    return this.arena.words[RecordArena.slab(id)]![(offsetOf(id) >>> 2) + W_LENGTH]!;
  }

  /** Visits every member (SMEMBERS); the set must not change meanwhile. */
  forEach(visit: MemberVisitor): void {
    const dense = this.dense;
    if (dense === null) {
      for (let h = this.head; h !== 0; h = this.nextOf(h)) if (visit(h) === false) return;
      return;
    }
    for (let i = 0; i < this.count; i++) if (visit(dense[i]!) === false) return;
  }

  /** A uniformly random member, or 0 when empty (SRANDMEMBER without a count). */
  randomMember(random: Random = Math.random): MemberId {
    if (this.count === 0) return 0;
    const k = Math.floor(random() * this.count);
    if (this.dense !== null) return this.dense[k]!;
    let h = this.head;
    for (let i = 0; i < k; i++) h = this.nextOf(h);
    return h;
  }

  /** Every member's id, in walk order: the dense array itself (a view) or, for a small set, a new array. */
  private ids(): Uint32Array {
    if (this.dense !== null) return this.dense.subarray(0, this.count);
    const out = new Uint32Array(this.count);
    let i = 0;
    for (let h = this.head; h !== 0; h = this.nextOf(h)) out[i++] = h;
    return out;
  }

  /**
   * SRANDMEMBER with count >= 0: min(count, size) distinct members, uniformly. As Redis does,
   * a draw of most of the set shuffles a copy of the members partway, a small draw picks at
   * random and drops repeats.
   */
  sample(count: number, random: Random = Math.random): MemberId[] {
    const n = this.count;
    const ids = this.ids();
    if (count >= n) return Array.from(ids);
    const out: MemberId[] = [];
    if (count * 3 > n) {
      const pool = ids.slice();
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
      out.push(ids[i]!);
    }
    return out;
  }

  /** SRANDMEMBER with a negative count: `count` members drawn with repetition. */
  sampleWithRepetition(count: number, random: Random = Math.random): MemberId[] {
    const out: MemberId[] = [];
    if (this.count === 0) return out;
    const ids = this.ids();
    for (let i = 0; i < count; i++) out.push(ids[Math.floor(random() * this.count)]!);
    return out;
  }

  /** SPOP: removes a uniformly random member and returns copies of its bytes, or undefined. */
  popRandom(random: Random = Math.random): { sealed: Buffer; digest: Buffer } | undefined {
    const id = this.randomMember(random);
    if (id === 0) return undefined;
    const out = { sealed: Buffer.from(this.sealedOf(id)), digest: Buffer.from(this.digestOf(id)) };
    this.removeId(id);
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
      for (let h = this.head; h !== 0; h = this.nextOf(h)) visit(h);
      return 0;
    }
    let v = cursor >>> 0;
    const mask = buckets.length - 1;
    let budget = Math.max(1, count) * 10;
    let seen = 0;
    do {
      for (let h = buckets[v & mask]!; h !== 0; h = this.nextOf(h)) {
        visit(h);
        seen++;
      }
      v = nextBucket(v, mask);
    } while (v !== 0 && seen < count && --budget > 0);
    return v;
  }

  /**
   * Re-seals every member in place (key rotation, RENAME): reseal gets each member's sealed
   * bytes where they lie and returns the replacement, which may differ in length.
   */
  replaceEach(reseal: (bytes: Buffer, start: number, length: number) => Uint8Array): void {
    const ids = this.ids().slice();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const bytes = this.slabOf(id);
      const start = this.sealedStart(id);
      const length = this.sealedLength(id);
      const fresh = reseal(bytes, start, length);
      if (fresh.length === length) {
        bytes.set(fresh, start);
        continue;
      }
      loadDigest(bytes, offsetOf(id) + 12);
      const handle = this.newBlock(fresh, 0, fresh.length);
      this.swapBlock(id, handle);
      this.freeBlock(id, length);
    }
  }

  /** Drops every member. */
  clear(): void {
    const ids = this.ids();
    for (let i = 0; i < ids.length; i++) this.freeBlock(ids[i]!, this.sealedLength(ids[i]!));
    this.count = 0;
    this.head = 0;
    this.buckets = null;
    this.dense = null;
  }

  /** Bucket count, 0 for a small set (tests: resizes during scans). */
  get bucketCount(): number {
    return this.buckets?.length ?? 0;
  }

  private nextOf(h: number): number {
    return this.arena.words[RecordArena.slab(h)]![(offsetOf(h) >>> 2) + W_NEXT]!;
  }

  private setNext(h: number, next: number): void {
    this.arena.words[RecordArena.slab(h)]![(offsetOf(h) >>> 2) + W_NEXT] = next;
  }

  /** Takes a block out of a small set's chain. */
  private unchain(handle: number): void {
    if (this.head === handle) {
      this.head = this.nextOf(handle);
      return;
    }
    for (let h = this.head; h !== 0; h = this.nextOf(h)) {
      if (this.nextOf(h) === handle) {
        this.setNext(h, this.nextOf(handle));
        return;
      }
    }
    throw new Error('set member missing from its chain');
  }

  /** Past SMALL members: the chain becomes the dense array and a bucket table. */
  private toLarge(): void {
    const dense = new Uint32Array(MIN_BUCKETS);
    let i = 0;
    for (let h = this.head; h !== 0; h = this.nextOf(h)) dense[i++] = h;
    this.dense = dense;
    this.head = 0;
    this.resize(MIN_BUCKETS);
  }

  /** At SMALL / 2 members: back to one chain, the arrays dropped. */
  private toSmall(): void {
    const dense = this.dense!;
    let head = 0;
    for (let i = this.count - 1; i >= 0; i--) {
      this.setNext(dense[i]!, head);
      head = dense[i]!;
    }
    this.head = head;
    this.dense = null;
    this.buckets = null;
  }

  /** find() for the digest in d0..d3. */
  private findLoaded(): MemberId {
    const words = this.arena.words;
    for (let h = this.buckets === null ? this.head : this.buckets[d0 & (this.buckets.length - 1)]!; h !== 0; ) {
      const slab = words[RecordArena.slab(h)]!;
      const w = offsetOf(h) >>> 2;
      if (slab[w + W_DIGEST] === d0 && slab[w + W_DIGEST + 1] === d1 && slab[w + W_DIGEST + 2] === d2 && slab[w + W_DIGEST + 3] === d3) return h;
      h = slab[w + W_NEXT]!;
    }
    return 0;
  }

  /** A block holding the digest in d0..d3 and the sealed bytes. */
  private newBlock(sealed: Uint8Array, start: number, length: number): number {
    const size = HEADER_BYTES + length;
    const handle = this.arena.alloc(size);
    this.blockTotal += blockBytes(size);
    const words = this.arena.words[RecordArena.slab(handle)]!;
    const w = offsetOf(handle) >>> 2;
    words[w + W_LENGTH] = length;
    words[w + W_DIGEST] = d0;
    words[w + W_DIGEST + 1] = d1;
    words[w + W_DIGEST + 2] = d2;
    words[w + W_DIGEST + 3] = d3;
    this.arena.bytes[RecordArena.slab(handle)]!.set(sealed.subarray(start, start + length), offsetOf(handle) + HEADER_BYTES);
    return handle;
  }

  private freeBlock(handle: number, length: number): void {
    this.arena.free(handle, HEADER_BYTES + length);
    this.blockTotal -= blockBytes(HEADER_BYTES + length);
  }

  /** Puts a block at the head of its bucket's chain and in dense slot `index`. */
  private link(handle: number, index: number): void {
    const words = this.arena.words[RecordArena.slab(handle)]!;
    const w = offsetOf(handle) >>> 2;
    words[w + W_DENSE] = index;
    this.dense![index] = handle;
    const buckets = this.buckets!;
    const bucket = words[w + W_DIGEST]! & (buckets.length - 1);
    words[w + W_NEXT] = buckets[bucket]!;
    buckets[bucket] = handle;
  }

  private unlink(handle: number, hash: number): void {
    if (this.buckets === null) return;
    const bucket = hash & (this.buckets.length - 1);
    let h = this.buckets[bucket]!;
    if (h === handle) {
      this.buckets[bucket] = this.nextOf(handle);
      return;
    }
    while (h !== 0) {
      const next = this.nextOf(h);
      if (next === handle) {
        this.arena.words[RecordArena.slab(h)]![(offsetOf(h) >>> 2) + W_NEXT] = this.nextOf(handle);
        return;
      }
      h = next;
    }
    throw new Error('set member missing from its bucket');
  }

  /** Puts block `to` where block `from` is, in its chain and its dense slot. */
  private swapBlock(from: number, to: number): void {
    const fromWords = this.arena.words[RecordArena.slab(from)]!;
    const w = offsetOf(from) >>> 2;
    if (this.dense === null) {
      this.setNext(to, fromWords[w + W_NEXT]!);
      if (this.head === from) this.head = to;
      else for (let h = this.head; h !== 0; h = this.nextOf(h)) if (this.nextOf(h) === from) this.setNext(h, to);
      return;
    }
    this.unlink(from, fromWords[w + W_DIGEST]!);
    this.link(to, fromWords[w + W_DENSE]!);
  }

  /** Rebuilds the chains over `size` buckets from the dense array. */
  private resize(size: number): void {
    this.buckets = new Uint32Array(size);
    for (let i = 0; i < this.count; i++) this.link(this.dense![i]!, i);
  }
}

function growTo(array: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(length);
  out.set(array.subarray(0, Math.min(array.length, out.length)));
  return out;
}

/**
 * SINTER, SINTERSTORE: visits the members of the smallest set that every other set holds too
 * (Redis sorts by size and probes the smaller sets first). Ids are the smallest set's, passed
 * with it, since its sealed bytes are bound to its key. A visitor returning false stops.
 */
export function intersect(sets: SealedSet[], visit: (from: SealedSet, id: MemberId) => boolean | void): void {
  if (sets.length === 0) return;
  const bySize = [...sets].sort((a, b) => a.size - b.size);
  const smallest = bySize[0]!;
  if (smallest.size === 0) return;
  let stop = false;
  smallest.forEach((id) => {
    const digest = smallest.slabOf(id);
    const at = smallest.sealedStart(id) - DIGEST_BYTES;
    for (let i = 1; i < bySize.length; i++) if (!bySize[i]!.has(digest, at)) return true;
    stop = visit(smallest, id) === false;
    return !stop;
  });
}

/** SINTERCARD: the intersection's size, counting no further than limit (0 = no limit). */
export function intersectCardinality(sets: SealedSet[], limit = 0): number {
  let n = 0;
  intersect(sets, () => ++n !== limit);
  return n;
}

/**
 * SUNION, SUNIONSTORE: visits each distinct member once, from the first set (in argument
 * order) that holds it.
 */
export function union(sets: SealedSet[], visit: (from: SealedSet, id: MemberId) => boolean | void): void {
  if (sets.length === 0) return;
  const seen = new SealedSet(sets[0]!.arena);
  const none = new Uint8Array(0);
  try {
    for (const set of sets) {
      let stop = false;
      set.forEach((id) => {
        if (!seen.add(set.digestOf(id), none)) return true;
        stop = visit(set, id) === false;
        return !stop;
      });
      if (stop) return;
    }
  } finally {
    seen.clear();
  }
}

/**
 * SDIFF, SDIFFSTORE: visits the members of the first set that no other set holds. The other
 * sets are probed largest first (most likely to hold a member), empty ones skipped.
 */
export function difference(sets: SealedSet[], visit: (from: SealedSet, id: MemberId) => boolean | void): void {
  const first = sets[0];
  if (first === undefined) return;
  const others = sets.slice(1).filter((s) => s.size > 0 && s !== first).sort((a, b) => b.size - a.size);
  if (sets.slice(1).includes(first)) return;
  first.forEach((id) => {
    const digest = first.slabOf(id);
    const at = first.sealedStart(id) - DIGEST_BYTES;
    for (const other of others) if (other.has(digest, at)) return true;
    return visit(first, id);
  });
}
