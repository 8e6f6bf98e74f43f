// RESP2/RESP3 encoder. Replies of one read event are appended to one growing buffer and
// leave in a single socket write (ARCHITECTURE convention 7). Byte lengths come from Buffers,
// never from string.length, so multi-byte text is framed correctly.
//
// Plaintext hygiene: the staging buffer itself is handed to the socket (no copy); once the
// kernel has the bytes it is zeroed and goes back to a pool shared by all connections (sent(),
// or recycle() when the write completed later).

import { integerTextBound, writeInteger } from '../util/decimal.js';
import { formatDouble17 } from '../util/double-text.js';
import { giveShared, isShared } from '../util/shared-pool.js';

export type Protocol = 2 | 3;

const DOLLAR = 0x24;
const STAR = 0x2a;

/** Prebuilt replies for the hottest answers (redis `createSharedObjects`). */
export const Shared = {
  ok: Buffer.from('+OK\r\n'),
  pong: Buffer.from('+PONG\r\n'),
  queued: Buffer.from('+QUEUED\r\n'),
  zero: Buffer.from(':0\r\n'),
  one: Buffer.from(':1\r\n'),
  emptyArray: Buffer.from('*0\r\n'),
  nullBulk2: Buffer.from('$-1\r\n'),
  nullArray2: Buffer.from('*-1\r\n'),
  null3: Buffer.from('_\r\n'),
};

export interface ErrorCounter {
  /** `counted` false: the command failed, but the error was counted already (see ReplyWriter.error). */
  countError(message: string, counted?: boolean): void;
}

const STAGING_BYTES = 16 * 1024;
/** What a connection holds while it has nothing staged. */
const NO_BUFFER = Buffer.alloc(0);
/** A staging buffer and the last view staged() made of it, reused while the length repeats. */
interface Staging extends Buffer {
  lastView?: Buffer;
}
/** Muted bytes kept before the next write drops them (offsets handed out stay valid: see reserve). */
const MUTED_KEPT = 16 * 1024;
/**
 * Wiped staging buffers kept for reuse, shared by all connections (the process is
 * single-threaded). A connection takes one only while it has replies to send: one serves every
 * pipeline-1 connection in turn, and each connection whose replies wait for the end of the turn
 * holds one until then (up to 16 MiB kept idle).
 */
const spares: Buffer[] = [];
const MAX_SPARES = 1024;
/**
 * Larger staging buffers (powers of two from 32 KiB to 4 MiB) kept wiped for reuse, per size,
 * up to SPARE_LARGE_BYTES in all: a pipeline of 16 KiB GETs stages ~256 KiB per write, and
 * allocating (and letting the GC find) a fresh buffer per write cost more than the copies.
 */
const LARGE_MAX = 4 * 1024 * 1024;
const SPARE_LARGE_BYTES = 32 * 1024 * 1024;
const largeSpares = new Map<number, Buffer[]>();
let largeSpareBytes = 0;

/**
 * A staging buffer of our own: allocUnsafeSlow of at least 16 KiB is never a slice of Node's
 * shared pool nor inside the V8 heap, so zeroing it reaches the only copy of its bytes.
 */
function stagingBuffer(size: number): Buffer {
  if (size === STAGING_BYTES) return spares.pop() ?? Buffer.allocUnsafeSlow(size);
  const kept = largeSpares.get(size)?.pop();
  if (kept !== undefined) {
    largeSpareBytes -= size;
    return kept;
  }
  return Buffer.allocUnsafeSlow(size);
}

/** Keeps a wiped staging buffer (`whole`, the ArrayBuffer take() handed out) for reuse if it is one of ours. */
function keepSpare(whole: ArrayBuffer): void {
  const size = whole.byteLength;
  if (size === STAGING_BYTES) {
    if (spares.length < MAX_SPARES) spares.push(Buffer.from(whole));
    return;
  }
  if (size > LARGE_MAX || (size & (size - 1)) !== 0 || size < STAGING_BYTES || largeSpareBytes + size > SPARE_LARGE_BYTES) return;
  let list = largeSpares.get(size);
  if (list === undefined) largeSpares.set(size, (list = []));
  list.push(Buffer.from(whole));
  largeSpareBytes += size;
}

export class ReplyWriter {
  protocol: Protocol = 2;
  /**
   * How far the buffer may grow (the connection's hard output limit, less what already waits
   * in the socket). Past it onOverflow runs once and later replies are dropped, never
   * buffered: the connection is closed before it writes again (Redis CLIENT_CLOSE_ASAP).
   */
  cap = Infinity;
  onOverflow: (() => void) | null = null;
  /** Error replies written on this connection: what tells a command that waited it failed. */
  errorsSent = 0;
  private dropping = false;
  private buf: Buffer;
  private len = 0;
  /** Where the reply being dropped (CLIENT REPLY OFF / SKIP) starts, or -1 when nothing is. */
  private mutedFrom = -1;
  /** The most bytes staged for one write so far (CLIENT LIST rbp=). */
  peak = 0;
  /**
   * The buffer size the last write needed: when this write outgrows the first buffer, it jumps
   * there at once instead of doubling (and copying) its way up again.
   */
  private lastNeed = 0;

