// The spill tier's one interface to the rest of the server (dragonfly tiered_storage): stash
// cold string values in segments, read them back (promotion) before a command needs them, and
// turn removed entries' records into garbage. Only string values of at least
// spill-min-value-size are spilled; hashes stay in memory (a hash's fields are opened together
// and change in place, which a whole-entry reference would make costly).

import { type Entry, type Keyspace, type SpillRef, type StringEntry } from '../store/keyspace.js';
import { entryIdentity, type MemoryAccount, type Spiller } from '../store/memory.js';
import { SegmentStore, type ReadBack } from './segments.js';
import { prepareSpillDir, SpillDirError, wipe } from './tmpfs.js';

/** What a spilled entry holds in `value`: nothing (the bytes are on tmpfs). */
const EMPTY = Buffer.alloc(0);
/** Below this a quota cannot hold a segment plus the one kept back for compaction. */
const MIN_QUOTA = 256 * 1024;
/** Reads started ahead of their commands, at most: sealed bytes held outside maxmemory. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

/** Values per tmpfs write in a pass with a deadline (spill-ahead slices): a clock read each. */
const AHEAD_BATCH = 16;

/** A spilled entry a command is about to use. */
export interface SpilledKey {
  key: string;
  entry: StringEntry;
}

/** A value read back for one command only (memory had no room to keep it). */
export interface Lent extends SpilledKey {
  sealed: Buffer;
}

export class SpillManager implements Spiller {
  readonly store: SegmentStore;
  readonly held = new Set<Entry>();
  /**
   * The in-memory entries (entryIdentity) of commands waiting for their spilled keys to be read
   * back, counted per waiting command: never spilled meanwhile, or the command would find one of
   * its other keys spilled when it runs (the spill-ahead slices run between those reads).
   */
  private readonly pins = new Map<Entry | number, number>();

  pin(id: Entry | number): void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  unpin(id: Entry | number): void {
    const n = this.pins.get(id) ?? 0;
    if (n <= 1) this.pins.delete(id);
    else this.pins.set(id, n - 1);
  }

  /** Whether spilling must pass this entry over: read back for, or pinned by, a waiting command. */
  spares(entry: Entry): boolean {
    return this.held.has(entry) || (this.pins.size !== 0 && this.pins.has(entryIdentity(entry)));
  }
  promotions = 0;
  /** Values spilled in a command's path (memory past maxmemory), not ahead of it (INFO). */
  inlineWrites = 0;
  /** Values spilled ahead of the limit, in background slices (src/spill/ahead.ts; INFO). */
  aheadWrites = 0;
  /** Records that came back truncated, altered or unreadable. */
  errors = 0;
  /**
   * Reads started for commands still waiting behind another in their connection (pipelined
   * GETs of spilled values), taken over by promote() when their turn comes. Only sealed bytes.
   */
  private readonly ahead = new Map<StringEntry, { ref: SpillRef; read: Promise<ReadBack> }>();
  private aheadBytes = 0;

  private constructor(
    readonly dir: string,
    quota: number,
    private readonly account: MemoryAccount,
  ) {
    this.store = new SegmentStore(dir, quota);
    account.onSpilledRemoved = (entry) => {
      this.takeAhead(entry);
      this.store.free(entry);
    };
  }

  /** Checks and prepares the directory (throws SpillDirError) and starts with no segments. */
  static open(dir: string, quota: number, account: MemoryAccount): SpillManager {
    if (quota < MIN_QUOTA) throw new SpillDirError(`spill-max-bytes must be at least ${MIN_QUOTA} when spill-dir is set (got ${quota})`);
    return new SpillManager(prepareSpillDir(dir), quota, account);
  }

  get spilledKeys(): number {
    return this.store.liveRecords;
  }

