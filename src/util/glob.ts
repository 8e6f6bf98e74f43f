// Redis glob matching (stringmatchlen): * ? [abc] [^abc] [a-z] and \ escapes, on latin1 strings
// so binary key names match byte for byte, or on bytes (globMatchBytes) for sealed key names.

export function globMatch(pattern: string, text: string, nocase = false): boolean {
  if (nocase) {
    pattern = pattern.toLowerCase();
    text = text.toLowerCase();
  }
  return match(pattern, 0, text, 0, 0);
}

function match(p: string, pi: number, s: string, si: number, depth: number): boolean {
  // Redis caps recursion too: a pathological pattern cannot blow the stack.
  if (depth > 1000) return false;
  while (pi < p.length) {
    const c = p[pi];
    if (c === '*') {
      while (p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (match(p, pi + 1, s, k, depth + 1)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === '?') {
      si++;
      pi++;
      continue;
    }
    if (c === '[') {
      pi++;
      const negate = p[pi] === '^';
      if (negate) pi++;
      let matched = false;
      while (pi < p.length && p[pi] !== ']') {
        if (p[pi] === '\\' && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) matched = true;
        } else if (p[pi + 1] === '-' && pi + 2 < p.length && p[pi + 2] !== ']') {
          let lo = p.charCodeAt(pi);
          let hi = p.charCodeAt(pi + 2);
          if (lo > hi) [lo, hi] = [hi, lo];
          const x = s.charCodeAt(si);
          if (x >= lo && x <= hi) matched = true;
          pi += 2;
        } else if (p[pi] === s[si]) {
          matched = true;
        }
        pi++;
      }
      if (negate) matched = !matched;
      if (!matched) return false;
      pi++; // past ']'
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

/**
 * The same matching on bytes, for names that must not become JS strings (sealed key names:
 * KEYS and SCAN MATCH patterns, ACL key patterns against key arguments). Kept apart from the
 * string version so plain-mode KEYS still matches Map keys without a conversion per key.
 */
export function globMatchBytes(pattern: Uint8Array, text: Uint8Array): boolean {
  return matchBytes(pattern, 0, text, 0, 0);
}

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

function matchBytes(p: Uint8Array, pi: number, s: Uint8Array, si: number, depth: number): boolean {
  if (depth > 1000) return false;
  while (pi < p.length) {
    const c = p[pi];
    if (c === STAR) {
      while (p[pi + 1] === STAR) pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchBytes(p, pi + 1, s, k, depth + 1)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === QUESTION) {
      si++;
      pi++;
      continue;
    }
    if (c === OPEN) {
      pi++;
      const negate = p[pi] === CARET;
      if (negate) pi++;
      let matched = false;
      while (pi < p.length && p[pi] !== CLOSE) {
        if (p[pi] === BACKSLASH && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) matched = true;
        } else if (p[pi + 1] === DASH && pi + 2 < p.length && p[pi + 2] !== CLOSE) {
          let lo = p[pi]!;
          let hi = p[pi + 2]!;
          if (lo > hi) [lo, hi] = [hi, lo];
          const x = s[si]!;
          if (x >= lo && x <= hi) matched = true;
          pi += 2;
        } else if (p[pi] === s[si]) {
          matched = true;
        }
        pi++;
      }
      if (negate) matched = !matched;
      if (!matched) return false;
      pi++; // past ']'
      si++;
      continue;
    }
    if (c === BACKSLASH && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}
