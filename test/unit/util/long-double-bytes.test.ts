// The byte parser and printer of util/long-double.ts against the string versions they replaced
// (test/helpers/long-double-strings.ts): the same value or null for every input, the same text
// for every value, on edge cases and on seeded random ones.

import { describe, expect, it } from 'vitest';
import { addLongDouble, LONG_DOUBLE_TEXT_MAX, parseLongDouble, writeHuman, type LongDouble } from '../../../src/util/long-double.js';
import * as strings from '../../helpers/long-double-strings.js';
import { prng } from '../../helpers/prng.js';

const b = (s: string) => Buffer.from(s, 'latin1');

/** writeHuman's bytes at an offset of a dirty buffer, checking it wrote nothing past its length but zeros. */
function human(v: LongDouble): string {
  const out = Buffer.alloc(LONG_DOUBLE_TEXT_MAX + 8, 0x41);
  out.fill(0, 3, LONG_DOUBLE_TEXT_MAX + 3);
  const length = writeHuman(v, out, 3);
  expect(out.subarray(0, 3).toString('latin1')).toBe('AAA');
  expect(out.subarray(3 + length, LONG_DOUBLE_TEXT_MAX + 3).every((c) => c === 0)).toBe(true);
  return out.toString('latin1', 3, 3 + length);
}

function same(text: string): LongDouble | null {
  const parsed = parseLongDouble(b(text));
  expect(parsed, JSON.stringify(text)).toEqual(strings.parseLongDouble(b(text)));
  if (parsed !== null) expect(human(parsed), JSON.stringify(text)).toBe(strings.formatHuman(parsed));
  return parsed;
}

const EDGES = [
  '1e308', '-1e308', '1e309', '1.7976931348623157e308', '-0', '+0', '0', '-0.0', '0e0', '5.0e3', '5.0E+3', '5e-3',
  '0x', '0X', '-0x', '0x.', '0x.p1', '0xp1', '0x1p', '0x1P-2', '0x1.8p1', '0XaBcDeFp-4', '0x0.0', '0x1e5', '00x1',
  'inf', '-inf', '+INF', 'Infinity', '-iNfInItY', 'infinit', 'infinityy', 'in', 'nan', 'NaN', '-nan',
  '  1', ' 1', '1 ', '\t1', '1\n', '', '.', '-', '+', '+-1', '--1', 'e5', '.e5', '1e', '1e+', '1e-', '1.e5', '.5e1',
  '1.50000', '100.000000000000000000', '0000.000100', '10.10', '1000', '1e3', '1.5e2',
  '3.14159265358979323846', '0.12345678901234567', '1.2345678901234567e-5', '12345678901234567890123',
  '9007199254740993', '0.1', '0.3', '1e-17', '5e-18', '4e-18', '1.5e-17', '2.5e-17', '1e20', '1e21', '1.1e20',
  '1.18973149535723176502e+4932', '1.2e4932', '1e4932', '4e-4951', '3e-4951', '1e-4951', '1e-5000', '1e5000',
  '0e99999', '0e999999999999999999999', '1e-999999999999999999999', '1e+000000000000000000000001',
  '1,5', '1.2.3', '1_000', '0x1g', '١', '1e5.5', '1.0x1', 'x'.repeat(5120), '1'.repeat(5119), '0.' + '0'.repeat(5117),
  '1' + '0'.repeat(4932), '1' + '0'.repeat(4933), '0.' + '0'.repeat(4949) + '5',
];

describe('long double as bytes', () => {
  it('parses and prints edge cases as the string versions did', () => {
    for (const text of EDGES) same(text);
  });

  it('agrees with the string versions on random decimal, hex and malformed texts', () => {
    const random = prng(20261207);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const digits = (max: number, alphabet: string) => {
      let s = '';
      for (let n = Math.floor(random() * max); n > 0; n--) s += pick(alphabet.split(''));
      return s;
    };
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const hex = random() < 0.25;
      const alphabet = hex ? '0123456789abcdefABCDEF' : random() < 0.3 ? '0000000123456789' : '0123456789';
      let text = pick(['', '', '', '-', '+']) + (hex ? pick(['0x', '0X']) : '') + digits(22, alphabet);
      if (random() < 0.6) text += '.' + digits(22, alphabet);
      if (random() < 0.5) text += pick(hex ? ['p', 'P'] : ['e', 'E']) + pick(['', '-', '+']) + digits(5, '0123456789');
      if (random() < 0.1) {
        const at = Math.floor(random() * (text.length + 1));
        text = text.slice(0, at) + pick([' ', 'x', 'e', 'p', '.', '-', 'n', 'i', '\0', '\xff']) + text.slice(at);
      }
      if (same(text) !== null) valid++;
    }
    expect(valid).toBeGreaterThan(8_000);
  });

  it('prints random values across the whole range as the string version did', () => {
    const random = prng(7461);
    for (let i = 0; i < 5_000; i++) {
      const mant = (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32)) | (random() < 0.9 ? 1n << 63n : 0n);
      const exp = random() < 0.8 ? Math.floor(random() * 200) - 140 : Math.floor(random() * (16320 + 16445)) - 16445;
      const v = { neg: random() < 0.5, inf: false, mant, exp };
      expect(human(v), JSON.stringify({ mant: String(mant), exp })).toBe(strings.formatHuman(v));
    }
    for (const v of [{ neg: true, inf: true, mant: 0n, exp: 0 }, { neg: false, inf: true, mant: 0n, exp: 0 }, { neg: true, inf: false, mant: 0n, exp: 0 }]) {
      expect(human(v)).toBe(strings.formatHuman(v));
    }
  });

  it('runs INCRBYFLOAT chains through its own text as the string versions did', () => {
    const random = prng(42);
    for (let chain = 0; chain < 300; chain++) {
      let stored = '0';
      for (let step = 0; step < 20; step++) {
        const by = (random() < 0.5 ? '-' : '') + (random() * 10 ** Math.floor(random() * 24 - 8)).toPrecision(1 + Math.floor(random() * 17));
        const sum = addLongDouble(same(stored)!, same(by)!);
        expect(sum).toEqual(strings.addLongDouble(strings.parseLongDouble(b(stored))!, strings.parseLongDouble(b(by))!));
        if (sum === null) break;
        stored = human(sum);
      }
    }
  });
});
