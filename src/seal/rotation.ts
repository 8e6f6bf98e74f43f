// Online key rotation (SEAL ROTATE): a fresh data key becomes current at once, so every write
// from then on seals under it, and a background pass re-seals every older value (string values,
// hash fields, spilled values) in bounded slices, one per event-loop turn, so clients keep being
// served. Reads open under whichever key the value's header names. When a pass leaves no value
// under an older key, those keys are wiped.
//
// What a pass relies on: a value only ever moves to the current key (writes, RENAME/MOVE/COPY
// re-seal), so a value the pass has seen under the current key stays there. Databases are walked
// as Keyspace objects, which SWAPDB moves between slots without changing; FLUSHALL gives a
// Keyspace a new Map, which the pass notices and walks instead. Re-sealing keeps the value's
// length and its entry, so it is not a write: WATCH, dirty counts and memory accounting are
// untouched. A value sealed in chunks is renewed SLICE_CHUNKS chunks per slice, in place (an
// edit meanwhile seals its chunks under the current key; the value's header names that key once
// every chunk is under it). Values the pass cannot re-seal right now (a spilled value lent to a
// running command, no room on tmpfs nor in memory) keep the old key alive; another pass follows.

import type { Logger } from '../log.js';
import type { SpillManager } from '../spill/manager.js';
import { Kind, opsOf, type Entry, type Keyspace, type StringEntry } from '../store/keyspace.js';
import { collectionOps } from '../store/types/index.js';
import { isPackedForm } from '../store/packed-record.js';
import type { MemoryGuard } from '../store/memory.js';
import type { DataKey, Keyring } from './keyring.js';
import { Sealer } from './sealer.js';
import { BusyPacer } from '../util/busy-pace.js';
import { Purpose, SealError, type ElementPurpose, type SealedValues } from './values.js';

/**
 * Work per event-loop turn: whichever limit comes first. SLICE_MS is the slice while no client
 * is busy; with clients busy a slice is an eighth of the time since the last one (BusyPacer), at
 * most BUSY_SLICE_MAX_MS.
 */
const SLICE_VALUES = 500;
const SLICE_MS = 0.5;
const BUSY_SLICE_MAX_MS = 0.25;
/**
 * Chunks of one large value re-sealed per slice (1 MiB): a value sealed in chunks is renewed
 * over as many slices as it needs, so a 64 MB value does not pause the server for its whole size.
 */
const SLICE_CHUNKS = 16;
/** Spilled values read back together (asynchronously) before they are re-sealed. */
const SPILL_BATCH = 64;
/** Pause before another pass when the last one left values it could not re-seal yet. */
const RETRY_MS = 50;

/** What the pass works on: the server, seen through the parts it needs. */
export interface RotationHost {
  readonly databases: readonly Keyspace[];
  readonly values: SealedValues;
  readonly spill: SpillManager | null;
  readonly memory: MemoryGuard;
  readonly log: Logger;
  /** Commands run so far: while it moves, slices shrink to a share of the time between them. */
  readonly stats?: { readonly totalCommands: number };
  clock(): number;
}

interface SpilledValue {
  key: string;
  entry: StringEntry;
}

export class Rotation {
  running = false;
  /** Rotations whose old keys have all been wiped. */
  completed = 0;
  /** Unix ms when the last rotation started and finished (0: never). */
  startedAt = 0;
  finishedAt = 0;
  /** Progress of the running (or last) rotation. */
  pass = 0;
  keysTotal = 0;
  keysDone = 0;
  resealed = 0;
  /** Values that could not be opened to re-seal (damaged or tampered): left as they were. */
  failures = 0;
  private stopped = false;
  /**
   * Renewals of things sealed outside the databases (pub/sub's sealed channel names), run as a
   * rotation starts: they are under the new key before the pass can retire the old one.
   */
  readonly renewOutside: (() => void)[] = [];
  /** A chunked value the last slice renewed only in part: the next slice goes on with it. */
  private unfinished: string | null = null;

  constructor(
    private readonly keyring: Keyring,
    private readonly host: RotationHost,
  ) {}

  /** Installs a fresh data key and starts re-sealing in the background; null if one is already running. */
  start(): DataKey | null {
    if (this.running || this.stopped) return null;
    const key = this.keyring.rotate();
    for (const renew of this.renewOutside) renew();
    this.running = true;
    this.startedAt = this.host.clock();
    this.pass = 0;
    this.resealed = 0;
    this.failures = 0;
    this.host.log.info({ keyId: hexId(key.id) }, 'key rotation started');
    this.run().catch((err: unknown) => {
      // A bug, not a data problem: the old keys stay live, so every value still opens.
      this.running = false;
      this.host.log.error({ err }, 'key rotation stopped');
    });
    return key;
  }

