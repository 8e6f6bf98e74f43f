// The server's snapshot state and its rules (redis rdb.c saveCommand / bgsaveCommand /
// rdbSaveBackground / backgroundSaveDoneHandler, server.c serverCron): SAVE and BGSAVE, the
// `save <seconds> <changes>` rules checked by the cron, BGSAVE SCHEDULE, LASTSAVE, the
// snapshot loaded at start, and INFO persistence's numbers. The dirty counter is the server's
// stats.dirty (every write signalled by the keyspace), handled as Redis handles server.dirty.

import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { SnapshotSealer } from '../seal/snapshot.js';
import type { Keyring } from '../seal/keyring.js';
import { SnapshotError } from './snapshot-format.js';
import { readSnapshotFile, snapshotDirRefusal, SnapshotFileWriter } from './snapshot-file.js';
import { loadSnapshotSync, type LoadSummary } from './snapshot-loader.js';
import { snapshotChunks, snapshotSync } from './snapshot-stream.js';
import type { SnapshotServer, SnapshotSummary } from './snapshot-writer.js';
import { parseSaveRules, ruleDue, type SaveRule } from './save-rules.js';

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, the rules wait this long (s). */
const RETRY_DELAY_S = 5;

/** strerror's text for the errors chdir(2) gives Redis's CONFIG SET dir. */
const CHDIR_ERRORS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

/**
 * CONFIG SET dir to a place that is not a directory is refused with Redis's reason (its chdir
 * fails): accepted, it would leave save rules disarmed and SHUTDOWN saving nothing, unsaid.
 */
function refuseMissingDir(dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new Error(CHDIR_ERRORS.ENOTDIR);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new Error(CHDIR_ERRORS[code] ?? code);
  }
}

/** What persistence needs of the server beyond what a snapshot needs. */
export type PersistenceHost = SnapshotServer & {
  readonly config: Config;
  readonly log: Logger;
  readonly stats: { dirty: number };
};

export class Persistence {
  readonly sealer: SnapshotSealer;
  /** Unix seconds of the last successful save (LASTSAVE); the start time before any. */
  lastSave: number;
  lastBgsaveOk = true;
  lastBgsaveTimeSec = -1;
  /** rdb_saves: SAVE and BGSAVE runs started. */
  saves = 0;
  /** Set by BGSAVE SCHEDULE (or BGSAVE in MULTI): the cron starts one when it can. */
  scheduled = false;
  loadedKeys = 0;
  loadedExpired = 0;
  /** While a replica loads its full copy (link.ts): INFO's loading:1 and loading_* fields. */
  loadProgress: { startedAt: number; total: number; loaded: number } | null = null;
  private lastTry = 0;
  private running: { startedAt: number; abort: AbortController; done: Promise<void> } | null = null;
  private rules: SaveRule[] = [];
  private warnedDir = '';

  constructor(
    private readonly host: PersistenceHost,
    keyring: Keyring,
  ) {
    this.sealer = new SnapshotSealer(keyring);
    this.lastSave = Math.floor(host.clock() / 1000);
    this.rules = parseSaveRules(host.config.get('save'));
    host.config.onChange((name, value) => {
      if (name === 'save') this.rules = parseSaveRules(value);
      if (name === 'dir') refuseMissingDir(value);
      if (name === 'dir' || name === 'save') this.warnIfRulesUnarmed();
    });
  }

  /** The host, whose `persistence` is this object. */
  private get server(): SnapshotServer {
    return this.host;
  }

  get path(): string {
    return join(this.host.config.get('dir'), this.host.config.get('dbfilename'));
  }

  get bgsaveInProgress(): boolean {
    return this.running !== null;
  }

  /**
   * Whether save rules are configured and armed: SHUTDOWN and SIGTERM save then, as Redis does
   * with saveparamslen > 0. Rules are not armed while dir is not on tmpfs (nothing is ever
   * written there), so a shutdown is not refused for a save that could never happen.
   */
  get hasRules(): boolean {
    return this.rules.length > 0 && snapshotDirRefusal(this.host.config.get('dir')) === null;
  }

  /**
   * Redis's stop-writes-on-bgsave-error: with save rules set and the last background save
   * failed, write commands (and PING) are refused with MISCONF until a save succeeds.
   */
  get deniesWrites(): boolean {
    return !this.lastBgsaveOk && this.rules.length > 0 && this.host.config.flag('stop-writes-on-bgsave-error');
  }

  /** rdb_changes_since_last_save. */
  get changes(): number {
    return this.host.stats.dirty;
  }

