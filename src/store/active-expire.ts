// The active expiry cycle (redis activeExpireCycle): keys with a TTL are sampled database by
// database, EXPIRE_SAMPLE at a time, and sampling goes on while more than a quarter of a sample
// had expired. Each cron tick gives it EXPIRE_BUDGET_MS (BUSY_SLICE_MS while commands ran since
// the tick before). When that budget runs out with expired
// keys still plentiful (a million keys that expire together), the work goes on between ticks:
// in back-to-back slices of EXPIRE_BUDGET_MS while no command runs, and in slices of
// BUSY_SLICE_MS at most every BUSY_GAP_MS while clients are busy (about 1/8 of the thread, in
// pauses a tenth of a tick's). A fixed gap rather than a share of measured time: on a loaded
// machine the time between turns includes time the process was not running, and a share of it
// grew the slices exactly when clients could least afford it. Redis's answer is a slow cycle of
// up to 25 ms per tick, a pause every client meets.

import type { Keyspace } from './keyspace.js';

/** Redis's active expiry effort: keys sampled per database per step, and when to go on. */
const EXPIRE_SAMPLE = 20;
const EXPIRE_AGAIN_RATIO = 0.25;
/** Per cron tick, and per slice of the continuation while no client is busy. */
const EXPIRE_BUDGET_MS = 2;
/** The continuation while clients are busy: slices this long, this far apart at least. */
const BUSY_SLICE_MS = 0.25;
const BUSY_GAP_MS = 2;

export interface ExpiryHost {
  databases(): readonly Keyspace[];
  /** Commands run so far: while it moves, clients are busy. */
  commands(): number;
  clock(): number;
  /** Run after each continuation slice (expired keys reach the replicas as deletions). */
  afterSlice(): void;
  /** True once the server is stopping: the continuation ends. */
  stopping(): boolean;
  /** How long a pass took, for the latency monitor's expire-cycle event. */
  sample?(ms: number): void;
}

export class ActiveExpiry {
  /** A continuation is at work: ticks leave expiry to it. */
  private continuing = false;
  /** Slices the continuation ran (tests, INFO). */
  slices = 0;

  /** Commands run as of the last tick: when it moved, clients are busy. */
  private tickCommands = -1;

  constructor(private readonly host: ExpiryHost) {}

  /**
   * The cron's share; starts the paced continuation when expired keys are still plentiful.
   * While clients are busy the tick's own pass is a busy slice too: a 2 ms pass every tick was
   * a pause that about 2 % of closed-loop requests met, enough to set their p99.
   */
  tick(): void {
    if (this.continuing) return;
    const count = this.host.commands();
    const busy = count !== this.tickCommands;
    this.tickCommands = count;
    if (this.cycle(performance.now() + (busy ? BUSY_SLICE_MS : EXPIRE_BUDGET_MS))) void this.continueCycle();
  }

  /** One pass over the databases until `deadline`; true when it stopped with expired keys left to find. */
  private cycle(deadline: number): boolean {
    const now = this.host.clock();
    const started = performance.now();
    let more = false;
    for (const db of this.host.databases()) {
      for (;;) {
        const { checked, expired } = db.expireSlice(now, EXPIRE_SAMPLE);
        if (checked === 0 || expired / checked <= EXPIRE_AGAIN_RATIO) break;
        if (performance.now() > deadline) {
          more = true;
          break;
        }
      }
    }
    this.host.sample?.(performance.now() - started);
    return more;
  }

  private async continueCycle(): Promise<void> {
    this.continuing = true;
    let commands = this.host.commands();
    let busy = false;
    try {
      for (;;) {
        await new Promise<void>((resolve) => (busy ? setTimeout(resolve, BUSY_GAP_MS) : setImmediate(resolve)));
        if (this.host.stopping()) return;
        const count = this.host.commands();
        busy = count !== commands;
        commands = count;
        const more = this.cycle(performance.now() + (busy ? BUSY_SLICE_MS : EXPIRE_BUDGET_MS));
        this.slices++;
        this.host.afterSlice();
        if (!more) return;
      }
    } finally {
      this.continuing = false;
    }
  }
}
