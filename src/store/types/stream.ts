// A stream's entries (redis t_stream.c over rax + listpack): entries ordered by 128-bit ids
// (milliseconds and sequence, both unsigned 64-bit), kept in nodes of up to
// stream-node-max-entries entries, each node one arena block off the V8 heap:
//   [ms u64 BE][seq u64 BE][sealed length u32 BE][sealed bytes]
// Ids only grow (XADD appends at the tail), so the nodes form a sorted deque: a lookup is a
// binary search over the nodes' first ids, then over the node's entry offsets. Trimming drops
// whole nodes from the head (MAXLEN/MINID with ~) or entries of the first node; XDEL closes the
// gap inside one node. Ids are compared as four 32-bit words read straight from the block, so
// walking a range allocates nothing but the ids it hands out.
//
// The stream never sees plaintext: each entry's fields and values are one sealed blob the
// caller made, bound to the entry's id. Ids themselves are not secret (the order needs them).

import { blockBytes, collectionArena, offsetOf, type BlockArena } from './blocks.js';

/** A stream id: ms << 64 | seq. */
export type StreamId = bigint;

const U64 = (1n << 64n) - 1n;
export const ID_MIN: StreamId = 0n;
export const ID_MAX: StreamId = (1n << 128n) - 1n;
export const U64_MAX = U64;

export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}
export function idMs(id: StreamId): bigint {
  return id >> 64n;
}
export function idSeq(id: StreamId): bigint {
  return id & U64;
}
/** "ms-seq", as replies show an id. */
export function formatId(id: StreamId): string {
  return `${id >> 64n}-${id & U64}`;
}

// ---- ids as numbers (the hot paths) ----
// BigInt ids cost an allocation per operation (shift, mask, BigInt(n)), which added up to a
// tenth of XADD's time. Where both halves of an id are below 2^53 (every auto id, and every id
// a client is likely to pick) XADD and the readers work on plain numbers and on the id's four
// 32-bit words in the node; anything larger takes the exact BigInt path, so the whole u64 range
// keeps Redis's semantics.

const TWO32 = 2 ** 32;
/** An id half at most this large is exact as a number. */
export const SAFE_HALF = Number.MAX_SAFE_INTEGER;
const SAFE_HALF_BIG = BigInt(SAFE_HALF);
/** The longest id text: two 20-digit halves and the dash. */
export const ID_TEXT_MAX = 41;

/** Writes the decimal digits of n (a safe non-negative integer) at `at`; returns where they end. */
export function writeDecimal(out: Uint8Array, at: number, n: number): number {
  if (n >= 1e8) {
    // Two int32 halves: integer division on doubles costs several times more.
    const high = Math.floor(n / 1e8);
    at = writeSmall(out, at, high);
    return writeSmall(out, at, n - high * 1e8, 8);
  }
  return writeSmall(out, at, n);
}

/** Digits of n < 1e9, at least `width` of them (zero-padded). */
function writeSmall(out: Uint8Array, at: number, n: number, width = 1): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = (rest / 10) | 0) digits++;
  if (digits < width) digits = width;
  for (let i = at + digits - 1, rest = n; i >= at; i--, rest = (rest / 10) | 0) out[i] = 0x30 + (rest % 10);
  return at + digits;
}

/** The last millisecond half written and its digits: ids added or read together share it. */
let cachedMs = -1;
let cachedMsLength = 0;
const cachedMsDigits = new Uint8Array(20);

/** Writes "ms-seq" for numeric halves at `at`; returns the text's length. */
export function writeIdText(out: Uint8Array, at: number, ms: number, seq: number): number {
  if (ms !== cachedMs) {
    cachedMsLength = writeDecimal(cachedMsDigits, 0, ms);
    cachedMs = ms;
  }
  for (let i = 0; i < cachedMsLength; i++) out[at + i] = cachedMsDigits[i]!;
  const dash = at + cachedMsLength;
  out[dash] = 0x2d;
  return writeDecimal(out, dash + 1, seq) - at;
}

