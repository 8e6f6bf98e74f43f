// A seal worker (seal-workers.ts explains the pool): seals and opens whole chunked string values
// with the same code the event loop uses (SealedValues over a Sealer), so the format is the
// same by construction. Keys come from the shared key table, copied per job into this thread's
// own sodium_malloc memory and wiped after it. Plaintext is only ever in the shared buffers the
// event loop gave (it wipes them) and inside libsodium's calls.

import { parentPort, workerData } from 'node:worker_threads';
import type { Keyring } from './keyring.js';
import { NativeAead, NativeKey, loadSodiumNative } from './native-aead.js';
import { chunkedSize } from './chunked.js';
import { SealError, Sealer } from './sealer.js';
import { SealedValues } from './values.js';
import { KEY_SLOTS, KEY_SLOT_BYTES, type WireJob, type WireResult } from './seal-workers.js';

const sodium = loadSodiumNative();
if (sodium === null || parentPort === null) throw new Error('seal worker: sodium-native does not load');
const port = parentPort;
const aead = new NativeAead(sodium);
const table = (workerData as { keys: SharedArrayBuffer }).keys;
const words = new Uint32Array(table);
const bytes = new Uint8Array(table);

interface WorkerKey {
  id: number;
  generation: number;
  key: NativeKey;
}

/** Keys copied for the current job, by id; wiped when it ends. */
const inUse = new Map<number, WorkerKey>();
const spare: NativeKey[] = [];

function keyFor(id: number): WorkerKey | undefined {
  const held = inUse.get(id);
  if (held !== undefined) return held;
  for (let i = 0; i < KEY_SLOTS; i++) {
    const w = i * (KEY_SLOT_BYTES / 4);
    if (words[w + 1] !== 1 || words[w] !== id) continue;
    const key = spare.pop() ?? new NativeKey(sodium!, sodium!.sodium_malloc(32));
    key.secure.set(bytes.subarray(i * KEY_SLOT_BYTES + 8, i * KEY_SLOT_BYTES + 40));
    const k = { id, generation: 0, key };
    inUse.set(id, k);
    return k;
  }
  return undefined;
}

function wipeKeys(): void {
  for (const k of inUse.values()) {
    k.key.destroy();
    spare.push(k.key);
  }
  inUse.clear();
}

class KeyMissing extends Error {}

/** The part of a Keyring a Sealer uses: `current` is the job's sealing key, get() reads the table. */
const ring = {
  backend: aead,
  get current(): WorkerKey {
    const k = keyFor(currentId);
    if (k === undefined) throw new KeyMissing();
    return k;
  },
  get(id: number): WorkerKey | undefined {
    return keyFor(id);
  },
};
let currentId = 0;
const values = new SealedValues(new Sealer(ring as unknown as Keyring));

/** A seal's output: the memory the event loop gave (a replaced value's, overwritten whole), else fresh. */
function outputFor(job: WireJob): SharedArrayBuffer {
  const size = chunkedSize(job.inputLength);
  return job.output !== null && job.output.byteLength === size ? job.output : new SharedArrayBuffer(size);
}

function run(job: WireJob): WireResult {
  if (job.op === 'zeros') {
    currentId = job.keyId;
    const output = outputFor(job);
    values.sealSparseValue(job.db, job.key, job.inputLength, [], Buffer.from(output));
    return { id: job.id, ok: true, output };
  }
  const input = Buffer.from(job.input!, job.inputOffset, job.inputLength);
  if (job.op === 'seal') {
    currentId = job.keyId;
    const output = outputFor(job);
    values.sealChunkedInto(job.db, job.key, input, Buffer.from(output));
    return { id: job.id, ok: true, output };
  }
  const length = Sealer.plainLength(input);
  const target = Buffer.from(job.output!, job.outputOffset, length);
  values.openValueRange(job.db, job.key, input, 0, length, target, 0);
  return { id: job.id, ok: true };
}

port.on('message', (job: WireJob) => {
  let result: WireResult;
  try {
    result = run(job);
  } catch (err) {
    const reason = err instanceof KeyMissing ? 'key' : err instanceof SealError ? (/unknown key/.test(err.message) ? 'key' : 'auth') : 'error';
    result = { id: job.id, ok: false, reason };
  } finally {
    wipeKeys();
  }
  port.postMessage(result);
});
