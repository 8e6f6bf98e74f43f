// Bitmap commands (redis bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP on sealed string values;
// BITFIELD is in bitfield.ts. A small value is opened whole, changed and sealed again; a large
// (chunked) one is read a chunk at a time and SETBIT re-seals only the chunk its bit is in.

import { int64, keyOf, word } from '../args.js';
import { parseBitOffset } from './bit-args.js';
import { editChunked, forEachWindow, lengthOf, openRange, replaceString } from './string-bytes.js';
import { openValue, sealFailed, storeSparse, storeValue, zerosReady } from '../values/sealing.js';
import { bitfieldCommands } from './bitfield.js';
import { at, span } from '../key-specs.js';
import { Errors } from '../../protocol/errors.js';
import { CHUNK_PLAIN, Sealer } from '../../seal/sealer.js';
import { Kind, type StringEntry } from '../../store/keyspace.js';
import { edgeMasks, firstBitInByte, popcount, popcountByte, setBit } from '../../store/types/bitmap.js';
import { plainBuffer } from '../../util/bytes.js';
import type { CommandSpec, Session } from '../types.js';

/** redis getBitOffsetFromArgument: a bit offset (parseBitOffset), or null after replying. */
export function bitOffset(ctx: Session, arg: Buffer, bits = 0): number | null {
  const n = parseBitOffset(arg, bits, ctx.server.config.number('proto-max-bulk-len'));
  if (n === null) ctx.reply.error(Errors.bitOffset);
  return n;
}

/** A string entry, undefined when missing, or null after replying WRONGTYPE. */
function readString(ctx: Session, key: string): StringEntry | undefined | null {
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined || entry.kind === Kind.String) return entry;
  ctx.reply.error(Errors.wrongType);
  return null;
}

/**
 * SETBIT past the end of a missing or short value, making one long enough to be chunked: the
 * chunks of the gap are sealed as zeros (storeSparse), no plaintext of the new length is made.
 */
function setbitFar(ctx: Session, key: string, entry: StringEntry | undefined, offset: number, bit: 0 | 1): void {
  const cell = plainBuffer(1);
  setBit(cell, offset & 7, bit);
  const old = entry === undefined ? null : openValue(ctx, key, entry.value);
  if (entry !== undefined && old === null) return;
  const byte = Math.floor(offset / 8);
  try {
    storeSparse(ctx, key, entry, byte + 1, old === null ? [{ at: byte, bytes: cell }] : [{ at: 0, bytes: old }, { at: byte, bytes: cell }], 'setbit');
  } finally {
    old?.fill(0);
    cell.fill(0);
  }
  ctx.reply.integer(0);
}

