// Shared memory (SharedArrayBuffer) for large plaintext that a seal worker reads or writes in
// place (seal/seal-workers.ts): the parser gathers a large bulk straight into it, so a SET hands
// its value to the worker without a copy; a GET's worker opens into it. Kept for reuse per
// power-of-two size up to POOL_BYTES in all: a fresh 1 MiB SharedArrayBuffer cost ~1.5 ms to
// allocate and fault in, several times its copy, on a loaded 2-core machine.
//
// Every view comes zeroed and is wiped (the bytes it says were written) before its memory goes
// back: the pool never holds plaintext. Wiping goes 8 bytes at a time: on shared memory V8 fills
// a Uint8Array byte by byte with atomic stores, ~600 µs per MiB against ~6 for a memset (it was
// the largest cost of a 1 MiB SET after the AEAD); a Float64Array's fill takes ~40-50.

const POOL_BYTES = 64 * 1024 * 1024;
const POOL_MIN = 64 * 1024;
const pool = new Map<number, SharedArrayBuffer[]>();
let pooled = 0;

/** A view of `length` bytes of shared memory, zeroed, at offset 0; give it back with giveShared(). */
export function takeShared(length: number): Buffer {
  let size = POOL_MIN;
  while (size < length) size *= 2;
  const kept = pool.get(size)?.pop();
  if (kept !== undefined) pooled -= size;
  return Buffer.from(kept ?? new SharedArrayBuffer(size), 0, length);
}

/**
 * Wipes a takeShared() view (its first `written` bytes: the rest was never written) and keeps
 * its memory for the next one.
 */
export function giveShared(view: Buffer, written = view.length): void {
  wipeShared(view, written);
  const memory = view.buffer as SharedArrayBuffer;
  const size = memory.byteLength;
  if (view.byteOffset !== 0 || pooled + size > POOL_BYTES || (size & (size - 1)) !== 0 || size < POOL_MIN) return;
  let list = pool.get(size);
  if (list === undefined) pool.set(size, (list = []));
  list.push(memory);
  pooled += size;
}

/** Zeroes view[0, length) (shared memory): whole aligned words through a Float64Array, the ends bytewise. */
export function wipeShared(view: Uint8Array, length: number): void {
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
