// Argument parsing shared by every family, with Redis's strictness (string2ll, strtold).

import { parseStrictInteger } from '../protocol/parser.js';

/** A key or field name: latin1 keeps every byte as one char, so binary names round-trip. */
export function name(arg: Buffer): string {
  return arg.toString('latin1');
}

/** Lower-cased option word (EX, NX, WITHVALUES...) for comparisons. */
export function word(arg: Buffer): string {
  return arg.toString('latin1').toLowerCase();
}

/** Text of an argument for error messages and names (UTF-8, as a person would read it). */
export function text(arg: Buffer): string {
  return arg.toString('utf8');
}

/** Redis string2ll on a whole argument; null if it is not a canonical integer in the safe range. */
export function integer(arg: Uint8Array): number | null {
  return parseStrictInteger(arg, 0, arg.length);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Full signed 64-bit parse for INCR-style commands, where values may exceed 2^53. */
export function int64(arg: Uint8Array): bigint | null {
  const s = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1');
  if (!/^-?(0|[1-9]\d{0,19})$/.test(s) || s === '-0') return null;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

export function fitsInt64(n: bigint): boolean {
  return n >= INT64_MIN && n <= INT64_MAX;
}

/**
 * Redis strtold-style float: decimal or exponent notation, "inf"/"-inf"/"+inf" spellings;
 * no leading/trailing spaces, no hex, no NaN. null when invalid.
 */
export function float(arg: Uint8Array): number | null {
  const s = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1');
  if (s.length === 0 || s.length > 5000) return null;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return null;
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

/**
 * Redis's "human" long-double text (INCRBYFLOAT, HINCRBYFLOAT): plain digits, no exponent,
 * trailing zeros trimmed. Redis computes in 80-bit long double; taking the shortest of 15-17
 * significant digits that is within one double ulp of the result prints what Redis prints in
 * everyday cases (0.1 + 0.2 gives 0.3, as in Redis).
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
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
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
