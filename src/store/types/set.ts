// A set of sealed members (redis t_set.c over dict.c), indexed by a keyed digest of each member
// that the caller computes (DIGEST_BYTES, as src/seal/name-hash.ts does for key names): the set
// never sees a plaintext member outside the moments a codec opens one of its nodes. Digests must
// come from one key for every set, so the algebra below compares members of different sets by
// digest alone. The digest index is set-index.ts (SetIndex, which SealedSet extends); the
// readers and the algebra are set-walks.ts.
//
// Members live in NODES, several to a node, each node sealed whole (SetCodec: bound to database,
// key and the node's serial, a number it keeps for life whatever index it sits at), as list
// nodes are (list-encoding.ts). A seal costs 45 bytes; one per member was most of what a large
// set cost beside Redis. A node's plaintext is [varint length][bytes] per member; it holds at
// most NODE_MAX members and NODE_BYTES bytes, and a member longer than SOLO_BYTES gets a node of
// its own. New members go to the TAIL node (opened, appended to, sealed again: a batch of adds
// seals it once). With `keepOpen` the tail stays open after the add, in one module-wide scratch
// (`building`, held by one set at a time), for the adds that follow: the server settles it when
// its turn's commands have run (settleOpenTail), and the set settles it itself before anything
// else touches its nodes (removals, readers, walks, rotation, copies; clear drops it). A
// removal marks the member's slot DEAD without opening its node (SPOP opens it once, for the
// reply): the removed member's bytes stay sealed in the node, never to open
// again, until the node is rewritten: when half its slots are dead, when the tail is opened to
// append to, or when a node other than the tail gets SPARSE (under NODE_MAX / 4 live members):
// it is then opened, compacted and sealed again, and moved whole into the tail or made the
// tail if still small (under SOLO_BYTES). So a node's dead bytes never outweigh its live ones,
// every node but the tail holds a quarter of a node or more, and many removals cannot leave a
// trail of near-empty nodes. Node indexes are renumbered (compactNodes) when most are free.
//
// The nodes, in typed arrays beside the index (set-index.ts): per node six words (arena block, sealed length, serial, slots used, plaintext
// bytes, live members) and NODE_MAX slot words: the entry of each member (or DEAD), so
// moving members between slots or nodes updates their places without opening anything else.
//
// Member ids handed out (MemberId) are valid until the set next changes.

import { RecordArena } from '../record-arena.js';
import { blockBytes, collectionArena, offsetOf, type BlockArena } from './blocks.js';
import { lastVarint, readForward, Scratch, varintBytes, writeVarint } from './list-encoding.js';
import { EMPTY, EW, E_PLACE, NO_PLACE, SetIndex, growTo, loadDigest, type MemberId, type MemberVisitor } from './set-index.js';
import { SetReader } from './set-walks.js';

export { DIGEST_BYTES, type MemberId, type MemberVisitor, type Random } from './set-index.js';
export { SetReader, difference, intersect, intersectCardinality, union } from './set-walks.js';

/** Members per node at most (a power of two: a place is node * NODE_MAX + slot). */
export const NODE_MAX = 16;
export const SLOT_BITS = 4;
/** Plaintext bytes per node at most (a member over SOLO_BYTES has a node of its own). */
export const NODE_BYTES = 512;
export const SOLO_BYTES = NODE_BYTES / 4;
const SPARSE_COUNT = NODE_MAX / 4;
/** Node words: arena block, sealed length, serial, slots used, plaintext bytes, live members. */
const NW = 6;
const N_BLOCK = 0;
const N_SEALED = 1;
const N_SERIAL = 2;
const N_COUNT = 3;
const N_PLAIN = 4;
const N_LIVE = 5;
/** A slot whose member was removed while its node stayed sealed as it was (see takeFromNode). */
const DEAD = 0xffffffff;
/** Estimated heap cost of the set object, and of each typed array with its ArrayBuffer (V8, 64-bit). */
const SET_OVERHEAD = 96;
const ARRAY_OVERHEAD = 160;

