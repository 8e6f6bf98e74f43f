// BITFIELD and BITFIELD_RO (redis bitops.c bitfieldGeneric): every subcommand is parsed (and
// refused) before the key is touched, then run in order. A small value is opened once, edited
// in memory and sealed once; on a large (chunked) value each operation opens and re-seals only
// the few bytes (one or two chunks) its field spans.

import { keyOf } from '../args.js';
import { Code, fieldBytes, isWord, parseOps, writeReach, type FieldOp } from './bit-args.js';
import { editChunked, lengthOf, openRange } from './string-bytes.js';
import { openValue, sealValue, storeSparse, storeValue, zerosReady } from '../values/sealing.js';
import { at, KeyFlag, noted, type KeyRef } from '../key-specs.js';
import { Errors } from '../../protocol/errors.js';
import type { Piece } from '../../seal/chunked.js';
import { CHUNK_PLAIN, Sealer } from '../../seal/sealer.js';
import { Kind, type StringEntry } from '../../store/keyspace.js';
import { fitBitfield, getSigned, getUnsigned, setBits } from '../../store/types/bitmap.js';
import { plainBuffer } from '../../util/bytes.js';
import type { CommandSpec, Session } from '../types.js';

/**
 * Runs one operation on `bytes`, which hold the field's bytes from byte `base` on; replies with
 * its result. Returns whether it wrote a new value (SET and INCRBY that did not FAIL).
 */
function runOp(ctx: Session, op: FieldOp, bytes: Buffer, base: number): { wrote: boolean; changed: boolean } {
  const at = op.offset - base * 8;
  const read = (): bigint => (op.signed ? getSigned(bytes, at, op.bits) : getUnsigned(bytes, at, op.bits));
  const old = read();
  if (op.code === Code.Get) {
    ctx.reply.integer(old);
    return { wrote: false, changed: false };
  }
  // An unsigned SET reads its argument as an unsigned 64-bit number, as Redis does.
  const fitted = op.code === Code.Incrby
    ? fitBitfield(old, op.value, op.bits, op.signed, op.overflow)
    : fitBitfield(op.signed ? op.value : BigInt.asUintN(64, op.value), 0n, op.bits, op.signed, op.overflow);
  if (fitted === null) {
    ctx.reply.nullBulk();
    return { wrote: false, changed: false };
  }
  ctx.reply.integer(op.code === Code.Incrby ? fitted.result : old);
  setBits(bytes, at, op.bits, fitted.result);
  return { wrote: true, changed: fitted.result !== old };
}

function bitfieldGeneric(ctx: Session, args: Buffer[], readOnly: boolean): void {
  const ops = parseOps(args, ctx.server.config.number('proto-max-bulk-len'));
  if (typeof ops === 'string') return ctx.reply.error(ops);
  // The value grows (zero-filled) to hold the farthest bit any SET or INCRBY writes.
  const needed = writeReach(ops);
  const key = keyOf(ctx, args[1]!);
  if (needed === 0) return readFields(ctx, key, ops);
  if (readOnly) return ctx.reply.error(Errors.bitfieldReadOnly);
  const entry = ctx.db.get(key, ctx.now);
  if (entry !== undefined && entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  if (needed > CHUNK_PLAIN) {
    const chunked = entry !== undefined && Sealer.isChunked(entry.value);
    if (!chunked || (needed > lengthOf(entry) && zerosReady(ctx, key, needed))) return writeSparse(ctx, key, entry, ops, needed);
  }
  if (entry !== undefined && Sealer.isChunked(entry.value)) return writeChunked(ctx, key, entry, ops, needed);
  const oldLength = entry === undefined ? 0 : lengthOf(entry);
  let plain: Buffer;
  if (entry === undefined) {
    plain = plainBuffer(needed);
  } else {
    const opened = openValue(ctx, key, entry.value);
    if (opened === null) return;
    plain = opened;
    if (needed > oldLength) {
      plain = plainBuffer(needed);
      opened.copy(plain);
      opened.fill(0);
    }
  }
  try {
    const grown = entry === undefined || needed > oldLength;
    let changes = 0;
    ctx.reply.arrayLen(ops.length);
    for (const op of ops) {
      const r = runOp(ctx, op, plain, 0);
      if (r.wrote && (grown || r.changed)) changes++;
    }
    if (entry === undefined) storeValue(ctx, key, plain, 0, 'setbit');
    else if (grown || changes > 0) {
      entry.value = sealValue(ctx, key, plain);
      ctx.db.touch(entry, ctx.now);
      ctx.db.changed(key, 'setbit');
    }
  } finally {
    plain.fill(0);
  }
}

/**
 * Writes that make a missing or short value (or one a seal worker sealed the zeros for) longer
 * than a chunk: the operations run on small segments holding their fields' bytes (the old
 * value's where they overlap it), and the value is sealed from those and the old bytes over
 * zeros (storeSparse), with no plaintext of the new length: BITFIELD k SET u8 4294967288 1 used
 * to fill, seal and wipe 512 MB on the event loop.
 */
function writeSparse(ctx: Session, key: string, entry: StringEntry | undefined, ops: readonly FieldOp[], needed: number): void {
  const old = entry === undefined ? null : openValue(ctx, key, entry.value);
  if (entry !== undefined && old === null) return;
  const segments = segmentsOf(ops, old);
  try {
    ctx.reply.arrayLen(ops.length);
    for (const op of ops) {
      const segment = segmentOf(segments, fieldBytes(op)[0]);
      runOp(ctx, op, segment.bytes, segment.at);
    }
    const pieces: Piece[] = old === null ? [] : [{ at: 0, bytes: old }];
    for (const { at, bytes } of segments) if (at < needed) pieces.push({ at, bytes: bytes.subarray(0, needed - at) });
    storeSparse(ctx, key, entry, needed, pieces, 'setbit');
  } finally {
    old?.fill(0);
    for (const segment of segments) segment.bytes.fill(0);
  }
}

/** Bytes [at, at + bytes.length) of the value, in plaintext. */
interface Segment {
  at: number;
  bytes: Buffer;
}

/** The fields' byte ranges, overlapping ones merged, in order, each holding old's bytes where it overlaps them. */
function segmentsOf(ops: readonly FieldOp[], old: Buffer | null): Segment[] {
  const ranges = ops.map(fieldBytes).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of ranges) {
    const last = merged.at(-1);
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged.map(([from, to]) => {
    const bytes = plainBuffer(to - from);
    if (old !== null && from < old.length) old.copy(bytes, 0, from, Math.min(to, old.length));
    return { at: from, bytes };
  });
}

/** The segment holding byte `at` (segments are in order and cover every field). */
function segmentOf(segments: readonly Segment[], at: number): Segment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.at <= at) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo]!;
}

