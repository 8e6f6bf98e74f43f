// A list (redis t_list.c over quicklist.c): a deque of nodes, each node one arena block. A node
// is in one of two forms:
//   sealed: its elements' plaintext, [varint length][bytes] each, sealed as ONE blob bound to
//           database, key and the node's id (a listpack sealed whole, as Redis's
//           list-compress-depth compresses a whole node). Interior nodes are always sealed.
//   loose:  each element sealed on its own, stored listpack style as
//           [length, LEB128][sealed bytes][length again, LEB128 written backwards]
//           so the node reads from either end. Only the two end nodes may be loose: elements
//           too large for an open end (OPEN_ELEMENT) are pushed this way, one seal each.
// Pushes and pops of small elements go through the end node OPEN for the event-loop turn
// (OpenEnd): the first push or pop at an end in a turn opens the (small, sealed) end node, or
// starts a new one, into a scratch buffer; the turn's next pushes and pops at that end work on
// the plaintext without the AEAD; settleOpenLists() (the server's end-of-turn hook,
// src/commands/values/turn-end.ts) seals a node pushed to once, and only wipes one popped from (the
// popped elements' bytes stay sealed in its blob as dead bytes, deadHead/deadTail, never
// emitted again). Every other method settles the list's open ends first, so it never sees a
// stale node and no plaintext outlives the turn. A sealed end node larger than OPEN_BYTES is cut
// into groups of OPEN_BYTES when popped from; the small nodes pushes leave behind are packed
// into full nodes when the list rests. A loose end node that stops being an end is sealed whole.
// Large pushes (RPUSH with many arguments) build sealed nodes straight from the arguments.
// A node holds up to list-max-listpack-size: 8 KiB of plaintext by default, as Redis's.
//
// Node order: ids rise strictly from head to tail (new tail nodes take larger ids, new head
// nodes smaller, a node split in the middle ids between its neighbours'), and a sealed node's
// id is bound into its seal. Opening a node checks that its neighbours' ids are below and
// above its own, so nodes swapped, repeated or moved between lists fail to open.
//
// The list never calls the AEAD itself: a ListCodec (src/seal/list-codec.ts) bound to one
// database and key seals and opens for it. Plaintext passes through the scratch buffers of
// list-encoding.ts, wiped before each method returns (an open end's, when the turn ends). Visitors see an element's plaintext as
// (bytes, start, length), valid during the call only: do not keep it.
// Indexes are 0-based from the head and already normalised (0 <= i < length): Redis's negative
// indexes are turned into these by normalizeIndex / normalizeRange.

import { RecordArena } from '../record-arena.js';
import { blockBytes, collectionArena, offsetOf, type BlockArena } from './blocks.js';
import {
  building, cutRuns, edited, element, emitPlain, entryBytes, entryStarts, lastVarint, opened, plainEntryBytes, readBackward, readForward,
  Scratch, sealedCopy, varintBytes, writeEntry, writeSealedEntry, writeVarint,
  type ElementPredicate, type Elements, type ElementTarget, type ElementVisitor, type ListCodec, type SealedVisitor,
} from './list-encoding.js';

export { entryBytes, plainEntryBytes } from './list-encoding.js';
export type { ElementPredicate, ElementSink, ElementTarget, ElementVisitor, Elements, ListCodec, SealedVisitor } from './list-encoding.js';

/** Plaintext bytes per node by default (quicklist's default list-max-listpack-size -2: 8 KiB). */
export const NODE_BYTES = 8192;
/** A loose node's block stops growing here (the arena's largest size class): it is then full. */
const LOOSE_MAX = 64 * 1024;
/** Up to this size a node's block grows to fit exactly. */
const SMALL_BLOCK = 512;
/** Estimated heap cost of a node object and its slot in the node array (V8, 64-bit). */
const NODE_OVERHEAD = 88;
/** Estimated heap cost of the list object and its node array. */
const LIST_OVERHEAD = 96;
/** Id distance between a new end node and the old end. */
const ID_STEP = 65536;
/** Past this an id is renumbered (doubles stay exact integers up to 2^53). */
const ID_LIMIT = 2 ** 52;
/** A push of at least this many plaintext bytes builds sealed nodes directly. */
const BULK_BYTES = 2048;
/** Loose nodes a list may keep between its ends until it rests (then they are sealed); past this, at once. */
const DEFER_MAX = 256;
/**
 * Small sealed nodes (left by pushes through open ends) a list may keep between its ends until it
 * rests (then packed into full nodes); past this, they are packed at once, a few full nodes at a
 * time. Packing opens every element once more and seals it once more whenever it runs; a small
 * bound keeps the node array short (pushes at the head shift it) and the node walks of LINDEX,
 * LSET and LINSERT cheap (64 measured 1.58 us per LPUSH in bench/micro/floor-path.ts against
 * 1.65 with 256 and 1.93 with 2048).
 */
const SMALL_DEFER_MAX = 64;
/** A list untouched this long is at rest: its waiting loose nodes are sealed. */
const REST_MS = 100;
/** Work per rest tick (ms), so sealing at rest never holds up commands for long. */
const REST_BUDGET_MS = 2;
/**
 * An end node pushed to or popped from is OPEN for the rest of the event-loop turn (see OpenEnd):
 * its plaintext, up to this many bytes (a sealed node larger than that is first cut into groups
 * of this size when popped from), sits in a scratch buffer where the turn's pushes and pops at
 * that end work without the AEAD; it is sealed once (or, when only popped from, just wiped) when
 * the turn ends, so a pipeline's pushes or pops at one end cost one open and one seal per turn
 * instead of one per element.
 */
export const OPEN_BYTES = 1024;
/** Elements larger than this (plaintext entry bytes) are pushed sealed on their own, as before. */
const OPEN_ELEMENT = OPEN_BYTES / 4;
/** A scratch of an open end: room for OPEN_BYTES of plaintext and OPEN_BYTES of slack either side. */
const OPEN_SCRATCH = 3 * OPEN_BYTES;
/** Lists with open ends at once at most (the oldest is settled when another opens past this). */
const OPEN_LISTS = 64;

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
  /** Plaintext bytes of its elements as a sealed node holds them (varint + bytes each). */
  plain: number;
  id: number;
  sealed: boolean;
  /**
   * A sealed node popped from (a group, see takeHead): plaintext bytes at the start and at the
   * end of its sealed blob whose elements are already gone (never emitted again). 0 otherwise.
   */
  deadHead: number;
  deadTail: number;
  /** Cut from a larger node for pops (cutGroups): not packed back together at rest (the pops would cut it again). */
  group: boolean;
}

/** A sealed node popped from, opened whole (its gone elements' bytes too): wiped before each method returns. */
const grouped = new Scratch();
/** Uint8Array's own fill: Buffer's goes through argument checks in JS first. */
const fillBytes = Uint8Array.prototype.fill;

/**
 * An end node open for the turn: its live elements' plaintext ([varint length][bytes] each) is
 * buf[lo, hi), what the node's count and plain say; its block still holds the blob it was
 * opened from (none for a node started this turn), whose plaintext was buf[front, front + whole).
 * Only pushes and pops at the list's ends see an open node: every other method of the list
 * settles its open ends first. One OpenEnd serves both ends of a list of one node.
 */
interface OpenEnd {
  node: ListNode;
  buf: Buffer;
  lo: number;
  hi: number;
  front: number;
  whole: number;
  /** Pushed to (sealed again when settled); else only popped from (the blob stays, its dead bytes recorded). */
  dirty: boolean;
  codec: ListCodec;
}

/** Lists with an open end, in the order they opened: settleOpenLists() seals them. */
const openLists = new Set<SealedList>();
/** Scratch buffers of settled open ends (wiped), for the next ones. */
const openPool: Buffer[] = [];
/** A node started open has no block yet. */
const NO_BLOCK = Buffer.alloc(0);
/** What the server does when a list first opens an end in a turn: arrange settleOpenLists() for the turn's end. */
let onOpen: () => void = () => {};

/**
 * Called whenever a list opens an end (the server passes its end-of-turn hook: src/commands/values/turn-end.ts).
 * Without one (unit tests of the structure alone), open ends stay open until settleOpenLists()
 * or the list's next use other than a push or pop.
 */
export function whenListOpens(hook: () => void): void {
  onOpen = hook;
}

/** Seals every list's open ends and wipes their plaintext (the end of the turn). */
export function settleOpenLists(): void {
  let failed: unknown = null;
  for (const list of openLists) {
    try {
      list.settleOpen();
    } catch (err) {
      failed ??= err;
    }
  }
  openLists.clear();
  if (failed !== null) throw failed;
}

/** Open ends not settled yet (tests). */
export function openListCount(): number {
  return openLists.size;
}

/** Set by locate(): the entry's index in its node and, for a loose node, its offset (relative to base). */
let foundEntry = 0;
let foundAt = 0;

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

