// Passwords arrive as bytes (ACL SETUSER >pw, AUTH, CONFIG SET requirepass, an ACL or config
// file) and leave this module as SHA-256 digests, the only form the server keeps (as Redis
// does for ACL users). A clear password never becomes a JS string: V8 copies strings as it
// moves them and nothing can wipe those copies. The bytes stay the caller's: command arguments
// and file buffers are zeroed once the command or the read is done.

import { createHash } from 'node:crypto';
import { splitArgBytes } from '../config/words.js';

/**
 * SHA-256 hex of the bytes. The Buffer is read in place by OpenSSL (Node copies only an
 * on-heap typed array, which arguments and file reads never are), and OpenSSL clears its
 * block buffer when it finishes. The digest is no secret, so a string is fine for it.
 */
export function sha256Hex(secret: Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex');
}

const GT = 0x3e; // '>'
const LT = 0x3c; // '<'

/** Whether an ACL rule carries a clear password (`>pw` adds it, `<pw` removes it). */
export function isPasswordRule(rule: Uint8Array): boolean {
  return rule.length > 0 && (rule[0] === GT || rule[0] === LT);
}

/**
 * An ACL rule as a string that is safe to keep: `>pw` becomes `#<sha256>` and `<pw` becomes
 * `!<sha256>` (Redis treats both forms alike); any other rule is its bytes as latin1, except
 * that a word inside it that looks like a password (`(~k >pw)`, a selector) is replaced by a
 * digest as well. Such a word is refused anyway (a selector takes no password), so the rule
 * fails the same way, and its clear bytes never become a string.
 */
export function safeRule(rule: Uint8Array): string {
  if (isPasswordRule(rule)) return (rule[0] === GT ? '#' : '!') + sha256Hex(rule.subarray(1));
  const text = (from: number, to: number) => Buffer.from(rule.buffer, rule.byteOffset + from, to - from).toString('latin1');
  let out = '';
  let done = 0;
  for (const [from, to] of secretWords(rule)) {
    out += text(done, from) + '#' + sha256Hex(rule.subarray(from, to));
    done = to;
  }
  return out + text(done, rule.length);
}

const OPEN = 0x28; // '('
const CLOSE = 0x29; // ')'
const isQuote = (c: number | undefined) => c === 0x22 || c === 0x27;

/**
 * Where the password-like words of a rule are: a word (split at white space) starting with
 * `>` or `<`, after a `(` and a quote if any; the range runs from the sign to the word's end,
 * less a closing quote and `)`.
 */
function secretWords(rule: Uint8Array): [number, number][] {
  const found: [number, number][] = [];
  for (let i = 0; i < rule.length; ) {
    while (i < rule.length && isSpace(rule[i]!)) i++;
    const start = i;
    while (i < rule.length && !isSpace(rule[i]!)) i++;
    let at = start;
    if (rule[at] === OPEN) at++;
    const quote = isQuote(rule[at]) ? rule[at++] : undefined;
    if (at >= i || (rule[at] !== GT && rule[at] !== LT)) continue;
    // A closing `)` and quote stay, so the selector still splits as it did.
    let end = i;
    if (rule[end - 1] === CLOSE && end - 1 > at) end--;
    if (quote !== undefined && rule[end - 1] === quote && end - 1 > at) end--;
    found.push([at, end]);
  }
  return found;
}

/** Whether an ACL SETUSER argument holds a password or a word that looks like one (see safeRule). */
export function holdsSecret(rule: Uint8Array): boolean {
  return isPasswordRule(rule) || secretWords(rule).length > 0;
}

/** Settings that hold a password: kept as `#<sha256>` (README, Where sealkv deliberately differs). */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['requirepass', 'masterauth', 'admin-token']);

const HASHED = /^#[0-9a-f]{64}$/;

/**
 * A password setting's value as stored: '' (none), or `#<sha256 hex>`. A value already in that
 * form is taken as a digest, so CONFIG GET's answer can be set again and a config file or
 * command line can carry the digest instead of the password.
 */
export function hashedSetting(value: Uint8Array): string {
  if (value.length === 0) return '';
  if (value.length === 65 && value[0] === 0x23) {
    const text = Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1');
    if (HASHED.test(text)) return text;
  }
  return '#' + sha256Hex(value);
}

/** The same for a value that is already a string (a command-line flag: see README, Secure deployment). */
export function hashedSettingText(value: string): string {
  if (value === '' || HASHED.test(value)) return value;
  const bytes = Buffer.from(value, 'utf8');
  try {
    return hashedSetting(bytes);
  } finally {
    bytes.fill(0);
  }
}

const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const isSpace = (c: number) => c === SPACE || c === TAB || c === CR || c === 0x0b || c === 0x0c;

function lowerAscii(b: Buffer): string {
  return b.toString('latin1').toLowerCase();
}

