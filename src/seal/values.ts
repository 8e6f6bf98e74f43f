// Binds sealed values to where they live. The context given to the AEAD is
//   purpose (1 byte) | database uid (u32) | key length (u32) | key bytes | [field bytes]
// so a sealed string cannot be replayed as another key's value, another database's, or a hash
// field, and a hash field cannot move to another field or hash (a large hash's fields are bound
// to the keyed digest of their name). Lengths make the layout unambiguous.
// A sealed key name (--seal-keys) uses the same layout with database 0 and its name hash as the
// key: bound to the hash alone, it stays valid wherever the entry moves (MOVE, SWAPDB, COPY DB).
// String values longer than CHUNK_PLAIN are sealed in chunks (chunked.ts), under a purpose of
// their own: a chunk never opens as a small value. Hash fields and names are never chunked.
// Hashes seal a field's name with its value: a small hash all its pairs as one blob (HashPairs,
// bound to database and key), a large one each pair on its own (HashFieldName, bound to the
// name's digest as well, so a pair cannot be swapped for another field's).

import { plainBuffer } from '../util/bytes.js';
import { CHUNK_CONTEXT, ChunkedValues, chunkedSize, type Piece } from './chunked.js';
import { CHUNK_PLAIN, COMPACT_OVERHEAD, HEADER_BYTES, OVERHEAD as OVERHEAD_OF, Sealer } from './sealer.js';
import type { PreparedSeals } from './prepared.js';

/** Buffer's latin1Write is public at run time but missing from @types/node; it skips write()'s encoding lookup. */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

/**
 * What a sealed blob is, written first into its context: a blob never opens as another kind.
 * Elements of collections (lists, sets, sorted sets, streams) are bound to database and key,
 * plus what names them where that is fixed (a stream entry's id), never to a position: they
 * move (LINSERT, SMOVE, ZADD of a new score) without being re-sealed.
 */
export const enum Purpose {
  StringValue = 1,
  /** A small hash's fields and values, sealed together (commands/hashes/hash-fields.ts). */
  HashPairs = 2,
  KeyName = 3,
  ChunkedValue = 4,
  ListElement = 5,
  SetMember = 6,
  ZSetMember = 7,
  StreamEntry = 8,
  /** One field of a large hash: its name and value sealed together, bound to the name's digest. */
  HashFieldName = 9,
  /** A small list, set or sorted set at rest: every element sealed together (src/seal/packing.ts). */
  PackedList = 10,
  PackedSet = 11,
  PackedZSet = 12,
  /** A large list's node: the plaintext of several elements sealed together, bound to the node's id (src/seal/list-codec.ts). */
  ListNode = 13,
  /** A large set's node: the plaintext of several members sealed together, bound to the node's serial (src/seal/set-codec.ts). */
  SetNode = 14,
}

/** Purposes of collection elements, sealed through sealElement / openElement. */
export type ElementPurpose = Purpose.ListElement | Purpose.SetMember | Purpose.ZSetMember | Purpose.StreamEntry | Purpose.HashFieldName | Purpose.HashPairs
  | Purpose.PackedList | Purpose.PackedSet | Purpose.PackedZSet | Purpose.ListNode | Purpose.SetNode;

/** What an element is bound to beside its key: a name (latin1) or its bytes (a hash field's digest). */
export type Bind = string | Uint8Array;

/** An element context written into the sealer (SealedValues.prepareOpen). */
export interface PreparedContext {
  readonly purpose: ElementPurpose;
  readonly db: number;
  readonly key: string;
  readonly bind: Bind | undefined;
  length: number;
  stamp: number;
}

/** Sealed names are not tied to a database: see the header comment. */
const ANY_DB = 0;

export class SealedValues {
  /** Plaintext passing through renew(): wiped after every value. */
  private scratch = Buffer.allocUnsafeSlow(1024);

  private readonly chunks: ChunkedValues;

  /**
   * Seals made ahead for the command being applied (commands/values/bulk.ts), or null: a seal asked
   * for with exactly their context and plaintext, under the data key still current, is taken
   * from them instead of being made again.
   */
  prepared: PreparedSeals | null = null;
  /** A value of `length` zeros a seal worker sealed for the command being applied (sealSparseValue), or null. */
  preparedZeros: { db: number; key: string; sealed: Buffer } | null = null;

  constructor(private readonly sealer: Sealer) {
    this.chunks = new ChunkedValues(sealer);
  }

  /** The id of the data key values are sealed under now. */
  get currentKeyId(): number {
    return this.sealer.currentKeyId;
  }

