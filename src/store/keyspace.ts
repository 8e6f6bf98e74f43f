// One database: entries by key name, expiry (lazy on access plus an active cycle), the "key
// changed" signal every write ends in (src/store/key-events.ts) and hit/miss counts. Knows
// data, not RESP and not crypto: values arrive sealed.
//
// Keys are filed under a lookup string: the key name as latin1 (one char per byte, so any
// binary key round-trips), or with --seal-keys a 16-byte keyed hash of the name, the name itself
// then living only sealed, in the key's record after the hash (src/seal/key-names.ts). The index
// is a KeyTable over records in a RecordArena shared by all databases: a plain string's key
// (and sealed name), sealed value, expiry and access time live in its record, outside the V8
// heap, as a small collection packed at rest does; unpacked collections and strings that need to
// be objects (spilled, large) are boxed: the record points into `objects`, and the object keeps
// the sealed name.

import { AccessClock } from './access.js';
import { BoxedString, Kind, type Entry, type StringEntry } from './entry.js';
import { BOXED, D_EXPIRES, D_TOUCHED, hashKey, hashKeyBytes, KeyTable, RECORD_HEADER, W_AUX, W_HASH, W_KEY_LENGTH, W_VALUE_LENGTH } from './key-table.js';
import { OFFSET_MASK, RecordArena } from './record-arena.js';
import { StoredString } from './stored-string.js';
import { KeyWalk } from './key-walk.js';
import { scanStep } from './scan.js';
import { WatchTable, type DbEvent, type KeyEvent, type KeyListener, type WatchFlag } from './key-events.js';
import { collectionOps, opsOf, type CollectionKind, type EntryOf } from './types/index.js';
import { isPackable, PackedEntry, type PackedVisitor, type Packer } from './types/packed.js';
import { isPackedForm, isPackedLength, newPackedRecord, PACKED_TAG, PackedRecord, packedPurpose, type PackedBlobWriter, type PackedForm, type PackedShape } from './packed-record.js';
import { Purpose } from '../seal/values.js';
import { copyBytes } from '../util/bytes.js';

export { KeyWalk } from './key-walk.js';

export { BoxedString, hashEntry, Kind, streamEntry, stringEntry } from './entry.js';
export type { Entry, HashEntry, SpillRef, StreamEntry, StringEntry, ZSetEntry } from './entry.js';
export { ListEntry, listEntry } from './entry.js';
export { FieldTable } from './types/field-table.js';
export { HashFields } from './types/hash-fields.js';
export { opsOf, typeName, TYPE_OPS } from './types/index.js';
export type { DbEvent, KeyEvent, KeyListener, WatchFlag } from './key-events.js';

/** compactSlice stops after this many candidates in a row still in use. */
const BUSY_RUN = 512;

/** Sealed values up to this size are stored in their record; larger ones stay boxed. */
const INLINE_VALUE_MAX = 32 * 1024;

export interface KeyspaceStats {
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  /** Writes since start (INFO rdb_changes_since_last_save). */
  dirty: number;
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
  /** Every key's length (the names' hash): what the record's key area holds before the sealed name. */
  readonly keyBytes: number;
  sealedName(key: string): Buffer;
  /** The length sealedName(key) would have. */
  sealedLength(key: string): number;
  /** sealedName(key) written into out at `at`. */
  sealNameAt(key: string, out: Buffer, at: number): void;
}


const NO_BYTES: Uint8Array = new Uint8Array(0);
/** setPackedSealed's writer: copies blob bytes sealed already (ciphertext) into the record. */
const copiedBlob = {
  bytes: NO_BYTES,
  sealInto(to: Buffer, at: number): void {
    // The bytes are a view of exactly the blob: set() copies them without another view.
    if (this.bytes.length <= 64) copyBytes(this.bytes, 0, to, at, this.bytes.length);
    else to.set(this.bytes, at);
  },
};

export class Keyspace {
  private table: KeyTable;
  /** Boxed entries, by the index their record holds; free indexes are reused. */
  private objects: (Entry | undefined)[] = [];
  private freeObjects: number[] = [];
  /** Keys that carry a TTL: what the active cycle walks and INFO's expires= counts. */
  private volatile = new Set<string>();
  private expiryWalk: Iterator<string> | null = null;
  /** Told of every write (signal); replaced, never changed in place, so a walk over it is stable. */
  private listeners: readonly KeyListener[] = [];
  /** The listeners that hear of read misses (keyMissed). */
  private missListeners: readonly KeyListener[] = [];
  /** WATCH's registrations: a listener while any key is watched. They belong to the index (tradeWatches). */
  private watches = new WatchTable();
  /** Rolling cursors for eviction and spill sampling (redis maxmemory-samples). */
  private sampleSlot = 0;
  private volatileSampleWalk: Iterator<string> | null = null;
  /** Bumped by clear(): walks started before it are over. */
  generation = 0;
  /** The views passingAt() points at the records put() replaces and stores. */
  private replacedView: StoredString;
  private addedView: StoredString;
  /**
   * Set while this node is a replica (src/replication/): keys whose time has passed are hidden
   * from reads but not deleted, and the active cycle stops; the master's deletions remove them
   * (Redis 7's replica expiry). Turned off, the keys its clients wrote are the master's own.
   */
  get replica(): boolean {
    return this.isReplica;
  }

  set replica(on: boolean) {
    this.isReplica = on;
    if (!on) this.writtenOnReplica.clear();
  }

  private isReplica = false;
  /** Set while the master's records are applied (replication/records.ts): those writes are the master's. */
  fromMaster = false;
  /**
   * Keys given a TTL on this replica by its own clients (replica-read-only no): no master will
   * delete them, so the replica's cron does once their time has passed (Redis 7.0
   * rememberSlaveKeyWithExpire / expireSlaveKeys).
   */
  private writtenOnReplica = new Set<string>();
  /** Set while a CLIENT PAUSE lasts: expired keys are hidden but kept, as on a replica (Redis 7.0). */
  expiryPaused = false;