  /** SAVE: the whole snapshot now, synchronously. Throws SnapshotError (nothing replaced then). */
  save(): SnapshotSummary {
    const started = performance.now();
    const file = this.openFile();
    this.saves++;
    let summary: SnapshotSummary;
    try {
      summary = snapshotSync(this.server, (chunk) => file.write(chunk));
      file.commit();
    } catch (err) {
      file.abort();
      this.host.log.warn({ err: (err as Error).message }, 'snapshot save failed');
      throw err;
    }
    this.host.stats.dirty = 0;
    this.lastSave = Math.floor(this.host.clock() / 1000);
    this.lastBgsaveOk = true;
    this.host.log.info({ path: this.path, bytes: summary.bytes, keyCount: summary.keys, ms: Math.round(performance.now() - started) }, 'DB saved on tmpfs');
    return summary;
  }

  /**
   * BGSAVE: starts a background snapshot and returns. Throws SnapshotError at once when it
   * cannot start (dir not on tmpfs, file not creatable); a later failure sets
   * rdb_last_bgsave_status:err and is logged.
   */
  bgsave(): Promise<void> {
    if (this.running !== null) throw new SnapshotError('Background save already in progress');
    this.lastTry = this.host.clock();
    const file = this.openFile();
    this.saves++;
    const dirtyBefore = this.host.stats.dirty;
    const abort = new AbortController();
    const startedAt = this.host.clock();
    const state = { startedAt, abort, done: Promise.resolve() };
    this.running = state;
    const run = async (): Promise<void> => {
      let summary: SnapshotSummary | undefined;
      try {
        const chunks = snapshotChunks(this.server, { signal: abort.signal });
        for (;;) {
          const next = await chunks.next();
          if (next.done === true) {
            summary = next.value;
            break;
          }
          file.write(next.value);
        }
        file.commit();
      } catch (err) {
        file.abort();
        if (abort.signal.aborted) this.host.log.warn('background saving terminated');
        else {
          this.lastBgsaveOk = false;
          this.host.log.warn({ err: (err as Error).message }, 'background saving error');
        }
        return;
      } finally {
        this.lastBgsaveTimeSec = Math.round((this.host.clock() - startedAt) / 1000);
        if (this.running === state) this.running = null;
      }
      this.host.stats.dirty -= dirtyBefore;
      this.lastSave = Math.floor(this.host.clock() / 1000);
      this.lastBgsaveOk = true;
      this.host.log.info({ path: this.path, bytes: summary?.bytes, keyCount: summary?.keys, rounds: summary?.rounds }, 'background saving terminated with success');
    };
    state.done = run();
    return state.done;
  }

  /** Stops a running BGSAVE (its temporary file is removed); resolves once it has stopped. */
  async abortBackground(): Promise<void> {
    const running = this.running;
    if (running === null) return;
    running.abort.abort();
    await running.done;
  }

  /** FLUSHALL ran: a running BGSAVE is stopped; with armed save rules the empty dataset is saved now. */
  afterFlushAll(): void {
    void this.abortBackground();
    if (!this.hasRules) return;
    try {
      this.save();
    } catch {
      // Logged by save(); the save rules try again.
    }
  }

  /** The cron (redis serverCron): a scheduled BGSAVE, then the save rules. */
  tick(now: number): void {
    if (this.running !== null) return;
    const nowS = Math.floor(now / 1000);
    const retryOk = this.lastBgsaveOk || nowS - Math.floor(this.lastTry / 1000) > RETRY_DELAY_S;
    if (this.scheduled && retryOk) {
      this.scheduled = false;
      this.startFromCron('scheduled BGSAVE');
      return;
    }
    for (const rule of this.rules) {
      if (!ruleDue(rule, this.changes, nowS - this.lastSave) || !retryOk) continue;
      this.startFromCron(`${rule.changes} changes in ${rule.seconds} seconds`);
      return;
    }
  }

  /**
   * Save rules over a dir that cannot hold a snapshot are not armed: said once per directory,
   * at start (before, the first rule to fire said it: an hour later with a stock redis.conf) and
   * when a rule comes due. True when they are not armed.
   */
  warnIfRulesUnarmed(): boolean {
    const dir = this.host.config.get('dir');
    const refused = this.rules.length > 0 ? snapshotDirRefusal(dir) : null;
    if (refused === null) return false;
    if (this.warnedDir !== dir) this.host.log.warn({ reason: refused }, 'save rules not acted on: dir is not on tmpfs');
    this.warnedDir = dir;
    return true;
  }

  /**
   * At start: save rules over a tmpfs dir this process cannot write (a read-only mount, another
   * user's directory) fail every save, and then SIGTERM does not stop the server either (its
   * final save fails, as in Redis). Said once, before the first rule or signal finds out.
   */
  warnIfUnwritable(): void {
    const dir = this.host.config.get('dir');
    if (this.rules.length === 0 || snapshotDirRefusal(dir) !== null) return;
    try {
      accessSync(dir, constants.W_OK);
    } catch (err) {
      this.host.log.warn(
        { dir, code: (err as NodeJS.ErrnoException).code },
        'save rules are set but dir is not writable: every save will fail, and SIGTERM will not stop the server (its final save fails; SHUTDOWN NOSAVE does)',
      );
    }
  }

