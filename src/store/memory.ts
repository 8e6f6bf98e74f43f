// Byte accounting for maxmemory and the eviction policies (redis evict.c). The count is kept
// running by the keyspaces (set, delete, expire, clear, in-place changes) through EntryObserver,
// and by the connections as what they hold changes (src/net/client.ts recount), so checking the
// limit costs one comparison. What is counted: sealed value bytes held in memory, key names
// (with --seal-keys: hash plus sealed name; see keyBytes), hash field names, an estimate of
// per-entry bookkeeping, and each connection's memory: a fixed cost (Redis's used_memory counts
// each client's structures too, so with `maxmemory 1` it refuses writes over an empty dataset),
// its query buffer, unsent replies, queued transaction, watched keys, subscriptions and
// tracking prefixes. This is INFO's used_memory. Values spilled to tmpfs count only their key
// and overhead: their bytes no longer live in this process.

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
/**
 * Estimated V8 heap per item a connection keeps for itself, counted in its memory (CLIENT LIST
 * tot-mem) as Redis counts its list nodes and dict entries: a watched key (its [db, name] pair
 * and the database's watcher entry), a subscription (set entry, registry entry), a BCAST tracking
 * prefix (map entries on both sides), a queued command (its record and argument array) and each
 * of its arguments (a Buffer object; the bytes are counted as they are).
 */
export const WATCHED_KEY_BYTES = 96;
export const SUBSCRIPTION_BYTES = 96;
export const TRACKING_PREFIX_BYTES = 128;
export const QUEUED_COMMAND_BYTES = 64;
export const QUEUED_ARG_BYTES = 96;

/** What a connection holds, as its last recount found it (MemoryAccount.clientResized). */
export interface ClientMemory {
  /** Everything: the fixed cost, input, held structures and unsent output (tot-mem less in-flight argv). */
  total: number;
  /** Query buffer: bytes received and not yet run (client_recent_max_input_buffer). */
  input: number;
  /** Replies not yet taken by the kernel (client_recent_max_output_buffer, and for a replica not counted for eviction). */
  output: number;
}

/** Which of MemoryAccount's sums a connection's memory belongs to (redis getClientType, clientEvictionAllowed). */
export const enum ClientKind {
  /** A normal or pub/sub connection that client eviction may close. */
  Evictable,
  /** A normal or pub/sub connection with CLIENT NO-EVICT on. */
  Kept,
  /** A replica's link: its output is not counted for eviction, nor the link evicted. */
  Replica,
}

/** How many one-second slots the recent input and output peaks span (redis CLIENTS_PEAK_MEM_USAGE_SLOTS). */
const PEAK_SLOTS = 8;

export class MemoryAccount implements EntryObserver {
  /** Accounted bytes: every database's entries plus `clients`. INFO used_memory. */
  used = 0;
  /** The connections' share of `used`: each one's ClientMemory.total. */
  clients = 0;
  /** Replica links' unsent output, part of `clients`: not counted for eviction (redis freeMemoryGetNotCountedMemory). */
  notCounted = 0;
  /** Normal and pub/sub connections' memory (INFO mem_clients_normal; what maxmemory-clients limits). */
  clientsNormal = 0;
  /** The share of clientsNormal that client eviction may free (not CLIENT NO-EVICT, not replicas). */
  clientsEvictable = 0;
  /** The highest `used` seen at a sample (cron, INFO, MEMORY STATS, the maxmemory check). */
  peak = 0;
  /** The largest query buffer and unsent output seen per second, for the last PEAK_SLOTS seconds. */
  private readonly recentInput = new Float64Array(PEAK_SLOTS);
  private readonly recentOutput = new Float64Array(PEAK_SLOTS);
  private second = 0;
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

  /**
   * A connection's memory went from `before` to `after` (both zero-total when it opens or
   * closes). `kind` says which sums it belongs to: a replica link's output is not counted for
   * eviction, and only normal connections without NO-EVICT may be evicted.
   */
  clientResized(before: ClientMemory, beforeKind: ClientKind, after: ClientMemory, afterKind: ClientKind): void {
    const delta = after.total - before.total;
    this.used += delta;
    this.clients += delta;
    if (beforeKind === ClientKind.Replica) this.notCounted -= before.output;
    else {
      this.clientsNormal -= before.total;
      if (beforeKind === ClientKind.Evictable) this.clientsEvictable -= before.total;
    }
    if (afterKind === ClientKind.Replica) this.notCounted += after.output;
    else {
      this.clientsNormal += after.total;
      if (afterKind === ClientKind.Evictable) this.clientsEvictable += after.total;
    }
    this.notePeaks(after);
  }

  /** Notes a connection's buffers in this second's peaks (also from the cron, for buffers that stay). */
  notePeaks(m: ClientMemory): void {
    const slot = this.second % PEAK_SLOTS;
    if (m.input > this.recentInput[slot]!) this.recentInput[slot] = m.input;
    if (m.output > this.recentOutput[slot]!) this.recentOutput[slot] = m.output;
  }

  /**
   * The cron's clock, in whole seconds: the slot of the second after this one is cleared for it.
   * Returns whether a new second began (the cron then notes every connection's buffers).
   */
  tickSecond(second: number): boolean {
    if (second === this.second) return false;
    this.second = second;
    this.recentInput[(second + 1) % PEAK_SLOTS] = 0;
    this.recentOutput[(second + 1) % PEAK_SLOTS] = 0;
    return true;
  }

  /** The largest query buffer and unsent output any connection held in the last few seconds. */
  recentMax(): { input: number; output: number } {
    return { input: Math.max(...this.recentInput), output: Math.max(...this.recentOutput) };
  }

  /** Notes `used` in the peak; returns it. */
  samplePeak(): number {
    if (this.used > this.peak) this.peak = this.used;
    return this.peak;
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

  /** What maxmemory is compared with: used_memory less mem_not_counted_for_evict. */
  get counted(): number {
    return this.account.used - this.account.notCounted;
  }

  get overLimit(): boolean {
    return this.settings.maxmemory > 0 && this.counted > this.settings.maxmemory;
  }

  /** @param pinned entryIdentity() of the running command's entries. */
  relieve(databases: readonly Keyspace[], pinned: ReadonlySet<Entry | number>): boolean {
    this.updateMarks();
    this.account.samplePeak();
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
      this.spiller.spillCold(databases, samples, skip, this.counted - maxmemory + slack, Infinity, true);
    }
    while (this.overLimit) {
      if (!evictOne(databases, policy, samples, skip)) return false;
      this.stats.evictedKeys++;
    }
    return true;
  }
}
