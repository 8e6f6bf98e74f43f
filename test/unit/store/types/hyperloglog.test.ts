// Redis's HyperLogLog on plaintext: the hash, the two encodings, promotion and the estimate.
// Bytes and counts produced by redis-server 7.0 for the same inputs are checked in
// test/functional/hyperloglog.test.ts; here the parts are checked against their definitions.

import { describe, expect, it } from 'vitest';
import {
  countOf, countRegisters, decodeSparse, Hll, HLL_DENSE, HLL_DENSE_SIZE, HLL_REGISTERS, HLL_SPARSE, isHll, mergeRegisters, murmur64a, patternOf,
} from '../../../../src/store/types/hyperloglog.js';

const M = 0xc6a4a7935bd1e995n;
const MASK = 2n ** 64n - 1n;

/** MurmurHash64A straight from its definition, in bigints. */
function referenceMurmur(data: Uint8Array, seed: bigint): bigint {
  const mul = (a: bigint, b: bigint) => (a * b) & MASK;
  let h = (seed ^ mul(BigInt(data.length), M)) & MASK;
  const blocks = data.length - (data.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data[i + j]!);
    k = mul(k, M);
    k ^= k >> 47n;
    k = mul(k, M);
    h ^= k;
    h = mul(h, M);
  }
  const tail = data.length & 7;
  if (tail > 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]!) << BigInt(8 * j);
    h = mul(h, M);
  }
  h ^= h >> 47n;
  h = mul(h, M);
  h ^= h >> 47n;
  return h;
}

describe('MurmurHash64A', () => {
  it('matches the bigint definition for every length up to 40 and random bytes', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    for (let len = 0; len <= 40; len++) {
      for (let round = 0; round < 20; round++) {
        const data = Uint8Array.from({ length: len }, rand);
        expect(murmur64a(data)).toBe(referenceMurmur(data, 0xadc83b19n));
      }
    }
  });

  it('gives a register index and a run length of 1..51', () => {
    for (let i = 0; i < 2000; i++) {
      const { index, count } = patternOf(Buffer.from(`element:${i}`));
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(HLL_REGISTERS);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(51);
    }
  });
});

describe('Hll', () => {
  it('starts sparse, one XZERO opcode for every register', () => {
    const h = Hll.create();
    expect(h.bytes.toString('latin1', 0, 4)).toBe('HYLL');
    expect(h.encoding).toBe(HLL_SPARSE);
    expect(h.bytes.length).toBe(18);
    expect(decodeSparse(h.bytes)).toBe('Z:16384');
    expect(isHll(h.bytes)).toBe(true);
    expect(countOf(h.bytes)).toBe(0);
  });

  it('counts a sparse and a dense copy of the same elements alike, within the error bound', () => {
    const sparse = Hll.create();
    const dense = Hll.create();
    dense.toDense();
    expect(dense.bytes.length).toBe(HLL_DENSE_SIZE);
    for (let i = 0; i < 5000; i++) {
      const e = Buffer.from(`e${i}`);
      sparse.add(e, 1_000_000);
      dense.add(e, 1_000_000);
    }
    expect(sparse.encoding).toBe(HLL_SPARSE);
    expect(sparse.count()).toBe(dense.count());
    expect(Math.abs(dense.count() - 5000)).toBeLessThan(5000 * 0.05);
  });

  it('is promoted to dense when the sparse form passes hll-sparse-max-bytes', () => {
    const h = Hll.create();
    let i = 0;
    while (h.encoding === HLL_SPARSE) h.add(Buffer.from(`x${i++}`), 300);
    expect(h.encoding).toBe(HLL_DENSE);
    expect(h.bytes.length).toBe(HLL_DENSE_SIZE);
    expect(i).toBeLessThan(300);
  });

  it('adding an element twice changes nothing the second time', () => {
    const h = Hll.create();
    expect(h.add(Buffer.from('a'), 3000)).toBe(1);
    expect(h.add(Buffer.from('a'), 3000)).toBe(0);
  });

  it('keeps the cached cardinality in the header, its top bit marking it stale', () => {
    const h = Hll.create();
    expect(h.cachedCount()).toBe(0n);
    h.invalidateCache();
    expect(h.cachedCount()).toBeNull();
    h.setCachedCount(1234);
    expect(h.cachedCount()).toBe(1234n);
  });

  it('merges registers and counts the union', () => {
    const a = Hll.create();
    const b = Hll.create();
    for (let i = 0; i < 100; i++) a.add(Buffer.from(`a${i}`), 3000);
    for (let i = 0; i < 100; i++) b.add(Buffer.from(`b${i}`), 3000);
    b.toDense();
    const max = new Uint8Array(HLL_REGISTERS);
    expect(mergeRegisters(a.bytes, max)).toBe(true);
    expect(mergeRegisters(b.bytes, max)).toBe(true);
    expect(Math.abs(countRegisters(max) - 200)).toBeLessThan(10);
  });

  it('refuses what is not an HLL and detects corrupt sparse values', () => {
    expect(isHll(Buffer.from('HYLL'))).toBe(false);
    expect(isHll(Buffer.from('HYLX\x01\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(false);
    expect(isHll(Buffer.from('HYLL\x02\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(false);
    expect(isHll(Buffer.from('HYLL\x00\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(false);
    // A sparse value covering too few registers.
    const short = Buffer.from('HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x41\x00', 'latin1');
    expect(isHll(short)).toBe(true);
    expect(countOf(short)).toBe(-1);
    const h = Hll.from(Buffer.from(short));
    expect(h.toDense()).toBe(false);
    expect(mergeRegisters(short, new Uint8Array(HLL_REGISTERS))).toBe(false);
  });
});
