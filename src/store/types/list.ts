// A list of sealed elements (redis t_list.c over quicklist.c): a deque of nodes, each node one
// arena block holding up to NODE_BYTES of packed entries, listpack style:
//   [length, LEB128][sealed bytes][length again, LEB128 written backwards]
// The trailing copy lets a node be read from either end, so both ends push and pop in O(1)
// (amortised: a node's block grows by half when full, and the payload slides to give the room
// to the end being pushed); an index walks node counts from the nearer end, then entries inside
// one node: O(n / entries per node + entries per node). Per element the list costs its sealed
// bytes plus 2 length bytes (elements under 128 bytes; 4 under 16 KiB) plus a share of a node.
//
// The list never sees plaintext: the caller seals what it pushes and opens what it reads.
// Reads hand out the element where it lies, as (bytes, start, length) for visitors or a view
// Buffer from at(); both are valid until the list next changes. Pops hand out a copy.
// Indexes are 0-based from the head and already normalised (0 <= i < length): Redis's negative
// indexes are turned into these by normalizeIndex / normalizeRange, so the rules sit in one place.

import { RecordArena } from '../record-arena.js';
import { blockBytes, collectionArena, offsetOf, type BlockArena } from './blocks.js';

/** Payload bytes per node (quicklist's default list-max-listpack-size -2: 8 KiB). */
export const NODE_BYTES = 8192;
/** Up to this size a node's block grows to fit exactly. */
const SMALL_BLOCK = 512;
/** Estimated heap cost of a node object and its slot in the node array (V8, 64-bit). */
const NODE_OVERHEAD = 64;
/** Estimated heap cost of the list object and its node array. */
const LIST_OVERHEAD = 96;

/** Looks at one stored element: `length` sealed bytes at `start` in `bytes` (do not keep them). */
export type ElementVisitor = (bytes: Buffer, start: number, length: number) => boolean | void;
/** Decides about one stored element (opening it as it needs). */
export type ElementPredicate = (bytes: Buffer, start: number, length: number) => boolean;

interface ListNode {
  handle: number;
  /** The slab the block lives in, and the block's offset in it. */
  buf: Buffer;
  base: number;
  cap: number;
  /** The payload is [lo, hi) relative to base. */
  lo: number;
  hi: number;
  count: number;
}

function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes an element of `length` takes in a node. */
export function entryBytes(length: number): number {
  return length + 2 * varintBytes(length);
}

/** Set by readForward/readBackward: the length prefix's size. */
let lastVarint = 0;
/**
 * Set by locate(): the entry's index in its node and its offset (relative to base). Module
 * state rather than fields: every list would carry them, and they never outlive one call.
 */
let foundEntry = 0;
let foundAt = 0;

function readForward(buf: Buffer, p: number): number {
  let n = 0;
  let mult = 1;
  let i = 0;
  for (;;) {
    const b = buf[p + i++]!;
    n += (b & 0x7f) * mult;
    if (b < 0x80) break;
    mult *= 128;
  }
  lastVarint = i;
  return n;
}

/** The length stored just before `q`. */
function readBackward(buf: Buffer, q: number): number {
  let n = 0;
  let mult = 1;
  let i = 0;
  for (;;) {
    const b = buf[q - 1 - i++]!;
    n += (b & 0x7f) * mult;
    if (b < 0x80) break;
    mult *= 128;
  }
  lastVarint = i;
  return n;
}

/** Writes one entry at p; returns where it ends. */
function writeEntry(buf: Buffer, p: number, el: Uint8Array, elStart = 0, length = el.length): number {
  if (length < 0x80) {
    // The common case (sealed elements under 128 bytes): one length byte at each end.
    buf[p] = length;
    buf[p + 1 + length] = length;
    for (let i = 0; i < length; i++) buf[p + 1 + i] = el[elStart + i]!;
    return p + 2 + length;
  }
  const v = varintBytes(length);
  let n = length;
  for (let i = 0; i < v; i++) {
    const group = n % 128;
    n = Math.floor(n / 128);
    buf[p + i] = i < v - 1 ? group | 0x80 : group;
    // The backward copy: least significant group last, continuation bit on all but the first.
    buf[p + 2 * v + length - 1 - i] = i < v - 1 ? group | 0x80 : group;
  }
  if (length <= 64) for (let i = 0; i < length; i++) buf[p + v + i] = el[elStart + i]!;
  else buf.set(el.subarray(elStart, elStart + length), p + v);
  return p + 2 * v + length;
}

