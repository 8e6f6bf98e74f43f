// Server commands: INFO CONFIG FLUSHDB FLUSHALL TIME MEMORY SHUTDOWN SCRIPT FUNCTION DEBUG MODULE,
// and SAVE/BGSAVE/LASTSAVE (handlers in persistence.ts); MEMORY STATS/DOCTOR/... in memory-report.ts.

import { rewriteConfig } from '../../config/rewrite.js';
import { hashedSetting, SECRET_SETTINGS } from '../../acl/secret.js';
import { ConfigError, Config } from '../../config.js';
import { Errors } from '../../protocol/errors.js';
import { opsOf, type Entry } from '../../store/keyspace.js';
import { keyBytes } from '../../store/memory.js';
import { isPackedForm, packedBytes } from '../../store/packed-record.js';
import { globMatch } from '../../util/glob.js';
import { integer, keyOf, text, word } from '../args.js';
import { replyHelp } from '../connection/clients.js';
import { infoText } from './info.js';
import { at } from '../key-specs.js';
import { bgsave, lastsave, save } from './persistence.js';
import { lolwut } from './lolwut.js';
import { replicationIfAny } from '../../replication/index.js';
import { memoryDoctor, memoryMallocStats, memoryPurge, memoryStats } from './memory-report.js';
import type { CommandFlag, CommandSpec, Session } from '../types.js';

function info(ctx: Session, args: Buffer[]): void {
  ctx.reply.verbatim(infoText(ctx, args.slice(1).map(word)));
}

/**
 * CONFIG GET pattern...: matches across all patterns, each setting once (Redis 7). A name
 * without glob characters is looked up exactly (hidden settings too) and echoed as the client
 * spelled it; patterns match names and aliases, any case.
 */
