// Sequences of Lua C API calls an EVALSHA makes every time, as WebAssembly functions beside the
// Lua module that call its exports directly: one crossing from JavaScript instead of one per
// call (each costs a few ns, and a lua_Integer argument a BigInt conversion on top). An EVAL
// script's start (the error handler, KEYS and ARGV filled, the script), its end (KEYS and ARGV
// emptied, the stack cleared) and redis.call's reading of its arguments were 29 crossings for
// the GET script; with the script's run and the reading of its result in one call too (runTop)
// they are 5: beginEval, runTop, readArgs, lua_pushlstring (the reply), endEval. Written as
// instruction bytes (wasm-bytes.ts).

import { call, F64, get, I32, i32, I64, instantiate, load32, op, set, store32, storeF64, wasmModule } from './wasm-bytes.js';

const LUA_REGISTRYINDEX = -1001000;
const LUA_TBOOLEAN = 1;
const LUA_TNUMBER = 3;
const LUA_TSTRING = 4;

const IMPORTS = [
  { name: 'lua_settop', params: [I32, I32], results: [] },
  { name: 'lua_rawgeti', params: [I32, I32, I64], results: [I32] },
  { name: 'lua_pushlstring', params: [I32, I32, I32], results: [I32] },
  { name: 'lua_rawseti', params: [I32, I32, I64], results: [] },
  { name: 'lua_pushnil', params: [I32], results: [] },
  { name: 'lua_next', params: [I32, I32], results: [I32] },
  { name: 'lua_getmetatable', params: [I32, I32], results: [I32] },
  { name: 'lua_gettop', params: [I32], results: [I32] },
  { name: 'lua_type', params: [I32, I32], results: [I32] },
  { name: 'lua_tolstring', params: [I32, I32, I32], results: [I32] },
  { name: 'lua_isinteger', params: [I32, I32], results: [I32] },
  { name: 'lua_tonumberx', params: [I32, I32, I32], results: [F64] },
  { name: 'lua_toboolean', params: [I32, I32], results: [I32] },
  { name: 'lua_pcallk', params: [I32, I32, I32, I32, I32, I32], results: [I32] },
  { name: 'lua_pushinteger', params: [I32, I64], results: [] },
];
const [SETTOP, RAWGETI, PUSHLSTRING, RAWSETI, PUSHNIL, NEXT, GETMETATABLE, GETTOP, TYPE, TOLSTRING, ISINTEGER, TONUMBERX, TOBOOLEAN, PCALLK, PUSHINTEGER] = IMPORTS.map((_, i) => i);
// The module's own functions, after the imports (in the order of the `functions` list below).
const SET_STRINGS = IMPORTS.length;
const CLEAR_ARRAY = IMPORTS.length + 1;
const READ_TOP = IMPORTS.length + 5;
/** What runTop returns for a failed call: this plus the call's status (a type is below it). */
export const RUN_FAILED = 16;

/** for (local = from; local <= to; local++) body, with `to` a local. */
function forUpTo(local: number, from: number, to: number, body: number[]): number[] {
  return [
    ...i32(from), ...set(local),
    op.block, op.void, op.loop, op.void,
    ...get(local), ...get(to), op.gtU, op.brIf, 1,
    ...body,
    ...get(local), ...i32(1), op.add, ...set(local),
    op.br, 0,
    op.end, op.end,
  ];
}

/** Pushes registry[ref] (ref a local), its type dropped. */
const pushRef = (L: number, ref: number): number[] => [...get(L), ...i32(LUA_REGISTRYINDEX), ...get(ref), op.i64ExtendI32U, ...call(RAWGETI), op.drop];

/**
 * setStrings(L, idx, at, lens, count): t[1..count] = the strings laid end to end from `at`, of the
 * i32 lengths at `lens` (t at the absolute index idx).
 */
function setStrings(): number[] {
  const [L, IDX, AT, LENS, COUNT, I, N] = [0, 1, 2, 3, 4, 5, 6];
  return forUpTo(I, 1, COUNT, [
    ...get(LENS), ...get(I), ...i32(1), op.sub, ...i32(4), op.mul, op.add, ...load32, ...set(N),
    ...get(L), ...get(AT), ...get(N), ...call(PUSHLSTRING), op.drop,
    ...get(L), ...get(IDX), ...get(I), op.i64ExtendI32U, ...call(RAWSETI),
    ...get(AT), ...get(N), op.add, ...set(AT),
  ]);
}

