// The sorted set: members ordered by (score, member bytes), as Redis orders them, without ever
// holding a member in plaintext. A member comes as a digest (a 16-byte keyed hash of its bytes,
// the identity) and a sealed form (opaque to this module, of type S). Ties in score are broken by
// the caller's comparator, which opens sealed members; it is called only between equal scores.
//
// The order lives in an order-statistic B+tree (dragonfly's sorted_map is one; redis t_zset.c
// uses a skiplist with spans): leaves hold up to `leafCapacity` members in flat arrays (scores
// in a Float64Array, digest words in an Int32Array, sealed members in a plain array) and link to
// their neighbours; inner nodes hold children and the member count under each child. Why not a
// skiplist: per member it needs a node object with level arrays and a boxed score (~100 bytes on
// V8), where a leaf slot costs 28 bytes; and a B+tree leaf tells a member's rank without a search.
//
// The digest index (digest-index.ts) maps a digest to its leaf, so ZSCORE, ZRANK, ZREM and a
// score change find their member with no comparator call at all; only placing a member (insert,
// a score change that moves it) and searching by a bound compare, O(log n) times.
//
// Costs, n members, B = leaf capacity: find/score O(1 + B); rank O(B + log n); insert, remove,
// score change O(B + log n) plus O(log n) comparator calls on ties; rank and score/lex bounds
// O(log n); iterating k members from a rank O(log n + k).

import { DigestIndex, DIGEST_BYTES, type DigestHolder } from './digest-index.js';

export { DIGEST_BYTES };

/** How members compare; both functions open sealed members and compare their bytes. */
export interface MemberOrder<S> {
  /** Sign of a - b in byte order. Only called for members with equal scores. */
  compareMembers(a: S, b: S): number;
  /** Sign of member - bound in byte order (a ZRANGEBYLEX bound, plain bytes from the command). */
  compareToBound(member: S, bound: Uint8Array): number;
}

/** A score bound as ZRANGEBYSCORE parses it: `(1.5` is { value: 1.5, exclusive: true }, -inf is -Infinity. */
export interface ScoreBound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A lex bound as ZRANGEBYLEX parses it: `-`, `+`, `[bytes` or `(bytes`. */
export type LexBound = '-' | '+' | { readonly value: Uint8Array; readonly exclusive: boolean };

export interface ZEntry<S> {
  readonly sealed: S;
  readonly score: number;
}

export interface ZSetOptions {
  /** Members per leaf (tests use tiny nodes to exercise splits and merges). */
  leafCapacity?: number;
  /** Children per inner node, at least 4. */
  innerCapacity?: number;
}

const LEAF_CAPACITY = 64;
const INNER_CAPACITY = 32;

// What the descent compares the target with (see below()).
const SCORE_LT = 0;
const SCORE_LE = 1;
const KEY_LT = 2;
const LEX_LT = 3;
const LEX_LE = 4;

class Leaf<S> implements DigestHolder {
  readonly isLeaf = true;
  parent: Inner<S> | null = null;
  prev: Leaf<S> | null = null;
  next: Leaf<S> | null = null;
  n = 0;
  readonly scores: Float64Array;
  /** Four 32-bit words of digest per member. */
  readonly words: Int32Array;
  readonly sealed: (S | undefined)[];

  constructor(capacity: number) {
    // One ArrayBuffer for both typed arrays: one backing store per leaf.
    const buffer = new ArrayBuffer(capacity * 24);
    this.scores = new Float64Array(buffer, 0, capacity);
    this.words = new Int32Array(buffer, capacity * 8, capacity * 4);
    this.sealed = new Array<S | undefined>(capacity).fill(undefined);
  }

  indexOf(w0: number, w1: number, w2: number, w3: number): number {
    const w = this.words;
    for (let i = 0, j = 0; i < this.n; i++, j += 4) {
      if (w[j] === w0 && w[j + 1] === w1 && w[j + 2] === w2 && w[j + 3] === w3) return i;
    }
    return -1;
  }

  /** Moves members [from, from + count) to `to` in the same leaf (ranges may overlap). */
  shift(from: number, to: number, count: number): void {
    this.scores.copyWithin(to, from, from + count);
    this.words.copyWithin(to * 4, from * 4, (from + count) * 4);
    const s = this.sealed;
    if (to < from) for (let k = 0; k < count; k++) s[to + k] = s[from + k];
    else for (let k = count - 1; k >= 0; k--) s[to + k] = s[from + k];
  }
}

