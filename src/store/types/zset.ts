// The sorted set: members ordered by (score, member bytes), as Redis orders them, without ever
// holding a member in plaintext. A member comes as a digest (a 16-byte keyed hash of its bytes,
// the identity) and a sealed form (opaque to this module, of type S). Ties in score are broken by
// the caller's comparator, which opens sealed members; it is called only between equal scores.
//
// The order lives in an order-statistic B+tree (zset-tree.ts; dragonfly's sorted_map is one,
// redis t_zset.c uses a skiplist with spans): leaves of up to 64 members in flat arrays, inner
// nodes with the member count and first score of each child. Why not a skiplist: per member it
// needs a node object with level arrays and a boxed score, where a leaf slot costs 28 bytes, and
// a leaf tells a member's rank without a search (bench/micro/zset.ts measures both: 71 against
// 227 bytes per member, rank 1.6 against 14.9 us at 1e6 members).
//
// The digest index (digest-index.ts) maps a digest to its leaf, so ZSCORE, ZRANK, ZREM and a
// score change find their member with no comparator call at all; only placing a member (insert,
// a score change that moves it) and searching by a bound compare, O(log n) times.
//
// Costs, n members, B = leaf capacity: find/score O(1 + B); rank O(B + log n); insert, remove,
// score change O(B + log n) plus O(log n) comparator calls on ties; rank and score/lex bounds
// O(log n); iterating k members from a rank O(log n + k).

import { DigestIndex, DIGEST_BYTES } from './digest-index.js';
import { firstLeaf, firstScore, INDEXLESS, LeafTree, type Inner, type Leaf, type Node, type ZSetOptions } from './zset-tree.js';

export { DIGEST_BYTES, type ZSetOptions };

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

// What the descent compares the target with (see below()).
const SCORE_LT = 0;
const SCORE_LE = 1;
const KEY_LT = 2;
const LEX_LT = 3;
const LEX_LE = 4;

/** Whether a score range can hold nothing (zslParseRange's callers check min > max the same way). */
export function emptyScores(min: ScoreBound, max: ScoreBound): boolean {
  return min.value > max.value || (min.value === max.value && (min.exclusive || max.exclusive));
}

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


export class SortedSet<S> extends LeafTree<S> {
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
  /** The member's position in the leaf the last successful find() returned. */
  private foundAt = -1;
  /** That leaf, or null: where find() looks first (ZADD finds a member, then updates it). */
  private foundLeaf: Leaf<S> | null = null;

  constructor(private readonly order: MemberOrder<S>, options: ZSetOptions = {}) {
    super(options);
  }

  get size(): number {
    return this.count;
  }

  // ---- lookups by member -------------------------------------------------------------------

  /** The member's score, or undefined when it is not in the set. */
  score(digest: Uint8Array): number | undefined {
    const leaf = this.find(digest);
    return leaf === undefined ? undefined : leaf.scores[this.foundAt]!;
  }

  has(digest: Uint8Array): boolean {
    return this.find(digest) !== undefined;
  }

  /** The member's sealed form, or undefined. */
  sealedOf(digest: Uint8Array): S | undefined {
    const leaf = this.find(digest);
    return leaf === undefined ? undefined : leaf.sealed[this.foundAt];
  }

  /** 0-based rank from the lowest score (ZRANK), or from the highest when reverse (ZREVRANK). */
  rank(digest: Uint8Array, reverse = false): number | undefined {
    const leaf = this.find(digest);
    if (leaf === undefined) return undefined;
    const r = this.rankOf(leaf, this.foundAt);
    return reverse ? this.size - 1 - r : r;
  }

  // ---- changes -----------------------------------------------------------------------------

  /**
   * Adds a member that is not in the set yet; false (and nothing changes) when it is. Pass the
   * member's plain bytes when the caller has them (ZADD does): ties then cost one open per
   * comparison (compareToBound) instead of two. They are only handed to the comparator.
   */
  insert(digest: Uint8Array, score: number, sealed: S, plain?: Uint8Array): boolean {
    if (Number.isNaN(score)) throw new RangeError('zset score is NaN'); // callers reply "not a valid float"
    if (this.find(digest) !== undefined) return false;
    this.place(score, sealed, plain);
    return true;
  }