/** Seals and opens the nodes of one set (its database and key); see src/seal/set-codec.ts. */
export interface SetCodec {
  /** Bytes a seal adds to its plaintext. */
  readonly overhead: number;
  /** Seals a node's plaintext, bound to its serial, into out at `at` (overhead + plain.length bytes). */
  sealNode(serial: number, plain: Uint8Array, out: Buffer, at: number): void;
  /** Opens a node's sealed bytes into out at `at`; throws the codec's error. */
  openNode(serial: number, src: Buffer, start: number, length: number, out: Buffer, at: number): void;
}

/** Looks at one member's plaintext (do not keep it: it is wiped after the walk); false stops. */
export type PlainVisitor = (plain: Buffer, start: number, length: number, id: MemberId) => boolean | void;

/** Uint8Array's own fill: Buffer's goes through argument checks in JS first. */
const fillBytes = Uint8Array.prototype.fill;
/** Most bytes a scratch keeps between uses (as list-encoding.ts's Scratch does). */
const KEEP_SCRATCH = 256 * 1024;

/** Zeroes the first n bytes of a scratch's buffer (Scratch.wipe, without Buffer.fill's checks). */
export function wipe(scratch: Scratch, n: number): void {
  const buf = scratch.buf;
  fillBytes.call(buf, 0, 0, Math.min(n, buf.length));
  if (buf.length > KEEP_SCRATCH) scratch.buf = Buffer.alloc(0);
}

/**
 * Exact-length plain views of the last scratch buffer sealed from, made once per length: a
 * seal takes its plaintext as a view of that length, and Buffer's subarray would make a new
 * object (and garbage) on every SADD.
 */
let viewsOf: Buffer | null = null;
let views: Uint8Array[] = [];

function plainView(buf: Buffer, length: number): Uint8Array {
  if (buf !== viewsOf) {
    viewsOf = buf;
    views = [];
  }
  return views[length] ?? (views[length] = new Uint8Array(buf.buffer, buf.byteOffset, length));
}

/** Plaintext scratch: the tail being appended to, a node being edited, a lone member's node. */
const building = new Scratch();
/**
 * The set whose tail stays open in `building` after its adds returned (add or adding with
 * `keepOpen`), until settleOpenTail() or the set's next use of its nodes. One at a time: another
 * set opening its tail seals this one first.
 */
let holder: SealedSet | null = null;

/**
 * Seals the tail a `keepOpen` add left open, and wipes its plaintext. The server calls it once
 * its turn's commands have run (src/commands/sets/set-entries.ts), so a pipeline of SADDs into one set
 * opens and seals its tail once rather than once per command, and no plaintext outlives the turn.
 */
export function settleOpenTail(): void {
  holder?.settle();
}
const opened = new Scratch();
const edited = new Scratch();
/** Scratch buffers readers borrow (several sets may be open at once: the algebra). */
export const readerPool: Scratch[] = [];

/** The slots of one node a removal takes out (1 = goes). */
const dropping = new Uint8Array(NODE_MAX);

export class SealedSet extends SetIndex {
  private nodes: Uint32Array<ArrayBuffer> = EMPTY;
  private slots: Uint32Array<ArrayBuffer> = EMPTY;
  /** Node indexes in use are below nodeTop; freed ones below it wait in freeNodes. */
  private nodeTop = 0;
  private freeNodes: number[] = [];
  private liveNodes = 0;
  /** The node new members go to, or -1. */
  private tail = -1;
  private serials = 0;
  private blockTotal = 0;
  /** While adding: the node whose plaintext is in `building` (not sealed yet), its length. */
  private openTail = -1;
  /** The codec of the adds that opened the tail (the one settle() seals it with). */
  private openCodec: SetCodec | null = null;
  private openLength = 0;

  /** The arena the nodes live in (the algebra's scratch sets use it too). */
  constructor(readonly arena: BlockArena = collectionArena()) {
    super();
  }


  /** Nodes in use (tests: no node is left behind). */
  get nodeCount(): number {
    return this.liveNodes;
  }


  /** Approximate bytes held (maxmemory accounting, MEMORY USAGE). */
  memoryBytes(): number {
    const arrays = (a: Uint32Array | null) => (a === null || a.length === 0 ? 0 : ARRAY_OVERHEAD + 4 * a.length);
    return SET_OVERHEAD + this.blockTotal + this.openTailBytes() + arrays(this.entries) + arrays(this.buckets) + arrays(this.nodes) + arrays(this.slots);
  }

