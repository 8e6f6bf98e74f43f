// Seal+open cost per value: the libsodium-wrappers convenience API against sealkv's backends
// (direct WASM-heap calls, and sodium-native when it loads), for 32 B, 1 KiB and 64 KiB values.
// The server uses WASM below 256 B and native from there. Interleaved rounds, medians in
// nanoseconds per seal+open pair.
//
//   node dist/bench/micro/sealer.js [--rounds 9]

import sodium from 'libsodium-wrappers';
import { WasmAead, type AeadBackend } from '../../src/seal/aead.js';
import { NativeAead, loadSodiumNative } from '../../src/seal/native-aead.js';
import { range, summarize } from '../lib/stats.js';

const ROUNDS = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 9;

export async function runSealerBench(): Promise<string[]> {
  await sodium.ready;
  const aead = await WasmAead.create();
  const key = sodium.crypto_aead_xchacha20poly1305_ietf_keygen();
  const handle = aead.importKey(key);
  const sodiumNative = loadSodiumNative();
  const native: AeadBackend | null = sodiumNative ? new NativeAead(sodiumNative) : null;
  const nativeHandle = native?.importKey(key);
  const nonce = sodium.randombytes_buf(24);
  const ad = Buffer.from('\x01\x00\x00\x00\x00\x00\x00\x00\x08user:1234');

  const lines = [
    '| value | libsodium-wrappers API (ns/pair) | direct WASM (ns/pair) | sodium-native (ns/pair) | WASM speed-up | native speed-up |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const size of [32, 1024, 64 * 1024]) {
    const plain = Buffer.from(sodium.randombytes_buf(size));
    const iterations = Math.max(200, Math.floor(4_000_000 / (size + 64)));
    // A sealed record as the server lays it out: 5-byte header, nonce, ciphertext and tag.
    const record = Buffer.alloc(5 + 24 + size + 16);
    record.set(nonce, 5);
    const opened = Buffer.alloc(size);
    const wrapper = () => {
      const c = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, ad, null, nonce, key);
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, ad, nonce, key);
    };
    const direct = () => {
      aead.seal(record, 5, 29, plain, ad, ad.length, handle);
      aead.open(record, 5, 29, size + 16, ad, ad.length, opened, 0, handle);
    };
    const viaNative = () => {
      native!.seal(record, 5, 29, plain, ad, ad.length, nativeHandle!);
      native!.open(record, 5, 29, size + 16, ad, ad.length, opened, 0, nativeHandle!);
    };
    const time = (fn: () => void) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) fn();
      return Number(process.hrtime.bigint() - start) / iterations;
    };
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let r = -1; r < ROUNDS; r++) {
      // Round -1 warms up and is not counted.
      const ta = time(wrapper);
      const tb = time(direct);
      const tc = native ? time(viaNative) : NaN;
      if (r >= 0) {
        a.push(ta);
        b.push(tb);
        c.push(tc);
      }
    }
    const sa = summarize(a);
    const sb = summarize(b);
    const sc = summarize(c);
    const label = size >= 1024 ? size / 1024 + ' KiB' : size + ' B';
    const nativeCells = native ? [range(sc), (sa.median / sc.median).toFixed(2) + 'x'] : ['not loaded', 'n/a'];
    lines.push(`| ${label} | ${range(sa)} | ${range(sb)} | ${nativeCells[0]} | ${(sa.median / sb.median).toFixed(2)}x | ${nativeCells[1]} |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`XChaCha20-Poly1305 seal+open per value, ${ROUNDS} interleaved rounds (median, min–max):\n`);
  console.log((await runSealerBench()).join('\n'));
}
