// Sealed values in shared memory that a seal worker is opening right now (a GET of a large
// value, commands/values/offload.ts): such a value must not be edited in place meanwhile, or the worker
// could open old and new chunks that each authenticate. Any other value a worker made (SET,
// SETRANGE's zeros) is edited in place like one in ordinary memory, where every edit of it used
// to copy it whole first (1.3-1.8 s for the first 4-byte SETRANGE into a 512 MB value).

const reading = new Map<ArrayBufferLike, number>();

/** Counts a worker's read of sealed's memory until the returned function is called. */
export function markWorkerRead(sealed: Uint8Array): () => void {
  const memory = sealed.buffer;
  reading.set(memory, (reading.get(memory) ?? 0) + 1);
  return () => {
    const left = reading.get(memory)! - 1;
    if (left === 0) reading.delete(memory);
    else reading.set(memory, left);
  };
}

/** Whether a seal worker may be reading these bytes' memory now. */
export function workerReading(bytes: Uint8Array): boolean {
  return reading.has(bytes.buffer);
}
