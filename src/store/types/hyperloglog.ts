// Redis's HyperLogLog (hyperloglog.c), byte for byte: MurmurHash64A with Redis's seed, 16384
// registers of 6 bits, the sparse (ZERO / XZERO / VAL opcodes) and dense encodings behind the
// 16-byte "HYLL" header with its cached cardinality, the same sparse edits and promotion rule,
// and Ertl's estimator as Redis computes it. A value written by redis-server counts the same
// here and the other way round, and the same PFADDs leave the same bytes.
// Pure: works on the plaintext of a string value; commands/strings/hyperloglog.ts opens and seals it.

import { plainBuffer } from '../../util/bytes.js';

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const ENCODING_AT = 4;
/** card[7]: its top bit marks the cached cardinality as stale. */
const CACHE_FLAG_AT = 15;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.72134752044448170368;
const SEED = 0xadc83b19;

// ---- MurmurHash64A on 32-bit halves (Redis's endian-neutral variant) ----

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/** Result of the last mul64 / murmur64a call, as two unsigned 32-bit halves. */
let outHi = 0;
let outLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into outHi:outLo. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  outLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  outHi = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** MurmurHash64A of data with a 32-bit seed; the hash is left in outHi:outLo. */
function murmur64aHalves(data: Uint8Array, seed: number): void {
  const len = data.length;
  mul64(0, len >>> 0, M_HI, M_LO);
  let hHi = outHi;
  let hLo = (outLo ^ seed) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let kLo = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    let kHi = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    mul64(kHi, kLo, M_HI, M_LO);
    kHi = outHi;
    kLo = (outLo ^ (outHi >>> 15)) >>> 0;
    mul64(kHi, kLo, M_HI, M_LO);
    hHi = (hHi ^ outHi) >>> 0;
    hLo = (hLo ^ outLo) >>> 0;
    mul64(hHi, hLo, M_HI, M_LO);
    hHi = outHi;
    hLo = outLo;
  }
  // The tail bytes, as Redis's fall-through switch takes them.
  const tail = len & 7;
  if (tail > 0) {
    for (let k = tail - 1; k >= 0; k--) {
      const byte = data[blocks + k]!;
      if (k >= 4) hHi ^= byte << ((k - 4) * 8);
      else hLo ^= byte << (k * 8);
    }
    mul64(hHi >>> 0, hLo >>> 0, M_HI, M_LO);
    hHi = outHi;
    hLo = outLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  mul64(hHi >>> 0, hLo, M_HI, M_LO);
  outLo = (outLo ^ (outHi >>> 15)) >>> 0;
}

/** MurmurHash64A as a bigint (tests, and anyone who wants the whole hash). */
export function murmur64a(data: Uint8Array, seed = SEED): bigint {
  murmur64aHalves(data, seed);
  return (BigInt(outHi) << 32n) | BigInt(outLo);
}

/** redis hllPatLen: the register an element falls in and the length of its 000..1 pattern. */
export function patternOf(element: Uint8Array): { index: number; count: number } {
  murmur64aHalves(element, SEED);
  const index = outLo & HLL_P_MASK;
  // hash >> P, with bit Q set so the run ends by bit Q.
  const lo = ((outLo >>> HLL_P) | (outHi << (32 - HLL_P))) >>> 0;
  const hi = ((outHi >>> HLL_P) | (1 << (HLL_Q - 32))) >>> 0;
  const count = lo !== 0 ? ctz32(lo) + 1 : ctz32(hi) + 33;
  return { index, count };
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

// ---- dense registers ----

function denseGet(b: Uint8Array, at: number, index: number): number {
  const byte = at + ((index * HLL_BITS) >> 3);
  const fb = (index * HLL_BITS) & 7;
  const b0 = b[byte]!;
  const b1 = byte + 1 < b.length ? b[byte + 1]! : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSet(b: Uint8Array, at: number, index: number, value: number): void {
  const byte = at + ((index * HLL_BITS) >> 3);
  const fb = (index * HLL_BITS) & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte]! & ~(HLL_REGISTER_MAX << fb)) | (value << fb);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(HLL_REGISTER_MAX >> fb8)) | (value >> fb8);
}