  /** What sealing the open tail will change blockTotal by (memoryBytes reads the same before and after). */
  private openTailBytes(): number {
    const n = this.openTail;
    if (n < 0) return 0;
    const w = n * NW;
    const now = this.nodes[w + N_BLOCK] === 0 ? 0 : blockBytes(this.nodes[w + N_SEALED]!);
    return blockBytes(this.openLength + this.openCodec!.overhead) - now;
  }

  /** Adds one member (SADD); false, with the stored member kept, when the digest is already in. */
  add(digest: Uint8Array, plain: Uint8Array, codec: SetCodec, keepOpen = false): boolean {
    return this.addRange(digest, plain, 0, plain.length, codec, keepOpen);
  }

  /**
   * add() of the member src[start, start + length), read where it lies (a member of a RawArgs
   * SADD, never made a Buffer view of).
   */
  addRange(digest: Uint8Array, src: Uint8Array, start: number, length: number, codec: SetCodec, keepOpen = false): boolean {
    loadDigest(digest, 0);
    if (this.findLoaded() >= 0) return false;
    try {
      this.insertEntry(this.place(src, start, length, this.count, codec));
    } finally {
      if (!keepOpen) this.sealOpenTail(codec);
    }
    return true;
  }

  /**
   * Adds members through `add` (false for one already in), sealing the tail node once at the end
   * rather than once per member. The set must not be read or changed otherwise meanwhile. With
   * `keepOpen` (add too), the tail stays open after the call, for more adds, until
   * settleOpenTail() or any other use of the set's nodes seals it.
   */
  adding(codec: SetCodec, fill: (add: (digest: Uint8Array, plain: Uint8Array) => boolean) => void, keepOpen = false): void {
    try {
      fill((digest, plain) => {
        loadDigest(digest, 0);
        if (this.findLoaded() >= 0) return false;
        const place = this.place(plain, 0, plain.length, this.count, codec);
        this.insertEntry(place);
        return true;
      });
    } finally {
      if (!keepOpen) this.sealOpenTail(codec);
    }
  }

  /** Seals the tail a `keepOpen` add left open (if any), and wipes its plaintext. */
  settle(): void {
    if (this.openTail >= 0) this.sealOpenTail(this.openCodec!);
  }

  /**
   * Adds the digest alone, with no member (the algebra's scratch sets: seen digests); false when
   * already in. Such a set holds no nodes and answers has() only.
   */
  mark(digest: Uint8Array, at = 0): boolean {
    loadDigest(digest, at);
    if (this.findLoaded() >= 0) return false;
    this.insertEntry(NO_PLACE);
    return true;
  }

  /** Removes the member with this digest (SREM); false when absent. */
  remove(digest: Uint8Array, codec: SetCodec, at = 0): boolean {
    const id = this.find(digest, at);
    if (id === 0) return false;
    this.removeId(id, codec);
    return true;
  }

  /** Removes a member found by id (SPOP, SMOVE): its node opened and sealed again without it. */
  removeId(id: MemberId, codec: SetCodec): void {
    this.settle();
    const e = id - 1;
    const place = this.entries[e * EW + E_PLACE]!;
    if (place !== NO_PLACE) {
      dropping.fill(0);
      dropping[place & (NODE_MAX - 1)] = 1;
      this.takeFromNode(place >>> SLOT_BITS, codec);
    }
    this.removeEntry(e);
    this.afterRemoval();
  }

  /**
   * Removes a member found by id, showing its plaintext to `take` first (SPOP: the reply), its
   * node opened once for both. Throws the codec's error with the set unchanged.
   */
  takeId(id: MemberId, codec: SetCodec, take: PlainVisitor): void {
    this.settle();
    const e = id - 1;
    const place = this.entries[e * EW + E_PLACE]!;
    dropping.fill(0);
    dropping[place & (NODE_MAX - 1)] = 1;
    this.takeFromNode(place >>> SLOT_BITS, codec, take);
    this.removeEntry(e);
    this.afterRemoval();
  }

