// The Lua VM behind one class: the only code that touches wasmoon (Lua 5.4 compiled to
// WebAssembly; see bench/micro/lua-vm.ts and README "Scripting" for why this VM). It speaks the
// raw C API through the module's exports, with strings as bytes (binary safe, never JS text).
//
// Plaintext hygiene: the state allocates through an allocator of ours that zeroes every block
// Lua frees or moves, so a collected Lua string leaves no copy in the WebAssembly heap, and
// caps the heap (a script cannot grow the process without bound). collect() runs a full cycle.


export const LUA_REGISTRYINDEX = -1001000;
export const LUA_MULTRET = -1;
export const enum LuaType { None = -1, Nil = 0, Boolean = 1, LightUserdata = 2, Number = 3, String = 4, Table = 5, Function = 6, Userdata = 7, Thread = 8 }
export const enum LuaStatus { Ok = 0, Yield = 1, ErrRun = 2, ErrSyntax = 3, ErrMem = 4, ErrErr = 5 }
const LUA_MASKCOUNT = 8;

/** A host function: gets the state's address, returns how many results it pushed. */
export type HostFunction = (L: number) => number;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

let modulePromise: Promise<Raw> | null = null;

/** The C stack bounds of the module (exported by the WebAssembly instance, not by wasmoon). */
interface StackExports {
  emscripten_stack_get_end(): number;
  emscripten_stack_get_current(): number;
}
let stackExports: StackExports | null = null;

/**
 * Instantiates the WebAssembly module once per process (tens of ms); states are cheap after.
 * The instance's exports are caught on the way (wasmoon keeps them private) for the C stack's
 * bounds: C library functions (string.format, table.concat...) build strings in buffers on that
 * stack, which stay there after they return and are never freed through the allocator.
 */
export function loadLuaModule(): Promise<Raw> {
  return (modulePromise ??= (async () => {
    // The typings here have no WebAssembly namespace (no DOM lib): reached through globalThis.
    const wa: Raw = (globalThis as Raw).WebAssembly;
    const instantiate = wa.instantiate;
    wa.instantiate = async (...args: unknown[]) => {
      const result: Raw = await instantiate.apply(wa, args);
      const exports: Partial<StackExports> = (result instanceof wa.Instance ? result : result.instance).exports;
      if (typeof exports.emscripten_stack_get_end === 'function' && typeof exports.emscripten_stack_get_current === 'function') {
        stackExports = exports as StackExports;
      }
      return result;
    };
    try {
      // Loaded here, not at start-up: compiling wasmoon's JavaScript costs tens of ms of every
      // start, and most servers never run a script.
      const { LuaFactory } = await import('wasmoon');
      return await new LuaFactory().getLuaModule();
    } finally {
      wa.instantiate = instantiate;
    }
  })());
}

export class LuaVm {
  readonly L: number;
  /** Bytes Lua holds now, and the most it may hold (0: no cap). */
  used = 0;
  limit: number;
  private readonly m: Raw;
  private readonly heap: () => Uint8Array;
  private readonly lenCell: number;
  private scratch: number;
  private scratchSize = 4096;
  private readonly fnPointers: number[] = [];
  private hookPointer = 0;

  private constructor(mod: Raw, limit: number) {
    this.m = mod.module;
    this.limit = limit;
    const m = this.m;
    this.heap = () => m.HEAPU8 as Uint8Array;
    const alloc = m.addFunction((_ud: number, ptr: number, osize: number, nsize: number): number => {
      if (nsize === 0) {
        if (ptr !== 0) {
          m.HEAPU8.fill(0, ptr, ptr + osize);
          m._free(ptr);
          this.used -= osize;
        }
        return 0;
      }
      const old = ptr === 0 ? 0 : osize;
      if (this.limit > 0 && nsize > old && this.used + nsize - old > this.limit) return 0;
      const next = m._malloc(nsize) as number;
      if (next === 0) return 0;
      if (ptr !== 0) {
        const heap = m.HEAPU8 as Uint8Array;
        heap.copyWithin(next, ptr, ptr + Math.min(osize, nsize));
        heap.fill(0, ptr, ptr + osize);
        m._free(ptr);
      }
      this.used += nsize - old;
      return next;
    }, 'iiiii');
    this.fnPointers.push(alloc);
    this.L = m._lua_newstate(alloc, 0);
    if (this.L === 0) throw new Error('Lua state could not be created');
    this.lenCell = m._malloc(8);
    this.scratch = m._malloc(this.scratchSize);
  }

  static async create(limit = 0): Promise<LuaVm> {
    return new LuaVm(await loadLuaModule(), limit);
  }

  /** Opens the standard libraries (the sandbox removes what scripts may not use). */
  openLibs(): void {
    this.m._luaL_openlibs(this.L);
  }

  close(): void {
    this.m._lua_close(this.L);
    for (const p of this.fnPointers) this.m.removeFunction(p);
    if (this.hookPointer !== 0) this.m.removeFunction(this.hookPointer);
    this.wipeScratch();
    this.m._free(this.scratch);
    this.m._free(this.lenCell);
  }

