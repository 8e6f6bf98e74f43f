// Redis's way of cutting a config line into words (sds.c sdssplitargs).

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** Redis sdssplitargs: null on unbalanced quotes (or a closing quote not followed by a space). */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const space = (c: string | undefined) => c !== undefined && /[ \n\r\t\f\v]/.test(c);
  for (;;) {
    while (space(line[i])) i++;
    if (i >= line.length) return out;
    let word = '';
    let quote: '"' | "'" | null = null;
    for (;;) {
      const c = line[i];
      if (quote === '"') {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          word += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        if (c === '\\' && line[i + 1] !== undefined) {
          word += ESCAPES[line[i + 1]!] ?? line[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          if (line[i + 1] !== undefined && !space(line[i + 1])) return null;
          i++;
          break;
        }
        word += c;
        i++;
      } else if (quote === "'") {
        if (c === undefined) return null;
        if (c === '\\' && line[i + 1] === "'") {
          word += "'";
          i += 2;
          continue;
        }
        if (c === "'") {
          if (line[i + 1] !== undefined && !space(line[i + 1])) return null;
          i++;
          break;
        }
        word += c;
        i++;
      } else {
        if (c === undefined || space(c)) break;
        if (c === '"' || c === "'") quote = c;
        else word += c;
        i++;
      }
    }
    out.push(word);
  }
}

