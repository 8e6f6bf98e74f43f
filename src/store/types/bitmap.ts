// Bit-level arithmetic on a string's bytes, as Redis's bitops.c defines it: bit 0 is the most
// significant bit of the first byte, bitfields are big-endian across byte boundaries, and
// overflow follows BITFIELD's WRAP / SAT / FAIL rules. Pure functions over plaintext buffers:
// no RESP, no sealing (commands/strings/bitmaps.ts opens and seals around them).

/** Set bits of every byte value. */
const POPCOUNT = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

/** Set bits in bytes [from, to) of buf. */
export function popcount(buf: Uint8Array, from = 0, to = buf.length): number {
  let n = 0;
  let i = from;
  // Four bytes a step through a 32-bit view where the start is aligned (most of a large value).
  if (to - from >= 64) {
    while (i < to && (buf.byteOffset + i) % 4 !== 0) n += POPCOUNT[buf[i++]!]!;
    const words = Math.floor((to - i) / 4);
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) {
      let v = view[w]!;
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    i += words * 4;
  }
  while (i < to) n += POPCOUNT[buf[i++]!]!;
  return n;
}

/** Set bits of one byte. */
export function popcountByte(b: number): number {
  return POPCOUNT[b & 0xff]!;
}

/** Position (0 = most significant) of the first bit equal to `bit` in a byte, or -1. */
export function firstBitInByte(b: number, bit: 0 | 1): number {
  const v = bit === 1 ? b & 0xff : ~b & 0xff;
  return v === 0 ? -1 : Math.clz32(v) - 24;
}

/**
 * Masks of the bits outside a bit range at its first and last byte (redis bitcount/bitpos
 * first_byte_neg_mask, last_byte_neg_mask): bits before `startBit` and after `endBit`.
 */
export function edgeMasks(startBit: number, endBit: number): { first: number; last: number } {
  return { first: ~((1 << (8 - (startBit & 7))) - 1) & 0xff, last: (1 << (7 - (endBit & 7))) - 1 };
}

/** Bit `offset` of buf (0 past its end). */
export function getBit(buf: Uint8Array, offset: number): 0 | 1 {
  const byte = Math.floor(offset / 8);
  if (byte >= buf.length) return 0;
  return ((buf[byte]! >> (7 - (offset & 7))) & 1) as 0 | 1;
}

/** Sets bit `offset` of buf (which must hold it) to `on`; returns the old bit. */
export function setBit(buf: Uint8Array, offset: number, on: 0 | 1): 0 | 1 {
  const byte = Math.floor(offset / 8);
  const shift = 7 - (offset & 7);
  const old = ((buf[byte]! >> shift) & 1) as 0 | 1;
  buf[byte] = (buf[byte]! & ~(1 << shift)) | (on << shift);
  return old;
}

/** An unsigned integer of `bits` bits at bit `offset` of buf (bytes past its end read as 0). */
export function getUnsigned(buf: Uint8Array, offset: number, bits: number): bigint {
  let value = 0n;
  let pending = 0;
  let pendingBits = 0;
  for (let j = 0; j < bits; j++, offset++) {
    const byte = Math.floor(offset / 8);
    const bit = byte < buf.length ? (buf[byte]! >> (7 - (offset & 7))) & 1 : 0;
    pending = pending * 2 + bit;
    // Collect up to 32 bits in a number before moving them into the bigint.
    if (++pendingBits === 32) {
      value = (value << 32n) | BigInt(pending);
      pending = 0;
      pendingBits = 0;
    }
  }
  if (pendingBits > 0) value = (value << BigInt(pendingBits)) | BigInt(pending);
  return value;
}

/** A two's-complement signed integer of `bits` bits at bit `offset`. */
export function getSigned(buf: Uint8Array, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsigned(buf, offset, bits));
}

/** Writes the low `bits` bits of value (two's complement for negatives) at bit `offset`. */
export function setBits(buf: Uint8Array, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(64, value);
  for (let j = 0; j < bits; j++, offset++) {
    const on = Number((u >> BigInt(bits - 1 - j)) & 1n);
    const byte = Math.floor(offset / 8);
    const shift = 7 - (offset & 7);
    buf[byte] = (buf[byte]! & ~(1 << shift)) | (on << shift);
  }
}

export const enum Overflow {
  Wrap = 0,
  Sat = 1,
  Fail = 2,
}

/**
 * The value a BITFIELD SET or INCRBY stores (redis checkSignedBitfieldOverflow /
 * checkUnsignedBitfieldOverflow): `null` when it overflows under FAIL, otherwise the sum (or
 * SET's value, with incr 0) wrapped or saturated into the type. `value` for an unsigned SET is
 * the argument as an unsigned 64-bit number, as Redis reads it.
 */
export function fitBitfield(value: bigint, incr: bigint, bits: number, signed: boolean, overflow: Overflow): { result: bigint; overflowed: boolean } | null {
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -max - 1n : 0n;
  const sum = value + incr;
  let direction = 0;
  if (signed) {
    // Redis's test as written, in 64-bit arithmetic that wraps: a SET below about -2^63 + max
    // makes max - value wrap negative, so it saturates to max, not to min (i8 SET
    // -9223372036854775808 under SAT stores 127).
    const maxincr = BigInt.asIntN(64, max - value);
    const minincr = BigInt.asIntN(64, min - value);
    const narrow = bits !== 64;
    if (value > max || (narrow && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) direction = 1;
    else if (value < min || (narrow && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) direction = -1;
  } else if (value > max || sum > max) direction = 1;
  else if (sum < min) direction = -1;
  if (direction === 0) return { result: sum, overflowed: false };
  if (overflow === Overflow.Fail) return null;
  if (overflow === Overflow.Sat) return { result: direction > 0 ? max : min, overflowed: true };
  const wrapped = signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum);
  return { result: wrapped, overflowed: true };
}
