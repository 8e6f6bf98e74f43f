// Byte accounting for maxmemory and the eviction policies (redis evict.c). The count is kept
// running by the keyspaces (set, delete, expire, clear, in-place changes) through EntryObserver,
// and by the server as connections open and close, so checking the limit costs one comparison.
// What is counted: sealed value bytes held in memory, key names (with --seal-keys: hash plus
// sealed name; see keyBytes), hash field names, an estimate of per-entry bookkeeping, and a fixed
// cost per connected client (Redis's used_memory counts each client's structures too, so with
// `maxmemory 1` it refuses writes over an empty dataset). Values spilled to tmpfs count only their
// key and overhead: their bytes no longer live in this process.

import { Kind, type Entry, type EntryObserver, type Keyspace, type StringEntry } from './keyspace.js';
import { StoredString } from './stored-string.js';
import { opsOf, STRING_OVERHEAD } from './types/index.js';
import { isPackedForm, PackedRecord, packedBytes } from './packed-record.js';

export { FIELD_OVERHEAD, HASH_OVERHEAD, STRING_OVERHEAD } from './types/index.js';

/**
 * What identifies an entry across lookups: a boxed entry is its own object, a string in the
 * arena is a fresh view per lookup but keeps its record.
 */
export function entryIdentity(entry: Entry): Entry | number {
  return entry instanceof StoredString ? entry.handle : entry;
}

/**
 * What a key's name costs: its lookup string, plus with --seal-keys its sealed copy (the name's
 * length and the seal overhead), since the lookup string is then a 16-byte hash.
 */
export function keyBytes(key: string, entry: Entry): number {
  // A record's key area holds both (key-table.ts): read as one length, no name copied out.
  if (entry instanceof StoredString) return entry.keyBytes;
  if (entry instanceof PackedRecord) return entry.keyBytes;
  return entry.sealedName === undefined ? key.length : key.length + entry.sealedName.length;
}

/**
 * The bytes one entry costs in memory: its type's overhead, its key and every element (O(elements)).
 * Strings, counted on every SET, are summed here without going through their ops.
 */
export function residentBytes(key: string, entry: Entry): number {
  if (entry.kind === Kind.String) return STRING_OVERHEAD + keyBytes(key, entry) + entry.size;
  // A small collection at rest (packed.ts) is one sealed blob.
  if (isPackedForm(entry)) return packedBytes(keyBytes(key, entry), entry);
  const ops = opsOf(entry);
  return ops.overhead + keyBytes(key, entry) + ops.valueBytes(entry, Infinity);
}

/**
 * What one connection costs beyond the buffers counted apart (socket, handle, parser and client
 * objects). 3,000 idle connections that sent one PING added 43 MB of RSS on Node 20, ~14.6 KB
 * each, of which one 4 KiB page of the reply staging buffer (pooled, counted apart in CLIENT LIST);
 * 1,000 and 3,000 such connections (2026-12-07, load 6) added 3.5-7.2 KB of V8 heap and
 * 7.9-13.6 KB of RSS each, GC timing making the spread.
 */
export const CLIENT_BYTES = 10 * 1024;

export class MemoryAccount implements EntryObserver {
  /** Accounted bytes: every database's entries plus `clients`. What maxmemory is compared with. */
  used = 0;
  /** The connected clients' share of `used`: CLIENT_BYTES each. */
  clients = 0;
  /**
   * Bytes of string values held in memory that are at least `spillMin` long: what spilling
   * could move out. Zero lets a spill pass return at once instead of scanning for nothing.
   */
  spillable = 0;
  /** The spill tier's spill-min-value-size; Infinity without a spill tier. Change with setSpillMin. */
  spillMin = Infinity;
  /** Told when an entry holding a spill reference leaves a database (its record becomes garbage). */
  onSpilledRemoved: ((entry: StringEntry) => void) | null = null;
  /**
   * The spill-ahead mark (MemoryGuard.updateMarks): past it, `onHigh` is told after each
   * growth, so values move to the spill tier in background slices before writes reach
   * maxmemory. Infinity (no spill tier, no limit) makes it one false comparison per write.
   */
  aheadMark = Infinity;
  onHigh: (() => void) | null = null;

