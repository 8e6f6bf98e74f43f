// Integers written as decimal bytes (util/decimal.ts): the same text String() gives, with no
// string made, for safe numbers, 64-bit bigints and bigints of any size.

import { describe, expect, it } from 'vitest';
import { INT64_TEXT_MAX, integerTextBound, writeInteger } from '../../../src/util/decimal.js';

function text(n: number | bigint, at = 0): string {
  const out = Buffer.alloc(at + Math.max(INT64_TEXT_MAX, integerTextBound(n)), 0x5f);
  const length = writeInteger(n, out, at);
  expect(out.subarray(0, at).every((b) => b === 0x5f)).toBe(true);
  expect(out.subarray(at + length).every((b) => b === 0x5f)).toBe(true);
  return out.toString('latin1', at, at + length);
}

describe('writeInteger', () => {
  it('writes safe numbers as String() does', () => {
    for (const n of [0, 1, 9, 10, 99, 100, -1, -10, 123456789, -987654321, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      expect(text(n)).toBe(String(n));
      expect(text(n, 3)).toBe(String(n));
    }
  });

  it('writes 64-bit bigints, chunk boundaries included', () => {
    const cases = [0n, 1n, -1n, 2n ** 53n + 1n, 10n ** 15n, 10n ** 15n - 1n, 10n ** 15n + 1n, 10n ** 15n * 7n + 5n, 2n ** 63n - 1n, -(2n ** 63n), 1000000000000000000n];
    for (const n of cases) expect(text(n)).toBe(n.toString());
    expect(text(-(2n ** 63n)).length).toBe(INT64_TEXT_MAX);
  });

  it('writes bigints of any size within integerTextBound()', () => {
    for (const n of [10n ** 40n, 10n ** 45n + 123n, -(3n ** 200n), 2n ** 1000n + 1n]) {
      expect(text(n)).toBe(n.toString());
      expect(n.toString().length).toBeLessThanOrEqual(integerTextBound(n));
    }
  });
});
