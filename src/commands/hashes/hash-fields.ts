// Opening and sealing a hash's fields for one command (store/types/hash-fields.ts has the two
// forms). Field names are never kept in plaintext: a small hash's pairs are opened together,
// a large hash's field is found by the keyed digest of its name and opened alone. Plaintext
// passes through one scratch buffer per process (commands run one at a time), wiped by done()
// before the command returns: callers use HashAccess in try/finally.
//
// Binding: a small hash's blob is bound to database and key (Purpose.HashPairs); a large hash's
// field to database, key and its name's digest (Purpose.HashFieldName), so a field's sealed
// blob cannot be moved under another name, and a name cannot be paired with another's value.

import { DIGEST_BYTES, FieldTable } from '../../store/types/field-table.js';
import { HashFields, PACKED_MAX_BYTES, sealedNow, sealedString, writeSealed } from '../../store/types/hash-fields.js';
import { fieldBytes, pairBytes, PairReader, writeField, writePair } from '../../store/types/hash-pairs.js';
import { OVERHEAD } from '../../seal/sealer.js';
import { copyHeld, dropHeld, heldLength, hold } from './hash-turn.js';
import { ExactViews } from '../../util/bytes.js';
import { Purpose } from '../../seal/values.js';
import type { PackedRecord } from '../../store/packed-record.js';
import type { Server, Session } from '../types.js';

/** What opening a hash needs of a session: the server's sealing and digests, and the database's binding. */
export interface HashContext {
  readonly server: Pick<Server, 'values' | 'members'>;
  readonly db: { readonly uid: number };
}

/** Scratch sizes kept between commands; larger ones are dropped once used. */
const KEEP_BYTES = 64 * 1024;

/** Plaintext of the command running (opened blob, or a blob being built); wiped by done(). */
let plain: Buffer = Buffer.allocUnsafeSlow(4096).fill(0);
/** Exact-length views of `plain` (sealing the first n bytes makes no view object); made anew when `plain` is. */
let plainViews = new ExactViews(plain);

function plainView(length: number): Uint8Array {
  if (plainViews.of !== plain) plainViews = new ExactViews(plain);
  return plainViews.get(length);
}
/** Plaintext of one field being sealed (conversion to a table); wiped by done(). */
let fieldPlain: Buffer = Buffer.allocUnsafeSlow(1024).fill(0);
/** Exact-length views of `fieldPlain`, as plainViews are of `plain`. */
let fieldViews = new ExactViews(fieldPlain);
/** Sealed bytes on their way in or out (ciphertext only: never wiped). */
let sealedIn: Buffer = Buffer.allocUnsafeSlow(4096);
const digest = Buffer.alloc(DIGEST_BYTES);
/**
 * The digest of the name a table lookup last took (HINCRBY's or HSETNX's lookup before its
 * set), the argument it was of and the hasher that made it: the next set() or delete() of the
 * same argument reuses it instead of digesting again, then forgets it, so a buffer reused for
 * another name is digested anew.
 */
const lookedUp = Buffer.alloc(DIGEST_BYTES);
let lookedUpName: Uint8Array | null = null;
let lookedUpBy: unknown = null;

/** Zeroes bytes[from, to) with TypedArray's fill: Buffer's own checks its arguments in JS first, a visible share of a hash write. */
function wipe(bytes: Buffer, from: number, to: number): void {
  Uint8Array.prototype.fill.call(bytes, 0, from, to);
}

function grow(buf: Buffer, need: number, keep: number): Buffer {
  if (need <= buf.length) return buf;
  const next = Buffer.allocUnsafeSlow(Math.max(need, buf.length * 2));
  if (keep > 0) buf.copy(next, 0, 0, keep);
  buf.fill(0);
  return next;
}

/** Redis's listpack limits (CONFIG hash-max-listpack-entries / -value), read per write. */
export interface ListpackLimits {
  entries: number;
  value: number;
}

