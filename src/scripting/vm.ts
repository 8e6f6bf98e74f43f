// The Lua VM behind one class: the only code that touches wasmoon (Lua 5.4 compiled to
// WebAssembly; see bench/micro/lua-vm.ts and README "Scripting" for why this VM). It speaks the
// raw C API through the module's exports, with strings as bytes (binary safe, never JS text).
//
// Plaintext hygiene: the state allocates through an allocator of ours (zeroing-alloc.ts) that
// zeroes every block Lua frees or moves, so a collected Lua string leaves no copy in the
// WebAssembly heap, and caps the heap (a script cannot grow the process without bound).
// collect() runs a full cycle.

import { luaBatch, RUN_FAILED, type LuaBatch } from './lua-batch.js';
import { zeroingAlloc, type ZeroingAlloc } from './zeroing-alloc.js';

/** The most values readStrings() reads in one call (RawArgs' limit). */
const MAX_READ_ARGS = 32;

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

/**
 * The WebAssembly instance's own exports, called directly. wasmoon's module object wraps every
 * export in an assertion closure that forwards with `apply(null, arguments)`: about a tenth of
 * an EVALSHA's time went there (README "Scripting", Speed). The raw exports are the same C
 * functions without that layer. Pointers and ints are numbers; lua_Integer (i64) is a BigInt.
 */
interface LuaExports {
  memory: unknown;
  malloc(n: number): number;
  free(p: number): void;
  emscripten_stack_get_end(): number;
  emscripten_stack_get_current(): number;
  stackSave(): number;
  stackRestore(sp: number): void;
  setThrew(threw: number, value: number): void;
  luaL_openlibs(L: number): void;
  luaL_loadbufferx(L: number, buf: number, n: number, name: number, mode: number): number;
  luaL_ref(L: number, t: number): number;
  luaL_unref(L: number, t: number, ref: number): void;
  lua_newstate(alloc: number, ud: number): number;
  lua_setallocf(L: number, alloc: number, ud: number): void;
  lua_close(L: number): void;
  lua_absindex(L: number, idx: number): number;
  lua_checkstack(L: number, n: number): number;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_error(L: number): number;
  lua_gettop(L: number): number;
  lua_getmetatable(L: number, idx: number): number;
  lua_settop(L: number, idx: number): void;
  lua_isinteger(L: number, idx: number): number;
  lua_newthread(L: number): number;
  lua_next(L: number, idx: number): number;
  lua_pcallk(L: number, nargs: number, nresults: number, msgh: number, ctx: number, k: number): number;
  lua_pushboolean(L: number, b: number): void;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushlightuserdata(L: number, p: number): void;
  lua_pushlstring(L: number, s: number, n: number): number;
  lua_pushnil(L: number): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushvalue(L: number, idx: number): void;
  lua_rawget(L: number, idx: number): number;
  lua_rawgeti(L: number, idx: number, i: bigint): number;
  lua_rawlen(L: number, idx: number): number;
  lua_rawset(L: number, idx: number): void;
  lua_rawseti(L: number, idx: number, i: bigint): void;
  lua_resetthread(L: number): number;
  lua_resume(L: number, from: number, nargs: number, nres: number): number;
  lua_rotate(L: number, idx: number, n: number): void;
  lua_sethook(L: number, fn: number, mask: number, count: number): void;
  lua_setupvalue(L: number, funcindex: number, n: number): number;
  lua_toboolean(L: number, idx: number): number;
  lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  lua_tolstring(L: number, idx: number, len: number): number;
  lua_tonumberx(L: number, idx: number, isnum: number): number;
  lua_type(L: number, idx: number): number;
  lua_xmove(from: number, to: number, n: number): void;
  lua_yieldk(L: number, nresults: number, ctx: number, k: number): number;
}
let rawExports: LuaExports | null = null;

