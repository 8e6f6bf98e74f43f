// Every setting sealkv knows: all of Redis 7.0's (names, aliases, defaults, types and ranges as
// redis-server 7.0 reports them) plus sealkv's own. Settings sealkv does not act on are still
// accepted and validated like Redis (so stock redis.conf files, client libraries and test
// harnesses keep working) but are marked `applied: false`: logged when set, listed in INFO and
// at start-up, never silently faked.

import { procTitleError, SPECIAL, type SpecialParser } from './special.js';

export type Kind = 'bool' | 'enum' | 'int' | 'memory' | 'octal' | 'string' | 'special';

export type Group =
  | 'network' | 'tls' | 'security' | 'sealing' | 'memory' | 'limits' | 'process'
  | 'persistence' | 'replication' | 'cluster' | 'encoding' | 'monitoring';

export const GROUP_TITLES: Record<Group, string> = {
  network: 'Network',
  tls: 'TLS',
  security: 'Security and access control',
  sealing: 'Sealing (sealkv)',
  memory: 'Memory, eviction and the spill tier',
  limits: 'Client and protocol limits',
  process: 'Process, logging and timing',
  persistence: 'Persistence (sealed snapshots, on tmpfs only)',
  replication: 'Replication',
  cluster: 'Cluster',
  encoding: 'Data structure encodings',
  monitoring: 'Monitoring and notifications',
};

export interface SettingSpec {
  name: string;
  /** Redis's other accepted name (an old "slave" or "ziplist" spelling). */
  alias?: string;
  kind: Kind;
  /** The value CONFIG GET shows before anything sets it. */
  default: string;
  group: Group;
  /** May change at run time through CONFIG SET. */
  mutable: boolean;
  /** Not mutable, but CONFIG SET to its current value is accepted (and does nothing). */
  sameValueOk?: boolean;
  /** CONFIG SET only when enable-protected-configs allows it (Redis PROTECTED_CONFIG). */
  protected?: boolean;
  /** sealkv acts on this setting; false means accepted, validated and reported as not acted upon. */
  applied: boolean;
  /** Matched by its exact name only, never by a CONFIG GET pattern (Redis HIDDEN_CONFIG). */
  hidden?: boolean;
  /** Holds a secret: its value never appears in an error or a log line. */
  sensitive?: boolean;
  /** A password: kept only as '#<sha256 hex>' of it, never in clear (acl/secret.ts). */
  digest?: boolean;
  /** Takes several words: several arguments in a config file, a space-separated CONFIG SET value. */
  multi?: boolean;
  /** Enum: the values named in errors; `extra` are accepted as well (sealkv additions). */
  values?: readonly string[];
  extra?: readonly string[];
  /** Numeric: bounds, and whether Redis compares them as unsigned 64-bit values. */
  min?: bigint;
  max?: bigint;
  unsigned?: boolean;
  /** Memory value that may also be a percentage ("10%"). */
  percent?: boolean;
  /** Redis adjusts some accepted values when applying them (hz runs at 1..500); CONFIG GET shows the result. */
  adjust?: (value: bigint) => bigint;
  /** Validates a 'string' setting; returns Redis's reason, or null when valid. */
  check?: (value: string) => string | null;
  /** Parses a 'special' setting from its words; returns the value CONFIG GET shows. */
  parse?: SpecialParser;
}

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const UINT_MAX = 2n ** 32n - 1n;
const LONG_MAX = 2n ** 63n - 1n;
const ULLONG_MAX = 2n ** 64n - 1n;

type Extra = Partial<SettingSpec>;
const base = (name: string, kind: Kind, def: string, extra: Extra): SettingSpec => ({
  name, kind, default: def, group: 'network', mutable: true, applied: false, ...extra,
});
const bool = (name: string, def: string, extra: Extra = {}) => base(name, 'bool', def, extra);
const oneOf = (name: string, values: readonly string[], def: string, extra: Extra = {}) => base(name, 'enum', def, { values, ...extra });
const int = (name: string, def: number, min: bigint, max: bigint, extra: Extra = {}) =>
  base(name, 'int', String(def), { min, max, ...extra });