/** The limits now, written into `into` when given (a command's reused object: no object per write). */
export function listpackLimits(ctx: Session, into: ListpackLimits = { entries: 0, value: 0 }): ListpackLimits {
  into.entries = ctx.server.config.number('hash-max-listpack-entries');
  into.value = ctx.server.config.number('hash-max-listpack-value');
  return into;
}

/**
 * One command's access to one hash. Reads position `pairs` on a field (its name and value are
 * views of plaintext, valid until the next call); writes change the hash and commit() seals
 * what changed. Every method may throw SealError (a blob failed to open); done() wipes.
 */
export class HashAccess {
  readonly pairs = new PairReader();
  /** Small form: plaintext of every pair is open in `plain` [0, length). */
  private open = false;
  private length = 0;
  /** Small form: the open pairs changed and must be sealed again. */
  private dirty = false;
  /** High-water mark of plaintext written into the scratch buffers, for done(). */
  private used = 0;
  private fieldUsed = 0;

  /**
   * @param rest the key's record when the hash is packed there at rest (hash-entries.ts): its
   *   pairs are opened from the record's bytes, and a write seals them back there (sealInto),
   *   so the hash is never made an object. `fields` then carries its count and flag only.
   */
  constructor(
    private ctx: HashContext,
    private key: string,
    public fields: HashFields,
    private rest: PackedRecord | null = null,
  ) {}

  /**
   * A HashAccess for one command, the one kept from the last command when it is free (done()
   * frees it): a hash command then makes no object per call. A nested use gets a new one.
   */
  static of(ctx: HashContext, key: string, fields: HashFields, rest: PackedRecord | null = null): HashAccess {
    const h = spare;
    if (h === null) return new HashAccess(ctx, key, fields, rest);
    spare = null;
    h.ctx = ctx;
    h.key = key;
    h.fields = fields;
    h.rest = rest;
    return h;
  }

  get size(): number {
    return this.fields.size;
  }

  /** Positions `pairs` on field `name`; false when the hash has no such field. */
  find(name: Uint8Array): boolean {
    return this.findIn(name, 0, name.length);
  }

  /** find() of the name src[at, at + length) (a request's raw argument: no view of it for a small hash). */
  findIn(src: Uint8Array, at: number, length: number): boolean {
    const table = this.fields.table;
    if (table === null) {
      this.openPacked();
      return this.pairs.find(plain, 0, this.length, src, at, length);
    }
    const id = table.find(this.digestOf(viewOf(src, at, length), true));
    if (id < 0) return false;
    this.openField(table, id, lookedUp);
    return true;
  }

  has(name: Uint8Array): boolean {
    if (this.fields.table === null) return this.find(name);
    return this.fields.table.find(this.digestOf(name, true)) >= 0;
  }

  /** name's digest, in `lookedUp`: kept for the next write when `keep` (a lookup), else used up. */
  private digestOf(name: Uint8Array, keep: boolean): Buffer {
    const members = this.ctx.server.members;
    if (name !== lookedUpName || members !== lookedUpBy) members.digestInto(name, lookedUp, 0);
    lookedUpName = keep ? name : null;
    lookedUpBy = members;
    return lookedUp;
  }

  /**
   * Visits every field in order (small hash: insertion order; large: the table's order), with
   * `pairs` positioned on it; stops when visit returns false.
   */
  forEach(visit: (pairs: PairReader) => boolean | void): void {
    const table = this.fields.table;
    if (table === null) {
      this.openPacked();
      const pairs = this.pairs.reset(plain, 0, this.length);
      while (pairs.next()) if (visit(pairs) === false) return;
      return;
    }
    for (const id of table.ids()) {
      this.openField(table, id, undefined);
      if (visit(this.pairs) === false) return;
    }
  }

  /** Large hash: positions `pairs` on the field with entry id (ids from the table). */
  openId(id: number): PairReader {
    this.openField(this.fields.table!, id, undefined);
    return this.pairs;
  }

