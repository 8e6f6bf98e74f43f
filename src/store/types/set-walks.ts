// Reading a set's members (store/types/set.ts) by id, and the set algebra over digests: a
// reader opens each node once while it reads members of that node in a row; SINTER, SUNION and
// SDIFF compare members of different sets by digest alone and hand out ids, opening nothing.
// Apart from set.ts because they only use a set, through its public methods.

import { readForward, lastVarint, Scratch } from './list-encoding.js';
import { NODE_MAX, SLOT_BITS, SealedSet, readerPool, wipe, type SetCodec } from './set.js';
import type { MemberId } from './set-index.js';

/**
 * Opens members of one set by id, keeping the last node it opened (members of one node read in
 * a row open it once). The plaintext is `plain` from `start` for `length` bytes until the next
 * open() or close(); close() wipes it. The set must not change while a reader is open.
 */
export class SetReader {
  plain: Buffer = Buffer.alloc(0);
  start = 0;
  length = 0;
  private node = -1;
  private version = -1;
  private used = 0;
  private readonly starts = new Int32Array(NODE_MAX);
  private scratch: Scratch | null = readerPool.pop() ?? new Scratch();

  constructor(
    private readonly set: SealedSet,
    private readonly codec: SetCodec,
  ) {}

  /** Opens member id; returns its plaintext length. Throws the codec's error. */
  open(id: MemberId): number {
    const set = this.set;
    const place = set.placeOf(id);
    const n = place >>> SLOT_BITS;
    if (n !== this.node || set.version !== this.version) {
      const scratch = this.scratch!;
      wipe(scratch, this.used);
      this.used = 0;
      this.node = -1;
      this.used = set.openNodeInto(n, this.codec, scratch);
      this.node = n;
      this.version = set.version;
      this.plain = scratch.buf;
      const c = set.countOf(n);
      for (let s = 0, p = 0; s < c; s++) {
        this.starts[s] = p;
        p += readForward(this.plain, p) + lastVarint;
      }
    }
    const p = this.starts[place & (NODE_MAX - 1)]!;
    this.length = readForward(this.plain, p);
    this.start = p + lastVarint;
    return this.length;
  }

  /** Wipes what was opened and gives the scratch back. */
  close(): void {
    const scratch = this.scratch;
    if (scratch === null) return;
    wipe(scratch, this.used);
    this.scratch = null;
    this.plain = Buffer.alloc(0);
    this.node = -1;
    readerPool.push(scratch);
  }
}

/**
 * SINTER, SINTERSTORE: visits the members of the smallest set that every other set holds too
 * (Redis sorts by size and probes the smaller sets first). Ids are the smallest set's, passed
 * with it, since its nodes are sealed for its key. A visitor returning false stops.
 */
export function intersect(sets: SealedSet[], visit: (from: SealedSet, id: MemberId) => boolean | void): void {
  if (sets.length === 0) return;
  const bySize = [...sets].sort((a, b) => a.size - b.size);
  const smallest = bySize[0]!;
  if (smallest.size === 0) return;
  let stop = false;
  smallest.forEach((id) => {
    for (let i = 1; i < bySize.length; i++) if (!bySize[i]!.hasMemberOf(smallest, id)) return true;
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
  try {
    for (const set of sets) {
      let stop = false;
      set.forEach((id) => {
        if (seen.hasMemberOf(set, id)) return true;
        seen.mark(set.digestOf(id));
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
    for (const other of others) if (other.hasMemberOf(first, id)) return true;
    return visit(first, id);
  });
}