  /**
   * Removes several distinct members found by ids (SPOP with a count), each node opened and
   * sealed once however many of its members go.
   */
  removeIds(ids: readonly MemberId[], codec: SetCodec): void {
    if (ids.length === 1) return this.removeId(ids[0]!, codec);
    this.settle();
    // Nodes are visited once each; their doomed slots are found when the node's turn comes,
    // since moving a sparse node into the tail renumbers the tail's slots.
    const doomed = new Uint8Array(this.count);
    const nodes = new Set<number>();
    for (const id of ids) {
      doomed[id - 1] = 1;
      const place = this.entries[(id - 1) * EW + E_PLACE]!;
      if (place !== NO_PLACE) nodes.add(place >>> SLOT_BITS);
    }
    for (const n of nodes) {
      const c = this.nodes[n * NW + N_COUNT]!;
      if (c === 0) continue;
      dropping.fill(0);
      let any = false;
      for (let i = 0; i < c; i++) {
        const e = this.slots[n * NODE_MAX + i]!;
        if (e !== DEAD && doomed[e] === 1) {
          dropping[i] = 1;
          any = true;
        }
      }
      if (any) this.takeFromNode(n, codec);
    }
    // Highest entry first: the last entry, which fills each hole, is then never one to remove.
    const entries = Int32Array.from(ids, (id) => id - 1).sort().reverse();
    for (let i = 0; i < entries.length; i++) this.removeEntry(entries[i]!);
    this.afterRemoval();
  }

  private afterRemoval(): void {
    this.version++;
    const capacity = this.nodes.length / NW;
    if (capacity > 8 && this.liveNodes * 4 < capacity) this.compactNodes();
  }

  /** Visits every member, a node at a time (open them with a reader: each node opens once). */
  forEach(visit: MemberVisitor): void {
    const nodes = this.nodes;
    const slots = this.slots;
    for (let n = 0; n < this.nodeTop; n++) {
      const c = nodes[n * NW + N_COUNT]!;
      for (let s = 0; s < c; s++) {
        const e = slots[n * NODE_MAX + s]!;
        if (e !== DEAD && visit(e + 1) === false) return;
      }
    }
  }

  /** Visits every member's plaintext, each node opened once and wiped after; the set must not change meanwhile. */
  forEachPlain(codec: SetCodec, visit: PlainVisitor): void {
    this.settle();
    const scratch = readerPool.pop() ?? new Scratch();
    let length = 0;
    try {
      for (let n = 0; n < this.nodeTop; n++) {
        const c = this.nodes[n * NW + N_COUNT]!;
        if (c === 0) continue;
        length = this.openNodeInto(n, codec, scratch);
        const buf = scratch.buf;
        for (let s = 0, p = 0; s < c; s++) {
          const l = readForward(buf, p);
          p += lastVarint;
          const e = this.slots[n * NODE_MAX + s]!;
          if (e !== DEAD && visit(buf, p, l, e + 1) === false) return;
          p += l;
        }
        wipe(scratch, length);
        length = 0;
      }
    } finally {
      wipe(scratch, length);
      readerPool.push(scratch);
    }
  }

  /** A reader opening members by id (each node once while it reads members of that node in a row). */
  reader(codec: SetCodec): SetReader {
    this.settle();
    return new SetReader(this, codec);
  }

  /** Each node's sealed bytes where they lie, with its serial (rotation, RENAME, memory scans). */
  forEachNode(visit: (bytes: Buffer, start: number, length: number, serial: number) => void): void {
    this.settle();
    const nodes = this.nodes;
    for (let n = 0; n < this.nodeTop; n++) {
      const w = n * NW;
      if (nodes[w + N_COUNT] === 0) continue;
      const block = nodes[w + N_BLOCK]!;
      visit(this.arena.bytes[RecordArena.slab(block)]!, offsetOf(block), nodes[w + N_SEALED]!, nodes[w + N_SERIAL]!);
    }
  }

  /**
   * Re-seals every node in place (key rotation): reseal gets each node's sealed bytes where
   * they lie and returns the replacement, which may differ in length.
   */
  replaceNodes(reseal: (bytes: Buffer, start: number, length: number, serial: number) => Uint8Array): void {
    this.settle();
    const nodes = this.nodes;
    for (let n = 0; n < this.nodeTop; n++) {
      const w = n * NW;
      if (nodes[w + N_COUNT] === 0) continue;
      const block = nodes[w + N_BLOCK]!;
      const bytes = this.arena.bytes[RecordArena.slab(block)]!;
      const length = nodes[w + N_SEALED]!;
      const fresh = reseal(bytes, offsetOf(block), length, nodes[w + N_SERIAL]!);
      if (fresh.length === length) {
        if (fresh.buffer !== bytes.buffer || fresh.byteOffset !== bytes.byteOffset + offsetOf(block)) bytes.set(fresh, offsetOf(block));
        continue;
      }
      this.storeSealed(n, fresh);
    }
  }

