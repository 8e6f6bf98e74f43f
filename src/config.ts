// Every setting, its default, validation and its CONFIG GET/SET view, under Redis's names.
// Settings sealkv does not act on are still accepted (so existing redis.conf files and client
// libraries keep working) but are marked `applied: false`, logged when changed and listed in
// INFO, never silently faked.

import { readFileSync } from 'node:fs';
import { Errors } from './protocol/errors.js';

type Kind = 'int' | 'bytes' | 'bool' | 'string' | 'enum';

export interface SettingSpec {
  name: string;
  kind: Kind;
  default: string;
  /** May change at run time through CONFIG SET. */
  mutable: boolean;
  /** sealkv acts on this setting; false means accepted and reported as not acted upon. */
  applied: boolean;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Validates and normalizes a 'string' setting; throws Error with the reason. */
  check?: (raw: string) => string;
}

const S = (name: string, kind: Kind, def: string, extra: Partial<SettingSpec> = {}): SettingSpec => ({
  name, kind, default: def, mutable: true, applied: true, ...extra,
});
const fixed = { mutable: false };
const ignored = { applied: false };

export const SETTINGS: readonly SettingSpec[] = [
  S('bind', 'string', '127.0.0.1', fixed),
  S('port', 'int', '6379', { ...fixed, min: 0, max: 65535 }),
  S('tcp-backlog', 'int', '511', { ...fixed, min: 0 }),
  S('tcp-keepalive', 'int', '300', { min: 0 }),
  // A Unix domain socket listener ('' = none) and its permission bits (octal; 0 = owner only).
  S('unixsocket', 'string', '', fixed),
  S('unixsocketperm', 'string', '0', { ...fixed, check: (raw) => normalizeOctalPerm(raw) }),
  // Seconds a TLS connection may take to finish its handshake before it is closed.
  S('tls-handshake-timeout', 'int', '10', { ...fixed, min: 1, max: 3600 }),
  // systemd readiness (READY=1 over $NOTIFY_SOCKET) once listening; upstart is accepted, not acted on.
  S('supervised', 'enum', 'no', { ...fixed, values: ['upstart', 'systemd', 'auto', 'no'] }),
  S('timeout', 'int', '0', { min: 0 }),
  S('databases', 'int', '16', { ...fixed, min: 1, max: 1000 }),
  S('requirepass', 'string', ''),
  S('maxclients', 'int', '10000', { min: 1, max: 4294967295 }),
  S('hz', 'int', '10', { min: 1, max: 500 }),
  S('loglevel', 'enum', 'notice', { values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] }),
  S('proto-max-bulk-len', 'bytes', '536870912', { min: 1024 * 1024 }),
  S('client-query-buffer-limit', 'bytes', '1073741824', { min: 1024 * 1024 }),
  S('master-key-file', 'string', '', fixed),
  // Accept a master key file that group or others may read (refused by default, as OpenSSH refuses such a private key).
  S('master-key-file-permissive', 'bool', 'no', fixed),
  // The name of an environment variable holding the master key (removed from the environment once read).
  S('master-key-env', 'string', '', fixed),
  // Key names stored as keyed hashes plus sealed copies (README, Sealed key names).
  S('seal-keys', 'bool', 'no', fixed),
  // AEAD backend (src/seal/backends.ts): auto = sodium-native when it loads, else WASM.
  S('seal-backend', 'enum', 'auto', { ...fixed, values: ['auto', 'native', 'wasm'] }),
  // -- spill tier and memory (issue 4) settings go here --
  // maxmemory counts sealed values, key names and per-entry overhead (src/store/memory.ts).
  S('maxmemory', 'bytes', '0', { min: 0 }),
  // LFU policies are accepted and evict as their LRU variant (README, Spill tier).
  S('maxmemory-policy', 'enum', 'noeviction', {
    values: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
  }),
  S('maxmemory-samples', 'int', '5', { min: 1, max: 64 }),
  // Spill tier: '' disables it; the directory must be on tmpfs (src/spill/tmpfs.ts).
  S('spill-dir', 'string', '', fixed),
  S('spill-max-bytes', 'bytes', '0', { ...fixed, min: 0 }),
  S('spill-min-value-size', 'bytes', '64', { min: 0 }),

  // -- security (issue 7) settings go here --
  S('protected-mode', 'bool', 'yes'),
  S('aclfile', 'string', '', fixed),
  S('tls-port', 'int', '0', { ...fixed, min: 0, max: 65535 }),
  S('tls-cert-file', 'string', '', fixed),
  S('tls-key-file', 'string', '', fixed),
  S('tls-ca-cert-file', 'string', '', fixed),
  S('tls-auth-clients', 'enum', 'yes', { ...fixed, values: ['yes', 'no', 'optional'] }),
  S('client-output-buffer-limit', 'string', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', {
    check: (raw) => normalizeOutputLimits(raw),
  }),

  // Accepted for compatibility; not acted upon (yet).
  S('save', 'string', '', ignored),
  S('appendonly', 'bool', 'no', ignored),
  S('appendfsync', 'enum', 'everysec', { ...ignored, values: ['always', 'everysec', 'no'] }),
  S('dir', 'string', '.', ignored),
  S('dbfilename', 'string', 'dump.rdb', ignored),
  S('daemonize', 'bool', 'no', { ...ignored, mutable: false }),
  S('logfile', 'string', '', { ...ignored, mutable: false }),
  S('lazyfree-lazy-user-flush', 'bool', 'no', ignored),
  S('notify-keyspace-events', 'string', '', ignored),
  S('slowlog-log-slower-than', 'int', '10000', ignored),
  S('slowlog-max-len', 'int', '128', ignored),
  S('io-threads', 'int', '1', { ...ignored, mutable: false }),
];

