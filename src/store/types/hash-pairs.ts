// How a hash's fields look while opened (plaintext that lives only while a command runs).
//
//   pair   = varint name length, name bytes, varint value length, value bytes
//   packed = pair, pair, ...         a small hash: every pair, sealed as one blob, in insertion
//                                    order (Redis's listpack order, which HGETALL follows)
//   field  = varint name length, name bytes, value bytes (to the end)
//                                    one field of a large hash, sealed on its own
//
// Varints are LEB128 (7 bits a byte, low first): a name or value under 128 bytes costs one byte
// of length, as in a listpack.

import { copyBytes } from '../../util/bytes.js';

/** Bytes varint(n) takes. */
export function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** Writes varint(n) at `at`; returns the offset after it. */
export function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/** Bytes a pair of these lengths takes packed. */
export function pairBytes(nameLength: number, valueLength: number): number {
  return varintBytes(nameLength) + nameLength + varintBytes(valueLength) + valueLength;
}

/** Bytes a field of these lengths takes on its own. */
export function fieldBytes(nameLength: number, valueLength: number): number {
  return varintBytes(nameLength) + nameLength + valueLength;
}

/**
 * Writes a packed pair at `at`, its name from names[nameAt, nameAt + nameLength) and its value
 * from values[valueAt, valueAt + valueLength) (a request's raw arguments need no view); returns
 * the offset after it.
 */
export function writePair(
  out: Uint8Array, at: number, names: Uint8Array, nameAt: number, nameLength: number, values: Uint8Array, valueAt: number, valueLength: number,
): number {
  at = writeVarint(out, at, nameLength);
  copyBytes(names, nameAt, out, at, nameLength);
  at = writeVarint(out, at + nameLength, valueLength);
  copyBytes(values, valueAt, out, at, valueLength);
  return at + valueLength;
}

/** Writes a lone field (name, then the value to the end) at `at`; returns the offset after it. */
export function writeField(out: Uint8Array, at: number, name: Uint8Array, value: Uint8Array): number {
  at = writeVarint(out, at, name.length);
  out.set(name, at);
  out.set(value, at + name.length);
  return at + name.length + value.length;
}

export class PairFormatError extends Error {}

/**
 * Reads pairs (or one lone field) out of opened plaintext without copying: after next() the
 * current pair's name is bytes[nameAt, nameAt + nameLength) and its value bytes[valueAt,
 * valueAt + valueLength). The bytes were authenticated when opened, so a malformed layout is a
 * bug, reported as PairFormatError rather than read past.
 */
const NOTHING = new Uint8Array(0);

export class PairReader {
  bytes: Uint8Array = NOTHING;
  /** Where the current pair starts, and where the next one does. */
  start = 0;
  end = 0;
  nameAt = 0;
  nameLength = 0;
  valueAt = 0;
  valueLength = 0;
  private limit = 0;

  /** Starts reading packed pairs in bytes[from, to). */
  reset(bytes: Uint8Array, from: number, to: number): this {
    this.bytes = bytes;
    this.end = from;
    this.limit = to;
    return this;
  }

  /** Moves to the next pair; false at the end. */
  next(): boolean {
    if (this.end >= this.limit) return false;
    this.start = this.end;
    this.nameLength = this.varint(this.start);
    this.nameAt = this.at;
    this.valueLength = this.varint(this.nameAt + this.nameLength);
    this.valueAt = this.at;
    this.end = this.valueAt + this.valueLength;
    if (this.end > this.limit) throw new PairFormatError('hash pair runs past its blob');
    return true;
  }

  /** Reads bytes[from, to) as one lone field (name, then the value to the end). */
  field(bytes: Uint8Array, from: number, to: number): this {
    this.bytes = bytes;
    this.start = from;
    this.nameLength = this.varint(from);
    this.nameAt = this.at;
    this.valueAt = this.nameAt + this.nameLength;
    if (this.valueAt > to) throw new PairFormatError('hash field name runs past its blob');
    this.valueLength = to - this.valueAt;
    this.end = this.limit = to;
    return this;
  }

  /** Whether the current pair's name is src[from, from + length). */
  nameIs(src: Uint8Array, from: number, length: number): boolean {
    return this.nameLength === length && this.bytesAre(this.nameAt, src, from, length);
  }

  /** Whether the current pair's value is src[from, from + length). */
  valueIs(src: Uint8Array, from: number, length: number): boolean {
    return this.valueLength === length && this.bytesAre(this.valueAt, src, from, length);
  }

  private bytesAre(at: number, src: Uint8Array, from: number, length: number): boolean {
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) if (bytes[at + i] !== src[from + i]) return false;
    return true;
  }

  name(): Uint8Array {
    return this.bytes.subarray(this.nameAt, this.nameAt + this.nameLength);
  }

  value(): Uint8Array {
    return this.bytes.subarray(this.valueAt, this.valueAt + this.valueLength);
  }

  /** Moves to the pair named src[nameAt, nameAt + nameLength) from the start of bytes[from, to); false when absent. */
  find(bytes: Uint8Array, from: number, to: number, src: Uint8Array, nameAt: number, nameLength: number): boolean {
    this.reset(bytes, from, to);
    while (this.next()) if (this.nameIs(src, nameAt, nameLength)) return true;
    return false;
  }

  private at = 0;

  private varint(from: number): number {
    const bytes = this.bytes;
    let n = 0;
    let scale = 1;
    for (let i = from; ; i++) {
      if (i >= bytes.length || scale > 2 ** 49) throw new PairFormatError('bad length in hash blob');
      const b = bytes[i]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.at = i + 1;
        return n;
      }
      scale *= 0x80;
    }
  }
}
