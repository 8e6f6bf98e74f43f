// A few small WebAssembly functions that run beside the Lua module, importing its memory and C
// functions (zeroing-alloc.ts, lua-batch.ts), are written as instruction bytes: this is their
// encoder. Only what they use: i32/i64/f64 values, functions imported from module "e", mutable i32
// globals, one imported memory, exports.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;

/** The opcodes the helpers use. */
export const op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f,
  call: 0x10, drop: 0x1a, select: 0x1b, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  i32Load: 0x28, i32Store: 0x36, i32Const: 0x41,
  eqz: 0x45, eq: 0x46, ne: 0x47, ltU: 0x49, gtU: 0x4b, geU: 0x4f, leS: 0x4c, gtS: 0x4a,
  add: 0x6a, sub: 0x6b, mul: 0x6c, or: 0x72, shl: 0x74, i64ExtendI32S: 0xac, i64ExtendI32U: 0xad,
} as const;
export const MEMORY_COPY = [0xfc, 0x0a, 0x00, 0x00];
export const MEMORY_FILL = [0xfc, 0x0b, 0x00];

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (i32.const operands). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** i32.const n */
export const i32 = (n: number): number[] => [op.i32Const, ...sleb(n)];
/** local.get l */
export const get = (l: number): number[] => [op.localGet, ...uleb(l)];
/** local.set l */
export const set = (l: number): number[] => [op.localSet, ...uleb(l)];
/** call f */
export const call = (f: number): number[] => [op.call, ...uleb(f)];
/** i32.load / i32.store with 4-byte alignment and no offset. */
export const load32 = [op.i32Load, 2, 0];
export const store32 = (offset = 0): number[] => [op.i32Store, 2, ...uleb(offset)];
/** f64.store with 8-byte alignment at `offset`. */
export const storeF64 = (offset = 0): number[] => [0x39, 3, ...uleb(offset)];

export interface Signature {
  params: number[];
  results: number[];
}

export interface WasmFunction extends Signature {
  /** Extra locals after the parameters, by type. */
  locals: number[];
  body: number[];
  export: string;
}

export interface WasmModuleSpec {
  /** Functions imported from module "e" (indexes 0..n-1; the module's own follow). */
  imports: (Signature & { name: string })[];
  /** Mutable i32 globals, exported under these names, starting at 0. */
  globals: string[];
  functions: WasmFunction[];
}

const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'latin1')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const functionType = (s: Signature): number[] => [0x60, ...vec(s.params.map((t) => [t])), ...vec(s.results.map((t) => [t]))];

/** The module's bytes; its memory is imported as e.memory. */
export function wasmModule(spec: WasmModuleSpec): Uint8Array {
  const signatures = [...spec.imports, ...spec.functions];
  const types = vec(signatures.map(functionType));
  const imports = vec([
    ...spec.imports.map((f, i) => [...name('e'), ...name(f.name), 0x00, ...uleb(i)]),
    [...name('e'), ...name('memory'), 0x02, 0x00, 0],
  ]);
  const first = spec.imports.length;
  const functions = vec(spec.functions.map((_, i) => uleb(first + i)));
  const globals = vec(spec.globals.map(() => [I32, 1, ...i32(0), op.end]));
  const exports = vec([
    ...spec.functions.map((f, i) => [...name(f.export), 0x00, ...uleb(first + i)]),
    ...spec.globals.map((g, i) => [...name(g), 0x03, ...uleb(i)]),
  ]);
  const code = vec(spec.functions.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...f.body, op.end];
    return [...uleb(body.length), ...body];
  }));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, functions),
    ...(spec.globals.length > 0 ? section(6, globals) : []), ...section(7, exports), ...section(10, code),
  ]);
}

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Compiles (once per spec) and instantiates a helper module over `imports` (memory included). */
export function instantiate(compiled: { module: any }, bytes: () => Uint8Array, imports: Record<string, unknown>): any {
  const wa: any = (globalThis as any).WebAssembly;
  compiled.module ??= new wa.Module(bytes());
  return new wa.Instance(compiled.module, { e: imports }).exports;
}
