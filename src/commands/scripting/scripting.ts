// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (redis eval.c). The Lua VM, the sandbox and the
// conversions live in src/scripting/; this file parses arguments, keeps the script cache (SHA ->
// compiled function: EVALSHA never recompiles) and runs scripts through ScriptCall, whose
// redis.call shares the dispatcher's admission step. A script runs to its end before any other
// command (Node's one thread): scripts are atomic.

import { Errors } from '../../protocol/errors.js';
import { splitArgBytes } from '../../config/words.js';
import { ReplyWriter } from '../../protocol/reply.js';
import { decimalValue, ownArgs, wipeArgs } from '../../util/bytes.js';
import { argArray, takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { LuaEngine, sha1hex } from '../../scripting/engine.js';
import { keynum, keySpec, index, noted } from '../key-specs.js';
import { int64, word } from '../args.js';
import type { Registry } from '../registry.js';
import { ScriptCall, type ScriptFlags } from './script-call.js';
import { killBusyScript } from './script-busy.js';
import { replicationRefusal, staleReplica } from '../../replication/index.js';
import type { CommandSpec, Server, Session } from '../types.js';
import { monitoredFirst } from '../connection/monitor.js';

/** The most the Lua heap may hold: a script building a huge table fails, the server does not. */
const LUA_HEAP_LIMIT = 256 * 1024 * 1024;

interface CachedScript {
  ref: number;
  flags: ScriptFlags & { declared: boolean; noWrites: boolean; allowStale?: boolean };
}

export interface Scripting {
  engine: LuaEngine;
  scripts: Map<string, CachedScript>;
  /** FUNCTION libraries by name, and every function by name (functions.ts). */
  libraries: Map<string, Library>;
  functions: Map<string, LibraryFunction>;
  /** The ReplyWriter redis.call replies are captured in, reused by every script (zeroed after each). */
  capture: ReplyWriter;
  /** The SHA argument EVALSHA last found (a hit skips making its text): cleared by SCRIPT FLUSH. */
  lastSha: { words: Int32Array; sha: string; script: CachedScript } | null;
  /** What runs redis.call, made by the first script and set up again for each (ScriptCall.begin). */
  runner: ScriptCall | null;
}

export interface LibraryFunction {
  name: string;
  ref: number;
  flags: string[];
  description: string | null;
  library: Library;
}

export interface Library {
  name: string;
  code: Buffer;
  functions: LibraryFunction[];
}

const states = new WeakMap<Server, Scripting | Promise<Scripting>>();

/** The server's Lua state, created on first use (instantiating the WebAssembly module takes tens of ms). */
export function scriptingOf(server: Server): Scripting | Promise<Scripting> {
  let s = states.get(server);
  if (s === undefined) {
    s = LuaEngine.create(LUA_HEAP_LIMIT).then((engine) => {
      const ready = {
        engine, scripts: new Map<string, CachedScript>(), libraries: new Map<string, Library>(), functions: new Map<string, LibraryFunction>(),
        capture: new ReplyWriter(server.stats, 1024),
        lastSha: null,
        runner: null,
      };
      states.set(server, ready);
      return ready;
    });
    states.set(server, s);
  }
  return s;
}

/**
 * Starts the Lua VM in the background once the server listens (server.ts): made on the first
 * script instead, its loading (0.1–0.8 s, parts of it on the event loop) held every client's
 * replies back then. A script command that comes before it is ready waits for it on its own
 * connection (withScripting: later commands there wait behind it, others go on). A failure is
 * logged and forgotten: the first script tries again, and answers the error if it fails too.
 */
export function preloadScripting(server: Server, warn: (err: unknown) => void): void {
  const s = scriptingOf(server);
  if (!(s instanceof Promise)) return;
  s.catch((err: unknown) => {
    if (states.get(server) === s) states.delete(server);
    warn(err);
  });
}

/** The scripting state once the VM is up, else undefined (INFO reads it without starting the VM). */
export function scriptingIfLoaded(server: Server): Scripting | undefined {
  const s = states.get(server);
  return s === undefined || s instanceof Promise ? undefined : s;
}

/**
 * Runs `fn` with the scripting state, now if it exists, else once it does; the arguments then
 * get a copy of their own (the connection reuses its read buffer), zeroed afterwards.
 */
export function withScripting(ctx: Session, args: Buffer[], fn: (s: Scripting, args: Buffer[]) => void): void | Promise<void> {
  const s = scriptingOf(ctx.server);
  if (!(s instanceof Promise)) return fn(s, args);
  const owned = ownArgs(args);
  return s.then((ready) => fn(ready, owned)).finally(() => wipeArgs(owned));
}

const FLAG_NAMES = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/** Reads a `#!lua flags=...` first line; null and the error text when it is malformed. */
function shebangOf(body: Buffer): { flags: CachedScript['flags']; skip: number } | string {
  const none = { flags: { readOnly: false, allowOom: false, declared: false, noWrites: false, allowStale: false }, skip: 0 };
  if (body.length < 2 || body[0] !== 0x23 || body[1] !== 0x21) return none;
  const end = body.indexOf(0x0a);
  if (end < 0) return Errors.shebangInvalid;
  // Redis splits the whole line into words as sdssplitargs does (quotes too): the engine's word
  // keeps its '#!' ('#! lua' names '#!').
  const words = splitArgBytes(body.subarray(0, end));
  if (words === null || words.length === 0) return Errors.shebangEngineInvalid;
  const parts = words.map((w) => w.toString('latin1'));
  if (parts[0] !== '#!lua') return Errors.shebangEngine(parts[0]!);
  const flags = { readOnly: false, allowOom: false, declared: true, noWrites: false, allowStale: false };
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return Errors.shebangOption(part);
    for (const flag of part.slice(6).split(',').filter((f) => f !== '')) {
      if (!FLAG_NAMES.has(flag)) return Errors.shebangFlag(flag);
      if (flag === 'no-writes') flags.noWrites = flags.readOnly = flags.allowOom = true;
      if (flag === 'allow-oom') flags.allowOom = true;
      if (flag === 'allow-stale') flags.allowStale = true;
    }
  }
  // The shebang line is blanked rather than cut, so line numbers in errors stay Redis's.
  return { flags, skip: end };
}

