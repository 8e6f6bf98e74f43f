// The sorted set's order: an order-statistic B+tree whose leaves hold members in flat arrays
// and whose inner nodes hold each child's member count and first score. This file keeps the
// tree's shape (splits, borrowing, merges, the cached counts and first scores, the digest index
// entries that follow members between leaves); zset.ts searches it and gives it its API.
//
// Leaf: up to `leafCapacity` members (a new set's only leaf starts at 4 and doubles); scores in a Float64Array and digest words in an Int32Array
// over one ArrayBuffer, sealed members in a plain array; linked to its neighbours for iteration.
// Inner: children, member counts and first scores per child. Non-root nodes are never empty;
// leaves below a quarter full merge with or borrow from a sibling under the same parent.

import { DigestIndex, type DigestHolder } from './digest-index.js';

export interface ZSetOptions {
  /** Members per leaf (tests use tiny nodes to exercise splits and merges). */
  leafCapacity?: number;
  /** Children per inner node, at least 4. */
  innerCapacity?: number;
}

const LEAF_CAPACITY = 64;
const INNER_CAPACITY = 32;
/** A new set's lone leaf starts this small and doubles up to the leaf capacity (small sets). */
const FIRST_LEAF_CAPACITY = 4;

export class Leaf<S> implements DigestHolder {
  readonly isLeaf = true;
  parent: Inner<S> | null = null;
  /**
   * Its position among parent's children, kept by every move of children (setChild): walking up
   * (counts after an insert or removal, first scores, ranks) reads it instead of scanning for it,
   * a scan per level that was ~2.5% of a random ZADD. checkInvariants checks it.
   */
  slot = 0;
  prev: Leaf<S> | null = null;
  next: Leaf<S> | null = null;
  n = 0;
  scores: Float64Array;
  /** Four 32-bit words of digest per member. */
  words: Int32Array;
  sealed: (S | undefined)[];

  constructor(capacity: number) {
    // One ArrayBuffer for both typed arrays: one backing store per leaf.
    const buffer = new ArrayBuffer(capacity * 24);
    this.scores = new Float64Array(buffer, 0, capacity);
    this.words = new Int32Array(buffer, capacity * 8, capacity * 4);
    this.sealed = new Array<S | undefined>(capacity).fill(undefined);
  }

  get capacity(): number {
    return this.sealed.length;
  }

