// SCAN-family cursors. A cursor names a live walk: over a database's key table (Keyspace.walk),
// which survives inserts and deletes and starts over when the table rehashes, or over a hash's
// field Map (V8 Map iterators survive both). Every element present for the whole scan is
// returned at least once, like Redis's guarantee (repeats are allowed by SCAN's contract).
// An unknown or expired cursor restarts from the beginning.

import { Keyspace } from './keyspace.js';

interface LiveCursor {
  source: Keyspace | Map<string, unknown>;
  next: () => string | undefined;
  /** The source was flushed since: everything in it is new. */
  stale: () => boolean;
}

function startWalk(source: Keyspace | Map<string, unknown>): LiveCursor {
  if (source instanceof Keyspace) {
    const walk = source.walk();
    return { source, next: () => walk.next(), stale: () => walk.stale };
  }
  const iter = source.keys();
  return { source, next: () => iter.next().value, stale: () => false };
}

export class CursorTable {
  private live = new Map<number, LiveCursor>();
  private nextId = 1;

  constructor(private readonly capacity = 4096) {}

  /**
   * Visits up to `count` keys of source from `cursor` and returns the cursor to continue with,
   * 0 when the walk is complete.
   */
  scan(source: Keyspace | Map<string, unknown>, cursor: number, count: number, visit: (key: string) => void): number {
    let state = cursor === 0 ? undefined : this.live.get(cursor);
    if (state) this.live.delete(cursor);
    if (!state || state.source !== source || state.stale()) state = startWalk(source);
    for (let i = 0; i < count; i++) {
      const key = state.next();
      if (key === undefined) return 0;
      visit(key);
    }
    // Cursors are positive safe integers; wrap long before 2^53 so they stay exact in replies.
    const id = this.nextId;
    this.nextId = this.nextId >= 2 ** 52 ? 1 : this.nextId + 1;
    this.live.set(id, state);
    if (this.live.size > this.capacity) this.live.delete(this.live.keys().next().value!);
    return id;
  }

  clear(): void {
    this.live.clear();
  }
}
