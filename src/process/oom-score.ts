// oom-score-adj and oom-score-adj-values as Redis 7.0 applies them (server.c setOOMScoreAdj):
// the kernel's /proc/self/oom_score_adj gets the value of this process's class (master or
// replica), added to the score the process had before (relative, or yes) or as it is (absolute),
// within -1000..1000. Turned off, the score sealkv found is put back. Redis's third class, for
// its forked BGSAVE/AOF children, has nothing to apply to: sealkv writes snapshots in-process.

import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';

const PROC_FILE = '/proc/self/oom_score_adj';
/** Redis's reason when the score cannot be set (CONFIG SET ... apply error). */
export const OOM_APPLY_FAILED = 'Failed to set current oom_score_adj. Check server logs.';

export class OomScore {
  /** The score before sealkv changed it; null while sealkv has not changed it. */
  private base: number | null = null;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly isReplica: () => boolean,
    private readonly file = PROC_FILE,
  ) {}

  /** Sets the score the settings and the role call for; throws Error(OOM_APPLY_FAILED) when the kernel refuses. */
  apply(): void {
    const mode = this.config.get('oom-score-adj');
    let value: number;
    if (mode !== 'no') {
      if (this.base === null) {
        try {
          this.base = Number.parseInt(readFileSync(this.file, 'utf8'), 10) || 0;
        } catch (err) {
          return this.failed('read', err);
        }
      }
      const values = this.values();
      value = values[this.isReplica() ? 1 : 0]! + (mode === 'absolute' ? 0 : this.base);
      value = Math.min(1000, Math.max(-1000, value));
    } else if (this.base !== null) {
      value = this.base;
      this.base = null;
    } else return;
    try {
      writeFileSync(this.file, `${value}\n`);
    } catch (err) {
      this.failed('write', err);
    }
  }

  /** Redis warns (and keeps them) when a class that should go first goes later: only root may lower a score. */
  warnIfUnordered(): void {
    const [master, replica, child] = this.values() as [number, number, number];
    if (replica < master || child < replica) {
      this.log.warn('The oom-score-adj-values configuration may not work for non-privileged processes! Please consult the documentation.');
    }
  }

  private values(): number[] {
    return this.config.get('oom-score-adj-values').split(' ').map(Number);
  }

  /** At start and on a role change Redis logs a score it cannot set and goes on. */
  applyOrLog(): void {
    try {
      this.apply();
    } catch {
      // Logged by apply().
    }
  }

  private failed(what: 'read' | 'write', err: unknown): never {
    this.log.warn({ code: (err as NodeJS.ErrnoException).code }, `Unable to ${what} oom_score_adj`);
    throw new Error(OOM_APPLY_FAILED);
  }
}