function configGet(ctx: Session, args: Buffer[]): void {
  const found = new Map<string, [string, string]>();
  const config = ctx.server.config;
  for (const arg of args.slice(2)) {
    // No setting name is this long; the bound keeps a huge argument from becoming a huge string.
    if (arg.length > MAX_CONFIG_ARG) continue;
    const pattern = arg.toString('latin1');
    if (!/[[*?]/.test(pattern)) {
      const key = pattern.toLowerCase();
      if (Config.spec(pattern) && !found.has(key)) found.set(key, [pattern, config.get(pattern)]);
      continue;
    }
    for (const [name, value] of config.matching((n) => globMatch(pattern, n, true))) {
      if (!found.has(name)) found.set(name, [name, value]);
    }
  }
  ctx.reply.mapLen(found.size);
  for (const [key, value] of found.values()) {
    ctx.reply.bulkText(key);
    ctx.reply.bulkText(value);
  }
}

/** Longest setting name or value sealkv turns into text (a value that size is no setting). */
const MAX_CONFIG_ARG = 1024 * 1024;

/**
 * enable-protected-configs (may this client set dir and dbfilename?) and enable-module-command:
 * "yes", or "local" for loopback and unix-socket clients, as Redis's allowProtectedAction.
 */
function protectedAllowed(ctx: Session, setting = 'enable-protected-configs'): boolean {
  const mode = ctx.server.config.get(setting);
  if (mode !== 'local') return mode === 'yes';
  const host = ctx.addr.slice(0, ctx.addr.lastIndexOf(':')).replace(/^::ffff:/, '');
  return host === '' || host.startsWith('127.') || host === '::1' || !ctx.addr.includes(':');
}

/** CONFIG SET name value [name value ...]: all or nothing, checked and rolled back as Redis 7 does. */
function configSet(ctx: Session, args: Buffer[]): void | Promise<void> {
  if (args.length % 2 !== 0) return ctx.reply.error(Errors.syntax);
  const pairs: [string, string][] = [];
  for (let i = 2; i < args.length; i += 2) {
    const name = args[i]!;
    const value = args[i + 1]!;
    if (name.length > MAX_CONFIG_ARG) return ctx.reply.error(Errors.configSetUnknown(text(name.subarray(0, 128))));
    if (value.length > MAX_CONFIG_ARG) return ctx.reply.error(Errors.configSetInvalid(text(name), 'argument is too long'));
    // A password is hashed from its bytes before it could become a string (acl/secret.ts).
    pairs.push([text(name), SECRET_SETTINGS.has(text(name).toLowerCase()) ? hashedSetting(value) : text(value)]);
  }
  let applying: void | Promise<void>;
  try {
    applying = ctx.server.config.setAtRuntime(pairs, { protectedAllowed: protectedAllowed(ctx) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return ctx.reply.error(err.message);
  }
  if (applying === undefined) return ctx.reply.ok();
  // Listeners opening (port, bind): the reply waits, later commands of this client behind it.
  return applying.then(
    () => ctx.reply.ok(),
    (err: unknown) => {
      if (!(err instanceof ConfigError)) throw err;
      ctx.reply.error(err.message);
    },
  );
}

function configResetstat(ctx: Session): void {
  ctx.server.resetStats();
  ctx.reply.ok();
}

/** strerror(3)'s words for the errors a rewrite meets (Redis puts them in its reply). */
function strerror(code: string | undefined): string {
  const known: Record<string, string> = { ENOENT: 'No such file or directory', EACCES: 'Permission denied', EROFS: 'Read-only file system', ENOSPC: 'No space left on device', EISDIR: 'Is a directory', ENOTDIR: 'Not a directory' };
  return (code !== undefined ? known[code] : undefined) ?? code ?? 'Unknown error';
}

/** Writes the running values into the config file the server started from (config/rewrite.ts). */
function configRewrite(ctx: Session): void {
  const file = ctx.server.configFile;
  if (file === null) return ctx.reply.error(Errors.configNoFile);
  try {
    rewriteConfig(ctx.server.config, file);
  } catch (err) {
    ctx.server.log.warn({ file, code: (err as NodeJS.ErrnoException).code }, 'CONFIG REWRITE failed');
    return ctx.reply.error(Errors.configRewriteFailed(strerror((err as NodeJS.ErrnoException).code)));
  }
  ctx.server.log.info({ file }, 'CONFIG REWRITE executed with success');
  ctx.reply.ok();
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

/**
 * FLUSHDB/FLUSHALL [ASYNC|SYNC]: both modes clear at once (dropping references is all a free
 * takes here); an asynchronous one counts its keys in lazyfreed_objects as Redis's does. null
 * after a syntax error; true for ASYNC, or no mode with lazyfree-lazy-user-flush yes.
 */
function flushMode(ctx: Session, args: Buffer[]): boolean | null {
  if (args.length === 1) return ctx.server.config.get('lazyfree-lazy-user-flush') === 'yes';
  const mode = args.length === 2 ? word(args[1]!) : '';
  if (mode === 'async' || mode === 'sync') return mode === 'async';
  ctx.reply.error(Errors.syntax);
  return null;
}

function flushdb(ctx: Session, args: Buffer[]): void {
  const lazy = flushMode(ctx, args);
  if (lazy === null) return;
  if (lazy) ctx.server.stats.lazyfreedObjects += ctx.db.size;
  ctx.db.clear();
  ctx.reply.ok();
}

function flushall(ctx: Session, args: Buffer[]): void {
  const lazy = flushMode(ctx, args);
  if (lazy === null) return;
  for (const db of ctx.server.databases) {
    if (lazy) ctx.server.stats.lazyfreedObjects += db.size;
    db.clear();
  }
  // Redis's flushAllDataAndResetRDB: a running BGSAVE stops, and with save rules the empty
  // dataset is saved at once (which zeroes the dirty counter).
  ctx.server.persistence.afterFlushAll();
  ctx.reply.ok();
}

/**
 * Seconds and microseconds from the server's clock (millisecond resolution, like expiry). Read
 * afresh, not the command's time: inside a script that time stays the script's start (for
 * expiry), while Redis 7.0's TIME in a script answers the real time, so a loop can wait on it.
 */
function time(ctx: Session): void {
  const now = ctx.server.clock();
  ctx.reply.arrayLen(2);
  ctx.reply.bulkText(String(Math.floor(now / 1000)));
  ctx.reply.bulkText(String((now % 1000) * 1000));
}

/**
 * An estimate of the bytes a key costs: its name (as maxmemory counts it), its sealed bytes (nonce, tag and header
 * included) and per-entry overhead. Elements are sampled like Redis: `samples` of them
 * averaged and scaled to the element count (Infinity = all).
 */
export function entryBytes(key: string, entry: Entry, samples: number): number {
  // A small collection at rest is weighed as it lies, one sealed blob (MEMORY USAGE leaves it packed).
  if (isPackedForm(entry)) return packedBytes(keyBytes(key, entry), entry);
  const ops = opsOf(entry);
  return ops.overhead + keyBytes(key, entry) + ops.valueBytes(entry, samples);
}

function memoryUsage(ctx: Session, args: Buffer[]): void {
  let samples = 5;
  for (let i = 3; i < args.length; i++) {
    if (word(args[i]!) !== 'samples' || i + 1 >= args.length) return ctx.reply.error(Errors.syntax);
    const n = integer(args[++i]!);
    if (n === null) return ctx.reply.error(Errors.notInteger);
    if (n < 0) return ctx.reply.error(Errors.syntax);
    samples = n === 0 ? Infinity : n;
  }
  const key = keyOf(ctx, args[2]!);
  // As Redis's memoryCommand, a look at the key that neither counts a hit nor unpacks it.
  const entry = ctx.db.getStored(key, ctx.now);
  if (entry === undefined) return ctx.reply.nullBulk();
  ctx.reply.integer(entryBytes(key, entry, samples));
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

/**
 * SHUTDOWN: Redis closes the connection without a reply when it goes down. While lagging
 * replicas are waited for, the caller stays blocked (replication/shutdown-wait.ts).
 */
function shutdown(ctx: Session, args: Buffer[]): void | Promise<void> {
  const opts = new Set<string>();
  for (const arg of args.slice(1)) {
    const opt = word(arg);
    if (!['nosave', 'save', 'now', 'force', 'abort'].includes(opt)) return ctx.reply.error(Errors.syntax);
    opts.add(opt);
  }
  if ((opts.has('abort') && opts.size > 1) || (opts.has('save') && opts.has('nosave'))) return ctx.reply.error(Errors.syntax);
  if (opts.has('abort')) {
    if (replicationIfAny(ctx.server)?.shutdownWait.abort() === true) return ctx.reply.ok();
    return ctx.reply.error(Errors.noShutdownInProgress);
  }
  // SAVE, or save rules set and not NOSAVE: a final snapshot first; a failed one keeps the
  // server up (unless FORCE) and answers Redis's error.
  const flags = { save: opts.has('save'), nosave: opts.has('nosave'), force: opts.has('force'), now: opts.has('now') };
  const answer = (failed: string | null) => {
    if (failed !== null) ctx.reply.error(Errors.shutdownFailed);
  };
  const outcome = ctx.server.requestShutdown('SHUTDOWN', flags);
  if (outcome instanceof Promise) return outcome.then(answer);
  answer(outcome);
}

/**
 * MODULE LOAD / LOADEX / UNLOAD: refused as Redis 7.0 refuses them by default
 * (enable-module-command no); where the setting allows them, sealkv has no module to load or
 * unload and answers Redis's failure. MODULE LIST is empty, as Redis's with no module: clients
 * call it to see which modules are there.
 */
function moduleChange(ctx: Session, args: Buffer[]): void {
  if (!protectedAllowed(ctx, 'enable-module-command')) return ctx.reply.error(Errors.moduleNotAllowed);
  if (word(args[1]!) === 'unload') return ctx.reply.error(Errors.moduleUnloadMissing);
  ctx.server.log.warn({ client: ctx.addr }, 'MODULE LOAD refused: sealkv does not load modules');
  ctx.reply.error(Errors.moduleLoadFailed);
}

const MODULE_HELP = [
  'MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
  'HELP',
  '    Prints this help.',
];

const srv = { group: 'server' } as const;
const ADMIN = ['@admin', '@slow', '@dangerous'] as const;
const ALL_SHARDS_OK = ['request_policy:all_shards', 'response_policy:all_succeeded'];
const SHARDS_SPECIAL = ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'];
const adminFlags: readonly CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const helpSpec = (handler: (ctx: Session) => void, categories: readonly string[], group = 'server', since = '5.0.0'): CommandSpec => ({
  name: 'help', arity: 2, flags: ['loading', 'stale'], categories, group,
  summary: 'Show helpful text about the different subcommands', since, complexity: 'O(1)', handler,
});

export const serverCommands: CommandSpec[] = [
  {
    ...srv, name: 'info', arity: -1, flags: ['loading', 'stale'], categories: ['@slow', '@dangerous'],
    tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
    summary: 'Get information and statistics about the server', since: '1.0.0', complexity: 'O(1)', handler: info,
  },
  {
    ...srv, name: 'config', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for server configuration commands',
    since: '2.0.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...srv, name: 'get', arity: -3, flags: adminFlags, categories: ADMIN, summary: 'Get the values of configuration parameters', since: '2.0.0', complexity: 'O(N) when N is the number of configuration parameters provided', handler: configGet },
      { ...srv, name: 'set', arity: -4, flags: adminFlags, categories: ADMIN, tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'], summary: 'Set configuration parameters to the given values', since: '2.0.0', complexity: 'O(N) when N is the number of configuration parameters provided', handler: configSet },
      { ...srv, name: 'resetstat', arity: 2, flags: adminFlags, categories: ADMIN, summary: 'Reset the stats returned by INFO', since: '2.0.0', complexity: 'O(1)', handler: configResetstat },
      { ...srv, name: 'rewrite', arity: 2, flags: adminFlags, categories: ADMIN, summary: 'Rewrite the configuration file with the in memory configuration', since: '2.8.0', complexity: 'O(1)', handler: configRewrite },
      helpSpec((ctx) => replyHelp(ctx, CONFIG_HELP), ['@slow']),
    ],
  },
  {
    ...srv, name: 'flushdb', arity: -1, flags: ['write'], categories: ['@keyspace', '@write', '@slow', '@dangerous'], tips: ALL_SHARDS_OK,
    summary: 'Remove all keys from the current database', since: '1.0.0', complexity: 'O(N) where N is the number of keys in the selected database', handler: flushdb,
  },
  {
    ...srv, name: 'flushall', arity: -1, flags: ['write'], categories: ['@keyspace', '@write', '@slow', '@dangerous'], tips: ALL_SHARDS_OK,
    summary: 'Remove all keys from all databases', since: '1.0.0', complexity: 'O(N) where N is the total number of keys in all databases', handler: flushall,
  },
  { ...srv, name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], categories: ['@fast'], tips: ['nondeterministic_output'], summary: 'Return the current server time', since: '2.6.0', complexity: 'O(1)', handler: time },
  {
    ...srv, name: 'memory', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for memory diagnostics commands', since: '4.0.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...srv, name: 'usage', arity: -3, flags: ['readonly'], keySpecs: [at(2, 'RO')], categories: ['@read', '@slow'], summary: 'Estimate the memory usage of a key', since: '4.0.0', complexity: 'O(N) where N is the number of samples.', handler: memoryUsage },
      helpSpec((ctx) => replyHelp(ctx, MEMORY_HELP), ['@slow'], 'server', '4.0.0'),
      { ...srv, name: 'doctor', arity: 2, flags: [], categories: ['@slow'], tips: SHARDS_SPECIAL, summary: 'Outputs memory problems report', since: '4.0.0', complexity: 'O(1)', handler: memoryDoctor },
      { ...srv, name: 'malloc-stats', arity: 2, flags: [], categories: ['@slow'], tips: SHARDS_SPECIAL, summary: 'Show allocator internal stats', since: '4.0.0', complexity: 'Depends on how much memory is allocated, could be slow', handler: memoryMallocStats },
      { ...srv, name: 'purge', arity: 2, flags: [], categories: ['@slow'], tips: ALL_SHARDS_OK, summary: 'Ask the allocator to release memory', since: '4.0.0', complexity: 'Depends on how much memory is allocated, could be slow', handler: memoryPurge },
      { ...srv, name: 'stats', arity: 2, flags: [], categories: ['@slow'], tips: SHARDS_SPECIAL, summary: 'Show memory usage details', since: '4.0.0', complexity: 'O(1)', handler: memoryStats },
    ],
  },
  {
    ...srv, name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], categories: ADMIN,
    summary: 'Synchronously save the dataset to disk and then shut down the server', since: '1.0.0', complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)', handler: shutdown,
  },

  { ...srv, name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'], categories: ADMIN, summary: 'Synchronously save the dataset to disk', since: '1.0.0', complexity: 'O(N) where N is the total number of keys in all databases', handler: save },
  { ...srv, name: 'bgsave', arity: -1, flags: ['admin', 'noscript', 'no_async_loading'], categories: ADMIN, summary: 'Asynchronously save the dataset to disk', since: '1.0.0', complexity: 'O(1)', handler: bgsave },
  { ...srv, name: 'bgrewriteaof', arity: 1, flags: ['admin', 'noscript', 'no_async_loading'], categories: ADMIN, summary: 'Asynchronously rewrite the append-only file', since: '1.0.0', complexity: 'O(1)', handler: (ctx) => ctx.reply.error(Errors.aofUnsupported) },
  { ...srv, name: 'lolwut', arity: -1, flags: ['readonly', 'fast'], categories: ['@read', '@fast'], summary: 'Display some computer art and the Redis version', since: '5.0.0', handler: lolwut },
  { ...srv, name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], categories: ['@admin', '@fast', '@dangerous'], tips: ['nondeterministic_output'], summary: 'Get the UNIX time stamp of the last successful save to disk', since: '1.0.0', complexity: 'O(1)', handler: lastsave },
  {
    ...srv, name: 'debug', arity: -2, flags: adminFlags, categories: ADMIN, summary: 'A container for debugging commands', since: '1.0.0', complexity: 'Depends on subcommand.',
    handler: (ctx) => ctx.reply.error(Errors.debugUnsupported),
  },
  {
    ...srv, name: 'module', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for module commands', since: '4.0.0', complexity: 'Depends on subcommand.',
    subcommands: [
      helpSpec((ctx) => replyHelp(ctx, MODULE_HELP), ['@slow']),
      { ...srv, name: 'list', arity: 2, flags: ['admin', 'noscript'], categories: ADMIN, tips: ['nondeterministic_output_order'], summary: 'List all modules loaded by the server', since: '4.0.0', complexity: 'O(N) where N is the number of loaded modules.', handler: (ctx) => ctx.reply.arrayLen(0) },
      { ...srv, name: 'load', arity: -3, flags: ['admin', 'noscript', 'no_async_loading'], categories: ADMIN, summary: 'Load a module', since: '4.0.0', complexity: 'O(1)', handler: moduleChange },
      { ...srv, name: 'loadex', arity: -3, flags: ['admin', 'noscript', 'no_async_loading'], categories: ADMIN, summary: 'Load a module with extended parameters', since: '7.0.0', complexity: 'O(1)', handler: moduleChange },
      { ...srv, name: 'unload', arity: 3, flags: ['admin', 'noscript', 'no_async_loading'], categories: ADMIN, summary: 'Unload a module', since: '4.0.0', complexity: 'O(1)', handler: moduleChange },
    ],
  },
];
