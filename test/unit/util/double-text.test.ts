// "%.17g" as glibc's printf writes it (expected texts produced by printf on this machine), the
// way Redis 7.0 prints every score.

import { describe, expect, it } from 'vitest';
import { formatDouble17 } from '../../../src/util/double-text.js';

const CASES: [number, string][] = [
  [0.1, '0.10000000000000001'],
  [1.5, '1.5'],
  [3, '3'],
  [1e17, '1e+17'],
  [1e16, '10000000000000000'],
  [12345678901234567, '12345678901234568'],
  [0.00001, '1.0000000000000001e-05'],
  [0.0001, '0.0001'],
  [-2.5e-300, '-2.5e-300'],
  [1.7976931348623157e308, '1.7976931348623157e+308'],
  [5e-324, '4.9406564584124654e-324'],
  [123.456, '123.456'],
  [-0, '-0'],
  [0, '0'],
  [1e21, '1e+21'],
  [99999999999999999, '1e+17'],
  [0.30000000000000004, '0.30000000000000004'],
  [2 / 3, '0.66666666666666663'],
  [Infinity, 'inf'],
  [-Infinity, '-inf'],
  [-17, '-17'],
];

describe('formatDouble17', () => {
  it.each(CASES)('%s prints as %s', (d, text) => {
    expect(formatDouble17(d)).toBe(text);
  });
});
