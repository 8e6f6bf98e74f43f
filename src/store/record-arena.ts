// Memory for the keyspace's records, outside the V8 heap: 1 MiB slab ArrayBuffers carved into
// 8-byte-aligned blocks, with one free stack of handles per block size (8-byte steps up to 64 KiB). A
// million keys then cost the GC nothing to trace and no per-key object headers.
//
// A block is named by a 32-bit handle: slab index << 17 | (offset / 8). The offset part is
// also the block's index in the slab's Float64Array, so reading a record field is one lookup.
// Handles 0 and 1 are never given out: the key table uses them for "empty" and "deleted".
//
// Freed blocks are zeroed and reused only after the current event-loop turn: a record that a
// command deleted or replaced can still be read (RENAME copies from the entry it just deleted)
// until that command's batch is done.

const SLAB_SHIFT = 20;
const SLAB_BYTES = 1 << SLAB_SHIFT;
const OFFSET_BITS = SLAB_SHIFT - 3;
export const OFFSET_MASK = (1 << OFFSET_BITS) - 1;
export const MAX_SLABS = 2 ** (32 - OFFSET_BITS);
/** Blocks above this get an ArrayBuffer of their own (a slab index with a single block). */
const MAX_CLASS_BYTES = 64 * 1024;

/** Room for this many blocks freed in one turn is kept between turns. */
const PENDING_KEPT = 1024;

export class ArenaFullError extends Error {}

/** `array` copied into a new one of `length` entries. */
function grown(array: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(length);
  out.set(array);
  return out;
}

export class RecordArena {
  /** Per slab: the same memory as bytes (Buffer for latin1 helpers), 32-bit words and doubles. */
  readonly bytes: Buffer[] = [];
  readonly words: Uint32Array[] = [];
  readonly doubles: Float64Array[] = [];
  /** Bytes in blocks handed out and not freed (what INFO reports as the arena's live bytes). */
  liveBytes = 0;
  /** Bytes of slabs allocated from the system. */
  slabBytes = 0;
  /** The most slabs handles can name; tests lower it to reach the limit. */
  maxSlabs = MAX_SLABS;
  private current = 0;
  private used = 0;
  /**
   * Each size class's free blocks (index = block bytes / 8), a stack of handles, and how many it
   * holds. Kept apart from the blocks (not a list threaded through them): taking one then reads
   * no block, where reading a cold block's link was half of allocating a record for a random key.
   */
  private freeStacks: (Uint32Array | undefined)[] = [];
  private readonly freeCounts = new Uint32Array(MAX_CLASS_BYTES / 8 + 1);
  private readonly freeSlabs: number[] = [];
  /**
   * Blocks freed this turn and their sizes (the first pendingCount of each). Typed arrays kept
   * from turn to turn: the arrays made anew each turn and grown by push cost a SET ~85 bytes of
   * garbage (its old record's handle and size, and the copies growing made of them).
   */
  private pending = new Uint32Array(PENDING_KEPT);
  private pendingSizes = new Uint32Array(PENDING_KEPT);
  private pendingCount = 0;
  private releaseScheduled = false;
  private readonly releaseLater = (): void => this.release();

  constructor() {
    this.reset();
  }

  /** Starts over with one empty slab. */
  private reset(): void {
    this.bytes.length = this.words.length = this.doubles.length = 0;
    this.freeSlabs.length = 0;
    this.freeStacks = [];
    this.freeCounts.fill(0);
    this.slabBytes = 0;
    this.current = this.addSlab(SLAB_BYTES);
    // Handles 0 and 1 (offsets 0 and 8 of slab 0) stay unused.
    this.used = 16;
  }

  /** A block of at least `size` bytes; its contents are zero. Throws ArenaFullError. */
  alloc(size: number): number {
    const bytes = (size + 7) & ~7;
    this.liveBytes += bytes;
    if (bytes > MAX_CLASS_BYTES) return (this.addSlab(bytes) << OFFSET_BITS) >>> 0;
    const free = this.freeCounts[bytes >>> 3]!;
    if (free !== 0) {
      this.freeCounts[bytes >>> 3] = free - 1;
      return this.freeStacks[bytes >>> 3]![free - 1]!;
    }
    if (this.used + bytes > SLAB_BYTES) {
      this.current = this.addSlab(SLAB_BYTES);
      this.used = 0;
    }
    const handle = (this.current << OFFSET_BITS) | (this.used >>> 3);
    this.used += bytes;
    return handle >>> 0;
  }