/** Writes the id text of the entry at p (its header in buf) at `at`; returns the text's length. */
export function writeEntryIdText(buf: Buffer, p: number, out: Uint8Array, at: number): number {
  const msHi = buf.readUInt32BE(p);
  const seqHi = buf.readUInt32BE(p + 8);
  // Below 2^21 the high word keeps the half under 2^53: exact as a number.
  if (msHi < 0x200000 && seqHi < 0x200000) {
    return writeIdText(out, at, msHi * TWO32 + buf.readUInt32BE(p + 4), seqHi * TWO32 + buf.readUInt32BE(p + 12));
  }
  const text = formatId(readId(buf, p));
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return text.length;
}

/** The id of the entry whose header is at p. */
export function entryIdAt(buf: Buffer, p: number): StreamId {
  return readId(buf, p);
}

/** Sealed bytes of the entry whose header is at p: their length (they start at p + ENTRY_HEADER). */
export function entryLengthAt(buf: Buffer, p: number): number {
  return buf.readUInt32BE(p + 16);
}

/** How big a node may grow (stream-node-max-entries / stream-node-max-bytes; 0 = no limit). */
export interface NodeLimits {
  maxEntries: number;
  maxBytes: number;
}

/** Looks at one entry: its id and `length` sealed bytes at `start` in `bytes` (do not keep them). */
export type EntryVisitor = (id: StreamId, bytes: Buffer, start: number, length: number) => boolean | void;

/** Looks at one entry by where its header lies (entryIdAt, entryLengthAt, writeEntryIdText read it). */
export type EntryAtVisitor = (buf: Buffer, p: number) => boolean | void;

/** An entry's header: id (ms u64, seq u64) and sealed length (u32); its sealed bytes follow. */
export const ENTRY_HEADER = 20;
/** Redis caps a listpack at 1 GiB; a node's "weight" (see append) never needs more than this. */
const NODE_MAX_WEIGHT = 2 ** 30;
const NODE_OVERHEAD = 120;
/** The most a new node is sized ahead for (see place). */
const NODE_PRESIZE_MAX = 1 << 20;
const STREAM_OVERHEAD = 160;

interface StreamNode {
  handle: number;
  buf: Buffer;
  base: number;
  cap: number;
  /** Payload bytes used, from base. */
  used: number;
  /** Live entries, and their offsets (relative to base). */
  count: number;
  offs: Uint32Array;
  /** Entries ever appended here (live + deleted): Redis counts deleted entries against the node's size. */
  appended: number;
  /** Plaintext-like size appended here (what Redis's listpack bytes would be). */
  weight: number;
}

/** The four 32-bit words of an id, for comparisons against entries in place. */
let k0 = 0;
let k1 = 0;
let k2 = 0;
let k3 = 0;
function loadKey(id: StreamId): void {
  k0 = Number((id >> 96n) & 0xffffffffn);
  k1 = Number((id >> 64n) & 0xffffffffn);
  k2 = Number((id >> 32n) & 0xffffffffn);
  k3 = Number(id & 0xffffffffn);
}

/** Compares the entry id at p with the loaded key: <0, 0, >0. */
function compareAt(buf: Buffer, p: number): number {
  let x = buf.readUInt32BE(p);
  if (x !== k0) return x < k0 ? -1 : 1;
  x = buf.readUInt32BE(p + 4);
  if (x !== k1) return x < k1 ? -1 : 1;
  x = buf.readUInt32BE(p + 8);
  if (x !== k2) return x < k2 ? -1 : 1;
  x = buf.readUInt32BE(p + 12);
  if (x !== k3) return x < k3 ? -1 : 1;
  return 0;
}