  sealValue(db: number, key: string, plain: Uint8Array): Buffer {
    if (this.prepared !== null) {
      if (plain.length > CHUNK_PLAIN) {
        // A chunked value a seal worker made (commands/values/offload.ts): its own buffer, taken as it is.
        const made = this.prepared.find(Purpose.StringValue, db, key, plain, undefined);
        if (made instanceof Buffer && made.length === chunkedSize(plain.length) && Sealer.keyId(made) === this.sealer.currentKeyId) return made;
      }
      const made = this.preparedFor(Purpose.StringValue, db, key, plain, undefined);
      if (made !== null) return this.sealer.copyIn(made);
    }
    if (plain.length > CHUNK_PLAIN) return this.chunks.seal(plain, this.chunkedContext(db, key));
    return this.sealer.sealIn(plain, this.context(Purpose.StringValue, db, key, undefined));
  }

  /** Whether sealSparseValue(db, key, length) would take preparedZeros (under the data key still current). */
  hasZerosFor(db: number, key: string, length: number): boolean {
    const zeros = this.preparedZeros;
    return zeros !== null && zeros.db === db && zeros.key === key && Sealer.plainLength(zeros.sealed) === length && Sealer.keyId(zeros.sealed) === this.sealer.currentKeyId;
  }

  /**
   * A chunked string value of `length` (> CHUNK_PLAIN) bytes that is zeros but for `pieces`,
   * sealed without its plaintext ever being made (SETRANGE, SETBIT far past the end); into
   * `into` (chunkedSize(length) bytes) when given: a seal worker's output. A value of zeros a
   * worker sealed for this db, key and length (preparedZeros, offload.ts) only has the chunks
   * the pieces touch sealed again.
   */
  sealSparseValue(db: number, key: string, length: number, pieces: readonly Piece[], into?: Buffer): Buffer {
    if (length <= CHUNK_PLAIN) throw new RangeError('only values longer than a chunk are sealed in chunks');
    if (into === undefined && this.hasZerosFor(db, key, length)) {
      const zeros = this.preparedZeros!.sealed;
      this.preparedZeros = null;
      return this.chunks.writeIntoZeros(zeros, pieces, this.chunkedContext(db, key));
    }
    return this.chunks.sealPieces(length, pieces, this.chunkedContext(db, key), into);
  }

  /**
   * Seals plain as a chunked string value (plain.length > CHUNK_PLAIN) into `out`, of
   * chunkedSize(plain.length) bytes: what a seal worker does for sealValue (seal-workers.ts).
   */
  sealChunkedInto(db: number, key: string, plain: Uint8Array, out: Buffer): void {
    if (plain.length <= CHUNK_PLAIN) throw new RangeError('only values longer than a chunk are sealed in chunks');
    this.chunks.seal(plain, this.chunkedContext(db, key), out);
  }

  /** The plaintext in a fresh buffer (the caller wipes it); throws SealError. */
  openValue(db: number, key: string, sealed: Buffer): Buffer {
    const plain = plainBuffer(Sealer.plainLength(sealed));
    if (Sealer.isChunked(sealed)) this.chunks.openAll(sealed, this.chunkedContext(db, key), plain, 0);
    else this.sealer.openIn(plain, 0, sealed, this.context(Purpose.StringValue, db, key, undefined));
    return plain;
  }

  /**
   * Opens plaintext bytes [from, to) of a string value into target at offset; a chunked value
   * opens only the chunks they lie in (GETRANGE). Throws SealError, leaving no plaintext behind.
   */
  openValueRange(db: number, key: string, sealed: Buffer, from: number, to: number, target: Uint8Array, offset: number): void {
    if (Sealer.isChunked(sealed)) return this.chunks.openRange(sealed, this.chunkedContext(db, key), from, to, target, offset);
    const plain = this.openValue(db, key, sealed);
    target.set(plain.subarray(from, to), offset);
    plain.fill(0);
  }

  /**
   * Writes bytes at offset into a chunked string value (SETRANGE, APPEND), re-sealing only the
   * chunks they touch; in place when `inPlace` and it fits. Returns the value. Throws SealError.
   */
  editValue(db: number, key: string, sealed: Buffer, offset: number, bytes: Uint8Array, inPlace: boolean): Buffer {
    return this.chunks.edit(sealed, this.chunkedContext(db, key), offset, bytes, inPlace);
  }

  /** sealValue() writing into out at `at` (Sealer.sealAt): out needs OVERHEAD + plain.length bytes there. */
  sealValueAt(db: number, key: string, plain: Uint8Array, out: Buffer, at: number): void {
    if (this.prepared !== null) {
      const made = this.preparedFor(Purpose.StringValue, db, key, plain, undefined);
      if (made !== null) return void out.set(made, at);
    }
    this.sealer.sealAt(plain, this.context(Purpose.StringValue, db, key, undefined), out, at);
  }

