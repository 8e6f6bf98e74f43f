// Every setting sealkv knows, under Redis's names, with its default and whether sealkv acts on it.
// Settings sealkv does not act on are still accepted (so existing redis.conf files and client
// libraries keep working) but are marked `applied: false`, logged when changed and listed in
// INFO, never silently faked.

import { normalizeOutputLimits } from './values.js';

export type Kind = 'int' | 'bytes' | 'bool' | 'string' | 'enum';

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
  S('timeout', 'int', '0', { min: 0 }),
  S('databases', 'int', '16', { ...fixed, min: 1, max: 1000 }),
  S('requirepass', 'string', ''),
  S('maxclients', 'int', '10000', { min: 1, max: 4294967295 }),
  S('hz', 'int', '10', { min: 1, max: 500 }),
  S('loglevel', 'enum', 'notice', { values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] }),
  S('proto-max-bulk-len', 'bytes', '536870912', { min: 1024 * 1024 }),
  S('client-query-buffer-limit', 'bytes', '1073741824', { min: 1024 * 1024 }),
  S('master-key-file', 'string', '', fixed),
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

export const BY_NAME = new Map(SETTINGS.map((s) => [s.name, s]));