/**
 * Instantiates the WebAssembly module once per process (tens of ms); states are cheap after.
 * The instance's exports are caught on the way (wasmoon keeps them private): the C API is
 * called through them, and they give the C stack's bounds (C library functions such as
 * string.format and table.concat build strings in buffers on that stack, which stay there after
 * they return and are never freed through the allocator).
 */
export function loadLuaModule(): Promise<Raw> {
  return (modulePromise ??= (async () => {
    // The typings here have no WebAssembly namespace (no DOM lib): reached through globalThis.
    const wa: Raw = (globalThis as Raw).WebAssembly;
    const instantiate = wa.instantiate;
    wa.instantiate = async (...args: unknown[]) => {
      const imports = args[1] as { env?: Record<string, unknown> } | undefined;
      if (typeof imports?.env?.invoke_vii === 'function') imports.env.invoke_vii = invokeVii;
      const result: Raw = await instantiate.apply(wa, args);
      const exports: Partial<LuaExports> = (result instanceof wa.Instance ? result : result.instance).exports;
      if (typeof exports.lua_newstate === 'function' && typeof exports.malloc === 'function') {
        rawExports = exports as LuaExports;
        functionTable = (exports as Raw).__indirect_function_table;
        staticFunctions = new Array(functionTable!.length);
      }
      return result;
    };
    try {
      // Loaded here, not at start-up: compiling wasmoon's JavaScript costs tens of ms of every
      // start, and most servers never run a script.
      const { LuaFactory } = await import('wasmoon');
      const mod: Raw = await new LuaFactory().getLuaModule();
      if (rawExports === null) throw new Error('the Lua WebAssembly exports were not found');
      return mod;
    } finally {
      wa.instantiate = instantiate;
    }
  })());
}

/** The module's function table, and the entries of its C functions as read once (never replaced). */
let functionTable: { get(i: number): (a: number, b: number) => void; length: number } | null = null;
let staticFunctions: ((a: number, b: number) => void)[] = [];

/**
 * Emscripten's invoke_vii, through which every lua_pcall enters the protected call (its setjmp
 * is emulated in JS: a longjmp is a thrown number). The module's own one reads the function
 * table twice a call to assert that its mirror of the table is current (~40 ns a script);
 * this one reads a C function's entry once (those never change: functions added later, host
 * functions and hooks, come after them and are read each time), and does the same otherwise.
 */
function invokeVii(index: number, a: number, b: number): void {
  const x = rawExports!;
  const sp = x.stackSave();
  try {
    const fn = index < staticFunctions.length ? (staticFunctions[index] ??= functionTable!.get(index)) : functionTable!.get(index);
    fn(a, b);
  } catch (e) {
    x.stackRestore(sp);
    // Not a longjmp (a number): a real exception, passed on.
    if (e !== (e as number) + 0) throw e;
    x.setThrew(1, 0);
  }
}

/**
 * lua_Integer arguments cross into WebAssembly as BigInts: the small ones (table indexes,
 * registry references, counters) made once, not once a call.
 */
const SMALL_INTS: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));
function big(n: number): bigint {
  return n >= 0 && n < 1024 && Number.isInteger(n) ? SMALL_INTS[n]! : BigInt(n);
}

/**
 * Copies n bytes; a loop for the short strings scripts mostly pass (cheaper than a view + set).
 * Into the WebAssembly heap: the loop's element accesses see the heap's Uint8Array on one side
 * and Buffers on the other. One function for both directions saw four kinds of typed array at
 * each access and went megamorphic (~0.3 us an EVALSHA of the GET script in a server profile):
 * out of the heap is copyOutOfHeap().
 */
export function copyBytes(dst: Uint8Array, dstAt: number, src: Uint8Array, srcAt: number, n: number): void {
  if (n <= 48) for (let i = 0; i < n; i++) dst[dstAt + i] = src[srcAt + i]!;
  else dst.set(src.subarray(srcAt, srcAt + n), dstAt);
}