/** GET-only: the key may be missing (all zeros); each field's bytes are opened on their own. */
function readFields(ctx: Session, key: string, ops: FieldOp[]): void {
  const entry = ctx.db.read(key, ctx.now);
  if (entry !== undefined && entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  if (entry !== undefined && Sealer.isChunked(entry.value)) return readChunked(ctx, key, entry, ops);
  // A small value is opened once.
  const whole = entry === undefined ? plainBuffer(0) : openValue(ctx, key, entry.value);
  if (whole === null) return;
  ctx.reply.arrayLen(ops.length);
  for (const op of ops) runOp(ctx, op, whole, 0);
  whole.fill(0);
}

/** GETs on a chunked value: every field's bytes are opened first, so a seal error is the whole reply. */
function readChunked(ctx: Session, key: string, entry: StringEntry, ops: FieldOp[]): void {
  const cells: Buffer[] = [];
  try {
    for (const op of ops) {
      const [from, to] = fieldBytes(op);
      const cell = openRange(ctx, key, entry.value, from, to);
      if (cell === null) return;
      cells.push(cell);
    }
    ctx.reply.arrayLen(ops.length);
    ops.forEach((op, i) => runOp(ctx, op, cells[i]!, fieldBytes(op)[0]));
  } finally {
    for (const c of cells) c.fill(0);
  }
}

/** SET / INCRBY on a chunked value: each field's bytes opened, changed and re-sealed on their own. */
function writeChunked(ctx: Session, key: string, entry: StringEntry, ops: FieldOp[], needed: number): void {
  const grown = needed > lengthOf(entry);
  if (grown && !editChunked(ctx, key, entry, needed - 1, plainBuffer(1))) return;
  let changes = 0;
  const mark = ctx.reply.size;
  ctx.reply.arrayLen(ops.length);
  for (const op of ops) {
    const [from, to] = fieldBytes(op);
    const cell = openRange(ctx, key, entry.value, from, to);
    let ok = cell !== null;
    if (cell !== null) {
      const r = runOp(ctx, op, cell, from);
      ok = !r.wrote || !r.changed || editChunked(ctx, key, entry, from, cell);
      if (ok && r.wrote && (grown || r.changed)) changes++;
      cell.fill(0);
    }
    if (!ok) {
      // The seal error (already counted) replaces the half-written array.
      ctx.reply.truncate(mark);
      ctx.reply.error(Errors.sealOpenFailed);
      break;
    }
  }
  if (grown || changes > 0) ctx.db.changed(key, 'setbit');
}

/** redis bitfieldGetKeys: read-only (RO) when only GET and OVERFLOW come before any write. */
function bitfieldKeys(args: readonly Buffer[]): KeyRef[] {
  let readOnly = true;
  for (let i = 2; i < args.length; i++) {
    const left = args.length - i - 1;
    const a = args[i]!;
    if (isWord(a, 'get') && left >= 2) i += 2;
    else if ((isWord(a, 'set') || isWord(a, 'incrby')) && left >= 3) {
      readOnly = false;
      break;
    } else if (isWord(a, 'overflow') && left >= 1) i += 1;
    else {
      readOnly = false;
      break;
    }
  }
  return [{ pos: 1, flags: readOnly ? KeyFlag.RO | KeyFlag.ACCESS : KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE }];
}

const cmd = (spec: Omit<CommandSpec, 'group'>): CommandSpec => ({ group: 'bitmap', ...spec });

export const bitfieldCommands: CommandSpec[] = [
  cmd({ name: 'bitfield', arity: -2, flags: ['write', 'denyoom'],
    keySpecs: [noted(at(1, 'RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'), 'This command allows both access and modification of the key')],
    findKeys: bitfieldKeys, categories: ['@write', '@bitmap', '@slow'],
    summary: 'Perform arbitrary bitfield integer operations on strings', since: '3.2.0', complexity: 'O(1) for each subcommand specified',
    handler: (ctx, args) => bitfieldGeneric(ctx, args, false) }),
  cmd({ name: 'bitfield_ro', arity: -2, flags: ['readonly', 'fast'], keySpecs: [at(1, 'RO', 'ACCESS')], categories: ['@read', '@bitmap', '@fast'],
    summary: 'Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD', since: '6.0.0',
    complexity: 'O(1) for each subcommand specified', handler: (ctx, args) => bitfieldGeneric(ctx, args, true) }),
];
