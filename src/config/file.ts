// Config files (redis.conf syntax) and command-line flags -> (name, value) pairs.

import { readFileSync } from 'node:fs';
import { Config } from './store.js';
import { ConfigError } from './values.js';

/** Splits a redis.conf line into words, honouring "double" and 'single' quotes. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  }
  return out;
}

/** Reads a redis.conf-style file: `name value...` per line, '#' comments. */
export function readConfigFile(path: string): [string, string][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const pairs: [string, string][] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const [name, ...rest] = words(trimmed);
    if (!name || !Config.spec(name)) throw new ConfigError(`${path}:${i + 1}: bad directive '${name ?? ''}'`);
    pairs.push([name, rest.join(' ')]);
  });
  return pairs;
}

/** The `--config FILE` argument, if any (INFO config_file, CONFIG REWRITE). */
export function configFileArg(argv: string[]): string | undefined {
  const i = argv.lastIndexOf('--config');
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Command-line flags: `--config FILE` first, then every `--name value` on top of it. */
export function parseArgs(argv: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument '${arg}' (settings are given as --name value)`);
    const name = arg.slice(2);
    const value = argv[i + 1];
    if (value === undefined) throw new ConfigError(`missing value for --${name}`);
    i++;
    if (name === 'config') file = value;
    else if (!Config.spec(name)) throw new ConfigError(`unknown option --${name}`);
    else pairs.push([name, value]);
  }
  return file ? [...readConfigFile(file), ...pairs] : pairs;
}
