// BITFIELD's operations and bit offsets, parsed without replying (commands/strings/bitfield.ts runs
// them, bitmaps.ts takes the offsets): a module of its own, which commands/values/offload.ts reads a
// far write's length from before the command runs, with no command table behind it.

import { int64 } from '../args.js';
import { Errors } from '../../protocol/errors.js';
import { Overflow } from '../../store/types/bitmap.js';

/**
 * redis getBitOffsetFromArgument without the reply: null where Redis refuses the offset. With
 * `bits` > 0 an offset written "#n" means n * bits (BITFIELD). Offsets whose byte reaches
 * proto-max-bulk-len are refused.
 */
export function parseBitOffset(arg: Buffer, bits: number, maxBulkLen: number): number | null {
  const hash = bits > 0 && arg.length > 0 && arg[0] === 0x23;
  let n = int64(hash ? arg.subarray(1) : arg);
  if (n !== null && hash) n *= BigInt(bits);
  return n === null || n < 0n || n >> 3n >= BigInt(maxBulkLen) ? null : Number(n);
}

export const enum Code { Get, Set, Incrby }

export interface FieldOp {
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

export function isWord(arg: Buffer, lower: string): boolean {
  return arg.length === lower.length && arg.toString('latin1').toLowerCase() === lower;
}

/** The operations, or the first error's text, in Redis's order. */
export function parseOps(args: readonly Buffer[], maxBulkLen: number): FieldOp[] | string {
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
      else return Errors.bitfieldOverflow;
      continue;
    } else {
      return Errors.syntax;
    }
    const type = fieldType(args[j + 1]!);
    if (type === null) return Errors.bitfieldType;
    const offset = parseBitOffset(args[j + 2]!, type.bits, maxBulkLen);
    if (offset === null) return Errors.bitOffset;
    let value = 0n;
    if (code !== Code.Get) {
      const parsed = int64(args[j + 3]!);
      if (parsed === null) return Errors.notInteger;
      value = parsed;
    }
    ops.push({ code, offset, bits: type.bits, signed: type.signed, overflow, value });
    j += code === Code.Get ? 2 : 3;
  }
  return ops;
}

/** The length the value grows to for the farthest bit any SET or INCRBY writes (0: none). */
export function writeReach(ops: readonly FieldOp[]): number {
  let needed = 0;
  for (const op of ops) if (op.code !== Code.Get) needed = Math.max(needed, fieldBytes(op)[1]);
  return needed;
}

/**
 * The length BITFIELD args (a valid write) will give its key, for commands/values/offload.ts to have
 * the zeros of a far one sealed on a seal worker first; 0 when it writes nothing or is refused.
 */
export function bitfieldReach(args: readonly Buffer[], maxBulkLen: number): number {
  const ops = parseOps(args, maxBulkLen);
  return typeof ops === 'string' ? 0 : writeReach(ops);
}

/** The bytes one field spans, as [first byte, byte after the last]. */
export function fieldBytes(op: FieldOp): [number, number] {
  return [Math.floor(op.offset / 8), Math.floor((op.offset + op.bits - 1) / 8) + 1];
}