  /** Whether keys whose time has passed stay until someone else deletes them (replica, pause). */
  private get keepsExpired(): boolean {
    return this.replica || this.expiryPaused;
  }
  /**
   * The entry being removed while its removal is signalled (listeners that need its sealed
   * name: keyspace notifications of 'expired' and 'evicted' with --seal-keys); else undefined.
   */
  removing: Entry | undefined = undefined;
  /** Packs small collections at rest and unpacks them on use (types/packed.ts); none: never packed. */
  packer: Packer | null = null;
  /**
   * Keys whose small collection was created or unpacked and may be packed once it rests, in the
   * order they came (a Set keeps insertion order), for compactSlice().
   */
  private unpacked = new Set<string>();
  /**
   * The key mutate() last moved to the end of `unpacked` ('' when unknown): a client writing one
   * collection over and over (LPUSH, SADD to the same key) then costs one lookup instead of a
   * delete and an insert per write. Only mutate() moves keys to the end; unpackAt() adds one
   * without moving it, so it forgets this.
   */
  private lastUnpacked = '';
  /** Small collections created since the last compactFresh(): packed as soon as the turn ends. */
  private fresh = new Set<string>();
  /** Called when `fresh` gets its first key (the server runs compactFresh() after this turn). */
  onFresh: (() => void) | null = null;

