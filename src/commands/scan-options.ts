// COUNT and MATCH of a key's own scan (HSCAN, SSCAN, ZSCAN): Redis's scanGenericCommand rules,
// where TYPE, like any other word, is a syntax error.

import { Errors } from '../protocol/errors.js';
import { int64, word } from './args.js';

export interface ElementScanOptions {
  count: number;
  /** MATCH pattern's bytes; null matches everything (no pattern, or `*`). */
  pattern: Buffer | null;
}

/** The options after cursor and key (from argument 3), or Redis's error text. */
export function parseElementScanOptions(args: Buffer[]): ElementScanOptions | string {
  const opts: ElementScanOptions = { count: 10, pattern: null };
  for (let i = 3; i < args.length; i += 2) {
    if (i + 1 >= args.length) return Errors.syntax;
    const opt = word(args[i]!);
    if (opt === 'count') {
      const n = int64(args[i + 1]!);
      if (n === null) return Errors.notInteger;
      if (n < 1n) return Errors.syntax;
      opts.count = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
    } else if (opt === 'match') {
      const pattern = args[i + 1]!;
      opts.pattern = pattern.length === 1 && pattern[0] === 0x2a ? null : pattern;
    } else {
      return Errors.syntax;
    }
  }
  return opts;
}
