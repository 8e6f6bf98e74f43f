// A walk over a database's keys that may span event-loop turns (SCAN cursors, key rotation).

import type { KeyTable } from './key-table.js';

/** What a walk needs of its database: whether it was flushed since the walk began. */
interface Flushable {
  readonly generation: number;
}

/**
 * A walk over a database's keys by slot, for work spread over event-loop turns. When the table
 * rehashes it starts over (keys may come twice, none present throughout is missed); after
 * FLUSHDB/FLUSHALL (`stale`) it has nothing more to give.
 */
export class KeyWalk {
  private slot = 0;
  private epoch: number;
  private readonly generation: number;

  constructor(
    private readonly db: Flushable,
    private readonly table: KeyTable,
  ) {
    this.epoch = table.epoch;
    this.generation = db.generation;
  }

  get stale(): boolean {
    return this.db.generation !== this.generation;
  }

  /** The next key, or undefined when the walk is done. */
  next(): string | undefined {
    if (this.stale) return undefined;
    if (this.table.epoch !== this.epoch) {
      this.slot = 0;
      this.epoch = this.table.epoch;
    }
    while (this.slot < this.table.capacity) {
      const handle = this.table.handleAt(this.slot++);
      if (handle !== 0) return this.table.keyOf(handle);
    }
    return undefined;
  }
}
