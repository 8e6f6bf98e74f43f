// Server commands: INFO CONFIG FLUSHDB FLUSHALL TIME MEMORY SHUTDOWN SCRIPT FUNCTION DEBUG,
// and SAVE/BGSAVE/LASTSAVE answered with the reason they cannot work (no persistence).

import { ConfigError, Config } from '../config.js';
import { Errors } from '../protocol/errors.js';
import { Kind, type Entry } from '../store/keyspace.js';
import { entryOverhead, FIELD_OVERHEAD, keyBytes } from '../store/memory.js';
import { globMatch } from '../util/glob.js';
import { integer, keyOf, text, word } from './args.js';
import { replyHelp } from './clients.js';
import { infoText } from './info.js';
import type { CommandFlag, CommandSpec, Session } from './types.js';
import { nameString } from '../util/names.js';

function info(ctx: Session, args: Buffer[]): void {
  ctx.reply.verbatim(infoText(ctx, args.slice(1).map(word)));
}

/** CONFIG GET pattern...: a name without glob characters is echoed as the client spelled it (Redis 7.0). */
function configGet(ctx: Session, args: Buffer[]): void {
  const found = new Map<string, [string, string]>();
  for (const arg of args.slice(2)) {
    const pattern = nameString(arg);
    if (!/[[*?]/.test(pattern)) {
      const spec = Config.spec(pattern);
      if (spec && !found.has(spec.name)) found.set(spec.name, [pattern, ctx.server.config.get(spec.name)]);
      continue;
    }
    for (const [key, value] of ctx.server.config.matching((n) => globMatch(pattern, n, true))) {
      if (!found.has(key)) found.set(key, [key, value]);
    }
  }
  ctx.reply.mapLen(found.size);
  for (const [key, value] of found.values()) {
    ctx.reply.bulkText(key);
    ctx.reply.bulkText(value);
  }
}

/**
 * The checks Redis makes across all pairs before applying any (configSetCommand): an unknown
 * name wins over everything, then the first immutable or repeated name. Values are validated by
 * Config.setAtRuntime, which applies all or nothing.
 */
function configSetPrecheck(pairs: [string, string][]): string | null {
  const unknown = pairs.find(([n]) => !Config.spec(n));
  if (unknown) return Errors.configSetUnknown(unknown[0]);
  const seen = new Set<string>();
  for (const [n] of pairs) {
    const spec = Config.spec(n)!;
    if (!spec.mutable) return Errors.configSetInvalid(n, "can't set immutable config");
    if (seen.has(spec.name)) return Errors.configSetInvalid(n, 'duplicate parameter');
    seen.add(spec.name);
  }
  return null;
}

function configSet(ctx: Session, args: Buffer[]): void {
  if (args.length % 2 !== 0) return ctx.reply.error(Errors.syntax);
  const pairs: [string, string][] = [];
  for (let i = 2; i < args.length; i += 2) pairs.push([text(args[i]!), text(args[i + 1]!)]);
  const problem = configSetPrecheck(pairs);
  if (problem) return ctx.reply.error(problem);
  try {
    ctx.server.config.setAtRuntime(pairs);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return ctx.reply.error(err.message);
  }
  ctx.reply.ok();
}

function configResetstat(ctx: Session): void {
  ctx.server.resetStats();
  ctx.reply.ok();
}

/** Redis's answer without a config file; with one, sealkv still refuses: it never writes it back. */
function configRewrite(ctx: Session): void {
  ctx.reply.error(ctx.server.configFile === null ? Errors.configNoFile : Errors.configRewriteUnsupported);
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

/** FLUSHDB/FLUSHALL [ASYNC|SYNC]: both modes clear at once (an in-memory Map needs no lazy free). */
function flushMode(ctx: Session, args: Buffer[]): boolean {
  if (args.length === 1) return true;
  const mode = args.length === 2 ? word(args[1]!) : '';
  if (mode === 'async' || mode === 'sync') return true;
  ctx.reply.error(Errors.syntax);
  return false;
}

function flushdb(ctx: Session, args: Buffer[]): void {
  if (!flushMode(ctx, args)) return;
  ctx.db.clear();
  ctx.server.cursors.clear();
  ctx.reply.ok();
}

function flushall(ctx: Session, args: Buffer[]): void {
  if (!flushMode(ctx, args)) return;
  for (const db of ctx.server.databases) db.clear();
  ctx.server.cursors.clear();
  ctx.reply.ok();
}

/** Seconds and microseconds from the command's clock (millisecond resolution, like expiry). */
function time(ctx: Session): void {
  ctx.reply.arrayLen(2);
  ctx.reply.bulkText(String(Math.floor(ctx.now / 1000)));
  ctx.reply.bulkText(String((ctx.now % 1000) * 1000));
}

/**
 * An estimate of the bytes a key costs: its name (as maxmemory counts it), its sealed bytes (nonce, tag and header
 * included) and per-entry overhead. Hash fields are sampled like Redis: `samples` of them
 * averaged and scaled to the field count (Infinity = all).
 */
export function entryBytes(key: string, entry: Entry, samples: number): number {
  let bytes = entryOverhead(entry) + keyBytes(key, entry);
  if (entry.kind === Kind.String) return bytes + entry.size;
  let seen = 0;
  let sampled = 0;
  for (const [field, sealed] of entry.fields) {
    if (seen >= samples) break;
    sampled += FIELD_OVERHEAD + field.length + sealed.length;
    seen++;
  }
  if (seen > 0) bytes += Math.round((sampled / seen) * entry.fields.size);
  return bytes;
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
  const entry = ctx.db.get(key, ctx.now);
  if (entry === undefined) return ctx.reply.nullBulk();
  ctx.reply.integer(entryBytes(key, entry, samples));
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

/** SHUTDOWN: Redis closes the connection without a reply when it goes down. */
function shutdown(ctx: Session, args: Buffer[]): void {
  const opts = new Set<string>();
  for (const arg of args.slice(1)) {
    const opt = word(arg);
    if (!['nosave', 'save', 'now', 'force', 'abort'].includes(opt)) return ctx.reply.error(Errors.syntax);
    opts.add(opt);
  }
  if ((opts.has('abort') && opts.size > 1) || (opts.has('save') && opts.has('nosave'))) return ctx.reply.error(Errors.syntax);
  // A shutdown here is immediate, so there is never one in progress to abort.
  if (opts.has('abort')) return ctx.reply.error(Errors.noShutdownInProgress);
  if (opts.has('save')) return ctx.reply.error(Errors.shutdownSaveUnsupported);
  ctx.server.shutdown('SHUTDOWN');
}

/** SCRIPT FLUSH / FUNCTION FLUSH [ASYNC|SYNC]: sealkv has no scripts or functions to flush. */
function flushNothing(error: string) {
  return (ctx: Session, args: Buffer[]): void => {
    const mode = args.length === 3 ? word(args[2]!) : 'sync';
    if (args.length > 3 || (mode !== 'sync' && mode !== 'async')) return ctx.reply.error(error);
    ctx.reply.ok();
  };
}

const scriptFlush = flushNothing(Errors.scriptFlushOption);
const functionFlushMode = flushNothing(Errors.functionFlushOption);

function functionFlush(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'function'));
  functionFlushMode(ctx, args);
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache (sealkv runs no scripts, so there is nothing to flush).',
  'HELP',
  '    Prints this help.',
];

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries (sealkv has none, so there is nothing to delete).',
  'HELP',
  '    Prints this help.',
];

