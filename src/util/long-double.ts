// x87 80-bit long double, as Redis computes INCRBYFLOAT and HINCRBYFLOAT (strtold, +, "%.17Lf").
// A JS double cannot reproduce Redis's replies: 0.1 + 0.2 must print 0.3, 0.3 + 1000 must print
// 1000.29999999999999999 and 1e400 is a valid value. So values are exact binary fractions
// (mant * 2^exp, 64-bit mantissa) held in BigInts, rounded to nearest-even like the FPU.

import { plainBuffer } from './bytes.js';
import { writeInteger, writeUnsigned } from './decimal.js';

export interface LongDouble {
  neg: boolean;
  /** Infinite (then mant/exp are meaningless). */
  inf: boolean;
  /** 0 <= mant < 2^64; 0 means zero. */
  mant: bigint;
  exp: number;
}

const MANT_BITS = 64;
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const TWO_32 = 1n << 32n;
const TWO_1024 = 1n << 1024n;
/** Exponent of the smallest subnormal (2^-16445): no bit may sit below it. */
const MIN_EXP = -16445;
/** Largest exponent with a 64-bit mantissa still below 2^16384. */
const MAX_EXP = 16384 - MANT_BITS;
/**
 * Redis copies the text into a 5 KiB buffer first (MAX_LONG_DOUBLE_CHARS): longer input is not a
 * float, and writeHuman's text (at most 4933 digits, a sign, a point and 17 decimals) fits.
 */
export const LONG_DOUBLE_TEXT_MAX = 5 * 1024;

const ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

/**
 * The number of bits of n >= 0, by shifts (n.toString(2) would make a string of a stored
 * value's bits).
 */
function bitLength(n: bigint): number {
  let bits = 0;
  while (n >= TWO_1024) {
    n >>= 1024n;
    bits += 1024;
  }
  while (n >= TWO_32) {
    n >>= 32n;
    bits += 32;
  }
  return bits + 32 - Math.clz32(Number(n));
}

