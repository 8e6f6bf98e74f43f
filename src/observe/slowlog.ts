// SLOWLOG entries (redis slowlog.c) with the arguments left out: each entry keeps the command's
// name (and subcommand) and one size per argument, built by the caller from MONITOR's redaction
// (commands/connection/monitor.ts describeArgs). Never an argument's bytes: sealkv seals values and key
// names, and a slow log would otherwise keep them in plain text for as long as it lives.

export interface SlowlogEntry {
  id: number;
  /** Unix seconds when the command ran. */
  time: number;
  /** Microseconds the command took. */
  micros: number;
  /** 'set', '3 B', '5 B' ...: names and sizes only. */
  argv: string[];
  addr: string;
  name: string;
}

export class Slowlog {
  /** Newest last; trimmed to maxLen from the front. */
  private entries: SlowlogEntry[] = [];
  private nextId = 0;

  get length(): number {
    return this.entries.length;
  }

  push(entry: Omit<SlowlogEntry, 'id'>, maxLen: number): void {
    this.entries.push({ id: this.nextId++, ...entry });
    if (this.entries.length > maxLen) this.entries.splice(0, this.entries.length - maxLen);
  }

  /** Trims at once when slowlog-max-len shrinks (Redis trims on the next push; the result is the same). */
  trim(maxLen: number): void {
    if (this.entries.length > maxLen) this.entries.splice(0, this.entries.length - maxLen);
  }

  /** Newest first, at most `count`. */
  newest(count: number): SlowlogEntry[] {
    const out: SlowlogEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < count; i--) out.push(this.entries[i]!);
    return out;
  }

  /** SLOWLOG RESET: the ids keep counting, as in Redis. */
  reset(): void {
    this.entries = [];
  }
}