  /**
   * Gives a member a new score, moving it only if its place changes. Returns the old score, or
   * undefined when the member is not in the set (nothing changes then). `plain` as for insert.
   */
  setScore(digest: Uint8Array, score: number, plain?: Uint8Array): number | undefined {
    if (Number.isNaN(score)) throw new RangeError('zset score is NaN');
    const leaf = this.find(digest);
    if (leaf === undefined) return undefined;
    const i = this.foundAt;
    const old = leaf.scores[i]!;
    const sealed = leaf.sealed[i]!;
    // Still between its neighbours in the same leaf (redis zslUpdateScore's shortcut): write in place.
    if (score === old || (i > 0 && i < leaf.n - 1 && this.keyBefore(leaf, i - 1, score, sealed, plain) && !this.keyBefore(leaf, i + 1, score, sealed, plain))) {
      leaf.scores[i] = score;
      if (i === 0) this.fixFirst(leaf); // 0 -> -0 keeps the place but not the bits
      return old;
    }
    if (this.index === null) {
      this.removeAt(leaf, i);
      this.place(score, sealed, plain);
      return old;
    }
    // Moved, not removed and added: its index slot is pointed at the leaf it lands in.
    const tag = this.w0;
    this.removeAt(leaf, i, false);
    try {
      this.place(score, sealed, plain, false);
    } catch (err) {
      // A tie-break open failed before the member went back (the comparator throws before
      // placing): it stays removed, as before unfiled slots existed, and its slot goes too.
      this.index.remove(tag, leaf);
      throw err;
    }
    this.refile(tag, leaf, this.hitLeaf);
    return old;
  }

  /**
   * Adds a member known to order after every member in the set (and not in it): no comparator
   * call. Building a set from members already sorted (a copy, a *STORE result) costs O(n log n)
   * with full leaves. The caller guarantees the order; checkInvariants() catches a wrong one.
   */
  append(digest: Uint8Array, score: number, sealed: S): void {
    if (Number.isNaN(score)) throw new RangeError('zset score is NaN');
    this.readDigest(digest);
    this.appendWords(score, sealed);
  }

  /** A copy of the set with every sealed member passed through `map` (RENAME, COPY, MOVE). */
  copy(map: (sealed: S, score: number) => S, order: MemberOrder<S> = this.order): SortedSet<S> {
    const out = new SortedSet<S>(order, { leafCapacity: this.leafCapacity, innerCapacity: this.innerCapacity });
    for (let leaf: Leaf<S> | null = firstLeaf(this.root); leaf !== null; leaf = leaf.next) {
      const w = leaf.words;
      for (let i = 0; i < leaf.n; i++) {
        out.w0 = w[i * 4]!;
        out.w1 = w[i * 4 + 1]!;
        out.w2 = w[i * 4 + 2]!;
        out.w3 = w[i * 4 + 3]!;
        out.appendWords(leaf.scores[i]!, map(leaf.sealed[i]!, leaf.scores[i]!));
      }
    }
    return out;
  }

  /** Removes a member; false when it was not in the set. */
  remove(digest: Uint8Array): boolean {
    const leaf = this.find(digest);
    if (leaf === undefined) return false;
    this.removeAt(leaf, this.foundAt);
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
    if (this.index === null) {
      // A small set has no buckets: all of it in one call.
      const leaf = this.root as Leaf<S>;
      for (let i = 0; i < leaf.n; i++) visit(leaf.sealed[i]!, leaf.scores[i]!);
      return 0;
    }
    const index = this.index;
    let buckets = Math.max(1, count) * 10;
    do cursor = index.scanBucket(cursor, emit);
    while (cursor !== 0 && visited < count && --buckets > 0);
    return cursor;
  }

