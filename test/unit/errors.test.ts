// Every entry of the error catalogue must be exercised by some test (ARCHITECTURE convention 5):
// an error that no test produces is either dead or untested.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';

const testRoot = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);

function testSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testSources(path);
    return path.endsWith('.ts') && path !== self ? [readFileSync(path, 'utf8')] : [];
  });
}

/** The literal text of a message template before its first argument ("ERR wrong number of arguments for '"). */
function fixedPrefix(template: (...args: string[]) => string): string {
  const SENTINEL = '\u0001';
  const prefix = template(SENTINEL, SENTINEL).split(SENTINEL)[0]!;
  return prefix.length >= 8 ? prefix : `Errors.${template.name}`;
}

describe('error catalogue', () => {
  const sources = testSources(testRoot).join('\n');

  for (const [key, value] of Object.entries(Errors)) {
    it(`${key} is exercised by a test`, () => {
      const byName = sources.includes(`Errors.${key}`);
      const byText = sources.includes(typeof value === 'string' ? value : fixedPrefix(value as (...args: string[]) => string));
      expect(byName || byText, `no test mentions Errors.${key}`).toBe(true);
    });
  }

  it('every entry reads like a Redis error: an upper-case code, then text, one line', () => {
    for (const value of Object.values(Errors)) {
      const text = typeof value === 'string' ? value : (value as (...a: string[]) => string)('x', 'y');
      expect(text).toMatch(/^[A-Z]+ \S/);
      expect(text).not.toMatch(/[\r\n]/);
    }
  });
});