  /**
   * sealValueAt() right after openValueAt() of the same key (a counter's INCR): the context the
   * open wrote is used again unless another was written since.
   */
  resealValueAt(db: number, key: string, plain: Uint8Array, out: Buffer, at: number): void {
    if (this.prepared !== null) return this.sealValueAt(db, key, plain, out, at);
    this.sealer.sealAt(plain, this.reusedContext(Purpose.StringValue, db, key), out, at);
  }

  /** Opens a string value of `length` bytes at `start` in src straight into target at offset (Sealer.openAt). */
  openValueAt(db: number, key: string, src: Buffer, start: number, length: number, target: Uint8Array, offset: number): void {
    this.sealer.openAt(target, offset, src, start, length, this.writtenContext(Purpose.StringValue, db, key));
  }

  /** Seals a collection element of `purpose` for key (and `bind`, a name it keeps wherever it moves). */
  sealElement(purpose: ElementPurpose, db: number, key: string, plain: Uint8Array, bind?: Bind): Buffer {
    if (this.prepared !== null) {
      const made = this.preparedFor(purpose, db, key, plain, bind);
      if (made !== null) return this.sealer.copyIn(made);
    }
    return this.sealer.sealIn(plain, this.context(purpose, db, key, bind));
  }

  /** The element's plaintext in a fresh buffer (the caller wipes it); throws SealError. */
  openElement(purpose: ElementPurpose, db: number, key: string, sealed: Buffer, bind?: Bind): Buffer {
    const plain = plainBuffer(Sealer.plainLength(sealed));
    this.sealer.openIn(plain, 0, sealed, this.context(purpose, db, key, bind));
    return plain;
  }

  /** sealElement() writing into out at `at` (OVERHEAD + plain.length bytes there). */
  sealElementAt(purpose: ElementPurpose, db: number, key: string, plain: Uint8Array, out: Buffer, at: number, bind?: Bind): void {
    if (this.prepared !== null) {
      const made = this.preparedFor(purpose, db, key, plain, bind);
      if (made !== null) return void out.set(made, at);
    }
    this.sealer.sealAt(plain, bind === undefined ? this.reusedContext(purpose, db, key) : this.context(purpose, db, key, bind), out, at);
  }

  /**
   * A packed collection's blob sealed in the compact form (sealer.ts) into out at `at` (room for
   * OVERHEAD + plain.length bytes there); returns its length, 8 bytes less.
   */
  sealCompactAt(purpose: ElementPurpose, db: number, key: string, plain: Uint8Array, out: Buffer, at: number): number {
    this.sealer.sealAt(plain, this.reusedContext(purpose, db, key), out, at, true);
    return COMPACT_OVERHEAD + plain.length;
  }

  /** Opens a compact blob (sealCompactAt) of `length` bytes at src[start] where it lies, into target at offset; throws SealError. */
  openCompactAt(purpose: ElementPurpose, db: number, key: string, src: Buffer, start: number, length: number, target: Uint8Array, offset: number): void {
    this.sealer.openAt(target, offset, src, start, length, this.reusedContext(purpose, db, key), true);
  }

  /** The last context writtenContext() wrote, while no other was written since (Sealer.contextWrites). */
  private readonly lastContext = { purpose: 0 as Purpose, db: -1, key: '', stamp: -1, length: 0 };

  /**
   * The context of a string value or of a blob bound to its key alone (a packed collection's, a
   * small hash's pairs), written only when it is not the one written last: a write made in a
   * blob, or an INCR of a counter (resealValueAt), opens and seals under the same one.
   */
  private reusedContext(purpose: Purpose, db: number, key: string): number {
    const last = this.lastContext;
    if (last.stamp === this.sealer.contextWrites && last.purpose === purpose && last.db === db && last.key === key) return last.length;
    return this.writtenContext(purpose, db, key);
  }

  /** The context written (and remembered for reusedContext), with no comparison first: an open that a seal of the same key may follow. */
  private writtenContext(purpose: Purpose, db: number, key: string): number {
    const last = this.lastContext;
    last.length = this.context(purpose, db, key, undefined);
    last.stamp = this.sealer.contextWrites;
    last.purpose = purpose;
    last.db = db;
    last.key = key;
    return last.length;
  }