/** Redis index rules (LINDEX, LSET): -1 is the last element. -1 when out of range. */
export function normalizeIndex(index: number, length: number): number {
  const i = index < 0 ? length + index : index;
  return i >= 0 && i < length ? i : -1;
}

/**
 * Redis range rules (LRANGE, LTRIM): negative indexes count from the tail, start is clamped to
 * 0 and stop to the last element. The inclusive range, or null when it is empty.
 */
export function normalizeRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start = Math.max(0, length + start);
  if (stop < 0) stop = length + stop;
  if (stop >= length) stop = length - 1;
  return start > stop || start >= length ? null : [start, stop];
}

export class SealedList {
  private nodes: ListNode[] = [];
  private size = 0;
  /** Sum of the nodes' block bytes. */
  private blockTotal = 0;

  constructor(private readonly arena: BlockArena = collectionArena()) {}

  get length(): number {
    return this.size;
  }

  /** Approximate bytes held (maxmemory accounting, MEMORY USAGE): blocks plus object overheads. */
  memoryBytes(): number {
    return LIST_OVERHEAD + this.blockTotal + this.nodes.length * NODE_OVERHEAD;
  }

  pushHead(el: Uint8Array): void {
    const need = entryBytes(el.length);
    let node = this.nodes[0];
    if (node === undefined || !this.makeRoom(node, need, true)) {
      node = this.newNode(need, this.nodes.length > 0, true);
      this.addNode(node, true);
    }
    node.lo -= need;
    writeEntry(node.buf, node.base + node.lo, el);
    node.count++;
    this.size++;
  }

  pushTail(el: Uint8Array): void {
    const need = entryBytes(el.length);
    let node = this.nodes[this.nodes.length - 1];
    if (node === undefined || !this.makeRoom(node, need, false)) {
      node = this.newNode(need, this.nodes.length > 0, false);
      this.addNode(node, false);
    }
    writeEntry(node.buf, node.base + node.hi, el);
    node.hi += need;
    node.count++;
    this.size++;
  }

  /**
   * Pushes each element in turn at the head (LPUSH: the last ends up first) or the tail, making
   * room for all of them at once: a block that grows once instead of once per element (the
   * blocks left behind by each growth are reused only after the current turn).
   */
  pushMany(els: readonly Uint8Array[], atHead: boolean): void {
    let need = 0;
    for (const el of els) need += entryBytes(el.length);
    if (need <= NODE_BYTES) {
      const end = atHead ? this.nodes[0] : this.nodes[this.nodes.length - 1];
      if (end === undefined) this.addNode(this.newNode(need, false, atHead), atHead);
      else this.makeRoom(end, need, atHead);
    }
    for (const el of els) {
      if (atHead) this.pushHead(el);
      else this.pushTail(el);
    }
  }

  /** Removes and returns the head element (a copy), or undefined when empty. */
  popHead(): Buffer | undefined {
    const node = this.nodes[0];
    if (node === undefined) return undefined;
    const length = readForward(node.buf, node.base + node.lo);
    const start = node.base + node.lo + lastVarint;
    const out = Buffer.from(node.buf.subarray(start, start + length));
    node.lo += entryBytes(length);
    this.afterPop(node, 0);
    return out;
  }

