// Packing small lists, sets and sorted sets at rest into one sealed blob, and unpacking them on
// use (the forms: store/types/packed.ts). Plaintext passes through one scratch buffer, wiped
// before each call returns; the blob is bound to database and key like the elements it holds,
// and each element is sealed again for its key when unpacked (the usual per-element sealing
// every command expects), its digest taken with the same keyed hash the commands use.

import { hashEntry, Kind, ListEntry, SetEntry, type Entry, type ZSetEntry } from '../store/entry.js';
import { sealedNow } from '../store/types/hash-fields.js';
import { PACK_MAX_BYTES, PACK_MAX_ELEMENTS, PackedEntry, type FlatZSet, type PackableKind, type ListBlobEdit, type MemberList, type PackedLike, type PackedVisitor, type Packer, type OpenedSet, type SetAddition, type SetBlobEdit, type SetEdit } from '../store/types/packed.js';
import { zsetEntry } from '../store/types/zset-ops.js';
import { DIGEST_BYTES } from '../store/types/zset.js';
import { COMPACT_OVERHEAD, OVERHEAD } from './sealer.js';
import { ListSealing } from './list-codec.js';
import { SetSealing } from './set-codec.js';
import { Purpose, SealError, type SealedValues } from './values.js';
import type { NameHasher } from './name-hash.js';

/** Buffer's latin1 helpers exist at run time but are missing from @types/node. */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string; latin1Write(text: string, offset: number): number };

const PURPOSE = { [Kind.List]: Purpose.PackedList, [Kind.Set]: Purpose.PackedSet, [Kind.ZSet]: Purpose.PackedZSet } as const;

/** Integer scores up to this magnitude are packed as varints (most scores: counts, timestamps, ranks). */
const SMALL_SCORE = 2 ** 47;
/** The score header that says a float64 follows. */
const DOUBLE_SCORE = 1;