class Inner<S> {
  readonly isLeaf = false;
  parent: Inner<S> | null = null;
  n = 0;
  readonly children: (Node<S> | undefined)[];
  /** Members under each child. */
  readonly counts: Float64Array;
  /** The score of each child's first member: score searches read no leaf but the last. */
  readonly firstScores: Float64Array;

  constructor(capacity: number) {
    this.children = new Array<Node<S> | undefined>(capacity).fill(undefined);
    this.counts = new Float64Array(capacity);
    this.firstScores = new Float64Array(capacity);
  }
}

type Node<S> = Leaf<S> | Inner<S>;

/**
 * Redis's inclusive rank arguments (ZRANGE start stop, negatives count from the end) as the
 * half-open span [start, end) the methods below take; empty when out of range or crossed.
 */
export function rankSpan(start: number, stop: number, size: number): [start: number, end: number] {
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return [0, 0];
  return [start, Math.min(stop, size - 1) + 1];
}

function childIndex<S>(parent: Inner<S>, child: Node<S>): number {
  const c = parent.children;
  for (let i = 0; ; i++) if (c[i] === child) return i;
}

function firstLeaf<S>(node: Node<S>): Leaf<S> {
  while (!node.isLeaf) node = node.children[0]!;
  return node;
}

function firstScore<S>(node: Node<S>): number {
  return node.isLeaf ? node.scores[0]! : node.firstScores[0]!;
}

function total<S>(node: Node<S>): number {
  if (node.isLeaf) return node.n;
  let sum = 0;
  for (let i = 0; i < node.n; i++) sum += node.counts[i]!;
  return sum;
}

export class SortedSet<S> {
  private root: Node<S>;
  private index = new DigestIndex<Leaf<S>>();
  private readonly leafCapacity: number;
  private readonly innerCapacity: number;
  private readonly leafMin: number;
  private readonly innerMin: number;
  private leaves = 1;
  private inners = 0;
  /** The digest being worked on, as four words. */
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;
  /** The descent's target (see below()). */
  private mode = SCORE_LT;
  private targetScore = 0;
  private targetSealed: S | undefined = undefined;
  private targetBound: Uint8Array | undefined = undefined;
  /** Where the last descent ended: the leaf and position of the rank it returned. */
  private hitLeaf: Leaf<S>;
  private hitIndex = 0;

  constructor(private readonly order: MemberOrder<S>, options: ZSetOptions = {}) {
    this.leafCapacity = options.leafCapacity ?? LEAF_CAPACITY;
    this.innerCapacity = options.innerCapacity ?? INNER_CAPACITY;
    if (this.leafCapacity < 2 || this.innerCapacity < 4) throw new RangeError('zset node capacity too small');
    this.leafMin = Math.max(1, this.leafCapacity >> 2);
    this.innerMin = Math.max(2, this.innerCapacity >> 2);
    this.root = this.hitLeaf = new Leaf<S>(this.leafCapacity);
  }

  get size(): number {
    return this.index.size;
  }

  // ---- lookups by member -------------------------------------------------------------------

  /** The member's score, or undefined when it is not in the set. */
  score(digest: Uint8Array): number | undefined {
    const leaf = this.find(digest);
    return leaf === undefined ? undefined : leaf.scores[this.index.foundIndex]!;
  }

  has(digest: Uint8Array): boolean {
    return this.find(digest) !== undefined;
  }

  /** The member's sealed form, or undefined. */
  sealedOf(digest: Uint8Array): S | undefined {
    const leaf = this.find(digest);
    return leaf === undefined ? undefined : leaf.sealed[this.index.foundIndex];
  }

  /** 0-based rank from the lowest score (ZRANK), or from the highest when reverse (ZREVRANK). */
  rank(digest: Uint8Array, reverse = false): number | undefined {
    const leaf = this.find(digest);
    if (leaf === undefined) return undefined;
    const r = this.rankOf(leaf, this.index.foundIndex);
    return reverse ? this.size - 1 - r : r;
  }

  // ---- changes -----------------------------------------------------------------------------

  /**
   * Adds a member that is not in the set yet; false (and nothing changes) when it is. Pass the
   * member's plain bytes when the caller has them (ZADD does): ties then cost one open per
   * comparison (compareToBound) instead of two. They are only handed to the comparator.
   */
  insert(digest: Uint8Array, score: number, sealed: S, plain?: Uint8Array): boolean {
    if (this.find(digest) !== undefined) return false;
    this.place(score, sealed, plain);
    return true;
  }