/** copyBytes() out of the WebAssembly heap into a Buffer (the argument arena, a reply's staging). */
export function copyOutOfHeap(dst: Buffer, dstAt: number, heap: Uint8Array, srcAt: number, n: number): void {
  if (n <= 48) for (let i = 0; i < n; i++) dst[dstAt + i] = heap[srcAt + i]!;
  else dst.set(heap.subarray(srcAt, srcAt + n), dstAt);
}

/**
 * Lua 5.4 seeds each new state's string hashes from time(NULL) and the addresses of the state,
 * a local and lua_newstate, so the order in which pairs() and next() walk a table changed from
 * one start of the server to the next, and with any change to what the module allocated before
 * the state. Redis's Lua 5.1 has no seed: its hash of a string under 32 bytes is 5.4's with seed
 * 0, and the tables of both place keys and walk them alike. So the seed is set to 0 between
 * luai_makeseed and the first string (at the state's second allocation, the stack's): tables
 * with short string keys then walk in 5.1's order, and cjson/cmsgpack encode them as Redis does.
 * The global state's layout is checked first (wasm32 Lua 5.4.6: lua_State.l_G at 16, seed at 72
 * behind l_registry, a nil, and nilvalue, the integer 0 until the state is built); if it is not
 * as expected the seed is left as made, with time(NULL) (emscripten's Date.now) held at 0 so it
 * is still the same on every start.
 */
const L_G_AT = 16;
const G = { frealloc: 0, ud: 4, registryTag: 48, nilValue: 56, nilValueTag: 64, seed: 72 } as const;
const LUA_VNUMINT = 3;

function newStateWithFixedSeed(x: LuaExports, m: Raw, alloc: ZeroingAlloc['alloc'], allocPointer: number): number {
  let calls = 0;
  let block = 0;
  let blockSize = 0;
  let hook = 0;
  hook = m.addFunction((ud: number, ptr: number, osize: number, nsize: number) => {
    const p = alloc(ud, ptr, osize, nsize);
    if (++calls === 1) [block, blockSize] = [p, nsize];
    else if (calls === 2 && block !== 0) zeroSeed(new DataView((x.memory as { buffer: ArrayBuffer }).buffer), block, blockSize, hook);
    return p;
  }, 'iiiii');
  const now = Date.now;
  Date.now = () => 0;
  try {
    const L = x.lua_newstate(hook, 0);
    if (L !== 0) x.lua_setallocf(L, allocPointer, 0);
    return L;
  } finally {
    Date.now = now;
    m.removeFunction(hook);
  }
}

/** Sets the seed of the global state inside the block lua_newstate allocated, if laid out as expected. */
function zeroSeed(heap: DataView, block: number, size: number, frealloc: number): void {
  const g = heap.getUint32(block + 4 + L_G_AT, true);
  if (g < block || g + G.seed + 4 > block + size) return;
  const expected = heap.getUint32(g + G.frealloc, true) === frealloc && heap.getUint32(g + G.ud, true) === 0 &&
    heap.getUint8(g + G.registryTag) === 0 && heap.getBigInt64(g + G.nilValue, true) === 0n && heap.getUint8(g + G.nilValueTag) === LUA_VNUMINT;
  if (expected) heap.setUint32(g + G.seed, 0, true);
}

export class LuaVm {
  readonly L: number;
  /** Lua's allocator (zeroing-alloc.ts): it zeroes what Lua frees and keeps the count and the cap. */
  private readonly allocator: ZeroingAlloc;

  /** Bytes Lua holds now. */
  get used(): number {
    return this.allocator.used.value >>> 0;
  }

  /** The most Lua may hold (0: no cap). */
  get limit(): number {
    return this.allocator.limit.value >>> 0;
  }
  private readonly m: Raw;
  private readonly x: LuaExports;
  private readonly heap: () => Uint8Array;
  private readonly lenCell: number;
  private scratch: number;
  private scratchSize = 4096;
  private readonly fnPointers: number[] = [];
  private hookPointer = 0;

