// Large string values sealed as independent chunks (format version 2, laid out in sealer.ts),
// so that the work of a command is bounded by what it touches: SETRANGE re-seals the chunks its
// bytes fall in, APPEND the last chunk and the new ones, GETRANGE opens only the chunks it
// returns. Whole-value paths (GET, RENAME...) open every chunk.
//
// Each chunk's associated data is the value's context (written by SealedValues) followed by
//   value id (16) | chunk index (u32) | last chunk? (1 byte)
// so a chunk moved to another position, another value (even of the same key) or made the last
// one (a value cut short) fails to open. The value id stays the same across edits; an older copy
// of a chunk of the same value is refused where values leave the process (the spill tier checks
// each record's digest); in memory, whoever can write the process can change anything anyway.
//
// Edits work in place. A value sealed whole (SET) lives in memory of exactly its size, as a seal
// worker's values do: a resizable ArrayBuffer is mapped, committed and faulted in afresh each
// time (~125 µs for 256 KiB, 490 µs for 1 MiB on this machine, nearly the AEAD's own cost)
// where plain memory is reused from the allocator (~1 µs). The first edit that grows a value
// moves it into a resizable ArrayBuffer reserving (address space only, nothing committed) twice
// its size, so later APPENDs grow it where it lies: only growth past the reservation copies the
// value, once per doubling. Memory holds exactly the value's bytes (a growable one's rounded up
// to a page), as memory accounting counts.

import { randomFillSync } from 'node:crypto';
import { plainBuffer } from '../util/bytes.js';
import { workerReading } from './worker-reads.js';
import {
  CHUNK_PLAIN, CHUNK_SEALED, CHUNKED, CHUNKED_HEADER, HEADER_BYTES, OVERHEAD, SealError, Sealer, VALUE_ID_AT, VALUE_ID_BYTES,
} from './sealer.js';

/** Bytes a chunk's context adds to the value's. */
export const CHUNK_CONTEXT = VALUE_ID_BYTES + 5;
/** Never written: the plaintext of a chunk that lies wholly in a zero-filled gap. */
const ZERO_CHUNK = new Uint8Array(CHUNK_PLAIN);
/** A value may grow in place to this multiple of the size it had when last allocated. */
const RESERVE_FACTOR = 2;

/** ES2024 resizable ArrayBuffers (Node 20 has them; the project's TypeScript lib predates them). */
interface Resizable extends ArrayBuffer {
  readonly resizable: boolean;
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}
const ResizableBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Resizable;

/** Sealed bytes of a chunked value of `length` plaintext bytes. */
export function chunkedSize(length: number): number {
  return CHUNKED_HEADER + length + Math.ceil(length / CHUNK_PLAIN) * OVERHEAD;
}

/** Bytes of a value at a plaintext offset (sealPieces). */
export interface Piece {
  at: number;
  bytes: Uint8Array;
}

const chunkAt = (i: number): number => CHUNKED_HEADER + i * CHUNK_SEALED;
const chunkPlain = (i: number, length: number): number => Math.min(CHUNK_PLAIN, length - i * CHUNK_PLAIN);

/** The plaintext length of a chunked value, after checking its layout; throws SealError. */
function lengthOf(sealed: Buffer): number {
  if (sealed.length < CHUNKED_HEADER + OVERHEAD + 1 || sealed[0] !== CHUNKED) throw new SealError('unknown sealed format');
  const length = Sealer.chunkedLength(sealed);
  if (length < 1 || chunkedSize(length) !== sealed.length) throw new SealError('chunked value of the wrong size');
  return length;
}

/**
 * A buffer of `size` bytes able to grow in place up to `reserve`; a plain one when the address
 * space cannot be reserved (V8 caps reservations): that value then copies when it grows.
 */
function allocate(size: number, reserve: number): Buffer {
  try {
    return Buffer.from(new ResizableBuffer(size, { maxByteLength: Math.max(size, reserve) }));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    return Buffer.allocUnsafeSlow(size);
  }
}