function setbit(ctx: Session, args: Buffer[]): void {
  const offset = bitOffset(ctx, args[2]!);
  if (offset === null) return;
  const on = int64(args[3]!);
  if (on === null || (on !== 0n && on !== 1n)) return ctx.reply.error(Errors.bitValue);
  const bit = Number(on) as 0 | 1;
  const key = keyOf(ctx, args[1]!);
  const entry = ctx.db.get(key, ctx.now);
  if (entry !== undefined && entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  const byte = Math.floor(offset / 8);
  const far = entry === undefined || (byte >= lengthOf(entry) && (!Sealer.isChunked(entry.value) || zerosReady(ctx, key, byte + 1)));
  if (byte >= CHUNK_PLAIN && far) return setbitFar(ctx, key, entry, offset, bit);
  if (entry === undefined) {
    const plain = plainBuffer(byte + 1);
    setBit(plain, offset, bit);
    storeValue(ctx, key, plain, 0, 'setbit');
    plain.fill(0);
    return ctx.reply.integer(0);
  }
  const length = lengthOf(entry);
  const grows = byte >= length;
  if (Sealer.isChunked(entry.value)) {
    // Only the chunk the bit is in is opened and sealed again.
    const cell = grows ? plainBuffer(1) : openRange(ctx, key, entry.value, byte, byte + 1);
    if (cell === null) return;
    const old = setBit(cell, offset & 7, bit);
    const ok = (!grows && old === bit) || editChunked(ctx, key, entry, byte, cell);
    cell.fill(0);
    if (!ok) return;
    if (grows || old !== bit) ctx.db.changed(key, 'setbit');
    return ctx.reply.integer(old);
  }
  let plain = openValue(ctx, key, entry.value);
  if (plain === null) return;
  if (grows) {
    const longer = plainBuffer(byte + 1);
    plain.copy(longer);
    plain.fill(0);
    plain = longer;
  }
  const old = setBit(plain, offset, bit);
  if (grows || old !== bit) replaceString(ctx, key, entry, plain, 'setbit');
  else plain.fill(0);
  ctx.reply.integer(old);
}

/** redis getbitCommand: the offset is checked before the key. */
function getbit(ctx: Session, args: Buffer[]): void {
  const offset = bitOffset(ctx, args[2]!);
  if (offset === null) return;
  const key = keyOf(ctx, args[1]!);
  const entry = readString(ctx, key);
  if (entry === null) return;
  const byte = Math.floor(offset / 8);
  if (entry === undefined || byte >= lengthOf(entry)) return ctx.reply.integer(0);
  const cell = openRange(ctx, key, entry.value, byte, byte + 1);
  if (cell === null) return;
  ctx.reply.integer((cell[0]! >> (7 - (offset & 7))) & 1);
  cell.fill(0);
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * A BITCOUNT / BITPOS range turned into bytes [startByte, endByte] of a value of `length` bytes,
 * with the edge masks of a BIT range (redis converts indexes the same way in both commands).
 * Empty when startByte > endByte.
 */
function byteRange(length: number, start: bigint, end: bigint, isBit: boolean): { startByte: number; endByte: number; first: number; last: number } {
  const total = BigInt(length) * (isBit ? 8n : 1n);
  if (start < 0n) start = total + start;
  if (end < 0n) end = total + end;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= total) end = total - 1n;
  if (start > INT64_MAX) start = INT64_MAX;
  let s = Number(start);
  let e = Number(end);
  if (!isBit || s > e) return { startByte: s, endByte: e, first: 0, last: 0 };
  const masks = edgeMasks(s, e);
  s = Math.floor(s / 8);
  e = Math.floor(e / 8);
  return { startByte: s, endByte: e, first: masks.first, last: masks.last };
}

/** BITCOUNT key [start end [BYTE|BIT]]: a missing key answers 0 before anything else is checked. */
function bitcount(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readString(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.integer(0);
  const length = lengthOf(entry);
  let range = { startByte: 0, endByte: length - 1, first: 0, last: 0 };
  if (args.length === 4 || args.length === 5) {
    const start = int64(args[2]!);
    if (start === null) return ctx.reply.error(Errors.notInteger);
    const end = int64(args[3]!);
    if (end === null) return ctx.reply.error(Errors.notInteger);
    if (start < 0n && end < 0n && start > end) return ctx.reply.integer(0);
    let isBit = false;
    if (args.length === 5) {
      const unit = word(args[4]!);
      if (unit === 'bit') isBit = true;
      else if (unit !== 'byte') return ctx.reply.error(Errors.syntax);
    }
    range = byteRange(length, start, end, isBit);
  } else if (args.length !== 2) {
    return ctx.reply.error(Errors.syntax);
  }
  const { startByte, endByte, first, last } = range;
  if (startByte > endByte) return ctx.reply.integer(0);
  let count = 0;
  let edges = 0;
  const ok = forEachWindow(ctx, key, entry.value, startByte, endByte + 1, (window, at) => {
    count += popcount(window);
    // Bits of the edge bytes outside a BIT range are taken off again.
    if (at === startByte && first !== 0) edges += popcountByte(window[0]! & first);
    if (at + window.length === endByte + 1 && last !== 0) edges += popcountByte(window[window.length - 1]! & last);
    return true;
  });
  if (ok) ctx.reply.integer(count - edges);
}

/** BITPOS key bit [start [end [BYTE|BIT]]]. */
function bitpos(ctx: Session, args: Buffer[]): void {
  const wanted = int64(args[2]!);
  if (wanted === null) return ctx.reply.error(Errors.notInteger);
  if (wanted !== 0n && wanted !== 1n) return ctx.reply.error(Errors.bitposBit);
  const bit = Number(wanted) as 0 | 1;
  const key = keyOf(ctx, args[1]!);
  const entry = readString(ctx, key);
  if (entry === null) return;
  // A missing key is an endless run of zeros.
  if (entry === undefined) return ctx.reply.integer(bit === 1 ? -1 : 0);
  const length = lengthOf(entry);
  let range = { startByte: 0, endByte: length - 1, first: 0, last: 0 };
  let endGiven = false;
  if (args.length >= 4 && args.length <= 6) {
    const start = int64(args[3]!);
    if (start === null) return ctx.reply.error(Errors.notInteger);
    let isBit = false;
    if (args.length === 6) {
      const unit = word(args[5]!);
      if (unit === 'bit') isBit = true;
      else if (unit !== 'byte') return ctx.reply.error(Errors.syntax);
    }
    let end: bigint;
    if (args.length >= 5) {
      const parsed = int64(args[4]!);
      if (parsed === null) return ctx.reply.error(Errors.notInteger);
      end = parsed;
      endGiven = true;
    } else {
      end = isBit ? BigInt(length) * 8n + 7n : BigInt(length) - 1n;
    }
    range = byteRange(length, start, end, isBit);
  } else if (args.length !== 3) {
    return ctx.reply.error(Errors.syntax);
  }
  const { startByte, endByte, first, last } = range;
  if (startByte > endByte) return ctx.reply.integer(-1);
  let found = -1;
  const skip = bit === 1 ? 0 : 0xff;
  const ok = forEachWindow(ctx, key, entry.value, startByte, endByte + 1, (window, at) => {
    for (let i = 0; i < window.length; i++) {
      const index = at + i;
      // Whole words of bytes that cannot hold the bit are passed over (windows start aligned).
      if ((i & 3) === 0 && index !== startByte && index + 4 < endByte && i + 4 <= window.length) {
        const w = window.readInt32LE(i);
        if (w === (skip === 0 ? 0 : -1)) {
          i += 3;
          continue;
        }
      }
      let b = window[i]!;
      // Bits outside a BIT range never match: cleared when looking for 1, set when looking for 0.
      if (index === startByte && first !== 0) b = bit === 1 ? b & ~first : b | first;
      if (index === endByte && last !== 0) b = bit === 1 ? b & ~last : b | last;
      if ((bit === 1 && b === 0) || (bit === 0 && b === 0xff)) continue;
      found = index * 8 + firstBitInByte(b, bit);
      return false;
    }
    return true;
  });
  if (!ok) return;
  // No clear bit: past the end counts as zeros unless the caller gave the end of the range.
  if (found < 0 && bit === 0 && !endGiven) found = (endByte + 1) * 8;
  ctx.reply.integer(found);
}

const enum Op { And, Or, Xor, Not }

/** BITOP op destkey key [key ...]: sources read a window at a time; an empty result deletes destkey. */
function bitop(ctx: Session, args: Buffer[]): void {
  const name = word(args[1]!);
  const op: Op | -1 = name === 'and' ? Op.And : name === 'or' ? Op.Or : name === 'xor' ? Op.Xor : name === 'not' ? Op.Not : -1;
  if (op === -1) return ctx.reply.error(Errors.syntax);
  if (op === Op.Not && args.length !== 4) return ctx.reply.error(Errors.bitopNotOneKey);
  const sources: Source[] = [];
  let maxLength = 0;
  for (let i = 3; i < args.length; i++) {
    const key = keyOf(ctx, args[i]!);
    const entry = readString(ctx, key);
    if (entry === null) return;
    if (entry === undefined) {
      sources.push({ key, sealed: EMPTY, length: 0 });
      continue;
    }
    const length = lengthOf(entry);
    // The sealed bytes are kept as they are now: the destination may be one of the sources.
    sources.push({ key, sealed: entry.value, length });
    maxLength = Math.max(maxLength, length);
  }
  const dest = keyOf(ctx, args[2]!);
  if (maxLength === 0) {
    ctx.db.delete(dest, 'del');
    return ctx.reply.integer(0);
  }
  const result = plainBuffer(maxLength);
  const scratch = plainBuffer(Math.min(CHUNK_PLAIN, maxLength));
  try {
    for (let from = 0; from < maxLength; from += CHUNK_PLAIN) {
      const to = Math.min(maxLength, from + CHUNK_PLAIN);
      if (!combineWindow(ctx, op, sources, result.subarray(from, to), from, scratch)) return;
    }
    storeValue(ctx, dest, result, 0, 'set');
  } finally {
    result.fill(0);
    scratch.fill(0);
  }
  ctx.reply.integer(maxLength);
}

const EMPTY = Buffer.alloc(0);

interface Source {
  key: string;
  sealed: Buffer;
  length: number;
}

/**
 * One window of the result (`out`, bytes from `from` on): the first source, then each other
 * folded in, bytes past a source's end counting as 0. Works a 32-bit word at a time: windows
 * start at multiples of the chunk size in buffers of their own, so the words are aligned.
 */
function combineWindow(ctx: Session, op: Op, sources: Source[], out: Buffer, from: number, scratch: Buffer): boolean {
  for (let j = 0; j < sources.length; j++) {
    const src = sources[j]!;
    const have = Math.max(0, Math.min(src.length, from + out.length) - from);
    if (j === 0 || have === 0) {
      if (j === 0 && have > 0 && !openInto(ctx, src, from, from + have, out)) return false;
      if (j === 0 && op === Op.Not) foldWords(out, out, out.length, Op.Not);
      // A source that ends before the window: AND clears it, OR and XOR leave it.
      if (j > 0 && op === Op.And) out.fill(0);
      continue;
    }
    const part = scratch.subarray(0, have);
    if (!openInto(ctx, src, from, from + have, part)) return false;
    foldWords(out, part, have, op);
    if (op === Op.And) out.fill(0, have);
  }
  return true;
}

function openInto(ctx: Session, src: Source, from: number, to: number, target: Buffer): boolean {
  try {
    ctx.server.values.openValueRange(ctx.db.uid, src.key, src.sealed, from, to, target, 0);
    return true;
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  }
}

/** out[0..n) = out op part (NOT: ~part), a word at a time, then the odd bytes. */
function foldWords(out: Buffer, part: Buffer, n: number, op: Op): void {
  const words = n >> 2;
  const o = new Int32Array(out.buffer, out.byteOffset, words);
  const p = new Int32Array(part.buffer, part.byteOffset, words);
  if (op === Op.And) for (let i = 0; i < words; i++) o[i]! &= p[i]!;
  else if (op === Op.Or) for (let i = 0; i < words; i++) o[i]! |= p[i]!;
  else if (op === Op.Xor) for (let i = 0; i < words; i++) o[i]! ^= p[i]!;
  else for (let i = 0; i < words; i++) o[i] = ~p[i]!;
  for (let i = words * 4; i < n; i++) {
    if (op === Op.And) out[i]! &= part[i]!;
    else if (op === Op.Or) out[i]! |= part[i]!;
    else if (op === Op.Xor) out[i]! ^= part[i]!;
    else out[i] = ~part[i]! & 0xff;
  }
}

const cmd = (spec: Omit<CommandSpec, 'group'>): CommandSpec => ({ group: 'bitmap', ...spec });

export const bitmapCommands: CommandSpec[] = [
  cmd({ name: 'setbit', arity: 4, flags: ['write', 'denyoom'], keySpecs: [at(1, 'RW', 'ACCESS', 'UPDATE')], categories: ['@write', '@bitmap', '@slow'],
    summary: 'Sets or clears the bit at offset in the string value stored at key', since: '2.2.0', complexity: 'O(1)', handler: setbit }),
  cmd({ name: 'getbit', arity: 3, flags: ['readonly', 'fast'], keySpecs: [at(1, 'RO', 'ACCESS')], categories: ['@read', '@bitmap', '@fast'],
    summary: 'Returns the bit value at offset in the string value stored at key', since: '2.2.0', complexity: 'O(1)', handler: getbit }),
  cmd({ name: 'bitcount', arity: -2, flags: ['readonly'], keySpecs: [at(1, 'RO', 'ACCESS')], categories: ['@read', '@bitmap', '@slow'],
    summary: 'Count set bits in a string', since: '2.6.0', complexity: 'O(N)', handler: bitcount }),
  cmd({ name: 'bitpos', arity: -3, flags: ['readonly'], keySpecs: [at(1, 'RO', 'ACCESS')], categories: ['@read', '@bitmap', '@slow'],
    summary: 'Find first bit set or clear in a string', since: '2.8.7', complexity: 'O(N)', handler: bitpos }),
  cmd({ name: 'bitop', arity: -4, flags: ['write', 'denyoom'], keySpecs: [at(2, 'OW', 'UPDATE'), span(3, -1, 1, 'RO', 'ACCESS')],
    categories: ['@write', '@bitmap', '@slow'], summary: 'Perform bitwise operations between strings', since: '2.6.0', complexity: 'O(N)', handler: bitop }),
  ...bitfieldCommands,
];
