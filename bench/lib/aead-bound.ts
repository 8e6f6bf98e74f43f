// What the AEAD alone can do on one core, for the large-value bound: a GET or SET of a value of
// n bytes cannot beat (cipher bytes/s) / n, so large values are judged against that figure.

import { randomBytes } from 'node:crypto';
import { WasmAead, type AeadBackend } from '../../src/seal/aead.js';
import { NativeAead, loadSodiumNative } from '../../src/seal/native-aead.js';

export interface AeadBound {
  backend: string;
  /** Bytes per second sealed and opened, one core, values of `size` bytes. */
  sealBps: number;
  openBps: number;
  size: number;
}

export async function measureAeadBound(size = 1024 * 1024, seconds = 0.5): Promise<AeadBound> {
  const sodium = loadSodiumNative();
  const backend: AeadBackend = sodium ? new NativeAead(sodium) : await WasmAead.create();
  const key = backend.importKey(randomBytes(32));
  const plain = randomBytes(size);
  const record = Buffer.alloc(24 + size + 16);
  randomBytes(24).copy(record, 0);
  const ad = Buffer.from('bench-associated-data');
  const opened = Buffer.alloc(size);
  const rate = (fn: () => void): number => {
    fn();
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < seconds) {
      fn();
      n++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    return (n * size) / elapsed;
  };
  const sealBps = rate(() => backend.seal(record, 0, 24, plain, ad, ad.length, key));
  const openBps = rate(() => {
    if (!backend.open(record, 0, 24, size + 16, ad, ad.length, opened, 0, key)) throw new Error('open failed');
  });
  return { backend: backend.name, sealBps, openBps, size };
}