/** Compiles and caches a body under its SHA; an error text when it does not compile. */
function cache(s: Scripting, body: Buffer): [string, CachedScript] | string {
  const sha = sha1hex(body);
  const known = s.scripts.get(sha);
  if (known !== undefined) return [sha, known];
  const shebang = shebangOf(body);
  if (typeof shebang === 'string') return shebang;
  const source = shebang.skip > 0 ? Buffer.concat([Buffer.alloc(shebang.skip, 0x20), body.subarray(shebang.skip)]) : body;
  const ref = s.engine.compile(source);
  if (typeof ref === 'string') return Errors.scriptCompile(ref);
  const entry = { ref, flags: shebang.flags };
  s.scripts.set(sha, entry);
  return [sha, entry];
}

export function numkeysOf(ctx: Session, args: ArgList, notNumber: string = Errors.notInteger): number | null {
  const n = args instanceof RawArgs ? decimalAt(args.bytes, args.starts[2]!, args.lengths[2]!) : decimalAt(args.at(2)!, 0, args.at(2)!.length);
  if (Number.isNaN(n)) return ctx.reply.error(notNumber), null;
  if (n > args.length - 3) return ctx.reply.error(Errors.numkeysTooBig), null;
  if (n < 0) return ctx.reply.error(Errors.numkeysNegative), null;
  return n;
}

/**
 * The value of bytes [from, from + length) read as Redis's string2ll reads a long long: no
 * leading zero, no '-0', within 64 bits; NaN for anything else.
 */
function decimalAt(bytes: Buffer, from: number, length: number): number {
  const digits = bytes[from] === 0x2d ? from + 1 : from;
  if (bytes[digits] === 0x30 && (length > 1 || digits > from)) return NaN;
  const n = decimalValue(bytes, from, from + length, 19);
  if (!(Math.abs(n) > Number.MAX_SAFE_INTEGER)) return n;
  // Digit by digit in doubles rounds past 2^53 (LLONG_MAX came out above it): read it exactly.
  const exact = int64(bytes.subarray(from, from + length));
  return exact === null ? NaN : Number(exact);
}

/** A SHA's 40 bytes as ten little-endian 32-bit words (see sameSha). */
const SHA_WORDS = 10;

/**
 * The cached script an EVALSHA names (its argument 1), or null; the SHA last asked for is
 * matched by its bytes where they lie (RawArgs: in the read, no view made).
 */