  spillCold(databases: readonly Keyspace[], samples: number, skip: (entry: Entry) => boolean, need: number, deadline = Infinity, inline = false): number {
    const min = this.account.spillMin;
    // Nothing in memory is big enough to spill: no scan (so OOM stays cheap per command).
    if (this.account.spillable <= 0) return 0;
    // Each entry may be sampled `samples` times: enough to find every candidate once the
    // cursors have turned, however many values are already spilled.
    let budget = 0;
    for (const db of databases) budget += db.size * samples;
    // A pass with a deadline writes smaller batches and looks at the clock between them.
    const batchLimit = deadline === Infinity ? Infinity : AHEAD_BATCH;
    let freed = 0;
    while (freed < need && budget > 0) {
      const room = this.store.room();
      const batch: StringEntry[] = [];
      const keys: string[] = [];
      const chosen = new Set<StringEntry>();
      let bytes = 0;
      while (freed + bytes < need && budget > 0 && batch.length < batchLimit) {
        let best: StringEntry | null = null;
        let bestHandle = 0;
        let bestDb: Keyspace | null = null;
        for (const db of databases) {
          if (db.size === 0) continue;
          budget -= db.sampleValues(samples, min, (e, handle) => {
            // The skip test only for an entry that would win: it may look up sets.
            if (best !== null && e.touchedAt >= best.touchedAt) return;
            if (chosen.has(e) || skip(e)) return;
            best = e;
            bestHandle = handle;
            bestDb = db;
          });
        }
        if (best === null) continue;
        if (bytes + (best as StringEntry).size + 8 > room) break;
        // The segment store tracks entries by identity: an entry in the arena becomes an object.
        const db = bestDb as Keyspace | null;
        const key = db!.keyAt(bestHandle);
        const entry = db!.box(key)!;
        chosen.add(entry);
        batch.push(entry);
        keys.push(key);
        bytes += entry.value.length;
      }
      if (batch.length === 0 || this.store.append(batch) === 0) break;
      batch.forEach((entry, i) => {
        entry.value = EMPTY;
        this.account.changed(keys[i]!, entry);
      });
      freed += bytes;
      if (inline) this.inlineWrites += batch.length;
      if (performance.now() >= deadline) break;
    }
    return freed;
  }

  /**
   * Reads the given entries' values back for a command about to run. With memory to spare the
   * value is promoted (its record becomes garbage); otherwise it is lent to the command and put
   * back by settle() afterwards, so reads alone never push memory past maxmemory. Entries freed
   * or already read meanwhile are left alone: the caller checks again. A damaged record becomes
   * a value that cannot be opened, so the key's commands answer the seal error and the server
   * goes on. Returns the lent values.
   */
  /**
   * Starts reading these spilled entries' records now, for commands that will run once the one
   * before them is done: a pipeline of GETs then waits for its reads together, not one by one.
   */
  readAhead(entries: readonly StringEntry[]): void {
    for (const [entry, started] of this.ahead) if (entry.spilled !== started.ref) this.takeAhead(entry);
    for (const entry of entries) {
      const ref = entry.spilled;
      if (ref === undefined || this.ahead.has(entry) || this.aheadBytes + ref.length > READ_AHEAD_BYTES) continue;
      this.ahead.set(entry, { ref, read: this.store.read(ref) });
      this.aheadBytes += ref.length;
    }
  }

  /** The read started ahead for entry, if it is still of the record the entry points at. */
  private takeAhead(entry: StringEntry): Promise<ReadBack> | undefined {
    const started = this.ahead.get(entry);
    if (started === undefined) return undefined;
    this.ahead.delete(entry);
    this.aheadBytes -= started.ref.length;
    return started.ref === entry.spilled ? started.read : undefined;
  }

  async promote(items: readonly SpilledKey[], maxmemory: number): Promise<Lent[]> {
    const refs = items.map((it) => it.entry.spilled!);
    const results = await Promise.all(items.map(({ entry }, i) => this.takeAhead(entry) ?? this.store.read(refs[i]!)));
    const lent: Lent[] = [];
    items.forEach(({ key, entry }, i) => {
      if (entry.spilled !== refs[i] || entry.size !== 0) return;
      const { sealed, intact } = results[i]!;
      this.held.add(entry);
      if (!intact) {
        this.errors++;
        // Version byte 0: fails to open like any tampered value, and keeps a sane length.
        sealed.fill(0);
      }
      const promote = !intact || maxmemory === 0 || this.account.used + sealed.length <= maxmemory;
      if (promote) {
        this.store.free(entry);
        this.promotions++;
      } else {
        lent.push({ key, entry, sealed });
      }
      entry.value = sealed;
      this.account.changed(key, entry);
    });
    return lent;
  }

  /** After the command: a lent value it did not replace goes back to being spilled. */
  settle(lent: readonly Lent[]): void {
    for (const { key, entry, sealed } of lent) {
      this.held.delete(entry);
      if (entry.spilled === undefined) continue;
      if (entry.holds(sealed)) {
        entry.value = EMPTY;
        this.account.changed(key, entry);
      } else {
        this.store.free(entry);
      }
    }
  }

  /** Periodic work: one bounded compaction step. */
  tick(): void {
    this.store.compactStep();
  }

  /** Deletes every segment file (SHUTDOWN, SIGTERM, SIGINT). */
  close(): void {
    this.store.close();
    try {
      wipe(this.dir);
    } catch {
      // The directory went away under us: nothing of ours is left in it.
    }
  }
}