  /** Removes and returns the tail element (a copy), or undefined when empty. */
  popTail(): Buffer | undefined {
    const last = this.nodes.length - 1;
    const node = this.nodes[last];
    if (node === undefined) return undefined;
    const length = readBackward(node.buf, node.base + node.hi);
    const start = node.base + node.hi - lastVarint - length;
    const out = Buffer.from(node.buf.subarray(start, start + length));
    node.hi -= entryBytes(length);
    this.afterPop(node, last);
    return out;
  }

  /**
   * Pops the head element without copying it: `visit` sees it where it lies (to open it straight
   * into a reply), then it goes. False when empty. If visit throws, the element stays.
   */
  takeHead(visit: (bytes: Buffer, start: number, length: number) => void): boolean {
    const node = this.nodes[0];
    if (node === undefined) return false;
    const length = readForward(node.buf, node.base + node.lo);
    visit(node.buf, node.base + node.lo + lastVarint, length);
    node.lo += entryBytes(length);
    this.afterPop(node, 0);
    return true;
  }

  /** takeHead at the tail. */
  takeTail(visit: (bytes: Buffer, start: number, length: number) => void): boolean {
    const last = this.nodes.length - 1;
    const node = this.nodes[last];
    if (node === undefined) return false;
    const length = readBackward(node.buf, node.base + node.hi);
    visit(node.buf, node.base + node.hi - lastVarint - length, length);
    node.hi -= entryBytes(length);
    this.afterPop(node, last);
    return true;
  }

  /** The element at index (0 <= index < length) as a view, valid until the list changes. */
  at(index: number): Buffer | undefined {
    if (index < 0 || index >= this.size) return undefined;
    const node = this.nodes[this.locate(index)]!;
    const length = readForward(node.buf, node.base + foundAt);
    return node.buf.subarray(node.base + foundAt + lastVarint, node.base + foundAt + lastVarint + length);
  }

  /** Replaces the element at index (LSET). False when out of range. */
  set(index: number, el: Uint8Array): boolean {
    if (index < 0 || index >= this.size) return false;
    const ni = this.locate(index);
    const node = this.nodes[ni]!;
    const length = readForward(node.buf, node.base + foundAt);
    if (length === el.length) {
      node.buf.set(el, node.base + foundAt + lastVarint);
      return true;
    }
    this.splice(ni, foundEntry, 1, el);
    return true;
  }

  /** Inserts el so that it ends up at index (0 <= index <= length): LINSERT BEFORE i is insertAt(i). */
  insertAt(index: number, el: Uint8Array): void {
    if (index < 0 || index > this.size) throw new RangeError(`insert index ${index} outside 0..${this.size}`);
    if (index === 0) return this.pushHead(el);
    if (index === this.size) return this.pushTail(el);
    const ni = this.locate(index);
    const node = this.nodes[ni]!;
    const need = entryBytes(el.length);
    const at = foundAt;
    // Room in the block: slide the shorter side of the payload out of the way.
    if (node.hi - node.lo + need <= node.cap) {
      const base = node.base;
      if (node.lo >= need && (at - node.lo <= node.hi - at || node.cap - node.hi < need)) {
        node.buf.copyWithin(base + node.lo - need, base + node.lo, base + at);
        node.lo -= need;
        writeEntry(node.buf, base + at - need, el);
      } else if (node.cap - node.hi >= need) {
        node.buf.copyWithin(base + at + need, base + at, base + node.hi);
        node.hi += need;
        writeEntry(node.buf, base + at, el);
      } else {
        return this.splice(ni, foundEntry, 0, el);
      }
      node.count++;
      this.size++;
      return;
    }
    this.splice(ni, foundEntry, 0, el);
  }

  /**
   * Visits elements first..last (inclusive, 0 <= first <= last < length) from the head; a
   * visitor returning false stops the walk (LRANGE).
   */
  range(first: number, last: number, visit: ElementVisitor): void {
    if (first > last || first < 0 || last >= this.size) return;
    let ni = this.locate(first);
    let p = foundAt;
    let left = last - first + 1;
    for (; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      const base = node.base;
      if (p < 0) p = node.lo;
      while (p < node.hi) {
        const length = readForward(node.buf, base + p);
        if (visit(node.buf, base + p + lastVarint, length) === false) return;
        if (--left === 0) return;
        p += entryBytes(length);
      }
      p = -1;
    }
  }

