// Redis 7 functions (redis functions.c, function_lua.c): FUNCTION LOAD [REPLACE] of a library
// whose first line is `#!lua name=<lib>` and whose body calls redis.register_function, FUNCTION
// LIST / DELETE / FLUSH / STATS / KILL / HELP, FCALL and FCALL_RO. Libraries live in the same
// Lua state as EVAL scripts (scripting.ts); a function runs like a script with declared flags.

import { globMatch } from '../../util/glob.js';
import { splitArgBytes } from '../../config/words.js';
import { errorArg } from '../../util/names.js';
import { word } from '../args.js';
import { ERROR_ARG_MAX, Errors } from '../../protocol/errors.js';
import type { RegisteredFunction } from '../../scripting/engine.js';
import { keynum, keySpec, index, noted } from '../key-specs.js';
import { numkeysOf, runScript, scriptingIfLoaded, scriptingOf, withScripting, type Library, type LibraryFunction, type Scripting } from './scripting.js';
import type { CommandSpec, Server, Session } from '../types.js';
import { command } from '../../replication/records.js';
import { replicationIfAny } from '../../replication/index.js';
import { busyScriptOf, killBusyScript } from './script-busy.js';
import { monitoredFirst } from '../connection/monitor.js';

const NAME = /^[A-Za-z0-9_]+$/;
/** Redis's scripts_flags_def, in its order: names match any case, FUNCTION LIST shows each once, in this order. */
const FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'];

/**
 * `#!lua name=<lib>` on the first line: the library name, or Redis's error text. The line is split
 * as redis functionExtractLibMetaData splits it (sdssplitargs: quotes, escapes), the engine is the
 * first word less its `#!`, `name=` is matched in any case; then the checks of
 * functionsCreateWithLibraryCtx, in its order (the name's characters, then the engine).
 */
function metadataOf(code: Buffer): { name: string; end: number } | string {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return Errors.functionMetadata('Missing library metadata');
  const end = code.indexOf(0x0a);
  if (end < 0) return Errors.functionMetadata('Invalid library metadata');
  const words = splitArgBytes(code.subarray(0, end));
  if (words === null || words.length === 0) return Errors.functionMetadata('Invalid library metadata');
  const parts = words.map((w) => w.toString('latin1'));
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return Errors.functionMetadata('Invalid metadata value, name argument was given multiple times');
      name = part.slice(5);
    } else return Errors.functionMetadata(`Invalid metadata value given: ${part}`);
  }
  if (name === null) return Errors.functionMetadata('Library name was not given');
  if (!NAME.test(name)) return Errors.functionMetadata('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
  const engine = parts[0]!.slice(2);
  if (engine.toLowerCase() !== 'lua') return Errors.functionMetadata(`Engine '${engine}' not found`);
  return { name, end };
}

function load(s: Scripting, code: Buffer, replace: boolean): string {
  const meta = metadataOf(code);
  if (typeof meta === 'string') return meta;
  const old = s.libraries.get(meta.name);
  if (old !== undefined && !replace) return Errors.functionMetadata(`Library '${meta.name}' already exists`);
  const library: Library = { name: meta.name, code: Buffer.from(code), functions: [] };
  const body = Buffer.concat([Buffer.alloc(meta.end, 0x20), code.subarray(meta.end)]);
  const err = s.engine.loadLibrary(body, {
    register: (fn: RegisteredFunction) => {
      if (!NAME.test(fn.name)) return 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
      if (library.functions.some((f) => f.name.toLowerCase() === fn.name.toLowerCase())) return 'Function already exists in the library';
      const given = new Set<string>();
      for (const flag of fn.flags) {
        const known = flag.replace(/[A-Z]/g, (c) => c.toLowerCase()); // strcasecmp: ASCII letters only
        if (!FLAGS.includes(known)) return 'unknown flag given';
        given.add(known);
      }
      library.functions.push({ ...fn, flags: FLAGS.filter((f) => given.has(f)), library });
      return null;
    },
  });
  const drop = (): void => library.functions.forEach((f) => s.engine.release(f.ref));
  if (err !== null) {
    drop();
    return Errors.functionMetadata(err.stage === 'compile' ? `Error compiling function: ${err.message}` : `Error registering functions: ${err.message}`);
  }
  if (library.functions.length === 0) return Errors.functionMetadata('No functions registered');
  for (const f of library.functions) {
    const other = s.functions.get(f.name.toLowerCase());
    if (other !== undefined && other.library.name !== meta.name) {
      drop();
      return Errors.functionMetadata(`Function ${f.name} already exists`);
    }
  }
  if (old !== undefined) removeLibrary(s, old);
  s.libraries.set(library.name, library);
  // Function names are case-insensitive (FCALL TEST finds test), as in Redis.
  for (const f of library.functions) s.functions.set(f.name.toLowerCase(), f);
  return '';
}

