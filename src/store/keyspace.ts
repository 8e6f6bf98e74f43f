// One database: entries by key name, expiry (lazy on access plus an active cycle), WATCH
// bookkeeping and hit/miss counts. Knows data, not RESP and not crypto: values arrive sealed.
//
// Entries are filed under a lookup string: the key name as latin1 (one char per byte, so any
// binary key round-trips and Map lookups stay fast), or with --seal-keys a keyed hash of the
// name, the name itself then living only sealed on the entry (src/seal/key-names.ts).

export const enum Kind {
  String = 0,
  Hash = 1,
}

/** Where a spilled value's sealed bytes sit on tmpfs (src/spill/segments.ts). */
export interface SpillRef {
  segment: number;
  /** Offset of the record (header included) in the segment file. */
  offset: number;
  /** Sealed value length (the record adds its header). */
  length: number;
}

/**
 * One string value. Per-key memory matters here (a million keys is a normal cache), so the
 * sealed bytes are kept as (slab ArrayBuffer, offset, length) rather than a Buffer view: a view
 * is a ~100-byte object of its own per key, while a view made on access is short-lived garbage
 * (measured: 390 -> 294 bytes of RSS per key for a million 32-byte values).
 */
export class StringEntry {
  readonly kind = Kind.String;
  private slab: ArrayBuffer;
  private at: number;
  private length: number;
  /** Absolute expiry in unix ms; 0 means none. */
  expiresAt: number;
  /** Last access in unix ms (OBJECT IDLETIME, LRU sampling). */
  touchedAt: number;
  /** Set while the sealed value lives in a spill segment instead of `value`. */
  spilled: SpillRef | undefined = undefined;
  /** Bytes memory accounting counted for this entry (src/store/memory.ts). */
  accounted = 0;
  /** With --seal-keys, the key's name sealed (filled in by Keyspace.set); absent otherwise. */
  sealedName: Buffer | undefined = undefined;

  constructor(value: Buffer, expiresAt: number, touchedAt: number) {
    this.slab = value.buffer as ArrayBuffer;
    this.at = value.byteOffset;
    this.length = value.length;
    this.expiresAt = expiresAt;
    this.touchedAt = touchedAt;
  }

  /**
   * Sealed value bytes; a zero-length buffer while the value is spilled. The dispatcher reads
   * spilled values back before any command on the key runs, so handlers never see that state.
   */
  get value(): Buffer {
    return Buffer.from(this.slab, this.at, this.length);
  }

  set value(sealed: Buffer) {
    this.slab = sealed.buffer as ArrayBuffer;
    this.at = sealed.byteOffset;
    this.length = sealed.length;
  }

  /** Whether `sealed` is still this entry's value (the same bytes in memory, not equal bytes). */
  holds(sealed: Buffer): boolean {
    return this.slab === sealed.buffer && this.at === sealed.byteOffset && this.length === sealed.length;
  }
}

export interface HashEntry {
  kind: Kind.Hash;
  /** Field name (latin1) -> sealed field value. */
  fields: Map<string, Buffer>;
  expiresAt: number;
  touchedAt: number;
  accounted?: number;
  sealedName?: Buffer | undefined;
}

export type Entry = StringEntry | HashEntry;

export function stringEntry(value: Buffer, expiresAt: number, touchedAt: number): StringEntry {
  return new StringEntry(value, expiresAt, touchedAt);
}

/**
 * New entries with every field present from the start: adding `accounted` later would move
 * each entry to another hidden class on its first write (slower, and more memory).
 */
export function hashEntry(touchedAt: number): HashEntry {
  return { kind: Kind.Hash, fields: new Map(), expiresAt: 0, touchedAt, accounted: 0, sealedName: undefined };
}

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

/** Told of every entry entering, leaving or changing in place (memory accounting, spill refs). */
export interface EntryObserver {
  added(key: string, entry: Entry): void;
  removed(key: string, entry: Entry): void;
  changed(key: string, entry: Entry): void;
}

/**
 * Where a new entry's sealed name comes from (--seal-keys): the key argument of the running
 * command that hashed to `key`.
 */