  private constructor(mod: Raw, limit: number) {
    this.m = mod.module;
    this.x = rawExports!;
    const m = this.m;
    const x = this.x;
    this.heap = () => m.HEAPU8 as Uint8Array;
    this.allocator = zeroingAlloc(x.memory, x.malloc, x.free, limit);
    const alloc = m.addFunction(this.allocator.alloc, 'iiiii');
    this.fnPointers.push(alloc);
    this.L = newStateWithFixedSeed(x, m, this.allocator.alloc, alloc);
    if (this.L === 0) throw new Error('Lua state could not be created');
    this.lenCell = x.malloc(8);
    this.scratch = x.malloc(this.scratchSize);
    this.lensAt = x.malloc(4 * this.lensCapacity);
    this.argsAt = x.malloc(12 * MAX_READ_ARGS);
    this.topAt = x.malloc(16);
    this.batch = luaBatch(x as unknown as Record<string, unknown>);
  }

  /** The API call sequences made in one crossing (lua-batch.ts). */
  private readonly batch: LuaBatch;

  static async create(limit = 0): Promise<LuaVm> {
    return new LuaVm(await loadLuaModule(), limit);
  }

  /** Opens the standard libraries (the sandbox removes what scripts may not use). */
  openLibs(): void {
    this.x.luaL_openlibs(this.L);
  }

  close(): void {
    this.x.lua_close(this.L);
    for (const p of this.fnPointers) this.m.removeFunction(p);
    if (this.hookPointer !== 0) this.m.removeFunction(this.hookPointer);
    this.wipeScratch();
    this.x.free(this.scratch);
    this.x.free(this.lenCell);
    this.x.free(this.lensAt);
    this.x.free(this.argsAt);
    this.x.free(this.topAt);
  }

  // --- strings in and out -------------------------------------------------------------------

  private room(n: number): number {
    if (n > this.scratchSize) {
      this.wipeScratch();
      this.x.free(this.scratch);
      this.scratchSize = Math.max(n, this.scratchSize * 2);
      this.scratch = this.x.malloc(this.scratchSize);
      if (this.scratch === 0) throw new Error('out of WebAssembly memory');
    }
    return this.scratch;
  }

  /** Zeroes the staging area strings pass through on their way into Lua. */
  wipeScratch(): void {
    this.heap().fill(0, this.scratch, this.scratch + this.scratchSize);
  }

  pushBytes(bytes: Uint8Array, L = this.L): void {
    this.pushRange(bytes, 0, bytes.length, L);
  }

  /** Pushes bytes [start, end) of `src` as a Lua string (no view of src is made). */
  pushRange(src: Uint8Array, start: number, end: number, L = this.L): void {
    const n = end - start;
    const at = this.room(n);
    const heap = this.heap();
    // Its own loop (as stage's), not copyBytes(): that one's accesses see every kind of array.
    if (n <= 64) for (let j = 0; j < n; j++) heap[at + j] = src[start + j]!;
    else heap.set(src.subarray(start, end), at);
    this.x.lua_pushlstring(L, at, n);
    this.staged = n;
    this.unstage(at);
  }

  /**
   * Sets t[1..count] (t at the absolute index `idx`) to the byte ranges of `src` given by
   * starts/lengths from position `from`: all copied into the staging area at once, set in one
   * call (lua-batch.ts), and the staging area wiped once.
   */
  setRanges(idx: number, src: Uint8Array, starts: Int32Array, lengths: Int32Array, from: number, count: number, L = this.L): void {
    const base = this.stage(src, starts, lengths, from, count);
    this.batch.setStrings(L, idx, base, this.lensAt, count);
    this.unstage(base);
  }