function scriptBySha(s: Scripting, args: ArgList): Scripting['lastSha'] {
  const last = s.lastSha;
  if (args instanceof RawArgs) {
    if (last !== null && sameSha(last.words, args.bytes, args.starts[1]!, args.lengths[1]!)) return last;
  } else if (last !== null) {
    const arg = args.at(1)!;
    if (sameSha(last.words, arg, 0, arg.length)) return last;
  }
  const arg = args.at(1)!;
  const sha = arg.toString('latin1').toLowerCase();
  const script = s.scripts.get(sha);
  if (script === undefined) return null;
  // A cached script's SHA is 40 bytes: its spelling as asked (any case) is what is matched next time.
  const words = new Int32Array(SHA_WORDS);
  for (let i = 0; i < SHA_WORDS; i++) words[i] = wordAt(arg, 4 * i);
  return (s.lastSha = { words, sha, script });
}

/**
 * Whether bytes [at, at + n) of `b` spell the SHA of `words`, compared four bytes at a time:
 * ten comparisons instead of forty (in isolation 50 -> 25 ns), with no call into C++.
 */
function sameSha(words: Int32Array, b: Buffer, at: number, n: number): boolean {
  if (n !== 4 * SHA_WORDS || at + n > b.length) return false;
  for (let i = 0; i < SHA_WORDS; i++) if (wordAt(b, at + 4 * i) !== words[i]) return false;
  return true;
}

function wordAt(b: Buffer, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/**
 * The handler of EVAL, EVALSHA and their _RO forms. A short request whole in one read comes as
 * RawArgs (offsets into the read): the SHA is matched, numkeys read and the keys and arguments
 * pushed into Lua where they lie, with no Buffer view per argument nor arrays of them.
 */
function evalGeneric(bySha: boolean, ro: boolean) {
  const start = (ctx: Session, s: Scripting, args: ArgList, numkeys: number): void => {
    let sha: string;
    let script: CachedScript;
    if (bySha) {
      const found = scriptBySha(s, args);
      if (found === null) return ctx.reply.error(Errors.noScript);
      ({ sha, script } = found);
    } else {
      const cached = cache(s, args.at(1)!);
      if (typeof cached === 'string') return ctx.reply.error(cached);
      [sha, script] = cached;
    }
    runScript(ctx, s, script, sha, args, numkeys, ro, 'eval');
  };
  return (ctx: Session, args: ArgList): void | Promise<void> => {
    // Redis answers a SHA of the wrong length before it reads numkeys: no script can match it.
    if (bySha && (args instanceof RawArgs ? args.lengths[1]! : args.at(1)!.length) !== 4 * SHA_WORDS) return ctx.reply.error(Errors.noScript);
    const numkeys = numkeysOf(ctx, args);
    if (numkeys === null) return;
    const s = scriptingOf(ctx.server);
    if (!(s instanceof Promise)) return start(ctx, s, args, numkeys);
    return startLater(ctx, args, numkeys, start);
  };
}

/**
 * The first script of the server waits for the VM. Apart from the handler: a closure in it
 * over ctx and numkeys made V8 allocate their context on every EVAL, not only on this path.
 */
function startLater(
  ctx: Session, args: ArgList, numkeys: number, start: (ctx: Session, s: Scripting, args: ArgList, numkeys: number) => void,
): void | Promise<void> {
  // Views made now, while the read holds them; withScripting copies them for the wait.
  return withScripting(ctx, argArray(args), (ready, owned) => start(ctx, ready, owned, numkeys));
}

/**
 * Runs a script for EVAL* or FCALL*: `request` is the command as sent (its `numkeys` keys from
 * argument 3, the script's arguments after them), valid while the script runs.
 */
export function runScript(
  ctx: Session, s: Scripting, script: Pick<CachedScript, 'ref' | 'flags'>, name: string, request: ArgList, numkeys: number, ro: boolean, mode: 'eval' | 'function' = 'eval',
): void {
  const { flags } = script;
  // Redis's processCommand takes a script that declares flags without no-writes for a write (and,
  // without allow-oom, a denyoom) command (scriptFlagsToCmdFlags): its checks in its order, OOM,
  // MISCONF, NOREPLICAS or READONLY, then MASTERDOWN, come before the *_ro check.
  const mayWrite = flags.declared && !flags.noWrites;
  if (mayWrite) {
    if (!flags.allowOom && ctx.server.memory.overLimit) return ctx.reply.error(Errors.oom);
    if (ctx.server.persistence.deniesWrites) return ctx.reply.error(Errors.misconf);
    const refusal = replicationRefusal(ctx);
    if (refusal !== null) return ctx.reply.error(refusal);
  }
  // A stale replica (replica-serve-stale-data no) runs only scripts that declare allow-stale.
  if (!(flags.declared && flags.allowStale) && staleReplica(ctx.server)) return ctx.reply.error(Errors.masterDown);
  if (mayWrite && ro) return ctx.reply.error(Errors.scriptWriteFlagOnRo);
  if (s.engine.running) return ctx.reply.error(Errors.scriptNoscriptCommand);
  const readOnly = ro || flags.readOnly;
  const allowOom = flags.declared && flags.allowOom;
  let call = s.runner;
  if (call === null) s.runner = call = new ScriptCall(ctx, ctx.server.commands as unknown as Registry, { readOnly, allowOom }, s.capture);
  else call.begin(ctx, readOnly, allowOom);
  call.describe(mode, name, request);
  const replyAt = ctx.reply.size;
  try {
    s.engine.execute(script.ref, request, numkeys, call, ctx.reply, mode, name);
  } finally {
    call.finish();
  }
  // SHUTDOWN NOSAVE stopped it (a script cannot shut down itself): Redis exits from inside the
  // script, so its caller never gets a reply.
  if (ctx.server.shuttingDown) ctx.reply.truncate(replyAt);
}

function scriptLoad(ctx: Session, args: Buffer[]): void | Promise<void> {
  return withScripting(ctx, args, (s, args) => {
    const cached = cache(s, args[2]!);
    if (typeof cached === 'string') return ctx.reply.error(cached);
    ctx.reply.bulkText(cached[0]);
  });
}

function scriptExists(ctx: Session, args: Buffer[]): void | Promise<void> {
  return withScripting(ctx, args, (s, args) => {
    ctx.reply.arrayLen(args.length - 2);
    for (let i = 2; i < args.length; i++) ctx.reply.integer(s.scripts.has(args[i]!.toString('latin1').toLowerCase()) ? 1 : 0);
  });
}

function scriptFlush(ctx: Session, args: Buffer[]): void | Promise<void> {
  const mode = args.length === 3 ? args[2]!.toString('latin1').toLowerCase() : 'sync';
  if (args.length > 3 || (mode !== 'sync' && mode !== 'async')) return ctx.reply.error(Errors.scriptFlushOption);
  return withScripting(ctx, args, (s) => {
    for (const script of s.scripts.values()) s.engine.release(script.ref);
    s.scripts.clear();
    s.lastSha = null;
    s.engine.collectNow();
    ctx.reply.ok();
  });
}

/** Reaches a script only while it is busy (script-busy.ts serves the other connections then). */
function scriptKill(ctx: Session): void {
  killBusyScript(ctx, true);
}

/** SCRIPT DEBUG NO is the mode sealkv always runs in; YES and SYNC would need Redis's Lua debugger. */
function scriptDebug(ctx: Session, args: Buffer[]): void {
  const mode = word(args[2]!);
  if (mode === 'no') return ctx.reply.ok();
  ctx.reply.error(mode === 'yes' || mode === 'sync' ? Errors.scriptDebugUnsupported : Errors.scriptDebugMode);
}

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Prints this help.',
];

