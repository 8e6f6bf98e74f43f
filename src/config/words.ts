// Redis's way of cutting a config line into words (sds.c sdssplitargs), on bytes so a line that
// carries a password is split without becoming a string first (acl/secret.ts).

const SPACE = new Set([0x20, 0x0a, 0x0d, 0x09, 0x0c, 0x0b]);
const ESCAPES: Record<number, number> = { 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07 };
const DQ = 0x22;
const SQ = 0x27;
const BACKSLASH = 0x5c;

function hexDigit(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * Redis sdssplitargs over bytes: null on unbalanced quotes (or a closing quote not followed by a
 * space). The words are views into one scratch buffer of their own (never the line's, never
 * Node's pool), which the caller may zero: `words[0].buffer`.
 */
export function splitArgBytes(line: Uint8Array): Buffer[] | null {
  // Outside the V8 heap even for short lines (small Buffers would live inside it, out of reach of a wipe).
  const scratch = Buffer.from(new ArrayBuffer(Math.max(line.length, 128)));
  const out: Buffer[] = [];
  let n = 0;
  let i = 0;
  const space = (c: number | undefined) => c !== undefined && SPACE.has(c);
  for (;;) {
    while (space(line[i])) i++;
    if (i >= line.length) return out;
    const start = n;
    let quote = 0;
    for (;;) {
      const c = line[i];
      if (quote === DQ) {
        if (c === undefined) return null;
        const hi = hexDigit(line[i + 2]);
        const lo = hexDigit(line[i + 3]);
        if (c === BACKSLASH && line[i + 1] === 0x78 && hi >= 0 && lo >= 0) {
          scratch[n++] = hi * 16 + lo;
          i += 4;
        } else if (c === BACKSLASH && line[i + 1] !== undefined) {
          scratch[n++] = ESCAPES[line[i + 1]!] ?? line[i + 1]!;
          i += 2;
        } else if (c === DQ) {
          if (line[i + 1] !== undefined && !space(line[i + 1])) return null;
          i++;
          break;
        } else {
          scratch[n++] = c;
          i++;
        }
      } else if (quote === SQ) {
        if (c === undefined) return null;
        if (c === BACKSLASH && line[i + 1] === SQ) {
          scratch[n++] = SQ;
          i += 2;
        } else if (c === SQ) {
          if (line[i + 1] !== undefined && !space(line[i + 1])) return null;
          i++;
          break;
        } else {
          scratch[n++] = c;
          i++;
        }
      } else {
        if (c === undefined || space(c)) break;
        if (c === DQ || c === SQ) quote = c;
        else scratch[n++] = c;
        i++;
      }
    }
    out.push(scratch.subarray(start, n));
  }
}

/** The same over a string's UTF-8 bytes; words come back as UTF-8 text. */
export function splitArgs(line: string): string[] | null {
  const words = splitArgBytes(Buffer.from(line, 'utf8'));
  return words === null ? null : words.map((w) => w.toString('utf8'));
}
