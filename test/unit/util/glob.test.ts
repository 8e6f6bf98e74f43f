import { describe, expect, it } from 'vitest';
import { globMatch, globMatchBytes } from '../../../src/util/glob.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('glob matching on bytes', () => {
  it('matches like Redis stringmatchlen', () => {
    const cases: [string, string, boolean][] = [
      ['*', '', true], ['user:*', 'user:1', true], ['user:?', 'user:10', false], ['h[ae]llo', 'hallo', true],
      ['h[^e]llo', 'hello', false], ['h[a-c]llo', 'hbllo', true], ['h[c-a]llo', 'hbllo', true], ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false], ['[\\]]', ']', true], ['\x00*', '\x00\xff', true], ['*\xff', 'ab\xff', true], ['a*b*c', 'abbbc', true],
    ];
    for (const [pattern, text, expected] of cases) {
      expect(globMatchBytes(bytes(pattern), bytes(text)), `${pattern} ~ ${text}`).toBe(expected);
    }
  });

  it('agrees with the string version on random patterns and subjects', () => {
    const alphabet = 'ab*?[]^-\\\x00\xff';
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    for (let i = 0; i < 20000; i++) {
      const pattern = pick(1 + (i % 7));
      const text = pick(i % 6).replace(/[*?[\]^\\-]/g, 'a');
      expect(globMatchBytes(bytes(pattern), bytes(text)), `${JSON.stringify(pattern)} ~ ${JSON.stringify(text)}`).toBe(globMatch(pattern, text));
    }
  });
});