export interface NameSealer {
  sealedName(key: string): Buffer;
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
  /** Rolling cursors for eviction and spill sampling (redis maxmemory-samples). */
  private sampleWalk: Iterator<[string, Entry]> | null = null;
  private volatileSampleWalk: Iterator<string> | null = null;

  /**
   * @param uid identity bound into every sealed value of this database. It moves with the data
   *   on SWAPDB, so swapping databases needs no re-sealing, while a value copied into another
   *   database still fails to open.
   * @param names set with --seal-keys: every entry stored gets its sealed name from it.
   */
  constructor(
    readonly uid: number,
    private readonly stats: KeyspaceStats,
    private readonly observer: EntryObserver | null = null,
    private readonly names: NameSealer | null = null,
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
    const old = this.entries.get(key);
    // A replaced entry had the same name: its sealed copy carries over, sparing a seal per SET.
    if (this.names !== null && entry.sealedName === undefined) entry.sealedName = old?.sealedName ?? this.names.sealedName(key);
    if (this.observer !== null) {
      if (old !== undefined) this.observer.removed(key, old);
      this.observer.added(key, entry);
    }
    this.entries.set(key, entry);
    if (entry.expiresAt !== 0) this.volatile.add(key);
    // Only a key that had a TTL is in the set: spares a lookup on the usual plain SET.
    else if (old !== undefined && old.expiresAt !== 0) this.volatile.delete(key);
    this.signal(key);
  }

  delete(key: string): boolean {
    const old = this.entries.get(key);
    if (old === undefined) return false;
    this.entries.delete(key);
    this.observer?.removed(key, old);
    this.volatile.delete(key);
    this.signal(key);
    return true;
  }

  /** Sets or clears (at = 0) the expiry of an existing entry. */
  setExpiry(key: string, entry: Entry, at: number): void {
    entry.expiresAt = at;
    if (at !== 0) this.volatile.add(key);
    else this.volatile.delete(key);
    this.signal(key);
  }

  /** Call after changing an entry in place (hash fields, APPEND...): wakes WATCHers, counts a write. */
  modified(key: string): void {
    if (this.observer !== null) {
      const entry = this.entries.get(key);
      if (entry !== undefined) this.observer.changed(key, entry);
    }
    this.signal(key);
  }

  /** A write happened to key: count it and wake its WATCHers. */
  private signal(key: string): void {
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
    for (const key of this.watchers.keys()) if (this.entries.has(key)) this.signal(key);
    if (this.observer !== null) for (const [key, entry] of this.entries) this.observer.removed(key, entry);
    this.entries = new Map();
    this.volatile = new Set();
    this.expiryWalk = null;
    this.sampleWalk = null;
    this.volatileSampleWalk = null;
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

  /**
   * Visits up to n entries (only those with a TTL when volatileOnly), continuing where the last
   * call stopped: eviction and spill sampling in O(n) without random access into the Map.
   */
  sample(n: number, volatileOnly: boolean, visit: (key: string, entry: Entry) => void): void {
    const limit = Math.min(n, volatileOnly ? this.volatile.size : this.entries.size);
    for (let seen = 0, restarts = 0; seen < limit && restarts < 2; ) {
      if (volatileOnly) {
        this.volatileSampleWalk ??= this.volatile.values();
        const step = this.volatileSampleWalk.next();
        if (step.done) {
          this.volatileSampleWalk = null;
          restarts++;
          continue;
        }
        const entry = this.entries.get(step.value);
        if (entry !== undefined) visit(step.value, entry);
      } else {
        this.sampleWalk ??= this.entries.entries();
        const step = this.sampleWalk.next();
        if (step.done) {
          this.sampleWalk = null;
          restarts++;
          continue;
        }
        visit(step.value[0], step.value[1]);
      }
      seen++;
    }
  }

  private expire(key: string): void {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry !== undefined) this.observer?.removed(key, entry);
    this.volatile.delete(key);
    this.stats.expiredKeys++;
    this.signal(key);
  }
}