const BY_NAME = new Map(SETTINGS.map((s) => [s.name, s]));

export class ConfigError extends Error {}

/** Redis memtoll: 1k = 1000, 1kb = 1024 (likewise m/mb, g/gb), case-insensitive. */
export function parseBytes(text: string): number | null {
  const m = /^(-?\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * mul[unit]!;
}

// client-output-buffer-limit: "<class> <hard> <soft> <soft-seconds>" quadruples (Redis syntax).
/** Redis's reasons, shown inside CONFIG SET's error. */
const BAD_CLASS = 'Invalid client class specified in buffer limit configuration.';
const BAD_ARGS = 'Wrong number of arguments in buffer limit configuration.';
const BAD_VALUE = 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';

const CLASSES = ['normal', 'slave', 'replica', 'pubsub'];

/** Normalizes the setting (Redis prints bytes and canonical class names); throws Error with Redis's reason. */
export function normalizeOutputLimits(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length % 4 !== 0) throw new Error(BAD_ARGS);
  const byClass = new Map<string, [number, number, number]>([
    ['normal', [0, 0, 0]],
    ['slave', [268435456, 67108864, 60]],
    ['pubsub', [33554432, 8388608, 60]],
  ]);
  for (let i = 0; i < words.length; i += 4) {
    let cls = words[i]!.toLowerCase();
    if (!CLASSES.includes(cls)) throw new Error(BAD_CLASS);
    if (cls === 'replica') cls = 'slave';
    const hard = parseBytes(words[i + 1]!);
    const soft = parseBytes(words[i + 2]!);
    const secs = /^\d+$/.test(words[i + 3]!) ? Number(words[i + 3]) : null;
    if (hard === null || soft === null || secs === null || hard < 0 || soft < 0) throw new Error(BAD_VALUE);
    byClass.set(cls, [hard, soft, secs]);
  }
  return [...byClass].map(([cls, v]) => `${cls} ${v.join(' ')}`).join(' ');
}

/** unixsocketperm: octal permission bits, as Redis reads them. */
function normalizeOctalPerm(raw: string): string {
  const v = raw.trim();
  if (!/^[0-7]{1,4}$/.test(v)) throw new Error('argument must be an octal number such as 700 or 770');
  return Number.parseInt(v, 8).toString(8);
}

function normalize(spec: SettingSpec, raw: string): string {
  const bad = (why: string) => new ConfigError(why);
  switch (spec.kind) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw bad('argument must be \'yes\' or \'no\'');
      return v;
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!spec.values!.includes(v)) throw bad('argument(s) must be one of the following: ' + spec.values!.join(', '));
      return v;
    }
    case 'int':
    case 'bytes': {
      const n = spec.kind === 'bytes' ? parseBytes(raw) : /^-?\d+$/.test(raw.trim()) ? Number(raw) : null;
      if (n === null || !Number.isSafeInteger(n)) throw bad(spec.kind === 'bytes' ? 'argument must be a memory value' : 'argument couldn\'t be parsed into an integer');
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(`argument must be between ${spec.min ?? '-inf'} and ${spec.max ?? 'inf'} inclusive`);
      }
      return String(n);
    }
    default:
      return spec.check ? spec.check(raw) : raw;
  }
}

export type ConfigListener = (name: string, value: string) => void;

export class Config {
  private values = new Map<string, string>();
  private listeners: ConfigListener[] = [];

  constructor(overrides: Iterable<[string, string]> = []) {
    for (const s of SETTINGS) this.values.set(s.name, s.default);
    for (const [name, value] of overrides) this.load(name, value);
  }

  /** Sets a value at start-up (config file or command line): immutable settings allowed. */
  load(name: string, value: string): void {
    const spec = BY_NAME.get(name.toLowerCase());
    if (!spec) throw new ConfigError(`unknown setting '${name}'`);
    try {
      this.values.set(spec.name, normalize(spec, value));
    } catch (err) {
      throw new ConfigError(`bad value for '${spec.name}': ${(err as Error).message}`);
    }
  }

  /** CONFIG SET: all or nothing across the given pairs; throws ConfigError with Redis wording. */
  setAtRuntime(pairs: [string, string][]): void {
    const staged: [SettingSpec, string][] = [];
    for (const [name, value] of pairs) {
      const spec = BY_NAME.get(name.toLowerCase());
      if (!spec) throw new ConfigError(Errors.configSetUnknown(name));
      if (!spec.mutable) throw new ConfigError(Errors.configSetInvalid(name, "can't set immutable config"));
      try {
        staged.push([spec, normalize(spec, value)]);
      } catch (err) {
        throw new ConfigError(Errors.configSetInvalid(name, (err as Error).message));
      }
    }
    for (const [spec, value] of staged) {
      this.values.set(spec.name, value);
      for (const l of this.listeners) l(spec.name, value);
    }
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  get(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw new ConfigError(`unknown setting '${name}'`);
    return v;
  }

  number(name: string): number {
    return Number(this.get(name));
  }

  flag(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** Settings whose name matches a glob, for CONFIG GET. */
  matching(matches: (name: string) => boolean): [string, string][] {
    return SETTINGS.filter((s) => matches(s.name)).map((s) => [s.name, this.values.get(s.name)!]);
  }

  /** Settings set away from their default that sealkv does not act on (INFO, start-up warning). */
  notApplied(): string[] {
    return SETTINGS.filter((s) => !s.applied && this.values.get(s.name) !== s.default).map((s) => s.name);
  }

  static spec(name: string): SettingSpec | undefined {
    return BY_NAME.get(name.toLowerCase());
  }
}

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