  /**
   * Makes this (empty) set a copy of `from` whose nodes are `reseal`'s replacements (RENAME,
   * COPY, MOVE: sealed for another home). If reseal throws, clear() gives back what was made.
   */
  copyResealed(from: SealedSet, reseal: (sealed: Buffer, serial: number) => Uint8Array): void {
    if (this.count !== 0 || this.liveNodes !== 0) throw new Error('copyResealed needs an empty set');
    from.settle();
    this.entries = from.entries.slice();
    this.buckets = from.buckets === null ? null : from.buckets.slice();
    this.count = from.count;
    this.nodes = from.nodes.slice();
    this.slots = from.slots.slice();
    this.nodeTop = from.nodeTop;
    this.freeNodes = from.freeNodes.slice();
    this.liveNodes = from.liveNodes;
    this.tail = from.tail;
    this.serials = from.serials;
    this.version++;
    // No block is shared: each node's block is this set's own once its replacement is stored.
    for (let n = 0; n < this.nodeTop; n++) {
      this.nodes[n * NW + N_BLOCK] = 0;
      this.nodes[n * NW + N_SEALED] = 0;
    }
    for (let n = 0; n < this.nodeTop; n++) {
      const w = n * NW;
      if (from.nodes[w + N_COUNT] === 0) continue;
      const block = from.nodes[w + N_BLOCK]!;
      const at = offsetOf(block);
      const sealed = from.arena.bytes[RecordArena.slab(block)]!.subarray(at, at + from.nodes[w + N_SEALED]!);
      this.storeSealed(n, reseal(sealed, from.nodes[w + N_SERIAL]!));
    }
  }

  /** Drops every member. */
  clear(): void {
    if (this.openTail >= 0) {
      // Dropped unsealed: nothing of it is kept.
      wipe(building, this.openLength);
      this.openTail = -1;
      this.openLength = 0;
      this.openCodec = null;
      if (holder === this) holder = null;
    }
    const nodes = this.nodes;
    for (let n = 0; n < this.nodeTop; n++) {
      const block = nodes[n * NW + N_BLOCK]!;
      if (block !== 0) this.freeBlock(block, nodes[n * NW + N_SEALED]!);
    }
    this.entries = EMPTY;
    this.buckets = null;
    this.count = 0;
    this.nodes = EMPTY;
    this.slots = EMPTY;
    this.nodeTop = 0;
    this.freeNodes = [];
    this.liveNodes = 0;
    this.tail = -1;
    this.version++;
  }

  protected entryMoved(place: number, e: number): void {
    this.slots[place] = e;
  }

  // ---- for SetReader ----

  /** @internal The member's place: node * NODE_MAX + slot. */
  placeOf(id: MemberId): number {
    return this.entries[(id - 1) * EW + E_PLACE]!;
  }

  /** @internal Members in node n. */
  countOf(n: number): number {
    return this.nodes[n * NW + N_COUNT]!;
  }

  /** @internal Opens node n's plaintext into scratch (from 0); returns its length. */
  openNodeInto(n: number, codec: SetCodec, scratch: Scratch, keep = 0): number {
    if (n === this.openTail) this.settle();
    const w = n * NW;
    const sealed = this.nodes[w + N_SEALED]!;
    const length = sealed - codec.overhead;
    const buf = scratch.room(keep + length, keep);
    const block = this.nodes[w + N_BLOCK]!;
    codec.openNode(this.nodes[w + N_SERIAL]!, this.arena.bytes[RecordArena.slab(block)]!, offsetOf(block), sealed, buf, keep);
    return length;
  }

  // ---- nodes ----

  private hasRoom(n: number, need: number): boolean {
    const w = n * NW;
    return this.nodes[w + N_COUNT]! < NODE_MAX && this.nodes[w + N_PLAIN]! + need <= NODE_BYTES;
  }

