// Decimal text of integers written straight as bytes: a counter's value is plaintext, and a JS
// string of it would stay in the heap, never wiped, until the collector reuses the memory.

/** A bigint is written in chunks of this many digits, each a safe integer. */
const CHUNK_DIGITS = 15;
const CHUNK = 10n ** BigInt(CHUNK_DIGITS);

/** Room for any 64-bit integer's text: "-9223372036854775808". */
export const INT64_TEXT_MAX = 20;

/** The number of decimal digits of a non-negative safe integer. */
function digitCount(n: number): number {
  let length = 1;
  for (let t = n; t >= 10; t = (t - (t % 10)) / 10) length++;
  return length;
}

/** Writes non-negative safe integer n at out[at..], left-padded with zeros to `width` digits; returns the length. */
export function writeUnsigned(n: number, out: Uint8Array, at: number, width: number): number {
  const length = Math.max(digitCount(n), width);
  let v = n;
  for (let i = at + length - 1; i >= at; i--) {
    const d = v % 10;
    out[i] = 0x30 + d;
    v = (v - d) / 10;
  }
  return length;
}

/**
 * Writes integer n's decimal text ('-' first when negative) at out[at..]; returns its length.
 * A bigint of any size is written a chunk of digits at a time (no string made of it); out needs
 * room for the whole text (INT64_TEXT_MAX bytes for a 64-bit value).
 */
export function writeInteger(n: number | bigint, out: Uint8Array, at: number): number {
  let p = at;
  if (n < 0) {
    out[p++] = 0x2d;
    n = -n;
  }
  if (typeof n === 'number') return p - at + writeUnsigned(n, out, p, 0);
  const chunks: number[] = [];
  while (n >= CHUNK) {
    chunks.push(Number(n % CHUNK));
    n /= CHUNK;
  }
  p += writeUnsigned(Number(n), out, p, 0);
  for (let i = chunks.length - 1; i >= 0; i--) p += writeUnsigned(chunks[i]!, out, p, CHUNK_DIGITS);
  return p - at;
}

/** The length writeInteger() gives n (bigints by their bit length: an upper bound). */
export function integerTextBound(n: number | bigint): number {
  if (typeof n === 'number') return INT64_TEXT_MAX;
  let bits = 0;
  for (let v = n < 0 ? -n : n; v > 0n; v >>= 64n) bits += 64;
  return Math.ceil(bits * Math.LOG10E * Math.LN2) + 2;
}