const noPersistence = (ctx: Session, args: Buffer[]): void => ctx.reply.error(Errors.noPersistence(word(args[0]!)));

const none = { firstKey: 0, lastKey: 0, step: 0 } as const;
const srv = { ...none, group: 'server' } as const;
const ADMIN = ['@admin', '@slow', '@dangerous'] as const;
const adminFlags: readonly CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const helpSpec = (handler: (ctx: Session) => void, categories: readonly string[], group = 'server'): CommandSpec => ({
  ...none, name: 'help', arity: 2, flags: ['loading', 'stale'], categories, group,
  summary: 'Show helpful text about the different subcommands', since: '5.0.0', complexity: 'O(1)', handler,
});

export const serverCommands: CommandSpec[] = [
  {
    ...srv, name: 'info', arity: -1, flags: ['loading', 'stale'], categories: ['@slow', '@dangerous'],
    summary: 'Get information and statistics about the server', since: '1.0.0', complexity: 'O(1)', handler: info,
  },
  {
    ...srv, name: 'config', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for server configuration commands',
    since: '2.0.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...srv, name: 'get', arity: -3, flags: adminFlags, categories: ADMIN, summary: 'Get the values of configuration parameters', since: '2.0.0', complexity: 'O(N) when N is the number of configuration parameters provided', handler: configGet },
      { ...srv, name: 'set', arity: -4, flags: adminFlags, categories: ADMIN, summary: 'Set configuration parameters to the given values', since: '2.0.0', complexity: 'O(N) when N is the number of configuration parameters provided', handler: configSet },
      { ...srv, name: 'resetstat', arity: 2, flags: adminFlags, categories: ADMIN, summary: 'Reset the stats returned by INFO', since: '2.0.0', complexity: 'O(1)', handler: configResetstat },
      { ...srv, name: 'rewrite', arity: 2, flags: adminFlags, categories: ADMIN, summary: 'Rewrite the configuration file with the in memory configuration', since: '2.8.0', complexity: 'O(1)', handler: configRewrite },
      helpSpec((ctx) => replyHelp(ctx, CONFIG_HELP), ['@slow']),
    ],
  },
  {
    ...srv, name: 'flushdb', arity: -1, flags: ['write'], categories: ['@keyspace', '@write', '@slow', '@dangerous'],
    summary: 'Remove all keys from the current database', since: '1.0.0', complexity: 'O(N) where N is the number of keys in the selected database', handler: flushdb,
  },
  {
    ...srv, name: 'flushall', arity: -1, flags: ['write'], categories: ['@keyspace', '@write', '@slow', '@dangerous'],
    summary: 'Remove all keys from all databases', since: '1.0.0', complexity: 'O(N) where N is the total number of keys in all databases', handler: flushall,
  },
  { ...srv, name: 'time', arity: 1, flags: ['loading', 'stale', 'fast'], categories: ['@fast'], summary: 'Return the current server time', since: '2.6.0', complexity: 'O(1)', handler: time },
  {
    ...srv, name: 'memory', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for memory diagnostics commands', since: '4.0.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...srv, name: 'usage', arity: -3, flags: ['readonly'], firstKey: 2, lastKey: 2, step: 1, categories: ['@read', '@slow'], summary: 'Estimate the memory usage of a key', since: '4.0.0', complexity: 'O(N) where N is the number of samples.', handler: memoryUsage },
      helpSpec((ctx) => replyHelp(ctx, MEMORY_HELP), ['@slow']),
    ],
  },
  {
    ...srv, name: 'shutdown', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], categories: ADMIN,
    summary: 'Synchronously save the dataset to disk and then shut down the server', since: '1.0.0', complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)', handler: shutdown,
  },
  {
    ...none, name: 'script', arity: -2, flags: [], categories: ['@slow'], group: 'scripting', summary: 'A container for Lua scripts management commands', since: '2.6.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...none, name: 'flush', arity: -2, flags: ['noscript'], categories: ['@slow', '@scripting'], group: 'scripting', summary: 'Remove all the scripts from the script cache', since: '2.6.0', complexity: 'O(N) with N being the number of scripts in cache', handler: scriptFlush },
      helpSpec((ctx) => replyHelp(ctx, SCRIPT_HELP), ['@slow', '@scripting'], 'scripting'),
    ],
  },
  {
    ...none, name: 'function', arity: -2, flags: [], categories: ['@slow'], group: 'scripting', summary: 'A container for function commands', since: '7.0.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...none, name: 'flush', arity: -2, flags: ['write', 'noscript'], categories: ['@write', '@slow', '@scripting'], group: 'scripting', summary: 'Deleting all functions', since: '7.0.0', complexity: 'O(N) where N is the number of functions deleted', handler: functionFlush },
      helpSpec((ctx) => replyHelp(ctx, FUNCTION_HELP), ['@slow', '@scripting'], 'scripting'),
    ],
  },
  { ...srv, name: 'save', arity: 1, flags: ['admin', 'noscript', 'no_multi'], categories: ADMIN, summary: 'Synchronously save the dataset to disk', since: '1.0.0', complexity: 'O(N) where N is the total number of keys in all databases', handler: noPersistence },
  { ...srv, name: 'bgsave', arity: -1, flags: ['admin', 'noscript'], categories: ADMIN, summary: 'Asynchronously save the dataset to disk', since: '1.0.0', complexity: 'O(N) where N is the total number of keys in all databases', handler: noPersistence },
  { ...srv, name: 'lastsave', arity: 1, flags: ['loading', 'stale', 'fast'], categories: ['@admin', '@fast', '@dangerous'], summary: 'Get the UNIX time stamp of the last successful save to disk', since: '1.0.0', complexity: 'O(1)', handler: noPersistence },
  {
    ...srv, name: 'debug', arity: -2, flags: adminFlags, categories: ADMIN, summary: 'A container for debugging commands', since: '1.0.0', complexity: 'Depends on subcommand.',
    handler: (ctx) => ctx.reply.error(Errors.debugUnsupported),
  },
];
