// The keyed BLAKE2b-128 digest of a set member, sorted-set member or hash field (NameHasher),
// per call: sodium-native's one-shot crypto_generichash through its binding (9 arguments, the key
// block and the member compressed on every call) against the pre-keyed state (prekeyed-blake2b.ts:
// the key block compressed once, final() alone per member), for a 20-byte member read from
// inside a request buffer, as SADD reads it, and for 100 and 200 bytes. Interleaved rounds,
// medians (min-max) in nanoseconds per digest.
//
//   node dist/bench/micro/member-digest.js [--rounds 9]

import { createRequire } from 'node:module';
import { createNameHasher } from '../../src/seal/name-hash.js';
import { loadSodiumNative } from '../../src/seal/native-aead.js';
import { range, summarize } from '../lib/stats.js';

const ROUNDS = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 9;
const CALLS = 300_000;

interface OneShot {
  crypto_generichash(
    out: ArrayBufferLike, outOffset: number, outLength: number,
    input: ArrayBufferLike, inputOffset: number, inputLength: number,
    key: ArrayBufferLike, keyOffset: number, keyLength: number,
  ): number;
}

function main(): void {
  const sodium = loadSodiumNative() as (ReturnType<typeof loadSodiumNative> & { randombytes_buf(b: Uint8Array): void }) | null;
  if (sodium === null) {
    console.log('sodium-native does not load here: nothing to compare');
    return;
  }
  const binding = createRequire(import.meta.url)('sodium-native/binding.js') as OneShot;
  const key = sodium.sodium_malloc(32);
  sodium.randombytes_buf(key);
  const hasher = createNameHasher(key);
  const out = Buffer.alloc(16);
  for (const length of [20, 100, 200]) {
    const request = Buffer.concat([Buffer.from(`*3\r\n$4\r\nSADD\r\n$5\r\nmyset\r\n$${length}\r\n`), Buffer.alloc(length, 0x61), Buffer.from('\r\n')]);
    const start = request.length - 2 - length;
    const candidates: [string, () => void][] = [
      ['crypto_generichash (one-shot)', () => binding.crypto_generichash(out.buffer, out.byteOffset, 16, request.buffer, request.byteOffset + start, length, key.buffer, key.byteOffset, 32)],
      ['pre-keyed state (NameHasher)', () => hasher.digestRangeInto(request, start, length, out, 0)],
    ];
    const samples = candidates.map((): number[] => []);
    for (let r = -1; r < ROUNDS; r++) {
      candidates.forEach(([, fn], i) => {
        const t0 = process.hrtime.bigint();
        for (let n = 0; n < CALLS; n++) fn();
        if (r >= 0) samples[i]!.push(Number(process.hrtime.bigint() - t0) / CALLS);
      });
    }
    console.log(`${length}-byte member, ns per digest, medians of ${ROUNDS} rounds (min-max):`);
    candidates.forEach(([name], i) => console.log(`  ${name.padEnd(32)} ${range(summarize(samples[i]!))}`));
  }
  hasher.destroy();
}

main();
