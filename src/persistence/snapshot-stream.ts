// The sealed snapshot as a stream of chunks (snapshotChunks: cooperative, for BGSAVE and a full
// sync) or in one synchronous step (snapshotSync: SAVE, SHUTDOWN), both driving the capture of
// snapshot-writer.ts.

import { SnapshotCapture, type SnapshotOptions, type SnapshotServer, type SnapshotSummary } from './snapshot-writer.js';

/** The shortest slice (the idle case: nothing else wants the event loop). */
const MIN_SLICE_MS = 0.2;

/**
 * The snapshot as a stream of chunks (header, records, trailer), produced in slices of about
 * options.sliceMs with an event-loop turn between them: clients are served meanwhile. Every
 * chunk is ciphertext or authenticated clear metadata (header, counts). Ending the iteration
 * early (break, return, a throw) stops the capture. Throws SnapshotError when a value cannot
 * be read (nothing is left half-done in the server).
 */
export async function* snapshotChunks(server: SnapshotServer, options: SnapshotOptions = {}): AsyncGenerator<Buffer, SnapshotSummary, undefined> {
  const capture = new SnapshotCapture(server, options);
  const sliceMs = options.sliceMs ?? 1;
  try {
    yield capture.header;
    // When our turn last ended: after the slice AND the consumer's handling of its chunks.
    let lastEnd = performance.now();
    for (;;) {
      // The time since our last turn ended is what the clients took: a slice takes a third
      // of it (at least MIN_SLICE_MS, at most sliceMs), so with busy clients the capture gets
      // about a quarter of the event loop; idle, the gap is only the hop through setImmediate
      // and short slices run back to back.
      const start = performance.now();
      const budget = Math.min(sliceMs, Math.max(MIN_SLICE_MS, (start - lastEnd) / 3));
      const done = capture.step(start + budget);
      for (const chunk of capture.take()) yield chunk;
      if (done) break;
      lastEnd = performance.now();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    yield capture.trailer();
    return capture.summary;
  } finally {
    capture.close();
  }
}

/** The whole snapshot in one synchronous step (SAVE, SHUTDOWN): `write` gets each chunk in order. */
export function snapshotSync(server: SnapshotServer, write: (chunk: Buffer) => void, options: SnapshotOptions = {}): SnapshotSummary {
  const capture = new SnapshotCapture(server, options);
  try {
    write(capture.header);
    let done = false;
    while (!done) {
      done = capture.step(Infinity);
      for (const chunk of capture.take()) write(chunk);
    }
    write(capture.trailer());
    return capture.summary;
  } finally {
    capture.close();
  }
}
