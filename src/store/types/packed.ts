// A small collection at rest: every element of a list, set or sorted set sealed together as ONE
// blob (Redis keeps such collections as one listpack or intset for the same reason), instead of
// a structure of elements sealed one by one. A seal costs 45 bytes and a structure a few hundred
// bytes of objects and blocks, so a collection of a few elements costs several times Redis's
// memory unpacked and about what Redis does packed (bench/memory.ts).
//
// Most commands never see this form. The keyspace unpacks a packed entry into its usual
// structure the moment anything asks for it (Keyspace.entryAt: a write, DUMP, rotation,
// RENAME...); the everyday reads (LRANGE, SMEMBERS, SISMEMBER, ZRANGE, ZSCORE, the counts...) answer
// from the blob instead and leave it packed (commands/values/packed-reads.ts), and SADD, ZADD, ZINCRBY,
// ZREM and the pops of a small set or sorted set at rest, and the pushes, pops, LSET, LINSERT,
// LREM and LTRIM of a small list at rest, are made in its blob (commands/values/at-rest.ts). The keyspace packs again a small collection
// nobody has touched for a while (Keyspace.compactSlice, from the server's cron). Opening and sealing are not the store's business: a Packer does both
// (src/seal/packing.ts), so the store stays free of crypto and of plaintext.
//
// The blob's plaintext (only inside the packer, wiped after use), elements in order:
//   list:  varint length, bytes
//   set:   varint tag: even, an integer member (canonical decimal of at most 15 digits, as an
//          intset holds) as zigzag(n) * 2, its digits written back on unpacking; odd, length * 2
//          + 1 and the bytes (any other member)
//   set whose members all are such integers and that Redis holds as an intset (`intDeltas`):
//          Redis's intset order (ascending), the first as varint zigzag(n), each next one as
//          varint (n - previous - 1): a few bytes for the whole set where members lie close
//          (ids, counters), instead of 3-4 bytes per member; replies sort an intset's members
//          by value anyway, so the order the set keeps them in shows nowhere
//   zset:  score (an integer as a zigzag varint, else a marker and a float64), varint length,
//          bytes     (in score/member order)
// sealed under Purpose.PackedList / PackedSet / PackedZSet, bound to database and key. A small
// hash is packed as it is: its form is one sealed blob of its pairs already (hash-fields.ts).

import { Kind, type Entry } from '../entry.js';

export type PackableKind = Kind.Hash | Kind.List | Kind.Set | Kind.ZSet;

/** The packed entry object (V8, 64-bit) and its blob string's header (memory accounting). */
export const PACKED_OVERHEAD = 72;

/**
 * At most this many elements and plaintext bytes are packed: every first write after a rest
 * unpacks (one open, a seal and a digest per element), and a read answered from the blob scans
 * it whole, so this bounds those costs (tens of µs).
 * Redis's own listpack limits are 128 entries of 64 bytes.
 */
export const PACK_MAX_ELEMENTS = 64;
export const PACK_MAX_BYTES = 2048;

export class PackedEntry {
  expiresAt: number;
  touchedAt: number;
  accounted: number;
  sealedName: Buffer | undefined;
  /** Writes made at rest in a row, each within the in-use window of the last touch (commands/values/at-rest.ts packedAtRest). */
  heat = 0;

  constructor(
    readonly kind: PackableKind,
    /** The sealed blob, as a latin1 string of its bytes. */
    readonly blob: string,
    /** Elements in the blob. */
    readonly count: number,
    /** What Redis's encoding would be beside the elements: a set's intset flag, a zset's skiplist flag (SORT sets it). */
    public flag: boolean,
    /** What it takes over from the entry it stands for (or a new key's: no expiry, no name). */
    from: Pick<Entry, 'expiresAt' | 'touchedAt' | 'accounted' | 'sealedName'>,
    /** A set's blob holds its integers as ascending deltas (the form above). */
    readonly intDeltas = false,
  ) {
    this.expiresAt = from.expiresAt;
    this.touchedAt = from.touchedAt;
    this.accounted = from.accounted ?? 0;
    this.sealedName = from.sealedName;
  }