  // --- strings in and out -------------------------------------------------------------------

  private room(n: number): number {
    if (n > this.scratchSize) {
      this.wipeScratch();
      this.m._free(this.scratch);
      this.scratchSize = Math.max(n, this.scratchSize * 2);
      this.scratch = this.m._malloc(this.scratchSize);
      if (this.scratch === 0) throw new Error('out of WebAssembly memory');
    }
    return this.scratch;
  }

  /** Zeroes the staging area strings pass through on their way into Lua. */
  wipeScratch(): void {
    this.heap().fill(0, this.scratch, this.scratch + this.scratchSize);
  }

  pushBytes(bytes: Uint8Array, L = this.L): void {
    const at = this.room(bytes.length);
    this.heap().set(bytes, at);
    this.m._lua_pushlstring(L, at, bytes.length);
    this.heap().fill(0, at, at + bytes.length);
  }

  /** Pushes ASCII/UTF-8 text (names, error messages: never user data). */
  pushText(text: string, L = this.L): void {
    this.pushBytes(Buffer.from(text), L);
  }

  /** A view of the string at idx inside the WebAssembly heap: copy it before the next Lua call. */
  viewBytes(idx: number, L = this.L): Uint8Array | null {
    const p = this.m._lua_tolstring(L, idx, this.lenCell) as number;
    if (p === 0) return null;
    const n = this.m.HEAPU32[this.lenCell >> 2] as number;
    return this.heap().subarray(p, p + n);
  }

  /** The string at idx copied out (a fresh Buffer the caller wipes when done). */
  toBytes(idx: number, L = this.L): Buffer | null {
    const v = this.viewBytes(idx, L);
    return v === null ? null : Buffer.from(v);
  }

  /** The string at idx as text (only for names and messages). */
  toText(idx: number, L = this.L): string | null {
    const v = this.viewBytes(idx, L);
    return v === null ? null : Buffer.from(v).toString('utf8');
  }

  // --- the stack ----------------------------------------------------------------------------

  top(L = this.L): number { return this.m._lua_gettop(L); }
  setTop(n: number, L = this.L): void { this.m._lua_settop(L, n); }
  pop(n = 1, L = this.L): void { this.m._lua_settop(L, -n - 1); }
  type(idx: number, L = this.L): LuaType { return this.m._lua_type(L, idx); }
  pushNil(L = this.L): void { this.m._lua_pushnil(L); }
  pushBoolean(b: boolean, L = this.L): void { this.m._lua_pushboolean(L, b ? 1 : 0); }
  pushNumber(n: number, L = this.L): void { this.m._lua_pushnumber(L, n); }
  pushInteger(n: number | bigint, L = this.L): void { this.m._lua_pushinteger(L, BigInt(n)); }
  pushValue(idx: number, L = this.L): void { this.m._lua_pushvalue(L, idx); }
  isInteger(idx: number, L = this.L): boolean { return this.m._lua_isinteger(L, idx) !== 0; }
  toNumber(idx: number, L = this.L): number { return this.m._lua_tonumberx(L, idx, 0); }
  toInteger(idx: number, L = this.L): bigint { return BigInt.asIntN(64, BigInt(this.m._lua_tointegerx(L, idx, 0))); }
  toBoolean(idx: number, L = this.L): boolean { return this.m._lua_toboolean(L, idx) !== 0; }
  newTable(narr = 0, nrec = 0, L = this.L): void { this.m._lua_createtable(L, narr, nrec); }
  rawGetI(idx: number, i: number, L = this.L): LuaType { return this.m._lua_rawgeti(L, idx, BigInt(i)); }
  rawSetI(idx: number, i: number, L = this.L): void { this.m._lua_rawseti(L, idx, BigInt(i)); }
  rawGet(idx: number, L = this.L): LuaType { return this.m._lua_rawget(L, idx); }
  rawSet(idx: number, L = this.L): void { this.m._lua_rawset(L, idx); }
  next(idx: number, L = this.L): boolean { return this.m._lua_next(L, idx) !== 0; }
  rawLen(idx: number, L = this.L): number { return this.m._lua_rawlen(L, idx); }
  checkStack(n: number, L = this.L): boolean { return this.m._lua_checkstack(L, n) !== 0; }
  insert(idx: number, L = this.L): void { this.m._lua_rotate(L, idx, 1); }

  /** Field names ('err', 'KEYS'...) as Lua strings kept in the registry: pushed without a copy. */
  private names = new Map<string, number>();

