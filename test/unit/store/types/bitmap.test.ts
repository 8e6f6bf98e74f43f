// The pure bit arithmetic behind SETBIT, BITCOUNT, BITPOS and BITFIELD.

import { describe, expect, it } from 'vitest';
import {
  edgeMasks, firstBitInByte, fitBitfield, getBit, getSigned, getUnsigned, Overflow, popcount, setBit, setBits,
} from '../../../../src/store/types/bitmap.js';

describe('popcount', () => {
  it('counts set bits of short and long, aligned and unaligned ranges', () => {
    const buf = Buffer.alloc(1000);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 37) & 0xff;
    const slow = (from: number, to: number) => {
      let n = 0;
      for (let i = from; i < to; i++) for (let b = 0; b < 8; b++) n += (buf[i]! >> b) & 1;
      return n;
    };
    for (const [from, to] of [[0, 0], [0, 1], [3, 70], [1, 1000], [0, 1000], [999, 1000], [5, 69]] as const) {
      expect(popcount(buf, from, to)).toBe(slow(from, to));
    }
    expect(popcount(buf.subarray(1), 0, 200)).toBe(slow(1, 201));
  });
});

describe('bits and bytes', () => {
  it('numbers bits from the most significant bit of the first byte', () => {
    const buf = Buffer.alloc(2);
    expect(setBit(buf, 0, 1)).toBe(0);
    expect(setBit(buf, 9, 1)).toBe(0);
    expect([...buf]).toEqual([0x80, 0x40]);
    expect(getBit(buf, 9)).toBe(1);
    expect(getBit(buf, 100)).toBe(0);
    expect(setBit(buf, 0, 0)).toBe(1);
    expect(buf[0]).toBe(0);
  });

  it('finds the first bit of either value in a byte', () => {
    expect(firstBitInByte(0b00010000, 1)).toBe(3);
    expect(firstBitInByte(0, 1)).toBe(-1);
    expect(firstBitInByte(0xff, 0)).toBe(-1);
    expect(firstBitInByte(0b11101111, 0)).toBe(3);
  });

  it('masks the bits outside a BIT range at its edge bytes', () => {
    // Bits 3..12: bytes 0 and 1; outside are bits 0-2 of byte 0 and bits 13-15 of byte 1.
    expect(edgeMasks(3, 12)).toEqual({ first: 0b11100000, last: 0b00000111 });
    expect(edgeMasks(0, 7)).toEqual({ first: 0, last: 0 });
  });
});

describe('bitfields', () => {
  it('reads and writes fields across byte boundaries, big-endian', () => {
    const buf = Buffer.alloc(3);
    // A 5-bit 23 at offset 7 (the example of bitops.c): 00000001 01110000.
    setBits(buf, 7, 5, 23n);
    expect([...buf.subarray(0, 2)]).toEqual([0b00000001, 0b01110000]);
    expect(getUnsigned(buf, 7, 5)).toBe(23n);
    setBits(buf, 0, 8, -100n);
    expect(getSigned(buf, 0, 8)).toBe(-100n);
    expect(getUnsigned(buf, 0, 8)).toBe(156n);
  });

  it('handles 64-bit fields and reads zeros past the end', () => {
    const buf = Buffer.alloc(9);
    setBits(buf, 4, 64, -2n);
    expect(getSigned(buf, 4, 64)).toBe(-2n);
    expect(getUnsigned(Buffer.from([0xff]), 4, 8)).toBe(0xf0n);
  });

  it('wraps, saturates or fails on overflow as BITFIELD does', () => {
    expect(fitBitfield(100n, 100n, 8, true, Overflow.Wrap)).toEqual({ result: -56n, overflowed: true });
    expect(fitBitfield(100n, 100n, 8, true, Overflow.Sat)).toEqual({ result: 127n, overflowed: true });
    expect(fitBitfield(-100n, -100n, 8, true, Overflow.Sat)).toEqual({ result: -128n, overflowed: true });
    expect(fitBitfield(100n, 100n, 8, true, Overflow.Fail)).toBeNull();
    expect(fitBitfield(3n, 1n, 2, false, Overflow.Wrap)).toEqual({ result: 0n, overflowed: true });
    expect(fitBitfield(0n, -1n, 2, false, Overflow.Sat)).toEqual({ result: 0n, overflowed: true });
    expect(fitBitfield(1n, 1n, 2, false, Overflow.Fail)).toEqual({ result: 2n, overflowed: false });
    // An unsigned SET of -1 is 2^64 - 1 to Redis: past any unsigned type.
    expect(fitBitfield(2n ** 64n - 1n, 0n, 8, false, Overflow.Sat)).toEqual({ result: 255n, overflowed: true });
    expect(fitBitfield(2n ** 63n - 1n, 1n, 64, true, Overflow.Wrap)).toEqual({ result: -(2n ** 63n), overflowed: true });
  });
});
