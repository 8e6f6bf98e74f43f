// One Lua state for the server (Redis keeps one too): the sandbox, the redis.* host functions,
// the EVAL script cache and the FUNCTION libraries' callables all live in it. Only this folder
// knows the VM; the command side hands in a ScriptRun that performs redis.call.
//
// Between scripts no value a script saw stays reachable: KEYS/ARGV are cleared, the stack
// emptied, and a full collection (whose freed blocks the VM's allocator zeroes) runs once per
// event-loop turn after the last script of that turn.

import { createHash } from 'node:crypto';
import type { ArgList } from '../protocol/arg-list.js';
import { RAW_MAX_ARGS, RawArgs } from '../protocol/raw-args.js';
import type { ReplyWriter } from '../protocol/reply.js';
import { ArgArena } from './arena.js';
import { LIBS } from './libs.js';
import { PRELUDE } from './prelude.js';
import { syntaxError51 } from './lua51-messages.js';
import { countedAlready, errorText, formatArgNumber, pushErrorTable, pushReply, writeResult } from './convert.js';
import { LuaStatus, LuaType, LuaVm } from './vm.js';
import { REDIS_COMPAT_VERSION, REDIS_COMPAT_VERSION_NUM } from '../version.js';

/** What a running script asks of the server. */
export interface ScriptRun {
  /**
   * Runs one command for redis.call/pcall: the length of its RESP reply, which is in
   * `replyBuffer` from offset 0 until release(), or an admission error text.
   */
  call(args: ArgList): number | string;
  /** Where call() leaves the reply (read it before release()). */
  readonly replyBuffer: Buffer;
  /** Zeroes the reply call() left (the engine calls it as soon as the reply is in the VM). */
  release(): void;
  /** redis.acl_check_cmd: whether the caller's user may run it, or an error text. */
  aclCheck(args: ArgList): boolean | string;
  /** The RESP version commands reply to the script with (redis.setresp). */
  resp: 2 | 3;
  /** redis.log: level 0..3 (debug, verbose, notice, warning). */
  log(level: number, message: string): void;
  /** Checked by the count hook every HOOK_STEPS instructions; a string kills the script with that error. */
  interrupt(): string | null;
}

/** A FUNCTION being registered while its library loads (redis.register_function). */
export interface RegisteredFunction {
  name: string;
  ref: number;
  flags: string[];
  description: string | null;
}

export interface Loader {
  register(fn: RegisteredFunction): string | null;
}

const HOOK_STEPS = 100_000;
/** How long a FUNCTION LOAD may run its library body (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
/** How long garbage left by scripts may wait for the collection that zeroes it. */
export const COLLECT_MS = 100;
/** The globals EVAL scripts get their keys and arguments in (slots of LuaEngine.argTables). */
const ARG_TABLES = ['KEYS', 'ARGV'] as const;
/**
 * Put before an EVAL script, on its first line: a to-be-closed local (nil, so nothing is ever
 * closed) makes 5.4 compile the script's own 'return f(x)' as a call and a return rather than a
 * tail call. Redis's 5.1 kept the script's frame under the C libraries it called, so an error
 * raised by a library or prelude function written in Lua ('return cjson.decode(x)',
 * 'return tostring()') still names the script's line.
 */
const NO_TAIL_CALLS = Buffer.from('local __sealkv_frame <close> = nil; ');
/**
 * Whether a script may tail-call something other than redis.call/pcall (host functions, whose
 * errors keep their line anyway): only those scripts get the prefix, which costs every run
 * ~50 ns. Matches in strings or comments only add it where it was not needed.
 */