  /** Visits every element from the head (or from the tail); false from the visitor stops. */
  forEach(visit: ElementVisitor, fromTail = false): void {
    if (!fromTail) {
      if (this.size > 0) this.range(0, this.size - 1, visit);
      return;
    }
    for (let ni = this.nodes.length - 1; ni >= 0; ni--) {
      const node = this.nodes[ni]!;
      for (let q = node.hi; q > node.lo; ) {
        const length = readBackward(node.buf, node.base + q);
        q -= entryBytes(length);
        if (visit(node.buf, node.base + q + lastVarint, length) === false) return;
      }
    }
  }

  /**
   * LPOS: indexes (from the head) of elements that match. rank > 0 scans from the head and
   * skips the first rank-1 matches, rank < 0 does the same from the tail (rank 0 is the
   * caller's error); count 0 means every match; maxlen > 0 looks at no more than maxlen
   * elements. Indexes come in scan order.
   */
  positions(match: ElementPredicate, rank: number, count: number, maxlen: number): number[] {
    const out: number[] = [];
    const fromTail = rank < 0;
    let skip = Math.abs(rank) - 1;
    let seen = 0;
    let index = fromTail ? this.size : -1;
    this.forEach((bytes, start, length) => {
      if (maxlen > 0 && seen++ >= maxlen) return false;
      index += fromTail ? -1 : 1;
      if (!match(bytes, start, length)) return true;
      if (skip > 0) {
        skip--;
        return true;
      }
      out.push(index);
      return count === 0 || out.length < count;
    }, fromTail);
    return out;
  }

  /** Index of the first element from the head that matches (LINSERT's pivot), or -1. */
  indexOf(match: ElementPredicate): number {
    return this.positions(match, 1, 1, 0)[0] ?? -1;
  }

  /**
   * LREM: removes elements that match, at most `count` of them from the head (count > 0), at
   * most -count from the tail (count < 0), or all of them (count 0). Returns how many went.
   * Each node is compacted in one pass; if the predicate throws, the list stays consistent.
   */
  removeWhere(match: ElementPredicate, count: number): number {
    let limit = count === 0 ? Infinity : Math.abs(count);
    const fromTail = count < 0;
    const before = this.size;
    let ni = fromTail ? this.nodes.length - 1 : 0;
    const first = ni;
    try {
      for (; limit > 0 && ni >= 0 && ni < this.nodes.length; ni += fromTail ? -1 : 1) {
        const node = this.nodes[ni]!;
        limit -= fromTail ? this.compactBackward(node, match, limit) : this.compactForward(node, match, limit);
      }
    } finally {
      // Emptied nodes go, thinned-out neighbours merge: over the nodes visited only.
      if (this.size !== before) this.tidy(Math.min(first, ni) - 1, Math.max(first, ni) + 1);
    }
    return before - this.size;
  }

  /** LTRIM: keeps elements first..last (inclusive, normalised); an empty range (null) clears. */
  trim(range: [number, number] | null): void {
    if (range === null) return this.clear();
    const [first, last] = range;
    this.deleteRange(last + 1, this.size - last - 1);
    this.deleteRange(0, first);
  }

  /** Removes n elements starting at index. */
  deleteRange(index: number, n: number): void {
    n = Math.min(n, this.size - index);
    if (n <= 0 || index < 0) return;
    let ni = this.locate(index);
    const first = ni;
    let k = foundEntry;
    let at = foundAt;
    while (n > 0) {
      const node = this.nodes[ni]!;
      if (k === 0 && n >= node.count) {
        n -= node.count;
        this.size -= node.count;
        this.dropNode(ni);
      } else {
        // Entries k..k+take-1 of this node: find where they end, then close the gap.
        const take = Math.min(n, node.count - k);
        let end = at;
        for (let i = 0; i < take; i++) end += entryBytes(readForward(node.buf, node.base + end));
        if (at === node.lo) node.lo = end;
        else if (end === node.hi) node.hi = at;
        else {
          node.buf.copyWithin(node.base + at, node.base + end, node.base + node.hi);
          node.hi -= end - at;
        }
        node.count -= take;
        this.size -= take;
        n -= take;
        ni++;
      }
      k = 0;
      at = this.nodes[ni]?.lo ?? 0;
    }
    // Only the nodes at the two edges of the range were cut; both now sit around `first`.
    this.tidy(first - 1, first + 1);
  }