  /** The progress counters under their INFO / SEAL STATUS names. */
  progress(): [string, number][] {
    return [
      ['rotation_in_progress', this.running ? 1 : 0],
      ['rotation_pass', this.pass],
      ['rotation_keys_done', this.keysDone],
      ['rotation_keys_total', this.keysTotal],
      ['rotation_resealed', this.resealed],
      ['rotation_failures', this.failures],
      ['rotations_completed', this.completed],
    ];
  }

  /** Ids of the live data keys, oldest first: older ones are wiped once nothing uses them. */
  keyIds(): number[] {
    return this.keyring.ids();
  }

  /** Stops a running pass at its next slice (shutdown). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Counts every value by the id of the key that sealed it: O(values). -1 stands for values
   * without a valid header. Spilled values are counted from the spill tier's bookkeeping.
   */
  census(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const id of this.keyring.ids()) counts.set(id, 0);
    const add = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
    const store = this.host.spill?.store;
    for (const db of this.host.databases) {
      // Packed small collections are counted by their blob, without unpacking them.
      db.forEachStored((_key, entry) => {
        if (isPackedForm(entry)) {
          if (entry.sealedName !== undefined) add(Sealer.keyId(entry.sealedName));
          // A small hash's blob is its pairs blob; the other kinds' are compact seals (sealer.ts).
          const blob = Buffer.from(entry.blob, 'latin1');
          return add(entry.kind === Kind.Hash ? Sealer.keyId(blob) : Sealer.compactKeyId(blob));
        }
        if (entry.sealedName !== undefined) add(Sealer.keyId(entry.sealedName));
        // A spilled string's sealed bytes are on tmpfs: the spill tier knows their key.
        if (entry.kind === Kind.String && entry.spilled !== undefined && store !== undefined) add(store.keyIdOf(entry) ?? -1);
        else opsOf(entry).forEachSealed(entry, (sealed) => add(Sealer.keyId(sealed)));
      });
    }
    return counts;
  }

  private async run(): Promise<void> {
    for (;;) {
      this.pass++;
      const left = await this.walk();
      if (this.stopped) return;
      if (left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    const current = this.keyring.current.id;
    const retired = this.keyring.ids().filter((id) => id !== current && this.keyring.retire(id));
    this.running = false;
    this.completed++;
    this.finishedAt = this.host.clock();
    this.host.log.info({ keyId: hexId(current), retired: retired.map(hexId), resealed: this.resealed }, 'key rotation done');
  }

  /** One pass over every database; returns how many values are still under an older key. */
  private async walk(): Promise<number> {
    const databases = [...this.host.databases];
    this.keysTotal = databases.reduce((n, db) => n + db.size, 0);
    this.keysDone = 0;
    let left = 0;
    this.unfinished = null;
    const pacer = new BusyPacer(() => this.host.stats?.totalCommands ?? 0, { idleMs: SLICE_MS, busyMaxMs: BUSY_SLICE_MAX_MS });
    for (const db of databases) {
      let walk = db.walk();
      for (;;) {
        // FLUSHALL/FLUSHDB emptied the database: everything in it now is new, walk that.
        if (walk.stale) walk = db.walk();
        const spilled: SpilledValue[] = [];
        const deadline = pacer.begin();
        let budget = SLICE_VALUES;
        let visited = 0;
        let done = false;
        while (budget > 0 && spilled.length < SPILL_BATCH) {
          const again = this.unfinished;
          this.unfinished = null;
          const key = again ?? walk.next();
          if (key === undefined) {
            done = true;
            break;
          }
          // A small collection packed in its record is renewed as one blob, left packed.
          const packed = db.renewPacked(key, (sealed, purpose) => {
            // A small hash's blob is its pairs blob and a sealed name a full seal; a list's, set's
            // or sorted set's blob a compact seal.
            if (purpose === Purpose.HashPairs || purpose === Purpose.KeyName) {
              if (Sealer.keyId(sealed) === this.keyring.current.id) return null;
              return this.attempt(() => this.host.values.renewAny(purpose, db.uid, key, sealed, undefined));
            }
            if (Sealer.compactKeyId(sealed) === this.keyring.current.id) return null;
            return this.attempt(() => this.host.values.renewCompact(purpose as ElementPurpose, db.uid, key, sealed));
          });
          if (packed !== null) {
            if (again === null) this.keysDone++;
            if (packed) this.resealed++;
            budget--;
            continue;
          }
          // A value carried over may have been deleted meanwhile (its record is gone with it).
          const entry = db.peek(key);
          if (entry === undefined) continue;
          if (again === null) this.keysDone++;
          budget -= opsOf(entry).elements(entry);
          left += this.renew(db, key, entry, spilled);
          if (this.unfinished !== null || ((++visited & 15) === 0 && performance.now() > deadline)) break;
        }
        if (spilled.length > 0) left += await this.renewSpilled(db, spilled);
        // A value promoted while its record was read may have been left unfinished: finish it here.
        if ((done && this.unfinished === null) || this.stopped) break;
        await pacer.pause();
      }
    }
    return left;
  }

  /** Re-seals one entry's values in memory; spilled ones are queued. Returns the values left old. */
  private renew(db: Keyspace, key: string, entry: Entry, spilled: SpilledValue[]): number {
    const current = this.keyring.current.id;
    const values = this.host.values;
    if (entry.sealedName !== undefined && Sealer.keyId(entry.sealedName) !== current) {
      const name = entry.sealedName;
      const renewed = this.attempt(() => values.renewName(key, name));
      if (renewed !== null) {
        entry.sealedName = renewed;
        this.resealed++;
      }
    }
    // Collections re-seal element by element through their ops; strings (chunked, spilled) below.
    if (entry.kind !== Kind.String) {
      this.resealed += collectionOps(entry.kind).renewEach(entry, (sealed, purpose, bind) => {
        if (Sealer.keyId(sealed) === current) return null;
        return this.attempt(() => values.renewAny(purpose, db.uid, key, sealed, bind));
      });
      return 0;
    }
    if (entry.spilled === undefined) {
      if (Sealer.keyId(entry.value) === current) return 0;
      const renewed = this.attempt(() => values.renewValue(db.uid, key, entry.value, SLICE_CHUNKS));
      if (renewed === null) return 0;
      // A chunked value is renewed in place: nothing to store.
      if (!entry.holds(renewed)) entry.value = renewed;
      // A large value with chunks still to do: the next slice takes it up again.
      if (Sealer.keyId(renewed) !== current) this.unfinished = key;
      else this.resealed++;
      return 0;
    }
    const spill = this.host.spill!;
    if (spill.store.keyIdOf(entry) === current) return 0;
    // Lent to a command, or being read back for one: its record is settled after the command.
    if (entry.value.length > 0 || spill.held.has(entry)) return 1;
    spilled.push({ key, entry });
    return 0;
  }

  /**
   * Reads spilled values back, re-seals them and writes them as new records (or, without room
   * on tmpfs, keeps them in memory if maxmemory allows). A spilled value stays readable all
   * along: its old record is freed only once the new copy is in place.
   */
  private async renewSpilled(db: Keyspace, batch: readonly SpilledValue[]): Promise<number> {
    const spill = this.host.spill!;
    const refs = batch.map(({ entry }) => entry.spilled!);
    const reads = await Promise.all(refs.map((ref) => spill.store.read(ref)));
    // The server stopped meanwhile: its keys and spill files are gone.
    if (this.stopped) return 0;
    let left = 0;
    const again: SpilledValue[] = [];
    batch.forEach(({ key, entry }, i) => {
      const { sealed, intact } = reads[i]!;
      // Deleted meanwhile: its record is garbage already.
      if (db.peek(key) !== entry) return;
      if (entry.spilled !== refs[i] || entry.value.length > 0 || spill.held.has(entry)) {
        // Promoted, lent or compacted meanwhile: look at it again where it is now (a value
        // promoted under the old key is re-sealed in memory; one still on tmpfs waits a pass).
        left += this.renew(db, key, entry, again);
        return;
      }
      if (!intact) {
        // A damaged record stays as it is: reading the key reports it (spill_errors).
        this.failures++;
        return;
      }
      const renewed = this.attempt(() => this.host.values.renewValue(db.uid, key, sealed));
      if (renewed === null) return;
      if (spill.store.rewrite(entry, renewed)) {
        this.resealed++;
        return;
      }
      const { account, settings } = this.host.memory;
      if (settings.maxmemory !== 0 && account.used + renewed.length > settings.maxmemory) {
        left++;
        return;
      }
      this.resealed++;
      spill.store.free(entry);
      spill.promotions++;
      entry.value = renewed;
      account.changed(key, entry);
    });
    return left + again.length;
  }

  /** Runs one re-seal; null (and a failure counted) if the value does not open. */
  private attempt(reseal: () => Buffer): Buffer | null {
    try {
      return reseal();
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
      this.failures++;
      return null;
    }
  }
}

/** Key ids as INFO and SEAL STATUS show them: 8 hex digits. */
export function hexId(id: number): string {
  return id.toString(16).padStart(8, '0');
}
