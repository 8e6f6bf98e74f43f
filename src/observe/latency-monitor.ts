// The latency monitor (redis latency.c): with latency-monitor-threshold > 0, every command at
// least that many milliseconds long is a sample of the event 'command' ('fast-command' for
// commands flagged fast). Each event keeps its latest 160 seconds that had a sample, the highest
// latency per second, and the highest latency seen since it was last reset.

/** Redis LATENCY_TS_LEN. */
const HISTORY_LEN = 160;

export interface LatencySample {
  /** Unix seconds. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

export interface LatencyEvent {
  samples: LatencySample[];
  max: number;
}

export class LatencyMonitor {
  readonly events = new Map<string, LatencyEvent>();

  add(event: string, ms: number, nowSeconds: number): void {
    let e = this.events.get(event);
    if (e === undefined) this.events.set(event, (e = { samples: [], max: 0 }));
    if (ms > e.max) e.max = ms;
    const last = e.samples[e.samples.length - 1];
    if (last !== undefined && last.time === nowSeconds) {
      if (ms > last.latency) last.latency = ms;
      return;
    }
    e.samples.push({ time: nowSeconds, latency: ms });
    if (e.samples.length > HISTORY_LEN) e.samples.shift();
  }

  /** LATENCY RESET: the named events (all without names); how many there were. */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}
