// Which Lua VM for scripting: wasmoon (Lua 5.4 compiled to WebAssembly) against fengari (Lua 5.3
// written in JS), each driven through its raw C-style API the way src/scripting would drive it:
// binary-safe strings in and out, one host function standing in for redis.call.
//
// Measured: VM start-up (new state + standard libraries), and scripts per second for
//   return redis.call('GET', KEYS[1])            (the host call dominates)
//   local n = 0 for i = 1, 1000 do n = n + i end  (the interpreter dominates)
// Rounds are interleaved (A B A B ...) and reported as medians.
//
//   node dist/bench/micro/lua-vm.js [--rounds 7] [--calls 50000]

import { createRequire } from 'node:module';
import { LuaFactory } from 'wasmoon';
import { summarize } from '../lib/stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = arg('rounds', 7);
const CALLS = arg('calls', 50_000);
const VALUE = Buffer.from('some value of thirty-two bytes!!');

interface Vm {
  /** Loads `src` once as a function kept in the registry; run() calls it with KEYS[1] set. */
  load(src: string): void;
  run(): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function fengariVm(): Vm {
  const f: any = createRequire(import.meta.url)('fengari');
  const { lua, lauxlib, lualib } = f;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushcfunction(L, (S: unknown) => {
    const cmd: Uint8Array = lua.lua_tolstring(S, 1);
    const key: Uint8Array = lua.lua_tolstring(S, 2);
    if (cmd.length + key.length < 0) return 0;
    lua.lua_pushstring(S, VALUE);
    return 1;
  });
  lua.lua_setfield(L, -2, f.to_luastring('call'));
  lua.lua_setglobal(L, f.to_luastring('redis'));
  let ref = 0;
  const key = Buffer.from('key:1');
  return {
    load(src) {
      if (lauxlib.luaL_loadbuffer(L, f.to_luastring(src), null, f.to_luastring('@user_script')) !== 0) throw new Error('load');
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    },
    run() {
      lua.lua_createtable(L, 1, 0);
      lua.lua_pushstring(L, key);
      lua.lua_rawseti(L, -2, 1);
      lua.lua_setglobal(L, f.to_luastring('KEYS'));
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
      if (lua.lua_pcall(L, 0, 1, 0) !== 0) throw new Error(String(lua.lua_tojsstring(L, -1)));
      lua.lua_settop(L, 0);
    },
  };
}

/** One WebAssembly module for every wasmoon state, as the server would keep it. */
let wasmoonModule: Promise<any> | null = null;

/**
 * wipe: the state allocates through a JS allocator that zeroes every block Lua frees (how
 * sealkv wipes freed Lua strings), and each run ends with a full collection.
 */
async function wasmoonVm(wipe = false): Promise<Vm> {
  const w: any = await (wasmoonModule ??= new LuaFactory().getLuaModule());
  const m = w.module;
  const alloc = wipe
    ? m.addFunction((_ud: number, ptr: number, osize: number, nsize: number) => {
        if (nsize === 0) {
          if (ptr) { m.HEAPU8.fill(0, ptr, ptr + osize); m._free(ptr); }
          return 0;
        }
        const next = m._malloc(nsize);
        if (next && ptr) { m.HEAPU8.copyWithin(next, ptr, ptr + Math.min(osize, nsize)); m.HEAPU8.fill(0, ptr, ptr + osize); m._free(ptr); }
        return next;
      }, 'iiiii')
    : 0;
  const L = wipe ? w.lua_newstate(alloc, null) : w.luaL_newstate();
  w.luaL_openlibs(L);
  const rawToLString = m._lua_tolstring as (L: number, i: number, len: number) => number;
  const rawPushL = m._lua_pushlstring as (L: number, p: number, n: number) => number;
  const lenCell = m._malloc(4);
  const scratch = m._malloc(1 << 16);
  const bytesAt = (S: number, i: number): Uint8Array => {
    const p = rawToLString(S, i, lenCell);
    const n = m.HEAPU32[lenCell >> 2];
    return m.HEAPU8.subarray(p, p + n);
  };
  const push = (S: number, b: Uint8Array): void => {
    m.HEAPU8.set(b, scratch);
    rawPushL(S, scratch, b.length);
  };
  const fn = m.addFunction((S: number) => {
    const cmd = bytesAt(S, 1);
    const key = bytesAt(S, 2);
    if (cmd.length + key.length < 0) return 0;
    push(S, VALUE);
    return 1;
  }, 'ii');
  w.lua_createtable(L, 0, 1);
  w.lua_pushcclosure(L, fn, 0);
  w.lua_setfield(L, -2, 'call');
  w.lua_setglobal(L, 'redis');
  let ref = 0;
  let gc = 0;
  if (wipe) {
    w.lua_getglobal(L, 'collectgarbage');
    gc = w.luaL_ref(L, -1001000);
  }
  const key = Buffer.from('key:1');
  return {
    load(src) {
      if (w.luaL_loadstring(L, src) !== 0) throw new Error('load');
      ref = w.luaL_ref(L, -1001000);
    },
    run() {
      w.lua_createtable(L, 1, 0);
      push(L, key);
      w.lua_rawseti(L, -2, 1n);
      w.lua_setglobal(L, 'KEYS');
      w.lua_rawgeti(L, -1001000, BigInt(ref));
      if (w.lua_pcallk(L, 0, 1, 0, 0, null) !== 0) throw new Error(w.lua_tolstring(L, -1, null));
      w.lua_settop(L, 0);
      if (wipe) {
        w.lua_rawgeti(L, -1001000, BigInt(gc));
        w.lua_pcallk(L, 0, 0, 0, 0, null);
      }
    },
  };
}

const SCRIPTS = {
  'redis.call GET': "return redis.call('GET', KEYS[1])",
  'loop 1000 adds': 'local n = 0 for i = 1, 1000 do n = n + i end return n',
};

async function main(): Promise<void> {
  const makers: Record<string, () => Vm | Promise<Vm>> = {
    wasmoon: () => wasmoonVm(false),
    'wasmoon+wipe': () => wasmoonVm(true),
    fengari: fengariVm,
  };
  // Start-up: a fresh state with the standard libraries (wasmoon's first one also instantiates the module).
  for (const [name, make] of Object.entries(makers)) {
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      await make();
      times.push(performance.now() - t);
    }
    console.log(`${name.padEnd(13)} start-up           first ${times[0]!.toFixed(2)} ms, then median ${summarize(times.slice(1)).median.toFixed(3)} ms`);
  }
  for (const [title, src] of Object.entries(SCRIPTS)) {
    const vms: Record<string, Vm> = {};
    for (const [name, make] of Object.entries(makers)) {
      vms[name] = await make();
      vms[name].load(src);
    }
    const rates: Record<string, number[]> = Object.fromEntries(Object.keys(vms).map((n) => [n, []]));
    const calls = title.startsWith('loop') ? Math.max(1, Math.floor(CALLS / 50)) : CALLS;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, vm] of Object.entries(vms)) {
        const t = performance.now();
        for (let i = 0; i < calls; i++) vm.run();
        rates[name]!.push((calls / (performance.now() - t)) * 1000);
      }
    }
    for (const name of Object.keys(vms)) {
      const med = summarize(rates[name]!).median;
      console.log(`${name.padEnd(13)} ${title.padEnd(18)} ${Math.round(med).toLocaleString('en-US')} scripts/s (${(1e6 / med).toFixed(2)} us each)`);
    }
  }
}

await main();