  added(key: string, entry: Entry): void {
    // A copy of an entry whose value was lent from tmpfs (RENAME, COPY spread it) owns no record.
    if (entry.kind === Kind.String && entry.spilled !== undefined && entry.size > 0) entry.spilled = undefined;
    const bytes = residentBytes(key, entry);
    entry.accounted = bytes;
    this.used += bytes;
    if (entry.kind === Kind.String) this.spillable += this.spillableLength(entry.size);
    if (this.used > this.aheadMark) this.onHigh!();
  }

  removed(key: string, entry: Entry): void {
    const bytes = entry.accounted ?? 0;
    this.used -= bytes;
    if (entry.kind === Kind.String) this.spillable -= this.spillableLength(bytes - STRING_OVERHEAD - keyBytes(key, entry));
    entry.accounted = 0;
    if (entry.kind === Kind.String && entry.spilled !== undefined) this.onSpilledRemoved?.(entry);
  }

  /** Recounts an entry changed in place: O(fields) for a hash, which is why hashes are not huge here. */
  changed(key: string, entry: Entry): void {
    const bytes = residentBytes(key, entry);
    const before = entry.accounted ?? 0;
    this.used += bytes - before;
    if (entry.kind === Kind.String) {
      this.spillable += this.spillableLength(entry.size) - this.spillableLength(before - STRING_OVERHEAD - keyBytes(key, entry));
    }
    entry.accounted = bytes;
    if (bytes > before && this.used > this.aheadMark) this.onHigh!();
  }

  /** A connection was accepted (Server.accept); `disconnected` when it closes, exactly once. */
  connected(): void {
    this.clients += CLIENT_BYTES;
    this.used += CLIENT_BYTES;
    if (this.used > this.aheadMark) this.onHigh!();
  }

  disconnected(): void {
    this.clients -= CLIENT_BYTES;
    this.used -= CLIENT_BYTES;
  }

  /** A new spill-min-value-size: recounts the spillable bytes (O(keys), on CONFIG SET only). */
  setSpillMin(min: number, databases: readonly Keyspace[]): void {
    this.spillMin = Math.max(1, min);
    this.spillable = 0;
    for (const db of databases) {
      db.forEachEntry((_key, e) => {
        if (e.kind === Kind.String) this.spillable += this.spillableLength(e.size);
      });
    }
  }

  private spillableLength(length: number): number {
    return length >= this.spillMin ? length : 0;
  }
}

export type Policy =
  | 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-lfu' | 'volatile-lfu'
  | 'allkeys-random' | 'volatile-random' | 'volatile-ttl';

/**
 * Evicts one key by policy (redis performEvictions + evictionPoolPopulate, without the pool):
 * `samples` entries from each database's rolling cursor, best candidate across them deleted.
 * LRU and LFU policies rank keys by their touchedAt as the database's AccessClock reads it.
 * Entries `skip` names (the running command's keys) are never chosen. Returns false when no
 * key qualifies (noeviction, or a volatile policy with no key carrying a TTL).
 */
export function evictOne(databases: readonly Keyspace[], policy: Policy, samples: number, skip: (entry: Entry) => boolean): boolean {
  if (policy === 'noeviction') return false;
  const volatileOnly = policy.startsWith('volatile-');
  const random = policy.endsWith('-random');
  const byTtl = policy === 'volatile-ttl';
  let bestDb: Keyspace | null = null;
  let bestKey = '';
  let bestScore = Infinity;
  for (const db of databases) {
    if ((volatileOnly ? db.volatileCount : db.size) === 0) continue;
    db.sample(samples, volatileOnly, (key, entry) => {
      if (skip(entry)) return;
      // Lower is evicted first: a random draw, nearest expiry, oldest access or fewest uses.
      const score = random ? Math.random() : byTtl ? entry.expiresAt : db.access.rank(entry.touchedAt);
      if (score < bestScore) {
        bestScore = score;
        bestDb = db;
        bestKey = key;
      }
    });
  }
  if (bestDb === null) return false;
  (bestDb as Keyspace).delete(bestKey, 'evicted');
  return true;
}

/** What moves cold values out of memory (src/spill/manager.ts); absent without a spill-dir. */
export interface Spiller {
  /**
   * Spills cold string values until about `need` bytes left memory, or until `deadline` (a
   * performance.now() time) has passed; returns the bytes freed. `inline`: in a command's path.
   */
  spillCold(databases: readonly Keyspace[], samples: number, skip: (entry: Entry) => boolean, need: number, deadline?: number, inline?: boolean): number;
  /** Entries just read back for a command that has not run yet: never spilled or evicted. */
  readonly held: ReadonlySet<Entry>;
  /** Whether an entry is held, or pinned by a command waiting for its other keys: not to be spilled or evicted. */
  spares(entry: Entry): boolean;
}

