// Seal+open cost per value: the libsodium-wrappers convenience API against sealkv's two
// backends (direct WASM-heap calls; sodium-native when it loads), for 32 B, 1 KiB and 64 KiB
// values. The server uses one backend for every size (--seal-backend). Interleaved rounds,
// medians (min–max) in nanoseconds per seal+open pair. Then, for 32 B, the floors under the two
// backends: the cipher alone in WASM, the addon's AEAD calls with fixed arguments, and an empty
// call into the addon. Writes bench/results/sealer.md.
//
//   node dist/bench/micro/sealer.js [--rounds 9]

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers';
import { WasmAead, type AeadBackend } from '../../src/seal/aead.js';
import { NativeAead, loadSodiumNative, type SodiumNativeBinding } from '../../src/seal/native-aead.js';
import { range, summarize, type Summary } from '../lib/stats.js';

const ROUNDS = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 9;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Nanoseconds per call of fn, over enough calls to take a few tens of milliseconds. */
function time(fn: () => void, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Interleaved rounds of every candidate (round -1 warms up and is not counted). */
function rounds(candidates: (() => void)[], iterations: number): Summary[] {
  const samples: number[][] = candidates.map(() => []);
  for (let r = -1; r < ROUNDS; r++) {
    candidates.forEach((fn, i) => {
      const ns = time(fn, iterations);
      if (r >= 0) samples[i]!.push(ns);
    });
  }
  return samples.map(summarize);
}

interface WasmHeap {
  _malloc(size: number): number;
  _crypto_aead_xchacha20poly1305_ietf_encrypt(...args: number[]): number;
  _crypto_aead_xchacha20poly1305_ietf_decrypt(...args: number[]): number;
}

/** The sodium-native addon's entry points measured below (memzero: the cheapest call it has). */
type AddonCalls = SodiumNativeBinding & { sodium_memzero(buf: Uint8Array): void };

export async function runSealerBench(): Promise<string[]> {
  await sodium.ready;
  const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const wasm = await WasmAead.create();
  const wasmKey = wasm.importKey(key);
  const sodiumNative = loadSodiumNative();
  const native: AeadBackend | null = sodiumNative ? new NativeAead(sodiumNative) : null;
  const nativeKey = native?.importKey(key);
  const nonce = sodium.randombytes_buf(24);
  // The sealer's associated data for a string value under a 9-byte key name, in a larger buffer.
  const ad = Buffer.alloc(256);
  const adLength = Buffer.from('\x01\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x09user:1234', 'latin1').copy(ad);

  const lines = [
    '| value | libsodium-wrappers API (ns/pair) | direct WASM (ns/pair) | sodium-native (ns/pair) |',
    '|---:|---:|---:|---:|',
  ];
  for (const size of [32, 1024, 64 * 1024]) {
    const plain = Buffer.from(sodium.randombytes_buf(size));
    const iterations = Math.max(200, Math.floor(4_000_000 / (size + 64)));
    // A sealed record as the server lays it out: 5-byte header, nonce, ciphertext and tag.
    const record = Buffer.alloc(5 + 24 + size + 16);
    record.set(nonce, 5);
    const opened = Buffer.alloc(size);
    const adBytes = ad.subarray(0, adLength);
    const pair = (backend: AeadBackend, handle: ReturnType<AeadBackend['importKey']>) => () => {
      backend.seal(record, 5, 29, plain, ad, adLength, handle);
      if (!backend.open(record, 5, 29, size + 16, ad, adLength, opened, 0, handle)) throw new Error('open failed');
    };
    const candidates = [
      () => {
        const c = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, adBytes, null, nonce, key);
        sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, adBytes, nonce, key);
      },
      pair(wasm, wasmKey),
      ...(native ? [pair(native, nativeKey!)] : []),
    ];
    const [api, direct, viaNative] = rounds(candidates, iterations);
    const label = size >= 1024 ? size / 1024 + ' KiB' : size + ' B';
    lines.push(`| ${label} | ${range(api!)} | ${range(direct!)} | ${viaNative ? range(viaNative) : 'not loaded'} |`);
  }
  lines.push('', ...floors(sodiumNative));
  return lines;
}

/** What neither backend can go below for a 32-byte value: the calls without sealkv's copies. */
function floors(sodiumNative: ReturnType<typeof loadSodiumNative>): string[] {
  const heap = (sodium as unknown as { libsodium: WasmHeap }).libsodium;
  const base = heap._malloc(256);
  // key, nonce, ad (23 B), plaintext (32 B), ciphertext (48 B), opened (32 B) at fixed places.
  const [k, n, a, m, c, o] = [base, base + 32, base + 56, base + 80, base + 112, base + 160];
  const candidates = [
    () => {
      heap._crypto_aead_xchacha20poly1305_ietf_encrypt(c, 0, m, 32, 0, a, 23, 0, 0, n, k);
      heap._crypto_aead_xchacha20poly1305_ietf_decrypt(o, 0, 0, c, 48, 0, a, 23, 0, n, k);
    },
  ];
  if (sodiumNative) {
    const b = createRequire(import.meta.url)('sodium-native/binding.js') as AddonCalls;
    const key = sodiumNative.sodium_malloc(32);
    const [nonce, ad, plain, cipher, opened, empty] = [24, 23, 32, 48, 32, 0].map((len) => Buffer.alloc(len));
    candidates.push(
      () => {
        b.crypto_aead_xchacha20poly1305_ietf_encrypt(cipher!, plain!, ad!, nonce!, key);
        b.crypto_aead_xchacha20poly1305_ietf_decrypt(opened!, cipher!, ad!, nonce!, key);
      },
      () => {
        b.sodium_memzero(empty!);
        b.sodium_memzero(empty!);
      },
    );
  }
  const [wasmCipher, nativeCalls, emptyCalls] = rounds(candidates, 400_000);
  return [
    '32 B floors (ns per pair, no copies, no views, fixed arguments):',
    '',
    '| what | ns/pair |',
    '|---|---:|',
    `| WASM: encrypt + decrypt calls into the heap | ${range(wasmCipher!)} |`,
    `| sodium-native: the addon's encrypt + decrypt, fixed Buffers | ${nativeCalls ? range(nativeCalls) : 'not loaded'} |`,
    `| sodium-native: two empty addon calls (sodium_memzero of 0 bytes) | ${emptyCalls ? range(emptyCalls) : 'not loaded'} |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const head = [
    '# sealkv sealer micro benchmark',
    '',
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}; node: ${process.version}`,
    `- XChaCha20-Poly1305-IETF seal+open per value, ${ROUNDS} interleaved rounds: median (min–max)`,
    '',
  ];
  const report = [...head, ...(await runSealerBench()), ''].join('\n');
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(`${ROOT}bench/results/sealer.md`, report);
  console.log(report);
}
