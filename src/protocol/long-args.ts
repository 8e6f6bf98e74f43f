// The arguments of a command with very many of them (DEL or MSET with millions of keys), kept
// while it arrives as bytes in one growing arena plus a table of offsets: no JS object per
// argument until the command is complete. A million Buffer views held across reads made the
// garbage collector pause other clients for tens of milliseconds at a time; this way the heap
// stays small while the request is parsed, and the views are made once it is complete, a
// bounded number per event-loop turn (materialize), so other clients are served in between.

import { copyBytes, plainBuffer } from '../util/bytes.js';

/**
 * A Buffer view made the way Node makes its own (FastBuffer: a Uint8Array whose prototype is
 * Buffer's), without subarray()'s species lookup: cheaper when made by the million.
 */
class ArgView extends Uint8Array {}
Object.setPrototypeOf(ArgView.prototype, Buffer.prototype);

const FIRST_ARENA = 64 * 1024;
const FIRST_SLOTS = 1024;

export class LongArgs {
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

  /** Takes a buffer of the parser's own (zeroed by the parser) as the next argument. */
  addOwn(arg: Buffer): void {
    (this.own ??= new Map()).set(this.count, arg);
    this.slot(0, 0);
  }

  private out: Buffer[] | null = null;
  private made = 0;

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

  /** The arguments, once materialize() said they are all made; they view the arena (see bytes). */
  get args(): Buffer[] {
    return this.out!;
  }

  /** The bytes held, for the parser to zero (the large bulks it zeroes on its own). */
  get bytes(): Buffer {
    return this.arena.subarray(0, this.used);
  }

  private slot(start: number, length: number): void {
    if (this.count === this.starts.length) {
      const starts = new Float64Array(this.count * 2);
      starts.set(this.starts);
      this.starts = starts;
      const lengths = new Uint32Array(this.count * 2);
      lengths.set(this.lengths);
      this.lengths = lengths;
    }
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