  /**
   * An EVAL script's start on an emptied stack, in one call (lua-batch.ts): the error handler
   * (registry reference `handler`) at 1, the KEYS and ARGV tables (`keys`, `argv`) at 2 and 3
   * filled with the nkeys ranges from keysFrom and the nargv that follow them, and the script at 4.
   */
  beginEval(handler: number, keys: number, argv: number, script: number, src: Uint8Array, starts: Int32Array, lengths: Int32Array, keysFrom: number, nkeys: number, nargv: number): void {
    const base = this.stage(src, starts, lengths, keysFrom, nkeys + nargv);
    let keyBytes = 0;
    for (let i = keysFrom; i < keysFrom + nkeys; i++) keyBytes += lengths[i]!;
    const lens = this.lensAt;
    this.batch.beginEval(this.L, handler, keys, argv, script, base, lens, nkeys, base + keyBytes, lens + 4 * nkeys, nargv);
    this.unstage(base);
  }

  /**
   * After beginEval(): KEYS and ARGV emptied and the stack cleared, in one call. Bit 0 is set
   * when ARGV still holds anything (an entry the script added, a metatable), bit 1 for KEYS.
   */
  endEval(nkeys: number, nargv: number): number {
    return this.batch.endEval(this.L, nkeys, nargv);
  }

  /**
   * Copies ranges [from, from + count) of src end to end into the staging area and their lengths
   * into the lengths area; returns where the bytes start. The bytes are zeroed by unstage().
   */
  private stage(src: Uint8Array, starts: Int32Array, lengths: Int32Array, from: number, count: number): number {
    let total = 0;
    for (let i = from; i < from + count; i++) total += lengths[i]!;
    if (count > this.lensCapacity) {
      this.x.free(this.lensAt);
      this.lensCapacity = Math.max(count, this.lensCapacity * 2);
      this.lensAt = this.x.malloc(4 * this.lensCapacity);
      if (this.lensAt === 0) throw new Error('out of WebAssembly memory');
    }
    const base = this.room(total);
    // Views taken after the allocations above (which may grow the memory).
    const heap = this.heap();
    const lens = this.m.HEAP32 as Int32Array;
    const lensIndex = this.lensAt >> 2;
    let at = base;
    for (let i = 0; i < count; i++) {
      const n = lengths[from + i]!;
      const start = starts[from + i]!;
      // Its own loop, not copyBytes(): that one's accesses see every kind of array the server passes.
      if (n <= 64) for (let j = 0; j < n; j++) heap[at + j] = src[start + j]!;
      else heap.set(src.subarray(start, start + n), at);
      lens[lensIndex + i] = n;
      at += n;
    }
    this.staged = at - base;
    return base;
  }

  /** Zeroes what stage() copied (a fresh view: the pushes may have grown the memory). */
  private unstage(base: number): void {
    const heap = this.heap();
    const end = base + this.staged;
    if (this.staged <= 64) for (let i = base; i < end; i++) heap[i] = 0;
    else heap.fill(0, base, end);
  }
  private staged = 0;
  /** Where stage() puts the lengths (i32 each), and how many fit. */
  private lensAt: number;
  private lensCapacity = 64;

  /**
   * Sets t[1..count] (t at the absolute index `idx`) to nil, and tells whether t still holds
   * anything else: an entry (next() finds one) or a metatable.
   */
  clearArray(idx: number, count: number, L = this.L): boolean {
    return this.batch.clearArray(L, idx, count) !== 0;
  }

  /**
   * Where the values on the stack of L lie when they are up to `max` strings (redis.call's
   * arguments), read in one call (lua-batch.ts): their count, with starts[i] and lengths[i]
   * filled for each; -1 when there are more, or any is not a string.
   */
  readStrings(starts: Int32Array, lengths: Int32Array, max: number, L = this.L): number {
    const most = Math.min(max, MAX_READ_ARGS);
    const argc = this.batch.readArgs(L, this.argsAt, most);
    if (argc > most) return -1;
    const slots = this.m.HEAP32 as Int32Array;
    let slot = this.argsAt >> 2;
    for (let i = 0; i < argc; i++, slot += 3) {
      if (slots[slot] !== LuaType.String) return -1;
      starts[i] = slots[slot + 1]!;
      lengths[i] = slots[slot + 2]!;
    }
    return argc;
  }
  /** Where readStrings() has the batch write type, pointer and length of each value (12 bytes each). */
  private readonly argsAt: number;