  constructor(
    private readonly errors: ErrorCounter,
    private readonly initialSize = STAGING_BYTES,
  ) {
    this.buf = NO_BUFFER;
  }

  /** Bytes that will be sent: what was written, less a muted reply in progress. */
  get size(): number {
    return this.mutedFrom < 0 ? this.len : this.mutedFrom;
  }

  /** Bytes of staging memory held (CLIENT LIST rbs=). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Nothing written from here on is sent, until unmute() (CLIENT REPLY OFF / SKIP). */
  mute(): void {
    if (this.mutedFrom < 0) this.mutedFrom = this.len;
  }

  /** Whether a reply is being dropped (CLIENT REPLY OFF / SKIP): pushes lift it for themselves. */
  get muted(): boolean {
    return this.mutedFrom >= 0;
  }

  /** Drops (zeroed) whatever was written while muted and writes normally again. */
  unmute(): void {
    if (this.mutedFrom < 0) return;
    this.truncate(this.mutedFrom);
    this.mutedFrom = -1;
  }

  /**
   * Hands over everything written so far, without copying: the caller writes it to the socket
   * and passes it to recycle() once the write has completed. Writing goes on in a fresh buffer.
   */
  take(): Buffer {
    const out = this.staged();
    this.handOff();
    return out;
  }

  /**
   * The bytes to send as a view of the staging buffer, without giving the buffer up: then
   * sent() if the kernel took them at once (nearly always), else handOff() before anything
   * else is written. The same view serves while the length repeats (one reply per request).
   */
  staged(): Buffer {
    const n = this.size;
    if (n > this.peak) this.peak = n;
    const buf = this.buf as Staging;
    let view = buf.lastView;
    if (view === undefined || view.length !== n) view = buf.lastView = buf.subarray(0, n);
    return view;
  }

  /**
   * What staged() returned is with the kernel: the bytes are wiped and the buffer goes back to
   * the pool as it is (no new Buffer object per write, as recycle() makes), its view kept with it
   * for the next connection that stages a reply of that length. A buffer grown past the
   * standard size goes back to its own pool.
   */
  sent(): void {
    const buf = this.buf;
    if (buf.length !== STAGING_BYTES) return ReplyWriter.recycle(this.take());
    Uint8Array.prototype.fill.call(buf, 0, 0, this.len);
    this.len = 0;
    this.lastNeed = buf.length;
    this.buf = NO_BUFFER;
    if (this.mutedFrom >= 0) this.mutedFrom = 0;
    if (spares.length < MAX_SPARES) spares.push(buf);
  }

  /** What staged() returned is the pending write's now (it recycles it): the next reply takes another buffer. */
  handOff(): void {
    // Muted bytes are never sent: drop them now; muting goes on in the fresh buffer.
    const muted = this.mutedFrom >= 0;
    if (muted) this.truncate(this.mutedFrom);
    this.lastNeed = this.buf.length;
    this.buf = NO_BUFFER;
    this.len = 0;
    if (muted) this.mutedFrom = 0;
  }

  /**
   * Zeroes a buffer take() handed out (its write is done) and keeps it for later replies; a
   * shared-memory body written apart (Client.sendSharedBulk) goes back to its pool.
   */
  static recycle(out: Buffer): void {
    if (isShared(out)) return giveShared(out);
    out.fill(0);
    if (out.byteOffset === 0 && out.buffer instanceof ArrayBuffer) keepSpare(out.buffer);
  }

  /** Drops what was written since `mark` (used when a queued reply must be replaced). */
  truncate(mark: number): void {
    if (mark >= this.len) return; // dropping replies reset len below an earlier mark
    // Uint8Array's fill: Buffer's checks its arguments in JS first (a script's every redis.call ends here).
    Uint8Array.prototype.fill.call(this.buf, 0, mark, this.len);
    this.len = mark;
  }

  /** Whether replies are being dropped because the output limit was passed. */
  get overflowed(): boolean {
    return this.dropping;
  }

  /**
   * A reply of about n bytes is coming (a large value a worker will open): true if it would pass
   * the cap, in which case replies are dropped from now on and onOverflow runs, as reserve()
   * would do once the bytes came, so the connection closes without waiting for them.
   */
  overflowsWith(n: number): boolean {
    if (this.dropping) return true;
    if (this.size + n <= this.cap) return false;
    this.dropping = true;
    this.onOverflow?.();
    return true;
  }