  get blobLength(): number {
    return this.blob.length;
  }

  /** No buffer holds the blob: it is a string (PackedLike.slab). */
  get slab(): null {
    return null;
  }

  get blobAt(): number {
    return 0;
  }

  copyBlob(to: Buffer, at: number): void {
    (to as Buffer & { latin1Write(text: string, offset: number): number }).latin1Write(this.blob, at);
  }
}

/** What a packed collection shows, in either form (this object, or its key's record: packed-record.ts). */
export interface PackedLike {
  readonly kind: PackableKind;
  readonly blob: string;
  /** The sealed blob's length in bytes (blob.length, without making the string of a record's). */
  readonly blobLength: number;
  /** Copies the sealed blob's bytes to `to` at `at` (the packer's input: no string made of a record's). */
  copyBlob(to: Buffer, at: number): void;
  /** The buffer the blob lies in at blobAt, to be opened there (a record's slab), or null when it is a string (copyBlob). */
  readonly slab: Buffer | null;
  readonly blobAt: number;
  readonly count: number;
  readonly flag: boolean;
  readonly intDeltas: boolean;
  heat: number;
  expiresAt: number;
  touchedAt: number;
  accounted: number;
  sealedName: Buffer | undefined;
}

/**
 * One element of a packed collection being read: its bytes at bytes[start, start + length)
 * (valid during the call only), a sorted set's score (NaN for others). False stops the walk.
 */
export type PackedVisitor = (bytes: Buffer, start: number, length: number, score: number) => boolean | void;

/** Turns small collections into packed entries and back; the one part that opens and seals. */
export interface Packer {
  /**
   * The collection packed, or null when it stays as it is (too large, or an element failed to
   * open). `db` and `key` are what its elements are bound to.
   */
  pack(db: number, key: string, entry: Entry): PackedEntry | null;
  /** The collection the packed entry stands for, with the same expiry, access time and name. Throws SealError. */
  unpack(db: number, key: string, packed: PackedLike): Entry;
  /**
   * A new set or sorted set packed straight from a command's plaintext (SADD or ZADD creating a
   * small key), so it never exists with a seal per member: `members` distinct, in the order the
   * collection keeps them (a sorted set's: by score, then bytes), `scores` beside a sorted set's,
   * `flag` as pack() would keep it. Null when they are past packing's limits.
   */
  /**
   * Opens a packed list, set or sorted set once and shows `visit` its elements in the
   * collection's order (a set's integers as their digits), leaving it packed: read commands
   * answer from it without unpacking (commands/values/packed-reads.ts). The plaintext is wiped before it
   * returns. Not for a hash (unpacking one opens nothing). Throws SealError.
   */
  read(db: number, key: string, packed: PackedLike, visit: PackedVisitor): void;
  packNew(db: number, key: string, kind: Kind.Set | Kind.ZSet, members: readonly Uint8Array[], scores: readonly number[] | null, flag: boolean, touchedAt: number): PackedEntry | null;
  /**
   * Seals a sorted set whose members lie in one buffer (a write made in the blob:
   * commands/zsets/zset-rest.ts) as its new blob, returned as editList() returns it; null past
   * packing's limits.
   */
  packZSet(db: number, key: string, members: FlatZSet): Buffer | null;
  /**
   * A packed list, set or sorted set sealed for another home (RENAME, COPY, MOVE): its blob opened
   * once and sealed again for `toKey` in database `toDb`, as a new packed entry with the same
   * elements, encoding flag, form and expiry, touched at `touchedAt`; the plaintext wiped before it
   * returns. Not for a hash. Throws SealError.
   */
  moveTo(db: number, key: string, packed: PackedLike, toDb: number, toKey: string, touchedAt: number): PackedEntry;
  /**
   * A write made in a packed list's blob (commands/lists/lists-packed.ts): opens it once into the
   * packer's scratch and lets `edit` rewrite the plaintext in place (the list form above, within
   * PACK_MAX_BYTES), then seals what it leaves as the list's new blob, returned as a view of the
   * packer's sealed scratch (ciphertext; valid until the packer's next call). `edit` returns the
   * new plaintext length, or -1 to leave the list as it is (null returned). The plaintext is
   * wiped before it returns. Throws SealError.
   */
  editList(db: number, key: string, packed: PackedLike, edit: ListBlobEdit): Buffer | null;
  /**
   * SADD made in a packed set's blob (commands/sets/sets.ts): opens it once, marks in `out.found`
   * the members (members.at(first + i), i < count, at most 30) it holds, and, when some are new
   * and `grow` allows, appends them and seals the set as its new blob (`out.sealed`, a view as
   * editList() returns it; `out.count`, `out.intDeltas` its shape, `intset` Redis's encoding
   * flag it keeps). `out.sealed` stays null when nothing is new, `grow` is false, or the set
   * would pass packing's limits. The plaintext is wiped before it returns. Throws SealError.
   */
  addToSet(db: number, key: string, packed: PackedLike, members: MemberList, first: number, count: number, grow: boolean, intset: boolean, out: SetAddition): void;
  /**
   * SREM, SPOP and SMOVE's source made in a packed set's blob (commands/sets/set-rest.ts): opens it
   * once and lets `edit` find, show and remove its members (an OpenedSet, valid during the call
   * only), then, when it removed some and left some, writes the rest again as packNew() would
   * (the integer-deltas form for an intset of such integers, `edit`'s intset flag kept) and
   * seals it as the set's new blob (`out.sealed`, a view as editList() returns it). `out.count`
   * is what is left (0: emptied, nothing sealed); `out.sealed` stays null when nothing was
   * removed. The plaintext is wiped before it returns. Throws SealError.
   */
  editSet(db: number, key: string, packed: PackedLike, edit: SetBlobEdit, out: SetEdit): void;
}