// ---- sparse opcodes ----

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, len: number): number => (((value - 1) << 2) | (len - 1)) | 0x80;

/** Whether plain is a value the HLL commands accept (redis isHLLObjectOrReply). */
export function isHll(plain: Uint8Array): boolean {
  if (plain.length < HLL_HDR_SIZE) return false;
  if (plain[0] !== 0x48 || plain[1] !== 0x59 || plain[2] !== 0x4c || plain[3] !== 0x4c) return false;
  const encoding = plain[ENCODING_AT]!;
  if (encoding > HLL_MAX_ENCODING) return false;
  return encoding !== HLL_DENSE || plain.length === HLL_DENSE_SIZE;
}

/**
 * An HLL value being edited: its plaintext in a buffer of its own with room to grow. Bytes past
 * `length` stay zero, as Redis's sds terminator is (its sparse code reads one byte past the end).
 * Every buffer it drops is wiped; call wipe() when done with it.
 */
export class Hll {
  private buf: Buffer;
  length: number;

  private constructor(buf: Buffer, length: number) {
    this.buf = buf;
    this.length = length;
  }

  /** A new empty HLL, sparse, as PFADD creates it: one XZERO opcode for all the registers. */
  static create(): Hll {
    const h = new Hll(plainBuffer(64), HLL_HDR_SIZE + 2);
    h.buf.write('HYLL', 0, 'latin1');
    h.buf[ENCODING_AT] = HLL_SPARSE;
    const len = SPARSE_XZERO_MAX_LEN - 1;
    h.buf[HLL_HDR_SIZE] = (len >> 8) | 0x40;
    h.buf[HLL_HDR_SIZE + 1] = len & 0xff;
    return h;
  }

  /** Takes plain (checked with isHll) for editing; plain is wiped if it has to move. */
  static from(plain: Buffer): Hll {
    const h = new Hll(plain, plain.length);
    h.reserve(8);
    return h;
  }

  /** The value's bytes (a view; valid until the next edit). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  get encoding(): number {
    return this.buf[ENCODING_AT]!;
  }

  wipe(): void {
    this.buf.fill(0);
  }

  /** redis hllAdd: 1 if a register changed, 0 if not, -1 for a corrupt sparse value. */
  add(element: Uint8Array, sparseMax: number): number {
    const { index, count } = patternOf(element);
    return this.set(index, count, sparseMax);
  }

  /**
   * Raises register `index` to `count` (redis hllDenseSet / hllSparseSet): 1 if it changed, 0
   * if not, -1 for a corrupt sparse value. A sparse value past `sparseMax` bytes, or a count the
   * sparse form cannot hold, is promoted to dense first.
   */
  set(index: number, count: number, sparseMax: number): number {
    if (this.encoding === HLL_DENSE) return this.denseRaise(index, count);
    return this.sparseSet(index, count, sparseMax);
  }

  private denseRaise(index: number, count: number): number {
    if (count <= denseGet(this.bytes, HLL_HDR_SIZE, index)) return 0;
    denseSet(this.bytes, HLL_HDR_SIZE, index, count);
    return 1;
  }