  /**
   * @param uid identity bound into every sealed value of this database. It moves with the data
   *   on SWAPDB, so swapping databases needs no re-sealing, while a value copied into another
   *   database still fails to open.
   * @param names set with --seal-keys: every entry stored gets its sealed name from it.
   * @param arena where records live; one per server, shared by its databases.
   * @param access how touchedAt is kept (LRU time or LFU counter); one per server.
   */
  constructor(
    readonly uid: number,
    private readonly stats: KeyspaceStats,
    private readonly observer: EntryObserver | null = null,
    private readonly names: NameSealer | null = null,
    readonly arena = new RecordArena(),
    readonly access = new AccessClock(),
  ) {
    this.table = new KeyTable(arena, undefined, undefined, names?.keyBytes);
    this.replacedView = new StoredString(this.table, 0);
    this.addedView = new StoredString(this.table, 0);
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * Counts every change of which record a key's slot holds (insert, replace, remove, clear) and
   * of which entry object a record holds (packing and unpacking in place): a write that finds it
   * unchanged after its callback knows the entry it found is still the key's (mutate), without a
   * second lookup.
   */
  private tableEdits = 0;

  /**
   * tableEdits, for a writer that remembers a key and its entry (SADD): while it is unchanged, the
   * entry found then is still the key's live object (its expiry aside), so it need not look again.
   */
  get edits(): number {
    return this.tableEdits;
  }

  get volatileCount(): number {
    return this.volatile.size;
  }

  /** Bytes of the key index's slot array (two u32 per slot): MEMORY STATS overhead.hashtable.main. */
  get indexBytes(): number {
    return this.table.slotCount * 8;
  }

  /** The live entry for key, deleting it first if its time has passed. Does not count hits. */
  get(key: string, now: number): Entry | undefined {
    const slot = this.table.find(key, hashKey(key));
    if (slot < 0) return undefined;
    const handle = this.table.handleAt(slot);
    const expiresAt = this.expiryAt(handle);
    if (expiresAt === 0 || expiresAt > now) {
      const entry = this.rawAt(handle);
      return isPackedForm(entry) ? this.unpackAt(handle, entry) : entry;
    }
    if (!this.keepsExpired) this.expire(key);
    return undefined;
  }

  /**
   * The expiry of the entry in record `handle`, read from the record when it is inline: one
   * load, where the entry's expiresAt getter (a call site that sees entries of several classes)
   * was a call of its own on every lookup, twice for a live key.
   */
  private expiryAt(handle: number): number {
    const words = this.arena.words[handle >>> 17]!;
    const word = (handle & OFFSET_MASK) * 2;
    if (words[word + W_VALUE_LENGTH] === BOXED) return this.objects[words[word + W_AUX]!]!.expiresAt;
    return this.arena.doubles[handle >>> 17]![(handle & OFFSET_MASK) + D_EXPIRES]!;
  }

  /**
   * get() that leaves a packed collection packed: only the fields every entry has (kind, expiry,
   * access time, sealed name) may be read from what it returns. For the commands that look at
   * keys, not values (EXISTS, TYPE, TTL, KEYS, SCAN, OBJECT IDLETIME), so they cost no unpacking.
   */
  getStored(key: string, now: number): Entry | undefined {
    const slot = this.table.find(key, hashKey(key));
    if (slot < 0) return undefined;
    const handle = this.table.handleAt(slot);
    const expiresAt = this.expiryAt(handle);
    if (expiresAt === 0 || expiresAt > now) return this.rawAt(handle);
    if (!this.keepsExpired) this.expire(key);
    return undefined;
  }

  /**
   * Brings into the CPU's cache what looking key up will read (its home slot and the record
   * there), changing nothing. A command about to look up several keys asks for all of them
   * first: a lookup's own loads wait for each other (slot, then record), but those of different
   * keys overlap, so the keys' cache misses cost about one wait instead of one each (redis 8
   * prefetches a pipeline's keys for the same reason, memory_prefetch.c).
   */
  prefetch(keys: readonly string[], count: number): void {
    if (this.prefetchHandles.length < count) this.prefetchHandles = new Uint32Array(count);
    const handles = this.prefetchHandles;
    for (let i = 0; i < count; i++) handles[i] = hashKey(keys[i]!);
    this.prefetchHashed(count);
  }

  /**
   * prefetch() of the keys whose latin1 strings are bytes[starts[i], starts[i] + lengths[i]):
   * a pipeline's keys, before its commands run (Client.run; redis 8 memory_prefetch.c does it
   * across a batch of clients). Only where key names are their own strings (no --seal-keys).
   */
  prefetchRaw(bytes: Uint8Array, starts: Int32Array, lengths: Int32Array, count: number): void {
    if (this.prefetchHandles.length < count) this.prefetchHandles = new Uint32Array(count);
    const handles = this.prefetchHandles;
    for (let i = 0; i < count; i++) handles[i] = hashKeyBytes(bytes, starts[i]!, lengths[i]!);
    this.prefetchHashed(count);
  }

  /** Reads the home slots of the first `count` hashes in prefetchHandles, then their records. */
  private prefetchHashed(count: number): void {
    this.prefetched = this.table.touchHomes(this.prefetchHandles, count);
  }

  /** prefetch()'s hashes, then the handles in their home slots. */
  private prefetchHandles = new Uint32Array(16);
  /** What the last prefetch() read: kept so that its loads are not compiled away; means nothing. */
  prefetched = 0;

  /** get() for commands that read a value: counts keyspace hits/misses and refreshes access time. */
  read(key: string, now: number): Entry | undefined {
    return this.counted(key, this.get(key, now), now);
  }

  /**
   * read() that leaves a small collection packed at rest as it is (a PackedForm passed off as an
   * Entry, told apart with isPackedForm): for read commands that answer from its blob through
   * readPackedElements() (commands/values/packed-reads.ts). Counts and touches as read() does.
   */
  readPacked(key: string, now: number): Entry | undefined {
    return this.counted(key, this.getStored(key, now), now);
  }

  /** Opens key's packed collection once and shows `visit` its elements (Packer.read); it stays packed. Throws SealError. */
  readPackedElements(key: string, packed: PackedForm, visit: PackedVisitor): void {
    this.packer!.read(this.uid, key, packed, visit);
  }

  /** A read's keyspace hit or miss, and the access time it refreshes. */
  private counted(key: string, entry: Entry | undefined, now: number): Entry | undefined {
    if (entry === undefined) {
      this.stats.keyspaceMisses++;
      if (this.missListeners.length > 0) this.missed(key);
    } else {
      this.stats.keyspaceHits++;
      this.touch(entry, now);
    }
    return entry;
  }

  /** Marks entry as used by a command at `now`: its access time, or its LFU counter under an LFU policy. */
  touch(entry: Entry, now: number): void {
    // A string in a record is touched where it lies (see expiryAt).
    if (entry instanceof StoredString) {
      const doubles = this.arena.doubles[entry.handle >>> 17]!;
      const at = (entry.handle & OFFSET_MASK) + D_TOUCHED;
      doubles[at] = this.access.touched(doubles[at]!, now);
    } else entry.touchedAt = this.access.touched(entry.touchedAt, now);
  }

  /**
   * read() that leaves the access time alone (redis LOOKUP_NOTOUCH: EXISTS, TYPE, TTL, OBJECT);
   * `notify` false announces no keymiss (LOOKUP_NONOTIFY: OBJECT). Through getStored(): only
   * key-level fields may be read from the entry (a packed collection stays packed).
   */
  readNoTouch(key: string, now: number, notify = true): Entry | undefined {
    const entry = this.getStored(key, now);
    if (entry !== undefined) this.stats.keyspaceHits++;
    else {
      this.stats.keyspaceMisses++;
      if (notify && this.missListeners.length > 0) this.missed(key);
    }
    return entry;
  }

  private missed(key: string): void {
    for (const l of this.missListeners) l.keyMissed!(this, key);
  }

  has(key: string, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  /** The entry for key whether or not its time has passed (background work, identity checks). */
  peek(key: string): Entry | undefined {
    const slot = this.table.find(key, hashKey(key));
    return slot < 0 ? undefined : this.entryAt(this.table.handleAt(slot));
  }

  /**
   * Stores entry under key (replacing any old one) and signals `event`. A plain string is copied
   * into a record, so the object passed in is not the entry afterwards; hashes and strings that
   * must stay objects are kept as given.
   */
  set(key: string, entry: Entry, event: KeyEvent): void {
    const hash = hashKey(key);
    const slot = this.table.find(key, hash);
    const oldHandle = slot < 0 ? 0 : this.table.handleAt(slot);
    const old = oldHandle === 0 ? undefined : this.rawAt(oldHandle);
    // A replaced entry had the same name: its sealed copy carries over, sparing a seal per SET.
    const name = this.names === null ? undefined : (entry.sealedName ?? old?.sealedName ?? this.names.sealedName(key));
    this.put(key, hash, slot, old, this.record(key, hash, entry, name), entry.expiresAt, event, entry.kind);
  }

  /**
   * Stores a new small collection already packed (SADD or ZADD creating a key: types/packed.ts),
   * as set() stores any other entry: in the key's record.
   */
  setPacked(key: string, packed: PackedEntry, event: KeyEvent): void {
    this.set(key, packed as unknown as Entry, event);
  }

  /**
   * Stores a write made in key's packed blob (commands/lists/lists-packed.ts, zset-rest.ts): `sealed`,
   * the new blob of a collection shaped as `shape`, takes the place of `stored` (key's packed
   * form as looked up at `now`, nothing stored since) with its expiry, touched at `now`,
   * signalled as any write. Copied into the key's record (rewritePacked) with no string or object
   * made of it. A packed form found in the keyspace is always its record (set() puts every
   * PackedEntry in one).
   */
  setPackedSealed(key: string, stored: PackedForm, sealed: Uint8Array, shape: PackedShape, now: number, event: KeyEvent): void {
    if (!(stored instanceof PackedRecord)) throw new Error('setPackedSealed: a stored packed form is a record');
    stored.touchedAt = this.access.touched(stored.touchedAt, now);
    copiedBlob.bytes = sealed;
    this.rewritePacked(key, stored, sealed.length, shape.count, shape.flag, event, copiedBlob, shape.intDeltas);
    copiedBlob.bytes = NO_BYTES;
  }

  /**
   * SET's fast path, step one: a record for a plain string of `size` sealed bytes (and with
   * --seal-keys room for key's sealed name), not yet in the table, for the caller to seal into
   * at valueSlab()/valueOffset() and then install(). 0 when the value must go through set()
   * instead (values too large for a record).
   */
  newString(key: string, size: number, expiresAt: number, touchedAt: number): number {
    if (size > INLINE_VALUE_MAX) return 0;
    const handle = this.table.newRecord(key, hashKey(key), size, size, this.names === null ? 0 : this.names.sealedLength(key));
    const doubles = this.arena.doubles[handle >>> 17]!;
    doubles[(handle & OFFSET_MASK) + D_EXPIRES] = expiresAt;
    doubles[(handle & OFFSET_MASK) + D_TOUCHED] = touchedAt;
    return handle;
  }

  valueSlab(handle: number): Buffer {
    return this.arena.bytes[handle >>> 17]!;
  }

  valueOffset(handle: number): number {
    return (handle & OFFSET_MASK) * 8 + RECORD_HEADER + this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_KEY_LENGTH]!;
  }

  /** Step two: stores the record from newString() under its key, as set() would. */
  install(key: string, handle: number, event: KeyEvent): void {
    const hash = this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_HASH]!;
    const slot = this.table.find(key, hash);
    const old = slot < 0 ? undefined : this.passingAt(this.table.handleAt(slot), this.replacedView);
    if (this.names !== null) {
      try {
        this.nameRecord(key, handle, slot < 0 ? 0 : this.table.handleAt(slot), old);
      } catch (err) {
        this.abandon(handle);
        throw err;
      }
    }
    this.put(key, hash, slot, old, handle, this.arena.doubles[handle >>> 17]![(handle & OFFSET_MASK) + D_EXPIRES]!, event, Kind.String);
  }

