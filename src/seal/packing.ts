// Packing small lists, sets and sorted sets at rest into one sealed blob, and unpacking them on
// use (the forms: store/types/packed.ts). Plaintext passes through one scratch buffer, wiped
// before each call returns; the blob is bound to database and key like the elements it holds,
// and each element is sealed again for its key when unpacked (the usual per-element sealing
// every command expects), its digest taken with the same keyed hash the commands use.

import { hashEntry, Kind, ListEntry, SetEntry, type Entry, type ZSetEntry } from '../store/entry.js';
import { PACK_MAX_BYTES, PACK_MAX_ELEMENTS, PackedEntry, type PackableKind, type PackedLike, type Packer } from '../store/types/packed.js';
import { zsetEntry } from '../store/types/zset-ops.js';
import { DIGEST_BYTES } from '../store/types/zset.js';
import { OVERHEAD } from './sealer.js';
import { ListSealing } from './list-codec.js';
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

function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : 3;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

export class CollectionPacker implements Packer {
  /** Plaintext of the collection being packed or unpacked; wiped after each call. */
  private plain = Buffer.allocUnsafeSlow(PACK_MAX_BYTES + 64).fill(0);
  /** Sealed bytes on their way in or out (ciphertext: not wiped). */
  private sealed = Buffer.allocUnsafeSlow(4096);
  private readonly digest = Buffer.alloc(DIGEST_BYTES);
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
      if (f.table !== null || f.packed === '' || f.size > 0xffff) return null;
      return new PackedEntry(Kind.Hash, f.packed, f.size, f.listpack, entry);
    }
    if (entry.kind !== Kind.List && entry.kind !== Kind.Set && entry.kind !== Kind.ZSet) return null;
    const count = entry.kind === Kind.List ? entry.length : entry.kind === Kind.Set ? entry.size : entry.zset.size;
    if (count === 0 || count > PACK_MAX_ELEMENTS) return null;
    const plain = this.plain;
    let used = 0;
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
        entry.forEach((id) => {
          const length = entry.sealedLength(id);
          if (!room(length, 0)) return (fits = false);
          used = writeVarint(plain, used, length - OVERHEAD);
          values.openElementAt(Purpose.SetMember, db, key, entry.slabOf(id), entry.sealedStart(id), length, plain, used);
          used += length - OVERHEAD;
          return true;
        });
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
      values.sealElementAt(PURPOSE[entry.kind], db, key, plain.subarray(0, used), out, 0);
      const flag = entry.kind === Kind.Set ? entry.intset : entry.kind === Kind.ZSet ? entry.skiplist : false;
      return new PackedEntry(entry.kind, (out as Latin1Buffer).latin1Slice(0, used + OVERHEAD), count, flag, entry);
    } catch (err) {
      // An element that fails to open keeps its collection unpacked (commands report it).
      if (err instanceof SealError) return null;
      throw err;
    } finally {
      // An element opened past `used` before a failure is wiped too: the whole scratch (2 KiB).
      plain.fill(0);
    }
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
    const blob = this.room(packed.blob.length);
    blob.latin1Write(packed.blob, 0);
    const length = packed.blob.length - OVERHEAD;
    const plain = this.plain;
    try {
      this.values.openElementAt(PURPOSE[kind], db, key, blob, 0, packed.blob.length, plain, 0);
      let entry: Entry;
      if (kind === Kind.List) entry = this.unpackList(db, key, packed, length);
      else if (kind === Kind.Set) entry = this.unpackSet(db, key, packed, length);
      else entry = this.unpackZSet(db, key, packed, length);
      entry.expiresAt = packed.expiresAt;
      entry.sealedName = packed.sealedName;
      entry.accounted = packed.accounted;
      return entry;
    } finally {
      plain.fill(0, 0, length);
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
    const out = this.sealed;
    for (let at = 0; at < length; ) {
      const n = this.readVarint(at);
      at = this.at;
      const member = plain.subarray(at, at + n);
      this.members.digestInto(member, this.digest, 0);
      this.values.sealElementAt(Purpose.SetMember, db, key, member, out, 0);
      set.add(this.digest, out.subarray(0, n + OVERHEAD));
      at += n;
    }
    return set;
  }

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
    if (this.sealed.length < n) this.sealed = Buffer.allocUnsafeSlow(Math.max(n, this.sealed.length * 2));
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