const uint = (name: string, def: number, min: bigint, max: bigint, extra: Extra = {}) => int(name, def, min, max, { unsigned: true, ...extra });
const mem = (name: string, def: number, min: bigint, max: bigint, extra: Extra = {}) =>
  base(name, 'memory', String(def), { min, max, ...extra });
const str = (name: string, def = '', extra: Extra = {}) => base(name, 'string', def, extra);
const special = (name: string, def: string, extra: Extra = {}) => base(name, 'special', def, { parse: SPECIAL[name]!, ...extra });

// Flags read as Redis's: fixed = IMMUTABLE_CONFIG, acts = sealkv applies it.
const fixed = { mutable: false } as const;
// Fixed in sealkv although Redis changes it at run time (or a sealkv start-up setting): CONFIG SET
// to the value it already has is a no-op, so a CONFIG GET * -> CONFIG SET round trip works.
const fixedHere = { mutable: false, sameValueOk: true } as const;
const acts = { applied: true } as const;
const hidden = { hidden: true } as const;
const secret = { sensitive: true } as const;
const password = { sensitive: true, digest: true } as const;
const multi = { multi: true } as const;
const alias = (name: string): Extra => ({ alias: name });
const noPath = (what: string, kind: string, emptyOk = true) => (v: string) =>
  !emptyOk && v === '' ? `${what} can't be empty` : v.includes('/') ? `${what} can't be a path, just a ${kind}` : null;

const TABLE: SettingSpec[] = [];
const add = (g: Group, ...specs: SettingSpec[]) => {
  for (const s of specs) TABLE.push({ ...s, group: g });
};

