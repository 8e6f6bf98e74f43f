// Config files in redis.conf syntax and command-line flags -> one Config. Lines are split the way
// Redis splits them (sdssplitargs: "double quotes" with escapes, 'single quotes'), `include`
// is followed (relative to the working directory, as Redis does; globs allowed; cycles refused),
// and every problem in every file is reported at once, not one per start attempt.

import { configTextWithoutSecrets } from '../acl/secret.js';
import { readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { globMatch } from '../util/glob.js';
import { BY_NAME, DEPRECATED_DIRECTIVES } from './settings.js';
import { Config } from './store.js';
import { splitArgs } from './words.js';
import { ConfigError } from './values.js';
import { REDIS_COMPAT_VERSION } from '../version.js';

/** One line of a config file (or of the command line), split into words; words[0] is the directive. */
export interface Directive {
  /** The file it came from, or 'command line' / 'stdin'. */
  where: string;
  /** The line as Redis numbers it (command-line lines follow the file's and stdin's, as in Redis). */
  lineNo: number;
  /** The line as written, trimmed (Redis's `>>> '...'`). */
  line: string;
  words: string[];
}

/** Something wrong in the configuration; `at` where a line is to blame. */
export interface Problem {
  reason: string;
  at?: { where: string; lineNo: number; shown: string };
  /** Where in the whole text it was met, so the first problem named is Redis's first. */
  order?: number;
}

/**
 * The configuration cannot be used. The message begins as redis-server 7.0's does for its
 * first problem (the block it prints before exit 1), then lists every problem found, with its
 * file, when there is more to say than that block.
 */
export class ConfigFileError extends ConfigError {
  constructor(readonly problems: Problem[]) {
    super(describeProblems(problems));
  }
}

function describeProblems(problems: Problem[]): string {
  const first = problems[0]!;
  const list = problems.slice(0, 50).map((p) => (p.at ? `${p.at.where}:${p.at.lineNo}: '${p.at.shown}': ${p.reason}` : p.reason));
  if (problems.length > 50) list.push(`... and ${problems.length - 50} more`);
  const redis = first.at
    ? `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_COMPAT_VERSION}) ***\nReading the configuration file, at line ${first.at.lineNo}\n>>> '${first.at.shown}'\n${first.reason}`
    : '';
  // A command-line mistake reads exactly as redis-server's; a file's also says which file.
  if (problems.length === 1 && (first.at?.where === COMMAND_LINE || first.at?.where === STDIN)) return redis;
  const sealkv = `sealkv: bad configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  ${list.join('\n  ')}`;
  return redis ? `${redis}\n${sealkv}` : sealkv;
}

const COMMAND_LINE = 'command line';
const STDIN = 'stdin';
const MAX_INCLUDE_DEPTH = 16;
/** A config file larger than this is a mistake (or /dev/zero), not settings. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Files an include names: one path, or the sorted matches of a glob (none is fine, as in Redis). */
function includeTargets(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const parts = resolve(pattern).split('/').slice(1);
  let paths = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    for (const p of paths) {
      if (!/[*?[]/.test(part)) next.push(join(p, part));
      else {
        let names: string[] = [];
        try {
          names = readdirSync(p);
        } catch {
          // An unreadable or missing directory matches nothing, as glob(3) does.
        }
        for (const n of names.sort()) if (!n.startsWith('.') && globMatch(part, n)) next.push(join(p, n));
      }
    }
    paths = next;
  }
  return paths;
}

/** Reads a file's directives, following includes in place; problems go to `errors`. */
function readFile(path: string, stack: string[], out: Directive[], errors: Problem[]): void {
  const order = out.length - 0.5;
  let text: string;
  let real: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) return void errors.push({ reason: `can't open config file '${path}': not a regular file` , order });
    if (st.size > MAX_FILE_BYTES) return void errors.push({ reason: `can't open config file '${path}': larger than ${MAX_FILE_BYTES} bytes` , order });
    // Read as bytes: password settings become digests before the text is a string.
    text = configTextWithoutSecrets(readFileSync(path));
    real = realpathSync(path);
  } catch (err) {
    errors.push({ reason: `can't open config file '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}` , order });
    return;
  }
  if (stack.includes(real)) {
    errors.push({ reason: `include cycle refused: ${[...stack, real].join(' -> ')}` , order });
    return;
  }
  if (stack.length >= MAX_INCLUDE_DEPTH) {
    errors.push({ reason: `includes nested more than ${MAX_INCLUDE_DEPTH} deep at '${path}'` , order });
    return;
  }
  readText(text, path, 0, (target) => readFile(target, [...stack, real], out, errors), out, errors);
}