/** Whether sealed can grow in place to `size` bytes: it ends its own resizable buffer, which has room. */
function growsInPlace(sealed: Buffer, size: number): boolean {
  const memory = sealed.buffer as Resizable;
  return (
    memory.resizable === true &&
    sealed.byteOffset + sealed.length === memory.byteLength &&
    sealed.byteOffset + size <= memory.maxByteLength
  );
}

export class ChunkedValues {
  /** One chunk of plaintext for partial reads and rotation; wiped after every use. */
  private scratch: Buffer | null = null;

  constructor(private readonly sealer: Sealer) {}

  /**
   * Seals plain as a chunked value under a fresh value id. The caller wrote the value's context
   * (contextLength bytes) with room for CHUNK_CONTEXT more.
   */
  seal(plain: Uint8Array, contextLength: number, into?: Buffer): Buffer {
    return this.sealPieces(plain.length, [{ at: 0, bytes: plain }], contextLength, into);
  }

  /**
   * Seals a value of `length` bytes that is zeros but for `pieces` (a later piece written over
   * an earlier one) under a fresh value id: SETRANGE or SETBIT far past the end of a value too
   * short to be chunked makes no plaintext of the value's size (a 512 MB gap was 512 MB to
   * fill and wipe). A chunk no piece touches is sealed from ZERO_CHUNK, like any other chunk.
   */
  sealPieces(length: number, pieces: readonly Piece[], contextLength: number, into?: Buffer): Buffer {
    if (into !== undefined && into.length !== chunkedSize(length)) throw new RangeError('chunked value buffer of the wrong size');
    // `into`: a seal worker's output, transferred back to the event loop (seal-workers.ts).
    // Otherwise plain memory, not zeroed: the header and the chunks below write every byte of it.
    const out = into ?? Buffer.allocUnsafeSlow(chunkedSize(length));
    out[0] = CHUNKED;
    out.writeUInt32BE(this.sealer.currentKeyId, 1);
    randomFillSync(out, VALUE_ID_AT, VALUE_ID_BYTES);
    Sealer.writeChunkedLength(out, length);
    this.sealChunksOf(out, length, pieces, contextLength, false);
    return out;
  }

  /**
   * Writes pieces into a value a seal worker sealed as all zeros a moment ago (sealPieces with
   * none, offload.ts), re-sealing only the chunks they touch under its value id: SETRANGE far
   * past the end with the gap's AEAD off the event loop. The caller knows it holds zeros.
   */
  writeIntoZeros(sealed: Buffer, pieces: readonly Piece[], contextLength: number): Buffer {
    this.sealChunksOf(sealed, lengthOf(sealed), pieces, contextLength, true);
    return sealed;
  }

  /** Seals every chunk of out from pieces over zeros (only those pieces touch when `touchedOnly`). */
  private sealChunksOf(out: Buffer, length: number, pieces: readonly Piece[], contextLength: number, touchedOnly: boolean): void {
    this.useValueId(out, contextLength);
    const n = Math.ceil(length / CHUNK_PLAIN);
    let scratch: Buffer | null = null;
    try {
      for (let i = 0; i < n; i++) {
        const from = i * CHUNK_PLAIN;
        const to = from + chunkPlain(i, length);
        let plain: Uint8Array = ZERO_CHUNK.subarray(0, to - from);
        let touched = 0;
        for (const p of pieces) if (p.at < to && p.at + p.bytes.length > from) touched++;
        if (touched === 0 && touchedOnly) continue;
        const only = touched === 1 ? pieces.find((p) => p.at < to && p.at + p.bytes.length > from)! : null;
        if (only !== null && only.at <= from && only.at + only.bytes.length >= to) {
          plain = only.bytes.subarray(from - only.at, to - only.at);
        } else if (touched > 0) {
          scratch = this.scratchChunk();
          scratch.fill(0);
          for (const p of pieces) {
            const a = Math.max(from, p.at);
            const b = Math.min(to, p.at + p.bytes.length);
            if (a < b) scratch.set(p.bytes.subarray(a - p.at, b - p.at), a - from);
          }
          plain = scratch.subarray(0, to - from);
        }
        this.sealChunk(plain, contextLength, i, i === n - 1, out);
      }
    } finally {
      scratch?.fill(0);
    }
  }