  /**
   * pcall (one result, the error handler at stack index 1) of the function under its `nargs`
   * arguments and, when it succeeded, its result read in the same call (lua-batch.ts runTop):
   * the status, the result's type in `topType`, and then for a string where it lies in
   * heapBytes() (`length` its length; valid until the next Lua call), for a number `topNumber`
   * (and `topFlag` whether it is an integer), for a boolean `topFlag`.
   */
  runTop(nargs: number, L = this.L): LuaStatus {
    const t = this.batch.runTop(L, nargs, this.topAt);
    if (t >= RUN_FAILED) return (t - RUN_FAILED) as LuaStatus;
    this.topType = this.readTopCells(t as LuaType);
    return LuaStatus.Ok;
  }
  /** The type runTop() found its result to be. */
  topType: LuaType = LuaType.Nil;

  /** What the batch wrote at topAt for a value of type t (see runTop). */
  private readTopCells(t: LuaType): LuaType {
    const cells = this.m.HEAP32 as Int32Array;
    const at = this.topAt >> 2;
    if (t === LuaType.String) {
      this.topPointer = cells[at]!;
      this.length = cells[at + 1]!;
    } else if (t === LuaType.Number) {
      this.topFlag = cells[at] !== 0;
      this.topNumber = (this.m.HEAPF64 as Float64Array)[(this.topAt + 8) >> 3]!;
    } else if (t === LuaType.Boolean) this.topFlag = cells[at] !== 0;
    return t;
  }
  topPointer = 0;
  topNumber = 0;
  topFlag = false;
  /** Where runTop() has the batch write the result (16 bytes, 8-aligned). */
  private readonly topAt: number;

  /** Pushes ASCII/UTF-8 text (names, error messages: never user data). */
  pushText(text: string, L = this.L): void {
    this.pushBytes(Buffer.from(text), L);
  }

  /** A view of the string at idx inside the WebAssembly heap: copy it before the next Lua call. */
  viewBytes(idx: number, L = this.L): Uint8Array | null {
    const p = this.x.lua_tolstring(L, idx, this.lenCell) as number;
    if (p === 0) return null;
    const n = this.m.HEAPU32[this.lenCell >> 2] as number;
    return this.heap().subarray(p, p + n);
  }

  /**
   * Where the string (or number, converted in place) at idx lies in heapBytes(), 0 when it is
   * neither; its length is then in `length`. Valid until the next Lua call.
   */
  stringAt(idx: number, L = this.L): number {
    const p = this.x.lua_tolstring(L, idx, this.lenCell);
    this.length = p === 0 ? 0 : (this.m.HEAPU32[this.lenCell >> 2] as number);
    return p;
  }
  length = 0;

  /**
   * The WebAssembly heap as a Buffer (for RawArgs over Lua strings): made again after the memory
   * grew; like heapBytes(), not to be kept across Lua calls.
   */
  heapBuffer(): Buffer {
    const heap = this.m.HEAPU8 as Uint8Array;
    if (this.heapBufferOf !== heap) {
      this.heapBufferOf = heap;
      this.heapBufferView = Buffer.from(heap.buffer as ArrayBuffer, heap.byteOffset, heap.length);
    }
    return this.heapBufferView;
  }
  private heapBufferOf: Uint8Array | null = null;
  private heapBufferView: Buffer = Buffer.alloc(0);

