// Node's private stream_wrap binding (process.binding, allowed without flags in Node 20): the
// calls and shared state net.Socket itself uses, for the direct write and read paths of plain
// TCP connections (direct-write.ts, read-buffer.ts). Null when this Node does not offer them;
// both paths then go through net.Socket as usual.

export interface StreamWrapBinding {
  /** A native write request (direct-write.ts gives it its fields). */
  WriteWrap: new () => object;
  /** Where the native side leaves a read's byte count (or error) and whether a write went async. */
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

function loadBinding(): StreamWrapBinding | null {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap');
    if (typeof binding.WriteWrap !== 'function' || !(binding.streamBaseState instanceof Int32Array)) return null;
    if (typeof binding.kLastWriteWasAsync !== 'number' || typeof binding.kReadBytesOrError !== 'number') return null;
    return binding as StreamWrapBinding;
  } catch {
    return null;
  }
}

export const streamBinding = loadBinding();