/** writeUInt32BE without its range checks (v is a u32 by construction, p inside the node). */
function putU32(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = (v >>> 16) & 0xff;
  buf[p + 2] = (v >>> 8) & 0xff;
  buf[p + 3] = v & 0xff;
}

function readId(buf: Buffer, p: number): StreamId {
  const msHi = buf.readUInt32BE(p);
  const seqHi = buf.readUInt32BE(p + 8);
  // Halves below 2^53 go through numbers: two BigInts made instead of readBigUInt64BE's several.
  if (msHi < 0x200000 && seqHi < 0x200000) {
    return (BigInt(msHi * TWO32 + buf.readUInt32BE(p + 4)) << 64n) | BigInt(seqHi * TWO32 + buf.readUInt32BE(p + 12));
  }
  return (buf.readBigUInt64BE(p) << 64n) | buf.readBigUInt64BE(p + 8);
}

export class StreamLog {
  private nodes: StreamNode[] = [];
  private size = 0;
  private blockTotal = 0;
  /**
   * Highest id ever given out (XADD's floor), kept when entries go: as numbers (lastMs,
   * lastSeq) while both halves are safe, and as a BigInt made when someone asks for it.
   */
  private lastBig: StreamId | null = 0n;
  /** lastId's halves, exact while lastSafe (read them, set lastId or append to change them). */
  lastMs = 0;
  lastSeq = 0;
  lastSafe = true;
  /** Highest id XDEL removed (XINFO max-deleted-entry-id). */
  maxDeletedId: StreamId = 0n;
  /** Entries ever added (XINFO entries-added, consumer-group lag). */
  entriesAdded = 0;

  constructor(private readonly arena: BlockArena = collectionArena()) {}

  get lastId(): StreamId {
    if (this.lastBig === null) this.lastBig = (BigInt(this.lastMs) << 64n) | BigInt(this.lastSeq);
    return this.lastBig;
  }

  set lastId(id: StreamId) {
    this.lastBig = id;
    const ms = id >> 64n;
    const seq = id & U64;
    this.lastSafe = ms <= SAFE_HALF_BIG && seq <= SAFE_HALF_BIG;
    this.lastMs = this.lastSafe ? Number(ms) : 0;
    this.lastSeq = this.lastSafe ? Number(seq) : 0;
  }

  get length(): number {
    return this.size;
  }

  /** Nodes (XINFO radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  memoryBytes(): number {
    return STREAM_OVERHEAD + this.blockTotal + this.nodes.length * NODE_OVERHEAD;
  }

  /** The first entry's id, undefined when empty. */
  firstId(): StreamId | undefined {
    const node = this.nodes[0];
    return node === undefined ? undefined : readId(node.buf, node.base + node.offs[0]!);
  }

  lastEntryId(): StreamId | undefined {
    const node = this.nodes[this.nodes.length - 1];
    return node === undefined ? undefined : readId(node.buf, node.base + node.offs[node.count - 1]!);
  }

  /** Whether the last entry's id is above the given one (XREAD/XREADGROUP: anything new?), without making ids. */
  lastEntryAbove(id: StreamId): boolean {
    const node = this.nodes[this.nodes.length - 1];
    if (node === undefined) return false;
    loadKey(id);
    return compareAt(node.buf, node.base + node.offs[node.count - 1]!) > 0;
  }

  /**
   * Appends an entry with an id above every id in the stream (the caller checked against
   * lastId, which it then becomes). `weight` is what the entry would cost in Redis's listpack,
   * so nodes split where Redis's do and `~` trimming removes what Redis would.
   */
  append(id: StreamId, sealed: Uint8Array, weight: number, limits: NodeLimits): void {
    const p = this.place(
      Number((id >> 96n) & 0xffffffffn), Number((id >> 64n) & 0xffffffffn), Number((id >> 32n) & 0xffffffffn), Number(id & 0xffffffffn),
      sealed.length, weight, limits,
    );
    this.tailBuffer.set(sealed, p);
    if (id > this.lastId) this.lastId = id;
  }