  /** Opens the whole value into target at offset (Sealer.plainLength bytes); throws SealError. */
  openAll(sealed: Buffer, contextLength: number, target: Uint8Array, offset: number): void {
    this.openRange(sealed, contextLength, 0, lengthOf(sealed), target, offset);
  }

  /**
   * Opens plaintext bytes [from, to) into target at offset, opening only the chunks they lie in:
   * whole chunks straight into target, the partial ones at the ends through a wiped scratch.
   */
  openRange(sealed: Buffer, contextLength: number, from: number, to: number, target: Uint8Array, offset: number): void {
    const length = lengthOf(sealed);
    if (from < 0 || to > length || from >= to) return;
    this.useValueId(sealed, contextLength);
    try {
      this.openChunks(sealed, contextLength, length, from, to, target, offset);
    } catch (err) {
      // Chunks before the one that failed were opened already: no plaintext stays behind.
      target.fill(0, offset, offset + to - from);
      throw err;
    }
  }

  private openChunks(sealed: Buffer, contextLength: number, length: number, from: number, to: number, target: Uint8Array, offset: number): void {
    const n = Math.ceil(length / CHUNK_PLAIN);
    for (let i = Math.floor(from / CHUNK_PLAIN); i * CHUNK_PLAIN < to; i++) {
      const start = i * CHUNK_PLAIN;
      const size = chunkPlain(i, length);
      if (from <= start && start + size <= to) {
        this.openChunk(sealed, contextLength, i, n, length, target, offset + start - from);
        continue;
      }
      const scratch = this.scratchChunk();
      try {
        this.openChunk(sealed, contextLength, i, n, length, scratch, 0);
        const a = Math.max(from, start) - start;
        const b = Math.min(to, start + size) - start;
        target.set(scratch.subarray(a, b), offset + start + a - from);
      } finally {
        scratch.fill(0);
      }
    }
  }

  /**
   * Writes bytes at offset (zero-filling any gap past the end, as SETRANGE; APPEND is offset =
   * length) and returns the value: the same memory when `inPlace` and its reservation allows,
   * else a new buffer. Only the chunks the bytes touch are opened and re-sealed (for a value
   * that grows, from its old last chunk on). Nothing is written if a chunk fails to open.
   */
  edit(sealed: Buffer, contextLength: number, offset: number, bytes: Uint8Array, inPlace: boolean): Buffer {
    const length = lengthOf(sealed);
    // A value a worker is opening for a GET is not changed in place: the GET could see old and
    // new chunks that each open.
    if (workerReading(sealed)) inPlace = false;
    if (bytes.length === 0) return sealed;
    const newLength = Math.max(length, offset + bytes.length);
    const n = Math.ceil(length / CHUNK_PLAIN);
    const newN = Math.ceil(newLength / CHUNK_PLAIN);
    const grows = newLength > length;
    const first = grows ? Math.min(Math.floor(offset / CHUNK_PLAIN), n - 1) : Math.floor(offset / CHUNK_PLAIN);
    const last = grows ? newN - 1 : Math.floor((offset + bytes.length - 1) / CHUNK_PLAIN);
    // Chunks [n, gapEnd) lie wholly in the zero-filled gap before offset: sealed from ZERO_CHUNK,
    // with no room in the window (SETRANGE k 536870911 x on a chunked value: 8191 of them).
    const gapEnd = Math.max(n, Math.floor(offset / CHUNK_PLAIN));
    const gap = gapEnd - n;
    const windowAt = (i: number): number => (i < gapEnd ? i - first : i - first - gap) * CHUNK_PLAIN;
    const window = plainBuffer((last - first + 1 - gap) * CHUNK_PLAIN);
    try {
      this.useValueId(sealed, contextLength);
      for (let i = first; i <= last && i < n; i++) {
        this.openChunk(sealed, contextLength, i, n, length, window, windowAt(i));
      }
      const at = Math.floor(offset / CHUNK_PLAIN);
      window.set(bytes, windowAt(at) + offset - at * CHUNK_PLAIN);
      const size = chunkedSize(newLength);
      let out = sealed;
      if (inPlace && size > sealed.length && growsInPlace(sealed, size)) {
        const memory = sealed.buffer as Resizable;
        memory.resize(sealed.byteOffset + size);
        out = Buffer.from(memory, sealed.byteOffset, size);
      } else if (!inPlace || size > sealed.length) {
        out = allocate(size, RESERVE_FACTOR * size);
        // What the edit leaves alone: the header and the chunks before and after it.
        sealed.copy(out, 0, 0, chunkAt(first));
        if (last + 1 < n) sealed.copy(out, chunkAt(last + 1), chunkAt(last + 1));
      }
      Sealer.writeChunkedLength(out, newLength);
      for (let i = first; i <= last; i++) {
        // A gap chunk is never the last one: the new bytes end after it.
        if (i >= n && i < gapEnd) this.sealChunk(ZERO_CHUNK, contextLength, i, false, out);
        else this.sealChunk(window.subarray(windowAt(i), windowAt(i) + chunkPlain(i, newLength)), contextLength, i, i === newN - 1, out);
      }
      return out;
    } finally {
      window.fill(0);
    }
  }