  private sparseSet(index: number, count: number, sparseMax: number): number {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promote(index, count);
    this.reserve(8);
    const b = this.buf;
    let p = HLL_HDR_SIZE;
    let end = this.length;
    let first = 0;
    let prev = -1;
    let span = 0;
    // Step 1: find the opcode that covers the register.
    while (p < end) {
      let oplen = 1;
      const op = b[p]!;
      if (isZero(op)) span = zeroLen(op);
      else if (isVal(op)) span = valLen(op);
      else {
        span = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;
    let next = isXZero(b[p]!) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const op = b[p]!;
    const zero = isZero(op);
    const xzero = isXZero(op);
    let updated = false;
    // Step 2: the easy cases, in place.
    if (!zero && !xzero) {
      if (valValue(op) >= count) return 0;
      if (valLen(op) === 1) {
        b[p] = valOp(count, 1);
        updated = true;
      }
    }
    if (!updated && zero && zeroLen(op) === 1) {
      b[p] = valOp(count, 1);
      updated = true;
    }
    if (!updated) {
      // Step 3: split the opcode into up to three (XZERO - VAL - XZERO is the longest, 5 bytes).
      const seq: number[] = [];
      const last = first + span - 1;
      const zeros = (len: number): void => {
        if (len > SPARSE_ZERO_MAX_LEN) seq.push(((len - 1) >> 8) | 0x40, (len - 1) & 0xff);
        else seq.push(len - 1);
      };
      if (zero || xzero) {
        if (index !== first) zeros(index - first);
        seq.push(valOp(count, 1));
        if (index !== last) zeros(last - index);
      } else {
        const current = valValue(op);
        if (index !== first) seq.push(valOp(current, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(current, last - index));
      }
      const delta = seq.length - (xzero ? 2 : 1);
      if (delta > 0 && this.length + delta > sparseMax) return this.promote(index, count);
      if (delta !== 0 && next >= 0) b.copyWithin(next + delta, next, end);
      this.resize(this.length + delta);
      for (let i = 0; i < seq.length; i++) b[p + i] = seq[i]!;
      end += delta;
    }
    // Step 4: merge adjacent VAL opcodes of the same value, up to 5 opcodes from prev.
    p = prev >= 0 ? prev : HLL_HDR_SIZE;
    let scan = 5;
    while (p < end && scan-- !== 0) {
      const cur = b[p]!;
      if (isXZero(cur)) {
        p += 2;
        continue;
      }
      if (isZero(cur)) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(b[p + 1]!)) {
        const v1 = valValue(cur);
        if (v1 === valValue(b[p + 1]!)) {
          const len = valLen(cur) + valLen(b[p + 1]!);
          if (len <= SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end + 1);
            this.resize(this.length - 1);
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    return this.denseRaise(index, count);
  }

  /** redis hllSparseToDense: false (and nothing changed) for a corrupt sparse value. */
  toDense(): boolean {
    if (this.encoding === HLL_DENSE) return true;
    const dense = plainBuffer(HLL_DENSE_SIZE + 8);
    this.buf.copy(dense, 0, 0, HLL_HDR_SIZE);
    dense[ENCODING_AT] = HLL_DENSE;
    const registers = dense.subarray(0, HLL_DENSE_SIZE);
    let idx = 0;
    const b = this.buf;
    for (let p = HLL_HDR_SIZE; p < this.length; ) {
      const op = b[p]!;
      let run: number;
      if (isZero(op)) run = zeroLen(op);
      else if (isXZero(op)) run = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
      else run = valLen(op);
      // Any opcode past the last register makes the value corrupt (Redis's CVE-2025-32023 fix).
      if (run + idx > HLL_REGISTERS) {
        idx = -1;
        break;
      }
      if (isVal(op)) for (let k = 0; k < run; k++) denseSet(registers, HLL_HDR_SIZE, idx + k, valValue(op));
      idx += run;
      p += isXZero(op) ? 2 : 1;
    }
    if (idx !== HLL_REGISTERS) {
      dense.fill(0);
      return false;
    }
    this.buf.fill(0);
    this.buf = dense;
    this.length = HLL_DENSE_SIZE;
    return true;
  }

  /** Register values into max where larger (redis hllMerge); false for a corrupt sparse value. */
  mergeInto(max: Uint8Array): boolean {
    return mergeRegisters(this.bytes, max);
  }

  /** The cached cardinality (as the header holds it, whatever wrote it), or null when it is stale. */
  cachedCount(): bigint | null {
    const b = this.buf;
    if (b[CACHE_FLAG_AT]! & 0x80) return null;
    return b.readBigUInt64LE(8);
  }

  setCachedCount(n: number): void {
    let v = n;
    for (let i = 0; i < 8; i++) {
      this.buf[8 + i] = v % 256;
      v = Math.floor(v / 256);
    }
  }

  invalidateCache(): void {
    this.buf[CACHE_FLAG_AT] = this.buf[CACHE_FLAG_AT]! | 0x80;
  }

  /** The estimate (redis hllCount), or -1 for a corrupt sparse value. */
  count(): number {
    return countOf(this.bytes);
  }

  /** Makes room for `extra` bytes past the length (zero-filled). */
  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = plainBuffer(Math.max(this.length + extra, this.buf.length * 2, 64));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf.fill(0);
    this.buf = grown;
  }

  /** New length; bytes past it are zeroed (sds keeps its terminator). */
  private resize(length: number): void {
    if (length < this.length) this.buf.fill(0, length, this.length);
    this.length = length;
  }
}

/** Every register of an HLL value (dense or sparse) raised into max; false if corrupt. */
export function mergeRegisters(plain: Uint8Array, max: Uint8Array): boolean {
  if (plain[ENCODING_AT] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(plain, HLL_HDR_SIZE, i);
      if (v > max[i]!) max[i] = v;
    }
    return true;
  }
  let i = 0;
  for (let p = HLL_HDR_SIZE; p < plain.length; ) {
    const op = plain[p]!;
    let run: number;
    if (isZero(op)) run = zeroLen(op);
    else if (isXZero(op)) run = (((op & 0x3f) << 8) | (p + 1 < plain.length ? plain[p + 1]! : 0)) + 1;
    else run = valLen(op);
    // Any opcode past the last register makes the value corrupt (Redis's CVE-2025-32023 fix).
    if (run + i > HLL_REGISTERS) return false;
    if (isVal(op)) {
      const value = valValue(op);
      for (let k = i; k < i + run; k++) if (value > max[k]!) max[k] = value;
    }
    i += run;
    p += isXZero(op) ? 2 : 1;
  }
  return i === HLL_REGISTERS;
}

/** The registers of an HLL value, one byte each (PFDEBUG GETREG); null if corrupt. */
export function registersOf(plain: Uint8Array): Uint8Array | null {
  const out = plainBuffer(HLL_REGISTERS);
  if (mergeRegisters(plain, out)) return out;
  out.fill(0);
  return null;
}

/** redis hllCount for a stored value (dense or sparse): the estimate, or -1 if corrupt. */
export function countOf(plain: Uint8Array): number {
  const histogram = new Float64Array(64);
  if (plain[ENCODING_AT] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) histogram[denseGet(plain, HLL_HDR_SIZE, i)]!++;
  } else {
    let idx = 0;
    for (let p = HLL_HDR_SIZE; p < plain.length; ) {
      const op = plain[p]!;
      if (isZero(op)) {
        const run = zeroLen(op);
        idx += run;
        histogram[0] += run;
        p++;
      } else if (isXZero(op)) {
        const run = (((op & 0x3f) << 8) | (p + 1 < plain.length ? plain[p + 1]! : 0)) + 1;
        idx += run;
        histogram[0] += run;
        p += 2;
      } else {
        const run = valLen(op);
        idx += run;
        histogram[valValue(op)] += run;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return -1;
  }
  return estimate(histogram);
}

/** redis hllCount over raw one-byte registers (PFCOUNT of several keys). */
export function countRegisters(registers: Uint8Array): number {
  const histogram = new Float64Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histogram[registers[i]! & 63]!++;
  return estimate(histogram);
}

/** Ertl's estimator from the register histogram, in doubles as Redis computes it. */
function estimate(histogram: Float64Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histogram[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histogram[j]!;
    z *= 0.5;
  }
  z += m * sigma(histogram[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** PFDEBUG DECODE's text of a sparse value: "Z:16384", "z:3 v:2,1 ...". */
export function decodeSparse(plain: Uint8Array): string {
  const parts: string[] = [];
  for (let p = HLL_HDR_SIZE; p < plain.length; ) {
    const op = plain[p]!;
    if (isZero(op)) {
      parts.push(`z:${zeroLen(op)}`);
      p++;
    } else if (isXZero(op)) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (p + 1 < plain.length ? plain[p + 1]! : 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLen(op)}`);
      p++;
    }
  }
  return parts.join(' ');
}

/** Dense register access for tests and PFSELFTEST. */
export const dense = { get: denseGet, set: denseSet };
