// Server counters behind INFO stats and errorstats; CONFIG RESETSTAT zeroes them.

import type { ServerStats } from './commands/types.js';

/** Redis STATS_METRIC_SAMPLES: instantaneous rates are the mean of the last 16 samples. */
const RATE_SAMPLES = 16;
/** Redis samples the rates every 100 ms whatever hz is. */
const RATE_PERIOD_MS = 100;

/** One instantaneous_* rate (redis trackInstantaneousMetric): per second, averaged over 1.6 s. */
class Rate {
  private samples = new Float64Array(RATE_SAMPLES);
  private next = 0;
  private lastTime = 0;
  private lastCount = 0;

  track(count: number, nowMs: number): void {
    const t = nowMs - this.lastTime;
    this.samples[this.next] = t > 0 ? ((count - this.lastCount) * 1000) / t : 0;
    this.next = (this.next + 1) % RATE_SAMPLES;
    this.lastTime = nowMs;
    this.lastCount = count;
  }

  get perSecond(): number {
    let sum = 0;
    for (const s of this.samples) sum += s;
    return sum / RATE_SAMPLES;
  }

  reset(nowMs: number): void {
    this.samples.fill(0);
    this.next = 0;
    this.lastTime = nowMs;
    this.lastCount = 0;
  }
}

export class Stats implements ServerStats {
  keyspaceHits = 0;
  keyspaceMisses = 0;
  expiredKeys = 0;
  dirty = 0;
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  readsProcessed = 0;
  writesProcessed = 0;
  errorReplies = 0;
  /**
   * Every error reply, counted or not, never reset: what tells a command failed (observer's
   * errorsBefore), as a script's error reply fails it without being counted again.
   */
  failures = 0;
  errorsByPrefix = new Map<string, number>();
  sealFailures = 0;
  evictedKeys = 0;
  evictedClients = 0;
  lazyfreedObjects = 0;
  /** Times a connection's commands stopped at its time slice to let others read (src/net/client.ts). */
  readSlicesYielded = 0;
  readonly opsRate = new Rate();
  readonly inputRate = new Rate();
  readonly outputRate = new Rate();
  private lastSample = 0;

  /**
   * Redis afterErrorReply: the code is the error's first word when a space ends it within 32
   * characters, otherwise ERR.
   */
  countError(message: string, counted = true): void {
    this.failures++;
    if (!counted) return;
    this.errorReplies++;
    const space = message.indexOf(' ');
    const prefix = space > 0 && space < 32 ? message.slice(0, space) : 'ERR';
    // Bounded (Redis 7.2 stops at 128 distinct codes): odd prefixes beyond that are not tracked.
    if (this.errorsByPrefix.has(prefix) || this.errorsByPrefix.size < 128) {
      this.errorsByPrefix.set(prefix, (this.errorsByPrefix.get(prefix) ?? 0) + 1);
    }
  }

  /** From the server's periodic tick: one sample of each rate per 100 ms. */
  sample(nowMs: number): void {
    if (nowMs - this.lastSample < RATE_PERIOD_MS) return;
    this.lastSample = nowMs;
    this.opsRate.track(this.totalCommands, nowMs);
    this.inputRate.track(this.netInputBytes, nowMs);
    this.outputRate.track(this.netOutputBytes, nowMs);
  }

  reset(): void {
    this.keyspaceHits = this.keyspaceMisses = this.expiredKeys = 0;
    this.totalConnections = this.rejectedConnections = this.totalCommands = 0;
    this.netInputBytes = this.netOutputBytes = this.errorReplies = 0;
    this.readsProcessed = this.writesProcessed = 0;
    this.errorsByPrefix.clear();
    this.sealFailures = 0;
    this.evictedKeys = 0;
    this.evictedClients = 0;
    this.lazyfreedObjects = 0;
    const now = performance.now();
    for (const r of [this.opsRate, this.inputRate, this.outputRate]) r.reset(now);
  }
}