/**
 * How far below maxmemory one inline spill batch goes (see relieve). Small: the spill-ahead
 * slices (src/spill/ahead.ts) keep memory under the ahead mark, so the inline path is the
 * backstop for writes faster than they, and whatever it does every client queued behind the
 * command waits for.
 */
const SPILL_SLACK = 8 * 1024;
/**
 * Spill ahead from this share of maxmemory down to SPILL_AHEAD_LOW (src/spill/ahead.ts): the
 * gap above it is what a burst of writes may add before the inline path has to spill.
 */
export const SPILL_AHEAD_HIGH = 0.94;
export const SPILL_AHEAD_LOW = 0.92;

export interface MemorySettings {
  maxmemory: number;
  policy: Policy;
  samples: number;
  /** replica-ignore-maxmemory: a replica holds what its primary holds, evicting nothing itself. */
  replicaIgnores: boolean;
}

/**
 * Keeps the accounted bytes under maxmemory before each command (redis performEvictions):
 * spill cold values first, then evict by policy. Returns whether memory is within the limit.
 */
export class MemoryGuard {
  readonly account = new MemoryAccount();
  /** Set once at start when a spill-dir is configured. */
  spiller: Spiller | null = null;

  constructor(
    readonly settings: MemorySettings,
    private readonly stats: { evictedKeys: number },
  ) {}

  /**
   * Sets the spill-ahead marks from the settings: with a spill tier and a limit, the account
   * calls onHigh once used passes SPILL_AHEAD_HIGH of maxmemory. Called on every relieve() (a
   * CONFIG SET maxmemory calls one) and when the spill tier is set up.
   */
  updateMarks(): void {
    const { maxmemory } = this.settings;
    const account = this.account;
    account.aheadMark = this.spiller === null || account.onHigh === null || maxmemory <= 0 ? Infinity : Math.floor(maxmemory * SPILL_AHEAD_HIGH);
    // Already past it (a lower limit just set): no write has to come first.
    if (account.used > account.aheadMark) account.onHigh!();
  }

  /** Where a spill-ahead pass stops: bytes of memory it aims to leave in use. */
  get aheadTarget(): number {
    return Math.floor(this.settings.maxmemory * SPILL_AHEAD_LOW);
  }

  /**
   * Whether memory may be relieved now (redis isSafeToPerformEvictions): not on a replica that
   * ignores maxmemory, and not while a CLIENT PAUSE keeps the dataset still.
   */
  mayRelieve(databases: readonly Keyspace[]): boolean {
    const db = databases[0];
    return !(db !== undefined && ((db.replica && this.settings.replicaIgnores) || db.expiryPaused));
  }

  get overLimit(): boolean {
    return this.settings.maxmemory > 0 && this.account.used > this.settings.maxmemory;
  }

  /** @param pinned entryIdentity() of the running command's entries. */
  relieve(databases: readonly Keyspace[], pinned: ReadonlySet<Entry | number>): boolean {
    this.updateMarks();
    if (!this.overLimit) return true;
    // The writes that need room are held meanwhile (CLIENT PAUSE), or the primary decides.
    if (!this.mayRelieve(databases)) return true;
    const { maxmemory, policy, samples } = this.settings;
    const spiller = this.spiller;
    const skip = (e: Entry) => pinned.has(entryIdentity(e)) || (spiller !== null && spiller.spares(e));
    if (this.spiller !== null) {
      // A little beyond the excess, so the next few writes do not each start a batch; little
      // enough that a batch is a short pause for the clients queued behind this command (it runs
      // in the command's path): 256 KiB was about 250 values of 1 KiB, milliseconds of work.
      const slack = Math.min(SPILL_SLACK, Math.ceil(maxmemory / 64));
      this.spiller.spillCold(databases, samples, skip, this.account.used - maxmemory + slack, Infinity, true);
    }
    while (this.overLimit) {
      if (!evictOne(databases, policy, samples, skip)) return false;
      this.stats.evictedKeys++;
    }
    return true;
  }
}