  /** Larger arrays for the same members (only a lone root leaf grows; see LeafTree). */
  grow(capacity: number): void {
    const { scores, words, sealed, n } = this;
    const buffer = new ArrayBuffer(capacity * 24);
    this.scores = new Float64Array(buffer, 0, capacity);
    this.words = new Int32Array(buffer, capacity * 8, capacity * 4);
    this.sealed = new Array<S | undefined>(capacity).fill(undefined);
    this.scores.set(scores.subarray(0, n));
    this.words.set(words.subarray(0, n * 4));
    for (let i = 0; i < n; i++) this.sealed[i] = sealed[i];
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

export class Inner<S> {
  readonly isLeaf = false;
  parent: Inner<S> | null = null;
  /** As Leaf's slot. */
  slot = 0;
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

export type Node<S> = Leaf<S> | Inner<S>;

/** Puts child at parent.children[c], keeping its slot. */
function setChild<S>(parent: Inner<S>, c: number, child: Node<S>): void {
  parent.children[c] = child;
  child.slot = c;
}

export function firstLeaf<S>(node: Node<S>): Leaf<S> {
  while (!node.isLeaf) node = node.children[0]!;
  return node;
}

export function firstScore<S>(node: Node<S>): number {
  return node.isLeaf ? node.scores[0]! : node.firstScores[0]!;
}

export function total<S>(node: Node<S>): number {
  if (node.isLeaf) return node.n;
  let sum = 0;
  for (let i = 0; i < node.n; i++) sum += node.counts[i]!;
  return sum;
}

/**
 * Up to this many members a set that is one leaf has no digest index: a lookup compares the
 * leaf's digest words, as Redis scans a small listpack. It spares small sets (the common case)
 * an index object and its two arrays, a few hundred bytes each; the index comes with the 17th
 * member or the first split, and stays.
 */
export const INDEXLESS = 16;

export abstract class LeafTree<S> {
  protected root: Node<S>;
  /** Digest -> leaf; null while the set is small (see INDEXLESS). */
  protected index: DigestIndex<Leaf<S>> | null = null;
  /** Members in the set. */
  protected count = 0;
  protected readonly leafCapacity: number;
  protected readonly innerCapacity: number;
  private readonly leafMin: number;
  private readonly innerMin: number;
  protected leaves = 1;
  protected inners = 0;
  /** Where the last descent or locate() ended: a leaf and a position in it. */
  protected hitLeaf: Leaf<S>;
  protected hitIndex = 0;

  constructor(options: ZSetOptions) {
    this.leafCapacity = options.leafCapacity ?? LEAF_CAPACITY;
    this.innerCapacity = options.innerCapacity ?? INNER_CAPACITY;
    if (this.leafCapacity < 2 || this.innerCapacity < 4) throw new RangeError('zset node capacity too small');
    this.leafMin = Math.max(1, this.leafCapacity >> 2);
    this.innerMin = Math.max(2, this.innerCapacity >> 2);
    this.root = this.hitLeaf = new Leaf<S>(Math.min(FIRST_LEAF_CAPACITY, this.leafCapacity));
  }

  /** The index, made from the lone root leaf the first time it is needed. */
  protected needIndex(): DigestIndex<Leaf<S>> {
    if (this.index === null) {
      const index = new DigestIndex<Leaf<S>>();
      const leaf = this.root as Leaf<S>;
      for (let i = 0; i < leaf.n; i++) index.add(leaf.words[i * 4]!, leaf);
      this.index = index;
    }
    return this.index;
  }

  /** Makes room in hitLeaf for one more member at hitIndex (which may move it to another leaf). */
  protected ensureRoom(): void {
    const leaf = this.hitLeaf;
    if (leaf.n < leaf.capacity) return;
    // Only the first leaf is ever smaller than leafCapacity: leaves made by splits are full size.
    if (leaf.capacity < this.leafCapacity) leaf.grow(Math.min(this.leafCapacity, leaf.capacity * 2));
    else this.makeRoom(leaf, this.hitIndex);
  }

  /** A node's first member changed: update the cached first score up the tree as far as it shows. */
  protected fixFirst(node: Node<S>): void {
    const first = firstScore(node);
    for (let p = node.parent; p !== null; node = p, p = p.parent) {
      const c = node.slot;
      p.firstScores[c] = first;
      if (c !== 0) return;
    }
  }

  /** Rank of leaf[i]: its position plus the counts of everything left of its ancestors. */
  protected rankOf(leaf: Leaf<S>, i: number): number {
    let rank = i;
    let node: Node<S> = leaf;
    for (let p = node.parent; p !== null; node = p, p = p.parent) {
      const c = node.slot;
      for (let k = 0; k < c; k++) rank += p.counts[k]!;
    }
    return rank;
  }

  /** Points hitLeaf/hitIndex at a rank (0 <= rank < size). */
  protected locate(rank: number): void {
    let node = this.root;
    while (!node.isLeaf) {
      let c = 0;
      while (rank >= node.counts[c]!) rank -= node.counts[c++]!;
      node = node.children[c]!;
    }
    this.hitLeaf = node;
    this.hitIndex = rank;
  }

  /**
   * A full leaf is to take a member at position i. Shift some members into a sibling with room
   * (B*-tree style: fuller leaves, 71 rather than 77 bytes per member for random fills at 1e6),
   * else split; appending past the
   * last leaf (rising timestamps, ids) starts a new leaf, so sets filled in order have full
   * leaves. Points hitLeaf/hitIndex at where the member goes.
   */
  private makeRoom(leaf: Leaf<S>, i: number): void {
    // Members are about to live in more than one leaf: lookups need the index from now on.
    this.needIndex();
    const cap = this.leafCapacity;
    const p = leaf.parent;
    const appending = i === cap && leaf.next === null;
    if (!appending && p !== null) {
      const c = leaf.slot;
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
    for (let p = node.parent; p !== null; node = p, p = p.parent) p.counts[node.slot]! += delta;
  }

  /**
   * Removes leaf[i]. Unfiled (unfile false), the member's index slot stays, still naming `leaf`:
   * for a member about to be put back (insertAt with file false, then refile()).
   */
  protected removeAt(leaf: Leaf<S>, i: number, unfile = true): void {
    if (unfile) this.removeRun(leaf, i, 1);
    else this.cutRun(leaf, i, 1);
  }

  /** Removes leaf members [from, from + count), then rebalances the leaf once. */
  protected removeRun(leaf: Leaf<S>, from: number, count: number): void {
    const index = this.index;
    if (index !== null) for (let k = from; k < from + count; k++) index.remove(leaf.words[k * 4]!, leaf);
    this.cutRun(leaf, from, count);
  }

  /** removeRun() without unfiling the members from the index. */
  private cutRun(leaf: Leaf<S>, from: number, count: number): void {
    this.count -= count;
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
      this.index!.relocate(from.words[(fromAt + k) * 4]!, from, to);
    }
  }

  /** Hangs a new right sibling (holding `moved` members taken from left) into the tree. */
  private attachRight(left: Node<S>, right: Node<S>, moved: number): void {
    if (left.parent === null) {
      const root = new Inner<S>(this.innerCapacity);
      this.inners++;
      setChild(root, 0, left);
      setChild(root, 1, right);
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
    const c = left.slot;
    for (let k = p.n; k > c + 1; k--) {
      setChild(p, k, p.children[k - 1]!);
      p.counts[k] = p.counts[k - 1]!;
      p.firstScores[k] = p.firstScores[k - 1]!;
    }
    setChild(p, c + 1, right);
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
      setChild(to, toAt + k, child);
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
      setChild(p, k, p.children[k + 1]!);
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
    const c = leaf.slot;
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
    const c = node.slot;
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
        setChild(right, j, right.children[j + k]!);
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
        setChild(right, j + k, right.children[j]!);
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

  /**
   * A member taken out with removeAt(…, false) and put back with insertAt(…, false): its index
   * slot names the leaf it left; it now names the leaf it is in. Slots of one tag and leaf are
   * interchangeable (digest-index.ts), so members moved between leaves meanwhile change nothing.
   */
  protected refile(tag: number, from: Leaf<S>, to: Leaf<S>): void {
    if (from !== to) this.index!.relocate(tag, from, to);
  }

  /** Puts a member at leaf[i] (the leaf has room) and files it in the index (unless `file` is false: see refile). */
  protected insertAt(leaf: Leaf<S>, i: number, score: number, sealed: S, w0: number, w1: number, w2: number, w3: number, file = true): void {
    leaf.shift(i, i + 1, leaf.n - i);
    leaf.scores[i] = score;
    leaf.sealed[i] = sealed;
    const w = leaf.words;
    w[i * 4] = w0;
    w[i * 4 + 1] = w1;
    w[i * 4 + 2] = w2;
    w[i * 4 + 3] = w3;
    leaf.n++;
    this.count++;
    if (!file) {
      // Put back: its slot is still filed (refile), and the count is what it was.
    } else if (this.index !== null) this.index.add(w0, leaf);
    else if (this.count > INDEXLESS) this.needIndex();
    this.addToCounts(leaf, 1);
    if (i === 0) this.fixFirst(leaf);
  }
}