  /**
   * Writes key's sealed name into its new record from newString(): copied from the entry it
   * replaces (in `oldHandle`'s record, or on its object), which has the same name, so a SET over
   * a key seals nothing more than its value; sealed from the command's argument for a new key.
   */
  private nameRecord(key: string, handle: number, oldHandle: number, old: Entry | undefined): void {
    const table = this.table;
    const length = table.nameLength(handle);
    const to = this.arena.bytes[handle >>> 17]!;
    if (oldHandle !== 0 && table.nameLength(oldHandle) === length) {
      copyBytes(this.arena.bytes[oldHandle >>> 17]!, table.nameAt(oldHandle), to, table.nameAt(handle), length);
      return;
    }
    // A boxed entry (a collection, a spilled or large string) keeps its name on its object.
    const boxedName = old === undefined || old instanceof StoredString ? undefined : old.sealedName;
    if (boxedName !== undefined && boxedName.length === length) to.set(boxedName, table.nameAt(handle));
    else this.names!.sealNameAt(key, to, table.nameAt(handle));
  }

  /** Gives back a record from newString() that will not be installed. */
  abandon(handle: number): void {
    this.arena.free(handle, this.table.recordBytes(handle));
  }

  /** Puts a new record in key's slot (or a new slot), retiring the old entry. */
  private put(key: string, hash: number, slot: number, old: Entry | undefined, handle: number, expiresAt: number, event: KeyEvent, kind: Kind): void {
    if (old !== undefined) this.observer?.removed(key, old);
    this.tableEdits++;
    if (slot < 0) this.table.insert(hash, handle);
    else {
      const oldHandle = this.table.handleAt(slot);
      this.table.setHandle(slot, handle);
      this.dispose(oldHandle);
    }
    const added = this.passingAt(handle, this.addedView);
    // Redis's dbOverwrite: under LFU a value written over another inherits its counter, touched.
    if (old !== undefined && this.access.lfu) added.touchedAt = this.access.inherited(old.touchedAt, added.touchedAt);
    this.observer?.added(key, added);
    // A collection stored packed already (SADD, ZADD...: commands/values/at-rest.ts) has nothing to pack.
    if (isPackable(kind) && this.packer !== null && !isPackedForm(added)) {
      if (this.fresh.size === 0) this.onFresh?.();
      this.fresh.add(key);
    }
    if (expiresAt !== 0) {
      this.volatile.add(key);
      if (this.isReplica && !this.fromMaster) this.writtenOnReplica.add(key);
    }
    // Only a key that had a TTL is in the set: spares a lookup on the usual plain SET.
    else if (old !== undefined && old.expiresAt !== 0) this.volatile.delete(key);
    // A key that did not exist: Redis's dbAdd announces 'new' before the command's own event.
    if (old === undefined && this.listeners.length > 0) this.notify(key, 'new', kind);
    this.signal(key, event, kind);
  }

  /**
   * Makes key's string entry a JS object that keeps its identity (the spill tier tracks
   * entries): same value, expiry and accounting, not a write. Returns the boxed entry.
   */
  box(key: string): StringEntry | undefined {
    const hash = hashKey(key);
    const slot = this.table.find(key, hash);
    if (slot < 0) return undefined;
    const handle = this.table.handleAt(slot);
    const entry = this.rawAt(handle);
    if (entry.kind !== Kind.String) return undefined;
    if (!(entry instanceof StoredString)) return entry;
    const value = Buffer.allocUnsafeSlow(entry.size);
    entry.value.copy(value);
    const boxed = new BoxedString(value, entry.expiresAt, entry.touchedAt);
    boxed.accounted = entry.accounted;
    boxed.sealedName = entry.sealedName;
    this.tableEdits++;
    this.table.setHandle(slot, this.boxRecord(key, hash, boxed));
    this.dispose(handle);
    return boxed;
  }

  /**
   * Removes key and signals `event`: 'del' for DEL and its kin, 'rename_from' / 'move_from' when
   * the value goes elsewhere, 'evicted' for maxmemory. Returns whether the key was there.
   */
  delete(key: string, event: KeyEvent): boolean {
    const slot = this.table.find(key, hashKey(key));
    if (slot < 0) return false;
    this.remove(key, slot, event);
    return true;
  }

  /** Sets or clears (at = 0) the expiry of an existing entry: signals 'expire' or 'persist'. */
  setExpiry(key: string, entry: Entry, at: number): void {
    entry.expiresAt = at;
    if (at !== 0) this.volatile.add(key);
    else this.volatile.delete(key);
    if (at !== 0 && this.isReplica && !this.fromMaster) this.writtenOnReplica.add(key);
    this.signal(key, at !== 0 ? 'expire' : 'persist', entry.kind);
  }

  /**
   * Call after changing key's entry in place (APPEND, SETRANGE, INCR...): recounts its memory
   * and signals `event`. Collections change through mutate(), which calls this. A caller that
   * holds key's entry passes it, sparing a second lookup.
   */
  changed(key: string, event: KeyEvent, entry: Entry | undefined = this.peek(key)): void {
    if (entry === undefined) return;
    this.observer?.changed(key, entry);
    this.signal(key, event, entry.kind);
  }