  /**
   * Puts a member's plaintext, src[start, start + length), in a node (the open tail, the tail, a
   * new tail, or a node of its own when long) as entry e; returns its place.
   */
  private place(src: Uint8Array, start: number, length: number, e: number, codec: SetCodec): number {
    const need = varintBytes(length) + length;
    if (length > SOLO_BYTES) {
      const n = this.newNode();
      const buf = edited.room(need);
      const p = writeVarint(buf, 0, length);
      buf.set(src.subarray(start, start + length), p);
      try {
        this.sealFrom(n, buf, need, codec);
      } catch (err) {
        this.freeNode(n);
        throw err;
      } finally {
        wipe(edited, need);
      }
      return this.fill(n, e, need);
    }
    if (this.openTail >= 0 && !this.hasRoom(this.openTail, need)) this.sealOpenTail(codec);
    if (this.openTail < 0) {
      // `building` is this set's now.
      if (holder !== null && holder !== this) holder.settle();
      const t = this.tail;
      if (t >= 0 && (this.hasRoom(t, need) || this.nodes[t * NW + N_LIVE] !== this.nodes[t * NW + N_COUNT])) {
        // Opened to append to: its removed members' bytes go now, for free.
        this.openLength = this.openNodeInto(t, codec, building);
        this.holdTail(t, codec);
        this.openLength = this.compactPlain(t, building.buf, this.openLength);
        if (this.hasRoom(t, need)) return this.place(src, start, length, e, codec);
        this.sealOpenTail(codec);
      }
      this.tail = this.newNode();
      this.holdTail(this.tail, codec);
      this.openLength = 0;
    }
    const buf = building.room(this.openLength + need, this.openLength);
    const p = writeVarint(buf, this.openLength, length);
    // Byte by byte: a member here is at most SOLO_BYTES, and set() would want a view of it.
    for (let i = 0; i < length; i++) buf[p + i] = src[start + i]!;
    this.openLength = p + length;
    return this.fill(this.openTail, e, need);
  }

  /** Records entry e in node n's next slot; returns its place. */
  private fill(n: number, e: number, need: number): number {
    const w = n * NW;
    const slot = this.nodes[w + N_COUNT]!;
    this.nodes[w + N_COUNT] = slot + 1;
    this.nodes[w + N_LIVE]++;
    this.nodes[w + N_PLAIN] += need;
    this.slots[n * NODE_MAX + slot] = e;
    return n * NODE_MAX + slot;
  }

  /** Node n's plaintext is in `building` from now on, not sealed yet. */
  private holdTail(n: number, codec: SetCodec): void {
    this.openTail = n;
    this.openCodec = codec;
    holder = this;
  }

  /** Seals the tail the adds appended to, and wipes its plaintext. */
  private sealOpenTail(codec: SetCodec): void {
    const n = this.openTail;
    if (n < 0) return;
    this.openTail = -1;
    this.openCodec = null;
    if (holder === this) holder = null;
    try {
      this.sealFrom(n, building.buf, this.openLength, codec);
    } finally {
      wipe(building, this.openLength);
      this.openLength = 0;
      this.version++;
    }
  }