  /**
   * append() for an id given as two safe numbers (ms, seq), above lastId: makes room for
   * `sealedLength` bytes and returns where in tailBuffer the caller writes them (seals them
   * straight into the node), before anything else touches the stream.
   */
  appendSpace(ms: number, seq: number, sealedLength: number, weight: number, limits: NodeLimits): number {
    const p = this.place(Math.floor(ms / TWO32), ms >>> 0, Math.floor(seq / TWO32), seq >>> 0, sealedLength, weight, limits);
    this.lastBig = null;
    this.lastMs = ms;
    this.lastSeq = seq;
    this.lastSafe = true;
    return p;
  }

  /** The last node's buffer (where appendSpace's offset points). */
  get tailBuffer(): Buffer {
    return this.nodes[this.nodes.length - 1]!.buf;
  }

  /** Adds an entry's header (id words, sealed length) at the tail; returns where its sealed bytes go. */
  private place(w0: number, w1: number, w2: number, w3: number, sealedLength: number, weight: number, limits: NodeLimits): number {
    const need = ENTRY_HEADER + sealedLength;
    const maxBytes = limits.maxBytes === 0 || limits.maxBytes > NODE_MAX_WEIGHT ? NODE_MAX_WEIGHT : limits.maxBytes;
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (node === undefined || node.weight + weight >= maxBytes || (limits.maxEntries > 0 && node.appended >= limits.maxEntries)) {
      node = this.newNode(this.newNodeSize(need, weight, maxBytes, limits.maxEntries, node));
      this.nodes.push(node);
    } else if (node.used + need > node.cap) {
      this.grow(node, node.used + need);
    }
    const p = node.base + node.used;
    const buf = node.buf;
    putU32(buf, p, w0);
    putU32(buf, p + 4, w1);
    putU32(buf, p + 8, w2);
    putU32(buf, p + 12, w3);
    putU32(buf, p + 16, sealedLength);
    if (node.count === node.offs.length) {
      const offs = new Uint32Array(node.offs.length * 2);
      offs.set(node.offs);
      node.offs = offs;
    }
    node.offs[node.count++] = node.used;
    node.used += need;
    node.appended++;
    node.weight += weight;
    this.size++;
    this.entriesAdded++;
    return p + ENTRY_HEADER;
  }

