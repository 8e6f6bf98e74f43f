// Argument parsing shared by every family, with Redis's strictness (string2ll, strtold).

import { parseStrictInteger } from '../protocol/parser.js';
import type { Session } from './types.js';
import { formatHuman, fromNumber, parseLongDouble, toNumber } from '../util/long-double.js';
import { nameString, nameStringAt, NameTooLongError } from '../util/names.js';
import { RawArgs } from '../protocol/raw-args.js';
import { INT64_TEXT_MAX } from '../util/decimal.js';
import { LongArgs } from '../protocol/long-args.js';
import type { ArgList } from '../protocol/arg-list.js';

/** Longer than any option word: word() never converts more, so a huge argument costs nothing. */
const WORD_MAX = 64;
/** Texts (names, CONFIG values, echoed options) beyond this are refused rather than made strings. */
const TEXT_MAX = 1024 * 1024;

/**
 * A hash field name, or any name that is not a key: latin1 keeps every byte as one char, so
 * binary names round-trip. Key arguments go through keyOf instead.
 */
export function name(arg: Buffer): string {
  return nameString(arg);
}

/**
 * The string a KEY argument is looked up under: its latin1 name, or with seal-keys a keyed hash
 * of its bytes, so the name never becomes a JS string (src/seal/key-names.ts).
 */
export function keyOf(ctx: Session, arg: Buffer): string {
  return ctx.server.names.keyOf(arg);
}

/** Argument i's length in bytes (i >= 0), without making its view where the list holds offsets (RawArgs, LongArgs). */
export function argLengthAt(args: ArgList, i: number): number {
  if (args instanceof RawArgs) return args.lengths[i]!;
  if (args instanceof LongArgs) return args.byteLength(i);
  return args.at(i)!.length;
}

/**
 * keyOf() of argument i of any argument list: of RawArgs (raw-args.ts) without making a Buffer
 * view of the name (unless seal-keys needs one to remember). For commands on ever new keys
 * (GET, SET); rawKeyOf() suits those that hit the same key over and over.
 */
export function keyAt(ctx: Session, args: ArgList, i: number): string {
  if (!(args instanceof RawArgs)) return ctx.server.names.keyOf(args.at(i)!);
  const names = ctx.server.names;
  if (names.sealed) return names.keyOf(args.at(i)!);
  return nameStringAt(args.bytes, args.starts[i]!, args.lengths[i]!);
}

/** keyOf() of argument i of any argument list, the last key's string again for RawArgs naming it (rawKeyOf). */
export function sameKeyAt(ctx: Session, args: ArgList, i: number): string {
  return args instanceof RawArgs ? rawKeyOf(ctx, args, i) : ctx.server.names.keyOf(args.at(i)!);
}

/**
 * The last key name rawKeyOf() made, and its bytes: a producer adds to the same stream (list,
 * set) over and over, and making the name's string (latin1Slice, a call into the runtime) cost
 * ~0.3 us an XADD. Only without --seal-keys, where key names are strings in the heap anyway.
 */
const KEY_CACHE_MAX = 64;
const lastKeyBytes = Buffer.alloc(KEY_CACHE_MAX);
let lastKeyLength = -1;
let lastKey = '';

/** ctx.server.names.keyOf() of raw argument i, the same string again when it names the last key. */
export function rawKeyOf(ctx: Session, raw: RawArgs, i: number): string {
  const names = ctx.server.names;
  const length = raw.lengths[i]!;
  if (names.sealed || length > KEY_CACHE_MAX) return names.keyOf(raw.at(i)!);
  const src = raw.bytes;
  const start = raw.starts[i]!;
  if (length === lastKeyLength) {
    let j = 0;
    while (j < length && src[start + j] === lastKeyBytes[j]) j++;
    if (j === length) return lastKey;
  }
  const key = nameStringAt(src, start, length);
  for (let j = 0; j < length; j++) lastKeyBytes[j] = src[start + j]!;
  lastKeyLength = length;
  lastKey = key;
  return key;
}

/**
 * Whether arguments i and j hold the same bytes (no view made for RawArgs). Compared from the
 * end: names that share a prefix ("user:1041", "user:1042") differ there.
 */
export function sameArg(args: ArgList, i: number, j: number): boolean {
  if (args instanceof RawArgs) {
    const length = args.lengths[i]!;
    if (args.lengths[j] !== length) return false;
    const bytes = args.bytes;
    const a = args.starts[i]!;
    const b = args.starts[j]!;
    for (let k = length - 1; k >= 0; k--) if (bytes[a + k] !== bytes[b + k]) return false;
    return true;
  }
  const x = args.at(i)!;
  const y = args.at(j)!;
  if (x.length !== y.length) return false;
  for (let k = x.length - 1; k >= 0; k--) if (x[k] !== y[k]) return false;
  return true;
}

/** The byte length of argument i (no view made for RawArgs). */
export function argLength(args: ArgList, i: number): number {
  return args instanceof RawArgs ? args.lengths[i]! : args.at(i)!.length;
}

/** Lower-cased option word (EX, NX, WITHVALUES...) for comparisons. */
export function word(arg: Buffer): string {
  // Cut past any keyword's length: a longer argument still matches none of them.
  const end = Math.min(arg.length, WORD_MAX + 1);
  return arg.toString('latin1', 0, end).toLowerCase();
}

