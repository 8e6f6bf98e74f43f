// The Lua state's allocator (lua_Alloc) as a WebAssembly function of its own, beside the Lua
// module and sharing its memory: it zeroes every block Lua frees or moves (a collected string
// leaves no copy in the heap) and caps what Lua may hold, as the JavaScript allocator it replaces
// did, without two crossings between WebAssembly and JavaScript per allocation (about four
// allocations and frees an EVALSHA: the key, the value it read). Written here as bytes: the
// function is short, and a toolchain for it would be a build step for 70 instructions.
//
//   alloc(ud, ptr, osize, nsize):
//     nsize == 0: if ptr, zero [ptr, ptr + osize), free(ptr), used -= osize; return 0
//     old = ptr ? osize : 0          (for a new block Lua passes its type tag in osize)
//     limit && nsize > old && used + nsize - old > limit: return 0
//     next = malloc(nsize); 0: return 0
//     if ptr: copy min(osize, nsize) bytes to next, zero [ptr, ptr + osize), free(ptr)
//     used += nsize - old; return next

/* eslint-disable @typescript-eslint/no-explicit-any */

export interface ZeroingAlloc {
  /** The lua_Alloc to put in the module's function table. */
  readonly alloc: (ud: number, ptr: number, osize: number, nsize: number) => number;
  /** Bytes Lua holds now (an i32 global: the heap is capped far below 2 GiB). */
  readonly used: { value: number };
  /** The most Lua may hold, 0 for no cap. */
  readonly limit: { value: number };
}

const I32 = 0x7f;
const op = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  i32Const: 0x41, eqz: 0x45, ltU: 0x49, gtU: 0x4b, add: 0x6a, sub: 0x6b,
  if: 0x04, void: 0x40, end: 0x0b, return: 0x0f, select: 0x1b, call: 0x10,
} as const;
const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];
const MEMORY_FILL = [0xfc, 0x0b, 0x00];
// Locals: 0 ud, 1 ptr, 2 osize, 3 nsize, 4 next, 5 old. Functions: 0 malloc, 1 free. Globals: 0 used, 1 limit.
const [PTR, OSIZE, NSIZE, NEXT, OLD] = [1, 2, 3, 4, 5];
const [MALLOC, FREE] = [0, 1];
const [USED, LIMIT] = [0, 1];
const get = (l: number): number[] => [op.localGet, l];

const BODY = [
  // nsize == 0: free
  ...get(NSIZE), op.eqz, op.if, op.void,
  ...get(PTR), op.if, op.void,
  ...get(PTR), op.i32Const, 0, ...get(OSIZE), ...MEMORY_FILL,
  ...get(PTR), op.call, FREE,
  op.globalGet, USED, ...get(OSIZE), op.sub, op.globalSet, USED,
  op.end,
  op.i32Const, 0, op.return,
  op.end,
  // old = ptr ? osize : 0
  ...get(OSIZE), op.i32Const, 0, ...get(PTR), op.select, op.localSet, OLD,
  // the cap
  op.globalGet, LIMIT, op.if, op.void,
  ...get(NSIZE), ...get(OLD), op.gtU, op.if, op.void,
  op.globalGet, USED, ...get(NSIZE), op.add, ...get(OLD), op.sub, op.globalGet, LIMIT, op.gtU, op.if, op.void,
  op.i32Const, 0, op.return,
  op.end, op.end, op.end,
  // next = malloc(nsize)
  ...get(NSIZE), op.call, MALLOC, op.localTee, NEXT, op.eqz, op.if, op.void,
  op.i32Const, 0, op.return,
  op.end,
  // a moved block: copied, then the old one zeroed and freed
  ...get(PTR), op.if, op.void,
  ...get(NEXT), ...get(PTR), ...get(OSIZE), ...get(NSIZE), ...get(OSIZE), ...get(NSIZE), op.ltU, op.select, ...MEMORY_COPY,
  ...get(PTR), op.i32Const, 0, ...get(OSIZE), ...MEMORY_FILL,
  ...get(PTR), op.call, FREE,
  op.end,
  op.globalGet, USED, ...get(NSIZE), op.add, ...get(OLD), op.sub, op.globalSet, USED,
  ...get(NEXT),
  op.end,
];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

function moduleBytes(): Uint8Array {
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])], // alloc
    [0x60, ...vec([[I32]]), ...vec([[I32]])], // malloc
    [0x60, ...vec([[I32]]), ...vec([])], // free
  ]);
  const imports = vec([
    [...name('e'), ...name('malloc'), 0x00, 1],
    [...name('e'), ...name('free'), 0x00, 2],
    [...name('e'), ...name('memory'), 0x02, 0x00, 0],
  ]);
  const functions = vec([[0]]);
  const globals = vec([
    [I32, 1, op.i32Const, 0, op.end],
    [I32, 1, op.i32Const, 0, op.end],
  ]);
  const exports = vec([
    [...name('alloc'), 0x00, 2],
    [...name('used'), 0x03, USED],
    [...name('limit'), 0x03, LIMIT],
  ]);
  const locals = vec([[2, I32]]);
  const fn = [...locals, ...BODY];
  const code = vec([[...uleb(fn.length), ...fn]]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, functions),
    ...section(6, globals), ...section(7, exports), ...section(10, code),
  ]);
}

let compiled: any = null;

/** The allocator over the Lua module's memory and its malloc/free (instantiated per Lua state). */
export function zeroingAlloc(memory: unknown, malloc: unknown, free: unknown, limit: number): ZeroingAlloc {
  const wa: any = (globalThis as any).WebAssembly;
  compiled ??= new wa.Module(moduleBytes());
  const exports = new wa.Instance(compiled, { e: { memory, malloc, free } }).exports;
  exports.limit.value = limit;
  return exports as ZeroingAlloc;
}