  /**
   * Takes the slots marked in `dropping` out of node n. Without opening the node, they are only
   * marked DEAD: their bytes stay sealed in the node (as any removed member's, they never open
   * again) until the node is next rewritten. It is rewritten without them (opened, compacted,
   * sealed again) once half its slots are dead, or when it is not the tail and has under
   * NODE_MAX / 4 live members: it then moves into the tail, or becomes the tail, when sparse.
   * The tail drops its dead slots whenever it is opened to append to. A node whose members all
   * go is freed. With `emit`, each member taken is shown to it first (the node opened for it).
   * The node is opened before anything changes: a node that fails to open throws with the set
   * as it was.
   */
  private takeFromNode(n: number, codec: SetCodec, emit?: PlainVisitor): void {
    const w = n * NW;
    const c = this.nodes[w + N_COUNT]!;
    const base = n * NODE_MAX;
    let k = 0;
    for (let i = 0; i < c; i++) if (dropping[i] !== 0) k++;
    const live = this.nodes[w + N_LIVE]! - k;
    const rewrite = live > 0 && (live * 2 < c || (n !== this.tail && live < SPARSE_COUNT));
    if (emit === undefined && !rewrite) {
      for (let i = 0; i < c; i++) if (dropping[i] !== 0) this.slots[base + i] = DEAD;
      this.nodes[w + N_LIVE] = live;
      if (live === 0) this.freeNode(n);
      return;
    }
    const length = this.openNodeInto(n, codec, opened);
    try {
      const buf = opened.buf;
      for (let i = 0, p = 0; i < c; i++) {
        const l = readForward(buf, p);
        p += lastVarint;
        if (dropping[i] !== 0) {
          if (emit !== undefined) emit(buf, p, l, this.slots[base + i]! + 1);
          this.slots[base + i] = DEAD;
        }
        p += l;
      }
      this.nodes[w + N_LIVE] = live;
      if (live === 0) return this.freeNode(n);
      if (!rewrite) return;
      const q = this.compactPlain(n, buf, length);
      if (n !== this.tail && live < SPARSE_COUNT && q < SOLO_BYTES) this.dissolve(n, buf, q, codec);
      else this.sealFrom(n, buf, q, codec);
    } finally {
      wipe(opened, length);
    }
  }

  /**
   * Drops node n's dead slots from its opened plaintext (buf, `length` bytes), in place: the
   * live members move down and get their new slots. Returns the new length.
   */
  private compactPlain(n: number, buf: Buffer, length: number): number {
    const w = n * NW;
    const c = this.nodes[w + N_COUNT]!;
    if (this.nodes[w + N_LIVE] === c) return length;
    const base = n * NODE_MAX;
    let kept = 0;
    let q = 0;
    for (let i = 0, p = 0; i < c; ) {
      if (this.slots[base + i] === DEAD) {
        p += readForward(buf, p) + lastVarint;
        i++;
        continue;
      }
      const from = p;
      while (i < c && this.slots[base + i] !== DEAD) {
        p += readForward(buf, p) + lastVarint;
        const e = this.slots[base + i]!;
        this.slots[base + kept] = e;
        this.entries[e * EW + E_PLACE] = base + kept;
        kept++;
        i++;
      }
      if (from !== q) buf.copyWithin(q, from, p);
      q += p - from;
    }
    buf.fill(0, q, length);
    this.nodes[w + N_COUNT] = kept;
    this.nodes[w + N_PLAIN] = q;
    return q;
  }

  /** Node n (sparse, its new plaintext in plain) goes into the tail when it fits, else becomes the tail. */
  private dissolve(n: number, plain: Buffer, length: number, codec: SetCodec): void {
    const t = this.tail;
    const c = this.nodes[n * NW + N_COUNT]!;
    if (t < 0) {
      this.sealFrom(n, plain, length, codec);
      this.tail = n;
      return;
    }
    let tl = this.openNodeInto(t, codec, edited);
    const opened = tl;
    try {
      // The tail's dead slots go first (it is open anyway).
      tl = this.compactPlain(t, edited.buf, tl);
      if (!(this.nodes[t * NW + N_COUNT]! + c <= NODE_MAX && this.nodes[t * NW + N_PLAIN]! + length <= NODE_BYTES)) {
        if (tl !== opened) this.sealFrom(t, edited.buf, tl, codec);
        this.sealFrom(n, plain, length, codec);
        this.tail = n;
        return;
      }
      const buf = edited.room(tl + length, tl);
      plain.copy(buf, tl, 0, length);
      this.sealFrom(t, buf, tl + length, codec);
    } finally {
      wipe(edited, Math.max(opened, tl + length));
    }
    const tc = this.nodes[t * NW + N_COUNT]!;
    for (let i = 0; i < c; i++) {
      const e = this.slots[n * NODE_MAX + i]!;
      this.slots[t * NODE_MAX + tc + i] = e;
      this.entries[e * EW + E_PLACE] = t * NODE_MAX + tc + i;
    }
    this.nodes[t * NW + N_COUNT] = tc + c;
    this.nodes[t * NW + N_LIVE] += c;
    this.nodes[t * NW + N_PLAIN] += length;
    this.freeNode(n);
  }

