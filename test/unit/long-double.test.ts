// Long-double arithmetic and the shared number parsers. Expected texts come from
// redis-server 7.0.15 (INCRBYFLOAT on x86-64, 80-bit long double).

import { describe, expect, it } from 'vitest';
import { float, humanFloat, int64 } from '../../src/commands/args.js';
import { addLongDouble, formatHuman, fromNumber, parseLongDouble, toNumber } from '../../src/util/long-double.js';

const b = (s: string) => Buffer.from(s, 'latin1');

/** INCRBYFLOAT from a missing key through each increment, as Redis stores the text between steps. */
function incrbyfloat(...steps: string[]): string[] {
  let stored = '0';
  return steps.map((step) => {
    const sum = addLongDouble(parseLongDouble(b(stored))!, parseLongDouble(b(step))!);
    if (sum === null) return 'NaN or Infinity';
    stored = formatHuman(sum);
    return stored;
  });
}

describe('long double', () => {
  it('adds and prints like Redis INCRBYFLOAT', () => {
    expect(incrbyfloat('0.1', '0.2', '1e3', '0x10')).toEqual(['0.1', '0.3', '1000.29999999999999999', '1016.29999999999999999']);
    expect(incrbyfloat('123456789.123456789')).toEqual(['123456789.12345678899873747']);
    expect(incrbyfloat('3.14159265358979323846')).toEqual(['3.14159265358979324']);
    expect(incrbyfloat('0x1.8p1', '0X.8P-1')).toEqual(['3', '3.25']);
    expect(incrbyfloat('2.5e-17', '1.5e-17')).toEqual(['0.00000000000000002', '0.00000000000000004']);
    expect(incrbyfloat('-1e-18', '4e-4951', '0e99999')).toEqual(['0', '0', '0']);
    expect(incrbyfloat('1.1e20', '1e-10')).toEqual(['110000000000000000000', '110000000000000000000']);
    expect(incrbyfloat('10', '-10', '-0')).toEqual(['10', '0', '0']);
  });

  it('reaches the long double range, and refuses to leave it', () => {
    const [huge] = incrbyfloat('1.18973149535723176502e+4932');
    expect(huge!.length).toBe(4933);
    expect(huge!.startsWith('118973149535723176502126385303097020516906332229462420044032373389173700552297')).toBe(true);
    expect(incrbyfloat('1e4932', '1e4932')).toEqual([expect.stringMatching(/^1000000000000000000006018949387963891323\d{4893}$/), 'NaN or Infinity']);
    expect(incrbyfloat('inf')).toEqual(['NaN or Infinity']);
  });

  it('parses what strtold accepts and Redis keeps', () => {
    for (const ok of ['1', '-1', '+1', '.5', '5.', '1e5', '1E-5', '0x10', '0x.8p1', 'inf', '-Infinity', 'INF', '4e-4951', '0e99999', '00012.50']) {
      expect(parseLongDouble(b(ok)), ok).not.toBeNull();
    }
    for (const bad of ['', ' 1', '1 ', '.', 'e5', '1e', '1e+', 'nan', '-nan', '0x', '0xg', '1,5', '1e5000', '1e-5000', '1e-4951', '1.2e4932', '--1', '1.2.3', 'x'.repeat(5120)]) {
      expect(parseLongDouble(b(bad)), bad).toBeNull();
    }
  });

  it('converts to and from doubles exactly', () => {
    for (const n of [0, 1, -1, 0.1, 1e300, -5e-324, 2 ** 53 + 2, Number.MAX_VALUE]) expect(toNumber(fromNumber(n))).toBe(n);
    expect(toNumber(parseLongDouble(b('1e400'))!)).toBe(Infinity);
  });
});

describe('args number parsers', () => {
  it('int64 accepts canonical signed 64-bit integers only', () => {
    expect(int64(b('0'))).toBe(0n);
    expect(int64(b('-42'))).toBe(-42n);
    expect(int64(b('9223372036854775807'))).toBe(9223372036854775807n);
    expect(int64(b('-9223372036854775808'))).toBe(-9223372036854775808n);
    expect(int64(b('9007199254740993'))).toBe(9007199254740993n);
    for (const bad of ['', '-', '-0', '01', '+1', ' 1', '1 ', '1.0', '9223372036854775808', '-9223372036854775809', '99999999999999999999', '12345678901234567a']) {
      expect(int64(b(bad)), bad).toBeNull();
    }
  });

  it('float follows strtold as Redis uses it', () => {
    expect(float(b('1.5'))).toBe(1.5);
    expect(float(b('0x10'))).toBe(16);
    expect(float(b('-inf'))).toBe(-Infinity);
    expect(float(b('nan'))).toBeNull();
    expect(float(b(' 1'))).toBeNull();
  });

  it('humanFloat prints at most 17 decimals, no exponent, no -0', () => {
    expect(humanFloat(0.1 + 0.2)).toBe('0.3');
    expect(humanFloat(1e21)).toBe('1000000000000000000000');
    expect(humanFloat(1.5e-7)).toBe('0.00000015');
    expect(humanFloat(1e-30)).toBe('0');
    expect(humanFloat(-1e-30)).toBe('0');
    expect(humanFloat(-0)).toBe('0');
  });
});