/** Text of an argument for error messages and names (UTF-8, as a person would read it). */
export function text(arg: Buffer): string {
  if (arg.length > TEXT_MAX) throw new NameTooLongError();
  return arg.toString('utf8');
}

/**
 * Redis string2ll on a whole argument (getLongLongFromObject): null if it is not a canonical
 * 64-bit integer. Beyond 2^53 it is the nearest double, which is all a count, index or option
 * value needs to be checked against its bounds as Redis checks it.
 */
export function integer(arg: Uint8Array): number | null {
  const n = parseStrictInteger(arg, 0, arg.length);
  if (n !== null || arg.length > INT64_TEXT_MAX) return n;
  const wide = int64(arg);
  return wide === null ? null : Number(wide);
}

/** Whether n fits a C int (Redis getIntFromObject: SELECT, SWAPDB). */
export function fitsInt32(n: number): boolean {
  return n >= -2147483648 && n <= 2147483647;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Full signed 64-bit parse (Redis string2ll) for INCR-style commands, where values may exceed
 * 2^53. Works on the bytes, so a stored plaintext never becomes a JS string.
 */
export function int64(arg: Uint8Array): bigint | null {
  const len = arg.length;
  if (len === 0 || len > 20) return null;
  const small = parseStrictInteger(arg, 0, len);
  if (small !== null) return BigInt(small);
  // Beyond 2^53 (or invalid): check the canonical form, then join two exact halves.
  const negative = arg[0] === 0x2d;
  const start = negative ? 1 : 0;
  if (len - start < 16 || arg[start] === 0x30) return null;
  const split = len - 9;
  let high = 0;
  let low = 0;
  for (let i = start; i < len; i++) {
    const d = arg[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    if (i < split) high = high * 10 + d;
    else low = low * 10 + d;
  }
  const n = BigInt(high) * 1_000_000_000n + BigInt(low);
  const signed = negative ? -n : n;
  return signed < INT64_MIN || signed > INT64_MAX ? null : signed;
}

export function fitsInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** A canonical signed 64-bit integer as a number while it is exact, else as a bigint (INCRBY, HINCRBY). */
export function parseInt64(bytes: Uint8Array): number | bigint | null {
  if (bytes.length > INT64_TEXT_MAX) return null;
  return parseStrictInteger(bytes, 0, bytes.length) ?? int64(bytes);
}

/** parseInt64() of bytes[start, start + length): a safe integer read where it lies (no view made). */
export function parseInt64At(bytes: Uint8Array, start: number, length: number): number | bigint | null {
  const small = parseStrictInteger(bytes, start, start + length);
  if (small !== null) return small;
  return length > INT64_TEXT_MAX ? null : int64(bytes.subarray(start, start + length));
}

/** Argument i as a 64-bit integer; from RawArgs a safe one is read where it lies (no view made). */
export function int64At(args: ArgList, i: number): number | bigint | null {
  if (args instanceof RawArgs) return parseInt64At(args.bytes, args.starts[i]!, args.lengths[i]!);
  return parseInt64(args.at(i)!);
}

/** current + delta, or null on 64-bit overflow; stays in doubles while the sum is exact. */
export function addInt64(current: number | bigint, delta: number | bigint): number | bigint | null {
  if (typeof current === 'number' && typeof delta === 'number') {
    const sum = current + delta;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(current) + BigInt(delta);
  return fitsInt64(sum) ? sum : null;
}

/**
 * Redis string2ld (glibc strtold): decimal or hex notation, "inf"/"infinity" with a sign; no
 * spaces, no NaN, no overflow or underflow to zero. Values beyond a double's range come back
 * as +-Infinity; callers that must compute like Redis use util/long-double.ts directly.
 */
export function float(arg: Uint8Array): number | null {
  const v = parseLongDouble(arg);
  return v === null ? null : toNumber(v);
}

/**
 * Redis's "human" long-double text (INCRBYFLOAT, HINCRBYFLOAT) for a result computed in
 * doubles: plain digits, no exponent, at most 17 decimals ("%.17Lf"), trailing zeros trimmed.
 * Taking the shortest of 15-17 significant digits within one double ulp prints what Redis
 * prints in everyday cases (0.1 + 0.2 gives 0.3, as in Redis). For exact Redis results, do the
 * arithmetic with util/long-double.ts (parseLongDouble, addLongDouble, formatHuman).
 */
export function humanFloat(n: number): string {
  let s = n.toPrecision(17);
  for (const p of [15, 16]) {
    const candidate = n.toPrecision(p);
    if (Math.abs(Number(candidate) - n) <= Math.abs(n) * Number.EPSILON) {
      s = candidate;
      break;
    }
  }
  if (s.includes('e')) s = expandExponent(s);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  // "%.17Lf" never shows more than 17 decimals (1e-30 prints as 0).
  const point = s.indexOf('.');
  if (point >= 0 && s.length - point - 1 > 17) s = formatHuman(fromNumber(n));
  return s === '-0' ? '0' : s;
}

/** "1.5e+21" -> "1500000000000000000000", "1.5e-7" -> "0.00000015". */
function expandExponent(s: string): string {
  const [mantissa, exp] = s.split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const [whole, frac = ''] = mantissa.replace('-', '').split('.') as [string, string?];
  const digits = whole + frac;
  const point = whole.length + Number(exp);
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (negative ? '-' : '') + out;
}