/**
 * clearArray(L, idx, count): t[1..count] = nil; 1 when t still holds anything (an entry next()
 * finds, a metatable), else 0.
 */
function clearArray(): number[] {
  const [L, IDX, COUNT, I] = [0, 1, 2, 3];
  return [
    ...forUpTo(I, 1, COUNT, [
      ...get(L), ...call(PUSHNIL),
      ...get(L), ...get(IDX), ...get(I), op.i64ExtendI32U, ...call(RAWSETI),
    ]),
    ...get(L), ...call(PUSHNIL),
    ...get(L), ...get(IDX), ...call(NEXT), op.if, op.void,
    ...get(L), ...i32(-3), ...call(SETTOP), ...i32(1), op.return,
    op.end,
    ...get(L), ...get(IDX), ...call(GETMETATABLE), op.if, op.void,
    ...get(L), ...i32(-2), ...call(SETTOP), ...i32(1), op.return,
    op.end,
    ...i32(0),
  ];
}

/**
 * beginEval(L, handler, keys, argv, script, keysAt, keysLens, nkeys, argvAt, argvLens, nargv):
 * on an emptied stack, the error handler (1), KEYS filled (2), ARGV filled (3), the script (4).
 */
function beginEval(): number[] {
  const [L, HANDLER, KEYS, ARGV, SCRIPT, KEYS_AT, KEYS_LENS, NKEYS, ARGV_AT, ARGV_LENS, NARGV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return [
    ...get(L), ...i32(0), ...call(SETTOP),
    ...pushRef(L, HANDLER),
    ...pushRef(L, KEYS),
    ...get(L), ...i32(2), ...get(KEYS_AT), ...get(KEYS_LENS), ...get(NKEYS), ...call(SET_STRINGS),
    ...pushRef(L, ARGV),
    ...get(L), ...i32(3), ...get(ARGV_AT), ...get(ARGV_LENS), ...get(NARGV), ...call(SET_STRINGS),
    ...pushRef(L, SCRIPT),
  ];
}

/**
 * endEval(L, nkeys, nargv): KEYS (2) and ARGV (3) emptied, the stack cleared; bit 0 set when
 * ARGV holds something else still, bit 1 when KEYS does (they are then dropped).
 */
function endEval(): number[] {
  const [L, NKEYS, NARGV] = [0, 1, 2];
  return [
    ...get(L), ...i32(3), ...call(SETTOP),
    ...get(L), ...i32(3), ...get(NARGV), ...call(CLEAR_ARRAY),
    ...get(L), ...i32(2), ...get(NKEYS), ...call(CLEAR_ARRAY), ...i32(1), op.shl, op.or,
    ...get(L), ...i32(0), ...call(SETTOP),
  ];
}

/**
 * readArgs(L, out, max): the number of values on the stack; when at most `max`, for each value i
 * (from 1) at out + 12 (i - 1): its type, and for a string where its bytes lie and their length.
 */
function readArgs(): number[] {
  const [L, OUT, MAX, ARGC, I, T, SLOT] = [0, 1, 2, 3, 4, 5, 6];
  return [
    ...get(L), ...call(GETTOP), op.localTee, ARGC, ...get(MAX), op.gtU, op.if, op.void,
    ...get(ARGC), op.return,
    op.end,
    ...forUpTo(I, 1, ARGC, [
      ...get(OUT), ...get(I), ...i32(1), op.sub, ...i32(12), op.mul, op.add, ...set(SLOT),
      ...get(SLOT), ...get(L), ...get(I), ...call(TYPE), op.localTee, T, ...store32(0),
      ...get(T), ...i32(LUA_TSTRING), op.eq, op.if, op.void,
      ...get(SLOT), ...get(L), ...get(I), ...get(SLOT), ...i32(8), op.add, ...call(TOLSTRING), ...store32(4),
      op.end,
    ]),
    ...get(ARGC),
  ];
}

/**
 * readTop(L, out): the type of the value on top of the stack; for a string, at out where its bytes
 * lie and at out + 4 their length; for a number, at out whether it is an integer and at out + 8
 * its value as a double; for a boolean, at out its value.
 */
function readTop(): number[] {
  const [L, OUT, T] = [0, 1, 2];
  return [
    ...get(L), ...i32(-1), ...call(TYPE), ...set(T),
    ...get(T), ...i32(LUA_TSTRING), op.eq, op.if, op.void,
    ...get(OUT), ...get(L), ...i32(-1), ...get(OUT), ...i32(4), op.add, ...call(TOLSTRING), ...store32(0),
    op.end,
    ...get(T), ...i32(LUA_TNUMBER), op.eq, op.if, op.void,
    ...get(OUT), ...get(L), ...i32(-1), ...call(ISINTEGER), ...store32(0),
    ...get(OUT), ...get(L), ...i32(-1), ...i32(0), ...call(TONUMBERX), ...storeF64(8),
    op.end,
    ...get(T), ...i32(LUA_TBOOLEAN), op.eq, op.if, op.void,
    ...get(OUT), ...get(L), ...i32(-1), ...call(TOBOOLEAN), ...store32(0),
    op.end,
    ...get(T),
  ];
}

/**
 * runTop(L, nargs, out): lua_pcall of the function under its nargs arguments, one result, the
 * error handler at 1; when it succeeded, readTop(L, out) of the result and its type, else
 * RUN_FAILED plus the status. A script's run and the reading of its result in one crossing.
 */
function runTop(): number[] {
  const [L, NARGS, OUT, STATUS] = [0, 1, 2, 3];
  return [
    ...get(L), ...get(NARGS), ...i32(1), ...i32(1), ...i32(0), ...i32(0), ...call(PCALLK), op.localTee, STATUS,
    op.if, op.void,
    ...i32(RUN_FAILED), ...get(STATUS), op.add, op.return,
    op.end,
    ...get(L), ...get(OUT), ...call(READ_TOP),
  ];
}

/** pushInt(L, n): lua_pushinteger of a 32-bit integer, with no BigInt made or read in JavaScript. */
function pushInt(): number[] {
  const [L, N] = [0, 1];
  return [...get(L), ...get(N), op.i64ExtendI32S, ...call(PUSHINTEGER)];
}

const bytes = (): Uint8Array => wasmModule({
  imports: IMPORTS,
  globals: [],
  functions: [
    { params: [I32, I32, I32, I32, I32], results: [], locals: [I32, I32], body: setStrings(), export: 'setStrings' },
    { params: [I32, I32, I32], results: [I32], locals: [I32], body: clearArray(), export: 'clearArray' },
    { params: new Array(11).fill(I32), results: [], locals: [], body: beginEval(), export: 'beginEval' },
    { params: [I32, I32, I32], results: [I32], locals: [], body: endEval(), export: 'endEval' },
    { params: [I32, I32, I32], results: [I32], locals: [I32, I32, I32, I32], body: readArgs(), export: 'readArgs' },
    { params: [I32, I32], results: [I32], locals: [I32], body: readTop(), export: 'readTop' },
    { params: [I32, I32, I32], results: [I32], locals: [I32], body: runTop(), export: 'runTop' },
    { params: [I32, I32], results: [], locals: [], body: pushInt(), export: 'pushInt' },
  ],
});
const compiled = { module: null };

export interface LuaBatch {
  setStrings(L: number, idx: number, at: number, lens: number, count: number): void;
  clearArray(L: number, idx: number, count: number): number;
  beginEval(L: number, handler: number, keys: number, argv: number, script: number, keysAt: number, keysLens: number, nkeys: number, argvAt: number, argvLens: number, nargv: number): void;
  endEval(L: number, nkeys: number, nargv: number): number;
  readArgs(L: number, out: number, max: number): number;
  runTop(L: number, nargs: number, out: number): number;
  pushInt(L: number, n: number): void;
}

/** The batch functions over a Lua module instance's exports (its memory and C API). */
export function luaBatch(exports: Record<string, unknown>): LuaBatch {
  const imports: Record<string, unknown> = { memory: exports.memory };
  for (const f of IMPORTS) imports[f.name] = exports[f.name];
  return instantiate(compiled, bytes, imports) as LuaBatch;
}