/** Writes a score: varint(zigzag(n) * 2) for an integer n, else DOUBLE_SCORE and the float64. */
function writeScore(out: Buffer, at: number, score: number): number {
  if (Number.isInteger(score) && Math.abs(score) < SMALL_SCORE && !Object.is(score, -0)) {
    let n = (score >= 0 ? score * 2 : -score * 2 - 1) * 2;
    while (n >= 0x80) {
      out[at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[at++] = n;
    return at;
  }
  out[at] = DOUBLE_SCORE;
  out.writeDoubleLE(score, at + 1);
  return at + 9;
}

export function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : 3;
}

export function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/** Integer members of up to this many digits are packed as numbers: |n| < 10^15 < 2^53, exact in a double. */
const MAX_DIGITS = 15;

/** Writes n (< 2^53) as a varint of 7-bit groups, low first; returns the offset after it. */
function writeLong(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/** Set by readLong: the offset after the varint it read. */
let longEnd = 0;

function readLong(buf: Buffer, from: number): number {
  let n = 0;
  let scale = 1;
  for (let i = from; ; i++) {
    const b = buf[i]!;
    n += (b & 0x7f) * scale;
    if (b < 0x80) {
      longEnd = i + 1;
      return n;
    }
    scale *= 0x80;
    if (scale > 2 ** 56) throw new SealError('packed collection: bad varint');
  }
}

/**
 * The value of buf[at, at + n) when it is an integer an intset would hold written as Redis
 * writes it (no sign but a leading '-', no leading zero, not "-0") of at most MAX_DIGITS digits;
 * otherwise NaN. Read digit by digit: the member never becomes a JS string.
 */
export function canonicalInteger(buf: Uint8Array, at: number, n: number): number {
  const negative = n > 1 && buf[at] === 0x2d;
  const from = negative ? at + 1 : at;
  const digits = at + n - from;
  if (digits < 1 || digits > MAX_DIGITS) return NaN;
  if (buf[from] === 0x30 && (digits > 1 || negative)) return NaN;
  let value = 0;
  for (let i = from; i < at + n; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** TypedArray's fill: zeroes plaintext without Buffer.fill's argument checks (~0.1 us a write). */
const fillBytes = Uint8Array.prototype.fill;

/**
 * Puts a member opened at plain[from, from + n) in its packed form at `to` (to <= from, the
 * integer form being shorter): an even tag for a canonical integer, else an odd tag and the bytes.
 * Wipes what it leaves behind past its end; returns the offset after it.
 */
function writeMember(plain: Buffer, to: number, from: number, n: number): number {
  const value = canonicalInteger(plain, from, n);
  let end: number;
  if (!Number.isNaN(value)) {
    end = writeLong(plain, to, (value >= 0 ? value * 2 : -value * 2 - 1) * 2);
  } else {
    const at = writeLong(plain, to, n * 2 + 1);
    plain.copy(plain, at, from, from + n);
    end = at + n;
  }
  if (end < from + n) fillBytes.call(plain, 0, end, from + n);
  return end;
}

/** Writes the decimal digits of the integer whose zigzag form is `zigzag` at out[from..]; returns their count. */
function writeDigits(out: Buffer, zigzag: number, from = 0): number {
  let value = zigzag % 2 === 0 ? zigzag / 2 : (zigzag + 1) / 2;
  let at = from;
  if (zigzag % 2 === 1) out[at++] = 0x2d;
  const start = at;
  do {
    out[at++] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  } while (value > 0);
  for (let i = start, j = at - 1; i < j; i++, j--) {
    const b = out[i]!;
    out[i] = out[j]!;
    out[j] = b;
  }
  return at - from;
}

/** An intset's member values while it is packed (at most PACK_MAX_ELEMENTS); wiped after each use. */
const ints = new Float64Array(PACK_MAX_ELEMENTS);

/**
 * Writes ints[0, count) (distinct) in the integer-deltas form (store/types/packed.ts) at out[0..]:
 * sorted, the first as varint zigzag(n), each next one as varint (n - previous - 1). Returns the
 * bytes written. Each value is below 10^15, so zigzag forms and deltas stay exact in a double.
 */
function writeIntDeltas(out: Buffer, count: number): number {
  const values = ints.subarray(0, count).sort();
  let previous = values[0]!;
  let at = writeLong(out, 0, previous >= 0 ? previous * 2 : -previous * 2 - 1);
  for (let k = 1; k < count; k++) {
    const value = values[k]!;
    at = writeLong(out, at, value - previous - 1);
    previous = value;
  }
  return at;
}

/** An integer's zigzag form: 0, -1, 1, -2... as 0, 1, 2, 3... (exact for |n| < 2^52). */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** At most this many members are looked for by one addToSet() (one bit each). */
const ADD_MAX = 30;
/** addToSet()'s members (references to the command's arguments) and their integer values (NaN: not one); cleared after each call. */
const wanted: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(ADD_MAX).fill(undefined);
const wantedValues = new Float64Array(ADD_MAX);

/** Whether plain[at, at + n) holds member's bytes (a JS loop: members are short, a native call costs more). */
function holds(plain: Buffer, at: number, n: number, member: Uint8Array): boolean {
  if (member.length !== n) return false;
  for (let i = 0; i < n; i++) if (plain[at + i] !== member[i]) return false;
  return true;
}

/** Writes ints[0, count) in the tagged set form (even tags) at out[0..]; returns the bytes written. */
function writeIntsTagged(out: Buffer, count: number): number {
  let end = 0;
  for (let k = 0; k < count; k++) end = writeLong(out, end, zigzag(ints[k]!) * 2);
  return end;
}

/** Room for one integer member's digits in SetTable's digits ('-' and MAX_DIGITS digits). */
const DIGITS_ROOM = 16;

/**
 * A packed set's plaintext opened in the packer's scratch, indexed for addToSet() and editSet():
 * member k's form (tag and bytes) at plain[formAt[k], formAt[k + 1]), its bytes at bytesAt[k],
 * or -1 for an integer, whose value is ints[k] (NaN for any other member). As an OpenedSet its
 * positions are the members not removed, in the blob's order. Holds plaintext only through the
 * scratch, `ints` and its digits, all wiped by the packer after each call (wipe()).
 */
class SetTable implements OpenedSet {
  /** Members indexed. */
  private held = 0;
  size = 0;
  intset = false;
  bytes: Buffer;
  start = 0;
  length = 0;
  private readonly formAt = new Int32Array(PACK_MAX_ELEMENTS + 1);
  private readonly bytesAt = new Int32Array(PACK_MAX_ELEMENTS);
  /** Position p holds member order[p]; ascending, so the blob's order is kept. */
  private readonly order = new Uint8Array(PACK_MAX_ELEMENTS);
  /** An integer member's digits while shown, member k's at k * DIGITS_ROOM. */
  private readonly digits = Buffer.alloc(PACK_MAX_ELEMENTS * DIGITS_ROOM);

  constructor(private readonly plain: Buffer) {
    this.bytes = plain;
  }

  /** Indexes the plaintext plain[0, length) of a set (its integer-deltas form when `intDeltas`); returns its member count. Throws SealError. */
  index(length: number, intDeltas: boolean): number {
    const plain = this.plain;
    let k = 0;
    let value = 0;
    for (let at = 0; at < length; k++) {
      if (k === PACK_MAX_ELEMENTS) throw new SealError('packed collection: too many members');
      this.formAt[k] = at;
      this.order[k] = k;
      const n = readLong(plain, at);
      at = longEnd;
      if (intDeltas) {
        value = k === 0 ? unzigzag(n) : value + n + 1;
        ints[k] = value;
        this.bytesAt[k] = -1;
      } else if (n % 2 === 0) {
        ints[k] = unzigzag(n / 2);
        this.bytesAt[k] = -1;
      } else {
        ints[k] = NaN;
        this.bytesAt[k] = at;
        at += (n - 1) / 2;
      }
    }
    this.formAt[k] = length;
    this.held = this.size = k;
    return k;
  }

  indexOf(member: Uint8Array): number {
    return this.find(member, canonicalInteger(member, 0, member.length));
  }

  /** indexOf() of a member whose canonicalInteger() is `value`: integers are compared as values (the blob holds them so), other members as bytes. */
  find(member: Uint8Array, value: number): number {
    const integer = !Number.isNaN(value);
    for (let p = 0; p < this.size; p++) {
      const k = this.order[p]!;
      if (integer ? ints[k] === value : this.bytesAt[k]! >= 0 && holds(this.plain, this.bytesAt[k]!, this.formAt[k + 1]! - this.bytesAt[k]!, member)) return p;
    }
    return -1;
  }

  show(position: number): void {
    const k = this.order[position]!;
    const at = this.bytesAt[k]!;
    if (at >= 0) {
      this.bytes = this.plain;
      this.start = at;
      this.length = this.formAt[k + 1]! - at;
    } else {
      this.bytes = this.digits;
      this.start = k * DIGITS_ROOM;
      this.length = writeDigits(this.digits, zigzag(ints[k]!), this.start);
    }
  }

  remove(position: number): void {
    this.order.copyWithin(position, position + 1, this.size);
    this.size--;
  }

  /** Whether every member left is an integer the integer-deltas form holds. */
  integersOnly(): boolean {
    for (let p = 0; p < this.size; p++) if (Number.isNaN(ints[this.order[p]!]!)) return false;
    return true;
  }

  /** Moves the values of the members left to ints[0, size). */
  keepValues(): number {
    for (let p = 0; p < this.size; p++) ints[p] = ints[this.order[p]!]!;
    return this.size;
  }

  /** Moves the forms of the members left down to the start of the scratch, in order (a tagged set's); returns where they end. */
  keepForms(): number {
    let end = 0;
    for (let p = 0; p < this.size; p++) {
      const k = this.order[p]!;
      const from = this.formAt[k]!;
      const to = this.formAt[k + 1]!;
      if (from !== end) this.plain.copyWithin(end, from, to);
      end += to - from;
    }
    return end;
  }

  /** Wipes the values and digits of the members indexed (the scratch is the packer's to wipe). */
  wipe(): void {
    ints.fill(0, 0, this.held);
    this.digits.fill(0, 0, this.held * DIGITS_ROOM);
    this.bytes = this.plain;
    this.held = this.size = 0;
  }
}

/** Wipes what opening `packed`'s blob may have written into the scratch (its plaintext is shorter than it). */
function wipeOpened(plain: Buffer, packed: PackedLike): void {
  fillBytes.call(plain, 0, 0, Math.min(plain.length, packed.blobLength));
}

/** Views of the first n bytes of one buffer, made once per length (at most a few KiB of lengths). */
class Views {
  private readonly byLength: Buffer[] = [];

  constructor(private readonly of: Buffer) {}

  get(length: number): Buffer {
    return this.byLength[length] ?? (this.byLength[length] = this.of.subarray(0, length));
  }
}

export class CollectionPacker implements Packer {
  /** Plaintext of the collection being packed or unpacked; wiped after each call. */
  private readonly plain = Buffer.allocUnsafeSlow(PACK_MAX_BYTES + 64).fill(0);
  /** The part of it a list edit may use (editList), made once. */
  private readonly editable = this.plain.subarray(0, PACK_MAX_BYTES);
  /** Sealed bytes on their way in or out (ciphertext: not wiped). */
  private sealed = Buffer.allocUnsafeSlow(4096);
  /** Views of the scratch areas from their start, one per length: a write's seal makes no view. */
  private readonly plainViews = new Views(this.plain);
  private sealedViews = new Views(this.sealed);
  private readonly digest = Buffer.alloc(DIGEST_BYTES);
  /** The set being edited (addToSet, editSet), indexed in the plaintext scratch. */
  private readonly setTable = new SetTable(this.plain);
  /** Set by readVarint: where the bytes after it start. */
  private at = 0;

  constructor(
    private readonly values: SealedValues,
    private readonly members: NameHasher,
  ) {}

  pack(db: number, key: string, entry: Entry): PackedEntry | null {
    if (entry.kind === Kind.Hash) {
      // A small hash is one sealed blob already (Purpose.HashPairs): it moves as it is, no opening.
      const f = entry.fields;
      sealedNow(f);
      if (f.table !== null || f.packed === '' || f.size > 0xffff) return null;
      return new PackedEntry(Kind.Hash, f.packed, f.size, f.listpack, entry);
    }
    if (entry.kind !== Kind.List && entry.kind !== Kind.Set && entry.kind !== Kind.ZSet) return null;
    const count = entry.kind === Kind.List ? entry.length : entry.kind === Kind.Set ? entry.size : entry.zset.size;
    if (count === 0 || count > PACK_MAX_ELEMENTS) return null;
    const plain = this.plain;
    let used = 0;
    let deltas = false;
    const values = this.values;
    try {
      // Each element's plaintext length shows in its sealed length: the total is known before opening any.
      const room = (sealedLength: number, extra: number): boolean => {
        const n = sealedLength - OVERHEAD;
        return used + extra + varintBytes(n) + n <= PACK_MAX_BYTES;
      };
      let fits = true;
      if (entry.kind === Kind.List) {
        // The list opens its elements (one by one, or a sealed node whole) for the visitor.
        entry.forEach((bytes, start, length) => {
          if (!room(length + OVERHEAD, 0)) return (fits = false);
          used = writeVarint(plain, used, length);
          bytes.copy(plain, used, start, start + length);
          used += length;
          return true;
        }, new ListSealing(values, db, key));
      } else if (entry.kind === Kind.Set) {
        // An intset's members are also kept as values, for the integer-deltas form.
        let integers = entry.intset ? 0 : -1;
        // The set opens its nodes one at a time for the visitor.
        entry.forEachPlain(new SetSealing(values, db, key), (bytes, start, n) => {
          // Room for the longest form (a length tag one byte longer than varintBytes counts).
          if (!room(n + OVERHEAD, 1)) return (fits = false);
          if (integers >= 0) {
            const value = canonicalInteger(bytes, start, n);
            if (Number.isNaN(value)) integers = -1;
            else ints[integers++] = value;
          }
          // Copied after where its tag may go (at most one varint of n * 2 + 1), then moved down.
          const at = used + varintBytes(n * 2 + 1);
          bytes.copy(plain, at, start, start + n);
          used = writeMember(plain, used, at, n);
          return true;
        });
        // Rewritten from the start of the scratch (at most 64 varints: far within it); what the
        // tagged form left past its end is wiped with the rest below.
        if (fits && integers === count) {
          used = writeIntDeltas(plain, count);
          deltas = true;
        }
      } else {
        entry.zset.each(0, count, false, (member, score) => {
          if (!room(member.length, 9)) return (fits = false);
          used = writeScore(plain, used, score);
          used = writeVarint(plain, used, member.length - OVERHEAD);
          const sealed = this.sealedOf(member);
          values.openElementAt(Purpose.ZSetMember, db, key, sealed, 0, member.length, plain, used);
          used += member.length - OVERHEAD;
          return true;
        });
      }
      if (!fits) return null;
      const out = this.room(used + OVERHEAD);
      const sealed = values.sealCompactAt(PURPOSE[entry.kind], db, key, plain.subarray(0, used), out, 0);
      const flag = entry.kind === Kind.Set ? entry.intset : entry.kind === Kind.ZSet ? entry.skiplist : false;
      return new PackedEntry(entry.kind, (out as Latin1Buffer).latin1Slice(0, sealed), count, flag, entry, deltas);
    } catch (err) {
      // An element that fails to open keeps its collection unpacked (commands report it).
      if (err instanceof SealError) return null;
      throw err;
    } finally {
      // An element opened past `used` before a failure is wiped too: the whole scratch (2 KiB).
      plain.fill(0);
      ints.fill(0);
    }
  }

  packNew(db: number, key: string, kind: Kind.Set | Kind.ZSet, members: readonly Uint8Array[], scores: readonly number[] | null, flag: boolean, touchedAt: number): PackedEntry | null {
    if (members.length === 0 || members.length > PACK_MAX_ELEMENTS) return null;
    const plain = this.plain;
    let used = 0;
    const deltas = kind === Kind.Set && flag && this.intValues(members);
    try {
      if (deltas) used = writeIntDeltas(plain, members.length);
      else for (let k = 0; k < members.length; k++) {
        const member = members[k]!;
        const n = member.length;
        // The longest forms: a 2-byte tag, or a float64 score and a 2-byte length (n <= PACK_MAX_BYTES).
        if (used + 11 + n > PACK_MAX_BYTES) return null;
        if (kind === Kind.Set) {
          const at = used + varintBytes(n * 2 + 1);
          plain.set(member, at);
          used = writeMember(plain, used, at, n);
        } else {
          used = writeScore(plain, used, scores![k]!);
          used = writeVarint(plain, used, n);
          plain.set(member, used);
          used += n;
        }
      }
      return this.sealNew(db, key, kind, used, members.length, flag, touchedAt, deltas);
    } finally {
      fillBytes.call(plain, 0, 0, Math.min(plain.length, used + 16));
      if (deltas) ints.fill(0, 0, members.length);
    }
  }

  packZSet(db: number, key: string, members: FlatZSet): Buffer | null {
    const count = members.count;
    if (count === 0 || count > PACK_MAX_ELEMENTS) return null;
    const plain = this.plain;
    const bytes = members.bytes;
    let used = 0;
    try {
      for (let k = 0; k < count; k++) {
        const n = members.lengths[k]!;
        if (used + 11 + n > PACK_MAX_BYTES) return null;
        used = writeScore(plain, used, members.scores[k]!);
        used = writeVarint(plain, used, n);
        // A loop: members are short, and a native copy's call costs more.
        for (let i = 0, at = members.starts[k]!; i < n; i++) plain[used + i] = bytes[at + i]!;
        used += n;
      }
      return this.sealPlain(Kind.ZSet, db, key, used);
    } finally {
      fillBytes.call(plain, 0, 0, Math.min(plain.length, used + 16));
    }
  }

  /** Seals the first `used` bytes of the scratch as a new packed entry (packNew). */
  private sealNew(db: number, key: string, kind: Kind.Set | Kind.ZSet, used: number, count: number, flag: boolean, touchedAt: number, deltas: boolean): PackedEntry {
    const fresh = { expiresAt: 0, touchedAt, accounted: 0, sealedName: undefined };
    const sealed = this.sealPlain(kind, db, key, used) as Latin1Buffer;
    return new PackedEntry(kind, sealed.latin1Slice(0, sealed.length), count, flag, fresh, deltas);
  }

  /** Seals the first `used` bytes of the scratch as a blob of `kind`: a view of the sealed scratch, valid until the packer's next call. */
  private sealPlain(kind: Kind.List | Kind.Set | Kind.ZSet, db: number, key: string, used: number): Buffer {
    const out = this.room(used + OVERHEAD);
    const sealed = this.values.sealCompactAt(PURPOSE[kind], db, key, this.plainViews.get(used), out, 0);
    return this.sealedViews.get(sealed);
  }

  moveTo(db: number, key: string, packed: PackedLike, toDb: number, toKey: string, touchedAt: number): PackedEntry {
    const kind = packed.kind;
    if (kind === Kind.Hash) throw new Error('moveTo: a packed hash moves as a hash (unpacking it opens nothing)');
    let length = 0;
    try {
      length = this.openBlob(db, key, kind, packed);
      const sealed = this.sealPlain(kind, toDb, toKey, length) as Latin1Buffer;
      const home = { expiresAt: packed.expiresAt, touchedAt, accounted: 0, sealedName: undefined };
      return new PackedEntry(kind, sealed.latin1Slice(0, sealed.length), packed.count, packed.flag, home, packed.intDeltas);
    } finally {
      wipeOpened(this.plain, packed);
    }
  }

  editList(db: number, key: string, packed: PackedLike, edit: ListBlobEdit): Buffer | null {
    const plain = this.plain;
    let used = 0;
    try {
      const length = this.openBlob(db, key, Kind.List, packed);
      used = length;
      const edited = edit(this.editable, length);
      if (edited < 0) return null;
      used = Math.max(used, edited);
      return this.sealPlain(Kind.List, db, key, edited);
    } finally {
      // What opening wrote (its plaintext is shorter than the blob), and what the edit grew it to.
      fillBytes.call(plain, 0, 0, Math.min(plain.length, Math.max(used, packed.blobLength)));
    }
  }

  addToSet(db: number, key: string, packed: PackedLike, members: MemberList, first: number, count: number, grow: boolean, intset: boolean, out: SetAddition): void {
    if (count > ADD_MAX) throw new Error('addToSet: too many members');
    out.found = 0;
    out.added = 0;
    out.sealed = null;
    out.count = packed.count;
    out.intDeltas = packed.intDeltas;
    const plain = this.plain;
    const table = this.setTable;
    // The furthest byte of the scratch written (what the wipe covers).
    let used = 0;
    try {
      for (let i = 0; i < count; i++) {
        const member = members.at(first + i)!;
        wanted[i] = member;
        wantedValues[i] = canonicalInteger(member, 0, member.length);
      }
      const length = this.openBlob(db, key, Kind.Set, packed);
      used = length;
      // The values stay in `ints`: the set is written again from them if it grows.
      const held = table.index(length, packed.intDeltas);
      let found = 0;
      for (let i = 0; i < count; i++) if (table.find(wanted[i]!, wantedValues[i]!) >= 0) found |= 1 << i;
      out.found = found;
      if (found === 2 ** count - 1 || !grow) return;
      // The members to add: not found, each once.
      let adding = 0;
      let added = 0;
      let integers = true;
      next: for (let i = 0; i < count; i++) {
        if ((found & (1 << i)) !== 0) continue;
        for (let j = 0; j < i; j++) if ((adding & (1 << j)) !== 0 && holds(wanted[j] as Buffer, 0, wanted[j]!.length, wanted[i]!)) continue next;
        adding |= 1 << i;
        added++;
        if (Number.isNaN(wantedValues[i]!)) integers = false;
      }
      const total = held + added;
      if (total > PACK_MAX_ELEMENTS) return;
      // An intset of such integers stays in the integer-deltas form; any other set is (or becomes) tagged.
      const deltas = packed.intDeltas && intset && integers;
      let end: number;
      if (deltas) {
        for (let i = 0, k = held; i < count; i++) if ((adding & (1 << i)) !== 0) ints[k++] = wantedValues[i]!;
        end = writeIntDeltas(plain, total);
      } else {
        // From the integer-deltas form: its members written again tagged, in the same order (ascending).
        end = packed.intDeltas ? writeIntsTagged(plain, held) : length;
        // The tagged form runs longer than the deltas it replaces: wiped too if a member finds no room below.
        used = Math.max(used, end);
        for (let i = 0; i < count; i++) {
          if ((adding & (1 << i)) === 0) continue;
          const member = wanted[i]!;
          const n = member.length;
          // The longest form: a 2-byte tag (n <= PACK_MAX_BYTES).
          if (end + 2 + n > PACK_MAX_BYTES) return;
          const at = end + varintBytes(n * 2 + 1);
          for (let b = 0; b < n; b++) plain[at + b] = member[b]!;
          used = Math.max(used, at + n);
          end = writeMember(plain, end, at, n);
        }
      }
      used = Math.max(used, end);
      out.sealed = this.sealPlain(Kind.Set, db, key, end);
      out.added = added;
      out.count = total;
      out.intDeltas = deltas;
    } finally {
      // What opening wrote (its plaintext is shorter than the blob), and what the edit grew it to.
      fillBytes.call(plain, 0, 0, Math.min(plain.length, Math.max(used, packed.blobLength)));
      table.wipe();
      ints.fill(0, 0, Math.min(ints.length, packed.count + count));
      wanted.fill(undefined, 0, count);
      wantedValues.fill(0, 0, count);
    }
  }

  editSet(db: number, key: string, packed: PackedLike, edit: SetBlobEdit, out: SetEdit): void {
    out.sealed = null;
    out.count = packed.count;
    out.flag = packed.flag;
    out.intDeltas = packed.intDeltas;
    const plain = this.plain;
    const table = this.setTable;
    // The furthest byte of the scratch written (what the wipe covers).
    let used = 0;
    try {
      const length = this.openBlob(db, key, Kind.Set, packed);
      used = length;
      const held = table.index(length, packed.intDeltas);
      table.intset = packed.flag;
      edit(table);
      out.count = table.size;
      out.flag = table.intset;
      if (table.size === held || table.size === 0) return;
      // As packNew() writes a set: the integer-deltas form for an intset of such integers, else tagged.
      const deltas = table.intset && table.integersOnly();
      let end: number;
      if (deltas) end = writeIntDeltas(plain, table.keepValues());
      else if (packed.intDeltas) end = writeIntsTagged(plain, table.keepValues());
      else end = table.keepForms();
      used = Math.max(used, end);
      out.sealed = this.sealPlain(Kind.Set, db, key, end);
      out.intDeltas = deltas;
    } finally {
      // What opening wrote (its plaintext is shorter than the blob), and what the edit rewrote.
      fillBytes.call(plain, 0, 0, Math.min(plain.length, Math.max(used, packed.blobLength)));
      table.wipe();
    }
  }

  /** Whether every member is an integer the integer-deltas form holds; their values then in `ints`. */
  private intValues(members: readonly Uint8Array[]): boolean {
    for (let k = 0; k < members.length; k++) {
      const value = canonicalInteger(members[k]!, 0, members[k]!.length);
      if (Number.isNaN(value)) {
        ints.fill(0, 0, k);
        return false;
      }
      ints[k] = value;
    }
    return true;
  }

  unpack(db: number, key: string, packed: PackedLike): Entry {
    const kind: PackableKind = packed.kind;
    if (kind === Kind.Hash) {
      const hash = hashEntry(packed.touchedAt);
      hash.fields.packed = packed.blob;
      hash.fields.size = packed.count;
      hash.fields.listpack = packed.flag;
      hash.expiresAt = packed.expiresAt;
      hash.sealedName = packed.sealedName;
      hash.accounted = packed.accounted;
      return hash;
    }
    const plain = this.plain;
    try {
      const length = this.openBlob(db, key, kind, packed);
      let entry: Entry;
      if (kind === Kind.List) entry = this.unpackList(db, key, packed, length);
      else if (kind === Kind.Set) entry = this.unpackSet(db, key, packed, length);
      else entry = this.unpackZSet(db, key, packed, length);
      entry.expiresAt = packed.expiresAt;
      entry.sealedName = packed.sealedName;
      entry.accounted = packed.accounted;
      return entry;
    } finally {
      wipeOpened(plain, packed);
    }
  }

  /**
   * Opens the blob of a packed list, set or sorted set into the scratch, where it lies (a
   * record's) or copied out of an object's string; returns the plaintext's length. The caller
   * wipes it. Throws SealError.
   */
  private openBlob(db: number, key: string, kind: Kind.List | Kind.Set | Kind.ZSet, packed: PackedLike): number {
    const sealedLength = packed.blobLength;
    if (sealedLength < COMPACT_OVERHEAD) throw new SealError('unknown sealed format');
    let src = packed.slab;
    let at = packed.blobAt;
    if (src === null) {
      src = this.room(sealedLength);
      packed.copyBlob(src, 0);
      at = 0;
    }
    this.values.openCompactAt(PURPOSE[kind], db, key, src, at, sealedLength, this.plain, 0);
    return sealedLength - COMPACT_OVERHEAD;
  }

  read(db: number, key: string, packed: PackedLike, visit: PackedVisitor): void {
    const kind = packed.kind;
    if (kind === Kind.Hash) throw new Error('read: a packed hash is read as a hash (hash-fields.ts)');
    const plain = this.plain;
    const digits = this.digits;
    try {
      const length = this.openBlob(db, key, kind, packed);
      let value = 0;
      for (let at = 0, k = 0; at < length; k++) {
        if (kind === Kind.List) {
          const n = this.readVarint(at);
          at = this.at + n;
          if (visit(plain, this.at, n, NaN) === false) return;
        } else if (kind === Kind.ZSet) {
          const score = this.readScore(at);
          const n = this.readVarint(this.at);
          at = this.at + n;
          if (visit(plain, this.at, n, score) === false) return;
        } else if (packed.intDeltas) {
          const n = readLong(plain, at);
          at = longEnd;
          value = k === 0 ? (n % 2 === 0 ? n / 2 : -(n + 1) / 2) : value + n + 1;
          if (visit(digits, 0, writeDigits(digits, value >= 0 ? value * 2 : -value * 2 - 1), NaN) === false) return;
        } else {
          const tag = readLong(plain, at);
          at = longEnd;
          if (tag % 2 === 0) {
            if (visit(digits, 0, writeDigits(digits, tag / 2), NaN) === false) return;
          } else {
            const n = (tag - 1) / 2;
            at += n;
            if (visit(plain, at - n, n, NaN) === false) return;
          }
        }
      }
    } finally {
      wipeOpened(plain, packed);
      digits.fill(0);
    }
  }

  private unpackList(db: number, key: string, packed: PackedLike, length: number): ListEntry {
    const list = new ListEntry(packed.touchedAt);
    const plain = this.plain;
    const c = new ListSealing(this.values, db, key);
    for (let at = 0; at < length; ) {
      const n = this.readVarint(at);
      at = this.at;
      list.pushTail(plain.subarray(at, at + n), c);
      at += n;
    }
    return list;
  }

  private unpackSet(db: number, key: string, packed: PackedLike, length: number): SetEntry {
    const set = new SetEntry(packed.touchedAt);
    set.intset = packed.flag;
    const plain = this.plain;
    const digits = this.digits;
    try {
      set.adding(new SetSealing(this.values, db, key), (add) => {
        if (packed.intDeltas) {
          let value = 0;
          for (let at = 0, k = 0; at < length; k++) {
            const n = readLong(plain, at);
            at = longEnd;
            value = k === 0 ? (n % 2 === 0 ? n / 2 : -(n + 1) / 2) : value + n + 1;
            const member = digits.subarray(0, writeDigits(digits, value >= 0 ? value * 2 : -value * 2 - 1));
            this.members.digestInto(member, this.digest, 0);
            add(this.digest, member);
          }
          return;
        }
        for (let at = 0; at < length; ) {
          const tag = readLong(plain, at);
          at = longEnd;
          let member: Buffer;
          if (tag % 2 === 0) {
            member = digits.subarray(0, writeDigits(digits, tag / 2));
          } else {
            const n = (tag - 1) / 2;
            member = plain.subarray(at, at + n);
            at += n;
          }
          this.members.digestInto(member, this.digest, 0);
          add(this.digest, member);
        }
      });
    } finally {
      digits.fill(0);
    }
    return set;
  }

  /** An integer member's decimal digits while it is sealed again (wiped after each set). */
  private readonly digits = Buffer.alloc(24);

  private unpackZSet(db: number, key: string, packed: PackedLike, length: number): ZSetEntry {
    const entry = zsetEntry(packed.touchedAt);
    entry.skiplist = packed.flag;
    const plain = this.plain;
    const out = this.sealed as Latin1Buffer;
    for (let at = 0; at < length; ) {
      const score = this.readScore(at);
      const n = this.readVarint(this.at);
      at = this.at;
      const member = plain.subarray(at, at + n);
      this.members.digestInto(member, this.digest, 0);
      this.values.sealElementAt(Purpose.ZSetMember, db, key, member, out, 0);
      const sealed = out.latin1Slice(0, n + OVERHEAD);
      // Packed in order, so appended in order: no member is compared (nor opened).
      entry.zset.append(this.digest, score, sealed);
      entry.sealedBytes += sealed.length;
      at += n;
    }
    return entry;
  }

  /** The sealed scratch with room for `n` bytes. */
  private room(n: number): Latin1Buffer {
    if (this.sealed.length < n) {
      this.sealed = Buffer.allocUnsafeSlow(Math.max(n, this.sealed.length * 2));
      this.sealedViews = new Views(this.sealed);
    }
    return this.sealed as Latin1Buffer;
  }

  /** A sealed member string's bytes, in a scratch of their own (not this.sealed: a blob may be there). */
  private memberBytes = Buffer.allocUnsafeSlow(256);

  private sealedOf(member: string): Buffer {
    if (this.memberBytes.length < member.length) this.memberBytes = Buffer.allocUnsafeSlow(member.length * 2);
    (this.memberBytes as Latin1Buffer).latin1Write(member, 0);
    return this.memberBytes;
  }

  /** Reads a score written by writeScore; this.at is then past it. */
  private readScore(from: number): number {
    const plain = this.plain;
    if (plain[from] === DOUBLE_SCORE) {
      this.at = from + 9;
      return plain.readDoubleLE(from + 1);
    }
    let n = 0;
    let scale = 1;
    for (let i = from; ; i++) {
      const b = plain[i]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.at = i + 1;
        break;
      }
      scale *= 0x80;
      if (scale > 2 ** 56) throw new SealError('packed collection: bad score');
    }
    const zigzag = n / 2;
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  private readVarint(from: number): number {
    const plain = this.plain;
    let n = 0;
    let shift = 0;
    for (let i = from; ; i++) {
      const b = plain[i]!;
      n |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.at = i + 1;
        return n;
      }
      shift += 7;
      if (shift > 21) throw new SealError('packed collection: bad element length');
    }
  }
}