  /**
   * Re-seals every element in place (key rotation, RENAME): reseal gets each element where it
   * lies and returns its replacement, which may differ in length.
   */
  replaceEach(reseal: (bytes: Buffer, start: number, length: number) => Uint8Array): void {
    for (let ni = 0; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      const fresh: Uint8Array[] = [];
      let sameLengths = true;
      for (let p = node.lo; p < node.hi; ) {
        const length = readForward(node.buf, node.base + p);
        const next = reseal(node.buf, node.base + p + lastVarint, length);
        if (next.length !== length) sameLengths = false;
        fresh.push(next);
        p += entryBytes(length);
      }
      if (sameLengths) {
        let p = node.lo;
        for (const el of fresh) p = writeEntry(node.buf, node.base + p, el) - node.base;
      } else {
        ni += this.replaceNode(ni, fresh) - 1;
      }
    }
  }

  /** Drops every element. */
  clear(): void {
    for (const node of this.nodes) this.arena.free(node.handle, node.cap);
    this.nodes = [];
    this.size = 0;
    this.blockTotal = 0;
  }

  /** Node count (tests, benchmarks). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * A new end node. A list's first node array is made to fit (an array literal): push on an
   * empty array would reserve room for 16 nodes, ~130 bytes per small list for nothing.
   */
  private addNode(node: ListNode, atHead: boolean): void {
    if (this.nodes.length === 0) this.nodes = [node];
    else if (atHead) this.nodes.unshift(node);
    else this.nodes.push(node);
  }

  /** The node holding index; sets foundEntry (index in the node) and foundAt (its offset). */
  private locate(index: number): number {
    let ni: number;
    let k: number;
    if (index < this.size / 2) {
      ni = 0;
      k = index;
      while (k >= this.nodes[ni]!.count) k -= this.nodes[ni++]!.count;
    } else {
      ni = this.nodes.length - 1;
      k = this.size - 1 - index; // distance from the tail
      while (k >= this.nodes[ni]!.count) k -= this.nodes[ni--]!.count;
      k = this.nodes[ni]!.count - 1 - k;
    }
    const node = this.nodes[ni]!;
    let p: number;
    if (k < node.count / 2) {
      p = node.lo;
      for (let i = 0; i < k; i++) p += entryBytes(readForward(node.buf, node.base + p));
    } else {
      p = node.hi;
      for (let i = node.count; i > k; i--) p -= entryBytes(readBackward(node.buf, node.base + p));
    }
    foundEntry = k;
    foundAt = p;
    return ni;
  }

  /**
   * Gets `need` bytes free at one end of the node, sliding or growing its block; false when
   * the node is full (a new node is then started).
   */
  private makeRoom(node: ListNode, need: number, atHead: boolean): boolean {
    if (atHead ? node.lo >= need : node.cap - node.hi >= need) return true;
    const used = node.hi - node.lo;
    if (used + need > NODE_BYTES) return false;
    const spare = node.cap - used - need;
    if (spare >= node.cap / 4) {
      // Enough room overall: slide the payload to the far end (cheaper than a new block, and
      // a queue's pushes at one end and pops at the other keep reusing one block).
      const lo = atHead ? node.cap - used : 0;
      node.buf.copyWithin(node.base + lo, node.base + node.lo, node.base + node.hi);
      node.lo = lo;
      node.hi = lo + used;
      return true;
    }
    // Small blocks grow to fit exactly (small lists matter most and the copy is short), larger
    // ones by half so pushing a node full copies each byte about three times.
    const fit = used + need;
    const cap = blockBytes(fit <= SMALL_BLOCK ? fit : Math.min(NODE_BYTES, Math.max(fit, Math.floor(node.cap * 1.5))));
    this.moveNode(node, cap, atHead ? cap - used : 0);
    return true;
  }

