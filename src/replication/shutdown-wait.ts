// A primary's shutdown that lets lagging replicas catch up first (Redis 7.0 server.c:
// prepareForShutdown, isReadyToShutdown, finishShutdown, abortShutdown). SHUTDOWN (without NOW)
// or SIGTERM/SIGINT on a primary whose replicas have not all acknowledged its whole stream holds
// writes, asks the replicas for their offsets, and waits up to `shutdown-timeout` seconds for
// them; the SHUTDOWN callers stay blocked meanwhile. The server then goes down (a snapshot first
// where the flags or save rules ask for one); a failed save, or SHUTDOWN ABORT, cancels the
// shutdown and answers every blocked caller Redis's error.

import { holdWrites, releaseWrites } from '../commands/connection/pause.js';
import type { ShutdownFlags } from '../commands/types.js';
import { nowSec } from './primary.js';
import type { Replication } from './index.js';

export class ShutdownWait {
  /** Unix ms at which the wait ends whatever the replicas say; 0 while no shutdown waits. */
  private deadline = 0;
  private reason = '';
  private flags: ShutdownFlags = {};
  /** The blocked SHUTDOWN callers: each gets null (the server went down) or the failure. */
  private readonly callers = new Set<(failed: string | null) => void>();

  constructor(private readonly repl: Replication) {}

  /** Redis's isShutdownInitiated. */
  get initiated(): boolean {
    return this.deadline !== 0;
  }

  /** INFO shutdown_in_milliseconds. */
  get remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /** SHUTDOWN callers blocked on the wait (INFO blocked_clients). */
  get blocked(): number {
    return this.callers.size;
  }

  /** Redis's isReadyToShutdown: no replica, or every replica acknowledged the whole stream. */
  private ready(): boolean {
    const offset = this.repl.offset;
    for (const r of this.repl.primary.replicas.values()) if (r.ackOffset !== offset) return false;
    return true;
  }

  /**
   * Starts the wait when there is something to wait for (flags without NOW, shutdown-timeout
   * not 0, a replica behind); false when the shutdown may finish at once.
   */
  begin(reason: string, flags: ShutdownFlags): boolean {
    const timeout = this.repl.server.config.number('shutdown-timeout');
    this.repl.flush();
    if (flags.now === true || timeout === 0 || this.ready()) return false;
    this.deadline = Date.now() + timeout * 1000;
    this.reason = reason;
    this.flags = flags;
    this.repl.requestAcks();
    holdWrites(this.repl.server, 'shutdown');
    this.repl.server.log.info('Waiting for replicas before shutting down.');
    return true;
  }

  /** A SHUTDOWN caller waits for the outcome. */
  join(): Promise<string | null> {
    return new Promise((resolve) => this.callers.add(resolve));
  }

  /** The replication cron: every replica caught up, or the time ran out. */
  tick(): void {
    if (!this.initiated) return;
    if (Date.now() < this.deadline && !this.ready()) return;
    const failed = this.repl.server.shutdownSaving(this.reason, this.flags);
    if (failed === null) return this.settle(null);
    this.repl.server.log.error('Errors trying to shut down the server. Check the logs for more information.');
    this.cancel();
  }

  /** SHUTDOWN ABORT: false when no shutdown waits. */
  abort(): boolean {
    if (!this.initiated) return false;
    this.cancel();
    this.repl.server.log.info('Shutdown manually aborted.');
    return true;
  }

  /** Redis's finishShutdown log: each lagging replica, then how many are in sync. */
  logReplicas(): void {
    const repl = this.repl;
    const offset = repl.offset;
    let lagging = 0;
    for (const r of repl.primary.replicas.values()) {
      if (r.ackOffset === offset) continue;
      lagging++;
      const lag = r.state === 'online' ? nowSec() - r.ackTime : 0;
      repl.server.log.warn(`Lagging replica ${r.ip}:${r.port} reported offset ${offset - r.ackOffset} behind master, lag=${lag}, state=${r.state}.`);
    }
    const n = repl.primary.replicas.size;
    if (n > 0) repl.server.log.info(`${n - lagging} of ${n} replicas are in sync when shutting down.`);
  }

  private cancel(): void {
    this.settle('failed');
    releaseWrites(this.repl.server, 'shutdown');
  }

  private settle(outcome: string | null): void {
    this.deadline = 0;
    this.flags = {};
    const callers = [...this.callers];
    this.callers.clear();
    for (const resolve of callers) resolve(outcome);
  }
}
