// Keyed BLAKE2b-128 of a short input with the key block compressed once, not per call. Keyed
// BLAKE2b compresses the padded key as its first block, then the input: two compressions for a
// member of a few bytes, and the first is the same every time. libsodium's API has no call for
// "the state after the key block", so one is made by hand: init with the key, update with 129
// bytes (libsodium buffers up to two blocks and compresses the first only when more arrives),
// then the buffered filler is dropped (buflen = 0). Per digest, the state's chaining value and
// counters are copied into a work state, the input written into its block buffer, and
// crypto_generichash_final does the one remaining compression: one addon call of 6 arguments
// instead of crypto_generichash's 9 and two compressions. The result is bit-identical to
// crypto_generichash(out16, input, key); that is checked when the state is made, and any
// mismatch (another libsodium state layout) leaves the caller on crypto_generichash. The empty
// input is not covered: its key block is the last block, compressed as such (see covers()).

import type { SodiumNative } from './native-aead.js';

/** The addon's incremental BLAKE2b entry points: each buffer as (ArrayBuffer, offset, length). */
export interface GenericHashStateBinding {
  crypto_generichash_STATEBYTES: number;
  crypto_generichash(
    out: ArrayBufferLike, outOffset: number, outLength: number,
    input: ArrayBufferLike, inputOffset: number, inputLength: number,
    key: ArrayBufferLike, keyOffset: number, keyLength: number,
  ): number;
  crypto_generichash_init(
    state: ArrayBufferLike, stateOffset: number, stateLength: number,
    key: ArrayBufferLike, keyOffset: number, keyLength: number, outLength: number,
  ): number;
  crypto_generichash_update(
    state: ArrayBufferLike, stateOffset: number, stateLength: number,
    input: ArrayBufferLike, inputOffset: number, inputLength: number,
  ): number;
  crypto_generichash_final(
    state: ArrayBufferLike, stateOffset: number, stateLength: number,
    out: ArrayBufferLike, outOffset: number, outLength: number,
  ): number;
}

/** libsodium's blake2b_state (blake2.h, packed): h[8], t[2], f[2] (96 bytes), buf[256], buflen (size_t). */
const CHAIN_BYTES = 96;
const BUF_AT = 96;
/** The block buffer holds two blocks: an input of up to 256 bytes goes in whole. */
export const PREKEYED_MAX_INPUT = 256;
const BUFLEN_AT = 352;
const COUNTER_AT = 64;
const BLOCK_BYTES = 128;
/** Inputs up to this long are copied into the state byte by byte (no subarray to allocate). */
const SHORT = 64;

export class PrekeyedBlake2b {
  /** The state final() works on, then the digest it writes: read back from here, so no caller's `.buffer` is asked for (a C++ getter, ~40 ns). */
  private readonly work: Buffer;
  private readonly workMemory: ArrayBuffer;
  private readonly workOffset: number;
  private readonly workWords: Uint32Array;
  private readonly chain: Buffer;
  private readonly stateBytes: number;
  /**
   * The addon's final(), held here: the binding object has hundreds of properties (a dictionary
   * object), so reading the function from it per call is a generic property lookup (LoadIC).
   */
  private readonly finalize: GenericHashStateBinding['crypto_generichash_final'];

  private constructor(
    private readonly sodium: SodiumNative,
    private readonly binding: GenericHashStateBinding,
    private readonly keyed: Buffer,
    private readonly outBytes: number,
  ) {
    this.stateBytes = keyed.length;
    this.finalize = binding.crypto_generichash_final;
    this.chain = keyed.subarray(0, CHAIN_BYTES);
    // sodium_malloc fills with garbage: buflen's upper half and last_node must read 0.
    this.work = sodium.sodium_malloc(this.stateBytes + outBytes).fill(0);
    this.workMemory = this.work.buffer as ArrayBuffer;
    this.workOffset = this.work.byteOffset;
    this.workWords = new Uint32Array(this.workMemory, this.workOffset, this.stateBytes >>> 2);
  }