add('network',
  // sealkv's default listens on loopback only (Redis 7: "* -::*" guarded by protected-mode).
  special('bind', '127.0.0.1', { ...acts, ...multi }),
  // The address replication links connect from ('' = the kernel's choice).
  str('bind-source-addr', '', acts),
  int('port', 6379, 0n, 65535n, acts),
  int('tcp-backlog', 511, 0n, INT_MAX, { ...fixed, ...acts }),
  int('tcp-keepalive', 300, 0n, INT_MAX, acts),
  int('timeout', 0, 0n, INT_MAX, acts),
  // A Unix domain socket listener ('' = none) and its permission bits (0 = owner only).
  str('unixsocket', '', { ...fixed, ...acts }),
  base('unixsocketperm', 'octal', '0', { ...fixed, ...acts, min: 0n, max: 0o777n, unsigned: true }),
  bool('protected-mode', 'yes', acts),
  uint('maxclients', 10000, 1n, UINT_MAX, acts),
  uint('socket-mark-id', 0, 0n, UINT_MAX, fixed),
);
add('tls',
  int('tls-port', 0, 0n, 65535n, acts),
  str('tls-cert-file', '', { ...fixedHere, ...acts }),
  str('tls-key-file', '', { ...fixedHere, ...acts }),
  str('tls-key-file-pass', '', secret),
  str('tls-client-cert-file', '', acts),
  str('tls-client-key-file', '', acts),
  str('tls-client-key-file-pass', '', secret),
  str('tls-dh-params-file'),
  str('tls-ca-cert-file', '', { ...fixedHere, ...acts }),
  str('tls-ca-cert-dir'),
  oneOf('tls-auth-clients', ['no', 'yes', 'optional'], 'yes', { ...fixedHere, ...acts }),
  // sealkv's own: seconds a TLS connection may take to finish its handshake before it is closed.
  int('tls-handshake-timeout', 10, 1n, 3600n, { ...fixedHere, ...acts }),
  str('tls-protocols'),
  str('tls-ciphers'),
  str('tls-ciphersuites'),
  bool('tls-prefer-server-ciphers', 'no'),
  bool('tls-session-caching', 'yes'),
  int('tls-session-cache-size', 20480, 0n, INT_MAX),
  int('tls-session-cache-timeout', 300, 0n, INT_MAX),
  bool('tls-replication', 'no', acts),
  bool('tls-cluster', 'no', acts),
);
add('security',
  str('requirepass', '', { ...acts, ...password }),
  str('aclfile', '', { ...fixed, ...acts }),
  int('acllog-max-len', 128, 0n, LONG_MAX, acts),
  oneOf('acl-pubsub-default', ['allchannels', 'resetchannels'], 'resetchannels', acts),
  // Gates CONFIG SET of dir and dbfilename, as in Redis.
  oneOf('enable-protected-configs', ['no', 'yes', 'local'], 'no', { ...fixed, ...acts }),
  oneOf('enable-debug-command', ['no', 'yes', 'local'], 'no', fixed),
  oneOf('enable-module-command', ['no', 'yes', 'local'], 'no', { ...fixed, ...acts }),
);
add('sealing',
  str('master-key-file', '', { ...fixedHere, ...acts }),
  // Accept a master key file that group or others may read (refused by default, as OpenSSH refuses such a private key).
  bool('master-key-file-permissive', 'no', { ...fixedHere, ...acts }),
  // The name of an environment variable holding the master key (removed from the environment once read).
  str('master-key-env', '', { ...fixedHere, ...acts }),
  // Key names stored as keyed hashes plus sealed copies (README, Sealed key names).
  bool('seal-keys', 'no', { ...fixedHere, ...acts }),
  // AEAD backend (src/seal/backends.ts): auto = sodium-native when it loads, else WASM.
  oneOf('seal-backend', ['auto', 'native', 'wasm'], 'auto', { ...fixedHere, ...acts }),
  // Worker threads that seal and open large string values off the event loop (seal/seal-workers.ts;
  // native backend only); 0 = all on the event loop. Values from seal-worker-min-bytes up go there.
  int('seal-workers', 1, 0n, 64n, { ...fixedHere, ...acts }),
  mem('seal-worker-min-bytes', 128 * 1024, 64n * 1024n + 1n, LONG_MAX, { ...fixedHere, ...acts }),
  // The admin HTTP port (src/admin/: /metrics, /healthz, /readyz); 0 = off. Its addresses are
  // read like bind; admin-token (kept as its digest) guards /metrics and is required unless
  // every admin address is loopback.
  int('admin-port', 0, 0n, 65535n, { ...fixedHere, ...acts }),
  special('admin-bind', '127.0.0.1', { ...fixedHere, ...acts, ...multi, parse: SPECIAL.bind! }),
  str('admin-token', '', { ...fixedHere, ...acts, ...password }),
);
add('memory',
  // maxmemory counts the data and the connections' memory (src/store/memory.ts): INFO used_memory.
  mem('maxmemory', 0, 0n, ULLONG_MAX, { ...acts, unsigned: true }),
  // LFU policies are accepted and evict as their LRU variant (README, Spill tier).
  oneOf('maxmemory-policy', ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'], 'noeviction', acts),
  int('maxmemory-samples', 5, 1n, INT_MAX, acts),
  int('maxmemory-eviction-tenacity', 10, 0n, 100n),
  // Client eviction (src/net/client-eviction.ts): bytes, or a percentage of maxmemory.
  mem('maxmemory-clients', 0, -100n, LONG_MAX, { percent: true, ...acts }),
  // Spill tier: '' disables it; the directory must be on tmpfs (src/spill/tmpfs.ts).
  str('spill-dir', '', { ...fixedHere, ...acts }),
  mem('spill-max-bytes', 0, 0n, LONG_MAX, { ...fixedHere, ...acts }),
  mem('spill-min-value-size', 64, 0n, LONG_MAX, acts),
  bool('lazyfree-lazy-eviction', 'no'),
  bool('lazyfree-lazy-expire', 'no'),
  bool('lazyfree-lazy-server-del', 'no'),
  bool('lazyfree-lazy-user-del', 'no', acts),
  bool('lazyfree-lazy-user-flush', 'no', acts),
  bool('activedefrag', 'no'),
  mem('active-defrag-ignore-bytes', 104857600, 1n, LONG_MAX, { unsigned: true }),
  int('active-defrag-threshold-lower', 10, 0n, 1000n),
  int('active-defrag-threshold-upper', 100, 0n, 1000n),
  int('active-defrag-cycle-min', 1, 1n, 99n),
  int('active-defrag-cycle-max', 25, 1n, 99n),
  int('active-defrag-max-scan-fields', 1000, 1n, LONG_MAX),
  bool('jemalloc-bg-thread', 'yes'),
  int('lfu-log-factor', 10, 0n, INT_MAX, acts),
  int('lfu-decay-time', 1, 0n, INT_MAX, acts),
  int('active-expire-effort', 1, 1n, 10n),
);
add('limits',
  mem('proto-max-bulk-len', 536870912, 1048576n, LONG_MAX, acts),
  mem('client-query-buffer-limit', 1073741824, 1048576n, LONG_MAX, { ...acts, unsigned: true }),
  special('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', { ...acts, ...multi }),
  int('busy-reply-threshold', 5000, 0n, LONG_MAX, { ...acts, ...alias('lua-time-limit') }),
  uint('tracking-table-max-keys', 1000000, 0n, LONG_MAX, acts),
);
add('process',
  // sealkv never forks: it stays in the foreground for its supervisor (README, Running it).
  bool('daemonize', 'no', fixed),
  str('pidfile', '', { ...fixed, ...acts }),
  // systemd readiness (READY=1 over $NOTIFY_SOCKET) once listening; upstart is accepted, not acted on.
  oneOf('supervised', ['upstart', 'systemd', 'auto', 'no'], 'no', { ...fixed, ...acts }),
  oneOf('loglevel', ['debug', 'verbose', 'notice', 'warning'], 'notice', { ...acts, extra: ['nothing'] }),
  // "" logs to standard output, for the supervisor to collect; a path is appended to (0600),
  // reopened on SIGHUP. The start stops when it cannot be opened, as Redis's does (src/log.ts).
  str('logfile', '', { ...fixed, ...acts }),
  // sealkv: pino's JSON lines, or pino-pretty's human-readable ones; auto is pretty on a terminal.
  oneOf('log-format', ['auto', 'json', 'pretty'], 'auto', { ...fixedHere, ...acts }),
  bool('syslog-enabled', 'no', fixed),
  str('syslog-ident', 'redis', fixed),
  oneOf('syslog-facility', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], 'local0', fixed),
  bool('always-show-logo', 'no', fixed),
  bool('set-proc-title', 'yes', { ...fixed, ...acts }),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', { check: procTitleError, ...acts }),
  // Redis accepts 0..INT_MAX and runs at 1..500.
  int('hz', 10, 0n, INT_MAX, { ...acts, adjust: (v) => (v < 1n ? 1n : v > 500n ? 500n : v) }),
  bool('dynamic-hz', 'yes'),
  // sealkv bounds the database count (Redis: up to INT_MAX), each is a table in memory.
  int('databases', 16, 1n, 1000n, { ...fixed, ...acts }),
  int('io-threads', 1, 1n, 128n, fixed),
  bool('io-threads-do-reads', 'no', fixed),
  oneOf('oom-score-adj', ['no', 'yes', 'relative', 'absolute'], 'no', acts),
  special('oom-score-adj-values', '0 200 800', { ...multi, ...acts }),
  bool('disable-thp', 'yes', fixed),
  str('server_cpulist', '', fixed),
  str('bio_cpulist', '', fixed),
  str('aof_rewrite_cpulist', '', fixed),
  str('bgsave_cpulist', '', fixed),
  bool('crash-log-enabled', 'yes'),
  bool('crash-memcheck-enabled', 'yes'),
  special('shutdown-on-sigint', 'default', { ...multi, ...acts }),
  special('shutdown-on-sigterm', 'default', { ...multi, ...acts }),
  int('shutdown-timeout', 10, 0n, INT_MAX, acts),
  str('ignore-warnings'),
  bool('use-exit-on-panic', 'no', hidden),
  int('watchdog-period', 0, 0n, INT_MAX, { ...hidden, adjust: (v) => (v > 0n && v < 200n ? 200n : v) }),
);
add('persistence',
  // Default '' (Redis: "3600 1 300 100 60 10000"): no snapshot unless asked for. Snapshots are
  // sealed and written only when `dir` is on tmpfs (src/persistence/, README "Durability").
  special('save', '', { ...multi, ...acts }),
  // Redis changes into this directory; sealkv stays where it started and writes only the
  // snapshot there (only on tmpfs).
  special('dir', process.cwd(), { protected: true, ...acts }),
  str('dbfilename', 'dump.rdb', { protected: true, check: noPath('dbfilename', 'filename'), ...acts }),
  // sealkv's own: the largest snapshot file it writes (0: only the filesystem's size limits it).
  mem('snapshot-max-bytes', 0, 0n, LONG_MAX, acts),
  bool('rdbcompression', 'yes'),
  bool('rdbchecksum', 'yes', fixed),
  bool('rdb-del-sync-files', 'no'),
  bool('rdb-save-incremental-fsync', 'yes'),
  bool('stop-writes-on-bgsave-error', 'yes', acts),
  oneOf('sanitize-dump-payload', ['no', 'yes', 'clients'], 'no'),
  bool('appendonly', 'no'),
  str('appendfilename', 'appendonly.aof', { ...fixed, check: noPath('appendfilename', 'filename', false) }),
  str('appenddirname', 'appendonlydir', { ...fixed, check: noPath('appenddirname', 'dirname', false) }),
  oneOf('appendfsync', ['everysec', 'always', 'no'], 'everysec'),
  bool('no-appendfsync-on-rewrite', 'no'),
  int('auto-aof-rewrite-percentage', 100, 0n, INT_MAX),
  mem('auto-aof-rewrite-min-size', 67108864, 0n, LONG_MAX),
  bool('aof-load-truncated', 'yes'),
  bool('aof-use-rdb-preamble', 'yes'),
  bool('aof-rewrite-incremental-fsync', 'yes'),
  bool('aof-timestamp-enabled', 'no'),
  bool('aof-disable-auto-gc', 'no'),
  int('rdb-key-save-delay', 0, INT_MIN, INT_MAX, hidden),
  int('key-load-delay', 0, INT_MIN, INT_MAX, hidden),
  int('loading-process-events-interval-bytes', 2097152, 1024n, INT_MAX, hidden),
);
add('replication',
  special('replicaof', '', { ...fixed, ...multi, ...acts, ...alias('slaveof') }),
  str('masterauth', '', { ...password, ...acts }),
  str('masteruser', '', { ...secret, ...acts }),
  bool('replica-serve-stale-data', 'yes', { ...alias('slave-serve-stale-data'), ...acts }),
  bool('replica-read-only', 'yes', { ...acts, ...alias('slave-read-only') }),
  bool('replica-lazy-flush', 'no', alias('slave-lazy-flush')),
  bool('replica-ignore-maxmemory', 'yes', { ...alias('slave-ignore-maxmemory'), ...acts }),
  bool('replica-ignore-disk-write-errors', 'no'),
  bool('replica-announced', 'yes', acts),
  str('replica-announce-ip', '', { ...acts, ...alias('slave-announce-ip') }),
  int('replica-announce-port', 0, 0n, 65535n, { ...acts, ...alias('slave-announce-port') }),
  int('replica-priority', 100, 0n, INT_MAX, { ...acts, ...alias('slave-priority') }),
  // Redis never keeps a backlog under 16 KB.
  mem('repl-backlog-size', 1048576, 1n, LONG_MAX, { ...acts, adjust: (v) => (v < 16384n ? 16384n : v) }),
  int('repl-backlog-ttl', 3600, 0n, LONG_MAX, acts),
  int('repl-timeout', 60, 1n, INT_MAX, acts),
  int('repl-ping-replica-period', 10, 1n, INT_MAX, { ...acts, ...alias('repl-ping-slave-period') }),
  bool('repl-disable-tcp-nodelay', 'no'),
  bool('repl-diskless-sync', 'yes'),
  int('repl-diskless-sync-delay', 5, 0n, INT_MAX),
  int('repl-diskless-sync-max-replicas', 0, 0n, INT_MAX),
  oneOf('repl-diskless-load', ['disabled', 'on-empty-db', 'swapdb'], 'disabled'),
  int('min-replicas-to-write', 0, 0n, INT_MAX, { ...alias('min-slaves-to-write'), ...acts }),
  int('min-replicas-max-lag', 10, 0n, INT_MAX, { ...alias('min-slaves-max-lag'), ...acts }),
  oneOf('propagation-error-behavior', ['ignore', 'panic', 'panic-on-replicas'], 'ignore'),
);
add('cluster',
  bool('cluster-enabled', 'no', { ...fixed, ...acts }),
  str('cluster-config-file', 'nodes.conf', { ...fixed, ...acts }),
  // sealkv's own: which line of the shared layout file is this node (src/cluster/layout-file.ts).
  str('cluster-node-id', '', { ...fixedHere, ...acts }),
  int('cluster-port', 0, 0n, 65535n, fixed),
  int('cluster-node-timeout', 15000, 0n, LONG_MAX, acts),
  str('cluster-announce-ip', '', acts),
  str('cluster-announce-hostname', '', { check: checkHostname, ...acts }),
  int('cluster-announce-port', 0, 0n, 65535n, acts),
  int('cluster-announce-bus-port', 0, 0n, 65535n),
  int('cluster-announce-tls-port', 0, 0n, 65535n),
  oneOf('cluster-preferred-endpoint-type', ['ip', 'hostname', 'unknown-endpoint'], 'ip'),
  int('cluster-replica-validity-factor', 10, 0n, INT_MAX, alias('cluster-slave-validity-factor')),
  bool('cluster-replica-no-failover', 'no', alias('cluster-slave-no-failover')),
  int('cluster-migration-barrier', 1, 0n, INT_MAX),
  bool('cluster-require-full-coverage', 'yes', acts),
  bool('cluster-allow-reads-when-down', 'no', acts),
  bool('cluster-allow-pubsubshard-when-down', 'yes'),
  bool('cluster-allow-replica-migration', 'yes'),
  mem('cluster-link-sendbuf-limit', 0, 0n, ULLONG_MAX, { unsigned: true, ...acts }),
);
add('encoding',
  uint('hash-max-listpack-entries', 512, 0n, LONG_MAX, { ...alias('hash-max-ziplist-entries'), ...acts }),
  mem('hash-max-listpack-value', 64, 0n, LONG_MAX, { unsigned: true, ...alias('hash-max-ziplist-value'), ...acts }),
  int('list-max-listpack-size', -2, INT_MIN, INT_MAX, { ...alias('list-max-ziplist-size'), ...acts }),
  int('list-compress-depth', 0, 0n, INT_MAX),
  uint('set-max-intset-entries', 512, 0n, LONG_MAX),
  uint('zset-max-listpack-entries', 128, 0n, LONG_MAX, alias('zset-max-ziplist-entries')),
  mem('zset-max-listpack-value', 64, 0n, LONG_MAX, { unsigned: true, ...alias('zset-max-ziplist-value') }),
  mem('hll-sparse-max-bytes', 3000, 0n, LONG_MAX, { unsigned: true, ...acts }),
  mem('stream-node-max-bytes', 4096, 0n, LONG_MAX, { unsigned: true, ...acts }),
  int('stream-node-max-entries', 100, 0n, LONG_MAX, acts),
  bool('activerehashing', 'yes'),
);
add('monitoring',
  special('notify-keyspace-events', '', acts),
  int('slowlog-log-slower-than', 10000, -1n, LONG_MAX, acts),
  int('slowlog-max-len', 128, 0n, LONG_MAX, acts),
  int('latency-monitor-threshold', 0, 0n, LONG_MAX, acts),
  bool('latency-tracking', 'yes', acts),
  special('latency-tracking-info-percentiles', '50 99 99.9', { ...multi, ...acts }),
);

function checkHostname(v: string): string | null {
  if (v.length >= 256) return 'Hostnames must be less than 256 characters';
  return /^[A-Za-z0-9.-]*$/.test(v) ? null : 'Hostnames may only contain alphanumeric characters, hyphens or dots';
}

export const SETTINGS: readonly SettingSpec[] = TABLE;

/** Canonical names and aliases (lower case) -> spec. */
export const BY_NAME = new Map<string, SettingSpec>();
for (const s of SETTINGS) {
  if (BY_NAME.has(s.name)) throw new Error(`setting '${s.name}' is defined twice`);
  BY_NAME.set(s.name, s);
  if (s.alias) BY_NAME.set(s.alias, s);
}

/** Directives Redis 7.0 still reads from a config file and ignores (two words each). */
export const DEPRECATED_DIRECTIVES = new Set(['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);