  /** Small hash: the start of every pair in the open plaintext (HRANDFIELD). */
  pairStarts(): number[] {
    this.openPacked();
    const out: number[] = [];
    const pairs = this.pairs.reset(plain, 0, this.length);
    while (pairs.next()) out.push(pairs.start);
    return out;
  }

  /** Small hash: positions `pairs` on the pair starting at `start` (from pairStarts()). */
  pairAt(start: number): PairReader {
    const pairs = this.pairs.reset(plain, start, this.length);
    pairs.next();
    return pairs;
  }

  /**
   * Sets field name to value; returns whether the field is new. Redis's conversion rule: a name
   * or value over hash-max-listpack-value, or more fields than hash-max-listpack-entries, makes
   * the hash a hashtable for good (OBJECT ENCODING); the small form also ends past PACKED_MAX_BYTES.
   */
  set(name: Uint8Array, value: Uint8Array, limits: ListpackLimits): boolean {
    return this.setIn(name, 0, name.length, value, 0, value.length, limits);
  }

  /**
   * set() of the name names[nameAt, nameAt + nameLength) and the value values[valueAt, valueAt +
   * valueLength): a request's raw arguments, copied into a small hash's pairs with no view made.
   */
  setIn(names: Uint8Array, nameAt: number, nameLength: number, values: Uint8Array, valueAt: number, valueLength: number, limits: ListpackLimits): boolean {
    const f = this.fields;
    if (nameLength > limits.value || valueLength > limits.value) f.listpack = false;
    if (f.table === null && !f.listpack) this.toTable();
    let added: boolean;
    if (f.table === null) added = this.setPacked(names, nameAt, nameLength, values, valueAt, valueLength);
    else added = this.setField(f.table, viewOf(names, nameAt, nameLength), viewOf(values, valueAt, valueLength));
    if (added) f.size++;
    if (f.size > limits.entries) f.listpack = false;
    if (f.table === null && (!f.listpack || this.length > PACKED_MAX_BYTES)) this.toTable();
    return added;
  }

  /** Removes field name; returns whether it was there. */
  delete(name: Uint8Array): boolean {
    return this.deleteIn(name, 0, name.length);
  }

  /** delete() of the name src[at, at + length) (a request's raw argument). */
  deleteIn(src: Uint8Array, at: number, length: number): boolean {
    const f = this.fields;
    if (f.table === null) {
      this.openPacked();
      if (!this.pairs.find(plain, 0, this.length, src, at, length)) return false;
      const { start, end } = this.pairs;
      plain.copyWithin(start, end, this.length);
      wipe(plain, this.length - (end - start), this.length);
      this.length -= end - start;
      this.dirty = true;
    } else {
      const id = f.table.find(this.digestOf(viewOf(src, at, length), false));
      if (id < 0) return false;
      f.table.deleteAt(id);
    }
    f.size--;
    return true;
  }

  /**
   * Seals the small form again if it changed (call once the command's changes are made); with
   * `holdOpen` (a command's write) it is held open for the turn's next commands instead and
   * sealed at the turn's end (hash-turn.ts).
   */
  commit(holdOpen = false): void {
    if (!this.dirty) return;
    const f = this.fields;
    this.dirty = false;
    if (f.size === 0) {
      dropHeld(f);
      f.packed = '';
      return;
    }
    if (holdOpen && hold(this.ctx, this.key, f, plain, this.length, true)) return;
    dropHeld(f);
    const sealedLength = OVERHEAD + this.length;
    sealedIn = grow(sealedIn, sealedLength, 0);
    this.ctx.server.values.sealElementAt(Purpose.HashPairs, this.ctx.db.uid, this.key, plainView(this.length), sealedIn, 0);
    f.packed = sealedString(sealedIn, 0, sealedLength);
  }

  /** Bytes of the small form's blob once sealed (its pairs as this command left them). */
  get sealedLength(): number {
    return this.open ? OVERHEAD + this.length : this.rest !== null ? this.rest.blobLength : this.fields.packed.length;
  }

