// Config files in redis.conf syntax and command-line flags -> one Config. Lines are split the way
// Redis splits them (sdssplitargs: "double quotes" with escapes, 'single quotes'), `include`
// is followed (relative to the working directory, as Redis does; globs allowed; cycles refused),
// and every problem in every file is reported at once, not one per start attempt.

import { configTextWithoutSecrets } from '../acl/secret.js';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { globMatch } from '../util/glob.js';
import { BY_NAME, DEPRECATED_DIRECTIVES } from './settings.js';
import { Config } from './store.js';
import { splitArgs } from './words.js';
import { ConfigError } from './values.js';

/** One line of a config file (or one --flag), split into words; words[0] is the directive. */
export interface Directive {
  where: string;
  words: string[];
}

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
function readFile(path: string, stack: string[], out: Directive[], errors: string[]): void {
  let text: string;
  let real: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) return void errors.push(`can't open config file '${path}': not a regular file`);
    if (st.size > MAX_FILE_BYTES) return void errors.push(`can't open config file '${path}': larger than ${MAX_FILE_BYTES} bytes`);
    // Read as bytes: password settings become digests before the text is a string.
    text = configTextWithoutSecrets(readFileSync(path));
    real = realpathSync(path);
  } catch (err) {
    errors.push(`can't open config file '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return;
  }
  if (stack.includes(real)) {
    errors.push(`include cycle refused: ${[...stack, real].join(' -> ')}`);
    return;
  }
  if (stack.length >= MAX_INCLUDE_DEPTH) {
    errors.push(`includes nested more than ${MAX_INCLUDE_DEPTH} deep at '${path}'`);
    return;
  }
  // An editor's byte order mark: Redis reads it as part of the first directive's name.
  if (text.startsWith('\ufeff')) {
    errors.push(`${path}:1: the file starts with a UTF-8 byte order mark (EF BB BF): save it without one`);
    text = text.slice(1);
  }
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const where = `${path}:${i + 1}`;
    const words = splitArgs(line);
    if (words === null) return errors.push(`${where}: Unbalanced quotes in configuration line`);
    if (words.length === 0) return;
    if (words[0]!.toLowerCase() === 'include' && words.length === 2) {
      for (const target of includeTargets(words[1]!)) readFile(target, [...stack, real], out, errors);
      return;
    }
    out.push({ where, words });
  });
}

/**
 * Command-line flags as Redis reads them: `--name value...` is one directive; the word after
 * `--name` is always its value (even when it starts with `--`), further words join it until the
 * next `--flag`; `--save` with nothing after it means `save ""`.
 */
export function flagDirectives(argv: string[]): Directive[] {
  const out: Directive[] = [];
  let current: Directive | null = null;
  let wantsValue = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--') && !wantsValue) {
      const words = splitArgs(arg.slice(2)) ?? [arg.slice(2)];
      current = { where: `command line ${arg}`, words };
      out.push(current);
      wantsValue = words.length === 1;
      if (wantsValue && words[0]!.toLowerCase() === 'save' && (i + 1 === argv.length || argv[i + 1]!.startsWith('--'))) {
        current.words.push('');
        wantsValue = false;
      }
    } else if (current) {
      current.words.push(arg);
      wantsValue = false;
    } else {
      throw new ConfigError(`unexpected argument '${arg}' (a config file comes first; settings are given as --name value)`);
    }
  }
  const last = out[out.length - 1];
  if (wantsValue && last) throw new ConfigError(`missing value for --${last.words[0]}`);
  return out;
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

/** Applies directives in order; throws one ConfigError listing every problem. */
export function applyDirectives(config: Config, directives: Directive[], errors: string[] = []): Config {
  let saveSeen = false;
  for (const { where, words } of directives) {
    const name = words[0]!.toLowerCase();
    let args = words.slice(1);
    // Secrets stay out of error messages: the line is shown without its values.
    const secret = BY_NAME.get(name)?.sensitive === true || name === 'user';
    const show = () => (secret ? `${where}: '${name} (value hidden)'` : `${where}: '${words.join(' ')}'`.slice(0, 300));
    if (!BY_NAME.has(name)) {
      const why = other(config, name, args);
      if (why) errors.push(`${show()}: ${why}`);
      continue;
    }
    // Later `save` lines add rules to the first one's, as in Redis.
    if (name === 'save') {
      const fresh = args.length === 1 ? (args[0] === '' ? [] : (splitArgs(args[0]!) ?? args)) : args;
      if (saveSeen) args = [...config.get('save').split(' ').filter(Boolean), ...fresh];
      if (args.length === 0) args = [''];
      saveSeen = true;
    }
    try {
      config.load(name, args);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(`${show()}: ${err.message}`);
    }
  }
  if (errors.length > 0) {
    const list = errors.length > 50 ? [...errors.slice(0, 50), `... and ${errors.length - 50} more`] : errors;
    throw new ConfigError(`bad configuration (${errors.length} problem${errors.length > 1 ? 's' : ''}):\n  ${list.join('\n  ')}`);
  }
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

/** The config file, then the flags on top of it (flags win, as in Redis). */
export function configFromArgs(argv: string[]): { config: Config; file?: string } {
  const { file, flags } = splitStartupArgs(argv);
  const directives: Directive[] = [];
  const errors: string[] = [];
  if (file !== undefined) readFile(file, [], directives, errors);
  for (const d of flagDirectives(flags)) {
    if (d.words[0]!.toLowerCase() === 'include' && d.words.length === 2) {
      for (const target of includeTargets(d.words[1]!)) readFile(target, [], directives, errors);
    } else directives.push(d);
  }
  const config = applyDirectives(new Config(), directives, errors);
  return file === undefined ? { config } : { config, file: resolve(file) };
}

/** Reads one config file (with its includes) on top of `config`. */
export function loadConfigFile(config: Config, path: string): Config {
  const directives: Directive[] = [];
  const errors: string[] = [];
  readFile(path, [], directives, errors);
  return applyDirectives(config, directives, errors);
}
