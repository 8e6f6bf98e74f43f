// A walk over a database's keys that may span event-loop turns (key rotation): a SCAN cursor
// (src/store/scan.ts) with the keys of its current bucket in hand.

import type { KeyTable } from './key-table.js';
import { nextBucket } from './scan.js';

/** What a walk needs of its database: whether it was flushed since the walk began. */
interface Flushable {
  readonly generation: number;
}

/**
 * Every key present for the whole walk comes at least once, however the table grows, shrinks
 * or rebuilds meanwhile (some may come twice); a key handed out is still in the table at that
 * moment. After FLUSHDB/FLUSHALL (`stale`) it has nothing more to give.
 */
export class KeyWalk {
  private bucket = 0;
  private done = false;
  /** Keys of the last bucket visited, not handed out yet, and their hashes. */
  private pending: string[] = [];
  private pendingHashes: number[] = [];
  private readonly generation: number;

  constructor(
    private readonly db: Flushable,
    private readonly table: KeyTable,
  ) {
    this.generation = db.generation;
  }

  get stale(): boolean {
    return this.db.generation !== this.generation;
  }

  /** The next key, or undefined when the walk is done. */
  next(): string | undefined {
    if (this.stale) return undefined;
    const table = this.table;
    for (;;) {
      for (let key = this.pending.pop(); key !== undefined; key = this.pending.pop()) {
        // Skips a key deleted since its bucket was read (the caller may have yielded in between).
        if (table.find(key, this.pendingHashes.pop()!) >= 0) return key;
      }
      if (this.done) return undefined;
      table.visitBucket(this.bucket & table.scanMask, (handle) => {
        this.pending.push(table.keyOf(handle));
        this.pendingHashes.push(table.hashOf(handle));
      });
      // Handed out in slot order.
      this.pending.reverse();
      this.pendingHashes.reverse();
      this.bucket = nextBucket(this.bucket & table.scanMask, table.scanMask);
      this.done = this.bucket === 0;
    }
  }
}