  /** The WebAssembly heap (a new view after the memory grows: do not keep it across Lua calls). */
  heapBytes(): Uint8Array {
    return this.heap();
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

  top(L = this.L): number { return this.x.lua_gettop(L); }
  setTop(n: number, L = this.L): void { this.x.lua_settop(L, n); }
  pop(n = 1, L = this.L): void { this.x.lua_settop(L, -n - 1); }
  type(idx: number, L = this.L): LuaType { return this.x.lua_type(L, idx); }
  pushNil(L = this.L): void { this.x.lua_pushnil(L); }
  pushBoolean(b: boolean, L = this.L): void { this.x.lua_pushboolean(L, b ? 1 : 0); }
  pushNumber(n: number, L = this.L): void { this.x.lua_pushnumber(L, n); }
  pushInteger(n: number | bigint, L = this.L): void {
    // A 32-bit integer (redis.call's usual integer reply) goes in as one, not as a BigInt.
    if (typeof n === 'number' && (n | 0) === n) this.batch.pushInt(L, n);
    else this.x.lua_pushinteger(L, typeof n === 'number' ? big(n) : n);
  }
  pushValue(idx: number, L = this.L): void { this.x.lua_pushvalue(L, idx); }
  isInteger(idx: number, L = this.L): boolean { return this.x.lua_isinteger(L, idx) !== 0; }
  toNumber(idx: number, L = this.L): number { return this.x.lua_tonumberx(L, idx, 0); }
  toInteger(idx: number, L = this.L): bigint { return BigInt.asIntN(64, BigInt(this.x.lua_tointegerx(L, idx, 0))); }
  toBoolean(idx: number, L = this.L): boolean { return this.x.lua_toboolean(L, idx) !== 0; }
  newTable(narr = 0, nrec = 0, L = this.L): void { this.x.lua_createtable(L, narr, nrec); }
  rawGetI(idx: number, i: number, L = this.L): LuaType { return this.x.lua_rawgeti(L, idx, big(i)); }
  rawSetI(idx: number, i: number, L = this.L): void { this.x.lua_rawseti(L, idx, big(i)); }
  rawGet(idx: number, L = this.L): LuaType { return this.x.lua_rawget(L, idx); }
  rawSet(idx: number, L = this.L): void { this.x.lua_rawset(L, idx); }
  next(idx: number, L = this.L): boolean { return this.x.lua_next(L, idx) !== 0; }
  /** Pushes the metatable of the value at idx and returns true, or pushes nothing and returns false. */
  getMetatable(idx: number, L = this.L): boolean { return this.x.lua_getmetatable(L, idx) !== 0; }
  rawLen(idx: number, L = this.L): number { return this.x.lua_rawlen(L, idx); }
  checkStack(n: number, L = this.L): boolean { return this.x.lua_checkstack(L, n) !== 0; }
  insert(idx: number, L = this.L): void { this.x.lua_rotate(L, idx, 1); }

  /** Field names ('err', 'KEYS'...) as Lua strings kept in the registry: pushed without a copy. */
  private names = new Map<string, number>();

  pushName(name: string, L = this.L): void {
    let ref = this.names.get(name);
    if (ref === undefined) {
      this.pushText(name, this.L);
      ref = this.x.luaL_ref(this.L, LUA_REGISTRYINDEX) as number;
      this.names.set(name, ref);
    }
    this.x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
  }

  /** table[name] with the name as text, raw (no metamethods). */
  rawGetField(idx: number, name: string, L = this.L): LuaType {
    const abs = this.x.lua_absindex(L, idx);
    this.pushName(name, L);
    return this.rawGet(abs, L);
  }

  /** Pops a value and stores it as table[name], raw. */
  rawSetField(idx: number, name: string, L = this.L): void {
    const abs = this.x.lua_absindex(L, idx);
    this.pushName(name, L);
    this.insert(-2, L);
    this.rawSet(abs, L);
  }

  getGlobal(name: string, L = this.L): LuaType {
    this.x.lua_rawgeti(L, LUA_REGISTRYINDEX, 2n); // LUA_RIDX_GLOBALS
    const t = this.rawGetField(-1, name, L);
    this.x.lua_rotate(L, -2, -1);
    this.pop(1, L);
    return t;
  }

  setGlobal(name: string, L = this.L): void {
    this.x.lua_rawgeti(L, LUA_REGISTRYINDEX, 2n);
    this.insert(-2, L);
    this.rawSetField(-2, name, L);
    this.pop(1, L);
  }

  /** Pops the top value into the registry; returns its reference. */
  ref(L = this.L): number { return this.x.luaL_ref(L, LUA_REGISTRYINDEX); }
  unref(ref: number, L = this.L): void { this.x.luaL_unref(L, LUA_REGISTRYINDEX, ref); }
  pushRef(ref: number, L = this.L): void { this.x.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref)); }

  pushHostFunction(fn: HostFunction): void {
    const p = this.m.addFunction(fn, 'ii');
    this.fnPointers.push(p);
    this.x.lua_pushcclosure(this.L, p, 0);
  }

  /** Raises the value on top of the stack as a Lua error (never returns normally). */
  error(L = this.L): number {
    return this.x.lua_error(L);
  }

  /** Compiles a chunk; the function (or an error message) is left on the stack. */
  load(source: Uint8Array, chunkName: string): LuaStatus {
    const name = Buffer.from(chunkName + '\0');
    const at = this.room(source.length + name.length);
    const heap = this.heap();
    heap.set(source, at);
    heap.set(name, at + source.length);
    const status = this.x.luaL_loadbufferx(this.L, at, source.length, at + source.length, 0);
    this.heap().fill(0, at, at + source.length + name.length);
    return status;
  }

  pcall(nargs: number, nresults: number, msgh = 0, L = this.L): LuaStatus {
    return this.x.lua_pcallk(L, nargs, nresults, msgh, 0, 0);
  }

  /** A new coroutine, pushed on the stack (ref it to keep it). */
  newThread(): number { return this.x.lua_newthread(this.L); }

  /** Resumes a coroutine; results are on its stack (count in the returned nres). */
  resume(co: number, nargs: number): { status: LuaStatus; nres: number } {
    const status = this.x.lua_resume(co, this.L, nargs, this.lenCell);
    return { status, nres: this.m.HEAP32[this.lenCell >> 2] as number };
  }

  resetThread(co: number): LuaStatus { return this.x.lua_resetthread(co); }

  xmove(from: number, to: number, n: number): void { this.x.lua_xmove(from, to, n); }

  /** Yields the running coroutine from inside a hook (count events may yield in Lua 5.4). */
  yieldFromHook(L: number): void { this.x.lua_yieldk(L, 0, 0, 0); }

  /** Calls `hook(L)` every `count` VM instructions (0 or null: no hook). */
  setCountHook(count: number, hook: ((L: number) => void) | null, L = this.L): void {
    if (hook === null || count === 0) {
      this.x.lua_sethook(L, 0, 0, 0);
      return;
    }
    if (this.hookPointer === 0) this.hookPointer = this.m.addFunction((S: number) => this.onHook?.(S), 'vii');
    this.onHook = hook;
    this.x.lua_sethook(L, this.hookPointer, LUA_MASKCOUNT, count);
  }
  private onHook: ((L: number) => void) | null = null;

  /** The JSON null of cjson: a NULL light userdata. */
  pushNull(L = this.L): void { this.x.lua_pushlightuserdata(L, 0); }

  /** Pops a value into upvalue n of the function at idx (a chunk's _ENV is upvalue 1). */
  setUpvalue(idx: number, n: number, L = this.L): void { this.x.lua_setupvalue(L, idx, n); }

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
    const end = this.x.emscripten_stack_get_end();
    const current = this.x.emscripten_stack_get_current();
    if (end > 0 && current > end) (this.m.HEAPU8 as Uint8Array).fill(0, end, current);
  }

  /** The real collectgarbage, kept in the registry (the first collect() must run before the sandbox). */
  private gcRef = 0;
}
