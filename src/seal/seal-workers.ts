// Large seals and opens on worker threads (issue 20): a 1 MiB value costs ~0.6 ms of AEAD,
// which on the event loop holds back every other client's replies for as long. A small pool of
// workers (seal-workers, default 1) takes the whole-value seals (SET) and opens (GET) of string
// values of at least seal-worker-min-bytes; the event loop only copies bytes in and out.
//
// A worker has at most POSTED_MAX jobs posted at once; the rest wait here, and an open takes its
// plaintext's shared memory only when it is posted. With 50 clients GETting 1 MiB values, 50
// targets held at once outgrew the pool (util/shared-pool.ts), and every GET allocated and
// faulted in a fresh 1 MiB. Eight (~5 ms of 1 MiB jobs) keep the worker busy while the event
// loop waits for a core on a loaded machine: it posts the next job only when it runs.
//
// Data moves in SharedArrayBuffers the event loop allocates (util/shared-pool.ts): a SET's
// plaintext (the memory the parser gathered the value in), a GET's sealed copy when it is not in
// shared memory already, and the plaintext the worker opens it into. The event loop wipes every
// plaintext one after use; a seal's output is a SharedArrayBuffer, which becomes the stored value
// as it is: the memory of a value a SET replaced (sealed-outputs.ts), else one the worker allocates. The worker keeps no plaintext of its own: libsodium reads and writes
// the shared buffers directly.
//
// Keys: the workers need the data keys (a value's chunks may be under several during SEAL
// ROTATE). They are in one SharedArrayBuffer key table, written here from the keyring's
// sodium_malloc copies before each job and wiped the moment a key is retired, at shutdown, and
// when the pool stops. A worker copies the one key a chunk names into its own sodium_malloc
// memory for the job and wipes that copy after it. Keys never pass through postMessage and are
// never logged. Only the native backend (sodium-native) runs here; with WASM the pool is off.
//
// A worker that dies fails its jobs (the commands answer an error) and is started again for the
// next job; the server lives on.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Keyring } from './keyring.js';
import { NativeKey } from './native-aead.js';
import { chunkedSize } from './chunked.js';
import { Sealer } from './sealer.js';
import { giveShared, takeShared } from '../util/shared-pool.js';
import { markWorkerRead } from './worker-reads.js';
import { SealedOutputs } from './sealed-outputs.js';

/** Key table slots: id (u32), in use (u32), then the 32-byte key. */
export const KEY_SLOT_BYTES = 40;
export const KEY_SLOTS = 64;

export interface SealJob {
  op: 'seal';
  db: number;
  key: string;
  /** The id of the data key to seal under (the keyring's current one when the job was made). */
  keyId: number;
  plain: Uint8Array;
}

export interface OpenJob {
  op: 'open';
  db: number;
  key: string;
  sealed: Uint8Array;
}

/** A value of `length` zero bytes sealed under `keyId` (SETRANGE far past the end, commands/values/offload.ts). */
export interface ZerosJob {
  op: 'zeros';
  db: number;
  key: string;
  keyId: number;
  length: number;
}

/** What a job posts to a worker (the views' buffers are SharedArrayBuffers; a zeros job has no input, only its length). */
export interface WireJob {
  id: number;
  op: 'seal' | 'open' | 'zeros';
  db: number;
  key: string;
  keyId: number;
  input: SharedArrayBuffer | null;
  inputOffset: number;
  inputLength: number;
  output: SharedArrayBuffer | null;
  outputOffset: number;
}

export interface WireResult {
  id: number;
  ok: boolean;
  /** A seal's output: memory the worker allocated (zero-filling and faulting in its pages there, not on the event loop). */
  output?: SharedArrayBuffer;
  /** Why it failed (no user data): 'auth', 'key', 'error'. */
  reason?: string;
}

export class SealWorkerError extends Error {}

/** Jobs a worker has posted at once (the pool's header says why not all). */
const POSTED_MAX = 8;

interface Pending {
  resolve: (r: WireResult) => void;
  reject: (err: Error) => void;
  /** An open's plaintext (takeShared, taken when posted): the caller's once resolved, wiped here otherwise. */
  target: Buffer | null;
}

interface Waiting {
  wire: WireJob;
  /** An open's plaintext length: shared memory taken when the job is posted. */
  targetLength: number;
}

class Slot {
  worker: Worker | null = null;
  /** Posted and waiting jobs, by id. */
  readonly pending = new Map<number, Pending>();
  /** Jobs not posted yet, in order. */
  readonly waiting: Waiting[] = [];
  posted = 0;

