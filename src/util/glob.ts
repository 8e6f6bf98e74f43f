// Redis glob matching (util.c stringmatchlen, Redis 7.0 semantics, quirks included): * ? [abc]
// [^abc] [a-z] and \ escapes, byte for byte. Strings are latin1 (one char per byte).
//
// Quirks kept on purpose, so KEYS/SCAN MATCH/ACL patterns select exactly what Redis selects:
// - a pattern reads as if NUL-terminated (Redis patterns are sds strings): past its end it sees 0;
// - an unterminated class `[abc` ends at the pattern's end; `[a-]` is the range a..']';
// - reversed ranges `[z-a]` are swapped; range bounds compare as C's signed char, so with bytes
//   >= 0x80 in a range the result is what Redis gives on x86 (`[a-\xff]` is the range -1..97);
// - `\` escapes the next byte, a trailing `\` is a literal; inside a class `\x` compares exactly,
//   even with nocase; nocase lowers ASCII letters only (C locale tolower).
//
// Cost: the backtracking of the old matcher was exponential in the number of `*`. Redis's cut
// (skipLongerMatches): once the rest of the pattern after a `*` has failed to match from every
// position of the remaining text, no earlier `*` can help by matching more, so the whole match
// fails at once. Each `*` then scans the text once: O(pattern x text). Nesting (stars deep) is
// capped at 1000 as in Redis, which also bounds the recursion depth.

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;
const MAX_NESTING = 1000;

/** Set when a `*` exhausted the text: every enclosing `*` gives up (one match at a time). */
let skipLonger = false;

/**
 * Whether text matches pattern. For names that must not become JS strings (sealed key names:
 * KEYS and SCAN MATCH patterns, ACL key patterns against key arguments).
 */
export function globMatchBytes(pattern: Uint8Array, text: Uint8Array, nocase = false): boolean {
  skipLonger = false;
  return matchFrom(pattern, 0, text, 0, nocase, 0);
}

/** The last string pattern's bytes: KEYS and SCAN match one pattern against many names. */
let lastPattern = '';
let lastPatternBytes = Buffer.alloc(0);

/**
 * The same matching on latin1 strings (plain-mode key names, hash fields, config names); the
 * pattern may come as bytes already (ACL key patterns keep theirs).
 */
export function globMatch(pattern: string | Uint8Array, text: string, nocase = false): boolean {
  let bytes: Uint8Array;
  if (typeof pattern !== 'string') bytes = pattern;
  else {
    if (pattern !== lastPattern) {
      lastPattern = pattern;
      lastPatternBytes = Buffer.from(pattern, 'latin1');
    }
    bytes = lastPatternBytes;
  }
  skipLonger = false;
  return matchFrom(bytes, 0, text, 0, nocase, 0);
}

/** The text's byte at i (latin1 strings hold one byte per char). */
function code(s: Uint8Array | string, i: number): number {
  return typeof s === 'string' ? s.charCodeAt(i) : s[i]!;
}

/** The pattern byte at i, 0 past the end (the NUL an sds string carries). */
function at(p: Uint8Array, i: number): number {
  return i < p.length ? p[i]! : 0;
}

/** A byte as C's (signed) char on x86: Redis compares range bounds that way. */
function signed(b: number): number {
  return (b << 24) >> 24;
}

/** C-locale tolower. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function same(a: number, b: number, nocase: boolean): boolean {
  return a === b || (nocase && lower(a) === lower(b));
}

function matchFrom(p: Uint8Array, pi: number, s: Uint8Array | string, si: number, nocase: boolean, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const pEnd = p.length;
  const sEnd = s.length;
  while (pi < pEnd && si < sEnd) {
    const c = p[pi]!;
    if (c === STAR) {
      while (pi < pEnd && at(p, pi + 1) === STAR) pi++;
      if (pi === pEnd - 1) return true;
      // A plain byte after the star: positions where it cannot match fail at once in the
      // recursive call (without the cut), so they are skipped here.
      const next = p[pi + 1]!;
      const literal = next === QUESTION || next === OPEN || next === BACKSLASH ? -1 : next;
      for (; si < sEnd; si++) {
        if (literal >= 0 && !same(literal, code(s, si), nocase)) continue;
        if (matchFrom(p, pi + 1, s, si, nocase, nesting + 1)) return true;
        if (skipLonger) return false;
      }
      skipLonger = true;
      return false;
    }
    if (c === OPEN) {
      pi++;
      const negate = at(p, pi) === CARET;
      if (negate) pi++;
      let matched = false;
      const x = code(s, si);
      for (;;) {
        const pc = at(p, pi);
        if (pc === BACKSLASH && pEnd - pi >= 2) {
          pi++;
          if (p[pi] === x) matched = true;
        } else if (pc === CLOSE) {
          break;
        } else if (pi >= pEnd) {
          // Unterminated class: stand on its last byte, the step below moves past the end.
          pi--;
          break;
        } else if (pEnd - pi >= 3 && p[pi + 1] === DASH) {
          let lo = signed(pc);
          let hi = signed(p[pi + 2]!);
          if (lo > hi) [lo, hi] = [hi, lo];
          let y = signed(x);
          if (nocase) {
            lo = lower(lo);
            hi = lower(hi);
            y = lower(y);
          }
          pi += 2;
          if (y >= lo && y <= hi) matched = true;
        } else if (same(pc, x, nocase)) {
          matched = true;
        }
        pi++;
      }
      if (negate) matched = !matched;
      if (!matched) return false;
    } else if (c !== QUESTION) {
      if (c === BACKSLASH && pEnd - pi >= 2) pi++;
      if (!same(p[pi]!, code(s, si), nocase)) return false;
    }
    si++;
    pi++;
    if (si === sEnd) {
      while (at(p, pi) === STAR) pi++;
      break;
    }
  }
  return pi === pEnd && si === sEnd;
}
