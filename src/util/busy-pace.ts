// Pacing for background work that shares the one event-loop thread with clients (key rotation,
// the active expiry cycle; snapshot-stream.ts does the same inline). Idle, the work takes whole
// slices back to back. While commands run, a slice takes 1/share of the time since the work's
// last turn ended (at least minMs), and the next turn waits for a timer rather than
// setImmediate, so the loop blocks on I/O and serves the clients in between: closed-loop
// clients (one request in flight, as redis-benchmark's) meet at most one short slice per
// request, so a slice's length is what it adds to their latency.

export interface PaceOptions {
  /** A slice's length when no command ran since the last one (ms). */
  idleMs: number;
  /** Fraction of the time between turns a slice may take while clients are busy: 1/share. */
  share?: number;
  /** The shortest slice while clients are busy (ms). */
  minMs?: number;
  /**
   * The longest slice while clients are busy (ms; idleMs by default). On a loaded machine the
   * time between turns includes time the process was not running, and a share of it would grow
   * the slices exactly when clients can least afford it.
   */
  busyMaxMs?: number;
}

export class BusyPacer {
  private lastEnd = performance.now();
  private commands: number;
  /** Whether commands ran between the last two slices. */
  busy = false;

  constructor(
    /** A count that moves whenever a client command runs (INFO total_commands_processed). */
    private readonly counter: () => number,
    private readonly options: PaceOptions,
  ) {
    this.commands = counter();
  }

  /** Starts a slice: returns its deadline (a performance.now() time). */
  begin(): number {
    const start = performance.now();
    const count = this.counter();
    this.busy = count !== this.commands;
    this.commands = count;
    const { idleMs, share = 8, minMs = 0.1, busyMaxMs = idleMs } = this.options;
    return start + (this.busy ? Math.min(busyMaxMs, Math.max(minMs, (start - this.lastEnd) / share)) : idleMs);
  }

  /** Ends a slice: resolves when the next one may start. */
  pause(): Promise<void> {
    this.lastEnd = performance.now();
    return new Promise<void>((resolve) => (this.busy ? setTimeout(resolve, 0) : setImmediate(resolve)));
  }
}