/**
 * A packed set opened in the packer's scratch (Packer.editSet): its members at positions 0 to
 * size - 1, in the blob's order.
 */
export interface OpenedSet {
  /** Members left. */
  readonly size: number;
  /** Redis's encoding of the set as written back: its intset flag, as stored until changed. */
  intset: boolean;
  /** The position of the member with these bytes, or -1. */
  indexOf(member: Uint8Array): number;
  /** Shows the member at `position` as bytes[start, start + length), until the edit returns (a view of the scratch, no copy). */
  show(position: number): void;
  readonly bytes: Buffer;
  readonly start: number;
  readonly length: number;
  /** Takes the member at `position` out: those after it move up one position. */
  remove(position: number): void;
}

/** An edit of an OpenedSet (Packer.editSet). */
export type SetBlobEdit = (set: OpenedSet) => void;

/** What Packer.editSet() made: the new blob or null, and the set's shape. */
export interface SetEdit {
  sealed: Buffer | null;
  count: number;
  flag: boolean;
  intDeltas: boolean;
}

/** A command's arguments as addToSet() reads them (an ArgList). */
export interface MemberList {
  at(index: number): Uint8Array | undefined;
}

/** What Packer.addToSet() found and made. */
export interface SetAddition {
  /** Bit i: member i was in the set already. */
  found: number;
  /** Members added (0 when the blob was left as it was). */
  added: number;
  /** The new blob, or null (see addToSet). */
  sealed: Buffer | null;
  count: number;
  intDeltas: boolean;
}

/** A sorted set's members in its order, member k at bytes[starts[k], starts[k] + lengths[k]) with scores[k]. */
export interface FlatZSet {
  readonly bytes: Buffer;
  readonly starts: Int32Array;
  readonly lengths: Int32Array;
  readonly scores: Float64Array;
  readonly count: number;
}

/** Rewrites a packed list's plaintext plain[0, length) in place; the new length, or -1 for no change. */
export type ListBlobEdit = (plain: Buffer, length: number) => number;

export function isPackable(kind: Kind): kind is PackableKind {
  return kind === Kind.Hash || kind === Kind.List || kind === Kind.Set || kind === Kind.ZSet;
}
