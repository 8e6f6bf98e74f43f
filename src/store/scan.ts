// SCAN-family cursors. A cursor names a live Map iterator, which in V8 survives inserts and
// deletes: every element present for the whole scan is returned exactly once, like Redis's
// guarantee. An unknown or expired cursor restarts from the beginning, which can only repeat
// elements (allowed by SCAN's contract), never skip them.

interface LiveCursor {
  source: Map<string, unknown>;
  iter: Iterator<string>;
}

export class CursorTable {
  private live = new Map<number, LiveCursor>();
  private nextId = 1;

  constructor(private readonly capacity = 4096) {}

  /**
   * Visits up to `count` keys of source from `cursor` and returns the cursor to continue with,
   * 0 when the walk is complete.
   */
  scan(source: Map<string, unknown>, cursor: number, count: number, visit: (key: string) => void): number {
    let state = cursor === 0 ? undefined : this.live.get(cursor);
    if (state) this.live.delete(cursor);
    if (!state || state.source !== source) state = { source, iter: source.keys() };
    for (let i = 0; i < count; i++) {
      const step = state.iter.next();
      if (step.done) return 0;
      visit(step.value);
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