  /** A hash at rest: seals its changed pairs (sealedLength bytes) at bytes[at], in its record (Keyspace.rewritePacked). */
  sealInto(bytes: Buffer, at: number): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.ctx.server.values.sealElementAt(Purpose.HashPairs, this.ctx.db.uid, this.key, plainView(this.length), bytes, at);
  }

  /** Wipes every plaintext this command opened or built; the HashAccess is not to be used after (HashAccess.of may hand it out again). */
  done(): void {
    lookedUpName = null;
    wipe(plain, 0, this.used);
    if (this.fieldUsed > 0) wipe(fieldPlain, 0, this.fieldUsed);
    this.used = this.fieldUsed = 0;
    this.open = this.dirty = false;
    this.length = 0;
    this.rest = null;
    this.fields = NO_FIELDS;
    this.pairs.reset(plain, 0, 0);
    spare = this;
    if (plain.length > KEEP_BYTES) plain = Buffer.allocUnsafeSlow(4096).fill(0);
    if (fieldPlain.length > KEEP_BYTES) fieldPlain = Buffer.allocUnsafeSlow(1024).fill(0);
    if (sealedIn.length > KEEP_BYTES) sealedIn = Buffer.allocUnsafeSlow(4096);
  }

  private openPacked(): void {
    if (this.open) return;
    this.open = true;
    const f = this.fields;
    const rest = this.rest;
    if (rest !== null) {
      // Opened where it lies, and not held for the turn: the next command looks it up afresh.
      this.length = rest.blobLength - OVERHEAD;
      this.reserve(this.length);
      // Into an exact-length view of the scratch: the AEAD then makes no view of its own for it.
      this.ctx.server.values.openElementAt(Purpose.HashPairs, this.ctx.db.uid, this.key, rest.slab, rest.blobAt, rest.blobLength, plainView(this.length), 0);
      return;
    }
    const kept = heldLength(this.ctx, this.key, f);
    if (kept >= 0) {
      this.length = kept;
      this.reserve(kept);
      copyHeld(plain);
      return;
    }
    // Held for another binding (never by the commands, which name a hash by its key): its blob is made current first.
    sealedNow(f);
    const packed = f.packed;
    if (packed.length === 0) {
      this.length = 0;
      return;
    }
    sealedIn = grow(sealedIn, packed.length, 0);
    writeSealed(packed, sealedIn, 0);
    this.length = packed.length - OVERHEAD;
    this.reserve(this.length);
    this.ctx.server.values.openElementAt(Purpose.HashPairs, this.ctx.db.uid, this.key, sealedIn, 0, packed.length, plain, 0);
    hold(this.ctx, this.key, f, plain, this.length, false);
  }

  /** Opens field `id` into `plain` and positions `pairs` on it; `bind` is its digest when at hand. */
  private openField(table: FieldTable, id: number, bind: Uint8Array | undefined): void {
    if (bind === undefined) {
      table.digestInto(id, digest, 0);
      bind = digest;
    }
    const sealedLength = table.lengthOf(id);
    const length = sealedLength - OVERHEAD;
    this.reserve(length);
    // Opened where it lies (an arena block): no copy of the ciphertext first.
    const bytes = table.locate(id);
    this.ctx.server.values.openElementAt(Purpose.HashFieldName, this.ctx.db.uid, this.key, bytes, table.locatedAt, sealedLength, plain, 0, bind);
    this.pairs.field(plain, 0, length);
  }

  /** Makes room for `length` plaintext bytes in `plain`, keeping what the small form has open. */
  private reserve(length: number): void {
    if (length > plain.length) plain = grow(plain, length, this.open ? this.length : 0);
    if (length > this.used) this.used = length;
  }

  private setPacked(names: Uint8Array, nameAt: number, nameLength: number, values: Uint8Array, valueAt: number, valueLength: number): boolean {
    this.openPacked();
    const size = pairBytes(nameLength, valueLength);
    if (this.pairs.find(plain, 0, this.length, names, nameAt, nameLength)) {
      // The same value again (a session refreshed, a flag set twice): the blob as sealed holds
      // it already, so nothing is sealed; the caller still counts and signals the write, as Redis does.
      if (this.pairs.valueIs(values, valueAt, valueLength)) return false;
      this.dirty = true;
      // The pair is rewritten where it is: a field keeps its place, as in a listpack.
      const { start, end } = this.pairs;
      const total = this.length - (end - start) + size;
      this.reserve(total);
      plain.copyWithin(start + size, end, this.length);
      if (total < this.length) wipe(plain, total, this.length);
      writePair(plain, start, names, nameAt, nameLength, values, valueAt, valueLength);
      this.length = total;
      return false;
    }
    this.dirty = true;
    this.reserve(this.length + size);
    this.length = writePair(plain, this.length, names, nameAt, nameLength, values, valueAt, valueLength);
    return true;
  }

  private setField(table: FieldTable, name: Uint8Array, value: Uint8Array): boolean {
    const bind = this.digestOf(name, false);
    const sealedLength = this.sealField(name, value, bind);
    const id = table.find(bind);
    if (id >= 0) {
      table.setAt(id, sealedIn, 0, sealedLength);
      return false;
    }
    table.add(bind, 0, sealedIn, 0, sealedLength);
    return true;
  }

  /** One field (name and value) sealed on its own, bound to its digest, into `sealedIn`; returns its sealed length. */
  private sealField(name: Uint8Array, value: Uint8Array, bind: Uint8Array): number {
    const length = fieldBytes(name.length, value.length);
    if (length > fieldPlain.length) fieldPlain = grow(fieldPlain, length, 0);
    if (length > this.fieldUsed) this.fieldUsed = length;
    writeField(fieldPlain, 0, name, value);
    const sealedLength = OVERHEAD + length;
    sealedIn = grow(sealedIn, sealedLength, 0);
    if (fieldViews.of !== fieldPlain) fieldViews = new ExactViews(fieldPlain);
    this.ctx.server.values.sealElementAt(Purpose.HashFieldName, this.ctx.db.uid, this.key, fieldViews.get(length), sealedIn, 0, bind);
    wipe(fieldPlain, 0, length);
    return sealedLength;
  }

  /** Moves a small hash to the table form: every pair sealed on its own. */
  private toTable(): void {
    const f = this.fields;
    this.openPacked();
    const table = new FieldTable();
    const pairs = new PairReader().reset(plain, 0, this.length);
    while (pairs.next()) {
      const name = pairs.name();
      this.ctx.server.members.digestInto(name, digest, 0);
      // Sealed first: sealField may grow sealedIn into a new buffer.
      const sealedLength = this.sealField(name, pairs.value(), digest);
      table.add(digest, 0, sealedIn, 0, sealedLength);
    }
    dropHeld(f);
    f.table = table;
    f.packed = '';
    this.dirty = false;
    this.open = false;
  }
}

/** src[at, at + length) as a view, src itself when that is all of it (a large hash's digest and seal take views). */
function viewOf(src: Uint8Array, at: number, length: number): Uint8Array {
  return at === 0 && length === src.length ? src : src.subarray(at, at + length);
}

/** HashAccess.of's free one, or null while it is in use. */
let spare: HashAccess | null = null;
/** What a freed HashAccess points at: nothing of the last command's hash stays reachable from it. */
const NO_FIELDS = new HashFields();

/** Runs work with a HashAccess on entry's fields, wiping its plaintext afterwards. */
export function withHash<T>(ctx: HashContext, key: string, fields: HashFields, work: (h: HashAccess) => T): T {
  const h = HashAccess.of(ctx, key, fields);
  try {
    return work(h);
  } finally {
    h.done();
  }
}
