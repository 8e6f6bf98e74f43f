// A string entry as the commands see it while its record sits in the arena: a short-lived view
// made per lookup, reading and writing the record's fields in place (with --seal-keys its sealed
// name too, kept in the record's key area: key-table.ts). Two lookups of one key give
// two views; code that needs an entry's identity across calls (the spill tier) boxes it first
// (Keyspace.box). Views are valid for the current event-loop turn (see record-arena.ts), and
// only as long as their record stays their key's: once the key is set, deleted or moved to a
// record of another length through another view, a view reads the old bytes and writes nowhere.

import { Kind, type SpillRef, type StringEntry } from './entry.js';
import { BOXED, D_EXPIRES, D_TOUCHED, RECORD_HEADER, W_AUX, W_KEY_LENGTH, W_VALUE_LENGTH, type KeyTable } from './key-table.js';
import { OFFSET_MASK } from './record-arena.js';

export class StoredString implements StringEntry {
  readonly kind = Kind.String;

  constructor(
    private readonly table: KeyTable,
    /** The record; changes when a value of another length moves it. */
    public handle: number,
  ) {}

  get value(): Buffer {
    const slab = this.handle >>> 17;
    const at = (this.handle & OFFSET_MASK) * 8;
    const words = this.table.arena.words[slab]!;
    const start = at + RECORD_HEADER + words[at / 4 + W_KEY_LENGTH]!;
    return Buffer.from(this.table.arena.bytes[slab]!.buffer, start, words[at / 4 + W_VALUE_LENGTH]!);
  }

  /** Copies the sealed bytes into the record, moving it when the length changes. */
  set value(sealed: Buffer) {
    if (sealed.length !== this.size) this.handle = this.table.relocate(this.handle, sealed.length);
    const slab = this.handle >>> 17;
    const at = (this.handle & OFFSET_MASK) * 8;
    const start = at + RECORD_HEADER + this.table.arena.words[slab]![at / 4 + W_KEY_LENGTH]!;
    this.table.arena.bytes[slab]!.set(sealed, start);
  }

  /**
   * Makes room for a sealed value of `length` bytes, to be written at slabBytes/valueStart (a
   * counter sealing its new digits straight into the record). The record stays where it is when
   * its arena block (8-byte units) still fits; otherwise it moves, as the value setter moves it.
   * The bytes there are the old value's until the caller writes.
   */
  resize(length: number): void {
    const size = this.size;
    if (length === size) return;
    const slab = this.handle >>> 17;
    const word = (this.handle & OFFSET_MASK) * 2;
    const words = this.table.arena.words[slab]!;
    const keyLength = words[word + W_KEY_LENGTH]!;
    if (((RECORD_HEADER + keyLength + length + 7) & ~7) === ((RECORD_HEADER + keyLength + size + 7) & ~7)) words[word + W_VALUE_LENGTH] = length;
    else this.handle = this.table.relocate(this.handle, length);
  }

  /** The slab the record lives in, and where in it the value starts: to open it in place. */
  get slabBytes(): Buffer {
    return this.table.arena.bytes[this.handle >>> 17]!;
  }

  get valueStart(): number {
    const at = (this.handle & OFFSET_MASK) * 8;
    return at + RECORD_HEADER + this.table.arena.words[this.handle >>> 17]![at / 4 + W_KEY_LENGTH]!;
  }

  /** Length of the sealed value. */
  get size(): number {
    return this.table.arena.words[this.handle >>> 17]![(this.handle & OFFSET_MASK) * 2 + W_VALUE_LENGTH]!;
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

  get accounted(): number {
    return this.table.arena.words[this.handle >>> 17]![(this.handle & OFFSET_MASK) * 2 + W_AUX]!;
  }

  set accounted(bytes: number) {
    this.table.arena.words[this.handle >>> 17]![(this.handle & OFFSET_MASK) * 2 + W_AUX] = bytes;
  }

  /** Values in the arena are never spilled: the spill tier boxes an entry before spilling it. */
  get spilled(): SpillRef | undefined {
    return undefined;
  }

  set spilled(_ref: SpillRef | undefined) {
    throw new Error('a string stored in the arena cannot be spilled; box it first');
  }

  /** With --seal-keys, a copy of the name sealed in the record (a view would outlive its record's block). */
  get sealedName(): Buffer | undefined {
    return this.table.nameOf(this.handle);
  }

  /** A name sealed afresh (key rotation): written over the record's, whose length it keeps. */
  set sealedName(name: Buffer | undefined) {
    this.table.writeName(this.handle, name);
  }

  /** Bytes of the record's key area: the key and any sealed name (memory accounting's keyBytes). */
  get keyBytes(): number {
    return this.table.arena.words[this.handle >>> 17]![(this.handle & OFFSET_MASK) * 2 + W_KEY_LENGTH]!;
  }

  holds(sealed: Buffer): boolean {
    const slab = this.handle >>> 17;
    const at = (this.handle & OFFSET_MASK) * 8;
    const words = this.table.arena.words[slab]!;
    return (
      sealed.buffer === this.table.arena.bytes[slab]!.buffer &&
      sealed.byteOffset === at + RECORD_HEADER + words[at / 4 + W_KEY_LENGTH]! &&
      sealed.length === words[at / 4 + W_VALUE_LENGTH]
    );
  }
}

/** Whether a record holds its entry inline (a string) rather than pointing at a JS object. */
export function isInline(table: KeyTable, handle: number): boolean {
  return table.arena.words[handle >>> 17]![(handle & OFFSET_MASK) * 2 + W_VALUE_LENGTH] !== BOXED;
}
