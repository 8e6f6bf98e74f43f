// A packed small collection (types/packed.ts) kept in its key's record, as a plain string is:
// the sealed blob after the key, expiry and access time in the record's doubles, and no JS
// object at all while it rests (an object and a string cost ~130 bytes of heap, a record's
// header 32 bytes). The record's value-length word carries PACKED_TAG and the blob's length,
// its aux word the kind, Redis's encoding flag, a set's integer-deltas form and the element
// count. A view like this one is made per lookup (as StoredString is) and read by the keyspace and the packer only.
// With --seal-keys the key's sealed name lies in the record's key area, as a string's does.

import { Kind } from './entry.js';
import { D_EXPIRES, D_TOUCHED, RECORD_HEADER, W_AUX, W_KEY_LENGTH, W_VALUE_LENGTH, type KeyTable } from './key-table.js';
import { OFFSET_MASK } from './record-arena.js';
import { PACKED_OVERHEAD, PackedEntry, type PackableKind } from './types/packed.js';
import { Purpose } from '../seal/values.js';
import { copyBytes } from '../util/bytes.js';

/** Set in the value-length word of a record holding a packed collection (never in an inline string's length). */
export const PACKED_TAG = 0x40000000;
export const PACKED_LENGTH_MASK = 0xffff;
/**
 * Bits 16-29 of a packed record's value-length word: bytes its block keeps past the blob (a blob
 * rewritten shorter in place, Keyspace.rewritePacked), so the block's size stays known for free().
 */
export const PACKED_SLACK_SHIFT = 16;
export const PACKED_SLACK_MASK = 0x3fff;
/** What a packed record costs beside its key and blob: the header (memory accounting). */
export const PACKED_RECORD_OVERHEAD = RECORD_HEADER;

const COUNT_MASK = 0xffff;
const KIND_SHIFT = 16;
const FLAG_BIT = 1 << 20;
const DELTAS_BIT = 1 << 21;
/** Bits 22-24: the heat (commands/values/at-rest.ts packedAtRest), 0..HEAT_MAX. */
const HEAT_SHIFT = 22;
const HEAT_MASK = 0x7 << HEAT_SHIFT;
export const HEAT_MAX = 7;

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string; latin1Write(text: string, offset: number): number };

export class PackedRecord {
  constructor(
    private readonly table: KeyTable,
    readonly handle: number,
  ) {}

  private get words(): Uint32Array {
    return this.table.arena.words[this.handle >>> 17]!;
  }

  private get word(): number {
    return (this.handle & OFFSET_MASK) * 2;
  }

  get kind(): PackableKind {
    return ((this.words[this.word + W_AUX]! >>> KIND_SHIFT) & 0xf) as PackableKind;
  }

  get count(): number {
    return this.words[this.word + W_AUX]! & COUNT_MASK;
  }

  get flag(): boolean {
    return (this.words[this.word + W_AUX]! & FLAG_BIT) !== 0;
  }

  get intDeltas(): boolean {
    return (this.words[this.word + W_AUX]! & DELTAS_BIT) !== 0;
  }

  /** Writes made at rest in a row, each within the in-use window of the last touch (commands/values/at-rest.ts packedAtRest). */
  get heat(): number {
    return (this.words[this.word + W_AUX]! & HEAT_MASK) >>> HEAT_SHIFT;
  }

  set heat(n: number) {
    const aux = this.words[this.word + W_AUX]!;
    this.words[this.word + W_AUX] = ((aux & ~HEAT_MASK) | (Math.min(n, HEAT_MAX) << HEAT_SHIFT)) >>> 0;
  }

  get blobLength(): number {
    return this.words[this.word + W_VALUE_LENGTH]! & PACKED_LENGTH_MASK;
  }

  /** Bytes the record's block holds for its blob: blobLength and the slack a shorter rewrite left. */
  get bodyBytes(): number {
    const value = this.words[this.word + W_VALUE_LENGTH]!;
    return (value & PACKED_LENGTH_MASK) + ((value >>> PACKED_SLACK_SHIFT) & PACKED_SLACK_MASK);
  }

  /** The blob is now `length` bytes in the same block (Keyspace.rewritePacked checked it fits). */
  resize(length: number): void {
    const body = this.bodyBytes;
    const slack = Math.max(0, body - length);
    // The old blob's tail past the new one is ciphertext nobody reads again: wiped as free() would.
    if (length < this.blobLength) this.slab.fill(0, this.blobAt + length, this.blobAt + this.blobLength);
    this.words[this.word + W_VALUE_LENGTH] = PACKED_TAG | length | (slack << PACKED_SLACK_SHIFT);
  }

  /** The sealed blob as the latin1 string PackedEntry keeps (the packer's input). */
  get blob(): string {
    const at = this.blobAt;
    return (this.slab as Latin1Buffer).latin1Slice(at, at + this.blobLength);
  }

  /** The arena slab the record lies in: the blob is slab[blobAt, blobAt + blobLength), to open or seal in place. */
  get slab(): Buffer {
    return this.table.arena.bytes[this.handle >>> 17]!;
  }

  get blobAt(): number {
    return (this.handle & OFFSET_MASK) * 8 + RECORD_HEADER + this.words[this.word + W_KEY_LENGTH]!;
  }