function removeLibrary(s: Scripting, lib: Library): void {
  for (const f of lib.functions) {
    s.functions.delete(f.name.toLowerCase());
    s.engine.release(f.ref);
  }
  s.libraries.delete(lib.name);
}

function functionLoad(ctx: Session, args: Buffer[]): void | Promise<void> {
  let replace = false;
  let i = 2;
  for (; i < args.length - 1; i++) {
    if (word(args[i]!) === 'replace') replace = true;
    else return ctx.reply.error(Errors.functionMetadata(`Unknown option given: ${errorArg(args[i]!, ERROR_ARG_MAX)}`));
  }
  if (i >= args.length) return ctx.reply.error(Errors.functionMetadata('Function code is missing'));
  return withScripting(ctx, args, (s, owned) => {
    const name = load(s, owned[owned.length - 1]!, replace);
    if (name !== '') return ctx.reply.error(name);
    const meta = metadataOf(owned[owned.length - 1]!) as { name: string };
    librariesChanged(ctx.server);
    ctx.reply.bulkText(meta.name);
  });
}

function functionDelete(ctx: Session, args: Buffer[]): void | Promise<void> {
  return withScripting(ctx, args, (s, owned) => {
    const lib = s.libraries.get(owned[2]!.toString('latin1'));
    if (lib === undefined) return ctx.reply.error(Errors.functionMetadata('Library not found'));
    removeLibrary(s, lib);
    librariesChanged(ctx.server);
    ctx.reply.ok();
  });
}

function functionFlush(ctx: Session, args: Buffer[]): void | Promise<void> {
  // Redis: a mode word, or none; more arguments are a subcommand syntax error.
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(args[1]!.toString('latin1'), 'function'));
  const mode = args.length === 3 ? word(args[2]!) : 'sync';
  if (mode !== 'sync' && mode !== 'async') return ctx.reply.error(Errors.functionFlushOption);
  return withScripting(ctx, args, (s) => {
    for (const lib of [...s.libraries.values()]) removeLibrary(s, lib);
    s.engine.collectNow();
    librariesChanged(ctx.server);
    ctx.reply.ok();
  });
}

// ---- FUNCTION DUMP / RESTORE ----
// The payload is every library's code, sealed as a whole under the transport key as DUMP's key
// payloads are (seal/transport.ts): only nodes with the same master key restore it, and a
// Redis payload is refused (and ours by Redis). A marker first keeps it apart from key payloads.

const FUNCTIONS_MARKER = Buffer.from([0xf0, 0x46, 0x4e, 1]);

/** Every library's code, marked and length-prefixed: sealed, it is FUNCTION DUMP's payload. */
function librariesPlain(s: Scripting | undefined): Buffer {
  const codes = s === undefined ? [] : [...s.libraries.values()].map((lib) => lib.code);
  const plain = Buffer.alloc(FUNCTIONS_MARKER.length + codes.reduce((n, c) => n + 4 + c.length, 0));
  FUNCTIONS_MARKER.copy(plain, 0);
  let at = FUNCTIONS_MARKER.length;
  for (const code of codes) {
    plain.writeUInt32BE(code.length, at);
    code.copy(plain, at + 4);
    at += 4 + code.length;
  }
  return plain;
}

