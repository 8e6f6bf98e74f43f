// Reading a connection without the event loop, for the time a script runs past
// busy-reply-threshold (src/commands/scripting/script-busy.ts). The script holds the one thread, so libuv
// cannot deliver reads; Redis in the same state re-enters its event loop from the script's hook
// (processEventsWhileBlocked). Here the kernel's receive queue is read directly with read(2)
// on the socket's descriptor, which libuv keeps non-blocking: EAGAIN means nothing is there.
// libuv meets EAGAIN (or the rest) on its own next read, so nothing is lost or read twice.
//
// Plaintext hygiene as in read-buffer.ts: one buffer serves every read, and the bytes of each
// read are zeroed once the connection has handled them (its parser copies what it keeps).

import { readSync } from 'node:fs';

const READ_BYTES = 64 * 1024;
/** Reads per connection per poll: a client that keeps sending does not hold the script up for long. */
const MAX_READS = 4;

let buffer: Buffer | null = null;

/**
 * Reads what the kernel holds for `fd` and hands each read to `handle` (whose bytes are zeroed
 * when it returns); `handle` returns false to stop. Stops at EAGAIN, end of stream (the event
 * loop sees the close itself later) or any error (likewise).
 */
export function readWhileBusy(fd: number, handle: (chunk: Buffer) => boolean): void {
  const buf = (buffer ??= Buffer.allocUnsafeSlow(READ_BYTES));
  for (let i = 0; i < MAX_READS; i++) {
    let n: number;
    // An idle connection answers EAGAIN, which Node throws: without a stack trace the error costs
    // about a third less (~3.5 us of CPU instead of ~5.3 per idle connection and poll).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch {
      return;
    } finally {
      Error.stackTraceLimit = limit;
    }
    if (n <= 0) return;
    let more: boolean;
    try {
      more = handle(buf.subarray(0, n));
    } finally {
      buf.fill(0, 0, n);
    }
    if (!more || n < buf.length) return;
  }
}