  /** Seals length bytes of plain as node n's content. */
  private sealFrom(n: number, plain: Buffer, length: number, codec: SetCodec): void {
    const w = n * NW;
    const size = length + codec.overhead;
    if (this.nodes[w + N_SEALED] !== size || this.nodes[w + N_BLOCK] === 0) {
      if (this.nodes[w + N_BLOCK] !== 0) this.freeBlock(this.nodes[w + N_BLOCK]!, this.nodes[w + N_SEALED]!);
      this.nodes[w + N_BLOCK] = 0;
      const block = this.arena.alloc(size);
      this.blockTotal += blockBytes(size);
      this.nodes[w + N_BLOCK] = block;
      this.nodes[w + N_SEALED] = size;
    }
    const block = this.nodes[w + N_BLOCK]!;
    codec.sealNode(this.nodes[w + N_SERIAL]!, plainView(plain, length), this.arena.bytes[RecordArena.slab(block)]!, offsetOf(block));
  }

  /** Stores sealed bytes as node n's (a copy's or a renewal's). */
  private storeSealed(n: number, sealed: Uint8Array): void {
    const w = n * NW;
    if (this.nodes[w + N_BLOCK] !== 0) this.freeBlock(this.nodes[w + N_BLOCK]!, this.nodes[w + N_SEALED]!);
    this.nodes[w + N_BLOCK] = 0;
    const block = this.arena.alloc(sealed.length);
    this.blockTotal += blockBytes(sealed.length);
    this.nodes[w + N_BLOCK] = block;
    this.nodes[w + N_SEALED] = sealed.length;
    this.arena.bytes[RecordArena.slab(block)]!.set(sealed, offsetOf(block));
  }

  private newNode(): number {
    let n = this.freeNodes.pop();
    if (n === undefined) {
      n = this.nodeTop++;
      if (this.nodeTop * NW > this.nodes.length) {
        const cap = Math.max(1, this.nodes.length / NW) * 2;
        this.nodes = growTo(this.nodes, cap * NW);
        this.slots = growTo(this.slots, cap * NODE_MAX);
      }
    }
    const w = n * NW;
    this.nodes[w + N_BLOCK] = 0;
    this.nodes[w + N_SEALED] = 0;
    this.nodes[w + N_SERIAL] = this.serials = (this.serials + 1) >>> 0;
    this.nodes[w + N_COUNT] = 0;
    this.nodes[w + N_PLAIN] = 0;
    this.nodes[w + N_LIVE] = 0;
    this.liveNodes++;
    return n;
  }

  private freeNode(n: number): void {
    const w = n * NW;
    if (this.nodes[w + N_BLOCK] !== 0) this.freeBlock(this.nodes[w + N_BLOCK]!, this.nodes[w + N_SEALED]!);
    this.nodes.fill(0, w, w + NW);
    if (this.tail === n) this.tail = -1;
    this.liveNodes--;
    if (n === this.nodeTop - 1) this.nodeTop--;
    else this.freeNodes.push(n);
    if (this.liveNodes === 0) {
      this.nodeTop = 0;
      this.freeNodes = [];
    }
  }

  private freeBlock(block: number, size: number): void {
    this.arena.free(block, size);
    this.blockTotal -= blockBytes(size);
  }

  /** Renumbers the nodes in use from 0 and shrinks the node arrays (most indexes were free). */
  private compactNodes(): void {
    let j = 0;
    for (let n = 0; n < this.nodeTop; n++) {
      const c = this.nodes[n * NW + N_COUNT]!;
      if (c === 0) continue;
      if (n !== j) {
        this.nodes.copyWithin(j * NW, n * NW, n * NW + NW);
        for (let s = 0; s < c; s++) {
          const e = this.slots[n * NODE_MAX + s]!;
          this.slots[j * NODE_MAX + s] = e;
          if (e !== DEAD) this.entries[e * EW + E_PLACE] = j * NODE_MAX + s;
        }
        if (this.tail === n) this.tail = j;
      }
      j++;
    }
    this.nodeTop = j;
    this.freeNodes = [];
    let cap = 2;
    while (cap < j * 2) cap *= 2;
    this.nodes = growTo(this.nodes, cap * NW);
    this.slots = growTo(this.slots, cap * NODE_MAX);
  }

}