/** Rounds the exact value num/den * 2^base (num, den > 0) to the nearest long double. */
function round(neg: boolean, num: bigint, den: bigint, base: number): LongDouble {
  if (num === 0n) return { neg, inf: false, mant: 0n, exp: 0 };
  // Pick e so that num/den / 2^e lands in [2^63, 2^64), never below the subnormal quantum.
  let e = bitLength(num) - bitLength(den) - MANT_BITS;
  for (;;) {
    const clamped = Math.max(e, MIN_EXP - base);
    const [n, d] = clamped >= 0 ? [num, den << BigInt(clamped)] : [num << BigInt(-clamped), den];
    let q = n / d;
    if (q >= TWO_64) {
      e++;
      continue;
    }
    if (q < TWO_63 && clamped === e && e + base > MIN_EXP) {
      e--;
      continue;
    }
    const twice = (n - q * d) * 2n;
    if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
    let exp = clamped + base;
    if (q === TWO_64) {
      q = TWO_63;
      exp++;
    }
    if (exp > MAX_EXP) return { neg, inf: true, mant: 0n, exp: 0 };
    return { neg, inf: false, mant: q, exp };
  }
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const ZERO_DIGIT = 0x30;
/** A byte ORed with this is lower case when it is an ASCII letter. */
const LOWER = 0x20;
const INFINITY_TEXT = [0x69, 0x6e, 0x66, 0x69, 0x6e, 0x69, 0x74, 0x79]; // "infinity"
/** Exponents past this are clamped (the magnitude checks then reject them). */
const EXPONENT_LIMIT = 1e6;

/** The value of digit byte c in radix 10 or 16, or -1. */
function digitValue(c: number, radix: number): number {
  const d = c - ZERO_DIGIT;
  if (d >= 0 && d <= 9) return d;
  if (radix !== 16) return -1;
  const h = (c | LOWER) - 0x61;
  return h >= 0 && h <= 5 ? 10 + h : -1;
}

/** Whether bytes[at..] is exactly "inf" or "infinity", in any case. */
function isInfinity(bytes: Uint8Array, at: number): boolean {
  const length = bytes.length - at;
  if (length !== 3 && length !== 8) return false;
  for (let i = 0; i < length; i++) if ((bytes[at + i]! | LOWER) !== INFINITY_TEXT[i]) return false;
  return true;
}

/**
 * glibc strtold as Redis's string2ld uses it: decimal or hex ("0x1.8p3") notation, "inf" and
 * "infinity"; no leading space, no trailing bytes, no NaN, and no overflow or underflow to zero.
 * null when Redis would answer "not a valid float". Read from the bytes themselves: a stored
 * value's digits never become a JS string.
 */
export function parseLongDouble(bytes: Uint8Array): LongDouble | null {
  const end = bytes.length;
  if (end === 0 || end >= LONG_DOUBLE_TEXT_MAX) return null;
  let at = 0;
  const neg = bytes[0] === MINUS;
  if (neg || bytes[0] === PLUS) at++;
  if (isInfinity(bytes, at)) return { neg, inf: true, mant: 0n, exp: 0 };
  if (end - at >= 2 && bytes[at] === ZERO_DIGIT && (bytes[at + 1]! | LOWER) === 0x78) return parseDigits(bytes, at + 2, neg, 16);
  return parseDigits(bytes, at, neg, 10);
}

/** Significant digits are gathered this many at a time into a safe integer (15 decimal, 13 hex). */
const CHUNK_DIGITS = { 10: 15, 16: 13 } as const;

/**
 * Digits with an optional point, then an optional exponent ('e' for decimal, 'p' for hex, in
 * decimal digits), to the end of the bytes; radix 16 scales by powers of two.
 */
function parseDigits(bytes: Uint8Array, start: number, neg: boolean, radix: 10 | 16): LongDouble | null {
  const end = bytes.length;
  let at = start;
  while (at < end && digitValue(bytes[at]!, radix) >= 0) at++;
  const wholeEnd = at;
  let fracDigits = 0;
  if (at < end && bytes[at] === POINT) {
    at++;
    while (at < end && digitValue(bytes[at]!, radix) >= 0) at++;
    fracDigits = at - wholeEnd - 1;
  }
  const digitsEnd = at;
  if (wholeEnd - start + fracDigits === 0) return null;
  let exponent = 0;
  if (at < end && (bytes[at]! | LOWER) === (radix === 16 ? 0x70 : 0x65)) {
    at++;
    const negExp = bytes[at] === MINUS;
    if (negExp || bytes[at] === PLUS) at++;
    const first = at;
    for (; at < end; at++) {
      const d = bytes[at]! - ZERO_DIGIT;
      if (d < 0 || d > 9) break;
      exponent = Math.min(exponent * 10 + d, 10 * EXPONENT_LIMIT);
    }
    if (at === first) return null;
    exponent = Math.min(exponent, EXPONENT_LIMIT);
    if (negExp) exponent = -exponent;
  }
  if (at !== end) return null;

  // The significant digits: leading zeros (and the point) skipped.
  let first = start;
  while (first < digitsEnd && (bytes[first] === ZERO_DIGIT || bytes[first] === POINT)) first++;
  const pointInside = first < wholeEnd && digitsEnd > wholeEnd;
  const significant = digitsEnd - first - (pointInside ? 1 : 0);
  if (significant === 0) return { ...ZERO, neg };
  // Decimal magnitude (binary for hex) decides overflow/underflow before building huge powers.
  if (radix === 10) {
    const scale = exponent - fracDigits;
    const magnitude = significant - 1 + scale;
    if (magnitude > 4940 || magnitude < -4960) return null;
    const n = digitsValue(bytes, first, digitsEnd, radix);
    return finite(scale >= 0 ? round(neg, n * 10n ** BigInt(scale), 1n, 0) : round(neg, n, 10n ** BigInt(-scale), 0));
  }
  const scale = exponent - 4 * fracDigits;
  const magnitude = 4 * significant + scale;
  if (magnitude > 16400 || magnitude < -16500) return null;
  return finite(round(neg, digitsValue(bytes, first, digitsEnd, radix), 1n, scale));
}

/** The integer the digits in bytes[start, end) spell (a point among them skipped), a chunk at a time. */
function digitsValue(bytes: Uint8Array, start: number, end: number, radix: 10 | 16): bigint {
  const chunkDigits = CHUNK_DIGITS[radix];
  let n = 0n;
  let chunk = 0;
  let inChunk = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === POINT) continue;
    chunk = chunk * radix + digitValue(c, radix);
    if (++inChunk === chunkDigits) {
      n = n * BigInt(radix ** chunkDigits) + BigInt(chunk);
      chunk = 0;
      inChunk = 0;
    }
  }
  return inChunk === 0 ? n : n * BigInt(radix ** inChunk) + BigInt(chunk);
}

