// BITFIELD and BITFIELD_RO (redis bitops.c bitfieldGeneric): every subcommand is parsed (and
// refused) before the key is touched, then run in order. A small value is opened once, edited
// in memory and sealed once; on a large (chunked) value each operation opens and re-seals only
// the few bytes (one or two chunks) its field spans.

import { int64, keyOf } from '../args.js';
import { bitOffset } from './bitmaps.js';
import { editChunked, lengthOf, openRange } from './string-bytes.js';
import { openValue, sealValue, storeValue } from '../values/sealing.js';
import { at, KeyFlag, noted, type KeyRef } from '../key-specs.js';
import { Errors } from '../../protocol/errors.js';
import { Sealer } from '../../seal/sealer.js';
import { Kind, type StringEntry } from '../../store/keyspace.js';
import { fitBitfield, getSigned, getUnsigned, Overflow, setBits } from '../../store/types/bitmap.js';
import { plainBuffer } from '../../util/bytes.js';
import type { CommandSpec, Session } from '../types.js';

const enum Code { Get, Set, Incrby }

interface FieldOp {
  code: Code;
  offset: number;
  bits: number;
  signed: boolean;
  overflow: Overflow;
  /** SET's value or INCRBY's increment. */
  value: bigint;
}

/** redis getBitfieldTypeFromArgument: i1..i64 or u1..u63 (lower-case sign only). */
function fieldType(arg: Buffer): { signed: boolean; bits: number } | null {
  if (arg.length < 2 || (arg[0] !== 0x69 && arg[0] !== 0x75)) return null;
  const signed = arg[0] === 0x69;
  // Redis reads the width as a C string: it ends at the first NUL byte.
  const nul = arg.indexOf(0, 1);
  const bits = int64(arg.subarray(1, nul < 0 ? arg.length : nul));
  if (bits === null || bits < 1n || bits > (signed ? 64n : 63n)) return null;
  return { signed, bits: Number(bits) };
}

function isWord(arg: Buffer, lower: string): boolean {
  return arg.length === lower.length && arg.toString('latin1').toLowerCase() === lower;
}

/** The operations, or null after replying with the first error, in Redis's order. */
function parseOps(ctx: Session, args: Buffer[]): FieldOp[] | null {
  const ops: FieldOp[] = [];
  let overflow = Overflow.Wrap;
  for (let j = 2; j < args.length; j++) {
    const left = args.length - j - 1;
    const sub = args[j]!;
    let code: Code;
    if (isWord(sub, 'get') && left >= 2) code = Code.Get;
    else if (isWord(sub, 'set') && left >= 3) code = Code.Set;
    else if (isWord(sub, 'incrby') && left >= 3) code = Code.Incrby;
    else if (isWord(sub, 'overflow') && left >= 1) {
      const kind = args[++j]!;
      if (isWord(kind, 'wrap')) overflow = Overflow.Wrap;
      else if (isWord(kind, 'sat')) overflow = Overflow.Sat;
      else if (isWord(kind, 'fail')) overflow = Overflow.Fail;
      else {
        ctx.reply.error(Errors.bitfieldOverflow);
        return null;
      }
      continue;
    } else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
    const type = fieldType(args[j + 1]!);
    if (type === null) {
      ctx.reply.error(Errors.bitfieldType);
      return null;
    }
    const offset = bitOffset(ctx, args[j + 2]!, type.bits);
    if (offset === null) return null;
    let value = 0n;
    if (code !== Code.Get) {
      const parsed = int64(args[j + 3]!);
      if (parsed === null) {
        ctx.reply.error(Errors.notInteger);
        return null;
      }
      value = parsed;
    }
    ops.push({ code, offset, bits: type.bits, signed: type.signed, overflow, value });
    j += code === Code.Get ? 2 : 3;
  }
  return ops;
}

/** The bytes one field spans, as [first byte, byte after the last]. */
function fieldBytes(op: FieldOp): [number, number] {
  return [Math.floor(op.offset / 8), Math.floor((op.offset + op.bits - 1) / 8) + 1];
}

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
  const ops = parseOps(ctx, args);
  if (ops === null) return;
  const writes = ops.some((op) => op.code !== Code.Get);
  const key = keyOf(ctx, args[1]!);
  if (!writes) return readFields(ctx, key, ops);
  if (readOnly) return ctx.reply.error(Errors.bitfieldReadOnly);
  const entry = ctx.db.get(key, ctx.now);
  if (entry !== undefined && entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  // The value grows (zero-filled) to hold the farthest bit any SET or INCRBY writes.
  let needed = 0;
  for (const op of ops) if (op.code !== Code.Get) needed = Math.max(needed, fieldBytes(op)[1]);
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