  /** A compact blob (sealCompactAt) re-sealed under the current key, same home, compact again (key rotation); throws SealError. */
  renewCompact(purpose: ElementPurpose, db: number, key: string, compact: Buffer): Buffer {
    const fresh = Buffer.allocUnsafeSlow(compact.length);
    const length = Math.max(0, compact.length - COMPACT_OVERHEAD);
    if (length > this.scratch.length) {
      this.scratch.fill(0);
      this.scratch = Buffer.allocUnsafeSlow(Math.max(length, this.scratch.length * 2));
    }
    const contextLength = this.context(purpose, db, key, undefined);
    try {
      this.sealer.openAt(this.scratch, 0, compact, 0, compact.length, contextLength, true);
      this.sealer.sealAt(this.scratch.subarray(0, length), contextLength, fresh, 0, true);
      return fresh;
    } finally {
      this.scratch.fill(0, 0, length);
    }
  }

  /** Opens an element of `length` sealed bytes at `start` in src into target at offset (a reply buffer); throws SealError. */
  openElementAt(
    purpose: ElementPurpose, db: number, key: string, src: Buffer, start: number, length: number,
    target: Uint8Array, offset: number, bind?: Bind,
  ): void {
    this.sealer.openAt(target, offset, src, start, length, bind === undefined ? this.reusedContext(purpose, db, key) : this.context(purpose, db, key, bind));
  }

  /**
   * The context of key's elements, written once for a run of openPreparedAt() calls (a range
   * reply opens ten members of one key: one context instead of ten).
   */
  prepareOpen(purpose: ElementPurpose, db: number, key: string, bind?: Bind): PreparedContext {
    const length = this.context(purpose, db, key, bind);
    return { purpose, db, key, bind, length, stamp: this.sealer.contextWrites };
  }

  /** openElementAt() with a prepared context, written again only if something wrote another since. */
  openPreparedAt(prepared: PreparedContext, src: Buffer, start: number, length: number, target: Uint8Array, offset: number): void {
    if (prepared.stamp !== this.sealer.contextWrites) {
      prepared.length = this.context(prepared.purpose, prepared.db, prepared.key, prepared.bind);
      prepared.stamp = this.sealer.contextWrites;
    }
    this.sealer.openAt(target, offset, src, start, length, prepared.length);
  }

  /** An element re-sealed under the current key, same home (key rotation); throws SealError. */
  renewElement(purpose: ElementPurpose, db: number, key: string, sealed: Buffer, bind?: Bind): Buffer {
    return this.renew(sealed, this.context(purpose, db, key, bind));
  }

  /** An element re-sealed for another key or database (RENAME, COPY, MOVE, SMOVE, LMOVE); the plaintext is wiped. */
  resealElement(purpose: ElementPurpose, fromDb: number, fromKey: string, toDb: number, toKey: string, sealed: Buffer, bind?: Bind): Buffer {
    const plain = this.openElement(purpose, fromDb, fromKey, sealed, bind);
    try {
      return this.sealElement(purpose, toDb, toKey, plain, bind);
    } finally {
      plain.fill(0);
    }
  }

  /** Any element or value re-sealed for another home, by what it is (RENAME, COPY, MOVE of any type). */
  resealAny(purpose: Purpose, fromDb: number, fromKey: string, toDb: number, toKey: string, sealed: Buffer, bind: string | undefined): Buffer {
    if (purpose === Purpose.StringValue || purpose === Purpose.ChunkedValue) return this.resealValue(fromDb, fromKey, toDb, toKey, sealed);
    if (purpose === Purpose.KeyName) throw new Error('key names are sealed for their key, never moved');
    return this.resealElement(purpose, fromDb, fromKey, toDb, toKey, sealed, bind);
  }

  /** Any element or value re-sealed under the current key, same home, by what it is (key rotation). */
  renewAny(purpose: Purpose, db: number, key: string, sealed: Buffer, bind: string | undefined): Buffer {
    if (purpose === Purpose.StringValue || purpose === Purpose.ChunkedValue) return this.renewValue(db, key, sealed);
    if (purpose === Purpose.KeyName) return this.renewName(key, sealed);
    return this.renewElement(purpose, db, key, sealed, bind);
  }

  /**
   * Re-seals a value under the current key (key rotation): same home, so the context is
   * written once for both the open and the seal, and the plaintext passes through one reused
   * scratch buffer that is wiped after each value. Throws SealError.
   */
  renewValue(db: number, key: string, sealed: Buffer, chunkBudget = Infinity): Buffer {
    // A chunked value is renewed in place, `chunkBudget` chunks at a time (ChunkedValues.renew).
    if (Sealer.isChunked(sealed)) return this.chunks.renew(sealed, this.chunkedContext(db, key), chunkBudget);
    return this.renew(sealed, this.context(Purpose.StringValue, db, key, undefined));
  }

