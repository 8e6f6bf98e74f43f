// Copying a byte range without allocating. Buffer.copy with offsets builds a Uint8Array view
// per call in Node 20 (and showed up as the top JS cost of sealing); a plain loop is faster for
// the short header, nonce and context copies, TypedArray.set for anything larger.

const SHORT = 64;

export function copyBytes(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, length: number): void {
  if (length <= SHORT) {
    for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else {
    dst.set(src.subarray(srcStart, srcStart + length), dstStart);
  }
}

/**
 * Exact-length views of one buffer, made once per length. Plain Uint8Arrays: their subarray and
 * fill are the fast built-ins (Buffer's go through extra JS and a FastBuffer construction).
 */
export class ExactViews {
  readonly all: Uint8Array;
  private readonly byLength: Uint8Array[] = [];

  constructor(readonly of: Uint8Array) {
    this.all = new Uint8Array(of.buffer, of.byteOffset, of.length);
  }

  get(length: number): Uint8Array {
    return this.byLength[length] ?? (this.byLength[length] = this.all.subarray(0, length));
  }
}

/**
 * A buffer for plaintext with memory of its own, outside the V8 heap. Smaller Buffers (up to 64
 * bytes) otherwise live inside the V8 heap, where the garbage collector copies them as it moves
 * objects and leaves the old copies behind, out of reach of any wipe; and the pooled ones
 * (allocUnsafe, Buffer.from, Buffer.concat) share memory that nobody wipes.
 */
export function plainBuffer(size: number): Buffer {
  return Buffer.from(new ArrayBuffer(size));
}

/**
 * Copies arguments into one buffer of their own, for a command that outlives the read it came in;
 * those `keep` takes over as they are (it is asked once per argument) are not copied.
 */
export function ownArgs(args: Buffer[], keep?: (arg: Buffer) => boolean): Buffer[] {
  const kept = keep === undefined ? null : args.map(keep);
  let size = 0;
  for (let i = 0; i < args.length; i++) if (kept === null || !kept[i]) size += args[i]!.length;
  const store = plainBuffer(size);
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (kept !== null && kept[i]) {
      out.push(a);
      continue;
    }
    a.copy(store, at);
    out.push(store.subarray(at, at + a.length));
    at += a.length;
  }
  return out;
}

/** Zeroes every argument (of ownArgs, or any other plaintext list) once its command has run. */
export function wipeArgs(args: Buffer[]): void {
  for (const a of args) a.fill(0);
}

/**
 * The value of bytes [start, end) when they are an optional '-' then 1 to maxDigits decimal
 * digits, NaN for anything else: a number read from a request without making a string of it.
 */
export function decimalValue(bytes: Uint8Array, start: number, end: number, maxDigits: number): number {
  const negative = end > start && bytes[start] === 0x2d;
  const first = negative ? start + 1 : start;
  if (end <= first || end - first > maxDigits) return NaN;
  let n = 0;
  for (let i = first; i < end; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