  private reserve(n: number): void {
    // A muted reply is dropped as it grows: a muted EXEC of large GETs never piles up.
    if (this.mutedFrom >= 0 && this.len - this.mutedFrom > MUTED_KEPT) this.truncate(this.mutedFrom);
    let need = this.len + n;
    // Checked before the room is: a reply that fits the buffer it has may still pass the hard limit (Redis counts it as built).
    if (need > this.cap && !this.dropping) {
      this.dropping = true;
      this.onOverflow?.();
    }
    if (need <= this.buf.length && !this.dropping) return;
    if (this.dropping) {
      // Nobody will read these bytes: reuse the buffer from its start instead of growing it.
      this.buf.fill(0, 0, this.len);
      this.len = 0;
      need = n;
      if (need <= this.buf.length) return;
    }
    // A connection holds staging memory only while it has replies to send (see sent()).
    let size = this.buf.length === 0 ? this.initialSize : Math.max(this.buf.length * 2, this.lastNeed);
    if (size < need) size = Math.max(size * 2, this.lastNeed);
    while (size < need) size *= 2;
    const next = stagingBuffer(size);
    if (this.buf.length > 0) {
      this.buf.copy(next, 0, 0, this.len);
      ReplyWriter.recycle(this.buf.subarray(0, this.len));
    }
    this.buf = next;
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.reserve(n);
    // The shared replies (+OK, :1, $-1 ...) by hand: TypedArray.set is a call into a builtin,
    // dearer than a few stores for every SET's +OK.
    if (n <= 8) {
      const buf = this.buf;
      const at = this.len;
      for (let i = 0; i < n; i++) buf[at + i] = bytes[i]!;
    } else this.buf.set(bytes, this.len);
    this.len += n;
  }