  /** renewValue for a sealed key name (--seal-keys yes). */
  renewName(key: string, sealed: Buffer): Buffer {
    return this.renew(sealed, this.context(Purpose.KeyName, ANY_DB, key, undefined));
  }

  /** Seals a key name's bytes, bound to its lookup hash. */
  sealName(key: string, name: Uint8Array): Buffer {
    return this.sealer.sealIn(name, this.context(Purpose.KeyName, ANY_DB, key, undefined));
  }

  /** sealName() written into out at `at` (Sealer.OVERHEAD bytes more than the name). */
  sealNameAt(key: string, name: Uint8Array, out: Buffer, at: number): void {
    this.sealer.sealAt(name, this.context(Purpose.KeyName, ANY_DB, key, undefined), out, at);
  }

  /** Opens a sealed key name into target at offset (Sealer.plainLength(sealed) bytes); throws SealError. */
  openNameInto(key: string, sealed: Buffer, target: Uint8Array, offset: number): void {
    this.sealer.openIn(target, offset, sealed, this.context(Purpose.KeyName, ANY_DB, key, undefined));
  }

  /** Re-seals a string value for a new home (RENAME, MOVE, COPY); the plaintext is wiped. */
  resealValue(fromDb: number, fromKey: string, toDb: number, toKey: string, sealed: Buffer): Buffer {
    const plain = this.openValue(fromDb, fromKey, sealed);
    try {
      return this.sealValue(toDb, toKey, plain);
    } finally {
      plain.fill(0);
    }
  }


  /** A prepared seal for exactly this one, made under the data key still current; else null. */
  private preparedFor(purpose: Purpose, db: number, key: string, plain: Uint8Array, bind: Bind | undefined): Uint8Array | null {
    const made = this.prepared!.find(purpose, db, key, plain, bind);
    return made !== null && made.length === OVERHEAD_OF + plain.length && Sealer.keyId(made) === this.sealer.currentKeyId ? made : null;
  }

  private renew(sealed: Buffer, contextLength: number): Buffer {
    const length = Sealer.plainLength(sealed);
    if (length > this.scratch.length) {
      this.scratch.fill(0);
      this.scratch = Buffer.allocUnsafeSlow(Math.max(length, this.scratch.length * 2));
    }
    try {
      this.sealer.openIn(this.scratch, 0, sealed, contextLength);
      return this.sealer.sealIn(this.scratch.subarray(0, length), contextLength);
    } finally {
      this.scratch.fill(0, 0, length);
    }
  }

  /** A chunked value's context, with room for each chunk's part (chunked.ts). */
  private chunkedContext(db: number, key: string): number {
    return this.context(Purpose.ChunkedValue, db, key, undefined, CHUNK_CONTEXT);
  }

  /**
   * Writes the context into the sealer's associated-data area (with `reserve` bytes of room
   * after it); returns its length.
   */
  private context(purpose: Purpose, db: number, key: string, field: Bind | undefined, reserve = 0): number {
    const length = 9 + key.length + (field === undefined ? 0 : field.length);
    const s = this.sealer.contextArea(length + reserve) as Latin1Writable;
    s[HEADER_BYTES] = purpose;
    // By hand, as Sealer.sealAt writes its key id: writeUInt32BE checks its arguments in JS
    // first, and every string value's open and seal (two for an INCR) come here.
    writeU32(s, db >>> 0, HEADER_BYTES + 1);
    writeU32(s, key.length, HEADER_BYTES + 5);
    writeLatin1(s, key, HEADER_BYTES + 9);
    if (typeof field === 'string') writeLatin1(s, field, HEADER_BYTES + 9 + key.length);
    else if (field !== undefined) s.set(field, HEADER_BYTES + 9 + key.length);
    return length;
  }
}

/** A 32-bit unsigned integer, big-endian, at `at`. */
function writeU32(s: Uint8Array, n: number, at: number): void {
  s[at] = n >>> 24;
  s[at + 1] = (n >>> 16) & 0xff;
  s[at + 2] = (n >>> 8) & 0xff;
  s[at + 3] = n & 0xff;
}

/**
 * A latin1 string's bytes at `at`. Short ones in a JS loop: the native latin1Write costs
 * ~100-400 ns a call, which was a third of sealing each element of a 2 M-element RPUSH.
 */
function writeLatin1(s: Latin1Writable, text: string, at: number): void {
  const n = text.length;
  if (n > 32) {
    s.latin1Write(text, at);
    return;
  }
  for (let i = 0; i < n; i++) s[at + i] = text.charCodeAt(i);
}

export { Sealer, SealError } from './sealer.js';