/**
 * Lists with loose nodes between their ends, waiting to rest. Sealing a loose node costs an open
 * per element: done at once it would double a push's sealing cost, so a run of pushes leaves
 * them loose (up to DEFER_MAX per list) and a timer seals them once the list rests, a bounded
 * slice per tick (as Redis's own cron spreads its work).
 */
const resting = new Set<SealedList>();
let restTimer: ReturnType<typeof setTimeout> | null = null;

function scheduleRest(): void {
  if (restTimer !== null) return;
  restTimer = setTimeout(sealResting, REST_MS);
  restTimer.unref?.();
}

function sealResting(): void {
  restTimer = null;
  const deadline = performance.now() + REST_BUDGET_MS;
  for (const list of resting) {
    if (!list.sealAtRest(deadline)) break;
  }
  if (resting.size > 0) scheduleRest();
}

/** Seals every list's waiting loose nodes now (tests, and anything that wants the packed form at once). */
export function sealAllResting(): void {
  for (const list of resting) list.sealAtRest(Infinity, true);
}

export class SealedList {
  private nodes: ListNode[] = [];
  private size = 0;
  /** Sum of the nodes' block bytes. */
  private blockTotal = 0;
  /** While loose nodes wait between the ends: the codec to seal them with (its database and key never change). */
  private restCodec: ListCodec | null = null;
  private looseInterior = 0;
  /** Small sealed nodes pushes left between the ends (packed together at rest, or at once past SMALL_DEFER_MAX). */
  private smallInterior = 0;
  /** Changes at the ends, and their count when the rest timer last looked. */
  private changes = 0;
  private seenChanges = -1;
  /** The end nodes open for this turn (the same OpenEnd when one node is both ends), or null. */
  private openHead: OpenEnd | null = null;
  private openTail: OpenEnd | null = null;

  constructor(private readonly arena: BlockArena = collectionArena()) {}

  get length(): number {
    return this.size;
  }

  /** Approximate bytes held (maxmemory accounting, MEMORY USAGE): blocks plus object overheads. */
  memoryBytes(): number {
    return LIST_OVERHEAD + this.blockTotal + this.nodes.length * NODE_OVERHEAD;
  }

  /** Node count, and sealed node count (tests, benchmarks, DEBUG-like introspection). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  get sealedNodeCount(): number {
    this.settleOpen();
    let n = 0;
    for (const node of this.nodes) if (node.sealed) n++;
    return n;
  }

  // ---- pushing ----

  pushHead(el: Uint8Array, c: ListCodec): void {
    if (this.pushOpen(true, el, c)) return;
    const ni = this.looseEnd(true, el.length, c);
    const node = this.nodes[ni]!;
    const need = entryBytes(el.length + c.overhead);
    node.lo -= need;
    writeSealedEntry(node.buf, node.base + node.lo, el, c);
    this.grew(node, el.length);
  }

  pushTail(el: Uint8Array, c: ListCodec): void {
    if (this.pushOpen(false, el, c)) return;
    const ni = this.looseEnd(false, el.length, c);
    const node = this.nodes[ni]!;
    node.hi = writeSealedEntry(node.buf, node.base + node.hi, el, c) - node.base;
    this.grew(node, el.length);
  }

  /**
   * Pushes elements from..length-1 of `els` in turn at the head (LPUSH: the last ends up first)
   * or the tail. A large push builds sealed nodes straight from the plaintext (one seal per
   * node, as RPUSH with two million arguments needs); a small one pushes element by element.
   */
  pushMany(els: Elements, from: number, atHead: boolean, c: ListCodec): void {
    let bytes = 0;
    for (let i = from; i < els.length && bytes < BULK_BYTES; i++) bytes += plainEntryBytes(els.at(i)!.length);
    if (bytes < BULK_BYTES) {
      let need = 0;
      for (let i = from; i < els.length; i++) need += entryBytes(els.at(i)!.length + c.overhead);
      // Room for all of them at once: a block that grows once instead of once per element
      // (elements too large for an open end are sealed one by one into a loose end node).
      const end = this.nodes[atHead ? 0 : this.nodes.length - 1];
      if (end !== undefined && !end.sealed && end.plain + bytes <= c.nodeBytes && end.count + els.length - from <= c.nodeCount) {
        this.makeRoom(end, need, atHead);
      }
      for (let i = from; i < els.length; i++) {
        if (atHead) this.pushHead(els.at(i)!, c);
        else this.pushTail(els.at(i)!, c);
      }
      return;
    }
    this.settleOpen();
    this.pushBulk(els, from, atHead, c);
  }

  private pushBulk(els: Elements, from: number, atHead: boolean, c: ListCodec): void {
    // The end node joins the new elements when it has room, so nodes stay full.
    const endIndex = atHead ? 0 : this.nodes.length - 1;
    const end = this.nodes[endIndex];
    const absorb = end !== undefined && end.plain < c.nodeBytes && end.count < c.nodeCount;
    let seq = building.room(absorb ? end.plain + 4096 : 4096);
    let used = 0;
    try {
      if (absorb && !atHead) used = this.openNode(endIndex, c, seq, 0);
      // One pass over the arguments, in list order (LPUSH's last argument comes first).
      const step = atHead ? -1 : 1;
      const copy = els.copyInto !== undefined && els.byteLength !== undefined;
      for (let n = els.length - from, i = atHead ? els.length - 1 : from; n > 0; n--, i += step) {
        const length = copy ? els.byteLength!(i) : els.at(i)!.length;
        if (used + length + 5 > seq.length) seq = building.room(Math.max(used + length + 5, seq.length * 2), used);
        used = writeVarint(seq, used, length);
        if (copy) used += els.copyInto!(i, seq, used);
        else used = this.appendRaw(seq, used, els.at(i)!);
      }
      if (absorb && atHead) {
        seq = building.room(used + end.plain, used);
        used += this.openNode(endIndex, c, seq, used);
      }
      const runs = cutRuns(seq, used, c);
      const k = runs.length / 3;
      // Ids past the (absorbed) end node: fresh ones, never the end node's own.
      const fresh: ListNode[] = [];
      const edge = end?.id;
      for (let r = 0; r < k; r++) {
        const id = edge === undefined ? r * ID_STEP : atHead ? edge - (k - r) * ID_STEP : edge + (r + 1) * ID_STEP;
        fresh.push(this.sealedNode(id, seq, runs[3 * r]!, runs[3 * r + 1]!, runs[3 * r + 2]!, c));
      }
      let added = 0;
      for (const node of fresh) added += node.count;
      if (absorb) {
        added -= end.count;
        this.dropNode(endIndex);
      } else if (end !== undefined && !end.sealed) {
        // The end node stops being an end: sealed like every interior node.
        this.sealLoose(endIndex, c);
      }
      if (atHead) this.nodes.unshift(...fresh);
      else for (const node of fresh) this.nodes.push(node);
      this.size += added;
      this.checkIds(c);
    } finally {
      building.wipe(used);
    }
  }

  private appendRaw(seq: Buffer, at: number, el: Uint8Array): number {
    if (el.length <= 32) for (let i = 0; i < el.length; i++) seq[at + i] = el[i]!;
    else seq.set(el, at);
    return at + el.length;
  }

  private appendPlain(seq: Buffer, at: number, el: Uint8Array): number {
    at = writeVarint(seq, at, el.length);
    if (el.length <= 32) for (let i = 0; i < el.length; i++) seq[at + i] = el[i]!;
    else seq.set(el, at);
    return at + el.length;
  }

  // ---- popping ----

  /** Removes the head element and returns its plaintext (a copy the caller wipes), or undefined when empty. */
  popHead(c: ListCodec): Buffer | undefined {
    let out: Buffer | undefined;
    this.takeHead((b, s, l) => void (out = Buffer.from(b.subarray(s, s + l))), c);
    return out;
  }

  popTail(c: ListCodec): Buffer | undefined {
    let out: Buffer | undefined;
    this.takeTail((b, s, l) => void (out = Buffer.from(b.subarray(s, s + l))), c);
    return out;
  }

  /**
   * Pops the head element: `visit` sees its plaintext (to write it into a reply), then it
   * goes. False when empty. If visit or the opening throws, the element stays.
   */
  takeHead(visit: ElementTarget, c: ListCodec): boolean {
    if (this.nodes.length === 0) return false;
    this.changes++;
    if (this.nodes[0]!.sealed) {
      this.popOpen(true, visit, c);
      return true;
    }
    const node = this.nodes[0]!;
    const length = readForward(node.buf, node.base + node.lo);
    this.emitSealed(node.buf, node.base + node.lo + lastVarint, length, visit, c);
    node.lo += entryBytes(length);
    this.afterPop(node, 0, length - c.overhead);
    return true;
  }

  /** takeHead at the tail. */
  takeTail(visit: ElementTarget, c: ListCodec): boolean {
    if (this.nodes.length === 0) return false;
    this.changes++;
    if (this.nodes[this.nodes.length - 1]!.sealed) {
      this.popOpen(false, visit, c);
      return true;
    }
    const last = this.nodes.length - 1;
    const node = this.nodes[last]!;
    const length = readBackward(node.buf, node.base + node.hi);
    this.emitSealed(node.buf, node.base + node.hi - lastVarint - length, length, visit, c);
    node.hi -= entryBytes(length);
    this.afterPop(node, last, length - c.overhead);
    return true;
  }