  /**
   * Recounts key's memory after its structure changed outside any command (a list sealing its
   * waiting nodes at rest): no event, no signal, no dirty; nothing if the key is gone.
   */
  recount(key: string): void {
    const entry = this.peek(key);
    if (entry !== undefined) this.observer?.changed(key, entry);
  }

  /**
   * The one way to change a collection: finds key's entry of `kind` (a new empty one when the key
   * is missing), runs `change` on it, then files the result: an entry left empty is deleted (the
   * 'del' announced after `event`, as Redis does), a new one that gained elements is stored, an
   * existing one that changed is recounted; each of them signals `event` once. `change` returns
   * whether it changed anything (nothing is signalled otherwise) and does its own replying.
   * Returns false, without calling `change`, when key holds another kind (the caller answers
   * WRONGTYPE). Like Redis's lookupKeyWrite it counts no keyspace hit or miss. A caller holding
   * key's live entry (from get() at `now`) passes it as `held`, sparing a second lookup.
   */
  mutate<K extends CollectionKind>(key: string, kind: K, event: KeyEvent, now: number, change: (entry: EntryOf<K>) => boolean, held?: Entry): boolean {
    const ops = collectionOps(kind);
    const found = held ?? this.get(key, now);
    if (found !== undefined && found.kind !== kind) return false;
    if (found !== undefined) this.touch(found, now);
    const existing = found as EntryOf<K> | undefined;
    const entry = existing ?? ops.create(now);
    const edits = this.tableEdits;
    const altered = change(entry);
    if (ops.isEmpty(entry)) {
      if (existing !== undefined && this.delete(key, event)) this.notify(key, 'del', kind);
    } else if (existing === undefined) {
      if (altered) this.set(key, entry, event);
    } else if (altered) {
      // changed() without looking key up again when no key came or went meanwhile (XADD's 3%).
      if (edits === this.tableEdits) {
        this.observer?.changed(key, found!);
        this.signal(key, event, kind);
      } else {
        this.changed(key, event);
      }
      // Packed again once it rests (one that shrank back into packing's limits included): moved
      // to the end, so the candidates stay about in order of last write.
      if (this.packer !== null && isPackable(kind)) {
        if (key !== this.lastUnpacked || !this.unpacked.has(key)) {
          this.unpacked.delete(key);
          this.unpacked.add(key);
          this.lastUnpacked = key;
        }
      }
    }
    return true;
  }

  /**
   * A write happened to key: counts it (INFO's changes since save) and tells every listener.
   * Every write path ends here; kind is the type key holds (or held, once removed).
   */
  signal(key: string, event: KeyEvent, kind: Kind): void {
    this.stats.dirty++;
    const listeners = this.listeners;
    if (listeners.length === 0) return;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.keyChanged(this, key, event, kind);
  }