  /** A blob rewritten in the record (Keyspace.rewritePacked) holds `count` elements, Redis's encoding flag `flag`, a set's integer-deltas form or not. */
  reshape(count: number, flag: boolean, intDeltas: boolean): void {
    const aux = this.words[this.word + W_AUX]!;
    this.words[this.word + W_AUX] = count | (aux & ((0xf << KIND_SHIFT) | HEAT_MASK)) | (flag ? FLAG_BIT : 0) | (intDeltas ? DELTAS_BIT : 0);
  }

  copyBlob(to: Buffer, at: number): void {
    copyBytes(this.slab, this.blobAt, to, at, this.blobLength);
  }

  get expiresAt(): number {
    return this.table.arena.doubles[this.handle >>> 17]![(this.handle & OFFSET_MASK) + D_EXPIRES]!;
  }

  set expiresAt(at: number) {
    this.table.arena.doubles[this.handle >>> 17]![(this.handle & OFFSET_MASK) + D_EXPIRES] = at;
  }

  get touchedAt(): number {
    return this.table.arena.doubles[this.handle >>> 17]![(this.handle & OFFSET_MASK) + D_TOUCHED]!;
  }

  set touchedAt(at: number) {
    this.table.arena.doubles[this.handle >>> 17]![(this.handle & OFFSET_MASK) + D_TOUCHED] = at;
  }

  /**
   * Always what memory accounting counts for it (a function of the record), so nothing to keep:
   * its blob, as for the same collection packed new (a rewrite's slack, like the block's rounding
   * up to 8 bytes, is left to the arena's live bytes).
   */
  get accounted(): number {
    return PACKED_RECORD_OVERHEAD + this.words[this.word + W_KEY_LENGTH]! + this.blobLength;
  }

  set accounted(_bytes: number) {}

  /** Bytes of the record's key area: the key and any sealed name. */
  get keyBytes(): number {
    return this.words[this.word + W_KEY_LENGTH]!;
  }

  /** With --seal-keys, a copy of the name sealed in the record (see StoredString.sealedName). */
  get sealedName(): Buffer | undefined {
    return this.table.nameOf(this.handle);
  }

  set sealedName(name: Buffer | undefined) {
    this.table.writeName(this.handle, name);
  }
}

/** Writes a packed collection's new blob at bytes[at] (Keyspace.rewritePacked): the store itself never seals. */
export interface PackedBlobWriter {
  sealInto(bytes: Buffer, at: number): void;
}

/** Whether a record's value-length word marks a packed collection (BOXED checked first). */
export function isPackedLength(valueLength: number): boolean {
  return (valueLength & PACKED_TAG) !== 0;
}

/** A packed record's aux word for a collection shaped as `shape`. */
function aux(shape: PackedShape): number {
  return shape.count | (shape.kind << KIND_SHIFT) | (shape.flag ? FLAG_BIT : 0) | (shape.intDeltas ? DELTAS_BIT : 0);
}

/** Writes a packed entry (and `name`, its key's sealed name if any) into a new record for key; returns its handle. Throws ArenaFullError. */
export function newPackedRecord(table: KeyTable, key: string, hash: number, packed: PackedEntry, name: Buffer | undefined): number {
  const length = packed.blob.length;
  const nameBytes = name === undefined ? 0 : name.length;
  const handle = table.newRecord(key, hash, PACKED_TAG | length, length, nameBytes);
  const slab = handle >>> 17;
  const arena = table.arena;
  arena.words[slab]![(handle & OFFSET_MASK) * 2 + W_AUX] = aux(packed);
  arena.doubles[slab]![(handle & OFFSET_MASK) + D_EXPIRES] = packed.expiresAt;
  arena.doubles[slab]![(handle & OFFSET_MASK) + D_TOUCHED] = packed.touchedAt;
  if (name !== undefined) arena.bytes[slab]!.set(name, table.nameAt(handle));
  (arena.bytes[slab] as Latin1Buffer).latin1Write(packed.blob, (handle & OFFSET_MASK) * 8 + RECORD_HEADER + key.length + nameBytes);
  return handle;
}

/** What a packed record's aux word holds beside the blob. */
export type PackedShape = Pick<PackedEntry, 'kind' | 'count' | 'flag' | 'intDeltas'>;

/** Either packed form. */
export type PackedForm = PackedEntry | PackedRecord;

export function isPackedForm(entry: unknown): entry is PackedForm {
  return entry instanceof PackedEntry || entry instanceof PackedRecord;
}

/** Bytes memory accounting counts for a packed form. */
export function packedBytes(keyBytes: number, entry: PackedForm): number {
  return entry instanceof PackedRecord ? entry.accounted : PACKED_OVERHEAD + keyBytes + entry.blob.length;
}

/** What a packed blob of this kind is sealed as (a small hash's pairs blob moves as it is). */
export function packedPurpose(kind: PackableKind): Purpose {
  return kind === Kind.Hash ? Purpose.HashPairs : kind === Kind.List ? Purpose.PackedList : kind === Kind.Set ? Purpose.PackedSet : Purpose.PackedZSet;
}