  /** The sealed bytes of entry id as a view (valid until the stream changes), or undefined. */
  get(id: StreamId): Buffer | undefined {
    const [ni, k] = this.seek(id);
    const node = this.nodes[ni];
    if (node === undefined || k >= node.count) return undefined;
    const p = node.base + node.offs[k]!;
    loadKey(id);
    if (compareAt(node.buf, p) !== 0) return undefined;
    const length = node.buf.readUInt32BE(p + 16);
    return node.buf.subarray(p + ENTRY_HEADER, p + ENTRY_HEADER + length);
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /**
   * Visits entries with start <= id <= end in id order (or from end down to start when
   * `reverse`); a visitor returning false stops. Returns how many were visited.
   */
  range(start: StreamId, end: StreamId, reverse: boolean, visit: EntryVisitor): number {
    return this.scan(start, end, reverse, (buf, p) => visit(readId(buf, p), buf, p + ENTRY_HEADER, buf.readUInt32BE(p + 16)));
  }

  /**
   * range() handing out where each entry's header lies instead of its id: a reader that only
   * writes the id into a reply reads it from there (writeEntryIdText) without making a BigInt.
   * The positions stay valid until the stream changes.
   */
  scan(start: StreamId, end: StreamId, reverse: boolean, visit: EntryAtVisitor): number {
    if (start > end || this.size === 0) return 0;
    let seen = 0;
    if (!reverse) {
      let [ni, k] = this.seek(start);
      loadKey(end);
      // A visitor may compare ids itself (the loaded key is module state): keep the bound's words.
      const [e0, e1, e2, e3] = [k0, k1, k2, k3];
      for (; ni < this.nodes.length; ni++, k = 0) {
        const node = this.nodes[ni]!;
        for (; k < node.count; k++) {
          const p = node.base + node.offs[k]!;
          k0 = e0;
          k1 = e1;
          k2 = e2;
          k3 = e3;
          if (compareAt(node.buf, p) > 0) return seen;
          seen++;
          if (visit(node.buf, p) === false) return seen;
        }
      }
      return seen;
    }
    // The last entry <= end: one before the first entry > end.
    let [ni, k] = this.seekAfter(end);
    if (--k < 0) ni--;
    loadKey(start);
    const [s0, s1, s2, s3] = [k0, k1, k2, k3];
    for (; ni >= 0; ni--) {
      const node = this.nodes[ni]!;
      if (k < 0) k = node.count - 1;
      for (; k >= 0; k--) {
        const p = node.base + node.offs[k]!;
        k0 = s0;
        k1 = s1;
        k2 = s2;
        k3 = s3;
        if (compareAt(node.buf, p) < 0) return seen;
        seen++;
        if (visit(node.buf, p) === false) return seen;
      }
      k = -1;
    }
    return seen;
  }

  /** Removes entry id (XDEL); whether it was there. maxDeletedId is the caller's to keep. */
  delete(id: StreamId): boolean {
    const [ni, k] = this.seek(id);
    const node = this.nodes[ni];
    if (node === undefined || k >= node.count) return false;
    const p = node.offs[k]!;
    loadKey(id);
    if (compareAt(node.buf, node.base + p) !== 0) return false;
    this.removeEntries(ni, k, 1);
    return true;
  }

  /**
   * Trims from the head (XTRIM, XADD MAXLEN/MINID) as Redis's streamTrim does: whole nodes go
   * while they fit the bound; with `approx` nothing smaller than a node goes; otherwise the
   * remaining excess is cut from the first node. `limit` (> 0) caps the entries removed, counted
   * in whole nodes. Keeps entries while length > maxLen (maxLen mode) or id < minId (minId mode).
   */
  trim(mode: 'maxlen' | 'minid', bound: bigint, approx: boolean, limit: number): number {
    let removed = 0;
    const maxLen = mode === 'maxlen' ? bound : 0n;
    while (this.nodes.length > 0) {
      if (mode === 'maxlen' && BigInt(this.size) <= maxLen) break;
      const node = this.nodes[0]!;
      let whole: boolean;
      if (mode === 'maxlen') whole = BigInt(this.size - node.count) >= maxLen;
      else {
        loadKey(bound);
        whole = compareAt(node.buf, node.base + node.offs[node.count - 1]!) < 0;
      }
      if (whole) {
        if (limit > 0 && removed + node.count > limit) break;
        removed += node.count;
        this.size -= node.count;
        this.dropNode(0);
        continue;
      }
      if (approx) break;
      // Cut entries of the first node one by one.
      let k = 0;
      if (mode === 'maxlen') k = Math.min(node.count, Number(BigInt(this.size) - maxLen));
      else {
        loadKey(bound);
        while (k < node.count && compareAt(node.buf, node.base + node.offs[k]!) < 0) k++;
      }
      if (k > 0) {
        this.removeEntries(0, 0, k);
        removed += k;
      }
      break;
    }
    return removed;
  }

  /**
   * Re-seals every entry (key rotation, RENAME/COPY): reseal gets each entry's id and sealed
   * bytes where they lie and returns the replacement; ids and order stay.
   */
  replaceEach(reseal: (id: StreamId, bytes: Buffer, start: number, length: number) => Uint8Array): void {
    for (let ni = 0; ni < this.nodes.length; ni++) {
      const node = this.nodes[ni]!;
      const fresh: Uint8Array[] = [];
      let need = 0;
      for (let k = 0; k < node.count; k++) {
        const p = node.base + node.offs[k]!;
        const length = node.buf.readUInt32BE(p + 16);
        const next = reseal(readId(node.buf, p), node.buf, p + ENTRY_HEADER, length);
        fresh.push(next);
        need += ENTRY_HEADER + next.length;
      }
      // Rebuild the node's payload in a new block (the old one stays readable this turn).
      const old = node;
      const handle = this.arena.alloc(need);
      const buf = this.arena.bytes[handle >>> 17]!;
      const base = offsetOf(handle);
      let used = 0;
      for (let k = 0; k < old.count; k++) {
        const p = old.base + old.offs[k]!;
        buf.set(old.buf.subarray(p, p + 16), base + used);
        buf.writeUInt32BE(fresh[k]!.length, base + used + 16);
        buf.set(fresh[k]!, base + used + ENTRY_HEADER);
        old.offs[k] = used;
        used += ENTRY_HEADER + fresh[k]!.length;
      }
      this.arena.free(old.handle, old.cap);
      this.blockTotal += blockBytes(need) - old.cap;
      node.handle = handle;
      node.buf = buf;
      node.base = base;
      node.cap = blockBytes(need);
      node.used = used;
    }
  }

  /** A copy with the same ids, counters and node boundaries; each entry's bytes from `reseal`. */
  copy(reseal: (id: StreamId, bytes: Buffer, start: number, length: number) => Uint8Array): StreamLog {
    const out = new StreamLog(this.arena);
    for (const node of this.nodes) {
      const fresh = out.newNode(Math.max(node.used, 64));
      fresh.appended = node.appended;
      fresh.weight = node.weight;
      out.nodes.push(fresh);
      for (let k = 0; k < node.count; k++) {
        const p = node.base + node.offs[k]!;
        const length = node.buf.readUInt32BE(p + 16);
        const sealed = reseal(readId(node.buf, p), node.buf, p + ENTRY_HEADER, length);
        const need = ENTRY_HEADER + sealed.length;
        if (fresh.used + need > fresh.cap) out.grow(fresh, fresh.used + need);
        const q = fresh.base + fresh.used;
        fresh.buf.set(node.buf.subarray(p, p + 16), q);
        fresh.buf.writeUInt32BE(sealed.length, q + 16);
        fresh.buf.set(sealed, q + ENTRY_HEADER);
        if (fresh.count === fresh.offs.length) {
          const offs = new Uint32Array(fresh.offs.length * 2);
          offs.set(fresh.offs);
          fresh.offs = offs;
        }
        fresh.offs[fresh.count++] = fresh.used;
        fresh.used += need;
      }
    }
    out.size = this.size;
    out.lastId = this.lastId;
    out.maxDeletedId = this.maxDeletedId;
    out.entriesAdded = this.entriesAdded;
    return out;
  }

  /** Every entry's sealed bytes, with its id (rotation budget, memory scans). */
  forEach(visit: EntryVisitor): void {
    this.range(ID_MIN, ID_MAX, false, visit);
  }

  /** Sealed bytes of the first `samples` entries and their count (MEMORY USAGE SAMPLES). */
  sampleBytes(samples: number): [bytes: number, seen: number] {
    let bytes = 0;
    let seen = 0;
    for (const node of this.nodes) {
      if (seen >= samples) break;
      const take = Math.min(node.count, samples - seen);
      bytes += take === node.count ? node.used : node.offs[take]!;
      seen += take;
    }
    return [bytes, seen];
  }

  /** Drops every entry (the counters stay). */
  clear(): void {
    for (const node of this.nodes) this.arena.free(node.handle, node.cap);
    this.nodes = [];
    this.size = 0;
    this.blockTotal = 0;
  }

  /** The first entry >= id: [node index, entry index] (entry index may be count: none in that node). */
  private seek(id: StreamId): [number, number] {
    return this.locate(id, false);
  }

  /** The first entry > id. */
  private seekAfter(id: StreamId): [number, number] {
    return this.locate(id, true);
  }

  private locate(id: StreamId, after: boolean): [number, number] {
    const nodes = this.nodes;
    if (nodes.length === 0) return [0, 0];
    loadKey(id);
    // The last node whose first entry is <= id (the first node when none is).
    let lo = 0;
    let hi = nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const n = nodes[mid]!;
      const c = compareAt(n.buf, n.base + n.offs[0]!);
      if (c <= 0) lo = mid;
      else hi = mid - 1;
    }
    const node = nodes[lo]!;
    let a = 0;
    let b = node.count;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const c = compareAt(node.buf, node.base + node.offs[mid]!);
      if (c < 0 || (after && c === 0)) a = mid + 1;
      else b = mid;
    }
    if (a === node.count && lo < nodes.length - 1) return [lo + 1, 0];
    return [lo, a];
  }

  /** Removes n entries of node ni from entry k (all in that node). */
  private removeEntries(ni: number, k: number, n: number): void {
    const node = this.nodes[ni]!;
    if (n >= node.count) {
      this.size -= node.count;
      this.dropNode(ni);
      return;
    }
    const from = node.offs[k]!;
    const to = k + n < node.count ? node.offs[k + n]! : node.used;
    const gap = to - from;
    node.buf.copyWithin(node.base + from, node.base + to, node.base + node.used);
    node.buf.fill(0, node.base + node.used - gap, node.base + node.used);
    node.used -= gap;
    for (let i = k + n; i < node.count; i++) node.offs[i - n] = node.offs[i]! - gap;
    node.count -= n;
    this.size -= n;
  }

  /**
   * The block of a new node whose first entry needs `need` bytes. Room for a few entries like it
   * (eight), or, after a full node, as much as that one held (up to 1 MiB), so a stream does not
   * grow its node copy by copy; but never more than the node will take: k entries like this one
   * while k * weight < stream-node-max-bytes, at most stream-node-max-entries. An entry of
   * stream-node-max-bytes or more fills its node alone and gets a block of its own size.
   */
  private newNodeSize(need: number, weight: number, maxBytes: number, maxEntries: number, full: StreamNode | undefined): number {
    const fits = Math.min(weight > 0 ? Math.ceil(maxBytes / weight) - 1 : Infinity, maxEntries > 0 ? maxEntries : Infinity);
    if (fits < 8) return need * Math.max(1, fits);
    return Math.max(need * 8, 1024, full === undefined ? 0 : Math.min(full.used + need, NODE_PRESIZE_MAX));
  }

  private newNode(size: number): StreamNode {
    const handle = this.arena.alloc(size);
    const cap = blockBytes(size);
    this.blockTotal += cap;
    return {
      handle, buf: this.arena.bytes[handle >>> 17]!, base: offsetOf(handle), cap, used: 0,
      count: 0, offs: new Uint32Array(16), appended: 0, weight: 0,
    };
  }

  /** Moves a node's payload to a block of at least `need` bytes (half again as big, at least). */
  private grow(node: StreamNode, need: number): void {
    const size = Math.max(need, Math.floor(node.cap * 1.5));
    const handle = this.arena.alloc(size);
    const buf = this.arena.bytes[handle >>> 17]!;
    const base = offsetOf(handle);
    buf.set(node.buf.subarray(node.base, node.base + node.used), base);
    this.arena.free(node.handle, node.cap);
    this.blockTotal += blockBytes(size) - node.cap;
    node.handle = handle;
    node.buf = buf;
    node.base = base;
    node.cap = blockBytes(size);
  }

  private dropNode(ni: number): void {
    const node = this.nodes[ni]!;
    this.arena.free(node.handle, node.cap);
    this.blockTotal -= node.cap;
    this.nodes.splice(ni, 1);
  }
}
