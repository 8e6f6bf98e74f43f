// One key's value as bytes, for DUMP/RESTORE (and later snapshots): a version byte, the Kind,
// then what the type's codec writes (src/persistence/codecs.ts). The bytes are plaintext: they
// live only in a PayloadWriter/PayloadReader buffer of memory of its own, which is wiped as soon
// as it is sealed (seal/transport.ts) or the value is rebuilt from it. Elements come in opened
// by the caller (the command layer owns opening and sealing) and go out sealed for their new home.

import type { HashContext, ListpackLimits } from '../commands/hashes/hash-fields.js';
import type { Kind } from '../store/entry.js';
import type { Purpose } from '../seal/values.js';

/** The layout version written first; a payload of another version is refused. */
export const PAYLOAD_VERSION = 1;

/** Malformed payload contents (RESTORE answers "Bad data format"). */
export class PayloadError extends Error {}

/** A growable plaintext buffer outside the V8 heap; every buffer it drops is wiped first. */
export class PayloadWriter {
  private buf: Buffer;
  private at = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.from(new ArrayBuffer(capacity));
  }

  get length(): number {
    return this.at;
  }

  /** The bytes written so far, as a view (valid until the next write or wipe). */
  view(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  /** Room for n more bytes; returns where they go. Read `this.buf` only after calling it (it may grow). */
  private reserve(n: number): number {
    const at = this.at;
    if (at + n > this.buf.length) {
      const bigger = Buffer.from(new ArrayBuffer(Math.max(this.buf.length * 2, at + n)));
      this.buf.copy(bigger, 0, 0, at);
      this.buf.fill(0);
      this.buf = bigger;
    }
    this.at = at + n;
    return at;
  }

  u8(n: number): void {
    const at = this.reserve(1);
    this.buf[at] = n;
  }

  u32(n: number): void {
    const at = this.reserve(4);
    this.buf.writeUInt32BE(n, at);
  }

  f64(n: number): void {
    const at = this.reserve(8);
    this.buf.writeDoubleBE(n, at);
  }

  /** A 128-bit id (stream ids). */
  u128(n: bigint): void {
    const at = this.reserve(16);
    this.buf.writeBigUInt64BE(n >> 64n, at);
    this.buf.writeBigUInt64BE(n & 0xffffffffffffffffn, at + 8);
  }

  /** Length-prefixed bytes. */
  bytes(b: Uint8Array): void {
    this.u32(b.length);
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }

  /** Length-prefixed bytes of a latin1 string (a name the store keeps as latin1 text). */
  latin1(s: string): void {
    this.u32(s.length);
    const at = this.reserve(s.length);
    this.buf.write(s, at, 'latin1');
  }

  /** Opens an element into the buffer, length-prefixed; `open` gives a fresh plaintext buffer, wiped here. */
  opened(plain: Buffer): void {
    try {
      this.bytes(plain);
    } finally {
      plain.fill(0);
    }
  }

  /** Overwrites the u32 written at `at` (a length known only once what follows is written). */
  patchU32(at: number, n: number): void {
    this.buf.writeUInt32BE(n, at);
  }

  /**
   * Length-prefixed bytes that `write` puts straight into the buffer at `at` (`n` of them): a
   * sealed name opened in place, without a plaintext copy of its own.
   */
  fillWith(n: number, write: (target: Buffer, at: number) => void): void {
    this.u32(n);
    const at = this.reserve(n);
    write(this.buf, at);
  }

  wipe(): void {
    this.buf.fill(0, 0, this.at);
    this.at = 0;
  }
}

/** Reads a payload's plaintext; every read is bounds-checked (PayloadError). */
export class PayloadReader {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.at === this.buf.length;
  }

  private take(n: number): number {
    const at = this.at;
    if (n < 0 || at + n > this.buf.length) throw new PayloadError('payload truncated');
    this.at = at + n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)]!;
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  /** A count of items of at least `minBytes` each: bounded by what is left, so a bad count cannot loop long. */
  count(minBytes: number): number {
    const n = this.u32();
    if (n * minBytes > this.buf.length - this.at) throw new PayloadError('bad count');
    return n;
  }

  f64(): number {
    return this.buf.readDoubleBE(this.take(8));
  }

  u128(): bigint {
    const at = this.take(16);
    return (this.buf.readBigUInt64BE(at) << 64n) | this.buf.readBigUInt64BE(at + 8);
  }

  /** Length-prefixed bytes as a view into the payload's plaintext (wiped with it). */
  bytes(): Buffer {
    const n = this.u32();
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  latin1(): string {
    return this.bytes().toString('latin1');
  }
}

/** Opens one sealed element of the value being dumped: fresh plaintext, the writer wipes it. Throws SealError. */
export type OpenElement = (sealed: Buffer, purpose: Purpose, bind: string | undefined) => Buffer;
/** Seals one element for the key being restored. Throws SealError. */
export type SealElement = (plain: Uint8Array, purpose: Purpose, bind: string | undefined) => Buffer;

/** What a codec needs to rebuild a value in its new home. */
export interface RestoreTools {
  seal: SealElement;
  /** Where the value is restored, for types that seal through their own access layer (hashes). */
  home: ValueHome;
  /** Keyed digest of a member (set, sorted set) into out at `at` (16 bytes). */
  digest(plain: Uint8Array, out: Uint8Array, at: number): void;
  now: number;
  /** stream-node-max-entries / -bytes. */
  streamLimits: { maxEntries: number; maxBytes: number };
}

/** The key a value is dumped from or restored to, with what its access layer needs. */
export interface ValueHome {
  ctx: HashContext;
  key: string;
  /** hash-max-listpack-entries / -value of the restoring server. */
  hashLimits: ListpackLimits;
}

/** One type's serialization: the one place that knows how its value is laid out in a payload. */
export interface TypeCodec<E> {
  readonly kind: Kind;
  write(entry: E, out: PayloadWriter, open: OpenElement, home: ValueHome): void;
  /** A new entry (not stored; no TTL) from the reader; throws PayloadError or SealError. */
  read(input: PayloadReader, tools: RestoreTools): E;
}