function scriptHelp(ctx: Session): void {
  ctx.reply.arrayLen(SCRIPT_HELP.length);
  for (const line of SCRIPT_HELP) ctx.reply.simple(line);
}

const EVAL_KEYS = [
  noted(keySpec(index(2), keynum(0, 1, 1), ['RW', 'ACCESS', 'UPDATE']), 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE'),
];
const EVAL_RO_KEYS = [
  noted(keySpec(index(2), keynum(0, 1, 1), ['RO', 'ACCESS']), 'We cannot tell how the keys will be used so we assume the worst, RO and ACCESS'),
];
// Redis's EVALSHA and EVALSHA_RO specs carry no note.
const EVALSHA_KEYS = [keySpec(index(2), keynum(0, 1, 1), ['RW', 'ACCESS', 'UPDATE'])];
const EVALSHA_RO_KEYS = [keySpec(index(2), keynum(0, 1, 1), ['RO', 'ACCESS'])];
const base = { group: 'scripting', categories: ['@slow', '@scripting'] } as const;
const SCRIPTING = ['@slow', '@scripting'] as const;

export const scriptingCommands: CommandSpec[] = [
  {
    ...base, name: 'eval', arity: -3, flags: ['noscript', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'stale'], keySpecs: EVAL_KEYS,
    summary: 'Execute a Lua script server side', since: '2.6.0', complexity: 'Depends on the script that is executed.', handler: takesRawArgs(monitoredFirst('eval', evalGeneric(false, false))),
  },
  {
    ...base, name: 'evalsha', arity: -3, flags: ['noscript', 'skip_monitor', 'may_replicate', 'no_mandatory_keys', 'stale'], keySpecs: EVALSHA_KEYS,
    summary: 'Execute a Lua script server side', since: '2.6.0', complexity: 'Depends on the script that is executed.', handler: takesRawArgs(monitoredFirst('evalsha', evalGeneric(true, false))),
  },
  {
    ...base, name: 'eval_ro', arity: -3, flags: ['noscript', 'skip_monitor', 'no_mandatory_keys', 'stale', 'readonly'], keySpecs: EVAL_RO_KEYS,
    summary: 'Execute a read-only Lua script server side', since: '7.0.0', complexity: 'Depends on the script that is executed.', handler: takesRawArgs(monitoredFirst('eval_ro', evalGeneric(false, true))),
  },
  {
    ...base, name: 'evalsha_ro', arity: -3, flags: ['noscript', 'skip_monitor', 'no_mandatory_keys', 'stale', 'readonly'], keySpecs: EVALSHA_RO_KEYS,
    summary: 'Execute a read-only Lua script server side', since: '7.0.0', complexity: 'Depends on the script that is executed.', handler: takesRawArgs(monitoredFirst('evalsha_ro', evalGeneric(true, true))),
  },
  {
    name: 'script', arity: -2, flags: [], categories: ['@slow'], group: 'scripting', summary: 'A container for Lua scripts management commands', since: '2.6.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...base, name: 'debug', arity: 3, flags: ['noscript'], categories: SCRIPTING, summary: 'Set the debug mode for executed scripts.', since: '3.2.0', complexity: 'O(1)', handler: scriptDebug },
      { ...base, name: 'exists', arity: -3, flags: ['noscript'], categories: SCRIPTING, tips: ['request_policy:all_shards', 'response_policy:agg_logical_and'], summary: 'Check existence of scripts in the script cache.', since: '2.6.0', complexity: 'O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).', handler: scriptExists },
      { ...base, name: 'flush', arity: -2, flags: ['noscript'], categories: SCRIPTING, tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'], summary: 'Remove all the scripts from the script cache.', since: '2.6.0', complexity: 'O(N) with N being the number of scripts in cache', handler: scriptFlush },
      { ...base, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: SCRIPTING, summary: 'Show helpful text about the different subcommands', since: '5.0.0', complexity: 'O(1)', handler: scriptHelp },
      { ...base, name: 'kill', arity: 2, flags: ['noscript', 'allow_busy'], categories: SCRIPTING, tips: ['request_policy:all_shards', 'response_policy:one_succeeded'], summary: 'Kill the script currently in execution.', since: '2.6.0', complexity: 'O(1)', handler: scriptKill },
      { ...base, name: 'load', arity: 3, flags: ['noscript', 'stale'], categories: SCRIPTING, tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'], summary: 'Load the specified Lua script into the script cache.', since: '2.6.0', complexity: 'O(N) with N being the length in bytes of the script body.', handler: scriptLoad },
    ],
  },
];

/**
 * Whether an EVAL, EVALSHA or FCALL runs a script that declared `no-writes` (redis
 * evalGetCommandFlags / fcallGetCommandFlags: such a script is not a write nor may-replicate,
 * so CLIENT PAUSE WRITE lets it through). Reads the shebang or the cache; never compiles.
 */
export function declaresNoWrites(server: Server, fullName: string, args: ArrayLike<Buffer>): boolean {
  const target = args[1];
  if (target === undefined) return false;
  if (fullName === 'eval') {
    const shebang = shebangOf(target);
    return typeof shebang !== 'string' && shebang.flags.noWrites;
  }
  const s = states.get(server);
  if (s === undefined || s instanceof Promise) return false;
  if (fullName === 'evalsha') return s.scripts.get(target.toString('latin1').toLowerCase())?.flags.noWrites ?? false;
  if (fullName === 'fcall') return s.functions.get(target.toString('latin1'))?.flags.includes('no-writes') ?? false;
  return false;
}

/** The server's Lua state if a script or library ever created it (MEMORY STATS, MEMORY DOCTOR), else undefined. */
export function scriptingIfAny(server: Server): Scripting | undefined {
  const s = states.get(server);
  return s === undefined || s instanceof Promise ? undefined : s;
}
