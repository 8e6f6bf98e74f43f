// The Lua state's allocator (lua_Alloc) as a WebAssembly function of its own, beside the Lua
// module and sharing its memory: it zeroes every block Lua frees or moves (a collected string
// leaves no copy in the heap) and caps what Lua may hold, as the JavaScript allocator it replaces
// did, without two crossings between WebAssembly and JavaScript per allocation (about four
// allocations and frees an EVALSHA: the key, the value it read). Written as instruction bytes
// (wasm-bytes.ts): the function is short, a toolchain for it would be a build step.
//
//   alloc(ud, ptr, osize, nsize):
//     nsize == 0: if ptr, zero [ptr, ptr + osize), free(ptr), used -= osize; return 0
//     old = ptr ? osize : 0          (for a new block Lua passes its type tag in osize)
//     limit && nsize > old && used + nsize - old > limit: return 0
//     next = malloc(nsize); 0: return 0
//     if ptr: copy min(osize, nsize) bytes to next, zero [ptr, ptr + osize), free(ptr)
//     used += nsize - old; return next

import { get, I32, i32, instantiate, MEMORY_COPY, MEMORY_FILL, op, set, wasmModule, call } from './wasm-bytes.js';

export interface ZeroingAlloc {
  /** The lua_Alloc to put in the module's function table. */
  readonly alloc: (ud: number, ptr: number, osize: number, nsize: number) => number;
  /** Bytes Lua holds now (an i32 global: the heap is capped far below 2 GiB). */
  readonly used: { value: number };
  /** The most Lua may hold, 0 for no cap. */
  readonly limit: { value: number };
}

// Locals: 0 ud, 1 ptr, 2 osize, 3 nsize, 4 next, 5 old. Functions: 0 malloc, 1 free. Globals: 0 used, 1 limit.
const [PTR, OSIZE, NSIZE, NEXT, OLD] = [1, 2, 3, 4, 5];
const [MALLOC, FREE] = [0, 1];
const [USED, LIMIT] = [0, 1];

const BODY = [
  // nsize == 0: free
  ...get(NSIZE), op.eqz, op.if, op.void,
  ...get(PTR), op.if, op.void,
  ...get(PTR), ...i32(0), ...get(OSIZE), ...MEMORY_FILL,
  ...get(PTR), ...call(FREE),
  op.globalGet, USED, ...get(OSIZE), op.sub, op.globalSet, USED,
  op.end,
  ...i32(0), op.return,
  op.end,
  // old = ptr ? osize : 0
  ...get(OSIZE), ...i32(0), ...get(PTR), op.select, ...set(OLD),
  // the cap
  op.globalGet, LIMIT, op.if, op.void,
  ...get(NSIZE), ...get(OLD), op.gtU, op.if, op.void,
  op.globalGet, USED, ...get(NSIZE), op.add, ...get(OLD), op.sub, op.globalGet, LIMIT, op.gtU, op.if, op.void,
  ...i32(0), op.return,
  op.end, op.end, op.end,
  // next = malloc(nsize)
  ...get(NSIZE), ...call(MALLOC), op.localTee, NEXT, op.eqz, op.if, op.void,
  ...i32(0), op.return,
  op.end,
  // a moved block: copied, then the old one zeroed and freed
  ...get(PTR), op.if, op.void,
  ...get(NEXT), ...get(PTR), ...get(OSIZE), ...get(NSIZE), ...get(OSIZE), ...get(NSIZE), op.ltU, op.select, ...MEMORY_COPY,
  ...get(PTR), ...i32(0), ...get(OSIZE), ...MEMORY_FILL,
  ...get(PTR), ...call(FREE),
  op.end,
  op.globalGet, USED, ...get(NSIZE), op.add, ...get(OLD), op.sub, op.globalSet, USED,
  ...get(NEXT),
];

const bytes = (): Uint8Array => wasmModule({
  imports: [
    { name: 'malloc', params: [I32], results: [I32] },
    { name: 'free', params: [I32], results: [] },
  ],
  globals: ['used', 'limit'],
  functions: [{ params: [I32, I32, I32, I32], results: [I32], locals: [I32, I32], body: BODY, export: 'alloc' }],
});
const compiled = { module: null };

/** The allocator over the Lua module's memory and its malloc/free (instantiated per Lua state). */
export function zeroingAlloc(memory: unknown, malloc: unknown, free: unknown, limit: number): ZeroingAlloc {
  const exports = instantiate(compiled, bytes, { memory, malloc, free });
  exports.limit.value = limit;
  return exports as ZeroingAlloc;
}