  /**
   * The pre-keyed state for `key` (kept, like the key, in sodium_malloc memory), or null when this
   * libsodium's state does not look as expected or a check digest differs from crypto_generichash.
   */
  static create(sodium: SodiumNative, binding: GenericHashStateBinding, key: Buffer, outBytes: number): PrekeyedBlake2b | null {
    const size = binding.crypto_generichash_STATEBYTES;
    if (typeof size !== 'number' || size < BUFLEN_AT + 9 || size % 4 !== 0) return null;
    const keyed = sodium.sodium_malloc(size);
    const filler = new Uint8Array(BLOCK_BYTES + 1);
    if (
      binding.crypto_generichash_init(keyed.buffer, keyed.byteOffset, size, key.buffer, key.byteOffset, key.length, outBytes) !== 0 ||
      binding.crypto_generichash_update(keyed.buffer, keyed.byteOffset, size, filler.buffer, 0, filler.length) !== 0
    ) {
      sodium.sodium_memzero(keyed);
      return null;
    }
    // Where the layout is the expected one: one block counted, the filler's tail left in the buffer.
    const view = new DataView(keyed.buffer, keyed.byteOffset, size);
    const laidOut = view.getBigUint64(COUNTER_AT, true) === BigInt(BLOCK_BYTES) && view.getBigUint64(BUFLEN_AT, true) === BigInt(BLOCK_BYTES + 1);
    keyed.fill(0, BUF_AT, BUFLEN_AT + 8);
    const hasher = new PrekeyedBlake2b(sodium, binding, keyed, outBytes);
    if (!laidOut || !hasher.agreesWithOneShot(key)) {
      hasher.destroy();
      return null;
    }
    return hasher;
  }

  /** Whether an input of `length` bytes can be digested here: it fits the block buffer and is not empty. */
  static covers(length: number): boolean {
    return length > 0 && length <= PREKEYED_MAX_INPUT;
  }

  /** The digest of src[start, start + length) (a length that covers() accepts) into out[at, at + outBytes). */
  digestRange(src: Uint8Array, start: number, length: number, out: Uint8Array, at: number): void {
    const work = this.work;
    work.set(this.chain, 0);
    if (length <= SHORT) for (let i = 0; i < length; i++) work[BUF_AT + i] = src[start + i]!;
    else work.set(src.subarray(start, start + length), BUF_AT);
    this.workWords[BUFLEN_AT >>> 2] = length;
    // final compresses the buffered input, then wipes the chaining value and the buffer (the input).
    const memory = this.workMemory;
    const offset = this.workOffset;
    const digestAt = this.stateBytes;
    if (this.finalize(memory, offset, digestAt, memory, offset + digestAt, this.outBytes) !== 0) {
      throw new Error('crypto_generichash_final failed');
    }
    for (let i = 0; i < this.outBytes; i++) out[at + i] = work[digestAt + i]!;
  }

  /** Inputs of every length class (one byte, one block, exactly two, around the block edge) hash as the one-shot call does. */
  private agreesWithOneShot(key: Buffer): boolean {
    const outBytes = this.outBytes;
    const input = new Uint8Array(PREKEYED_MAX_INPUT);
    for (let i = 0; i < input.length; i++) input[i] = (i * 131 + 7) & 0xff;
    const expected = new Uint8Array(outBytes);
    const got = new Uint8Array(outBytes);
    for (const length of [1, 20, SHORT, SHORT + 1, BLOCK_BYTES - 1, BLOCK_BYTES, BLOCK_BYTES + 1, PREKEYED_MAX_INPUT - 1, PREKEYED_MAX_INPUT]) {
      this.binding.crypto_generichash(expected.buffer, 0, outBytes, input.buffer, 0, length, key.buffer, key.byteOffset, key.length);
      this.digestRange(input, 0, length, got, 0);
      for (let i = 0; i < outBytes; i++) if (got[i] !== expected[i]) return false;
    }
    return true;
  }

  /** Wipes the key-derived state and the work state. */
  destroy(): void {
    this.sodium.sodium_memzero(this.keyed);
    this.sodium.sodium_memzero(this.work);
  }
}