  /**
   * A further event of the write just signalled, not counted as another write: SET EX is 'set'
   * then 'expire', an HDEL that empties a hash is 'hdel' then 'del' (the notifications Redis sends).
   */
  notify(key: string, event: KeyEvent, kind: Kind): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!.keyChanged(this, key, event, kind);
  }

  /** Registers a listener for every write to this database (no effect if already registered). */
  listen(listener: KeyListener): void {
    if (!this.listeners.includes(listener)) this.listeners = [...this.listeners, listener];
    this.missListeners = this.listeners.filter((l) => l.keyMissed !== undefined);
  }

  unlisten(listener: KeyListener): void {
    if (this.listeners.includes(listener)) this.listeners = this.listeners.filter((l) => l !== listener);
    this.missListeners = this.listeners.filter((l) => l.keyMissed !== undefined);
  }

  /** SWAPDB moved this database to another index: every key may have changed. */
  swapped(): void {
    this.dbChanged('swap');
  }

  /**
   * SWAPDB put `other` at this database's index and this one at other's. WATCH stays with the
   * index, as Redis keeps watched_keys: a watched key present in either database is touched
   * (touchAllWatchedKeysInDb both ways), and the two databases trade their registrations so a
   * later write at the same index still counts.
   */
  tradeWatches(other: Keyspace): void {
    this.watches.touchPresent(this, other);
    other.watches.touchPresent(this, other);
    this.unlisten(this.watches);
    other.unlisten(other.watches);
    [this.watches, other.watches] = [other.watches, this.watches];
    if (this.watches.size > 0) this.listen(this.watches);
    if (other.watches.size > 0) other.listen(other.watches);
  }

  private dbChanged(event: DbEvent): void {
    for (const listener of this.listeners) listener.dbChanged(this, event);
  }

  /** Every key, expired or not. For synchronous use: the walk is not safe across inserts. */
  *keys(): IterableIterator<string> {
    // KEYS expires what it meets as it goes: no slot may move meanwhile (nor a shrink start).
    const table = this.table;
    table.pauseRehash();
    try {
      for (let slot = 0; slot < table.slotCount; slot++) {
        const handle = table.handleAt(slot);
        if (handle !== 0) yield table.keyOf(handle);
      }
    } finally {
      table.resumeRehash();
    }
  }

  /** Calls visit for every entry, expired or not; visit must not add or remove keys. */
  forEachEntry(visit: (key: string, entry: Entry) => void): void {
    this.forEachHandle((handle) => visit(this.table.keyOf(handle), this.entryAt(handle)));
  }

  /** Calls visit with every record's handle, slots held where they are (the rehash paused). */
  private forEachHandle(visit: (handle: number) => void): void {
    const table = this.table;
    table.pauseRehash();
    try {
      for (let slot = 0; slot < table.slotCount; slot++) {
        const handle = table.handleAt(slot);
        if (handle !== 0) visit(handle);
      }
    } finally {
      table.resumeRehash();
    }
  }

  /**
   * The cron's share of a running key-table rehash (redis incrementallyRehash): moves slots
   * until `deadline` (performance.now()). Returns whether one is still running.
   */
  rehashSlice(deadline: number): boolean {
    return this.table.rehashing && this.table.rehashUntil(deadline);
  }

  /** A walk over every key that may span event-loop turns (key rotation). */
  walk(): KeyWalk {
    return new KeyWalk(this, this.table);
  }

  /**
   * One SCAN step from `cursor` (stateless, src/store/scan.ts): visits about `count` keys,
   * expired or not, and returns the cursor to continue with (0: done). visit must not write.
   */
  scan(cursor: number, count: number, visit: (key: string) => void): number {
    const table = this.table;
    return scanStep(table, cursor, count, (handle) => visit(table.keyOf(handle)));
  }

  /** A random live key, or null: a random slot, then the next occupied one. */
  randomKey(now: number): string | null {
    for (let tries = 0; tries < 100 && this.table.size > 0; tries++) {
      // Both tables while a rehash runs: slot numbers past capacity address the old one.
      const count = this.table.slotCount;
      const start = Math.floor(Math.random() * count);
      for (let i = 0; i < count; i++) {
        const handle = this.table.handleAt((start + i) % count);
        if (handle === 0) continue;
        const key = this.table.keyOf(handle);
        if (this.get(key, now)) return key;
        break;
      }
    }
    return null;
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    const n = this.table.size;
    this.dbChanged('flush');
    for (let slot = 0; slot < this.table.slotCount; slot++) {
      const handle = this.table.handleAt(slot);
      if (handle === 0) continue;
      if (this.observer !== null) this.observer.removed(this.table.keyOf(handle), this.rawAt(handle));
      this.dispose(handle);
    }
    this.tableEdits++;
    this.table = new KeyTable(this.arena, undefined, undefined, this.names?.keyBytes);
    this.replacedView = new StoredString(this.table, 0);
    this.addedView = new StoredString(this.table, 0);
    this.objects = [];
    this.freeObjects = [];
    this.volatile = new Set();
    this.writtenOnReplica = new Set();
    this.unpacked = new Set();
    this.lastUnpacked = '';
    this.fresh = new Set();
    this.expiryWalk = null;
    this.sampleSlot = 0;
    this.volatileSampleWalk = null;
    this.generation++;
    this.stats.dirty += n;
    return n;
  }

  /** WATCH: flag turns dirty on the next write to key (the watch table listens only while used). */
  watch(key: string, flag: WatchFlag): void {
    this.watches.add(key, flag);
    this.listen(this.watches);
  }

  unwatch(key: string, flag: WatchFlag): void {
    this.watches.remove(key, flag);
    if (this.watches.size === 0) this.unlisten(this.watches);
  }

  /**
   * One slice of the active expiry cycle (redis activeExpireCycle): checks up to `sample` keys
   * with a TTL, continuing where the last slice stopped, and deletes the expired ones.
   * Returns how many it checked and how many it expired so the caller can decide to go on.
   */
  expireSlice(now: number, sample: number): { checked: number; expired: number } {
    let checked = 0;
    let expired = 0;
    if (this.keepsExpired) return this.isReplica && !this.expiryPaused ? this.expireWrittenOnReplica(now, sample) : { checked, expired };
    while (checked < sample && this.volatile.size > 0) {
      if (!this.expiryWalk) this.expiryWalk = this.volatile.values();
      const step = this.expiryWalk.next();
      if (step.done) {
        this.expiryWalk = null;
        if (checked === 0) continue;
        break;
      }
      checked++;
      const entry = this.peekRaw(step.value);
      if (entry && entry.expiresAt !== 0 && entry.expiresAt <= now) {
        this.expire(step.value);
        expired++;
      }
    }
    return { checked, expired };
  }

  /** A replica's share of the cycle: the keys its own clients gave a TTL (Redis 7.0 expireSlaveKeys). */
  private expireWrittenOnReplica(now: number, sample: number): { checked: number; expired: number } {
    let checked = 0;
    let expired = 0;
    for (const key of this.writtenOnReplica) {
      if (checked++ >= sample) break;
      const entry = this.peekRaw(key);
      // Gone, or its TTL removed (PERSIST, or a write of the master's): nothing left to expire.
      if (entry === undefined || entry.expiresAt === 0) this.writtenOnReplica.delete(key);
      else if (entry.expiresAt <= now) {
        this.writtenOnReplica.delete(key);
        this.expire(key);
        expired++;
      }
    }
    return { checked, expired };
  }

  /**
   * Visits up to n entries (only those with a TTL when volatileOnly), continuing where the last
   * call stopped: eviction and spill sampling in O(n) without random access.
   */
  sample(n: number, volatileOnly: boolean, visit: (key: string, entry: Entry) => void): void {
    const limit = Math.min(n, volatileOnly ? this.volatile.size : this.table.size);
    if (!volatileOnly) {
      const count = this.table.slotCount;
      for (let seen = 0, probed = 0; seen < limit && probed < count; probed++) {
        const slot = this.sampleSlot++ % count;
        const handle = this.table.handleAt(slot);
        if (handle === 0) continue;
        visit(this.table.keyOf(handle), this.rawAt(handle));
        seen++;
      }
      return;
    }
    for (let seen = 0, restarts = 0; seen < limit && restarts < 2; ) {
      this.volatileSampleWalk ??= this.volatile.values();
      const step = this.volatileSampleWalk.next();
      if (step.done) {
        this.volatileSampleWalk = null;
        restarts++;
        continue;
      }
      const entry = this.peekRaw(step.value);
      if (entry !== undefined) visit(step.value, entry);
      seen++;
    }
  }

  /**
   * For the spill tier: as sample() over every key, but only string values held in memory of at
   * least `min` bytes reach `visit` (with the record's handle, for keyAt), and the others are
   * passed over without a key string or entry view made for them: most entries a spill pass
   * looks at are already spilled or too small. Returns how many entries it looked at.
   */
  sampleValues(n: number, min: number, visit: (entry: StringEntry, handle: number) => void): number {
    const limit = Math.min(n, this.table.size);
    const count = this.table.slotCount;
    let seen = 0;
    for (let probed = 0; seen < limit && probed < count; probed++) {
      const slot = this.sampleSlot++ % count;
      const handle = this.table.handleAt(slot);
      if (handle === 0) continue;
      seen++;
      const words = this.arena.words[handle >>> 17]!;
      const word = (handle & OFFSET_MASK) * 2;
      const length = words[word + W_VALUE_LENGTH]!;
      if (length === BOXED) {
        const entry = this.objects[words[word + W_AUX]!]!;
        if (entry.kind === Kind.String && entry.spilled === undefined && entry.size >= min) visit(entry, handle);
      } else if (!isPackedLength(length) && length >= min) {
        visit(new StoredString(this.table, handle), handle);
      }
    }
    return seen;
  }

  /** The key of a record handle sampleValues gave. */
  keyAt(handle: number): string {
    return this.table.keyOf(handle);
  }

  /** The entry a record stands for: its boxed object (unpacked first if packed), or a view of the record. */
  entryAt(handle: number): Entry {
    const entry = this.rawAt(handle);
    return isPackedForm(entry) ? this.unpackAt(handle, entry) : entry;
  }

  /**
   * As entryAt, but a packed collection stays packed (a PackedEntry passed off as an Entry): for
   * paths that read only the fields every entry has (kind, expiry, access time, accounting,
   * sealed name) or that drop the entry.
   */
  private rawAt(handle: number): Entry {
    const words = this.arena.words[handle >>> 17]!;
    const word = (handle & OFFSET_MASK) * 2;
    const length = words[word + W_VALUE_LENGTH]!;
    if (length === BOXED) return this.objects[words[word + W_AUX]!]!;
    if (isPackedLength(length)) return new PackedRecord(this.table, handle) as unknown as Entry;
    return new StoredString(this.table, handle);
  }

  /**
   * rawAt() for an entry looked at only while put() runs (memory accounting, expiry, LFU): a
   * string in the arena is given as `reused`, pointed at its record, instead of a new view, so
   * a SET or MSET that replaces a string allocates no object for either. Never handed out.
   */
  private passingAt(handle: number, reused: StoredString): Entry {
    const length = this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_VALUE_LENGTH]!;
    if (length === BOXED || isPackedLength(length)) return this.rawAt(handle);
    reused.handle = handle;
    return reused;
  }

  private peekRaw(key: string): Entry | undefined {
    const slot = this.table.find(key, hashKey(key));
    return slot < 0 ? undefined : this.rawAt(this.table.handleAt(slot));
  }

  /** Puts the unpacked form of a packed entry in its place (not a write: nothing is signalled). */
  private unpackAt(handle: number, packed: PackedForm): Entry {
    const key = this.table.keyOf(handle);
    const entry = this.packer!.unpack(this.uid, key, packed);
    const hash = hashKey(key);
    const slot = this.table.find(key, hash);
    this.tableEdits++;
    this.table.setHandle(slot, this.boxRecord(key, hash, entry));
    this.arena.free(handle, this.table.recordBytes(handle));
    entry.accounted = packed.accounted;
    this.observer?.changed(key, entry);
    this.unpacked.add(key);
    this.lastUnpacked = '';
    return entry;
  }

  /** Whether key holds a small collection packed at rest (tests, diagnostics); never unpacks it. */
  isPacked(key: string): boolean {
    const entry = this.peekRaw(key);
    return entry !== undefined && isPackedForm(entry);
  }

  /**
   * Key rotation of a collection packed in its record, without unpacking it: `renew` gets the
   * blob and its purpose (and with --seal-keys the sealed name, Purpose.KeyName) and returns it
   * sealed afresh (same length) or null to leave it. Returns whether it renewed either, or null
   * when key is not a packed record (rotate it as usual).
   */
  renewPacked(key: string, renew: (sealed: Buffer, purpose: Purpose) => Buffer | null): boolean | null {
    const slot = this.table.find(key, hashKey(key));
    if (slot < 0) return null;
    const handle = this.table.handleAt(slot);
    const entry = this.rawAt(handle);
    if (!(entry instanceof PackedRecord)) return null;
    const bytes = this.arena.bytes[handle >>> 17]!;
    const nameLength = this.table.nameLength(handle);
    const name = nameLength === 0 ? null : renew(bytes.subarray(this.table.nameAt(handle), this.table.nameAt(handle) + nameLength), Purpose.KeyName);
    if (name !== null) this.table.writeName(handle, name);
    const at = (handle & OFFSET_MASK) * 8 + RECORD_HEADER + this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_KEY_LENGTH]!;
    const fresh = renew(bytes.subarray(at, at + entry.blobLength), packedPurpose(entry.kind));
    if (fresh === null) return name !== null;
    if (fresh.length !== entry.blobLength) throw new Error('renewPacked: a renewed blob changed length');
    bytes.set(fresh, at);
    return true;
  }

  /**
   * A write made in the record of a collection packed there, which stays packed (a hash at rest:
   * commands/hashes/hash-entries.ts; setPackedSealed), instead of unpacking it for the cron to pack again. `blob` seals
   * the new blob of `length` bytes into the record: over the old one when the length is the same,
   * else in a block of the new size that keeps the key, expiry and access time. `count`,
   * `flag` and `intDeltas` replace the element count, encoding flag and a set's form; memory is
   * recounted and `event` signalled (notifications, dirty, WATCH) as for any write.
   */
  rewritePacked(key: string, record: PackedRecord, length: number, count: number, flag: boolean, event: KeyEvent, blob: PackedBlobWriter, intDeltas = record.intDeltas): void {
    let written = record;
    const resized = length !== record.blobLength;
    if (resized) {
      this.observer?.removed(key, record as unknown as Entry);
      if (fitsInBlock(record.blobAt, record.bodyBytes, length)) record.resize(length);
      else {
        this.tableEdits++;
        written = new PackedRecord(this.table, this.table.relocate(record.handle, PACKED_TAG | length, length));
      }
    }
    blob.sealInto(written.slab, written.blobAt);
    written.reshape(count, flag, intDeltas);
    if (resized) this.observer?.added(key, written as unknown as Entry);
    this.signal(key, event, record.kind);
  }

  /** Every entry as stored: packed collections stay packed (a PackedForm passed as an Entry). */
  forEachStored(visit: (key: string, entry: Entry) => void): void {
    this.forEachHandle((handle) => visit(this.table.keyOf(handle), this.rawAt(handle)));
  }

  /** Keys waiting to be packed once they rest (INFO, tests). */
  get unpackedCount(): number {
    return this.unpacked.size;
  }

  /**
   * Packs the small collections created since the last call (a new key is usually written once
   * and then rests: sessions, per-user sets). Packing them before the turn ends lets the next
   * turn's new keys reuse their structures' blocks, so a fill of many small keys never holds
   * more than a turn's worth unpacked. One that is written again is unpacked and then waits to
   * rest (compactSlice). Returns how many it packed.
   */
  compactFresh(): number {
    if (this.fresh.size === 0) return 0;
    const keys = this.fresh;
    this.fresh = new Set();
    let packed = 0;
    for (const key of keys) if (this.packKey(key)) packed++;
    return packed;
  }

  /**
   * Packs small collections untouched since `restedBefore` (unix ms), oldest candidates first,
   * until `deadline` (performance.now()): the cron's share of compaction. A collection still in
   * use stays a candidate; one too large to pack is dropped until it is unpacked or created
   * again. Returns how many it packed.
   */
  compactSlice(restedBefore: number, deadline: number): number {
    const packer = this.packer;
    if (packer === null || this.unpacked.size === 0) return 0;
    let packed = 0;
    let visited = 0;
    let busy = 0;
    for (const key of this.unpacked) {
      if ((++visited & 15) === 0 && performance.now() > deadline) break;
      // Candidates come about in order of last write: a long run still in use means the rest is too.
      if (busy > BUSY_RUN) break;
      const slot = this.table.find(key, hashKey(key));
      const handle = slot < 0 ? 0 : this.table.handleAt(slot);
      const entry = handle === 0 ? undefined : this.rawAt(handle);
      if (entry === undefined || isPackedForm(entry) || !isPackable(entry.kind)) {
        this.unpacked.delete(key);
        continue;
      }
      if (entry.touchedAt >= restedBefore) {
        busy++;
        continue;
      }
      busy = 0;
      this.unpacked.delete(key);
      if (this.packKey(key)) packed++;
    }
    return packed;
  }

  /** Packs key's collection if it is small enough; whether it did. */
  private packKey(key: string): boolean {
    const slot = this.table.find(key, hashKey(key));
    if (slot < 0) return false;
    const handle = this.table.handleAt(slot);
    const entry = this.rawAt(handle);
    if (isPackedForm(entry) || !isPackable(entry.kind)) return false;
    const small = this.packer!.pack(this.uid, key, entry);
    if (small === null) return false;
    // In the key's record, as a plain string is (its sealed name too): no object left for it at all.
    const packed = newPackedRecord(this.table, key, this.table.hashOf(handle), small, small.sealedName);
    this.tableEdits++;
    this.table.setHandle(slot, packed);
    // The record's accounting is a function of the record: counted afresh, not recounted.
    this.observer?.removed(key, entry);
    this.dispose(handle);
    this.observer?.added(key, new PackedRecord(this.table, packed) as unknown as Entry);
    return true;
  }

  /**
   * A new record for entry, with `name`, its key's sealed name (--seal-keys): a packed collection
   * or a string inline when it can be, the name in the record; else a pointer to the object,
   * which keeps the name.
   */
  private record(key: string, hash: number, entry: Entry, name: Buffer | undefined): number {
    if ((entry as unknown) instanceof PackedEntry) return newPackedRecord(this.table, key, hash, entry as unknown as PackedEntry, name);
    if (entry.kind !== Kind.String || entry.spilled !== undefined || entry.size > INLINE_VALUE_MAX) {
      entry.sealedName = name;
      return this.boxRecord(key, hash, entry);
    }
    const value = entry.value;
    const handle = this.table.newRecord(key, hash, value.length, value.length, name === undefined ? 0 : name.length);
    if (name !== undefined) this.arena.bytes[handle >>> 17]!.set(name, this.table.nameAt(handle));
    const stored = new StoredString(this.table, handle);
    stored.value = value;
    stored.expiresAt = entry.expiresAt;
    stored.touchedAt = entry.touchedAt;
    return handle;
  }

  private boxRecord(key: string, hash: number, entry: Entry): number {
    const index = this.freeObjects.pop() ?? this.objects.length;
    this.objects[index] = entry;
    const handle = this.table.newRecord(key, hash, BOXED, 0);
    this.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_AUX] = index;
    return handle;
  }

  /** Frees a record that left the table (its bytes stay readable until this turn is over). */
  private dispose(handle: number): void {
    const words = this.arena.words[handle >>> 17]!;
    const word = (handle & OFFSET_MASK) * 2;
    if (words[word + W_VALUE_LENGTH] === BOXED) {
      const index = words[word + W_AUX]!;
      // A value holding memory outside the V8 heap (a collection's arena blocks) gives it back
      // (readable until this turn ends: record-arena.ts).
      const entry = this.objects[index];
      if (entry !== undefined) opsOf(entry).release?.(entry);
      this.objects[index] = undefined;
      this.freeObjects.push(index);
    }
    this.arena.free(handle, this.table.recordBytes(handle));
  }

  /** Removes an entry whose time has passed (lazily or by the active cycle): 'expired'. */
  private expire(key: string): void {
    const slot = this.table.find(key, hashKey(key));
    if (slot < 0) return;
    this.stats.expiredKeys++;
    this.remove(key, slot, 'expired');
  }

  private remove(key: string, slot: number, event: KeyEvent): void {
    const handle = this.table.handleAt(slot);
    const old = this.rawAt(handle);
    const kind = old.kind;
    this.tableEdits++;
    this.table.removeAt(slot);
    this.observer?.removed(key, old);
    this.dispose(handle);
    this.volatile.delete(key);
    this.removing = old;
    try {
      this.signal(key, event, kind);
    } finally {
      this.removing = undefined;
    }
  }
}

/**
 * A packed blob kept this many bytes shorter than its block stays in it: a write that shortens
 * a value (HSET h f v over an 8-13 byte value) rewrote the record into a new block of the next
 * size class down, cold memory, each time (HSET of a 1-byte value cost more than of a 12-digit
 * one), where one that lengthens it by a byte or two stayed in its class. Bounded so a
 * collection that shrinks a lot gives its block back.
 */
const PACKED_SLACK_MAX = 64;

/** Whether a blob of `length` bytes fits the block holding one of `bodyBytes` at byte `blobAt` (8-aligned blocks), within PACKED_SLACK_MAX. */
function fitsInBlock(blobAt: number, bodyBytes: number, length: number): boolean {
  const room = ((blobAt + bodyBytes + 7) & ~7) - blobAt;
  return length <= room && room - length <= PACKED_SLACK_MAX;
}