  // ---- reading ----

  /** Visits the element at index (0 <= index < length); false when out of range. */
  peek(index: number, visit: ElementTarget, c: ListCodec): boolean {
    if (index < 0 || index >= this.size) return false;
    this.range(index, index, visit, c);
    return true;
  }

  /** The element at index as a plaintext copy (the caller wipes it), or undefined. */
  at(index: number, c: ListCodec): Buffer | undefined {
    let out: Buffer | undefined;
    this.peek(index, (b, s, l) => void (out = Buffer.from(b.subarray(s, s + l))), c);
    return out;
  }

  /**
   * Visits elements first..last (inclusive, 0 <= first <= last < length) from the head; a
   * visitor returning false stops the walk (LRANGE).
   */
  range(first: number, last: number, visit: ElementTarget, c: ListCodec): void {
    this.settleOpen();
    if (first > last || first < 0 || last >= this.size) return;
    let ni = this.locate(first);
    let k = foundEntry;
    const firstAt = foundAt;
    let left = last - first + 1;
    for (; ni < this.nodes.length && left > 0; ni++, k = 0) {
      const node = this.nodes[ni]!;
      if (node.sealed) {
        const plain = opened.room(node.plain);
        this.openNode(ni, c, plain, 0);
        try {
          let p = 0;
          for (let i = 0; i < k; i++) p += readForward(plain, p) + lastVarint;
          for (let i = k; i < node.count; i++) {
            const length = readForward(plain, p);
            if (emitPlain(plain, p + lastVarint, length, visit) === false) return;
            if (--left === 0) return;
            p += lastVarint + length;
          }
        } finally {
          opened.wipe(node.plain);
        }
      } else {
        let p = k === 0 ? node.lo : firstAt;
        while (p < node.hi) {
          const length = readForward(node.buf, node.base + p);
          if (this.emitSealed(node.buf, node.base + p + lastVarint, length, visit, c) === false) return;
          if (--left === 0) return;
          p += entryBytes(length);
        }
      }
    }
  }

  /** Visits every element from the head (or from the tail), at most `limit` of them; false from the visitor stops. */
  forEach(visit: ElementTarget, c: ListCodec, fromTail = false, limit = Infinity): void {
    this.settleOpen();
    if (!fromTail) {
      if (this.size > 0 && limit > 0) this.range(0, Math.min(this.size, limit) - 1, visit, c);
      return;
    }
    let left = limit;
    for (let ni = this.nodes.length - 1; ni >= 0 && left > 0; ni--) {
      const node = this.nodes[ni]!;
      if (node.sealed) {
        const plain = opened.room(node.plain);
        this.openNode(ni, c, plain, 0);
        try {
          const starts = entryStarts(plain, node.count);
          for (let i = node.count - 1; i >= 0; i--) {
            const length = readForward(plain, starts[i]!);
            if (emitPlain(plain, starts[i]! + lastVarint, length, visit) === false || --left === 0) return;
          }
        } finally {
          opened.wipe(node.plain);
        }
      } else {
        for (let q = node.hi; q > node.lo; ) {
          const length = readBackward(node.buf, node.base + q);
          q -= entryBytes(length);
          if (this.emitSealed(node.buf, node.base + q + lastVarint, length, visit, c) === false || --left === 0) return;
        }
      }
    }
  }

  /**
   * LPOS: indexes (from the head) of elements that match. rank > 0 scans from the head and
   * skips the first rank-1 matches, rank < 0 does the same from the tail (rank 0 is the
   * caller's error); count 0 means every match; maxlen > 0 looks at no more than maxlen
   * elements. Indexes come in scan order.
   */
  positions(match: ElementPredicate, rank: number, count: number, maxlen: number, c: ListCodec): number[] {
    this.settleOpen();
    const out: number[] = [];
    const fromTail = rank < 0;
    let skip = Math.abs(rank) - 1;
    let seen = 0;
    let index = fromTail ? this.size : -1;
    this.forEachMatching(match, c, fromTail, (matched) => {
      if (maxlen > 0 && seen++ >= maxlen) return false;
      index += fromTail ? -1 : 1;
      if (!matched) return true;
      if (skip > 0) {
        skip--;
        return true;
      }
      out.push(index);
      return count === 0 || out.length < count;
    });
    return out;
  }

  /** Index of the first element from the head that matches (LINSERT's pivot), or -1. */
  indexOf(match: ElementPredicate, c: ListCodec): number {
    return this.positions(match, 1, 1, 0, c)[0] ?? -1;
  }

  /** Walks elements asking `match` of each; loose elements of another length are not opened. */
  private forEachMatching(match: ElementPredicate, c: ListCodec, fromTail: boolean, step: (matched: boolean) => boolean): void {
    const want = match.plainLength === undefined ? -1 : match.plainLength + c.overhead;
    if (want < 0) {
      this.forEach((b, s, l) => step(match(b, s, l)), c, fromTail);
      return;
    }
    for (let n = 0; n < this.nodes.length; n++) {
      const ni = fromTail ? this.nodes.length - 1 - n : n;
      const node = this.nodes[ni]!;
      if (node.sealed) {
        const plain = opened.room(node.plain);
        this.openNode(ni, c, plain, 0);
        try {
          const starts = entryStarts(plain, node.count);
          for (let i = 0; i < node.count; i++) {
            const at = starts[fromTail ? node.count - 1 - i : i]!;
            const length = readForward(plain, at);
            if (step(match(plain, at + lastVarint, length)) === false) return;
          }
        } finally {
          opened.wipe(node.plain);
        }
        continue;
      }
      if (!fromTail) {
        for (let p = node.lo; p < node.hi; ) {
          const length = readForward(node.buf, node.base + p);
          const start = node.base + p + lastVarint;
          p += entryBytes(length);
          const matched = length === want && this.matchSealed(node.buf, start, length, match, c);
          if (step(matched) === false) return;
        }
      } else {
        for (let q = node.hi; q > node.lo; ) {
          const length = readBackward(node.buf, node.base + q);
          q -= entryBytes(length);
          const matched = length === want && this.matchSealed(node.buf, node.base + q + lastVarint, length, match, c);
          if (step(matched) === false) return;
        }
      }
    }
  }

  // ---- changing in place ----

  /** Replaces the element at index (LSET). False when out of range. */
  set(index: number, el: Uint8Array, c: ListCodec): boolean {
    this.settleOpen();
    if (index < 0 || index >= this.size) return false;
    const ni = this.locate(index);
    const node = this.nodes[ni]!;
    if (node.sealed) {
      this.editSealed(ni, foundEntry, 1, el, c);
      return true;
    }
    const length = readForward(node.buf, node.base + foundAt);
    const old = length - c.overhead;
    if (old === el.length) {
      c.sealElement(el, node.buf, node.base + foundAt + lastVarint);
      return true;
    }
    const sealed = sealedCopy(el, c);
    this.splice(ni, foundEntry, 1, sealed, c);
    return true;
  }

  /** Inserts el so that it ends up at index (0 <= index <= length): LINSERT BEFORE i is insertAt(i). */
  insertAt(index: number, el: Uint8Array, c: ListCodec): void {
    if (index < 0 || index > this.size) throw new RangeError(`insert index ${index} outside 0..${this.size}`);
    if (index === 0) return this.pushHead(el, c);
    if (index === this.size) return this.pushTail(el, c);
    this.settleOpen();
    const ni = this.locate(index);
    const node = this.nodes[ni]!;
    if (node.sealed) {
      this.editSealed(ni, foundEntry, 0, el, c);
      return;
    }
    const need = entryBytes(el.length + c.overhead);
    const at = foundAt;
    const fits = node.plain + plainEntryBytes(el.length) <= c.nodeBytes && node.count < c.nodeCount;
    // Room in the block: slide the shorter side of the payload out of the way.
    if (fits && node.hi - node.lo + need <= node.cap) {
      const base = node.base;
      if (node.lo >= need && (at - node.lo <= node.hi - at || node.cap - node.hi < need)) {
        node.buf.copyWithin(base + node.lo - need, base + node.lo, base + at);
        node.lo -= need;
        writeSealedEntry(node.buf, base + at - need, el, c);
        return this.grew(node, el.length);
      }
      if (node.cap - node.hi >= need) {
        node.buf.copyWithin(base + at + need, base + at, base + node.hi);
        node.hi += need;
        writeSealedEntry(node.buf, base + at, el, c);
        return this.grew(node, el.length);
      }
    }
    this.splice(ni, foundEntry, 0, sealedCopy(el, c), c);
  }

