// Memory for seal workers' outputs, reused (issue 20, large values): a 256 KiB or 1 MiB SET
// sealed by a worker (seal-workers.ts) used to get a fresh SharedArrayBuffer for its sealed
// value, zero-filled and faulted in page by page by the worker (~18% of its time for 256 KiB
// SETs), and freed only when a full garbage collection found it (each one adding to V8's
// external memory, which sets those collections off). The memory of a value a SET replaces
// holds ciphertext only, so once nothing reads it any more it can take the next sealed value
// of the same size as it is: the seal writes every byte of it (chunked.ts).
//
// Only memory a worker sealed into comes back (a WeakSet of it), only as a whole (the value is
// the buffer), only when no worker is opening it (worker-reads.ts: a GET in flight), and only
// from where the caller knows the keyspace no longer holds it (commands/values/offload.ts, the
// SET that replaced it). The rest of the process reads a stored value only within the
// event-loop turn that looked it up (snapshots, replication and the spill tier copy or open it
// there), so by the next turn, when a worker is handed the memory, nothing else reads it.
//
// Bounded (POOL_MAX_BYTES, and at most PER_SIZE_MAX of one size: a steady stream of SETs needs
// one or two), and released to the garbage collector when no seal has taken from it for
// IDLE_MS: this memory is no value's any more, so maxmemory does not count it, and it does not
// stay. INFO sealkv shows it (seal_output_pool_bytes, seal_outputs_reused).

import { workerReading } from './worker-reads.js';

const POOL_MAX_BYTES = 16 * 1024 * 1024;
const PER_SIZE_MAX = 4;
const IDLE_MS = 1000;

export class SealedOutputs {
  /** Memory workers sealed into (what they allocated or were given): only that comes back. */
  private readonly made = new WeakSet<SharedArrayBuffer>();
  private readonly kept = new Map<number, SharedArrayBuffer[]>();
  private timer: NodeJS.Timeout | null = null;
  private takenSinceTimer = false;
  /** Bytes kept now (INFO sealkv seal_output_pool_bytes). */
  keptBytes = 0;
  /** Seals that went into reused memory (INFO sealkv seal_outputs_reused). */
  reused = 0;

  /** Notes memory a worker sealed into (a job's result). */
  adopt(memory: SharedArrayBuffer): void {
    this.made.add(memory);
  }

  /** Memory of exactly `size` bytes that held an old sealed value, or null (the worker allocates). */
  take(size: number): SharedArrayBuffer | null {
    const memory = this.kept.get(size)?.pop();
    if (memory === undefined) return null;
    this.keptBytes -= size;
    this.takenSinceTimer = true;
    this.reused++;
    return memory;
  }

  /**
   * Keeps the memory of a sealed value the keyspace no longer holds, for the next seal of its
   * size, when it is a worker's output, whole, and no worker is reading it; else leaves it to
   * the garbage collector. The caller vouches that nothing else holds it past this turn.
   */
  give(sealed: Uint8Array): void {
    const memory = sealed.buffer;
    if (!(memory instanceof SharedArrayBuffer) || !this.made.has(memory)) return;
    if (sealed.byteOffset !== 0 || sealed.length !== memory.byteLength || workerReading(sealed)) return;
    const size = memory.byteLength;
    if (this.keptBytes + size > POOL_MAX_BYTES) return;
    let list = this.kept.get(size);
    if (list === undefined) this.kept.set(size, (list = []));
    if (list.length >= PER_SIZE_MAX || list.includes(memory)) return;
    list.push(memory);
    this.keptBytes += size;
    this.watchIdle();
  }

  /** Drops everything kept (shutdown; and when the pool sat unused for IDLE_MS). */
  clear(): void {
    this.kept.clear();
    this.keptBytes = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private watchIdle(): void {
    if (this.timer !== null) return;
    this.takenSinceTimer = false;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.takenSinceTimer) this.clear();
      else if (this.keptBytes > 0) this.watchIdle();
    }, IDLE_MS);
    this.timer.unref();
  }
}
