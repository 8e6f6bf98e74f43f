// Differential run of the numbers kept as text: INCRBYFLOAT, HINCRBYFLOAT and HINCRBY against
// redis-server 7 (x86-64, 80-bit long double), in RESP2 and RESP3. Each sequence stores numbers
// written every way strtold reads them (decimal, exponent, hex, inf, leading and trailing zeros,
// malformed ones) and increments them by random amounts, so each step parses the previous
// step's printed result: the byte parser and printer of util/long-double.ts must give Redis's
// replies and stored texts (read back with GET/HGET).
//
// Bounded (DIFF_FLOATS_COUNT sequences, 300 by default; DIFF_SEED fixed): a few seconds.

import { describeDifferential, fromEnv, int, pick, type Rnd } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_FLOATS_COUNT', 'DIFF_COUNT'], 300, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261207, 'seed');

const EDGES = [
  '0', '-0', '+0', '0.0', '1e308', '-1e308', '1e4932', '-1e4932', '1.18973149535723176502e+4932', '4e-4951', '1e-5000',
  '5.0e3', '5.e3', '.5', '5.', '0x', '0x10', '0x1.8p1', '-0X.8P-1', 'inf', '-inf', 'Infinity', 'nan', '  1', '1 ', '',
  '1.50000', '00012.500', '0.1', '0.2', '0.3', '1e-17', '5e-18', '1e17', '1e21', '9007199254740993',
  '123456789.123456789', '3.14159265358979323846', '0.12345678901234567', '1000.29999999999999999', '1e', '.', '-',
];

function digits(r: Rnd, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(int(r, 0, 9));
  return s;
}

/** A number as a client might write it: mostly plain decimals of up to 20 significant digits. */
function number(r: Rnd): string {
  switch (int(r, 0, 9)) {
    case 0: return pick(r, EDGES);
    case 1: return `${pick(r, ['', '-'])}${digits(r, int(r, 1, 3))}.${digits(r, int(r, 0, 6))}e${pick(r, ['', '-', '+'])}${int(r, 0, 40)}`;
    case 2: return `${pick(r, ['', '-'])}0x${int(r, 0, 0xffffff).toString(16)}${pick(r, ['', '.8', '.c'])}${pick(r, ['', `p${int(r, -20, 20)}`])}`;
    case 3: return `${pick(r, ['', '-'])}${digits(r, int(r, 1, 20))}`;
    default: return `${pick(r, ['', '', '-'])}${digits(r, int(r, 0, 10))}.${digits(r, int(r, 1, 20))}`;
  }
}

function floatCommand(r: Rnd): string[] {
  switch (int(r, 0, 11)) {
    case 0: return ['SET', 'f', number(r)];
    case 1: return ['GET', 'f'];
    case 2: return ['HSET', 'h', pick(r, ['a', 'b']), number(r)];
    case 3: return ['HGET', 'h', pick(r, ['a', 'b'])];
    case 4: return ['HINCRBY', 'h', pick(r, ['a', 'i']), pick(r, ['1', '-1', String(int(r, -1e9, 1e9)), '9223372036854775807', '-9223372036854775808', '1.5'])];
    case 5: return ['HSET', 'h', 'i', pick(r, ['0', '-1', '9223372036854775806', '-9223372036854775807', '9007199254740993', digits(r, int(r, 1, 19))])];
    case 6: case 7: case 8: return ['INCRBYFLOAT', 'f', number(r)];
    default: return ['HINCRBYFLOAT', 'h', pick(r, ['a', 'a', 'b', 'i']), number(r)];
  }
}

describeDifferential('INCRBYFLOAT, HINCRBYFLOAT and HINCRBY: differential run against redis-server 7', [
  { what: 'float and counter sequences', count: COUNT, seed: SEED, length: 16, command: floatCommand },
]);