/**
 * The text of a redis.conf-style file with every password setting's value replaced by its
 * digest (`requirepass #<sha256>`), decoded as UTF-8 like the rest; the file's bytes are zeroed.
 * Line numbers stay as they were, for error messages.
 */
export function configTextWithoutSecrets(file: Buffer): string {
  try {
    const lines: string[] = [];
    for (let start = 0; start <= file.length; ) {
      let end = file.indexOf(LF, start);
      if (end < 0) end = file.length;
      const line = file.subarray(start, end);
      lines.push(withoutSecrets(line) ?? line.toString('utf8'));
      start = end + 1;
    }
    return lines.join('\n');
  } finally {
    file.fill(0);
  }
}

/**
 * A password setting's line or a `user` line with its passwords as digests; null for any other
 * line (kept as it is). A line that cannot be right keeps its fault but not its words, so the
 * config parser still reports it (unbalanced quotes, wrong number of arguments).
 */
function withoutSecrets(line: Buffer): string | null {
  const words = splitArgBytes(line);
  try {
    const name = words?.[0] ?? lineName(line);
    if (name === null) return null;
    const setting = lowerAscii(name);
    if (words === null) return SECRET_SETTINGS.has(setting) || setting === 'user' ? `${setting} "` : null;
    if (SECRET_SETTINGS.has(setting)) {
      if (words.length !== 2) return `${setting}${' x'.repeat(words.length - 1)}`;
      return `${setting} "${hashedSetting(words[1]!)}"`;
    }
    if (setting === 'user' && words.some(holdsSecret)) {
      return words.map((w, k) => (k === 0 ? 'user' : `"${safeRule(w).replace(/[\\"]/g, '\\$&')}"`)).join(' ');
    }
    return null;
  } finally {
    // Every word lives in one scratch buffer (splitArgBytes).
    if (words && words.length > 0) Buffer.from(words[0]!.buffer).fill(0);
  }
}

/** The first word of a line that does not split (for its setting's name). */
function lineName(line: Buffer): Buffer | null {
  let i = 0;
  while (i < line.length && isSpace(line[i]!)) i++;
  const from = i;
  while (i < line.length && !isSpace(line[i]!)) i++;
  return i > from ? line.subarray(from, i) : null;
}

/**
 * An ACL file's lines split into words, every password rule already a digest (safeRule); the
 * file's bytes are zeroed. Blank lines are kept (empty arrays) so line numbers stay right.
 */
export function aclFileWords(file: Buffer): string[][] {
  try {
    const lines: string[][] = [];
    for (let start = 0; start <= file.length; ) {
      let end = file.indexOf(LF, start);
      if (end < 0) end = file.length;
      const words: string[] = [];
      for (let i = start; i < end; ) {
        while (i < end && isSpace(file[i]!)) i++;
        const from = i;
        while (i < end && !isSpace(file[i]!)) i++;
        if (i > from) words.push(safeRule(file.subarray(from, i)));
      }
      lines.push(words);
      start = end + 1;
    }
    return lines;
  } finally {
    file.fill(0);
  }
}

/**
 * Password settings given in clear on the command line (`--requirepass pw`): undoes what can be
 * undone once they are parsed. The strings leave `argv` and process.argv, and the process title
 * is rewritten, which overwrites the original argument area that /proc/PID/cmdline and `ps`
 * show to every local user (as Redis's title does). Copies the runtime made before any of our
 * code ran (libuv's and Node's own copies of argv) are out of reach: returns the names of such
 * settings so the caller can say so. The `#<sha256>` form is never clear and is left alone.
 */
export function scrubCommandLineSecrets(argv: string[]): string[] {
  const found: string[] = [];
  for (const list of argv === process.argv ? [argv] : [argv, process.argv]) {
    for (let i = 0; i < list.length; i++) {
      const flag = list[i]!;
      // A name and its value in one argument ("--requirepass pw"), as redis-server reads them too.
      const space = flag.indexOf(' ');
      if (flag.startsWith('--') && space > 0 && SECRET_SETTINGS.has(flag.slice(2, space).toLowerCase())) {
        const value = flag.slice(space + 1).trim();
        if (value === '' || HASHED.test(value) || value === HIDDEN) continue;
        list[i] = `${flag.slice(0, space)} ${HIDDEN}`;
        if (list === argv) found.push(flag.slice(2, space).toLowerCase());
        continue;
      }
      if (i === list.length - 1 || !flag.startsWith('--') || !SECRET_SETTINGS.has(flag.slice(2).toLowerCase())) continue;
      const value = list[i + 1]!;
      if (value === '' || HASHED.test(value) || value === HIDDEN) continue;
      list[i + 1] = HIDDEN;
      if (list === argv) found.push(flag.slice(2).toLowerCase());
    }
  }
  if (found.length > 0) process.title = ['node', ...process.argv.slice(1)].join(' ');
  return found;
}

const HIDDEN = '(hidden)';