  get load(): number {
    return this.posted + this.waiting.length;
  }
}

/** Where the compiled worker entry is: beside this module, or under dist/ when running the bundle or the sources. */
function workerFile(): string | null {
  const here = new URL(import.meta.url);
  const candidates = [
    new URL('./seal-worker-thread.js', here),
    new URL('./src/seal/seal-worker-thread.js', here),
    new URL('../../dist/src/seal/seal-worker-thread.js', here),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  return null;
}

export class SealWorkers {
  private readonly table = new SharedArrayBuffer(KEY_SLOTS * KEY_SLOT_BYTES);
  private readonly words = new Uint32Array(this.table);
  private readonly bytes = new Uint8Array(this.table);
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private stopped = false;
  /** Memory of replaced values for the next seals' outputs. */
  readonly outputs = new SealedOutputs();
  /** Jobs done and failed (INFO sealkv). */
  jobs = 0;
  failures = 0;

  private constructor(
    private readonly keyring: Keyring,
    private readonly file: string,
    size: number,
    readonly minBytes: number,
    private readonly log: Logger,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(new Slot());
    keyring.onRetire((id) => this.forget(id));
  }

  /** A pool of `size` workers, or null when there is nothing to run them with (WASM backend, no build). */
  static create(keyring: Keyring, size: number, minBytes: number, log: Logger): SealWorkers | null {
    if (size <= 0 || keyring.backend.name !== 'sodium-native') return null;
    const file = workerFile();
    if (file === null) {
      log.warn('seal workers off: the compiled worker (dist/src/seal/seal-worker-thread.js) is missing; run npm run build');
      return null;
    }
    return new SealWorkers(keyring, file, size, minBytes, log);
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Seals plain (a SharedArrayBuffer view) as a chunked value under `keyId`; resolves with it,
   * in shared memory of its own (so a GET can hand it to a worker without a copy), which the
   * worker allocated: zero-filling a fresh 1 MiB cost the event loop ~100 µs per SET.
   */
  seal(job: SealJob): Promise<Buffer> {
    return this.run(job.op, job.db, job.key, job.keyId, job.plain).then((r) => {
      if (!r.ok) throw new SealWorkerError(r.reason ?? 'error');
      const out = Buffer.from(r.output!);
      if (out.length !== chunkedSize(job.plain.length)) throw new SealWorkerError('error');
      return out;
    });
  }

  /** Seals `length` zero bytes as a chunked value under `keyId`, in shared memory the worker allocated. */
  sealZeros(job: ZerosJob): Promise<Buffer> {
    return this.run(job.op, job.db, job.key, job.keyId, job.length).then((r) => {
      if (!r.ok) throw new SealWorkerError(r.reason ?? 'error');
      const out = Buffer.from(r.output!);
      if (out.length !== chunkedSize(job.length)) throw new SealWorkerError('error');
      return out;
    });
  }

  /**
   * Opens sealed (a SharedArrayBuffer view) into shared memory taken from the pool when the job
   * is posted; resolves with that plaintext (Sealer.plainLength(sealed) bytes, the caller's to
   * giveShared()), rejects with SealWorkerError if it does not open (the memory wiped then).
   * Meanwhile sealed's memory is marked as read (worker-reads.ts): no edit in place.
   */
  open(job: OpenJob): Promise<Buffer> {
    const done = markWorkerRead(job.sealed);
    return this.run(job.op, job.db, job.key, 0, job.sealed, Sealer.plainLength(job.sealed)).then(
      (r) => {
        done();
        if (!r.ok) {
          giveShared(r.target!);
          throw new SealWorkerError(r.reason ?? 'error');
        }
        return r.target!;
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
  }

  /** Queues a job on the least loaded worker; `targetLength` > 0: an open's plaintext, taken when posted. */
  private run(op: WireJob['op'], db: number, key: string, keyId: number, input: Uint8Array | number, targetLength = 0): Promise<WireResult & { target?: Buffer }> {
    if (this.stopped) return Promise.reject(new SealWorkerError('stopped'));
    if (typeof input !== 'number' && !(input.buffer instanceof SharedArrayBuffer)) {
      return Promise.reject(new TypeError('seal worker jobs take SharedArrayBuffer views'));
    }
    try {
      this.syncKeys();
    } catch (err) {
      return Promise.reject(err instanceof SealWorkerError ? err : new SealWorkerError('error'));
    }
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.load < slot.load) slot = s;
    const id = this.nextId++;
    const wire: WireJob = {
      id, op, db, key, keyId,
      input: typeof input === 'number' ? null : (input.buffer as SharedArrayBuffer),
      inputOffset: typeof input === 'number' ? 0 : input.byteOffset,
      inputLength: typeof input === 'number' ? input : input.length,
      output: null, outputOffset: 0,
    };
    return new Promise<WireResult & { target?: Buffer }>((resolve, reject) => {
      const p: Pending = { resolve: (r) => resolve(p.target === null ? r : { ...r, target: p.target }), reject, target: null };
      slot.pending.set(id, p);
      slot.waiting.push({ wire, targetLength });
      this.post(slot);
    });
  }

  /** Posts waiting jobs while the worker has fewer than POSTED_MAX. */
  private post(slot: Slot): void {
    while (slot.posted < POSTED_MAX && slot.waiting.length > 0) {
      const { wire, targetLength } = slot.waiting.shift()!;
      const worker = slot.worker ?? this.start(slot);
      if (targetLength > 0) {
        const target = takeShared(targetLength);
        slot.pending.get(wire.id)!.target = target;
        wire.output = target.buffer as SharedArrayBuffer;
      } else if (wire.op !== 'open') {
        wire.output = this.outputs.take(chunkedSize(wire.inputLength));
      }
      slot.posted++;
      worker.postMessage(wire);
    }
  }

  private start(slot: Slot): Worker {
    const worker = new Worker(this.file, { workerData: { keys: this.table }, stdout: false, stderr: false });
    worker.unref();
    slot.worker = worker;
    worker.on('message', (r: WireResult) => {
      const p = slot.pending.get(r.id);
      if (p === undefined) return;
      slot.pending.delete(r.id);
      slot.posted--;
      this.jobs++;
      if (r.output !== undefined) this.outputs.adopt(r.output);
      if (!r.ok) this.failures++;
      p.resolve(r);
      this.post(slot);
    });
    const died = (why: string) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      if (!this.stopped) this.log.error({ why }, 'seal worker died: its jobs fail, the next job starts another');
      this.failAll(slot, 'seal worker died');
    };
    // Only the error's class: its message could in principle quote a value.
    worker.on('error', (err) => died(err.constructor.name));
    worker.on('exit', (code) => died(`exit ${code}`));
    return worker;
  }

  /** Fails a slot's jobs, posted and waiting (an open's plaintext memory wiped back to its pool). */
  private failAll(slot: Slot, why: string): void {
    const jobs = [...slot.pending.values()];
    slot.pending.clear();
    slot.waiting.length = 0;
    slot.posted = 0;
    if (why !== 'stopped') this.failures += jobs.length;
    for (const p of jobs) {
      if (p.target !== null) giveShared(p.target);
      p.reject(new SealWorkerError(why));
    }
  }

  /** Puts every live data key in the table (the table is small; rotation adds one key at a time). */
  private syncKeys(): void {
    for (const id of this.keyring.ids()) {
      if (this.slotOf(id) >= 0) continue;
      const free = this.slotOf(-1);
      if (free < 0) throw new SealWorkerError('seal worker key table full');
      const key = this.keyring.get(id)!.key;
      if (!(key instanceof NativeKey)) throw new SealWorkerError('seal workers need the native backend');
      this.bytes.set(key.secure, free * KEY_SLOT_BYTES + 8);
      this.words[free * (KEY_SLOT_BYTES / 4)] = id;
      this.words[free * (KEY_SLOT_BYTES / 4) + 1] = 1;
    }
  }

  /** The table slot holding key `id` (-1: a free slot), or -1 if none. */
  private slotOf(id: number): number {
    for (let i = 0; i < KEY_SLOTS; i++) {
      const used = this.words[i * (KEY_SLOT_BYTES / 4) + 1] === 1;
      if (id === -1 ? !used : used && this.words[i * (KEY_SLOT_BYTES / 4)] === id) return i;
    }
    return -1;
  }

  /** Wipes a retired key from the table. */
  private forget(id: number): void {
    const i = this.slotOf(id);
    if (i < 0) return;
    this.bytes.fill(0, i * KEY_SLOT_BYTES, (i + 1) * KEY_SLOT_BYTES);
  }

  /** Wipes the key table and ends the workers; their jobs fail. */
  stop(): void {
    this.stopped = true;
    this.bytes.fill(0);
    this.outputs.clear();
    for (const slot of this.slots) {
      const worker = slot.worker;
      slot.worker = null;
      this.failAll(slot, 'stopped');
      if (worker !== null) void worker.terminate();
    }
  }
}
