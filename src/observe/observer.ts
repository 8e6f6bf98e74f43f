// What operators see of the commands that ran: per-command counters and latency histograms
// (INFO commandstats, latencystats), the slow log and the latency monitor, with the monitoring
// settings they act on kept as plain fields so the per-command step reads no Map.

import type { Config } from '../config.js';
import { LatencyHistogram } from './histogram.js';
import { LatencyMonitor } from './latency-monitor.js';
import { Slowlog } from './slowlog.js';

/** One command's (or subcommand's) counters: INFO commandstats, as redis's struct redisCommand. */
export class CommandStat {
  calls = 0;
  /** Time in the handler, microseconds, not rounded per call. */
  micros = 0;
  /** Refused before running (arity, auth, ACL, OOM, MULTI rules). */
  rejected = 0;
  /** Ran and answered an error. */
  failed = 0;
  /** Created on the first tracked call (Redis: only commands that ran have one). */
  histogram: LatencyHistogram | null = null;

  /** 'get', 'client|list'. */
  constructor(readonly name: string) {}
}

export class Observer {
  latencyTracking = true;
  percentiles: number[] = [50, 99, 99.9];
  /** slowlog-log-slower-than, µs; negative turns the slow log off. */
  slowerThan = 10000;
  slowlogMaxLen = 128;
  /** latency-monitor-threshold, ms; 0 turns the latency monitor off. */
  latencyThreshold = 0;
  readonly slowlog = new Slowlog();
  readonly latency = new LatencyMonitor();

  /** A sample of a background event (redis latencyAddSampleIfNeeded), when it reached the threshold. */
  event(name: string, ms: number, nowMs: number): void {
    if (this.latencyThreshold > 0 && ms >= this.latencyThreshold) this.latency.add(name, Math.floor(ms), Math.floor(nowMs / 1000));
  }
  /**
   * Error replies counted when the current command started (redis incrCommandStatsOnError's
   * prev_err_count): a command failed when the count moved while it ran, and EXEC does not
   * fail because a command inside it did.
   */
  errorsBefore = 0;
  /**
   * performance.now() when the next command starts, or NaN when unknown: set when a read
   * arrives and when a command ends, so a pipeline reads the clock once per command (a command's
   * time includes parsing it and the dispatcher's checks). Cleared whenever something else may
   * have happened since (end of a read, a command refused or queued).
   */
  mark = NaN;
  /**
   * While a read's commands run (Client.received): the wall clock (Date.now()) less `mark` as
   * both were read when it arrived, so a command's unix time is its mark plus this, floored
   * (wallAt), with no clock read of its own: never ahead of Date.now() and never before the
   * read's own Date.now(). NaN otherwise, and always when the server's clock is injected (tests
   * move it between commands).
   */
  wallOffset = NaN;
  private readonly byCommand = new Map<object, CommandStat>();
  /** The last command statOf() found, and its counters: a pipeline repeats one command. */
  private lastCommand: object | null = null;
  private lastStat: CommandStat | undefined;
  /** Milliseconds each client's running command spent waiting, until runHandler takes them. */
  private readonly waits = new Map<number, number>();

  /**
   * The client's command waited `ms` (BLPOP's block, WAIT for replicas): Redis leaves a blocked
   * client's wait out of SLOWLOG, LATENCY and commandstats, and so does runHandler.
   */
  noteWait(clientId: number, ms: number): void {
    this.waits.set(clientId, (this.waits.get(clientId) ?? 0) + ms);
  }

  /** What noteWait gathered for the client's command (0 if it did not wait), forgotten. */
  takeWait(clientId: number): number {
    const ms = this.waits.get(clientId);
    if (ms === undefined) return 0;
    this.waits.delete(clientId);
    return ms;
  }

  constructor(config: Config) {
    const read = (name: string) => {
      switch (name) {
        case 'latency-tracking':
          this.latencyTracking = config.flag(name);
          break;
        case 'latency-tracking-info-percentiles': {
          const v = config.get(name);
          this.percentiles = v === '' ? [] : v.split(' ').map(Number);
          break;
        }
        case 'slowlog-log-slower-than':
          this.slowerThan = config.number(name);
          break;
        case 'slowlog-max-len':
          this.slowlogMaxLen = config.number(name);
          this.slowlog.trim(this.slowlogMaxLen);
          break;
        case 'latency-monitor-threshold':
          this.latencyThreshold = config.number(name);
          break;
      }
    };
    for (const name of ['latency-tracking', 'latency-tracking-info-percentiles', 'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold']) read(name);
    config.onChange(read);
  }

  /** The counters of a command, keyed by its table entry; undefined until `addStat`. */
  statOf(command: object): CommandStat | undefined {
    if (command === this.lastCommand) return this.lastStat;
    const stat = this.byCommand.get(command);
    if (stat !== undefined) {
      this.lastCommand = command;
      this.lastStat = stat;
    }
    return stat;
  }

  /**
   * The unix time (ms) of a command that starts at the current mark, from the last read's
   * wallOffset; NaN when there is no mark or no offset (the caller reads its clock).
   */
  wallAt(): number {
    return Math.floor(this.wallOffset + this.mark);
  }

  addStat(command: object, name: string): CommandStat {
    const stat = new CommandStat(name);
    this.byCommand.set(command, stat);
    return stat;
  }

  /** Commands with anything to show, by name (Redis lists them in hash order; sorted reads better). */
  commandStats(): CommandStat[] {
    return [...this.byCommand.values()]
      .filter((s) => s.calls > 0 || s.rejected > 0 || s.failed > 0)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** CONFIG RESETSTAT: command counters and histograms (the slow log and latency monitor stay, as in Redis). */
  reset(): void {
    this.byCommand.clear();
    this.lastCommand = null;
    this.lastStat = undefined;
  }
}