/** strtold's ERANGE cases that Redis rejects: overflow to infinity, underflow to zero. */
function finite(v: LongDouble): LongDouble | null {
  return v.inf || v.mant === 0n ? null : v;
}

/** a + b rounded once, as the FPU does; null when the result is NaN or infinite. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) return null;
  if (a.mant === 0n) return b.mant === 0n ? { ...ZERO, neg: a.neg && b.neg } : b;
  if (b.mant === 0n) return a;
  const base = Math.min(a.exp, b.exp);
  const x = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - base);
  const y = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - base);
  const sum = x + y;
  if (sum === 0n) return ZERO;
  const r = round(sum < 0n, sum < 0n ? -sum : sum, 1n, base);
  return r.inf ? null : r;
}

const SCALE = 10n ** 17n;
/** The 17 decimals are written as 8 then 9 digits, each a safe integer. */
const DECIMALS_SPLIT = 10n ** 9n;

/**
 * Redis's LD_STR_HUMAN: printf("%.17Lf") (correctly rounded, ties to even), trailing zeros and
 * a bare point trimmed, "-0" shown as "0". Written as bytes at out[at..] (which needs room for
 * LONG_DOUBLE_TEXT_MAX of them), never as a string; returns the length.
 */
export function writeHuman(v: LongDouble, out: Uint8Array, at: number): number {
  let p = at;
  if (v.inf) {
    if (v.neg) out[p++] = MINUS;
    out[p++] = 0x69;
    out[p++] = 0x6e;
    out[p++] = 0x66;
    return p - at;
  }
  if (v.exp >= 0) {
    const n = v.mant << BigInt(v.exp);
    if (v.neg && n !== 0n) out[p++] = MINUS;
    return p - at + writeInteger(n, out, p);
  }
  const den = 1n << BigInt(-v.exp);
  const n = v.mant * SCALE;
  let q = n / den;
  const twice = (n - q * den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  if (v.neg && q !== 0n) out[p++] = MINUS;
  p += writeInteger(q / SCALE, out, p);
  const decimals = q % SCALE;
  if (decimals === 0n) return p - at;
  out[p] = POINT;
  writeUnsigned(Number(decimals / DECIMALS_SPLIT), out, p + 1, 8);
  writeUnsigned(Number(decimals % DECIMALS_SPLIT), out, p + 9, 9);
  let last = p + 17;
  while (out[last] === ZERO_DIGIT) out[last--] = 0;
  return last + 1 - at;
}

/** Where formatHuman writes (see plainBuffer), wiped once the string is made. */
const humanScratch = plainBuffer(LONG_DOUBLE_TEXT_MAX);

/** writeHuman's text as a string, for numbers that are not stored values (GEOPOS, humanFloat). */
export function formatHuman(v: LongDouble): string {
  const length = writeHuman(v, humanScratch, 0);
  const text = humanScratch.toString('latin1', 0, length);
  humanScratch.fill(0, 0, length);
  return text;
}

/** The nearest double (for callers that compute in doubles). */
export function toNumber(v: LongDouble): number {
  if (v.inf) return v.neg ? -Infinity : Infinity;
  const bits = bitLength(v.mant);
  // Keep 53 bits before converting so scaling by a power of two cannot round twice.
  const shift = Math.max(0, bits - 53);
  const top = Number(v.mant >> BigInt(shift));
  const rest = v.mant & ((1n << BigInt(shift)) - 1n);
  const half = shift === 0 ? 0n : 1n << BigInt(shift - 1);
  const up = rest > half || (rest === half && half !== 0n && top % 2 === 1) ? 1 : 0;
  const n = (top + up) * 2 ** (v.exp + shift);
  return v.neg ? -n : n;
}

/** The exact value of a finite or infinite double. */
export function fromNumber(n: number): LongDouble {
  if (!Number.isFinite(n)) return { neg: n < 0, inf: true, mant: 0n, exp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  const bits = view.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return { neg, inf: false, mant: fraction, exp: -1074 };
  return { neg, inf: false, mant: fraction | (1n << 52n), exp: biased - 1075 };
}