/**
 * Directives of a config text, numbered from `firstLine` + 1; `include` lines are followed
 * through `include`. Returns how many lines the text has, as Redis counts them (newlines).
 */
function readText(text: string, where: string, firstLine: number, include: (target: string) => void, out: Directive[], errors: Problem[]): number {
  // An editor's byte order mark: Redis reads it as part of the first directive's name.
  if (text.startsWith('\ufeff')) {
    errors.push({ reason: `${where}:1: the file starts with a UTF-8 byte order mark (EF BB BF): save it without one`, order: out.length - 0.5 });
    text = text.slice(1);
  }
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    // Redis trims " \t\r\n" and skips comments and empty lines.
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const lineNo = firstLine + i + 1;
    const words = splitArgs(line);
    if (words === null) {
      const name = line.split(/[ \t]/, 1)[0]!.toLowerCase();
      const shown = BY_NAME.get(name)?.sensitive === true || name === 'user' ? `${name} (value hidden)` : line.slice(0, 300);
      return errors.push({ reason: 'Unbalanced quotes in configuration line', at: { where, lineNo, shown }, order: out.length - 0.5 });
    }
    if (words.length === 0) return;
    if (words[0]!.toLowerCase() === 'include' && words.length === 2) {
      for (const target of includeTargets(words[1]!)) include(target);
      return;
    }
    out.push({ where, lineNo, line, words });
  });
  return lines.length - 1;
}

/** C isprint() in the C locale. */
const printable = (b: number) => b >= 0x20 && b < 0x7f;

/** Redis's sdscatrepr: a word in double quotes, escaped so that sdssplitargs reads it back whole. */
export function quoteWord(word: string): string {
  let out = '"';
  for (const b of Buffer.from(word, 'utf8')) {
    const c = String.fromCharCode(b);
    if (c === '\\' || c === '"') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (b === 0x07) out += '\\a';
    else if (b === 0x08) out += '\\b';
    else out += printable(b) ? c : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}

/**
 * The arguments after the config file as redis-server 7.0's main() reads them: each `--name`
 * starts a line of config text, the word after a bare `--name` is its value whatever it looks
 * like (`--port --loglevel` sets port to "--loglevel"), other words are appended to the line
 * quoted (a bare `loglevel verbose` before any `--name` is a line of its own), `--save` with
 * nothing after it means `save ""`, and `-` as the first or last argument reads config text from
 * standard input. `firstIsFirst`: the arguments start at argv[1] (no config file given).
 */
export function commandLineText(args: string[], firstIsFirst: boolean): { lines: string[]; stdin: boolean } {
  let options = '';
  let stdin = false;
  let handledLast = true;
  for (let j = 0; j < args.length; j++) {
    const arg = args[j]!;
    const next = args[j + 1];
    if (arg === '-' && ((j === 0 && firstIsFirst) || j === args.length - 1)) {
      stdin = true;
    } else if (handledLast && arg.startsWith('--')) {
      if (options !== '') options += '\n';
      options += `${arg.slice(2)} `;
      if ((splitArgs(arg) ?? []).length === 1) {
        handledLast = false;
        const save = arg.toLowerCase() === '--save';
        if (save && next !== undefined && next.startsWith('--')) {
          options += '""';
          handledLast = true;
        } else if (save && next === undefined) {
          options += '""';
        } else if (arg.toLowerCase() === '--sentinel' && next !== undefined && next.startsWith('--')) {
          handledLast = true;
        }
      } else handledLast = true;
    } else {
      options += `${quoteWord(arg)} `;
      handledLast = true;
    }
  }
  return { lines: options === '' ? [] : options.split('\n'), stdin };
}

/** Why a directive that is not a setting cannot be used, or null once it is recorded. */
function other(config: Config, name: string, args: string[]): string | null {
  if (DEPRECATED_DIRECTIVES.has(name) && args.length === 1) {
    config.ignoredDirectives.push(name);
    return null;
  }
  if (name === 'rename-command' && args.length === 2) {
    config.renamedCommands.push([args[0]!, args[1]!]);
    return null;
  }
  if (name === 'user' && args.length >= 1) {
    config.users.push(args);
    return null;
  }
  // Fail closed: a server told to load code, or to be a sentinel, must not start as something else.
  if (name === 'loadmodule' && args.length >= 1) return 'sealkv loads no modules';
  if (name === 'sentinel') return 'sealkv has no sentinel mode';
  if (name.includes('.')) return 'module settings need their module, and sealkv loads no modules';
  return 'Bad directive or wrong number of arguments';
}

/** Applies directives in order; throws one ConfigFileError listing every problem. */
export function applyDirectives(config: Config, directives: Directive[], errors: Problem[] = []): Config {
  let saveSeen = false;
  for (const [order, { where, lineNo, line, words }] of directives.entries()) {
    const name = words[0]!.toLowerCase();
    let args = words.slice(1);
    // Secrets stay out of error messages: the line is shown without its values.
    const secret = BY_NAME.get(name)?.sensitive === true || name === 'user';
    const at = { where, lineNo, shown: secret ? `${name} (value hidden)` : line.slice(0, 300) };
    if (!BY_NAME.has(name)) {
      const why = other(config, name, args);
      if (why) errors.push({ reason: why, at, order });
      continue;
    }
    // Later `save` lines add rules to the first one's, as in Redis; `save ""` drops them all.
    if (name === 'save') {
      const fresh = args.length === 1 ? (args[0] === '' ? [] : (splitArgs(args[0]!) ?? args)) : args;
      if (saveSeen && fresh.length > 0) args = [...config.get('save').split(' ').filter(Boolean), ...fresh];
      if (fresh.length === 0) args = [''];
      saveSeen = true;
    }
    try {
      config.load(name, args);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push({ reason: err.message, at, order });
    }
  }
  if (errors.length > 0) throw new ConfigFileError(errors.sort((a, b) => (a.order ?? 0) - (b.order ?? 0)));
  return config;
}

/** Where the settings come from: an optional config file (first argument, or --config) and flags. */
export interface StartupArgs {
  file?: string;
  flags: string[];
}

export function splitStartupArgs(argv: string[]): StartupArgs {
  let file: string | undefined;
  let rest = argv;
  if (rest[0] !== undefined && !rest[0].startsWith('-')) {
    file = rest[0];
    rest = rest.slice(1);
  }
  const flags: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--config' && i + 1 < rest.length) {
      if (file !== undefined) throw new ConfigError('give one config file: as the first argument or with --config, not both');
      file = rest[++i];
    } else flags.push(rest[i]!);
  }
  return file === undefined ? { flags } : { file, flags };
}