  /** Bytes this structure holds on and off the V8 heap, sealed members excluded (MEMORY USAGE). */
  memoryBytes(): number {
    // V8 object sizes measured on Node 20: a leaf is an object, an ArrayBuffer with two views
    // (~440 bytes together) and an array of references; an inner node two Float64Arrays and one.
    // The set and its index object take ~300 more.
    const leaves = this.root.isLeaf ? 464 + this.root.capacity * 28 : this.leaves * (464 + this.leafCapacity * 28);
    return leaves + this.inners * (400 + this.innerCapacity * 20) + (this.index === null ? 0 : this.index.capacity * 8 + 200) + 100;
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
        for (let i = node.n; i < node.capacity; i++) if (node.sealed[i] !== undefined) fail('stale member reference');
        if (node.capacity !== this.leafCapacity && (node !== this.root || node.capacity < node.n)) fail('leaf capacity');
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
        if (child.slot !== c) fail(`slot ${child.slot} for child ${c}`);
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
    if (this.index === null) {
      if (!this.root.isLeaf || this.root.n !== this.count || this.count > INDEXLESS) fail('no index for a set that needs one');
    }
    const filed = this.index?.filed() ?? null;
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
      const got = filed === null ? tags : (filed.get(leaf) ?? new Map<number, number>());
      if (got.size !== tags.size || [...tags].some(([t, k]) => got.get(t) !== k)) fail('index slots differ from leaf members');
      prevLeaf = leaf;
    }
    if (prevLeaf !== null && prevLeaf.next !== null) fail('last leaf has a next');
  }

  // ---- internals ---------------------------------------------------------------------------

  private find(digest: Uint8Array): Leaf<S> | undefined {
    this.readDigest(digest);
    // Checked in place: a leaf still holding members is in the tree (only emptied leaves leave it).
    const last = this.foundLeaf;
    if (last !== null && this.foundAt < last.n) {
      const w = last.words;
      const j = this.foundAt * 4;
      if (w[j] === this.w0 && w[j + 1] === this.w1 && w[j + 2] === this.w2 && w[j + 3] === this.w3) return last;
    }
    if (this.index === null) {
      // A small set is its root leaf: compare its digests.
      const leaf = this.root as Leaf<S>;
      const i = leaf.indexOf(this.w0, this.w1, this.w2, this.w3);
      if (i < 0) return undefined;
      this.foundAt = i;
      this.foundLeaf = leaf;
      return leaf;
    }
    const leaf = this.index.find(this.w0, this.w1, this.w2, this.w3);
    if (leaf !== undefined) {
      this.foundAt = this.index.foundIndex;
      this.foundLeaf = leaf;
    }
    return leaf;
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
   * that position (possibly one past the leaf's last member: where an insert goes). Without
   * `ranked` the rank is not summed (0 is returned): placing a member needs only the position.
   */
  private lowerBound(ranked = true): number {
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
      if (ranked) for (let k = 0; k < lo - 1; k++) rank += node.counts[k]!;
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


  /** Puts the member whose digest is in w0..w3 after the last member. */
  private appendWords(score: number, sealed: S): void {
    if (this.size === 0) {
      this.hitLeaf = firstLeaf(this.root);
      this.hitIndex = 0;
    } else {
      this.locate(this.size - 1);
      this.hitIndex++;
    }
    this.ensureRoom();
    this.insertAt(this.hitLeaf, this.hitIndex, score, sealed, this.w0, this.w1, this.w2, this.w3);
  }

  /** Inserts the member whose digest is in w0..w3 at its place in the order (`file`: as insertAt's). */
  private place(score: number, sealed: S, plain: Uint8Array | undefined, file = true): void {
    this.mode = KEY_LT;
    this.targetScore = score;
    this.targetSealed = sealed;
    this.targetBound = plain;
    this.lowerBound(false);
    this.targetSealed = undefined;
    this.targetBound = undefined;
    this.ensureRoom();
    this.insertAt(this.hitLeaf, this.hitIndex, score, sealed, this.w0, this.w1, this.w2, this.w3, file);
  }
}
