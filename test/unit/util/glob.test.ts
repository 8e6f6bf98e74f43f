import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { globMatch, globMatchBytes } from '../../../src/util/glob.js';
import type { Redis } from 'ioredis';
import { ioredis } from '../../helpers/clients.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../../helpers/reference-redis.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

/**
 * A second matcher built another way, to check the fast one: the pattern is first cut into
 * items (one byte, any byte, a class as a 256-entry table, a star) following Redis's parsing,
 * then matched by dynamic programming over (item, position), with no backtracking at all.
 */
function referenceMatch(pattern: Uint8Array, text: Uint8Array): boolean {
  // Redis's loop never starts on an empty text: only the empty pattern matches it.
  if (text.length === 0) return pattern.length === 0;
  type Item = { star: true } | { star: false; accepts: (b: number) => boolean };
  const items: Item[] = [];
  const signed = (b: number) => (b << 24) >> 24;
  const at = (i: number) => (i < pattern.length ? pattern[i]! : 0);
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === 0x2a) {
      items.push({ star: true });
      i++;
    } else if (c === 0x3f) {
      items.push({ star: false, accepts: () => true });
      i++;
    } else if (c === 0x5b) {
      i++;
      const negate = at(i) === 0x5e;
      if (negate) i++;
      const table = new Array<boolean>(256).fill(false);
      for (;;) {
        if (at(i) === 0x5c && pattern.length - i >= 2) {
          table[pattern[i + 1]!] = true;
          i += 2;
        } else if (at(i) === 0x5d) {
          i++;
          break;
        } else if (i >= pattern.length) {
          break;
        } else if (pattern.length - i >= 3 && pattern[i + 1] === 0x2d) {
          const lo = Math.min(signed(pattern[i]!), signed(pattern[i + 2]!));
          const hi = Math.max(signed(pattern[i]!), signed(pattern[i + 2]!));
          for (let b = 0; b < 256; b++) if (signed(b) >= lo && signed(b) <= hi) table[b] = true;
          i += 3;
        } else {
          table[pattern[i]!] = true;
          i++;
        }
      }
      items.push({ star: false, accepts: (b) => table[b] !== negate });
    } else {
      const literal = c === 0x5c && pattern.length - i >= 2 ? pattern[i + 1]! : c;
      i += c === 0x5c && pattern.length - i >= 2 ? 2 : 1;
      items.push({ star: false, accepts: (b) => b === literal });
    }
  }
  // can[k][j]: items k.. match text j..
  let next = new Array<boolean>(text.length + 1).fill(false);
  next[text.length] = true;
  for (let k = items.length - 1; k >= 0; k--) {
    const item = items[k]!;
    const cur = new Array<boolean>(text.length + 1).fill(false);
    for (let j = text.length; j >= 0; j--) {
      cur[j] = item.star ? next[j]! || (j < text.length && cur[j + 1]!) : j < text.length && item.accepts(text[j]!) && next[j + 1]!;
    }
    next = cur;
  }
  return next[0]!;
}