  pushName(name: string, L = this.L): void {
    let ref = this.names.get(name);
    if (ref === undefined) {
      this.pushText(name, this.L);
      ref = this.m._luaL_ref(this.L, LUA_REGISTRYINDEX) as number;
      this.names.set(name, ref);
    }
    this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref));
  }

  /** table[name] with the name as text, raw (no metamethods). */
  rawGetField(idx: number, name: string, L = this.L): LuaType {
    const abs = this.m._lua_absindex(L, idx);
    this.pushName(name, L);
    return this.rawGet(abs, L);
  }

  /** Pops a value and stores it as table[name], raw. */
  rawSetField(idx: number, name: string, L = this.L): void {
    const abs = this.m._lua_absindex(L, idx);
    this.pushName(name, L);
    this.insert(-2, L);
    this.rawSet(abs, L);
  }

  getGlobal(name: string, L = this.L): LuaType {
    this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, 2n); // LUA_RIDX_GLOBALS
    const t = this.rawGetField(-1, name, L);
    this.m._lua_rotate(L, -2, -1);
    this.pop(1, L);
    return t;
  }

  setGlobal(name: string, L = this.L): void {
    this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, 2n);
    this.insert(-2, L);
    this.rawSetField(-2, name, L);
    this.pop(1, L);
  }

  /** Pops the top value into the registry; returns its reference. */
  ref(L = this.L): number { return this.m._luaL_ref(L, LUA_REGISTRYINDEX); }
  unref(ref: number, L = this.L): void { this.m._luaL_unref(L, LUA_REGISTRYINDEX, ref); }
  pushRef(ref: number, L = this.L): void { this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref)); }

  pushHostFunction(fn: HostFunction): void {
    const p = this.m.addFunction(fn, 'ii');
    this.fnPointers.push(p);
    this.m._lua_pushcclosure(this.L, p, 0);
  }

  /** Raises the value on top of the stack as a Lua error (never returns normally). */
  error(L = this.L): number {
    return this.m._lua_error(L);
  }

  /** Compiles a chunk; the function (or an error message) is left on the stack. */
  load(source: Uint8Array, chunkName: string): LuaStatus {
    const name = Buffer.from(chunkName + '\0');
    const at = this.room(source.length + name.length);
    const heap = this.heap();
    heap.set(source, at);
    heap.set(name, at + source.length);
    const status = this.m._luaL_loadbufferx(this.L, at, source.length, at + source.length, 0);
    this.heap().fill(0, at, at + source.length + name.length);
    return status;
  }

  pcall(nargs: number, nresults: number, msgh = 0, L = this.L): LuaStatus {
    return this.m._lua_pcallk(L, nargs, nresults, msgh, 0, 0);
  }

  /** A new coroutine, pushed on the stack (ref it to keep it). */
  newThread(): number { return this.m._lua_newthread(this.L); }

  /** Resumes a coroutine; results are on its stack (count in the returned nres). */
  resume(co: number, nargs: number): { status: LuaStatus; nres: number } {
    const status = this.m._lua_resume(co, this.L, nargs, this.lenCell);
    return { status, nres: this.m.HEAP32[this.lenCell >> 2] as number };
  }

  resetThread(co: number): LuaStatus { return this.m._lua_resetthread(co); }

  xmove(from: number, to: number, n: number): void { this.m._lua_xmove(from, to, n); }

  /** Yields the running coroutine from inside a hook (count events may yield in Lua 5.4). */
  yieldFromHook(L: number): void { this.m._lua_yieldk(L, 0, 0, 0); }

  /** Calls `hook(L)` every `count` VM instructions (0 or null: no hook). */
  setCountHook(count: number, hook: ((L: number) => void) | null, L = this.L): void {
    if (hook === null || count === 0) {
      this.m._lua_sethook(L, 0, 0, 0);
      return;
    }
    if (this.hookPointer === 0) this.hookPointer = this.m.addFunction((S: number) => this.onHook?.(S), 'vii');
    this.onHook = hook;
    this.m._lua_sethook(L, this.hookPointer, LUA_MASKCOUNT, count);
  }
  private onHook: ((L: number) => void) | null = null;

  /** The JSON null of cjson: a NULL light userdata. */
  pushNull(L = this.L): void { this.m._lua_pushlightuserdata(L, 0); }

  /** Pops a value into upvalue n of the function at idx (a chunk's _ENV is upvalue 1). */
  setUpvalue(idx: number, n: number, L = this.L): void { this.m._lua_setupvalue(L, idx, n); }

  /**
   * A full garbage collection: every unreachable string is freed, and so zeroed; then the free
   * part of the C stack (below the current stack pointer) is zeroed too.
   */
  collect(): void {
    if (this.gcRef === 0) {
      this.getGlobal('collectgarbage');
      this.gcRef = this.ref();
    }
    this.pushRef(this.gcRef);
    this.pcall(0, 0);
    this.wipeFreeStack();
  }

  /** Zeroes the C stack below the stack pointer: what returned C functions left there. */
  wipeFreeStack(): void {
    if (stackExports === null) return;
    const end = stackExports.emscripten_stack_get_end();
    const current = stackExports.emscripten_stack_get_current();
    if (end > 0 && current > end) (this.m.HEAPU8 as Uint8Array).fill(0, end, current);
  }

  /** The real collectgarbage, kept in the registry (the first collect() must run before the sandbox). */
  private gcRef = 0;
}
