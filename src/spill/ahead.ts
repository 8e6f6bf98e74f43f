// Spill ahead (dragonfly's tiered storage offloads in the background the same way): once the
// accounted bytes pass SPILL_AHEAD_HIGH of maxmemory, cold values move to the spill tier in
// short slices between event-loop turns, down to SPILL_AHEAD_LOW, so a write rarely finds
// memory over the limit and has to spill in its own path (MemoryGuard.relieve, still the
// backstop that keeps memory within maxmemory after every command). Each slice is bounded by
// SLICE_MS and the next waits for setImmediate: the clients' reads of a turn run between two
// slices, so a closed-loop client meets at most one slice per request. Only spilling happens
// here, never eviction: which keys a policy evicts, and when OOM is answered, stay as they were.

import type { Keyspace } from '../store/keyspace.js';
import type { MemoryGuard } from '../store/memory.js';
import type { SpillManager } from './manager.js';

/** The longest slice (ms): a spill pass checks the clock after each batch of a few values. */
const SLICE_MS = 0.4;
/** After a slice that could free nothing (quota full, nothing cold enough), wait this long (ms). */
const BACKOFF_MS = 50;

export class SpillAhead {
  slices = 0;
  private scheduled = false;
  private idleUntil = 0;

  constructor(
    private readonly guard: MemoryGuard,
    private readonly spill: SpillManager,
    private readonly databases: readonly Keyspace[],
    private readonly stopping: () => boolean,
  ) {
    guard.account.onHigh = () => this.kick();
    guard.updateMarks();
  }

  /** Memory passed the ahead mark: a slice runs after this turn's reads (once, however many writes). */
  kick(): void {
    if (this.scheduled) return;
    if (this.idleUntil !== 0) {
      if (performance.now() < this.idleUntil) return;
      this.idleUntil = 0;
    }
    this.scheduled = true;
    setImmediate(this.slice);
  }

  private readonly slice = (): void => {
    this.scheduled = false;
    if (this.stopping()) return;
    const guard = this.guard;
    const target = guard.aheadTarget;
    const used = guard.account.used;
    if (guard.settings.maxmemory <= 0 || used <= target || !guard.mayRelieve(this.databases)) return;
    const start = performance.now();
    const spill = this.spill;
    const before = spill.store.recordsWritten;
    const freed = spill.spillCold(this.databases, guard.settings.samples, (e) => spill.spares(e), used - target, start + SLICE_MS);
    this.slices++;
    this.spill.aheadWrites += this.spill.store.recordsWritten - before;
    if (freed === 0) {
      this.idleUntil = performance.now() + BACKOFF_MS;
      return;
    }
    if (guard.account.used > target) this.kick();
  };
}