describe('glob matching', () => {
  it('matches like Redis stringmatchlen', () => {
    const cases: [string, string, boolean][] = [
      ['*', '', false], ['', '', true], ['user:*', 'user:1', true], ['user:?', 'user:10', false], ['h[ae]llo', 'hallo', true],
      ['h[^e]llo', 'hello', false], ['h[a-c]llo', 'hbllo', true], ['h[c-a]llo', 'hbllo', true], ['a\\*b', 'a*b', true],
      ['a\\*b', 'axb', false], ['[\\]]', ']', true], ['\x00*', '\x00\xff', true], ['*\xff', 'ab\xff', true], ['a*b*c', 'abbbc', true],
      // [a-] is the range a..']' (swapped: ']'..'a') so the class runs on past it; class ends with the pattern; a trailing \ is literal.
      ['[a-]', '_', true], ['[a-]', 'b', false], ['[a-]x', 'x', true], ['[a-]x', 'b', false], ['[ab', 'b', true], ['[ab', 'c', false], ['a\\', 'a\\', true],
      // Range bounds are C's signed char: [a-\xff] is -1..97, so 'b' is outside and \xff inside.
      ['[a-\xff]', 'b', false], ['[a-\xff]', '\xff', true], ['[a-\xff]', '\x80', false], ['[\x80-\xff]', '\x90', true],
    ];
    for (const [pattern, text, expected] of cases) {
      expect(globMatchBytes(bytes(pattern), bytes(text)), `${JSON.stringify(pattern)} ~ ${JSON.stringify(text)}`).toBe(expected);
      expect(globMatch(pattern, text), `${JSON.stringify(pattern)} ~ ${JSON.stringify(text)}`).toBe(expected);
    }
  });

  it('nocase lowers ASCII letters only, as the C locale does', () => {
    expect(globMatch('MAXMEMORY*', 'maxmemory-policy', true)).toBe(true);
    expect(globMatch('[A-Z]x', 'qx', true)).toBe(true);
    expect(globMatch('\xc0', '\xe0', true)).toBe(false);
    expect(globMatch('MAXMEMORY*', 'maxmemory-policy')).toBe(false);
  });

  it('agrees with a dynamic-programming reference on random patterns and names', () => {
    const pattern = fc.array(fc.constantFrom(...'ab*?[]^-\\\x00\x80\xff'.split('')), { maxLength: 9 }).map((a) => a.join(''));
    const text = fc.array(fc.constantFrom(...'ab]-\\\x00\x80\xff'.split('')), { maxLength: 8 }).map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        const expected = referenceMatch(bytes(p), bytes(t));
        expect(globMatchBytes(bytes(p), bytes(t)), `${JSON.stringify(p)} ~ ${JSON.stringify(t)}`).toBe(expected);
        expect(globMatch(p, t)).toBe(expected);
      }),
      { seed: 1407, numRuns: 20000 },
    );
  });

  it('stays linear on many stars: 40 stars over a 100-byte name well under a millisecond', () => {
    const name = bytes('a'.repeat(100));
    const hostile = [bytes('a*'.repeat(40) + 'b'), bytes('*a'.repeat(40) + 'b'), bytes('*?'.repeat(40) + 'b'), bytes('a*'.repeat(20) + '[b]')];
    for (const pattern of hostile) {
      const runs = 200;
      const start = performance.now();
      for (let i = 0; i < runs; i++) expect(globMatchBytes(pattern, name)).toBe(false);
      // Target 1 ms per match; typical is a few microseconds.
      expect((performance.now() - start) / runs).toBeLessThan(1);
    }
    // Redis's own regression pattern (20 stars) and one past the nesting cap both answer.
    expect(globMatch('a*'.repeat(20) + 'b', 'a'.repeat(60))).toBe(false);
    expect(globMatch('a*'.repeat(1200), 'a'.repeat(1300))).toBe(false);
  });
});

describe.skipIf(!hasRedisServer)('glob matching against redis-server KEYS', () => {
  let reference: ReferenceRedis;
  let redis: { client: Redis };
  beforeAll(async () => {
    reference = await startRedis();
    redis = { client: ioredis(reference.port) };
  }, 20_000);
  afterAll(async () => {
    redis?.client.disconnect();
    await reference?.stop();
  });

  it('selects the same names as KEYS for random patterns', async () => {
    const nameChars = 'abA]-\\[*\x00\x80\xff';
    const patternChars = 'abA*?[]^-\\\x00\x80\xff';
    const sample = fc.sample(
      fc.tuple(
        fc.uniqueArray(fc.array(fc.constantFrom(...nameChars.split('')), { minLength: 1, maxLength: 6 }).map((a) => a.join('')), { minLength: 40, maxLength: 40 }),
        fc.array(fc.array(fc.constantFrom(...patternChars.split('')), { minLength: 1, maxLength: 8 }).map((a) => a.join('')), { minLength: 400, maxLength: 400 }),
      ),
      { seed: 2207, numRuns: 1 },
    )[0]!;
    const [names, patterns] = sample;
    await redis.client.flushall();
    await redis.client.mset(...names.flatMap((n) => [bytes(n), bytes('1')]));
    const pipeline = redis.client.pipeline();
    for (const p of patterns) pipeline.callBuffer('keys', bytes(p));
    const replies = (await pipeline.exec())!;
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      // KEYS * lists everything without matching; that shortcut lives in the commands.
      if (p === '*') continue;
      const [err, found] = replies[i]!;
      expect(err).toBeNull();
      const theirs = (found as Buffer[]).map((b) => b.toString('latin1')).sort();
      const ours = names.filter((n) => globMatchBytes(bytes(p), bytes(n))).sort();
      expect(ours, `pattern ${JSON.stringify(p)}`).toEqual(theirs);
    }
  }, 30_000);
});
