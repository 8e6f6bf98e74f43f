// How recently or how often a key was used, kept in the one number every entry has for it
// (`touchedAt`), read the way Redis reads its 24-bit `lru` field (evict.c): under an LRU policy it
// is the last access in unix ms; under an LFU policy it is (minutes << 8 | counter), a
// logarithmic access counter that decays with time. One number for both keeps the per-key
// cost unchanged. Switching policy at run time reinterprets what is there, as in Redis: a key
// last touched under LRU reads as a new key under LFU (counter LFU_INIT_VAL), and the other
// way round as one not touched for a very long time, until it is used again.

/** The counter a key starts with under LFU, so new keys are not evicted at once (Redis's value). */
export const LFU_INIT_VAL = 5;
/** Below this the number is LFU data (16-bit minutes, 8-bit counter); unix ms are far above. */
const LFU_LIMIT = 2 ** 24;
const MINUTES_MASK = 65535;

const minutes = (ms: number) => Math.floor(ms / 60_000) & MINUTES_MASK;

/** Minutes since `ldt` on a 16-bit clock that wraps (redis LFUTimeElapsed). */
function minutesSince(ldt: number, now: number): number {
  const m = minutes(now);
  return m >= ldt ? m - ldt : MINUTES_MASK - ldt + m;
}

export class AccessClock {
  /** Whether maxmemory-policy is an LFU one; LRU (last access time) otherwise. */
  lfu = false;
  /** lfu-log-factor: how many hits it takes to raise a high counter by one. */
  logFactor = 10;
  /** lfu-decay-time: minutes for the counter to lose one (0: never decays). */
  decayTime = 1;

  /** @param clock the server's clock, for eviction's reading of counters (commands pass their own `now`). */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** The value touchedAt takes when a command uses the key at `now` (redis updateLFU / LRU_CLOCK). */
  touched(previous: number, now: number): number {
    if (!this.lfu) return now;
    let counter = this.frequency(previous, now);
    // Redis's LFULogIncr: the higher the counter, the less likely one more hit raises it.
    if (counter < 255 && this.random() < 1 / (Math.max(0, counter - LFU_INIT_VAL) * this.logFactor + 1)) counter++;
    return minutes(now) * 256 + counter;
  }

  /** The counter after its decay (redis LFUDecrAndReturn): OBJECT FREQ, LFU eviction. */
  frequency(value: number, now: number): number {
    if (value >= LFU_LIMIT) return LFU_INIT_VAL;
    const counter = value & 255;
    const periods = this.decayTime > 0 ? Math.floor(minutesSince(Math.floor(value / 256), now) / this.decayTime) : 0;
    return periods > counter ? 0 : counter - periods;
  }

  /**
   * touchedAt of a value written over another (redis dbOverwrite, after lookupKeyWrite touched
   * the old one): the old counter, touched at `fresh` (the new entry's own touchedAt, unix ms).
   */
  inherited(old: number, fresh: number): number {
    return fresh >= LFU_LIMIT ? this.touched(old, fresh) : fresh;
  }

  /** touchedAt as RESTORE ... FREQ sets it (redis objectSetLRUOrLFU). */
  withFrequency(freq: number, now: number): number {
    return minutes(now) * 256 + freq;
  }

  /** Eviction order under an LRU or LFU policy: the key with the lowest rank goes first. */
  rank(value: number): number {
    return this.lfu ? this.frequency(value, this.clock()) : value;
  }
}