  /** Gives a block back once the current event-loop turn is over (see the header comment). */
  free(handle: number, size: number): void {
    const n = this.pendingCount;
    if (n === this.pending.length) {
      this.pending = grown(this.pending, n * 2);
      this.pendingSizes = grown(this.pendingSizes, n * 2);
    }
    this.pending[n] = handle;
    this.pendingSizes[n] = (size + 7) & ~7;
    this.pendingCount = n + 1;
    if (!this.releaseScheduled) {
      this.releaseScheduled = true;
      setImmediate(this.releaseLater);
    }
  }

  /** Zeroes and recycles the blocks freed so far (run by free()'s setImmediate; tests call it). */
  release(): void {
    this.releaseScheduled = false;
    const handles = this.pending;
    const sizes = this.pendingSizes;
    const count = this.pendingCount;
    this.pendingCount = 0;
    // A turn that freed very many blocks (FLUSHALL) does not keep arrays of its size.
    if (handles.length > PENDING_KEPT * 64) {
      this.pending = new Uint32Array(PENDING_KEPT);
      this.pendingSizes = new Uint32Array(PENDING_KEPT);
    }
    for (let i = 0; i < count; i++) {
      const handle = handles[i]!;
      const bytes = sizes[i]!;
      const slab = handle >>> OFFSET_BITS;
      this.liveBytes -= bytes;
      if (bytes > MAX_CLASS_BYTES) {
        this.dropSlab(slab);
        continue;
      }
      const at = handle & OFFSET_MASK;
      // Blocks are whole doubles; a loop beats fill()'s call overhead at record sizes.
      const doubles = this.doubles[slab]!;
      if (bytes <= 512) for (let i = at, end = at + bytes / 8; i < end; i++) doubles[i] = 0;
      else doubles.fill(0, at, at + bytes / 8);
      this.pushFree(bytes >>> 3, handle);
    }
    // Every block is free (FLUSHALL, or the last key deleted): give the slabs back to the system
    // instead of keeping them on free lists.
    if (this.liveBytes === 0 && this.slabBytes > SLAB_BYTES) this.reset();
  }

  private pushFree(sizeClass: number, handle: number): void {
    const count = this.freeCounts[sizeClass]!;
    let stack = this.freeStacks[sizeClass];
    if (stack === undefined || count === stack.length) {
      const grown = new Uint32Array(Math.max(16, count * 2));
      if (stack !== undefined) grown.set(stack);
      this.freeStacks[sizeClass] = stack = grown;
    }
    stack[count] = handle;
    this.freeCounts[sizeClass] = count + 1;
  }

  /** Byte offset of a handle's block within its slab. */
  static offset(handle: number): number {
    return (handle & OFFSET_MASK) * 8;
  }

  static slab(handle: number): number {
    return handle >>> OFFSET_BITS;
  }

  private addSlab(bytes: number): number {
    const index = this.freeSlabs.pop() ?? this.bytes.length;
    if (index >= this.maxSlabs) throw new ArenaFullError(`record arena full (${this.maxSlabs} slabs)`);
    const memory = new ArrayBuffer(bytes);
    this.bytes[index] = Buffer.from(memory);
    this.words[index] = new Uint32Array(memory);
    this.doubles[index] = new Float64Array(memory);
    this.slabBytes += bytes;
    return index;
  }

  private dropSlab(index: number): void {
    this.slabBytes -= this.bytes[index]!.length;
    this.bytes[index]!.fill(0);
    const none = new ArrayBuffer(0);
    this.bytes[index] = Buffer.from(none);
    this.words[index] = new Uint32Array(none);
    this.doubles[index] = new Float64Array(none);
    this.freeSlabs.push(index);
  }
}
