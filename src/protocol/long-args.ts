// The arguments of a command with very many of them (DEL or MSET with millions of keys), kept
// while it arrives as bytes in one growing arena plus a table of offsets: no JS object per
// argument. A million Buffer views held across reads made the garbage collector pause other
// clients for tens of milliseconds at a time, and cost ~100 bytes of heap each. Once complete,
// the command is read as a vector (at(): a view made when read, dropped right after) by the
// handlers that take one (arg-list.ts); for any other, its views are made a bounded number per
// event-loop turn (materialize), so other clients are served in between.

import { copyBytes, plainBuffer } from '../util/bytes.js';

function copyOf(b: Uint8Array): Buffer {
  const out = plainBuffer(b.length);
  out.set(b);
  return out;
}
import type { ArgList, ArgVector } from './arg-list.js';

/**
 * A Buffer view made the way Node makes its own (FastBuffer: a Uint8Array whose prototype is
 * Buffer's), without subarray()'s species lookup: cheaper when made by the million.
 */
class ArgView extends Uint8Array {}
Object.setPrototypeOf(ArgView.prototype, Buffer.prototype);

const FIRST_ARENA = 64 * 1024;
const FIRST_SLOTS = 1024;

export class LongArgs implements ArgVector {
  private arena = plainBuffer(FIRST_ARENA);
  private used = 0;
  private starts = new Float64Array(FIRST_SLOTS);
  private lengths = new Uint32Array(FIRST_SLOTS);
  /** Large bulks gathered on their own (parser's gatherBig), by argument index: not copied again. */
  private own: Map<number, Buffer> | null = null;
  count = 0;

  /** Copies `length` bytes of src at `from` as the next argument. */
  add(src: Buffer, from: number, length: number): void {
    if (this.used + length > this.arena.length) this.growArena(this.used + length);
    copyBytes(src, from, this.arena, this.used, length);
    this.slot(this.used, length);
    this.used += length;
  }

  /**
   * The parser's fast loop for a long command: takes up to `wanted` whole bulks
   * ("$<len>\r\n<bytes>\r\n") from src[from, to) while each is plainly well formed (digits only,
   * no leading zero, at most maxLen) and entirely there; returns where it stopped, or `from`
   * if the next unit is anything else (split, malformed, oversized), which the parser's general
   * path then takes (with its errors). Locals instead of fields: ~10 ns per argument, not ~40.
   */
  addBulks(src: Buffer, from: number, to: number, wanted: number, maxLen: number): number {
    // Every bulk takes at least 6 bytes ("$0\r\n\r\n") and adds at most its share of them.
    this.reserve(Math.min(wanted, Math.ceil((to - from) / 6)), to - from);
    const arena = this.arena;
    const starts = this.starts;
    const lengths = this.lengths;
    let used = this.used;
    let count = this.count;
    let p = from;
    const last = count + wanted;
    while (count < last && p < to && src[p] === 0x24 /* '$' */) {
      let i = p + 1;
      let len = 0;
      for (; i < to && i - p <= 15; i++) {
        const d = src[i]! - 0x30;
        if (d < 0 || d > 9) break;
        len = len * 10 + d;
      }
      // No digits, no CR yet, a leading zero, too long: the general path decides.
      if (i === p + 1 || i + 1 >= to || src[i] !== 13 || (src[p + 1] === 0x30 && i - p > 2) || len > maxLen) break;
      const start = i + 2;
      if (start + len + 2 > to) break;
      if (len <= 16) for (let k = 0; k < len; k++) arena[used + k] = src[start + k]!;
      else arena.set(src.subarray(start, start + len), used);
      starts[count] = used;
      lengths[count] = len;
      count++;
      used += len;
      p = start + len + 2;
    }
    this.used = used;
    this.count = count;
    return p;
  }

  /** Room for `slots` more arguments and `bytes` more bytes. */
  private reserve(slots: number, bytes: number): void {
    if (this.used + bytes > this.arena.length) this.growArena(this.used + bytes);
    if (this.count + slots > this.starts.length) {
      let size = this.starts.length * 2;
      while (size < this.count + slots) size *= 2;
      const starts = new Float64Array(size);
      starts.set(this.starts.subarray(0, this.count));
      this.starts = starts;
      const lengths = new Uint32Array(size);
      lengths.set(this.lengths.subarray(0, this.count));
      this.lengths = lengths;
    }
  }

  /** Takes a buffer of the parser's own (zeroed by the parser) as the next argument. */
  addOwn(arg: Buffer): void {
    (this.own ??= new Map()).set(this.count, arg);
    this.slot(0, 0);
  }

  private out: Buffer[] | null = null;
  private made = 0;

  /** Whether making the views a slice per turn has begun (the command then goes on as an array). */
  get materializing(): boolean {
    return this.out !== null;
  }

  /** Makes up to `budget` more of the arguments' Buffer views; true once all are made (see args). */
  materialize(budget: number): boolean {
    const out = (this.out ??= new Array<Buffer>(this.count));
    const ab = this.arena.buffer as ArrayBuffer;
    const end = Math.min(this.count, this.made + budget);
    for (let i = this.made; i < end; i++) {
      out[i] = (this.own?.get(i) ?? new ArgView(ab, this.starts[i]!, this.lengths[i]!)) as Buffer;
    }
    this.made = end;
    return end === this.count;
  }

  /** Bytes of the arguments held so far. */
  get size(): number {
    return this.used;
  }

  get length(): number {
    return this.count;
  }

