// The active expiry cycle (redis activeExpireCycle): keys with a TTL are sampled database by
// database, EXPIRE_SAMPLE at a time, and sampling goes on while more than a quarter of a sample
// had expired. Each cron tick gives it EXPIRE_BUDGET_MS. When that budget runs out with expired
// keys still plentiful (a million keys that expire together), the work goes on between ticks in
// slices paced by BusyPacer: back to back while no client is busy, an eighth of the time between
// turns while clients are (Redis's answer is a slow cycle of up to 25 ms per tick: a pause every
// client meets). Without the continuation sealkv deleted about 20 k keys a second at most.

import { BusyPacer } from '../util/busy-pace.js';
import type { Keyspace } from './keyspace.js';

/** Redis's active expiry effort: keys sampled per database per step, and when to go on. */
const EXPIRE_SAMPLE = 20;
const EXPIRE_AGAIN_RATIO = 0.25;
/** Per cron tick, and per slice of the continuation while no client is busy. */
const EXPIRE_BUDGET_MS = 2;

export interface ExpiryHost {
  databases(): readonly Keyspace[];
  /** Commands run so far: while it moves, clients are busy. */
  commands(): number;
  clock(): number;
  /** Run after each continuation slice (expired keys reach the replicas as deletions). */
  afterSlice(): void;
  /** True once the server is stopping: the continuation ends. */
  stopping(): boolean;
}

export class ActiveExpiry {
  /** A continuation is at work: ticks leave expiry to it. */
  private continuing = false;
  /** Slices the continuation ran (tests, INFO). */
  slices = 0;

  constructor(private readonly host: ExpiryHost) {}

  /** The cron's share; starts the paced continuation when expired keys are still plentiful. */
  tick(): void {
    if (this.continuing) return;
    if (this.cycle(performance.now() + EXPIRE_BUDGET_MS)) void this.continueCycle();
  }

  /** One pass over the databases until `deadline`; true when it stopped with expired keys left to find. */
  private cycle(deadline: number): boolean {
    const now = this.host.clock();
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
    return more;
  }

  private async continueCycle(): Promise<void> {
    this.continuing = true;
    const pacer = new BusyPacer(() => this.host.commands(), { idleMs: EXPIRE_BUDGET_MS });
    try {
      for (;;) {
        await pacer.pause();
        if (this.host.stopping()) return;
        const more = this.cycle(pacer.begin());
        this.slices++;
        this.host.afterSlice();
        if (!more) return;
      }
    } finally {
      this.continuing = false;
    }
  }
}