  /**
   * LREM: removes elements that match, at most `count` of them from the head (count > 0), at
   * most -count from the tail (count < 0), or all of them (count 0). Returns how many went.
   * Each node is compacted in one pass; if the predicate throws, the list stays consistent.
   */
  removeWhere(match: ElementPredicate, count: number, c: ListCodec): number {
    this.settleOpen();
    let limit = count === 0 ? Infinity : Math.abs(count);
    const fromTail = count < 0;
    const before = this.size;
    let ni = fromTail ? this.nodes.length - 1 : 0;
    const first = ni;
    try {
      for (; limit > 0 && ni >= 0 && ni < this.nodes.length; ni += fromTail ? -1 : 1) {
        const node = this.nodes[ni]!;
        if (node.sealed) limit -= this.compactSealed(ni, match, limit, fromTail, c);
        else limit -= fromTail ? this.compactBackward(node, match, limit, c) : this.compactForward(node, match, limit, c);
      }
    } finally {
      // Emptied nodes go, thinned-out neighbours merge: over the nodes visited only.
      if (this.size !== before) this.tidy(Math.min(first, ni) - 1, Math.max(first, ni) + 1, c);
    }
    return before - this.size;
  }

  /** LTRIM: keeps elements first..last (inclusive, normalised); an empty range (null) clears. */
  trim(range: [number, number] | null, c: ListCodec): void {
    this.settleOpen();
    if (range === null) return this.clear();
    const [first, last] = range;
    this.deleteRange(last + 1, this.size - last - 1, c);
    this.deleteRange(0, first, c);
  }