const TAIL_CALL = /\breturn\s+([A-Za-z_]\w*(?:\s*[.:]\s*[A-Za-z_]\w*|\s*\[[^\]]*\])*)\s*[("'{[]/g;
function mayTailCall(body: Uint8Array): boolean {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  for (const m of text.matchAll(TAIL_CALL)) if (!/^redis\s*\.\s*p?call$/.test(m[1]!)) return true;
  return false;
}

/** lua_isstring: a string, or a number (read as its text). */
const isStringish = (t: LuaType): boolean => t === LuaType.String || t === LuaType.Number;

/** Where the keys start in an EVAL, EVALSHA or FCALL request (name, script, numkeys, keys...). */
const FIRST_KEY = 3;

export class LuaEngine {
  private env = 0;
  private handler = 0;
  private globals = 0;
  /** The FUNCTION libraries' environment, and the Lua function that switches its phase. */
  private functionEnv = 0;
  private loadingSwitch = 0;
  private run: ScriptRun | null = null;
  private loader: Loader | null = null;
  private collectQueued = false;
  /** Registry references of the KEYS and ARGV tables EVAL scripts reuse (0: none now). */
  private readonly argTables: [number, number] = [0, 0];
  /** Where redis.call's arguments are copied out of the Lua heap (zeroed after each call). */
  private readonly arena = new ArgArena();
  /** redis.call's arguments as offsets into the Lua heap (refilled for each call; see argsOf). */
  private readonly callArgs = new ScriptArgs();
  /** The count hook stays installed (it does nothing between scripts); after a kill it fires every instruction until reset. */
  private hooked = false;
  /** While FUNCTION LOAD runs a body: when it is stopped (performance.now() ms); 0 otherwise. */
  private loadDeadline = 0;
  private killed = false;
  /** A script is running (re-entry from a hook or a nested EVAL is refused). */
  running = false;

  private constructor(readonly vm: LuaVm) {}

  static async create(memoryLimit: number): Promise<LuaEngine> {
    const vm = await LuaVm.create(memoryLimit);
    const engine = new LuaEngine(vm);
    engine.init();
    return engine;
  }

  private init(): void {
    const vm = this.vm;
    vm.openLibs();
    vm.collect(); // keeps the real collectgarbage before the sandbox hides globals
    if (vm.load(Buffer.from(LIBS), '=libs') !== LuaStatus.Ok) throw new Error(vm.toText(-1) ?? 'libs');
    vm.pushNull();
    if (vm.pcall(1, 1) !== LuaStatus.Ok) throw new Error(vm.toText(-1) ?? 'libs');
    const libs = vm.ref();
    if (vm.load(Buffer.from(PRELUDE), '=prelude') !== LuaStatus.Ok) throw new Error(vm.toText(-1) ?? 'prelude');
    this.pushHost();
    vm.pushRef(libs);
    if (vm.pcall(2, 5) !== LuaStatus.Ok) throw new Error(vm.toText(-1) ?? 'prelude');
    this.loadingSwitch = vm.ref();
    this.functionEnv = vm.ref();
    this.globals = vm.ref();
    this.handler = vm.ref();
    this.env = vm.ref();
    vm.unref(libs);
  }

  private pushHost(): void {
    const vm = this.vm;
    vm.newTable(0, 12);
    const fn = (name: string, f: (L: number) => number): void => {
      vm.pushHostFunction(f);
      vm.rawSetField(-2, name);
    };
    fn('call', (L) => this.redisCall(L, true));
    fn('pcall', (L) => this.redisCall(L, false));
    fn('sha1hex', (L) => {
      if (vm.top(L) !== 1) return this.raise(L, 'wrong number of arguments');
      const s = vm.viewBytes(1, L) ?? new Uint8Array(0);
      vm.pushText(sha1hex(s), L);
      return 1;
    });
    fn('setresp', (L) => {
      if (this.run === null) return this.raise(L, 'redis.setresp can only be called inside a script invocation');
      if (vm.top(L) !== 1) return this.raise(L, 'redis.setresp() requires one argument.');
      const v = Math.trunc(vm.toNumber(1, L));
      if (v !== 2 && v !== 3) return this.raise(L, 'RESP version must be 2 or 3.');
      this.run.resp = v;
      return 0;
    });
    fn('set_repl', (L) => {
      if (this.run === null) return this.raise(L, 'redis.set_repl can only be called inside a script invocation');
      if (vm.top(L) !== 1) return this.raise(L, 'redis.set_repl() requires two arguments.');
      const v = Math.trunc(vm.toNumber(-1, L));
      if ((v & ~3) !== 0) return this.raise(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.');
      return 0;
    });
    fn('log', (L) => {
      const argc = vm.top(L);
      if (argc < 2) return this.raise(L, 'redis.log() requires two arguments or more.');
      if (vm.type(1, L) !== LuaType.Number) return this.raise(L, 'First argument must be a number (log level).');
      const level = Math.trunc(vm.toNumber(1, L));
      if (level < 0 || level > 3) return this.raise(L, 'Invalid debug level.');
      // The message is the script's own text; only its length leaves the VM (never values).
      let bytes = 0;
      for (let i = 2; i <= argc; i++) bytes += vm.viewBytes(i, L)?.length ?? 0;
      this.run?.log(level, `script log message (${bytes} bytes, text withheld)`);
      return 0;
    });
    fn('acl_check_cmd', (L) => {
      if (this.run === null) return this.raise(L, 'redis.acl_check_cmd can only be called inside a script invocation');
      const args = this.argsOf(L);
      if (typeof args === 'string') return this.raise(L, args);
      const ok = this.run.aclCheck(args);
      this.arena.wipe();
      if (typeof ok === 'string') return this.raise(L, ok);
      vm.pushBoolean(ok, L);
      return 1;
    });
    fn('register_function', (L) => this.registerFunction(L));
    vm.pushText(REDIS_COMPAT_VERSION);
    vm.rawSetField(-2, 'version');
    vm.pushInteger(REDIS_COMPAT_VERSION_NUM);
    vm.rawSetField(-2, 'version_num');
  }

  /** Raises Redis's error table for `message` (luaPushError + luaError). */
  private raise(L: number, message: string): number {
    pushErrorTable(this.vm, message, L);
    return this.vm.error(L);
  }

  /**
   * The call's arguments, or Redis's error text. Up to RAW_MAX_ARGS strings come as RawArgs
   * over the Lua heap itself (ScriptArgs): read where the Lua strings lie, no copy made nor
   * wiped, valid while the strings stay on the stack and no Lua code runs (the command's
   * handler runs no Lua). A call with a number (formatted %.17g) or with more arguments has
   * them copied into the argument arena, until it is wiped after the command. A command with a
   * raw path (GET, SET, INCR, DEL...) reads its key where it lies, as from a socket's read;
   * any other command gets the views (argArray).
   */
  private argsOf(L: number): ArgList | string {
    const vm = this.vm;
    const raw = this.callArgs;
    const strings = vm.readStrings(raw.starts, raw.lengths, RAW_MAX_ARGS, L);
    if (strings > 0) {
      raw.bytes = vm.heapBuffer();
      raw.length = strings;
      raw.command = null;
      raw.views = null;
      return raw;
    }
    const argc = vm.top(L);
    if (argc === 0) return 'Please specify at least one argument for this redis lib call';
    return this.copiedArgs(L, argc);
  }

  /** argsOf() for a call with a number among its arguments, or over RAW_MAX_ARGS of them: copies in the arena. */
  private copiedArgs(L: number, argc: number): Buffer[] | string {
    const vm = this.vm;
    const args = new Array<Buffer>(argc);
    const arena = this.arena;
    for (let i = 1; i <= argc; i++) {
      const t = vm.type(i, L);
      if (t === LuaType.Number) args[i - 1] = arena.text(formatArgNumber(vm, i, L));
      else if (t === LuaType.String) {
        const p = vm.stringAt(i, L);
        args[i - 1] = arena.copy(vm.heapBytes(), p, vm.length);
      } else {
        arena.wipe();
        return 'Lua redis lib command arguments must be strings or integers';
      }
    }
    return args;
  }

  private redisCall(L: number, raise: boolean): number {
    const vm = this.vm;
    const run = this.run;
    if (run === null) return this.raise(L, 'redis.call/pcall can only be called inside a script invocation');
    const args = this.argsOf(L);
    if (typeof args === 'string') {
      vm.setTop(0, L);
      pushErrorTable(vm, args, L);
      return raise ? vm.error(L) : 1;
    }
    let out: number | string;
    try {
      out = run.call(args);
    } finally {
      this.arena.wipe();
    }
    // The reply is pushed above the arguments, with no lua_settop to clear them first: a C
    // function's results are the top values, and returning discards its frame (arguments
    // included); the frame has LUA_MINSTACK slots free above them (nested replies check for more).
    if (typeof out === 'string') {
      pushErrorTable(vm, out, L);
      vm.pushBoolean(true, L);
      vm.rawSetField(-2, 'ignore_error_stats_update', L);
      return raise ? vm.error(L) : 1;
    }
    // Redis raises when the reply itself is an error (its first byte is '-').
    const replied = run.replyBuffer;
    const failed = replied[0] === 0x2d;
    try {
      pushReply(vm, replied, 0, L, false);
    } finally {
      run.release();
    }
    return raise && failed ? vm.error(L) : 1;
  }

  private registerFunction(L: number): number {
    const vm = this.vm;
    if (this.loader === null) return this.raise(L, 'redis.register_function can only be called on FUNCTION LOAD command');
    let name: string | null = null;
    let flags: string[] = [];
    let description: string | null = null;
    let ref = 0;
    const argc = vm.top(L);
    if (argc === 1) {
      if (vm.type(1, L) !== LuaType.Table) return this.raise(L, 'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      vm.pushNil(L);
      while (vm.next(1, L)) {
        // Redis reads keys and names with lua_isstring (a number is its text) and matches the
        // keys in any case. A key's text is read from a copy: converting it in place breaks next.
        if (!isStringish(vm.type(-2, L))) {
          if (ref !== 0) vm.unref(ref);
          return this.raise(L, 'named argument key given to redis.register_function is not a string');
        }
        vm.pushValue(-2, L);
        const key = vm.toText(-1, L)!.toLowerCase();
        vm.pop(1, L);
        if (key === 'function_name') {
          if (!isStringish(vm.type(-1, L))) return this.raise(L, 'function_name argument given to redis.register_function must be a string');
          name = vm.toText(-1, L);
        } else if (key === 'description') {
          if (!isStringish(vm.type(-1, L))) return this.raise(L, 'description argument given to redis.register_function must be a string');
          description = vm.toText(-1, L);
        } else if (key === 'callback') {
          if (vm.type(-1, L) !== LuaType.Function) return this.raise(L, 'callback argument given to redis.register_function must be a function');
          vm.pushValue(-1, L);
          if (ref !== 0) vm.unref(ref);
          ref = vm.ref(L);
        } else if (key === 'flags') {
          if (vm.type(-1, L) !== LuaType.Table) return this.raise(L, 'flags argument to redis.register_function must be a table representing function flags');
          flags = [];
          // Up to the first nil, as Redis reads them: a number is its text, anything else no flag
          // ('' makes the loader answer "unknown flag given").
          for (let i = 1; ; i++) {
            const t = vm.rawGetI(-1, i, L);
            if (t === LuaType.Nil) break;
            flags.push(t === LuaType.String || t === LuaType.Number ? vm.toText(-1, L)! : '');
            vm.pop(1, L);
          }
          vm.pop(1, L);
        } else {
          if (ref !== 0) vm.unref(ref);
          return this.raise(L, 'unknown argument given to redis.register_function');
        }
        vm.pop(1, L);
      }
      if (name === null) return this.raise(L, 'redis.register_function must get a function name argument');
      if (ref === 0) return this.raise(L, 'redis.register_function must get a callback argument');
    } else if (argc === 2) {
      if (!isStringish(vm.type(1, L))) return this.raise(L, 'first argument to redis.register_function must be a string');
      if (vm.type(2, L) !== LuaType.Function) return this.raise(L, 'second argument to redis.register_function must be a function');
      name = vm.toText(1, L);
      vm.pushValue(2, L);
      ref = vm.ref(L);
    } else {
      return this.raise(L, 'wrong number of arguments to redis.register_function');
    }
    const err = this.loader.register({ name: name!, ref, flags, description });
    if (err !== null) {
      vm.unref(ref);
      return this.raise(L, err);
    }
    return 0;
  }

  /** Compiles a script body into a function kept in the registry; an error text on failure. */
  compile(body: Uint8Array, chunkName = '@user_script', env = this.env): number | string {
    const vm = this.vm;
    const status = vm.load(chunkName === '@user_script' && mayTailCall(body) ? Buffer.concat([NO_TAIL_CALLS, body]) : body, chunkName);
    if (status !== LuaStatus.Ok) {
      const msg = vm.toText(-1) ?? 'syntax error';
      vm.setTop(0);
      return syntaxError51(msg);
    }
    vm.pushRef(env);
    vm.setUpvalue(-2, 1);
    return vm.ref();
  }

  release(ref: number): void {
    this.vm.unref(ref);
  }

  /**
   * Runs a FUNCTION library's body (its register_function calls reach `loader`); an error text
   * on failure. The body may not call redis.call (no run is set).
   */
  loadLibrary(body: Uint8Array, loader: Loader): { stage: 'compile' | 'run'; message: string } | null {
    const ref = this.compile(body, '@user_function', this.functionEnv);
    if (typeof ref === 'string') return { stage: 'compile', message: ref };
    const vm = this.vm;
    this.loader = loader;
    this.running = true;
    this.setLoading(true);
    this.hook();
    this.loadDeadline = performance.now() + LOAD_TIMEOUT_MS;
    try {
      vm.pushRef(this.handler);
      vm.pushRef(ref);
      const status = vm.pcall(0, 0, 1);
      if (status === LuaStatus.Ok) return null;
      return { stage: 'run', message: vm.type(-1) === LuaType.Table ? this.errorMessage() : (vm.toText(-1) ?? 'error') };
    } finally {
      this.loader = null;
      this.running = false;
      this.loadDeadline = 0;
      if (this.killed) {
        vm.setCountHook(HOOK_STEPS, this.onHookFn);
        this.killed = false;
      }
      vm.setTop(0);
      this.setLoading(false);
      vm.unref(ref);
      this.queueCollect();
    }
  }

  /** Switches the FUNCTION libraries' environment between its load and run phases (prelude.ts). */
  private setLoading(on: boolean): void {
    const vm = this.vm;
    vm.pushRef(this.loadingSwitch);
    vm.pushBoolean(on);
    if (vm.pcall(1, 0) !== LuaStatus.Ok) throw new Error(vm.toText(-1) ?? 'loading switch');
  }

  /** The "err" of the error table on top of the stack. */
  private errorMessage(): string {
    const vm = this.vm;
    vm.rawGetField(-1, 'err');
    const m = vm.toText(-1) ?? 'error';
    vm.pop();
    return m;
  }

  /**
   * Runs a compiled script or function and writes its result (or error) to `reply`. The keys are
   * the `numkeys` arguments of `request` from index 3 (EVAL, EVALSHA, FCALL alike), the
   * arguments the rest; `request` may be RawArgs, whose bytes go into Lua where they lie. EVAL
   * mode sets KEYS and ARGV as globals; function mode passes them as the callback's two
   * arguments. `name` goes in error texts ("script: <sha>" / "function: <name>" is Redis's wording).
   */
  execute(ref: number, request: ArgList, numkeys: number, run: ScriptRun, reply: ReplyWriter, mode: 'eval' | 'function', name: string): void {
    const argvAt = FIRST_KEY + numkeys;
    const argc = request.length - argvAt;
    const vm = this.vm;
    this.run = run;
    this.running = true;
    /** How many of KEYS and ARGV are on the stack (at 2 and 3), to be emptied. */
    let tables = 0;
    try {
      this.hook();
      if (mode === 'eval' && request instanceof RawArgs && this.argTables[0] !== 0 && this.argTables[1] !== 0) {
        // The usual EVALSHA: the stack set up in one call, the keys and arguments from the read.
        vm.beginEval(this.handler, this.argTables[0], this.argTables[1], ref, request.bytes, request.starts, request.lengths, FIRST_KEY, numkeys, argc);
        tables = 2;
      } else {
        vm.setTop(0);
        vm.pushRef(this.handler);
        if (mode === 'eval') {
          // KEYS and ARGV stay on the stack under the script (at 2 and 3) until they are emptied.
          this.fillArgTable(0, request, FIRST_KEY, numkeys);
          tables = 1;
          this.fillArgTable(1, request, argvAt, argc);
          tables = 2;
          vm.pushRef(ref);
        } else {
          vm.pushRef(ref);
          this.dropArgTables();
          this.pushArray(request, FIRST_KEY, numkeys);
          this.pushArray(request, argvAt, argc);
        }
      }
      // The script runs, and its result is read, in one call into WebAssembly.
      const status = vm.runTop(mode === 'eval' ? 0 : 2);
      if (status === LuaStatus.Ok) writeResult(vm, reply, run.resp === 3, vm.topType);
      else this.replyError(reply, name);
    } finally {
      if (this.killed) {
        vm.setCountHook(HOOK_STEPS, this.onHookFn);
        this.killed = false;
      }
      this.emptyArgTables(tables, numkeys, argc);
      this.run = null;
      this.running = false;
      this.queueCollect();
    }
  }

  /** The count hook that lets a running script or library body be stopped (installed once). */
  private hook(): void {
    if (this.hooked) return;
    this.vm.setCountHook(HOOK_STEPS, this.onHookFn);
    this.hooked = true;
  }

  /**
   * The hook's callback, made once: an arrow function written in execute() made V8 allocate a
   * context for `this` on every script, not only when the hook was set again.
   */
  private readonly onHookFn = (): void => this.onHook();

  private onHook(): void {
    const err = this.run !== null ? this.run.interrupt() : this.loadDeadline > 0 && performance.now() > this.loadDeadline ? 'FUNCTION LOAD timeout' : null;
    if (err === null) return;
    // Every instruction from now on raises again, so a pcall in the script cannot swallow it.
    this.vm.setCountHook(1, this.onHookFn);
    this.killed = true;
    this.raise(this.vm.L, err);
  }

  private replyError(reply: ReplyWriter, name: string): void {
    const vm = this.vm;
    const what = 'script'; // Redis says "script" for functions too
    if (vm.type(-1) !== LuaType.Table) {
      const msg = vm.type(-1) === LuaType.String ? vm.toText(-1)! : 'execution failure';
      reply.error(`ERR Error running ${what} ${name}, ${msg.slice(0, 100)}`);
      return;
    }
    // lua_isstring, as Redis reads it: a number is its text ({err = 5} is the error "5").
    const errType = vm.rawGetField(-1, 'err');
    let msg = errType === LuaType.String || errType === LuaType.Number ? vm.toText(-1)! : null;
    vm.pop();
    if (msg === null) {
      reply.error(`ERR Error running ${what} ${name}, execution failure`);
      return;
    }
    const hasSource = vm.rawGetField(-1, 'source') === LuaType.String;
    const source = hasSource ? vm.toText(-1) : null;
    vm.pop();
    const lineType = vm.rawGetField(-1, 'line');
    const line = lineType === LuaType.Number || lineType === LuaType.String ? vm.toText(-1) : null;
    vm.pop();
    if (source !== null && line !== null) msg += ` ${what}: ${name}, on ${source}:${line}.`;
    reply.error(msg, !countedAlready(vm));
  }

  /**
   * Pushes the KEYS (slot 0) or ARGV (1) table of EVAL scripts, filled, at stack index 2 + slot.
   * The two tables stay in the globals between scripts, empty, and are reused: creating them
   * cost two allocations each (bench/scripting.ts). A script that left one otherwise than it
   * found it gets a new one. RawArgs' bytes go in straight from the read, all of a table's in
   * one pass through the staging area.
   */
  private fillArgTable(slot: 0 | 1, request: ArgList, from: number, count: number): void {
    const vm = this.vm;
    const idx = 2 + slot;
    if (this.argTables[slot] === 0) {
      vm.newTable(count, 0);
      vm.pushRef(this.globals);
      vm.pushValue(-2);
      vm.rawSetField(-2, ARG_TABLES[slot]);
      vm.pop(1);
      vm.pushValue(-1);
      this.argTables[slot] = vm.ref();
    } else vm.pushRef(this.argTables[slot]);
    if (count === 0) return;
    if (request instanceof RawArgs) vm.setRanges(idx, request.bytes, request.starts, request.lengths, from, count);
    else {
      for (let i = 0; i < count; i++) {
        vm.pushBytes(request.at(from + i)!);
        vm.rawSetI(idx, i + 1);
      }
    }
  }

  /** Pushes argument i of the request as a Lua string: RawArgs' straight from the read. */
  private pushArg(request: ArgList, i: number): void {
    if (request instanceof RawArgs) {
      const at = request.starts[i]!;
      this.vm.pushRange(request.bytes, at, at + request.lengths[i]!);
    } else {
      this.vm.pushBytes(request.at(i)!);
    }
  }

  /**
   * After a script: clears the entries KEYS and ARGV were given (`tables` of them are on the
   * stack, at 2 and 3), so no value stays reachable, and empties the stack. A table with anything
   * else left in it (entries the script added, a metatable it set) is dropped from the globals and
   * left to the collector (which zeroes it), as every table was before reuse.
   */
  private emptyArgTables(tables: number, numkeys: number, argc: number): void {
    const vm = this.vm;
    if (tables === 2) {
      const left = vm.endEval(numkeys, argc);
      if ((left & 1) !== 0) this.dropArgTable(1);
      if ((left & 2) !== 0) this.dropArgTable(0);
      return;
    }
    vm.setTop(1 + tables);
    if (tables === 1 && vm.clearArray(2, numkeys)) this.dropArgTable(0);
    vm.setTop(0);
  }

  /** FCALL passes keys and arguments as parameters: functions see no KEYS/ARGV globals (Redis 7). */
  private dropArgTables(): void {
    this.dropArgTable(0);
    this.dropArgTable(1);
  }

  private dropArgTable(slot: 0 | 1): void {
    const ref = this.argTables[slot];
    if (ref === 0) return;
    const vm = this.vm;
    vm.pushRef(this.globals);
    vm.pushNil();
    vm.rawSetField(-2, ARG_TABLES[slot]);
    vm.pop(1);
    vm.unref(ref);
    this.argTables[slot] = 0;
  }

  private pushArray(request: ArgList, from: number, count: number): void {
    const vm = this.vm;
    vm.newTable(count, 0);
    for (let i = 0; i < count; i++) {
      this.pushArg(request, from + i);
      vm.rawSetI(-2, i + 1);
    }
  }

  /**
   * One full collection at most COLLECT_MS after a script ended (the freed strings are zeroed):
   * a full cycle per script would cost more than the script (bench/micro/lua-vm.ts), so values
   * scripts saw stay in the VM heap as unreachable garbage for up to COLLECT_MS.
   */
  private queueCollect(): void {
    if (this.collectQueued) return;
    this.collectQueued = true;
    setTimeout(this.collectLater, COLLECT_MS).unref();
  }

  /**
   * The timer's callback, made once: an arrow function inside queueCollect made V8 allocate a
   * context for `this` on every call of it (once per script), not only when the timer was set.
   */
  private readonly collectLater = (): void => {
    this.collectQueued = false;
    if (this.running) this.queueCollect();
    else this.vm.collect();
  };

  /** Runs the collection now (tests, SCRIPT FLUSH). */
  collectNow(): void {
    this.vm.collect();
  }

  /** Bytes the Lua heap holds (INFO used_memory_lua). */
  get memory(): number {
    return this.vm.used;
  }
}

/**
 * redis.call's arguments as RawArgs over the Lua heap, with their views made only for a command
 * that reads arrays (argArray() calls toArray()), once per call. Valid until the strings leave
 * the stack after the call, like a socket's RawArgs until its read is wiped.
 */
class ScriptArgs extends RawArgs {
  views: Buffer[] | null = null;

  override toArray(): Buffer[] {
    return (this.views ??= super.toArray());
  }
}

export function sha1hex(body: Uint8Array): string {
  return createHash('sha1').update(body).digest('hex');
}

export { errorText };
