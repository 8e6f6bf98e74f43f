// Pooled memory for plaintext: views of exact length over buffers kept for reuse per size
// class (eighths of a power of two), in two pools.
//
// Shared memory (SharedArrayBuffer) for large plaintext that a seal worker reads or writes in
// place (seal/seal-workers.ts): the parser gathers a large bulk straight into it, so a SET hands
// its value to the worker without a copy; a GET's worker opens into it. Up to 64 MiB kept: a
// fresh 1 MiB SharedArrayBuffer cost ~1.5 ms to allocate and fault in, several times its copy,
// on a loaded 2-core machine.
//
// Plain memory (ArrayBuffer) for a mid-size bulk (4-64 KiB) that a read cut short (parser.ts): a
// fresh ArrayBuffer per split bulk was zero-filled by the allocator, and its bytes counted as V8
// external memory, which set off a full garbage collection every ~64 MB of them (a pipeline of
// 16 KiB SETs: one every ~3,000 requests, ~10 ms each). Up to 8 MiB kept.
//
// Every view comes zeroed and is wiped (the bytes it says were written) before its memory goes
// back: a pool never holds plaintext. Wiping a large view is libsodium's sodium_memzero (a
// memset: ~7 µs per MiB): on shared memory V8 fills a Uint8Array byte by byte with atomic
// stores, ~300-600 µs per MiB, and a Float64Array 8 bytes at a time, 30 µs per MiB on a quiet
// core but 100-190 µs per 1 MiB SET or GET in the server (cold memory, loaded machine: perf put
// it at 5-8% of a 1 MiB SET's cycles). Without sodium-native (WASM backend) the Float64Array.

/** sodium_memzero once sodium-native loads (seal/native-aead.ts installs it), else null. */
let memzero: ((view: Uint8Array) => void) | null = null;

/** Large wipes become this native memset from now on (util knows no libsodium; seal/ hands it over). */
export function useNativeWipe(wipe: (view: Uint8Array) => void): void {
  memzero = wipe;
}
/** From this many bytes a wipe is one native call (below it the call costs more than the fill). */
const MEMZERO_MIN = 1024;

/**
 * The memory size a view of `length` bytes is taken from: the next multiple of an eighth of a
 * power of two (at least minBytes). Powers of two made a 1 MiB SET's value (1 MiB + CRLF) take
 * 2 MiB, and a pool full of those had none of 1 MiB for the GETs after.
 */
function sizeClass(length: number, minBytes: number): number {
  if (length <= minBytes) return minBytes;
  let pow = minBytes;
  while (pow * 2 <= length) pow *= 2;
  const step = Math.max(pow / 8, minBytes / 8);
  return Math.ceil(length / step) * step;
}

class SizedPool {
  private readonly kept = new Map<number, ArrayBufferLike[]>();
  private keptBytes = 0;
  /** Memory this pool handed out: only that comes back into it. */
  private readonly ours = new WeakSet<ArrayBufferLike>();

  constructor(
    private readonly make: (size: number) => ArrayBufferLike,
    private readonly minBytes: number,
    private readonly maxKeptBytes: number,
  ) {}

  take(length: number): Buffer {
    const size = sizeClass(length, this.minBytes);
    let memory = this.kept.get(size)?.pop();
    if (memory !== undefined) this.keptBytes -= size;
    else this.ours.add((memory = this.make(size)));
    return Buffer.from(memory, 0, length);
  }

  owns(view: Uint8Array): boolean {
    return this.ours.has(view.buffer);
  }

  /**
   * Wipes view's first `written` bytes and keeps its memory, if it is one of this pool's. A
   * full pool makes room by dropping memory of other sizes: the sizes in use now are kept.
   */
  give(view: Uint8Array, written: number): void {
    wipeShared(view, written);
    const memory = view.buffer;
    const size = memory.byteLength;
    if (view.byteOffset !== 0 || !this.ours.has(memory) || size > this.maxKeptBytes) return;
    while (this.keptBytes + size > this.maxKeptBytes && this.dropOtherThan(size));
    if (this.keptBytes + size > this.maxKeptBytes) return;
    let list = this.kept.get(size);
    if (list === undefined) this.kept.set(size, (list = []));
    list.push(memory);
    this.keptBytes += size;
  }

  /** Drops one kept memory of a size other than `size` (the largest such); false if there is none. */
  private dropOtherThan(size: number): boolean {
    let from = 0;
    for (const [s, list] of this.kept) if (s !== size && list.length > 0 && s > from) from = s;
    if (from === 0) return false;
    this.kept.get(from)!.pop();
    this.keptBytes -= from;
    return true;
  }
}

const shared = new SizedPool((size) => new SharedArrayBuffer(size), 64 * 1024, 64 * 1024 * 1024);
const plain = new SizedPool((size) => new ArrayBuffer(size), 4 * 1024, 8 * 1024 * 1024);

/** A view of `length` bytes of shared memory, zeroed, at offset 0; give it back with giveShared(). */
export function takeShared(length: number): Buffer {
  return shared.take(length);
}

/**
 * Wipes a takeShared() view (its first `written` bytes: the rest was never written) and keeps
 * its memory for the next one.
 */
export function giveShared(view: Buffer, written = view.length): void {
  shared.give(view, written);
}

/** A view of `length` bytes of plain memory of the pool's own, zeroed; give it back with givePlain(). */
export function takePlain(length: number): Buffer {
  return plain.take(length);
}

/** Whether bytes are a takePlain() view. */
export function isPooledPlain(bytes: Uint8Array): boolean {
  return plain.owns(bytes);
}

/** Wipes a takePlain() view (its first `written` bytes) and keeps its memory for the next one. */
export function givePlain(view: Buffer, written = view.length): void {
  plain.give(view, written);
}

/** Zeroes view[0, length) (shared memory): a memset, else whole aligned words through a Float64Array and the ends bytewise. */
export function wipeShared(view: Uint8Array, length: number): void {
  if (memzero !== null && length >= MEMZERO_MIN) {
    memzero(length === view.length ? view : view.subarray(0, length));
    return;
  }
  const start = view.byteOffset;
  const end = start + length;
  const from = (start + 7) & ~7;
  const to = end & ~7;
  if (to - from < 64) {
    view.fill(0, 0, length);
    return;
  }
  new Float64Array(view.buffer, from, (to - from) / 8).fill(0);
  view.fill(0, 0, from - start);
  view.fill(0, to - start, length);
}

/** Whether bytes live in shared memory (a takeShared() view or a seal worker's output). */
export function isShared(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof SharedArrayBuffer;
}
