// One database: entries by key name, expiry (lazy on access plus an active cycle), WATCH
// bookkeeping and hit/miss counts. Knows data, not RESP and not crypto: values arrive sealed.
//
// Key names are held as latin1 strings (one char per byte), so any binary key round-trips and
// Map lookups stay fast.

export const enum Kind {
  String = 0,
  Hash = 1,
}

export interface StringEntry {
  kind: Kind.String;
  /** Sealed value bytes. */
  value: Buffer;
  /** Absolute expiry in unix ms; 0 means none. */
  expiresAt: number;
  /** Last access in unix ms (OBJECT IDLETIME, LRU sampling). */
  touchedAt: number;
}

export interface HashEntry {
  kind: Kind.Hash;
  /** Field name (latin1) -> sealed field value. */
  fields: Map<string, Buffer>;
  expiresAt: number;
  touchedAt: number;
}

export type Entry = StringEntry | HashEntry;

export interface KeyspaceStats {
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  /** Writes since start (INFO rdb_changes_since_last_save). */
  dirty: number;
}

/** A WATCH registration: flipped to dirty when any watched key is touched. */
export interface WatchFlag {
  dirty: boolean;
}

export function typeName(entry: Entry): 'string' | 'hash' {
  return entry.kind === Kind.String ? 'string' : 'hash';
}

export class Keyspace {
  private entries = new Map<string, Entry>();
  /** Keys that carry a TTL: what the active cycle walks and INFO's expires= counts. */
  private volatile = new Set<string>();
  private expiryWalk: Iterator<string> | null = null;
  private watchers = new Map<string, Set<WatchFlag>>();

  /**
   * @param uid identity bound into every sealed value of this database. It moves with the data
   *   on SWAPDB, so swapping databases needs no re-sealing, while a value copied into another
   *   database still fails to open.
   */
  constructor(
    readonly uid: number,
    private readonly stats: KeyspaceStats,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get volatileCount(): number {
    return this.volatile.size;
  }

  /** The live entry for key, deleting it first if its time has passed. Does not count hits. */
  get(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt > now) return entry;
    this.expire(key);
    return undefined;
  }

  /** get() for commands that read a value: counts keyspace hits/misses and refreshes access time. */
  read(key: string, now: number): Entry | undefined {
    const entry = this.get(key, now);
    if (entry === undefined) this.stats.keyspaceMisses++;
    else {
      this.stats.keyspaceHits++;
      entry.touchedAt = now;
    }
    return entry;
  }

  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  /** Stores entry under key (replacing any old one) and signals the modification. */
  set(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    if (entry.expiresAt !== 0) this.volatile.add(key);
    else this.volatile.delete(key);
    this.modified(key);
  }

  delete(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.volatile.delete(key);
    this.modified(key);
    return true;
  }

  /** Sets or clears (at = 0) the expiry of an existing entry. */
  setExpiry(key: string, entry: Entry, at: number): void {
    entry.expiresAt = at;
    if (at !== 0) this.volatile.add(key);
    else this.volatile.delete(key);
    this.modified(key);
  }

  /** Call after changing an entry in place (hash fields, APPEND...): wakes WATCHers, counts a write. */
  modified(key: string): void {
    this.stats.dirty++;
    if (this.watchers.size === 0) return;
    const flags = this.watchers.get(key);
    if (flags) for (const f of flags) f.dirty = true;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  entriesView(): Map<string, Entry> {
    return this.entries;
  }

  /** A uniformly random live key, or null. O(n) walk to a random index: fine for RANDOMKEY's use. */
  randomKey(now: number): string | null {
    for (let tries = 0; tries < 100 && this.entries.size > 0; tries++) {
      let skip = Math.floor(Math.random() * this.entries.size);
      for (const key of this.entries.keys()) {
        if (skip-- > 0) continue;
        if (this.get(key, now)) return key;
        break;
      }
    }
    return null;
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    const n = this.entries.size;
    for (const key of this.watchers.keys()) if (this.entries.has(key)) this.modified(key);
    this.entries = new Map();
    this.volatile = new Set();
    this.expiryWalk = null;
    this.stats.dirty += n;
    return n;
  }

  watch(key: string, flag: WatchFlag): void {
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(flag);
  }

  unwatch(key: string, flag: WatchFlag): void {
    const set = this.watchers.get(key);
    if (!set) return;
    set.delete(flag);
    if (set.size === 0) this.watchers.delete(key);
  }

  /** Marks every WATCH on this database dirty (SWAPDB moves all of its keys at once). */
  touchAllWatched(): void {
    for (const set of this.watchers.values()) for (const f of set) f.dirty = true;
  }

  /**
   * One slice of the active expiry cycle (redis activeExpireCycle): checks up to `sample` keys
   * with a TTL, continuing where the last slice stopped, and deletes the expired ones.
   * Returns how many it checked and how many it expired so the caller can decide to go on.
   */
  expireSlice(now: number, sample: number): { checked: number; expired: number } {
    let checked = 0;
    let expired = 0;
    while (checked < sample && this.volatile.size > 0) {
      if (!this.expiryWalk) this.expiryWalk = this.volatile.values();
      const step = this.expiryWalk.next();
      if (step.done) {
        this.expiryWalk = null;
        if (checked === 0) continue;
        break;
      }
      checked++;
      const entry = this.entries.get(step.value);
      if (entry && entry.expiresAt !== 0 && entry.expiresAt <= now) {
        this.expire(step.value);
        expired++;
      }
    }
    return { checked, expired };
  }

  private expire(key: string): void {
    this.entries.delete(key);
    this.volatile.delete(key);
    this.stats.expiredKeys++;
    this.modified(key);
  }
}