function functionDump(ctx: Session, args: Buffer[]): void | Promise<void> {
  return withScripting(ctx, args, (s) => ctx.reply.bulk(ctx.server.transport.seal(librariesPlain(s))));
}

/** The library codes of a FUNCTION DUMP payload, or null when it is not one of ours. */
function dumpedCodes(server: Server, payload: Buffer): Buffer[] | null {
  const plain = server.transport.open(payload);
  if (plain === null || plain.length < FUNCTIONS_MARKER.length || !plain.subarray(0, FUNCTIONS_MARKER.length).equals(FUNCTIONS_MARKER)) return null;
  const codes: Buffer[] = [];
  for (let at = FUNCTIONS_MARKER.length; at < plain.length;) {
    if (at + 4 > plain.length) return null;
    const length = plain.readUInt32BE(at);
    if (at + 4 + length > plain.length) return null;
    codes.push(Buffer.from(plain.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return codes;
}

/**
 * FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] (Redis functionRestoreCommand + libraryJoin):
 * all or nothing. APPEND refuses a library that exists, REPLACE replaces it, FLUSH starts from
 * none; a failure puts the libraries back as they were.
 */
function functionRestore(ctx: Session, args: Buffer[]): void | Promise<void> {
  if (args.length > 4) return ctx.reply.error(Errors.subcommandSyntax(args[1]!.toString('latin1'), 'function'));
  const policy = args.length === 4 ? word(args[3]!) : 'append';
  if (policy !== 'append' && policy !== 'replace' && policy !== 'flush') return ctx.reply.error(Errors.functionRestorePolicy);
  const codes = dumpedCodes(ctx.server, args[2]!);
  if (codes === null) return ctx.reply.error(Errors.dumpPayload);
  return withScripting(ctx, args, (s) => {
    const before = [...s.libraries.values()].map((lib) => lib.code);
    const restoreBefore = (): void => {
      for (const lib of [...s.libraries.values()]) removeLibrary(s, lib);
      for (const code of before) load(s, code, false);
    };
    if (policy === 'flush') for (const lib of [...s.libraries.values()]) removeLibrary(s, lib);
    for (const code of codes) {
      const meta = metadataOf(code);
      if (policy === 'append' && typeof meta !== 'string' && s.libraries.has(meta.name)) {
        restoreBefore();
        return ctx.reply.error(Errors.functionMetadata(`Library ${meta.name} already exists`));
      }
      const failed = load(s, code, policy !== 'append');
      if (failed !== '') {
        restoreBefore();
        return ctx.reply.error(failed);
      }
    }
    librariesChanged(ctx.server);
    ctx.reply.ok();
  });
}

// ---- the libraries on the replication stream ----
// Redis replicates FUNCTION LOAD / DELETE / FLUSH / RESTORE and sends the libraries with a full
// copy (in its RDB). Here the whole set travels as one SKV.FUNCS record, sealed as FUNCTION
// DUMP's payload is, after every change and at each full copy's point; a replica replaces its
// libraries with it.

/** The SKV.FUNCS record of the libraries as they are now (none while the VM never loaded). */
export function librariesRecord(server: Server): Buffer {
  return command('SKV.FUNCS', server.transport.seal(librariesPlain(scriptingIfLoaded(server))));
}

function librariesChanged(server: Server): void {
  const propagator = replicationIfAny(server)?.propagator;
  if (propagator?.active === true) propagator.record(librariesRecord(server));
}

/** A replica takes its master's libraries; false when the record is not a payload of ours. */
export function applyLibrariesRecord(server: Server, sealed: Buffer): boolean {
  const codes = dumpedCodes(server, sealed);
  if (codes === null) return false;
  const replace = (s: Scripting): void => {
    for (const lib of [...s.libraries.values()]) removeLibrary(s, lib);
    for (const code of codes) load(s, code, true);
  };
  // No libraries to take and none held: the VM need not load for it.
  if (codes.length === 0 && scriptingIfLoaded(server) === undefined) return true;
  const s = scriptingOf(server);
  // Once the VM is in (a command that needs it, queued meanwhile, waits for the same promise after this).
  if (s instanceof Promise) void s.then(replace);
  else replace(s);
  return true;
}

function functionList(ctx: Session, args: Buffer[]): void | Promise<void> {
  let withCode = false;
  // Matched as Redis does, with stringmatchlen ignoring case (util/glob.ts): a RegExp made of
  // the pattern backtracked exponentially on many stars, and threw on an unclosed '['.
  let pattern: Buffer | null = null;
  for (let i = 2; i < args.length; i++) {
    const opt = word(args[i]!);
    if (opt === 'withcode' && !withCode) withCode = true;
    else if (opt === 'libraryname' && pattern === null && i + 1 < args.length) pattern = Buffer.from(args[++i]!); // a copy: the VM may load first
    else if (opt === 'libraryname' && pattern === null) return ctx.reply.error(Errors.functionMetadata('library name argument was not given'));
    else return ctx.reply.error(Errors.functionMetadata(`Unknown argument ${errorArg(args[i]!, ERROR_ARG_MAX).replace(/[\r\n]/g, ' ')}`));
  }
  return withScripting(ctx, args, (s) => {
    const libs = [...s.libraries.values()].filter((l) => pattern === null || globMatch(pattern, l.name, true));
    const r = ctx.reply;
    r.arrayLen(libs.length);
    for (const lib of libs) {
      r.mapLen(withCode ? 4 : 3);
      r.bulkText('library_name');
      r.bulkText(lib.name);
      r.bulkText('engine');
      r.bulkText('LUA');
      r.bulkText('functions');
      r.arrayLen(lib.functions.length);
      for (const f of lib.functions) {
        r.mapLen(3);
        r.bulkText('name');
        r.bulkText(f.name);
        r.bulkText('description');
        if (f.description === null) r.nullBulk();
        else r.bulkText(f.description);
        r.bulkText('flags');
        r.setLen(f.flags.length);
        for (const flag of f.flags) r.bulkText(flag);
      }
      if (withCode) {
        r.bulkText('library_code');
        r.bulk(lib.code);
      }
    }
  });
}

function functionStats(ctx: Session, args: Buffer[]): void | Promise<void> {
  // Another client's script is busy (script-busy.ts): an EVAL script is not a function.
  const busy = busyScriptOf(ctx.server);
  if (busy !== null && busy.mode === 'eval') return ctx.reply.error(Errors.busyEval);
  return withScripting(ctx, args, (s) => {
    const r = ctx.reply;
    r.mapLen(2);
    r.bulkText('running_script');
    if (busy === null) r.nullBulk();
    else {
      r.mapLen(3);
      r.bulkText('name');
      r.bulkText(busy.name);
      r.bulkText('command');
      const command = busy.command();
      r.arrayLen(command.length);
      for (const part of command) r.bulkText(part);
      r.bulkText('duration_ms');
      r.integer(Math.floor(performance.now() - busy.started));
    }
    r.bulkText('engines');
    r.mapLen(1);
    r.bulkText('LUA');
    r.mapLen(2);
    r.bulkText('libraries_count');
    r.integer(s.libraries.size);
    r.bulkText('functions_count');
    r.integer(s.functions.size);
  });
}

function fcall(ro: boolean) {
  return (ctx: Session, args: Buffer[]): void | Promise<void> => {
    return withScripting(ctx, args, (s, owned) => {
      // Redis looks the function up before it reads numkeys.
      const f: LibraryFunction | undefined = s.functions.get(owned[1]!.toString('latin1').toLowerCase());
      if (f === undefined) return ctx.reply.error(Errors.functionMetadata('Function not found'));
      const numkeys = numkeysOf(ctx, owned, Errors.functionMetadata('Bad number of keys provided'));
      if (numkeys === null) return;
      const noWrites = f.flags.includes('no-writes');
      const flags = { readOnly: noWrites, allowOom: noWrites || f.flags.includes('allow-oom'), declared: true, noWrites, allowStale: f.flags.includes('allow-stale') };
      runScript(ctx, s, { ref: f.ref, flags }, f.name, owned, numkeys, ro, 'function');
    });
  };
}

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
  'HELP',
  '    Prints this help.',
];

const FCALL_KEYS = [
  noted(keySpec(index(2), keynum(0, 1, 1), ['RW', 'ACCESS', 'UPDATE']), 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'),
];
const FCALL_RO_KEYS = [
  noted(keySpec(index(2), keynum(0, 1, 1), ['RO', 'ACCESS']), 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS'),
];
const base = { group: 'scripting', since: '7.0.0' } as const;
const SCRIPTING = ['@slow', '@scripting'] as const;
const WRITE_SCRIPTING = ['@write', '@slow', '@scripting'] as const;
const ALL_SHARDS_OK = ['request_policy:all_shards', 'response_policy:all_succeeded'];

export const functionCommands: CommandSpec[] = [
  {
    ...base, name: 'fcall', arity: -3, flags: ['noscript', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'stale'], keySpecs: FCALL_KEYS, categories: SCRIPTING,
    summary: 'Invoke a function', complexity: 'Depends on the function that is executed.', handler: monitoredFirst('fcall', fcall(false)),
  },
  {
    ...base, name: 'fcall_ro', arity: -3, flags: ['noscript', 'skip_monitor', 'no_mandatory_keys', 'stale', 'readonly'], keySpecs: FCALL_RO_KEYS, categories: SCRIPTING,
    summary: 'Invoke a read-only function', complexity: 'Depends on the function that is executed.', handler: monitoredFirst('fcall_ro', fcall(true)),
  },
  {
    ...base, name: 'function', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for function commands', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...base, name: 'delete', arity: 3, flags: ['write', 'noscript'], categories: WRITE_SCRIPTING, tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], summary: 'Delete a function by name', complexity: 'O(1)', handler: functionDelete },
      { ...base, name: 'dump', arity: 2, flags: ['noscript'], categories: SCRIPTING, summary: 'Dump all functions into a serialized binary payload', complexity: 'O(N) where N is the number of functions', handler: functionDump },
      { ...base, name: 'restore', arity: -3, flags: ['write', 'denyoom', 'noscript'], categories: WRITE_SCRIPTING, tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], summary: 'Restore all the functions on the given payload', complexity: 'O(N) where N is the number of functions on the payload', handler: functionRestore },
      { ...base, name: 'flush', arity: -2, flags: ['write', 'noscript'], categories: WRITE_SCRIPTING, tips: ALL_SHARDS_OK, summary: 'Deleting all functions', complexity: 'O(N) where N is the number of functions deleted', handler: functionFlush },
      { ...base, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: SCRIPTING, summary: 'Show helpful text about the different subcommands', complexity: 'O(1)', handler: (ctx) => { ctx.reply.arrayLen(FUNCTION_HELP.length); for (const l of FUNCTION_HELP) ctx.reply.simple(l); } },
      { ...base, name: 'kill', arity: 2, flags: ['noscript', 'allow_busy'], categories: SCRIPTING, tips: ['request_policy:all_shards', 'response_policy:one_succeeded'], summary: 'Kill the function currently in execution.', complexity: 'O(1)', handler: (ctx) => killBusyScript(ctx, false) },
      { ...base, name: 'list', arity: -2, flags: ['noscript'], categories: SCRIPTING, tips: ['nondeterministic_output_order'], summary: 'List information about all the functions', complexity: 'O(N) where N is the number of functions', handler: functionList },
      { ...base, name: 'load', arity: -3, flags: ['write', 'denyoom', 'noscript'], categories: WRITE_SCRIPTING, tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], summary: 'Create a function with the given arguments (name, code, description)', complexity: 'O(1) (considering compilation time is redundant)', handler: functionLoad },
      { ...base, name: 'stats', arity: 2, flags: ['noscript', 'allow_busy'], categories: SCRIPTING, tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'], summary: 'Return information about the function currently running (name, description, duration)', complexity: 'O(1)', handler: functionStats },
    ],
  },
];