  private ascii(s: string): void {
    this.reserve(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  /**
   * "<prefix><n>\r\n" for a non-negative integer, written byte by byte: the bulk and array
   * headers of every reply, without building a string and calling into write() for each.
   * `then` bytes more are reserved with it (what the caller writes next: one check, not two).
   */
  private header(prefix: number, n: number, then = 0): void {
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.reserve(digits + 3 + then);
    const buf = this.buf;
    buf[this.len] = prefix;
    let at = this.len + digits;
    for (let rest = n; at > this.len; rest = Math.floor(rest / 10)) buf[at--] = 0x30 + (rest % 10);
    buf[this.len + digits + 1] = 0x0d;
    buf[this.len + digits + 2] = 0x0a;
    this.len += digits + 3;
  }

  private crlf(): void {
    this.reserve(2);
    // Two stores: writeUInt16BE checks its arguments in JS first, and every bulk reply ends here.
    this.buf[this.len] = 0x0d;
    this.buf[this.len + 1] = 0x0a;
    this.len += 2;
  }

  ok(): void {
    this.raw(Shared.ok);
  }

  simple(s: string): void {
    this.ascii('+' + scrub(s) + '\r\n');
  }

  /**
   * `counted` false for an error that was counted where it arose (a script's reply of an error
   * its redis.call met: Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE); the command still failed.
   */
  error(message: string, counted = true): void {
    this.errors.countError(message, counted);
    this.errorsSent++;
    this.ascii('-' + scrub(trimLines(message)) + '\r\n');
  }

  integer(n: number | bigint): void {
    if (n === 0) this.raw(Shared.zero);
    else if (n === 1) this.raw(Shared.one);
    // Written byte by byte (a counter's new value never becomes a string here).
    else if (typeof n === 'number' && Number.isSafeInteger(n)) {
      if (n > 0) return this.header(0x3a, n);
      this.reserve(1);
      this.buf[this.len++] = 0x3a;
      this.header(0x2d, -n);
    } else if (typeof n === 'bigint') {
      // A 64-bit counter past 2^53: its digits as bytes too.
      this.reserve(integerTextBound(n) + 3);
      this.buf[this.len++] = 0x3a;
      this.len += writeInteger(n, this.buf, this.len);
      this.crlf();
    } else this.ascii(':' + n + '\r\n');
  }

  /** A binary-safe bulk string; null is the protocol's null. */
  bulk(value: Uint8Array | null): void {
    if (value === null) return this.nullBulk();
    this.header(DOLLAR, value.length);
    this.raw(value);
    this.crlf();
  }

  /** A bulk string from text, encoded as UTF-8 (its byte length, not its character count). */
  bulkText(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.ascii('$' + bytes + '\r\n');
    this.reserve(bytes + 2);
    this.len += this.buf.write(text, this.len, 'utf8');
    this.crlf();
  }

  /** Key names are kept as latin1 strings (one char per byte), so this round-trips binary keys. */
  bulkLatin1(text: string): void {
    this.ascii('$' + text.length + '\r\n');
    this.ascii(text);
    this.crlf();
  }

  /**
   * Starts a bulk reply of `length` bytes that the caller fills in place (a value opened
   * straight into the reply, no intermediate plaintext buffer): returns the offset in
   * `staging` to write at; finish with endBulk(), or truncate(mark) to abandon it.
   */
  beginBulk(length: number): number {
    this.header(DOLLAR, length, length + 2);
    return this.len;
  }

  endBulk(length: number): void {
    this.len += length;
    this.crlf();
  }

  /** Only the header of a bulk of `length` bytes, whose body is written apart (Client.sendSharedBulk); bulkEnd() after it. */
  bulkHeader(length: number): void {
    this.header(DOLLAR, length);
  }

  bulkEnd(): void {
    this.crlf();
  }

  /**
   * Room for `length` bytes of ready-made RESP that the caller writes in place (a stream
   * entry's sealed fields opened straight into the reply): returns the offset in `staging`;
   * finish with endRaw(), or truncate(mark) to abandon it.
   */
  beginRaw(length: number): number {
    this.reserve(length);
    return this.len;
  }

  endRaw(length: number): void {
    this.len += length;
  }

  /** The staging buffer beginBulk() offsets point into; valid until the next write call. */
  get staging(): Buffer {
    return this.buf;
  }

  nullBulk(): void {
    this.raw(this.protocol === 3 ? Shared.null3 : Shared.nullBulk2);
  }

  nullArray(): void {
    this.raw(this.protocol === 3 ? Shared.null3 : Shared.nullArray2);
  }

  arrayLen(n: number): void {
    if (n === 0) this.raw(Shared.emptyArray);
    else this.header(STAR, n);
  }

  /** RESP3 map header; RESP2 clients get a flat array of 2n elements. */
  mapLen(n: number): void {
    if (this.protocol === 3) this.ascii('%' + n + '\r\n');
    else this.arrayLen(n * 2);
  }

  /** RESP3 set header; RESP2 clients get an array. */
  setLen(n: number): void {
    if (this.protocol === 3) this.ascii('~' + n + '\r\n');
    else this.arrayLen(n);
  }

  /** RESP3 double; RESP2 clients get the same text as a bulk string, as Redis does. */
  double(d: number): void {
    // Whole scores (most of them: ranks, timestamps, counters) byte by byte, as integer() does:
    // "%.17g" prints a safe integer as its digits. -0 takes the text path ("-0").
    if (Number.isSafeInteger(d) && !Object.is(d, -0)) return this.wholeDouble(d);
    const text = formatDouble(d);
    if (this.protocol === 3) this.ascii(',' + text + '\r\n');
    else this.bulkText(text);
  }

  /** double() of a safe integer: ",<n>\r\n" (RESP3) or "$<len>\r\n<n>\r\n". */
  private wholeDouble(d: number): void {
    const negative = d < 0;
    const n = negative ? -d : d;
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    const width = digits + (negative ? 1 : 0);
    if (this.protocol === 3) {
      this.reserve(1 + width + 2);
      this.buf[this.len++] = 0x2c;
    } else {
      this.header(DOLLAR, width, width + 2);
    }
    const buf = this.buf;
    if (negative) buf[this.len] = 0x2d;
    let at = this.len + width - 1;
    for (let rest = n; at >= this.len + width - digits; rest = Math.floor(rest / 10)) buf[at--] = 0x30 + (rest % 10);
    buf[this.len + width] = 0x0d;
    buf[this.len + width + 1] = 0x0a;
    this.len += width + 2;
  }

  boolean(b: boolean): void {
    if (this.protocol === 3) this.ascii(b ? '#t\r\n' : '#f\r\n');
    else this.integer(b ? 1 : 0);
  }

  /** RESP3 verbatim string (INFO, CLIENT LIST); a plain bulk string under RESP2. */
  verbatim(text: string): void {
    if (this.protocol !== 3) return this.bulkText(text);
    const bytes = Buffer.byteLength(text) + 4;
    this.ascii('=' + bytes + '\r\ntxt:');
    this.reserve(bytes + 2);
    this.len += this.buf.write(text, this.len, 'utf8');
    this.crlf();
  }
}

/** CR/LF at either end dropped, as Redis's addReplyErrorFormat does (sdstrim) before it maps the rest. */
function trimLines(s: string): string {
  const last = s.charCodeAt(s.length - 1);
  const first = s.charCodeAt(0);
  return last === 0x0d || last === 0x0a || first === 0x0d || first === 0x0a ? s.replace(/^[\r\n]+|[\r\n]+$/g, '') : s;
}

/** Error and status lines must stay on one line whatever the user put in them. */
function scrub(s: string): string {
  return s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s;
}

/** Redis 7.0's double text (addReplyDouble: "%.17g"), with inf/-inf/nan spelled the Redis way. */
export function formatDouble(d: number): string {
  return formatDouble17(d);
}