  /**
   * Re-seals, in place, up to `budget` chunks not under the current key (key rotation), and
   * once none is left marks the value as wholly under it: a caller with budget left over sees
   * Sealer.keyId(value) still old and calls again. A chunk that fails to open is left as it was
   * and the others are still renewed; SealError is thrown at the end then (the old mark stays).
   */
  renew(sealed: Buffer, contextLength: number, budget: number): Buffer {
    const length = lengthOf(sealed);
    const n = Math.ceil(length / CHUNK_PLAIN);
    const current = this.sealer.currentKeyId;
    this.useValueId(sealed, contextLength);
    const scratch = this.scratchChunk();
    let failed = false;
    let left = false;
    try {
      for (let i = 0; i < n; i++) {
        if (Sealer.keyId(sealed.subarray(chunkAt(i), chunkAt(i) + OVERHEAD)) === current) continue;
        if (budget-- <= 0) {
          left = true;
          break;
        }
        const size = chunkPlain(i, length);
        try {
          this.openChunk(sealed, contextLength, i, n, length, scratch, 0);
        } catch (err) {
          if (!(err instanceof SealError)) throw err;
          failed = true;
          continue;
        }
        this.sealChunk(scratch.subarray(0, size), contextLength, i, i === n - 1, sealed);
      }
    } finally {
      scratch.fill(0);
    }
    if (failed) throw new SealError('authentication failed');
    if (!left) sealed.writeUInt32BE(current, 1);
    return sealed;
  }

  /** Writes the value id into the context's chunk part (index and last flag follow per chunk). */
  private useValueId(sealed: Buffer, contextLength: number): void {
    const ad = this.sealer.contextArea(contextLength + CHUNK_CONTEXT);
    sealed.copy(ad, HEADER_BYTES + contextLength, VALUE_ID_AT, VALUE_ID_AT + VALUE_ID_BYTES);
  }

  private chunkContext(contextLength: number, index: number, last: boolean): number {
    const ad = this.sealer.contextArea(contextLength + CHUNK_CONTEXT);
    const at = HEADER_BYTES + contextLength + VALUE_ID_BYTES;
    ad.writeUInt32BE(index, at);
    ad[at + 4] = last ? 1 : 0;
    return contextLength + CHUNK_CONTEXT;
  }

  private sealChunk(plain: Uint8Array, contextLength: number, index: number, last: boolean, out: Buffer): void {
    this.sealer.sealAt(plain, this.chunkContext(contextLength, index, last), out, chunkAt(index));
  }

  private openChunk(sealed: Buffer, contextLength: number, index: number, n: number, length: number, target: Uint8Array, offset: number): void {
    const size = OVERHEAD + chunkPlain(index, length);
    this.sealer.openAt(target, offset, sealed, chunkAt(index), size, this.chunkContext(contextLength, index, index === n - 1));
  }

  private scratchChunk(): Buffer {
    return (this.scratch ??= plainBuffer(CHUNK_PLAIN));
  }
}