  /** Removes n elements starting at index. */
  deleteRange(index: number, n: number, c: ListCodec): void {
    this.settleOpen();
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
      } else if (node.sealed) {
        const take = Math.min(n, node.count - k);
        n -= take;
        ni += this.editSealed(ni, k, take, undefined, c);
      } else {
        // Entries k..k+take-1 of this node: find where they end, then close the gap.
        const take = Math.min(n, node.count - k);
        let end = at;
        let plain = 0;
        for (let i = 0; i < take; i++) {
          const length = readForward(node.buf, node.base + end);
          end += entryBytes(length);
          plain += plainEntryBytes(length - c.overhead);
        }
        if (at === node.lo) node.lo = end;
        else if (end === node.hi) node.hi = at;
        else {
          node.buf.copyWithin(node.base + at, node.base + end, node.base + node.hi);
          node.hi -= end - at;
        }
        node.count -= take;
        node.plain -= plain;
        this.size -= take;
        n -= take;
        ni++;
      }
      k = 0;
      at = this.nodes[ni]?.lo ?? 0;
    }
    // Only the nodes at the two edges of the range were cut; both now sit around `first`.
    this.tidy(first - 1, first + 1, c);
  }

  // ---- the sealed form, for type-blind paths ----

  /** Each sealed element (node undefined) or sealed node (its id), from the head. */
  forEachSealed(visit: SealedVisitor): void {
    this.settleOpen();
    for (const node of this.nodes) {
      if (node.sealed) {
        visit(node.buf, node.base + node.lo, node.hi - node.lo, node.id);
        continue;
      }
      for (let p = node.lo; p < node.hi; ) {
        const length = readForward(node.buf, node.base + p);
        visit(node.buf, node.base + p + lastVarint, length, undefined);
        p += entryBytes(length);
      }
    }
  }

  /**
   * Re-seals every element and node in place (key rotation): reseal gets each where it lies
   * (with its node's id for a sealed node) and returns its replacement, which may differ in
   * length. If reseal throws, what was replaced stays replaced and the rest as it was.
   */
  replaceEach(reseal: (bytes: Buffer, start: number, length: number, node: number | undefined) => Uint8Array): void {
    this.settleOpen();
    for (let ni = 0; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      if (node.sealed) {
        const next = reseal(node.buf, node.base + node.lo, node.hi - node.lo, node.id);
        if (next.length !== node.hi - node.lo) this.moveNode(node, blockBytes(next.length), 0, next.length);
        node.buf.set(next, node.base + node.lo);
        continue;
      }
      const fresh: Uint8Array[] = [];
      let sameLengths = true;
      for (let p = node.lo; p < node.hi; ) {
        const length = readForward(node.buf, node.base + p);
        const next = reseal(node.buf, node.base + p + lastVarint, length, undefined);
        if (next.length !== length) sameLengths = false;
        fresh.push(next);
        p += entryBytes(length);
      }
      if (sameLengths) {
        let p = node.lo;
        for (const el of fresh) p = writeEntry(node.buf, node.base + p, el) - node.base;
      } else {
        ni += this.rewriteLoose(ni, fresh) - 1;
      }
    }
  }

  /**
   * Makes this (empty) list a copy of `from` with every element and node re-sealed by
   * `reseal` (RENAME, COPY, MOVE): the same nodes, forms and ids. Throws what reseal throws.
   */
  copyResealed(from: SealedList, reseal: (sealed: Buffer, node: number | undefined) => Uint8Array): void {
    from.settleOpen();
    for (const src of from.nodes) {
      let node: ListNode;
      if (src.sealed) {
        const blob = reseal(src.buf.subarray(src.base + src.lo, src.base + src.hi), src.id);
        node = this.newBlock(src.id, blockBytes(blob.length), false);
        node.buf.set(blob, node.base);
        node.hi = blob.length;
        node.sealed = true;
      } else {
        const fresh: Uint8Array[] = [];
        let bytes = 0;
        for (let p = src.lo; p < src.hi; ) {
          const length = readForward(src.buf, src.base + p);
          const start = src.base + p + lastVarint;
          const next = reseal(src.buf.subarray(start, start + length), undefined);
          fresh.push(next);
          bytes += entryBytes(next.length);
          p += entryBytes(length);
        }
        node = this.newBlock(src.id, blockBytes(bytes), false);
        for (const el of fresh) node.hi = writeEntry(node.buf, node.base + node.hi, el) - node.base;
      }
      node.count = src.count;
      node.plain = src.plain;
      node.deadHead = src.deadHead;
      node.deadTail = src.deadTail;
      this.nodes.push(node);
      this.size += src.count;
    }
  }

  /**
   * The rest timer's turn: unless the list changed since the last look, seals loose nodes that
   * are not ends, until `deadline` (performance.now()). False when the deadline passed first.
   * A node that fails to open stays loose (its elements still fail to open when read).
   */
  sealAtRest(deadline: number, now = false): boolean {
    this.settleOpen();
    const c = this.restCodec;
    if (c === null) {
      resting.delete(this);
      return true;
    }
    if (!now && this.changes !== this.seenChanges) {
      this.seenChanges = this.changes;
      return true;
    }
    try {
      for (let ni = 1; ni < this.nodes.length - 1; ni++) {
        if (this.nodes[ni]!.sealed) continue;
        if (performance.now() > deadline) return false;
        try {
          this.sealLoose(ni, c);
        } catch {
          // Reported when a command reads it.
        }
      }
      if (!this.packSmall(deadline, c)) return false;
      this.restCodec = null;
      this.looseInterior = 0;
      resting.delete(this);
      return true;
    } finally {
      c.rested?.();
    }
  }

  /** Drops every element. */
  clear(): void {
    this.dropOpen();
    resting.delete(this);
    this.restCodec = null;
    this.looseInterior = 0;
    this.smallInterior = 0;
    for (const node of this.nodes) if (node.cap > 0) this.arena.free(node.handle, node.cap);
    this.nodes = [];
    this.size = 0;
    this.blockTotal = 0;
  }

  // ---- internals ----

  /** Opens one element sealed on its own for a visitor (via a wiped scratch) or straight into a sink. */
  private emitSealed(buf: Buffer, start: number, length: number, t: ElementTarget, c: ListCodec): boolean | void {
    if (typeof t === 'function') return this.visitSealed(buf, start, length, t, c);
    const n = length - c.overhead;
    const out = t.begin(n);
    c.openElement(buf, start, length, out, t.at);
    t.end(n);
    return true;
  }

  /** Opens one element sealed on its own for visit (plaintext wiped after). */
  private visitSealed(buf: Buffer, start: number, length: number, visit: ElementVisitor, c: ListCodec): boolean | void {
    const n = length - c.overhead;
    const plain = element.room(n);
    try {
      c.openElement(buf, start, length, plain, 0);
      return visit(plain, 0, n);
    } finally {
      element.wipe(n);
    }
  }

  private matchSealed(buf: Buffer, start: number, length: number, match: ElementPredicate, c: ListCodec): boolean {
    return this.visitSealed(buf, start, length, (b, s, l) => match(b, s, l), c) === true;
  }

  /**
   * Writes node ni's plaintext ([varint length][bytes] per element) into out at `at`; returns
   * its length. Checks the node's place first (ids rising from head to tail). Throws the
   * codec's error, having written nothing the caller does not wipe.
   */
  private openNode(ni: number, c: ListCodec, out: Buffer, at: number): number {
    const node = this.nodes[ni]!;
    if (!node.sealed) {
      let w = at;
      for (let p = node.lo; p < node.hi; ) {
        const length = readForward(node.buf, node.base + p);
        const start = node.base + p + lastVarint;
        w = writeVarint(out, w, length - c.overhead);
        c.openElement(node.buf, start, length, out, w);
        w += length - c.overhead;
        p += entryBytes(length);
      }
      return w - at;
    }
    const whole = this.openWhole(ni, c);
    if (whole === null) {
      c.openNode(node.id, node.buf, node.base + node.lo, node.hi - node.lo, out, at);
      return node.plain;
    }
    try {
      whole.copy(out, at, node.deadHead, node.deadHead + node.plain);
    } finally {
      grouped.wipe(node.deadHead + node.plain + node.deadTail);
    }
    return node.plain;
  }

  /**
   * Checks sealed node ni's place (ids rising from head to tail); for a node popped from, opens
   * its whole blob into `grouped` (the caller wipes it) and returns it, else null (nothing opened).
   */
  private openWhole(ni: number, c: ListCodec): Buffer | null {
    const node = this.nodes[ni]!;
    const prev = this.nodes[ni - 1];
    const next = this.nodes[ni + 1];
    if ((prev !== undefined && prev.id >= node.id) || (next !== undefined && next.id <= node.id)) c.broken('list node out of order');
    if (node.deadHead === 0 && node.deadTail === 0) return null;
    const whole = node.deadHead + node.plain + node.deadTail;
    const out = grouped.room(whole);
    try {
      c.openNode(node.id, node.buf, node.base + node.lo, node.hi - node.lo, out, 0);
    } catch (err) {
      grouped.wipe(whole);
      throw err;
    }
    return out;
  }

  /** Replaces sealed node ni by sealed groups of its elements (up to OPEN_BYTES of plaintext each), ids between its neighbours'. */
  private cutGroups(ni: number, c: ListCodec): void {
    const node = this.nodes[ni]!;
    const seq = opened.room(node.plain);
    try {
      this.openNode(ni, c, seq, 0);
      const runs: number[] = [];
      let start = 0;
      let count = 0;
      for (let p = 0; p < node.plain; ) {
        const size = readForward(seq, p) + lastVarint;
        if (count > 0 && p + size - start > OPEN_BYTES) {
          runs.push(start, p, count);
          start = p;
          count = 0;
        }
        p += size;
        count++;
      }
      runs.push(start, node.plain, count);
      const k = this.replaceWithRuns(ni, seq, runs, c);
      for (let r = 0; r < k; r++) this.nodes[ni + r]!.group = true;
    } finally {
      opened.wipe(node.plain);
    }
  }

  // ---- open ends (see OPEN_BYTES and OpenEnd) ----

  /**
   * Pushes el into the open node at that end (opening the end node, or starting a new one, if
   * none is open there). False when el is too large for an open end: it is then pushed sealed
   * on its own (the loose path), after any open end is settled.
   */
  private pushOpen(atHead: boolean, el: Uint8Array, c: ListCodec): boolean {
    const size = plainEntryBytes(el.length);
    if (size > OPEN_ELEMENT) {
      this.settleOpen();
      return false;
    }
    let o = this.openOf(atHead);
    if (o !== null && (o.node.count >= c.nodeCount || o.hi - o.lo + size > Math.min(OPEN_BYTES, c.nodeBytes))) {
      this.settleEnd(o);
      o = null;
    }
    o ??= this.openForPush(atHead, size, c);
    if (atHead ? o.lo < size : o.hi + size > o.buf.length) this.recenter(o);
    const buf = o.buf;
    let p = writeVarint(buf, atHead ? o.lo - size : o.hi, el.length);
    if (el.length <= 32) for (let i = 0; i < el.length; i++) buf[p++] = el[i]!;
    else {
      buf.set(el, p);
      p += el.length;
    }
    if (atHead) o.lo -= size;
    else o.hi = p;
    o.dirty = true;
    o.node.count++;
    o.node.plain += size;
    this.size++;
    this.changes++;
    return true;
  }

  /** The end node opened for a push of `size` plaintext bytes: the sealed end node if small enough, else a new one. */
  private openForPush(atHead: boolean, size: number, c: ListCodec): OpenEnd {
    const ni = atHead ? 0 : this.nodes.length - 1;
    const node = this.nodes[ni];
    if (node !== undefined && node.sealed && node.count < c.nodeCount && node.deadHead + node.plain + node.deadTail + size <= Math.min(OPEN_BYTES, c.nodeBytes)) {
      return this.openNodeAt(ni, c);
    }
    // A small sealed old end is packed with its small neighbours once the list rests. Counted
    // before the new node exists: packing at once (past SMALL_DEFER_MAX) may renumber the list,
    // which settles every open end, and must not meet the new one empty.
    if (node !== undefined && node.sealed && !node.group && node.plain <= c.nodeBytes / 2) this.deferSmall(c);
    let id = node === undefined ? 0 : atHead ? node.id - ID_STEP : node.id + ID_STEP;
    if (Math.abs(id) > ID_LIMIT) {
      this.renumber(c);
      id = atHead ? node!.id - ID_STEP : node!.id + ID_STEP;
    }
    const fresh: ListNode = {
      handle: -1, buf: NO_BLOCK, base: 0, cap: 0, lo: 0, hi: 0, count: 0, plain: 0, id, sealed: true, deadHead: 0, deadTail: 0, group: false,
    };
    if (atHead) this.nodes.unshift(fresh);
    else this.nodes.push(fresh);
    // A loose old end is interior now: sealed whole once the list rests (or now: same id, no renumbering).
    if (node !== undefined && !node.sealed) this.deferLoose(atHead ? 1 : this.nodes.length - 2, c);
    const buf = openPool.pop() ?? Buffer.alloc(OPEN_SCRATCH);
    const front = OPEN_SCRATCH >> 1;
    return this.attach({ node: fresh, buf, lo: front, hi: front, front, whole: 0, dirty: true, codec: c });
  }

  /**
   * Pops the first (atHead) or last element of a sealed end node through its open form: the
   * node is opened once per turn (cut into groups of OPEN_BYTES first when larger), and the
   * turn's next pops at that end take from the plaintext. If visit or the opening throws, the
   * element stays.
   */
  private popOpen(atHead: boolean, visit: ElementTarget, c: ListCodec): void {
    let o = this.openOf(atHead);
    if (o === null) {
      let ni = atHead ? 0 : this.nodes.length - 1;
      let node = this.nodes[ni]!;
      if (node.count > 1 && node.deadHead + node.plain + node.deadTail > OPEN_BYTES) {
        this.cutGroups(ni, c);
        ni = atHead ? 0 : this.nodes.length - 1;
        node = this.nodes[ni]!;
      }
      if (node.deadHead + node.plain + node.deadTail > OPEN_BYTES) return this.popLone(atHead, ni, visit, c);
      o = this.openNodeAt(ni, c);
    }
    const node = o.node;
    const buf = o.buf;
    let p = o.lo;
    if (!atHead) for (let i = 1; i < node.count; i++) p += readForward(buf, p) + lastVarint;
    const n = readForward(buf, p);
    const size = lastVarint + n;
    emitPlain(buf, p + size - n, n, visit);
    if (atHead) o.lo += size;
    else o.hi = p;
    node.count--;
    node.plain -= size;
    this.size--;
    if (node.count === 0) {
      this.closeOpen(o);
      this.dropNode(atHead ? 0 : this.nodes.length - 1);
    }
  }

  /** Pops from a sealed end node of one element too large to open for the turn (opened, emitted, wiped). */
  private popLone(atHead: boolean, ni: number, visit: ElementTarget, c: ListCodec): void {
    const node = this.nodes[ni]!;
    const whole = node.deadHead + node.plain + node.deadTail;
    const plain = this.openWhole(ni, c) ?? grouped.room(whole);
    try {
      if (node.deadHead === 0 && node.deadTail === 0) c.openNode(node.id, node.buf, node.base + node.lo, node.hi - node.lo, plain, 0);
      let p = node.deadHead;
      if (!atHead) for (let i = 1; i < node.count; i++) p += readForward(plain, p) + lastVarint;
      const n = readForward(plain, p);
      const size = lastVarint + n;
      emitPlain(plain, p + size - n, n, visit);
      if (atHead) node.deadHead += size;
      else node.deadTail += size;
      this.afterPop(node, ni, n);
    } finally {
      grouped.wipe(whole);
    }
  }

  /** The open node at that end, or null (a list of one node open at its other end shares it). */
  private openOf(atHead: boolean): OpenEnd | null {
    const mine = atHead ? this.openHead : this.openTail;
    if (mine !== null) return mine;
    const other = atHead ? this.openTail : this.openHead;
    if (other === null || other.node !== this.nodes[atHead ? 0 : this.nodes.length - 1]) return null;
    if (atHead) this.openHead = other;
    else this.openTail = other;
    return other;
  }

  /** Opens sealed end node ni whole (its popped elements' bytes too) into an open end's scratch. */
  private openNodeAt(ni: number, c: ListCodec): OpenEnd {
    const node = this.nodes[ni]!;
    const prev = this.nodes[ni - 1];
    const next = this.nodes[ni + 1];
    if ((prev !== undefined && prev.id >= node.id) || (next !== undefined && next.id <= node.id)) c.broken('list node out of order');
    const whole = node.deadHead + node.plain + node.deadTail;
    const buf = openPool.pop() ?? Buffer.alloc(OPEN_SCRATCH);
    const front = (OPEN_SCRATCH - whole) >> 1;
    try {
      c.openNode(node.id, node.buf, node.base + node.lo, node.hi - node.lo, buf, front);
    } catch (err) {
      fillBytes.call(buf, 0);
      openPool.push(buf);
      throw err;
    }
    return this.attach({ node, buf, lo: front + node.deadHead, hi: front + whole - node.deadTail, front, whole, dirty: false, codec: c });
  }

  /** Makes o the open node of the end(s) its node is at, and files the list for the end of the turn. */
  private attach(o: OpenEnd): OpenEnd {
    if (this.nodes[0] === o.node) this.openHead = o;
    if (this.nodes[this.nodes.length - 1] === o.node) this.openTail = o;
    if (!openLists.has(this)) {
      if (openLists.size >= OPEN_LISTS) openLists.values().next().value!.settleOpen();
      openLists.add(this);
      onOpen();
    }
    return o;
  }

  /** Moves an open end's plaintext to the middle of its scratch (a push found no room on its side). */
  private recenter(o: OpenEnd): void {
    const live = o.hi - o.lo;
    const lo = (o.buf.length - live) >> 1;
    o.buf.copyWithin(lo, o.lo, o.hi);
    fillBytes.call(o.buf, 0, 0, lo);
    fillBytes.call(o.buf, 0, lo + live);
    o.lo = lo;
    o.hi = lo + live;
  }

  /**
   * Seals the open ends (the end of the turn, or before anything but a push or pop at an end
   * uses the list) and wipes their plaintext.
   */
  settleOpen(): void {
    const head = this.openHead;
    const tail = this.openTail;
    if (head !== null) this.settleEnd(head);
    if (tail !== null && tail !== head) this.settleEnd(tail);
  }

  /**
   * A node pushed to is sealed again (same id) from its live plaintext; one only popped from
   * keeps its blob, the popped elements' bytes recorded as dead at its ends (never emitted again).
   */
  private settleEnd(o: OpenEnd): void {
    const node = o.node;
    try {
      if (o.dirty) {
        const used = o.hi - o.lo;
        const cap = blockBytes(used + o.codec.overhead);
        const handle = this.arena.alloc(cap);
        const buf = this.arena.bytes[RecordArena.slab(handle)]!;
        const base = offsetOf(handle);
        try {
          o.codec.sealNode(node.id, o.buf.subarray(o.lo, o.hi), buf, base);
        } catch (err) {
          this.arena.free(handle, cap);
          throw err;
        }
        if (node.cap > 0) this.arena.free(node.handle, node.cap);
        this.blockTotal += cap - node.cap;
        node.handle = handle;
        node.buf = buf;
        node.base = base;
        node.cap = cap;
        node.lo = 0;
        node.hi = used + o.codec.overhead;
        node.deadHead = 0;
        node.deadTail = 0;
        node.group = false;
      } else {
        node.deadHead = o.lo - o.front;
        node.deadTail = o.front + o.whole - o.hi;
      }
    } finally {
      this.closeOpen(o);
    }
  }

  /** Wipes an open end's plaintext and forgets it (its node settled, emptied or dropped). */
  private closeOpen(o: OpenEnd): void {
    fillBytes.call(o.buf, 0);
    if (openPool.length < OPEN_LISTS) openPool.push(o.buf);
    if (this.openHead === o) this.openHead = null;
    if (this.openTail === o) this.openTail = null;
    if (this.openHead === null && this.openTail === null) openLists.delete(this);
  }

  /** clear(): open ends are wiped, not sealed (their nodes go). */
  private dropOpen(): void {
    const head = this.openHead;
    const tail = this.openTail;
    if (head !== null) this.closeOpen(head);
    if (tail !== null && tail !== head) this.closeOpen(tail);
  }

  /** A small sealed node stopped being an end: packed with its neighbours once the list rests (or now, past SMALL_DEFER_MAX). */
  private deferSmall(c: ListCodec): void {
    this.restCodec = c;
    if (++this.smallInterior <= SMALL_DEFER_MAX) {
      resting.add(this);
      scheduleRest();
    } else {
      this.packSmall(Infinity, c);
    }
  }

  /**
   * Packs runs of small sealed interior nodes (pushes through open ends leave nodes of up to
   * OPEN_BYTES behind) into nodes of up to nodeBytes: one open per small node, one seal per
   * packed node. False when `deadline` (performance.now()) passed first.
   */
  private packSmall(deadline: number, c: ListCodec): boolean {
    if (this.smallInterior === 0) return true;
    for (let ni = 1; ni < this.nodes.length - 1; ni++) {
      const first = this.nodes[ni]!;
      if (!first.sealed || first.group || first.plain > c.nodeBytes / 2) continue;
      let plain = first.plain;
      let count = first.count;
      let end = ni;
      while (end + 1 < this.nodes.length - 1) {
        const next = this.nodes[end + 1]!;
        if (!next.sealed || next.group || plain + next.plain > c.nodeBytes || count + next.count > c.nodeCount) break;
        plain += next.plain;
        count += next.count;
        end++;
      }
      if (end === ni) continue;
      if (performance.now() > deadline) return false;
      try {
        this.packRun(ni, end, plain, c);
      } catch {
        // A node that fails to open stays as it is (reported when a command reads it).
      }
    }
    this.smallInterior = 0;
    return true;
  }

  /** Replaces sealed nodes a..b (holding `length` plaintext bytes) by one sealed node. */
  private packRun(a: number, b: number, length: number, c: ListCodec): void {
    const seq = edited.room(length);
    try {
      let used = 0;
      for (let i = a; i <= b; i++) used += this.openNode(i, c, seq, used);
      let count = 0;
      for (let i = b; i > a; i--) {
        const node = this.nodes[i]!;
        count += node.count;
        this.arena.free(node.handle, node.cap);
        this.blockTotal -= node.cap;
      }
      this.nodes[a]!.count += count;
      this.nodes.splice(a + 1, b - a);
      this.replaceWithSealed(a, seq, used, c);
    } finally {
      edited.wipe(length);
    }
  }

  /** Loose node ni stopped being an end: sealed whole once the list rests (or now, past DEFER_MAX). */
  private deferLoose(ni: number, c: ListCodec): void {
    if (this.looseInterior < DEFER_MAX) {
      this.looseInterior++;
      this.restCodec = c;
      resting.add(this);
      scheduleRest();
    } else {
      this.sealLoose(ni, c);
    }
  }

  /** An end node that is loose and has room for an element of `plainLength`: its index. */
  private looseEnd(atHead: boolean, plainLength: number, c: ListCodec): number {
    this.changes++;
    const ni = atHead ? 0 : this.nodes.length - 1;
    const need = entryBytes(plainLength + c.overhead);
    let node = this.nodes[ni];
    if (node !== undefined && this.hasRoom(node, plainLength, need, c)) {
      if (node.sealed) this.loosen(ni, c);
      node = this.nodes[ni]!;
      if (this.makeRoom(node, need, atHead)) return ni;
    }
    const growing = this.nodes.length > 0;
    const id = node === undefined ? 0 : atHead ? node.id - ID_STEP : node.id + ID_STEP;
    const fresh = this.newBlock(id, blockBytes(growing ? Math.max(need, Math.min(LOOSE_MAX, c.nodeBytes)) : need), atHead);
    if (atHead) this.nodes.unshift(fresh);
    else if (this.nodes.length === 0) this.nodes = [fresh];
    else this.nodes.push(fresh);
    // The old end is interior now: sealed whole, once the list rests (or now, past DEFER_MAX).
    if (node !== undefined && !node.sealed) this.deferLoose(atHead ? 1 : this.nodes.length - 2, c);
    if (Math.abs(id) > ID_LIMIT) this.renumber(c);
    return atHead ? 0 : this.nodes.length - 1;
  }

  private hasRoom(node: ListNode, plainLength: number, need: number, c: ListCodec): boolean {
    if (node.count >= c.nodeCount || node.plain + plainEntryBytes(plainLength) > c.nodeBytes) return false;
    const sealedBytes = node.sealed ? node.plain + node.count * (2 + c.overhead) : node.hi - node.lo;
    return sealedBytes + need <= LOOSE_MAX;
  }

  private grew(node: ListNode, plainLength: number): void {
    node.count++;
    node.plain += plainEntryBytes(plainLength);
    this.size++;
  }

  /** Turns sealed node ni into a loose one (each element sealed on its own), same id. */
  private loosen(ni: number, c: ListCodec): void {
    const node = this.nodes[ni]!;
    const plain = opened.room(node.plain);
    this.openNode(ni, c, plain, 0);
    try {
      let bytes = 0;
      for (let p = 0; p < node.plain; ) {
        const n = readForward(plain, p);
        bytes += entryBytes(n + c.overhead);
        p += lastVarint + n;
      }
      const cap = blockBytes(bytes);
      const handle = this.arena.alloc(cap);
      const buf = this.arena.bytes[RecordArena.slab(handle)]!;
      const base = offsetOf(handle);
      let w = base;
      for (let p = 0; p < node.plain; ) {
        const n = readForward(plain, p);
        p += lastVarint;
        w = writeSealedEntry(buf, w, plain.subarray(p, p + n), c);
        p += n;
      }
      this.arena.free(node.handle, node.cap);
      this.blockTotal += cap - node.cap;
      Object.assign(node, { handle, buf, base, cap, lo: 0, hi: w - base, sealed: false, deadHead: 0, deadTail: 0 });
    } finally {
      opened.wipe(node.plain);
    }
  }

  /** Seals loose node ni whole, same id. */
  private sealLoose(ni: number, c: ListCodec): void {
    const node = this.nodes[ni]!;
    const plain = opened.room(node.plain);
    let used = 0;
    try {
      used = this.openNode(ni, c, plain, 0);
      const cap = blockBytes(used + c.overhead);
      const handle = this.arena.alloc(cap);
      const buf = this.arena.bytes[RecordArena.slab(handle)]!;
      const base = offsetOf(handle);
      c.sealNode(node.id, plain.subarray(0, used), buf, base);
      this.arena.free(node.handle, node.cap);
      this.blockTotal += cap - node.cap;
      Object.assign(node, { handle, buf, base, cap, lo: 0, hi: used + c.overhead, sealed: true, plain: used, deadHead: 0, deadTail: 0 });
    } finally {
      opened.wipe(Math.max(used, node.plain));
    }
  }

  /** A sealed node of the plaintext run [start, end) of seq holding `count` elements. */
  private sealedNode(id: number, seq: Buffer, start: number, end: number, count: number, c: ListCodec): ListNode {
    const length = end - start;
    const node = this.newBlock(id, blockBytes(length + c.overhead), false);
    c.sealNode(id, seq.subarray(start, end), node.buf, node.base);
    node.hi = length + c.overhead;
    node.count = count;
    node.plain = length;
    node.sealed = true;
    return node;
  }

  /**
   * The general change to sealed node ni: `remove` entries at entry k go and `el` (if any)
   * comes in their place; the node is sealed again (split into as many nodes as the result
   * needs, each with a fresh id between its neighbours'). Returns how many nodes replace it.
   */
  private editSealed(ni: number, k: number, remove: number, el: Uint8Array | undefined, c: ListCodec): number {
    const node = this.nodes[ni]!;
    const src = opened.room(node.plain);
    this.openNode(ni, c, src, 0);
    const room = node.plain + (el === undefined ? 0 : plainEntryBytes(el.length));
    let used = 0;
    try {
      const out = edited.room(room);
      let p = 0;
      for (let i = 0; i < k; i++) p += readForward(src, p) + lastVarint;
      src.copy(out, 0, 0, p);
      used = p;
      if (el !== undefined) used = this.appendPlain(out, used, el);
      for (let i = 0; i < remove; i++) p += readForward(src, p) + lastVarint;
      src.copy(out, used, p, node.plain);
      used += node.plain - p;
      const count = node.count - remove + (el === undefined ? 0 : 1);
      this.size += count - node.count;
      return this.replaceWithSealed(ni, out, used, c);
    } finally {
      opened.wipe(node.plain);
      edited.wipe(Math.max(used, room));
    }
  }

  /** Replaces node ni by sealed nodes cut from the plaintext seq [0, length); returns how many. */
  private replaceWithSealed(ni: number, seq: Buffer, length: number, c: ListCodec): number {
    return this.replaceWithRuns(ni, seq, cutRuns(seq, length, c), c);
  }

  /** Replaces node ni by one sealed node per run of seq (start, end, count triples), ids between its neighbours'; returns how many. */
  private replaceWithRuns(ni: number, seq: Buffer, runs: number[], c: ListCodec): number {
    const old = this.nodes[ni]!;
    const k = runs.length / 3;
    let ids = this.idsBetween(ni, k);
    if (ids === null) {
      this.renumber(c, ni);
      ids = this.idsBetween(ni, k)!;
    }
    const fresh: ListNode[] = [];
    for (let r = 0; r < k; r++) fresh.push(this.sealedNode(ids[r]!, seq, runs[3 * r]!, runs[3 * r + 1]!, runs[3 * r + 2]!, c));
    this.arena.free(old.handle, old.cap);
    this.blockTotal -= old.cap;
    this.nodes.splice(ni, 1, ...fresh);
    return k;
  }

  /**
   * k fresh ids for nodes taking node ni's place: between its neighbours' (ni's own included
   * only when it is an end, where the next free ids lie beyond it), or null when there is no
   * room left between them (renumber first).
   */
  private idsBetween(ni: number, k: number): number[] | null {
    const prev = this.nodes[ni - 1];
    const next = this.nodes[ni + 1];
    const self = this.nodes[ni]!.id;
    const lo = prev?.id ?? (next === undefined ? self - ID_STEP * k : Math.min(self, next.id) - ID_STEP * (k + 1));
    const hi = next?.id ?? (prev === undefined ? self + ID_STEP * k : Math.max(self, prev.id) + ID_STEP * (k + 1));
    const gap = (hi - lo) / (k + 1);
    if (gap < 1) return null;
    const ids: number[] = [];
    for (let r = 1; r <= k; r++) ids.push(lo + Math.floor(gap * r));
    for (let r = 1; r < k; r++) if (ids[r]! <= ids[r - 1]!) return null;
    if (ids[0]! <= lo || ids[k - 1]! >= hi) return null;
    return ids;
  }

  /** Gives every node a new id, ID_STEP apart, sealed nodes sealed again for it (rare: ids ran out). */
  private renumber(c: ListCodec, skip = -1): void {
    this.settleOpen();
    const half = Math.floor(this.nodes.length / 2);
    const scratch = new Scratch();
    for (let ni = 0; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      const id = (ni - half) * ID_STEP;
      if (!node.sealed || ni === skip) {
        node.id = id;
        continue;
      }
      // The whole blob, the bytes of elements already popped from it included (same length).
      const whole = node.deadHead + node.plain + node.deadTail;
      const plain = scratch.room(whole);
      try {
        c.openNode(node.id, node.buf, node.base + node.lo, node.hi - node.lo, plain, 0);
        c.sealNode(id, plain.subarray(0, whole), node.buf, node.base + node.lo);
        node.id = id;
      } finally {
        scratch.wipe(whole);
      }
    }
  }

  /** After a bulk push: ids must rise (they do unless an end ran out: then renumbered). */
  private checkIds(c: ListCodec): void {
    const first = this.nodes[0];
    const last = this.nodes[this.nodes.length - 1];
    if (first !== undefined && (Math.abs(first.id) > ID_LIMIT || Math.abs(last!.id) > ID_LIMIT)) this.renumber(c);
  }

  /** The node holding index; sets foundEntry (index in the node) and, for a loose node, foundAt. */
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
    foundEntry = k;
    if (node.sealed) {
      foundAt = -1;
      return ni;
    }
    let p: number;
    if (k < node.count / 2) {
      p = node.lo;
      for (let i = 0; i < k; i++) p += entryBytes(readForward(node.buf, node.base + p));
    } else {
      p = node.hi;
      for (let i = node.count; i > k; i--) p -= entryBytes(readBackward(node.buf, node.base + p));
    }
    foundAt = p;
    return ni;
  }

  /**
   * Gets `need` bytes free at one end of a loose node, sliding or growing its block; false when
   * the block cannot grow that far (a new node is then started).
   */
  private makeRoom(node: ListNode, need: number, atHead: boolean): boolean {
    if (atHead ? node.lo >= need : node.cap - node.hi >= need) return true;
    const used = node.hi - node.lo;
    if (used + need > LOOSE_MAX && used > 0) return false;
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
    const cap = blockBytes(fit <= SMALL_BLOCK ? fit : Math.max(fit, Math.min(LOOSE_MAX, Math.floor(node.cap * 1.5))));
    this.moveNode(node, cap, atHead ? cap - used : 0, used);
    return true;
  }

  /** Moves a node's payload to a new block of `cap` bytes, starting at lo, `used` bytes long (the rest is for the caller). */
  private moveNode(node: ListNode, cap: number, lo: number, used: number): void {
    const handle = this.arena.alloc(cap);
    const buf = this.arena.bytes[RecordArena.slab(handle)]!;
    const base = offsetOf(handle);
    const keep = Math.min(used, node.hi - node.lo);
    buf.set(node.buf.subarray(node.base + node.lo, node.base + node.lo + keep), base + lo);
    this.arena.free(node.handle, node.cap);
    this.blockTotal += cap - node.cap;
    node.handle = handle;
    node.buf = buf;
    node.base = base;
    node.cap = cap;
    node.lo = lo;
    node.hi = lo + used;
  }

  /** An empty loose node with a block of `cap` bytes (payload at its head end when atHead). */
  private newBlock(id: number, cap: number, atHead: boolean): ListNode {
    const handle = this.arena.alloc(cap);
    this.blockTotal += cap;
    const lo = atHead ? cap : 0;
    return {
      handle, buf: this.arena.bytes[RecordArena.slab(handle)]!, base: offsetOf(handle), cap, lo, hi: lo, count: 0, plain: 0, id, sealed: false,
      deadHead: 0, deadTail: 0, group: false,
    };
  }

  private afterPop(node: ListNode, ni: number, plainLength: number): void {
    node.count--;
    node.plain -= plainEntryBytes(plainLength);
    this.size--;
    if (node.count === 0) this.dropNode(ni);
    // Only a lone node gives its slack back: an end node of a longer list is about to empty.
    else if (this.nodes.length === 1) this.maybeShrink(node);
  }

  /** A loose block much larger than its payload gives the memory back (after pops and removals). */
  private maybeShrink(node: ListNode): void {
    const used = node.hi - node.lo;
    if (!node.sealed && node.cap >= 512 && used < node.cap / 4) {
      const cap = blockBytes(Math.floor(used * 1.5));
      this.moveNode(node, cap, (cap - used) >> 1, used);
    }
  }

  private dropNode(ni: number): void {
    const node = this.nodes[ni]!;
    if (node.cap > 0) this.arena.free(node.handle, node.cap);
    this.blockTotal -= node.cap;
    if (ni === 0) this.nodes.shift();
    else if (ni === this.nodes.length - 1) this.nodes.pop();
    else this.nodes.splice(ni, 1);
  }

  /**
   * After removals, over nodes a..b: drops emptied nodes and merges a node into its next one
   * when both together fill at most half a node (as quicklist does), so thinned-out stretches
   * do not keep a block per few elements; otherwise gives back a mostly empty block's slack.
   * Loose nodes left between others are sealed.
   */
  private tidy(a: number, b: number, c: ListCodec): void {
    a = Math.max(0, a);
    for (let ni = Math.min(b, this.nodes.length - 1); ni >= a; ni--) {
      const node = this.nodes[ni]!;
      if (node.count === 0) {
        this.dropNode(ni);
        continue;
      }
      const next = this.nodes[ni + 1];
      if (next !== undefined && next.plain + node.plain <= c.nodeBytes / 2 && next.count + node.count <= c.nodeCount) this.mergeInto(ni, c);
      else this.maybeShrink(node);
    }
    for (let ni = Math.max(1, a); ni <= Math.min(b + 1, this.nodes.length - 2); ni++) {
      if (!this.nodes[ni]!.sealed) this.sealLoose(ni, c);
    }
  }

  /** Joins nodes ni and ni + 1 into one: loose when both are, else sealed (a fresh id). */
  private mergeInto(ni: number, c: ListCodec): void {
    const a = this.nodes[ni]!;
    const b = this.nodes[ni + 1]!;
    if (!a.sealed && !b.sealed) {
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
      this.nodes[ni] = { handle, buf, base, cap, lo: 0, hi: ua + ub, count: a.count + b.count, plain: a.plain + b.plain, id: a.id, sealed: false, deadHead: 0, deadTail: 0, group: false };
      this.nodes.splice(ni + 1, 1);
      return;
    }
    const length = a.plain + b.plain;
    const seq = edited.room(length);
    try {
      this.openNode(ni, c, seq, 0);
      this.openNode(ni + 1, c, seq, a.plain);
      // b's place goes first, so ni's replacement ids between a's neighbour and b's.
      this.arena.free(b.handle, b.cap);
      this.blockTotal -= b.cap;
      a.count += b.count;
      this.nodes.splice(ni + 1, 1);
      this.replaceWithSealed(ni, seq, length, c);
    } finally {
      edited.wipe(length);
    }
  }

  /**
   * The general change to loose node ni: remove `remove` entries at entry k and put `el`
   * (sealed) there, repacking the node into as many nodes as the result needs. O(entries in the node).
   */
  private splice(ni: number, k: number, remove: number, el: Uint8Array | undefined, c: ListCodec): void {
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
    const made = this.rewriteLoose(ni, entries, c);
    // Nodes that are no longer ends are sealed.
    for (let i = ni; i < ni + made; i++) if (i > 0 && i < this.nodes.length - 1 && !this.nodes[i]!.sealed) this.sealLoose(i, c);
  }

  /**
   * Replaces loose node ni by loose nodes packed from sealed entries (views into the old block
   * are fine: it is freed last). Node limits count plaintext when a codec is given. Returns how many.
   */
  private rewriteLoose(ni: number, entries: Uint8Array[], c?: ListCodec): number {
    const old = this.nodes[ni]!;
    const overhead = c?.overhead ?? 0;
    const limitBytes = c?.nodeBytes ?? Infinity;
    const limitCount = c?.nodeCount ?? Infinity;
    const fresh: ListNode[] = [];
    let from = 0;
    let ids: number[] | null = null;
    while (from < entries.length) {
      let bytes = 0;
      let plain = 0;
      let to = from;
      while (to < entries.length) {
        const size = entryBytes(entries[to]!.length);
        const p = plainEntryBytes(entries[to]!.length - overhead);
        if (to > from && (plain + p > limitBytes || to - from >= limitCount || bytes + size > LOOSE_MAX)) break;
        bytes += size;
        plain += p;
        to++;
      }
      const node = this.newBlock(old.id, blockBytes(bytes), false);
      for (let i = from; i < to; i++) node.hi = writeEntry(node.buf, node.base + node.hi, entries[i]!) - node.base;
      node.count = to - from;
      node.plain = plain;
      fresh.push(node);
      from = to;
    }
    if (fresh.length > 1) {
      ids = this.idsBetween(ni, fresh.length);
      if (ids === null && c !== undefined) {
        this.renumber(c, ni);
        ids = this.idsBetween(ni, fresh.length);
      }
      if (ids !== null) fresh.forEach((node, i) => (node.id = ids![i]!));
    }
    this.arena.free(old.handle, old.cap);
    this.blockTotal -= old.cap;
    this.nodes.splice(ni, 1, ...fresh);
    return fresh.length;
  }

  /** Drops matching elements of sealed node ni (up to limit, from its head or tail); returns how many. */
  private compactSealed(ni: number, match: ElementPredicate, limit: number, fromTail: boolean, c: ListCodec): number {
    const node = this.nodes[ni]!;
    const src = opened.room(node.plain);
    this.openNode(ni, c, src, 0);
    let used = 0;
    try {
      const starts = entryStarts(src, node.count);
      const gone = new Uint8Array(node.count);
      let removed = 0;
      for (let i = 0; i < node.count && removed < limit; i++) {
        const e = fromTail ? node.count - 1 - i : i;
        const length = readForward(src, starts[e]!);
        if (match(src, starts[e]! + lastVarint, length)) {
          gone[e] = 1;
          removed++;
        }
      }
      if (removed === 0) return 0;
      if (removed === node.count) {
        this.size -= node.count;
        node.count = 0;
        return removed;
      }
      const out = edited.room(node.plain);
      for (let e = 0; e < node.count; e++) {
        if (gone[e] === 1) continue;
        const end = e + 1 < node.count ? starts[e + 1]! : node.plain;
        src.copy(out, used, starts[e]!, end);
        used += end - starts[e]!;
      }
      this.size -= removed;
      this.replaceWithSealed(ni, out, used, c);
      return removed;
    } finally {
      opened.wipe(node.plain);
      edited.wipe(used);
    }
  }

  /** One pass from a loose node's head: drops up to limit matching entries, keeps the rest packed. */
  private compactForward(node: ListNode, match: ElementPredicate, limit: number, c: ListCodec): number {
    const { buf, base } = node;
    const want = match.plainLength === undefined ? -1 : match.plainLength + c.overhead;
    let r = node.lo;
    let w = node.lo;
    let gone = 0;
    let plainGone = 0;
    try {
      while (r < node.hi && gone < limit) {
        const length = readForward(buf, base + r);
        const size = entryBytes(length);
        if ((want < 0 || length === want) && this.matchSealed(buf, base + r + varintBytes(length), length, match, c)) {
          gone++;
          plainGone += plainEntryBytes(length - c.overhead);
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
      node.plain -= plainGone;
      this.size -= gone;
    }
    return gone;
  }

  /** compactForward from a loose node's tail. */
  private compactBackward(node: ListNode, match: ElementPredicate, limit: number, c: ListCodec): number {
    const { buf, base } = node;
    const want = match.plainLength === undefined ? -1 : match.plainLength + c.overhead;
    let r = node.hi;
    let w = node.hi;
    let gone = 0;
    let plainGone = 0;
    try {
      while (r > node.lo && gone < limit) {
        const length = readBackward(buf, base + r);
        const size = entryBytes(length);
        if ((want < 0 || length === want) && this.matchSealed(buf, base + r - size + varintBytes(length), length, match, c)) {
          gone++;
          plainGone += plainEntryBytes(length - c.overhead);
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
      node.plain -= plainGone;
      this.size -= gone;
    }
    return gone;
  }
}