  /** Moves a node's payload to a new block of `cap` bytes, starting at lo. */
  private moveNode(node: ListNode, cap: number, lo: number): void {
    const handle = this.arena.alloc(cap);
    const buf = this.arena.bytes[RecordArena.slab(handle)]!;
    const base = offsetOf(handle);
    const used = node.hi - node.lo;
    buf.set(node.buf.subarray(node.base + node.lo, node.base + node.hi), base + lo);
    this.arena.free(node.handle, node.cap);
    this.blockTotal += cap - node.cap;
    node.handle = handle;
    node.buf = buf;
    node.base = base;
    node.cap = cap;
    node.lo = lo;
    node.hi = lo + used;
  }

  /**
   * An empty node with room for `need` bytes. The first node of a list fits exactly (small
   * lists matter most); later ones get a whole node at once, as the list is clearly long: no
   * growth copies, and at most one part-filled node per end.
   */
  private newNode(need: number, growing: boolean, atHead: boolean): ListNode {
    const cap = blockBytes(growing ? Math.max(need, NODE_BYTES) : need);
    const handle = this.arena.alloc(cap);
    this.blockTotal += cap;
    const lo = atHead ? cap : 0;
    return { handle, buf: this.arena.bytes[RecordArena.slab(handle)]!, base: offsetOf(handle), cap, lo, hi: lo, count: 0 };
  }

  private afterPop(node: ListNode, ni: number): void {
    node.count--;
    this.size--;
    if (node.count === 0) this.dropNode(ni);
    // Only a lone node gives its slack back: an end node of a longer list is about to empty.
    else if (this.nodes.length === 1) this.maybeShrink(node);
  }

  /** A block much larger than its payload gives the memory back (after pops and removals). */
  private maybeShrink(node: ListNode): void {
    const used = node.hi - node.lo;
    if (node.cap >= 512 && used < node.cap / 4) {
      const cap = blockBytes(Math.floor(used * 1.5));
      this.moveNode(node, cap, (cap - used) >> 1);
    }
  }

  private dropNode(ni: number): void {
    const node = this.nodes[ni]!;
    this.arena.free(node.handle, node.cap);
    this.blockTotal -= node.cap;
    if (ni === 0) this.nodes.shift();
    else if (ni === this.nodes.length - 1) this.nodes.pop();
    else this.nodes.splice(ni, 1);
  }

  /**
    * After removals, over nodes a..b: drops emptied nodes and merges a node into its next one
   * when both together fill at most half a node (as quicklist does), so thinned-out stretches
   * do not keep a block per few elements; otherwise gives back a mostly empty block's slack.
   */
  private tidy(a: number, b: number): void {
    a = Math.max(0, a);
    for (let ni = Math.min(b, this.nodes.length - 1); ni >= a; ni--) {
      const node = this.nodes[ni]!;
      if (node.count === 0) {
        this.dropNode(ni);
        continue;
      }
      const next = this.nodes[ni + 1];
      if (next !== undefined && next.hi - next.lo + node.hi - node.lo <= NODE_BYTES / 2) this.mergeInto(ni);
      else this.maybeShrink(node);
    }
  }

