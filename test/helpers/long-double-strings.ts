// The string-based long-double parser and printer as they were before they worked on bytes
// (commit c72dc72), kept frozen as the oracle test/unit/util/long-double-bytes.test.ts checks
// the byte versions against. Not used by the server.

// x87 80-bit long double, as Redis computes INCRBYFLOAT and HINCRBYFLOAT (strtold, +, "%.17Lf").
// A JS double cannot reproduce Redis's replies: 0.1 + 0.2 must print 0.3, 0.3 + 1000 must print
// 1000.29999999999999999 and 1e400 is a valid value. So values are exact binary fractions
// (mant * 2^exp, 64-bit mantissa) held in BigInts, rounded to nearest-even like the FPU.

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
/** Exponent of the smallest subnormal (2^-16445): no bit may sit below it. */
const MIN_EXP = -16445;
/** Largest exponent with a 64-bit mantissa still below 2^16384. */
const MAX_EXP = 16384 - MANT_BITS;
/** Redis copies the text into a 5 KiB buffer first (MAX_LONG_DOUBLE_CHARS). */
const MAX_CHARS = 5 * 1024;

const ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
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

/**
 * glibc strtold as Redis's string2ld uses it: decimal or hex ("0x1.8p3") notation, "inf" and
 * "infinity"; no leading space, no trailing bytes, no NaN, and no overflow or underflow to zero.
 * null when Redis would answer "not a valid float".
 */
export function parseLongDouble(bytes: Uint8Array): LongDouble | null {
  if (bytes.length === 0 || bytes.length >= MAX_CHARS) return null;
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const m = /^([+-]?)(?:(inf|infinity)|0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?|(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?)$/i.exec(s);
  if (m === null) return null;
  const neg = m[1] === '-';
  if (m[2] !== undefined) return { neg, inf: true, mant: 0n, exp: 0 };
  if (m[3] !== undefined) return parseHex(neg, m[3], m[4] ?? '', m[5]);
  return parseDecimal(neg, m[6] ?? '', m[7] ?? '', m[8]);
}

function parseDecimal(neg: boolean, whole: string, frac: string, exponent: string | undefined): LongDouble | null {
  if (whole.length + frac.length === 0) return null;
  const digits = (whole + frac).replace(/^0+/, '');
  if (digits === '') return { ...ZERO, neg };
  const scale = parseExponent(exponent) - frac.length;
  // Decimal magnitude decides overflow/underflow before building huge powers of ten.
  const magnitude = digits.length - 1 + scale;
  if (magnitude > 4940) return null;
  if (magnitude < -4960) return null;
  const n = BigInt(digits);
  const value = scale >= 0 ? round(neg, n * 10n ** BigInt(scale), 1n, 0) : round(neg, n, 10n ** BigInt(-scale), 0);
  return finite(value);
}

function parseHex(neg: boolean, whole: string, frac: string, exponent: string | undefined): LongDouble | null {
  if (whole.length + frac.length === 0) return null;
  const digits = (whole + frac).replace(/^0+/, '');
  if (digits === '') return { ...ZERO, neg };
  const scale = parseExponent(exponent) - 4 * frac.length;
  const magnitude = 4 * digits.length + scale;
  if (magnitude > 16400) return null;
  if (magnitude < -16500) return null;
  return finite(round(neg, BigInt('0x' + digits), 1n, scale));
}

/** Exponent digits; absurd ones are clamped (the magnitude check then rejects them). */
function parseExponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  return Math.max(-1e6, Math.min(1e6, n));
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

/**
 * Redis's LD_STR_HUMAN: printf("%.17Lf") (correctly rounded, ties to even), trailing zeros and
 * a bare point trimmed, "-0" shown as "0".
 */
export function formatHuman(v: LongDouble): string {
  if (v.inf) return v.neg ? '-inf' : 'inf';
  let text: string;
  if (v.exp >= 0) {
    text = (v.mant << BigInt(v.exp)).toString();
  } else {
    const den = 1n << BigInt(-v.exp);
    const n = v.mant * SCALE;
    let q = n / den;
    const twice = (n - q * den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
    const fraction = (q % SCALE).toString().padStart(17, '0').replace(/0+$/, '');
    text = (q / SCALE).toString() + (fraction === '' ? '' : '.' + fraction);
  }
  return v.neg && text !== '0' ? '-' + text : text;
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