/**
 * The config file, then standard input (`-`), then the command line on top (the last word
 * wins, as in Redis), numbered as redis-server numbers the lines of that whole text.
 */
export function configFromArgs(argv: string[], readStdin: () => Buffer = readStandardInput): { config: Config; file?: string } {
  const { file, flags } = splitStartupArgs(argv);
  const directives: Directive[] = [];
  const errors: Problem[] = [];
  const { lines, stdin } = commandLineText(flags, file === undefined);
  let lineCount = 0;
  if (file !== undefined) {
    readFile(file, [], directives, errors);
    lineCount = lineCountOf(file);
  }
  if (stdin) {
    // As bytes, as a file is read: password settings become digests before the text is a string.
    const bytes = readStdin();
    const text = configTextWithoutSecrets(bytes);
    bytes.fill(0);
    lineCount += readText(text, STDIN, lineCount, (target) => readFile(target, [], directives, errors), directives, errors);
  }
  // Redis puts the command line after a newline of its own.
  readText(lines.join('\n'), COMMAND_LINE, lineCount + 1, (target) => readFile(target, [], directives, errors), directives, errors);
  const config = applyDirectives(new Config(), directives, errors);
  return file === undefined ? { config } : { config, file: resolve(file) };
}

/** Standard input to its end (waiting where it is a non-blocking pipe not yet written). */
function readStandardInput(): Buffer {
  const chunks: Buffer[] = [];
  const chunk = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EOF') break;
      if (code !== 'EAGAIN') throw new ConfigError(`cannot read config from standard input: ${code ?? String(err)}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      continue;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
  chunk.fill(0);
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return all;
}

/** Newlines in a file (0 when it cannot be read: that is reported on its own). */
function lineCountOf(path: string): number {
  try {
    const bytes = readFileSync(path);
    let n = 0;
    for (const b of bytes) if (b === 0x0a) n++;
    bytes.fill(0);
    return n;
  } catch {
    return 0;
  }
}

/** Reads one config file (with its includes) on top of `config`. */
export function loadConfigFile(config: Config, path: string): Config {
  const directives: Directive[] = [];
  const errors: Problem[] = [];
  readFile(path, [], directives, errors);
  return applyDirectives(config, directives, errors);
}