  private startFromCron(why: string): void {
    if (this.warnIfRulesUnarmed()) {
      this.lastTry = this.host.clock();
      return;
    }
    this.host.log.info({ why }, 'saving');
    try {
      void this.bgsave();
    } catch (err) {
      this.lastBgsaveOk = false;
      this.host.log.warn({ err: (err as Error).message }, 'background saving could not start');
    }
  }

  /**
   * Loads the snapshot at dir/dbfilename when dir is on tmpfs and the file exists; null when
   * there is none. Throws SnapshotError for one that cannot be loaded (the caller exits 1).
   */
  loadAtStart(): LoadSummary | null {
    const dir = this.host.config.get('dir');
    if (snapshotDirRefusal(dir) !== null) return null;
    const bytes = readSnapshotFile(this.path);
    if (bytes === null) return null;
    let summary: LoadSummary;
    try {
      summary = loadSnapshotSync(this.server, bytes);
    } catch (err) {
      if (err instanceof SnapshotError) {
        // The commonest way to get there: the key was not given at all, so a random one was made.
        const ephemeral = this.host.config.get('master-key-file') === '' && this.host.config.get('master-key-env') === '';
        const hint = ephemeral && err.message.includes('another master key') ? ' (no master-key-file or master-key-env was given: this start made a random key)' : '';
        throw new SnapshotError(`snapshot ${this.path} not loaded: ${err.message}${hint}; the file is left as it is`);
      }
      throw err;
    }
    this.host.stats.dirty = 0;
    this.loadedKeys = summary.keys;
    this.loadedExpired = summary.expired;
    this.host.log.info({ path: this.path, keyCount: summary.keys, expired: summary.expired }, 'DB loaded from tmpfs');
    return summary;
  }

  /** INFO persistence, in Redis 7.0's order. */
  info(): [string, string | number][] {
    const now = this.host.clock();
    const load = this.loadProgress;
    const lines: [string, string | number][] = [
      ['loading', load !== null ? 1 : 0],
      ['async_loading', 0],
      ['current_cow_peak', 0],
      ['current_cow_size', 0],
      ['current_cow_size_age', 0],
      ['current_fork_perc', '0.00'],
      ['current_save_keys_processed', 0],
      ['current_save_keys_total', 0],
      ['rdb_changes_since_last_save', this.changes],
      ['rdb_bgsave_in_progress', this.running !== null ? 1 : 0],
      ['rdb_last_save_time', this.lastSave],
      ['rdb_last_bgsave_status', this.lastBgsaveOk ? 'ok' : 'err'],
      ['rdb_last_bgsave_time_sec', this.lastBgsaveTimeSec],
      ['rdb_current_bgsave_time_sec', this.running !== null ? Math.floor((now - this.running.startedAt) / 1000) : -1],
      ['rdb_saves', this.saves],
      ['rdb_last_cow_size', 0],
      ['rdb_last_load_keys_expired', this.loadedExpired],
      ['rdb_last_load_keys_loaded', this.loadedKeys],
      ['aof_enabled', 0],
      ['aof_rewrite_in_progress', 0],
      ['aof_rewrite_scheduled', 0],
      ['aof_last_rewrite_time_sec', -1],
      ['aof_current_rewrite_time_sec', -1],
      ['aof_last_bgrewrite_status', 'ok'],
      ['aof_rewrites', 0],
      ['aof_rewrites_consecutive_failures', 0],
      ['aof_last_write_status', 'ok'],
      ['aof_last_cow_size', 0],
      ['module_fork_in_progress', 0],
      ['module_fork_last_cow_size', 0],
    ];
    if (load !== null) {
      // Redis's figures: progress through the copy's bytes, and a rough time left from the pace so far.
      const elapsed = Math.floor(Date.now() / 1000) - load.startedAt;
      const left = Math.max(1, load.total - load.loaded);
      lines.push(
        ['loading_start_time', load.startedAt],
        ['loading_total_bytes', load.total],
        ['loading_rdb_used_mem', 0],
        ['loading_loaded_bytes', load.loaded],
        ['loading_loaded_perc', load.total > 0 ? ((load.loaded / load.total) * 100).toFixed(2) : '0.00'],
        ['loading_eta_seconds', elapsed === 0 ? 1 : Math.floor((elapsed * left) / (load.loaded + 1))],
      );
    }
    return lines;
  }

  destroy(): void {
    this.running?.abort.abort();
    this.sealer.destroy();
  }

  private openFile(): SnapshotFileWriter {
    return new SnapshotFileWriter(this.host.config.get('dir'), this.host.config.get('dbfilename'), this.host.config.number('snapshot-max-bytes'));
  }
}