  /** Joins nodes ni and ni + 1 into one exact-fit block at ni. */
  private mergeInto(ni: number): void {
    const a = this.nodes[ni]!;
    const b = this.nodes[ni + 1]!;
    const ua = a.hi - a.lo;
    const ub = b.hi - b.lo;
    const cap = blockBytes(ua + ub);
    const handle = this.arena.alloc(cap);
    const buf = this.arena.bytes[RecordArena.slab(handle)]!;
    const base = offsetOf(handle);
    buf.set(a.buf.subarray(a.base + a.lo, a.base + a.hi), base);
    buf.set(b.buf.subarray(b.base + b.lo, b.base + b.hi), base + ua);
    this.arena.free(a.handle, a.cap);
    this.arena.free(b.handle, b.cap);
    this.blockTotal += cap - a.cap - b.cap;
    this.nodes[ni] = { handle, buf, base, cap, lo: 0, hi: ua + ub, count: a.count + b.count };
    this.nodes.splice(ni + 1, 1);
  }

  /**
   * The general change to one node: remove `remove` entries at entry k and put `el` there,
   * repacking the node into as many nodes as the result needs. O(entries in the node).
   */
  private splice(ni: number, k: number, remove: number, el: Uint8Array | undefined): void {
    const node = this.nodes[ni]!;
    const entries: Uint8Array[] = [];
    for (let p = node.lo; p < node.hi; ) {
      const length = readForward(node.buf, node.base + p);
      const start = node.base + p + lastVarint;
      entries.push(node.buf.subarray(start, start + length));
      p += entryBytes(length);
    }
    if (el === undefined) entries.splice(k, remove);
    else entries.splice(k, remove, el);
    this.size += entries.length - node.count;
    this.replaceNode(ni, entries);
  }

  /** Replaces node ni by nodes packed from entries (views into the old block are fine: it is freed last). Returns how many. */
  private replaceNode(ni: number, entries: Uint8Array[]): number {
    const old = this.nodes[ni]!;
    const fresh: ListNode[] = [];
    let from = 0;
    while (from < entries.length) {
      let bytes = 0;
      let to = from;
      while (to < entries.length) {
        const size = entryBytes(entries[to]!.length);
        if (to > from && bytes + size > NODE_BYTES) break;
        bytes += size;
        to++;
      }
      const node = this.newNode(bytes, false, false);
      for (let i = from; i < to; i++) node.hi = writeEntry(node.buf, node.base + node.hi, entries[i]!) - node.base;
      node.count = to - from;
      fresh.push(node);
      from = to;
    }
    this.arena.free(old.handle, old.cap);
    this.blockTotal -= old.cap;
    this.nodes.splice(ni, 1, ...fresh);
    return fresh.length;
  }

  /** One pass from the node's head: drops up to limit matching entries, keeps the rest packed. */
  private compactForward(node: ListNode, match: ElementPredicate, limit: number): number {
    const { buf, base } = node;
    let r = node.lo;
    let w = node.lo;
    let gone = 0;
    try {
      while (r < node.hi && gone < limit) {
        const length = readForward(buf, base + r);
        const size = entryBytes(length);
        if (match(buf, base + r + lastVarint, length)) {
          gone++;
        } else {
          if (w !== r) buf.copyWithin(base + w, base + r, base + r + size);
          w += size;
        }
        r += size;
      }
    } finally {
      // The rest (or, after a throw, everything not yet looked at) closes the gap in one move.
      if (w !== r) buf.copyWithin(base + w, base + r, base + node.hi);
      node.hi -= r - w;
      node.count -= gone;
      this.size -= gone;
    }
    return gone;
  }

  /** compactForward from the node's tail. */
  private compactBackward(node: ListNode, match: ElementPredicate, limit: number): number {
    const { buf, base } = node;
    let r = node.hi;
    let w = node.hi;
    let gone = 0;
    try {
      while (r > node.lo && gone < limit) {
        const length = readBackward(buf, base + r);
        const size = entryBytes(length);
        if (match(buf, base + r - size + varintBytes(length), length)) {
          gone++;
        } else {
          if (w !== r) buf.copyWithin(base + w - size, base + r - size, base + r);
          w -= size;
        }
        r -= size;
      }
    } finally {
      if (w !== r) buf.copyWithin(base + node.lo + (w - r), base + node.lo, base + r);
      node.lo += w - r;
      node.count -= gone;
      this.size -= gone;
    }
    return gone;
  }
}