  /**
   * Gives a member a new score, moving it only if its place changes. Returns the old score, or
   * undefined when the member is not in the set (nothing changes then). `plain` as for insert.
   */
  setScore(digest: Uint8Array, score: number, plain?: Uint8Array): number | undefined {
    const leaf = this.find(digest);
    if (leaf === undefined) return undefined;
    const i = this.index.foundIndex;
    const old = leaf.scores[i]!;
    const sealed = leaf.sealed[i]!;
    // Still between its neighbours in the same leaf (redis zslUpdateScore's shortcut): write in place.
    if (score === old || (i > 0 && i < leaf.n - 1 && this.keyBefore(leaf, i - 1, score, sealed, plain) && !this.keyBefore(leaf, i + 1, score, sealed, plain))) {
      leaf.scores[i] = score;
      if (i === 0) this.fixFirst(leaf); // 0 -> -0 keeps the place but not the bits
      return old;
    }
    this.removeAt(leaf, i);
    this.place(score, sealed, plain);
    return old;
  }

  /** Removes a member; false when it was not in the set. */
  remove(digest: Uint8Array): boolean {
    const leaf = this.find(digest);
    if (leaf === undefined) return false;
    this.removeAt(leaf, this.index.foundIndex);
    return true;
  }

  /** Removes and returns the lowest member (ZPOPMIN), or the highest when reverse (ZPOPMAX). */
  pop(reverse = false): ZEntry<S> | undefined {
    if (this.size === 0) return undefined;
    this.locate(reverse ? this.size - 1 : 0);
    const leaf = this.hitLeaf;
    const i = this.hitIndex;
    const entry = { sealed: leaf.sealed[i]!, score: leaf.scores[i]! };
    this.removeAt(leaf, i);
    return entry;
  }

  /** Removes the members of ranks [start, end) (ZREMRANGEBY*); returns how many. */
  removeRange(start: number, end: number): number {
    start = Math.max(0, start);
    end = Math.min(this.size, end);
    let removed = 0;
    // One run per leaf: O(k + (k / B) log n) rather than a descent per member.
    while (removed < end - start) {
      this.locate(start);
      const run = Math.min(this.hitLeaf.n - this.hitIndex, end - start - removed);
      this.removeRun(this.hitLeaf, this.hitIndex, run);
      removed += run;
    }
    return removed;
  }