  /**
   * Argument `index` (negative counts from the end, as Array.prototype.at), as a fresh view of
   * the arena: made when read and garbage right after, so the views never pile up.
   */
  at(index: number): Buffer | undefined {
    if (index < 0) index += this.count;
    if (index < 0 || index >= this.count) return undefined;
    const own = this.own === null ? undefined : this.own.get(index);
    return own ?? (new ArgView(this.arena.buffer as ArrayBuffer, this.starts[index]!, this.lengths[index]!) as Buffer);
  }

  /** Argument index's length in bytes (index >= 0), without making its view. */
  byteLength(index: number): number {
    const own = this.own === null ? undefined : this.own.get(index);
    return own !== undefined ? own.length : this.lengths[index]!;
  }

  /** Copies argument index's bytes into out at `at` without making its view (RPUSH of millions); returns how many. */
  copyInto(index: number, out: Buffer, at: number): number {
    const own = this.own === null ? undefined : this.own.get(index);
    if (own !== undefined) {
      out.set(own, at);
      return own.length;
    }
    const start = this.starts[index]!;
    const length = this.lengths[index]!;
    const arena = this.arena;
    if (length <= 16) for (let i = 0; i < length; i++) out[at + i] = arena[start + i]!;
    else arena.copy(out, at, start, start + length);
    return length;
  }

  /** Every argument's view at once (the paths that need an array); made once, then kept. */
  toArray(): Buffer[] {
    this.materialize(Infinity);
    return this.args;
  }

  /** The arguments, once materialize() said they are all made; they view the arena (see bytes). */
  get args(): Buffer[] {
    return this.out!;
  }

  /** The bytes held, for the parser to zero (the large bulks it zeroes on its own). */
  get bytes(): Buffer {
    return this.arena.subarray(0, this.used);
  }

  /**
   * A copy of args that owns its bytes (the parser wipes the request's own once its read is
   * handled): for a command that goes on preparing across event-loop turns (commands/values/bulk.ts).
   * A vector's arena is copied at once; an array whose views share one buffer (the parser's
   * slices of a long command) is copied as that buffer's span, any other argument on its own.
   */
  static adopt(args: ArgList): LongArgs {
    const out = new LongArgs();
    if (args instanceof LongArgs) {
      out.reserve(args.count, args.used);
      out.arena.set(args.arena.subarray(0, args.used));
      out.starts.set(args.starts.subarray(0, args.count));
      out.lengths.set(args.lengths.subarray(0, args.count));
      out.count = args.count;
      out.used = args.used;
      if (args.own !== null) for (const [i, b] of args.own) (out.own ??= new Map()).set(i, copyOf(b));
      return out;
    }
    // The span of the buffer most arguments view (the first long one's), copied once.
    const list = args as Buffer[];
    const shared = list.length > 1 ? list[1]!.buffer : null;
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.buffer !== shared) continue;
      if (a.byteOffset < lo) lo = a.byteOffset;
      if (a.byteOffset + a.length > hi) hi = a.byteOffset + a.length;
    }
    if (lo === Infinity) lo = hi = 0;
    out.reserve(list.length, hi - lo);
    if (hi > lo) out.arena.set(new Uint8Array(shared as ArrayBuffer, lo, hi - lo));
    out.used = hi - lo;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      if (a.buffer === shared) out.slot(a.byteOffset - lo, a.length);
      else out.addOwn(copyOf(a));
    }
    return out;
  }

  /**
   * The index of the argument `view` is a view of (one at() or materialize() made), or -1:
   * `hint` first (handlers read their arguments in order), then a binary search. Arguments
   * that share an offset (empty ones) have the same bytes, so any of them answers.
   */
  indexOf(view: Uint8Array, hint: number): number {
    if (view.buffer !== this.arena.buffer) return -1;
    const at = view.byteOffset;
    const length = view.length;
    const starts = this.starts;
    const lengths = this.lengths;
    if (hint >= 0 && hint < this.count && starts[hint] === at && lengths[hint] === length) return hint;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count && starts[i] === at; i++) if (lengths[i] === length && this.own?.get(i) === undefined) return i;
    return -1;
  }

  /** A 32-bit hash of argument `index`'s bytes from `seed` (FNV-1a, then murmur3's finalizer), read in place. */
  hashOf(index: number, seed: number): number {
    const own = this.own === null ? undefined : this.own.get(index);
    const bytes = own ?? this.arena;
    const start = own !== undefined ? 0 : this.starts[index]!;
    const end = start + (own !== undefined ? own.length : this.lengths[index]!);
    let h = seed ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** Whether arguments a and b have the same bytes, compared in place. */
  sameBytes(a: number, b: number): boolean {
    const length = this.byteLength(a);
    if (length !== this.byteLength(b)) return false;
    if (this.own !== null && (this.own.has(a) || this.own.has(b))) return this.at(a)!.equals(this.at(b)!);
    const arena = this.arena;
    const x = this.starts[a]!;
    const y = this.starts[b]!;
    if (length > 64) return arena.compare(arena, y, y + length, x, x + length) === 0;
    for (let i = 0; i < length; i++) if (arena[x + i] !== arena[y + i]) return false;
    return true;
  }

  /** Zeroes every byte held (the owner is done with the arguments). */
  wipe(): void {
    this.arena.fill(0, 0, this.used);
    if (this.own !== null) for (const b of this.own.values()) b.fill(0);
    this.own = null;
    this.count = 0;
    this.used = 0;
    this.out = null;
    this.made = 0;
  }

  private slot(start: number, length: number): void {
    if (this.count === this.starts.length) this.reserve(1, 0);
    this.starts[this.count] = start;
    this.lengths[this.count] = length;
    this.count++;
  }

  private growArena(need: number): void {
    let size = this.arena.length * 2;
    while (size < need) size *= 2;
    const next = plainBuffer(size);
    next.set(this.arena.subarray(0, this.used));
    this.arena.fill(0, 0, this.used);
    this.arena = next;
  }
}
