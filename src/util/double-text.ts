// Doubles as Redis 7.0 prints them: printf's "%.17g" (addReplyDouble, the scores of ZSCORE,
// ZRANGE WITHSCORES, ZINCRBY...), with inf and -inf spelled Redis's way. Number's own toString
// gives the shortest round-trip text instead (0.1 where Redis 7.0 prints 0.10000000000000001).

const PRECISION = 17;

/** "%.17g": 17 significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e17. */
export function formatDouble17(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // Whole numbers below 2^53 print exactly, and the same, either way; toExponential is slow.
  if (Number.isInteger(d) && Math.abs(d) < 9007199254740992) return String(d);
  // toExponential rounds exactly as printf does (to nearest, from the exact binary value); its
  // exponent after rounding is the one %g decides the form by.
  const exp = d.toExponential(PRECISION - 1);
  const e = exp.indexOf('e');
  const x = Number(exp.slice(e + 1));
  if (x < -4 || x >= PRECISION) {
    const mantissa = trimZeros(exp.slice(0, e));
    const sign = x < 0 ? '-' : '+';
    const digits = String(Math.abs(x));
    return mantissa + 'e' + sign + (digits.length < 2 ? '0' + digits : digits);
  }
  return trimZeros(d.toFixed(PRECISION - 1 - x));
}

function trimZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.slice(0, end);
}

/**
 * strtod's hexadecimal form ("0x1.8p3", sign, optional fraction and binary exponent), already
 * checked for its shape by the caller: Number() does not read it, SORT and ZADD scores do.
 */
export function hexFloat(s: string): number {
  const negative = s.startsWith('-');
  const [digits, exp = '0'] = s.replace(/^[+-]?0[xX]/, '').split(/[pP]/) as [string, string?];
  const [whole, frac = ''] = digits.split('.') as [string, string?];
  let value = 0;
  for (const ch of whole) value = value * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of frac) {
    value += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  value *= 2 ** Number(exp);
  return negative ? -value : value;
}