  /**
   * Replaces every member's sealed form in place (key rotation, RENAME re-binding): the order
   * stays as it is, so `reseal` must return a sealing of the same member bytes.
   */
  reseal(reseal: (sealed: S, score: number) => S): void {
    for (let leaf: Leaf<S> | null = firstLeaf(this.root); leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.n; i++) leaf.sealed[i] = reseal(leaf.sealed[i]!, leaf.scores[i]!);
    }
  }

  /**
   * Gives every member a new digest (the member-hash key changed), computed from its sealed
   * form; the order is untouched and the index is rebuilt. O(n).
   */
  rehash(digestOf: (sealed: S) => Uint8Array): void {
    const index = new DigestIndex<Leaf<S>>();
    for (let leaf: Leaf<S> | null = firstLeaf(this.root); leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.n; i++) {
        this.readDigest(digestOf(leaf.sealed[i]!));
        const w = leaf.words;
        w[i * 4] = this.w0;
        w[i * 4 + 1] = this.w1;
        w[i * 4 + 2] = this.w2;
        w[i * 4 + 3] = this.w3;
        index.add(this.w0, leaf);
      }
    }
    this.index = index;
  }

  // ---- ranges (every range is a half-open span of ranks [start, end)) ------------------------

  /** Ranks of the members whose scores lie within [min, max] (ZRANGEBYSCORE, ZCOUNT). */
  scoreRange(min: ScoreBound, max: ScoreBound): [start: number, end: number] {
    const start = this.boundRank(min.exclusive ? SCORE_LE : SCORE_LT, min.value);
    const end = this.boundRank(max.exclusive ? SCORE_LT : SCORE_LE, max.value);
    return [start, Math.max(start, end)];
  }

  /**
   * Ranks of the members within lex bounds (ZRANGEBYLEX, ZLEXCOUNT). Meaningful when all scores
   * are equal, as in Redis; otherwise some span of the set, never an error.
   */
  lexRange(min: LexBound, max: LexBound): [start: number, end: number] {
    const start = this.lexRank(min, true);
    const end = this.lexRank(max, false);
    return [start, Math.max(start, end)];
  }

  /** The member at a rank (ZRANDMEMBER picks ranks), or undefined out of range. */
  at(rank: number): ZEntry<S> | undefined {
    if (rank < 0 || rank >= this.size) return undefined;
    this.locate(rank);
    return { sealed: this.hitLeaf.sealed[this.hitIndex]!, score: this.hitLeaf.scores[this.hitIndex]! };
  }

  /**
   * Visits ranks [start, end) in order, or from end - 1 down to start when reverse. The set must
   * not change during the visit; return false from visit to stop early.
   */
  each(start: number, end: number, reverse: boolean, visit: (sealed: S, score: number) => boolean | void): void {
    start = Math.max(0, start);
    end = Math.min(this.size, end);
    let left = end - start;
    if (left <= 0) return;
    this.locate(reverse ? end - 1 : start);
    let leaf: Leaf<S> | null = this.hitLeaf;
    let i = this.hitIndex;
    while (left > 0 && leaf !== null) {
      if (reverse) {
        for (; i >= 0 && left > 0; i--, left--) if (visit(leaf.sealed[i]!, leaf.scores[i]!) === false) return;
        leaf = leaf.prev;
        if (leaf !== null) i = leaf.n - 1;
      } else {
        for (; i < leaf.n && left > 0; i++, left--) if (visit(leaf.sealed[i]!, leaf.scores[i]!) === false) return;
        leaf = leaf.next;
        i = 0;
      }
    }
  }

  /**
   * ZSCAN: visits the members of about `count` buckets' worth from `cursor` (0 to start) and
   * returns the cursor to continue with, 0 when done. Same guarantee as Redis's dict scan: a
   * member present for the whole scan is visited at least once, whatever is inserted, removed or
   * rescored meanwhile (the index may grow or shrink); some members may be visited twice.
   */
  scan(cursor: number, count: number, visit: (sealed: S, score: number) => void): number {
    if (this.size === 0) return 0;
    let visited = 0;
    const emit = (tag: number, leaf: Leaf<S>): void => {
      const w = leaf.words;
      for (let i = 0; i < leaf.n; i++) {
        if (w[i * 4] === tag) {
          visit(leaf.sealed[i]!, leaf.scores[i]!);
          visited++;
        }
      }
    };
    let buckets = Math.max(1, count) * 10;
    do cursor = this.index.scanBucket(cursor, emit);
    while (cursor !== 0 && visited < count && --buckets > 0);
    return cursor;
  }

  /** Bytes this structure holds on and off the V8 heap, sealed members excluded (MEMORY USAGE). */
  memoryBytes(): number {
    // V8 object sizes measured on Node 20: a leaf is an object, an ArrayBuffer with two views
    // (~440 bytes together) and an array of references; an inner node two Float64Arrays and one.
    const leaf = 464 + this.leafCapacity * 28;
    const inner = 400 + this.innerCapacity * 20;
    return this.leaves * leaf + this.inners * inner + this.index.capacity * 8 + 64;
  }

  /**
   * Throws if the tree or the index is inconsistent (tests call it after every operation): node
   * fill, parents, counts, leaf links, order of neighbours, and one index slot per member.
   */
  checkInvariants(): void {
    const fail = (what: string): never => {
      throw new Error(`zset invariant: ${what}`);
    };
    if (this.root.parent !== null) fail('root has a parent');
    const leaves: Leaf<S>[] = [];
    let inners = 0;
    const walk = (node: Node<S>, depth: number, depths: number[]): number => {
      if (node.isLeaf) {
        if (node !== this.root && node.n < 1) fail('empty leaf');
        for (let i = node.n; i < this.leafCapacity; i++) if (node.sealed[i] !== undefined) fail('stale member reference');
        leaves.push(node);
        depths.push(depth);
        return node.n;
      }
      inners++;
      if (node.n < (node === this.root ? 2 : 1)) fail('inner node with too few children');
      let sum = 0;
      for (let c = 0; c < node.n; c++) {
        const child: Node<S> = node.children[c]!;
        if (child.parent !== node) fail('wrong parent');
        const t = walk(child, depth + 1, depths);
        if (t !== node.counts[c]) fail(`count ${node.counts[c]} for a child holding ${t}`);
        if (!Object.is(node.firstScores[c], firstScore(child))) fail('cached first score');
        sum += t;
      }
      for (let c = node.n; c < this.innerCapacity; c++) if (node.children[c] !== undefined) fail('stale child reference');
      return sum;
    };
    const depths: number[] = [];
    if (walk(this.root, 0, depths) !== this.size) fail('size differs from the index');
    if (depths.some((x) => x !== depths[0])) fail('leaves at different depths');
    if (leaves.length !== this.leaves || inners !== this.inners) fail('node counters');
    const filed = this.index.filed();
    let prevLeaf: Leaf<S> | null = null;
    let prev: [number, S] | null = null;
    for (const leaf of leaves) {
      if (leaf.prev !== prevLeaf || (prevLeaf !== null && prevLeaf.next !== leaf)) fail('leaf links');
      const tags = new Map<number, number>();
      for (let i = 0; i < leaf.n; i++) {
        const key: [number, S] = [leaf.scores[i]!, leaf.sealed[i]!];
        if (prev !== null && !(prev[0] < key[0] || (prev[0] === key[0] && this.order.compareMembers(prev[1], key[1]) < 0))) fail('order');
        prev = key;
        tags.set(leaf.words[i * 4]!, (tags.get(leaf.words[i * 4]!) ?? 0) + 1);
      }
      const got = filed.get(leaf) ?? new Map<number, number>();
      if (got.size !== tags.size || [...tags].some(([t, k]) => got.get(t) !== k)) fail('index slots differ from leaf members');
      prevLeaf = leaf;
    }
    if (prevLeaf !== null && prevLeaf.next !== null) fail('last leaf has a next');
  }

  // ---- internals ---------------------------------------------------------------------------

  private find(digest: Uint8Array): Leaf<S> | undefined {
    this.readDigest(digest);
    return this.index.find(this.w0, this.w1, this.w2, this.w3);
  }

  /** A digest's bytes as four little-endian words in w0..w3. */
  private readDigest(d: Uint8Array): void {
    if (d.length !== DIGEST_BYTES) throw new RangeError('zset digest must be 16 bytes');
    this.w0 = d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24);
    this.w1 = d[4]! | (d[5]! << 8) | (d[6]! << 16) | (d[7]! << 24);
    this.w2 = d[8]! | (d[9]! << 8) | (d[10]! << 16) | (d[11]! << 24);
    this.w3 = d[12]! | (d[13]! << 8) | (d[14]! << 16) | (d[15]! << 24);
  }

  /** Whether the member at leaf[i] orders before (score, sealed). */
  private keyBefore(leaf: Leaf<S>, i: number, score: number, sealed: S, plain: Uint8Array | undefined): boolean {
    const s = leaf.scores[i]!;
    if (s !== score) return s < score;
    const other = leaf.sealed[i]!;
    return (plain === undefined ? this.order.compareMembers(other, sealed) : this.order.compareToBound(other, plain)) < 0;
  }

  /** Whether the member at leaf[i] lies before the descent's target. */
  private below(leaf: Leaf<S>, i: number): boolean {
    const s = leaf.scores[i]!;
    switch (this.mode) {
      case SCORE_LT:
        return s < this.targetScore;
      case SCORE_LE:
        return s <= this.targetScore;
      case KEY_LT:
        if (s !== this.targetScore) return s < this.targetScore;
        // The plain bytes when the caller gave them: one open per comparison instead of two.
        return (this.targetBound === undefined ? this.order.compareMembers(leaf.sealed[i]!, this.targetSealed!) : this.order.compareToBound(leaf.sealed[i]!, this.targetBound)) < 0;
      case LEX_LT:
        return this.order.compareToBound(leaf.sealed[i]!, this.targetBound!) < 0;
      default:
        return this.order.compareToBound(leaf.sealed[i]!, this.targetBound!) <= 0;
    }
  }

  /**
   * The number of members before the target (members are sorted, so below() is true for a
   * prefix). Binary search at every level: in each inner node for the last child whose first
   * member is below, in the leaf for the first member that is not. Leaves hitLeaf/hitIndex at
   * that position (possibly one past the leaf's last member: where an insert goes).
   */
  private lowerBound(): number {
    let node = this.root;
    let rank = 0;
    while (!node.isLeaf) {
      let lo = 1;
      let hi = node.n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.belowChild(node, mid)) lo = mid + 1;
        else hi = mid;
      }
      for (let k = 0; k < lo - 1; k++) rank += node.counts[k]!;
      node = node.children[lo - 1]!;
    }
    let lo = 0;
    let hi = node.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.below(node, mid)) lo = mid + 1;
      else hi = mid;
    }
    this.hitLeaf = node;
    this.hitIndex = lo;
    return rank + lo;
  }

  /** below() for the first member of node's child c, from the cached score when that decides. */
  private belowChild(node: Inner<S>, c: number): boolean {
    const s = node.firstScores[c]!;
    switch (this.mode) {
      case SCORE_LT:
        return s < this.targetScore;
      case SCORE_LE:
        return s <= this.targetScore;
      case KEY_LT:
        if (s !== this.targetScore) return s < this.targetScore;
        return this.below(firstLeaf(node.children[c]!), 0);
      default:
        return this.below(firstLeaf(node.children[c]!), 0);
    }
  }

  /** A node's first member changed: update the cached first score up the tree as far as it shows. */
  private fixFirst(node: Node<S>): void {
    const first = firstScore(node);
    for (let p = node.parent; p !== null; node = p, p = p.parent) {
      const c = childIndex(p, node);
      p.firstScores[c] = first;
      if (c !== 0) return;
    }
  }

  private boundRank(mode: number, score: number): number {
    this.mode = mode;
    this.targetScore = score;
    return this.lowerBound();
  }

  private lexRank(bound: LexBound, isMin: boolean): number {
    if (bound === '-') return 0;
    if (bound === '+') return this.size;
    // A min bound starts after members below it ([) or not above it ((); a max bound ends likewise.
    this.mode = bound.exclusive === isMin ? LEX_LE : LEX_LT;
    this.targetBound = bound.value;
    const rank = this.lowerBound();
    this.targetBound = undefined;
    return rank;
  }

  /** Rank of leaf[i]: its position plus the counts of everything left of its ancestors. */
  private rankOf(leaf: Leaf<S>, i: number): number {
    let rank = i;
    let node: Node<S> = leaf;
    for (let p = node.parent; p !== null; node = p, p = p.parent) {
      const c = childIndex(p, node);
      for (let k = 0; k < c; k++) rank += p.counts[k]!;
    }
    return rank;
  }

  /** Points hitLeaf/hitIndex at a rank (0 <= rank < size). */
  private locate(rank: number): void {
    let node = this.root;
    while (!node.isLeaf) {
      let c = 0;
      while (rank >= node.counts[c]!) rank -= node.counts[c++]!;
      node = node.children[c]!;
    }
    this.hitLeaf = node;
    this.hitIndex = rank;
  }

  /** Inserts the member whose digest is in w0..w3 at its place in the order. */
  private place(score: number, sealed: S, plain: Uint8Array | undefined): void {
    this.mode = KEY_LT;
    this.targetScore = score;
    this.targetSealed = sealed;
    this.targetBound = plain;
    this.lowerBound();
    this.targetSealed = undefined;
    this.targetBound = undefined;
    if (this.hitLeaf.n === this.leafCapacity) this.makeRoom(this.hitLeaf, this.hitIndex);
    const leaf = this.hitLeaf;
    const i = this.hitIndex;
    leaf.shift(i, i + 1, leaf.n - i);
    leaf.scores[i] = score;
    leaf.sealed[i] = sealed;
    const w = leaf.words;
    w[i * 4] = this.w0;
    w[i * 4 + 1] = this.w1;
    w[i * 4 + 2] = this.w2;
    w[i * 4 + 3] = this.w3;
    leaf.n++;
    this.index.add(this.w0, leaf);
    this.addToCounts(leaf, 1);
    if (i === 0) this.fixFirst(leaf);
  }

  /**
   * A full leaf is to take a member at position i. Shift some members into a sibling with room
   * (B*-tree style: leaves end up ~80% full rather than ~70%), else split; appending past the
   * last leaf (rising timestamps, ids) starts a new leaf, so sets filled in order have full
   * leaves. Points hitLeaf/hitIndex at where the member goes.
   */
  private makeRoom(leaf: Leaf<S>, i: number): void {
    const cap = this.leafCapacity;
    const p = leaf.parent;
    const appending = i === cap && leaf.next === null;
    if (!appending && p !== null) {
      const c = childIndex(p, leaf);
      const right = c + 1 < p.n ? (p.children[c + 1] as Leaf<S>) : null;
      const left = c > 0 ? (p.children[c - 1] as Leaf<S>) : null;
      // Only into real room: moving one or two members per insert would cost more than a split.
      const room = Math.max(2, cap >> 2);
      if (right !== null && cap - right.n >= room) {
        const k = (cap - right.n) >> 1;
        right.shift(0, k, right.n);
        this.moveMembers(leaf, cap - k, right, 0, k);
        leaf.n -= k;
        right.n += k;
        p.counts[c]! -= k;
        p.counts[c + 1]! += k;
        this.fixFirst(right);
        if (i <= leaf.n) this.hitIndex = i;
        else {
          this.hitLeaf = right;
          this.hitIndex = i - leaf.n;
        }
        return;
      }
      if (left !== null && cap - left.n >= room) {
        const k = (cap - left.n) >> 1;
        this.moveMembers(leaf, 0, left, left.n, k);
        leaf.shift(k, 0, cap - k);
        for (let j = cap - k; j < cap; j++) leaf.sealed[j] = undefined;
        left.n += k;
        leaf.n -= k;
        p.counts[c - 1]! += k;
        p.counts[c]! -= k;
        this.fixFirst(leaf);
        if (i >= k) this.hitIndex = i - k;
        else {
          this.hitLeaf = left;
          this.hitIndex = left.n - k + i;
        }
        return;
      }
    }
    const at = appending ? cap : cap >> 1;
    const right = this.splitLeaf(leaf, at);
    if (i > at || appending) {
      this.hitLeaf = right;
      this.hitIndex = i - at;
    }
  }

  private addToCounts(node: Node<S>, delta: number): void {
    for (let p = node.parent; p !== null; node = p, p = p.parent) p.counts[childIndex(p, node)]! += delta;
  }

  private removeAt(leaf: Leaf<S>, i: number): void {
    this.removeRun(leaf, i, 1);
  }

  /** Removes leaf members [from, from + count), then rebalances the leaf once. */
  private removeRun(leaf: Leaf<S>, from: number, count: number): void {
    for (let k = from; k < from + count; k++) this.index.remove(leaf.words[k * 4]!, leaf);
    leaf.shift(from + count, from, leaf.n - from - count);
    for (let k = leaf.n - count; k < leaf.n; k++) leaf.sealed[k] = undefined;
    leaf.n -= count;
    this.addToCounts(leaf, -count);
    if (from === 0 && leaf.n > 0) this.fixFirst(leaf);
    this.rebalanceLeaf(leaf);
  }

  /** Moves leaf members [at, n) into a new leaf linked after it. */
  private splitLeaf(left: Leaf<S>, at: number): Leaf<S> {
    const right = new Leaf<S>(this.leafCapacity);
    this.leaves++;
    const moved = left.n - at;
    this.moveMembers(left, at, right, 0, moved);
    left.n = at;
    right.n = moved;
    right.next = left.next;
    if (right.next !== null) right.next.prev = right;
    right.prev = left;
    left.next = right;
    this.attachRight(left, right, moved);
    return right;
  }

  /** Copies members between leaves, re-filing them in the index and clearing the source slots. */
  private moveMembers(from: Leaf<S>, fromAt: number, to: Leaf<S>, toAt: number, count: number): void {
    to.scores.set(from.scores.subarray(fromAt, fromAt + count), toAt);
    to.words.set(from.words.subarray(fromAt * 4, (fromAt + count) * 4), toAt * 4);
    for (let k = 0; k < count; k++) {
      to.sealed[toAt + k] = from.sealed[fromAt + k];
      from.sealed[fromAt + k] = undefined;
      this.index.relocate(from.words[(fromAt + k) * 4]!, from, to);
    }
  }

  /** Hangs a new right sibling (holding `moved` members taken from left) into the tree. */
  private attachRight(left: Node<S>, right: Node<S>, moved: number): void {
    if (left.parent === null) {
      const root = new Inner<S>(this.innerCapacity);
      this.inners++;
      root.children[0] = left;
      root.children[1] = right;
      root.counts[0] = total(left);
      root.counts[1] = total(right);
      root.firstScores[0] = firstScore(left);
      root.firstScores[1] = firstScore(right);
      root.n = 2;
      left.parent = right.parent = root;
      this.root = root;
      return;
    }
    if (left.parent.n === this.innerCapacity) this.splitInner(left.parent);
    const p = left.parent;
    const c = childIndex(p, left);
    for (let k = p.n; k > c + 1; k--) {
      p.children[k] = p.children[k - 1];
      p.counts[k] = p.counts[k - 1]!;
      p.firstScores[k] = p.firstScores[k - 1]!;
    }
    p.children[c + 1] = right;
    p.counts[c + 1] = moved;
    p.firstScores[c + 1] = firstScore(right);
    p.counts[c]! -= moved;
    p.n++;
    right.parent = p;
  }

  private splitInner(left: Inner<S>): void {
    const right = new Inner<S>(this.innerCapacity);
    this.inners++;
    const at = left.n >> 1;
    const moved = this.moveChildren(left, at, right, 0, left.n - at);
    right.n = left.n - at;
    left.n = at;
    this.attachRight(left, right, moved);
  }

  /** Moves children between inner nodes (clearing the source slots); returns their member count. */
  private moveChildren(from: Inner<S>, fromAt: number, to: Inner<S>, toAt: number, count: number): number {
    let members = 0;
    for (let k = 0; k < count; k++) {
      const child = from.children[fromAt + k]!;
      to.children[toAt + k] = child;
      to.counts[toAt + k] = from.counts[fromAt + k]!;
      to.firstScores[toAt + k] = from.firstScores[fromAt + k]!;
      members += from.counts[fromAt + k]!;
      child.parent = to;
      from.children[fromAt + k] = undefined;
      from.counts[fromAt + k] = 0;
    }
    return members;
  }

  private removeChild(p: Inner<S>, c: number): void {
    for (let k = c; k < p.n - 1; k++) {
      p.children[k] = p.children[k + 1];
      p.counts[k] = p.counts[k + 1]!;
      p.firstScores[k] = p.firstScores[k + 1]!;
    }
    p.n--;
    p.children[p.n] = undefined;
    p.counts[p.n] = 0;
    if (c === 0 && p.n > 0) this.fixFirst(p);
  }

  /** After a removal: drop an empty leaf, merge a small one into a sibling, or even the two out. */
  private rebalanceLeaf(leaf: Leaf<S>): void {
    const p = leaf.parent;
    if (p === null || leaf.n >= this.leafMin) return;
    const c = childIndex(p, leaf);
    if (leaf.n === 0) {
      this.unlinkLeaf(leaf);
      this.removeChild(p, c);
      this.rebalanceInner(p);
      return;
    }
    const li = c + 1 < p.n ? c : c - 1;
    const left = p.children[li] as Leaf<S>;
    const right = p.children[li + 1] as Leaf<S>;
    if (left.n + right.n <= (this.leafCapacity * 3) >> 2) {
      this.moveMembers(right, 0, left, left.n, right.n);
      p.counts[li]! += right.n;
      left.n += right.n;
      right.n = 0;
      this.unlinkLeaf(right);
      this.removeChild(p, li + 1);
      this.rebalanceInner(p);
      return;
    }
    const half = (left.n + right.n) >> 1;
    if (left.n < half) {
      const k = half - left.n;
      this.moveMembers(right, 0, left, left.n, k);
      right.shift(k, 0, right.n - k);
      for (let j = right.n - k; j < right.n; j++) right.sealed[j] = undefined;
      left.n += k;
      right.n -= k;
      p.counts[li]! += k;
      p.counts[li + 1]! -= k;
      this.fixFirst(right);
    } else {
      const k = left.n - half;
      right.shift(0, k, right.n);
      this.moveMembers(left, left.n - k, right, 0, k);
      left.n -= k;
      right.n += k;
      p.counts[li]! -= k;
      p.counts[li + 1]! += k;
      this.fixFirst(right);
    }
  }

  private unlinkLeaf(leaf: Leaf<S>): void {
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    leaf.prev = leaf.next = leaf.parent = null;
    this.leaves--;
  }

  /** The inner-node counterpart of rebalanceLeaf; also shortens the tree when the root has one child. */
  private rebalanceInner(node: Inner<S>): void {
    const p = node.parent;
    if (p === null) {
      let root: Node<S> = node;
      while (!root.isLeaf && root.n === 1) {
        const child: Node<S> = root.children[0]!;
        root.children[0] = undefined;
        child.parent = null;
        this.inners--;
        root = child;
      }
      this.root = root;
      return;
    }
    if (node.n >= this.innerMin) return;
    const c = childIndex(p, node);
    const li = c + 1 < p.n ? c : c - 1;
    const left = p.children[li] as Inner<S>;
    const right = p.children[li + 1] as Inner<S>;
    if (left.n + right.n <= (this.innerCapacity * 3) >> 2) {
      p.counts[li]! += this.moveChildren(right, 0, left, left.n, right.n);
      left.n += right.n;
      right.n = 0;
      right.parent = null;
      this.inners--;
      this.removeChild(p, li + 1);
      this.rebalanceInner(p);
      return;
    }
    const half = (left.n + right.n) >> 1;
    if (left.n < half) {
      const k = half - left.n;
      const moved = this.moveChildren(right, 0, left, left.n, k);
      for (let j = 0; j < right.n - k; j++) {
        right.children[j] = right.children[j + k];
        right.counts[j] = right.counts[j + k]!;
        right.firstScores[j] = right.firstScores[j + k]!;
      }
      for (let j = right.n - k; j < right.n; j++) {
        right.children[j] = undefined;
        right.counts[j] = 0;
      }
      left.n += k;
      right.n -= k;
      p.counts[li]! += moved;
      p.counts[li + 1]! -= moved;
      this.fixFirst(right);
    } else {
      const k = left.n - half;
      for (let j = right.n - 1; j >= 0; j--) {
        right.children[j + k] = right.children[j];
        right.counts[j + k] = right.counts[j]!;
        right.firstScores[j + k] = right.firstScores[j]!;
      }
      const moved = this.moveChildren(left, left.n - k, right, 0, k);
      left.n -= k;
      right.n += k;
      p.counts[li]! -= moved;
      p.counts[li + 1]! += moved;
      this.fixFirst(right);
    }
  }
}
