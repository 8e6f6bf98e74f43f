// Resumable RESP request parser (multibulk and inline), modelled on redis processMultibulkBuffer:
// feed() bytes as they arrive, next() yields one command at a time as an array of Buffers that
// view the received bytes (no copies on the request path), null when more bytes are needed, or
// throws ProtocolError, after which the connection must be closed. nextArgs() is the same, except
// that a command of thousands of arguments may come whole as a vector (arg-list.ts).
//
// Plaintext hygiene: the caller reuses (and wipes) the memory it feeds, so after each read it
// calls detach(), which moves whatever the parser still needs (a half-received command) into
// buffers of the parser's own. Those own buffers are zeroed as soon as the commands that used
// them have run, and wipe() zeroes everything when the connection ends.
//
// Hostile input costs linear time and memory: each argument of a half-received command is
// copied out of the reads once (not once per read), a very large bulk's buffer grows as its
// bytes arrive (a bare "$536870000" header costs nothing), and every line that waits for its
// newline is cut at 64 KiB as in Redis.
//
// A large bulk up to BIG_EXACT_MAX (a 1 MiB SET's value) is gathered instead into pooled shared
// memory of its exact size, taken once from its header: no doubling, no fresh allocation, and a
// command may claim() it (a seal worker seals it where it is). A mid-size bulk (MID_BULK up) that
// a read cuts short is gathered the same way into pooled plain memory: copied once, instead of
// into a fresh buffer when the read ends and again into another joined with the next read. The
// pools' memory comes zeroed and goes back wiped.

import { plainBuffer } from '../util/bytes.js';
import { givePlain, giveShared, isPooledPlain, isShared, takePlain, takeShared } from '../util/shared-pool.js';
import type { ArgList } from './arg-list.js';
import { Errors } from './errors.js';
import { LongArgs } from './long-args.js';
import { RAW_MAX_ARGS, RawArgs } from './raw-args.js';

export class ProtocolError extends Error {}

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
}

/** Redis's PROTO_INLINE_MAX_SIZE: inline requests and count lines must fit in 64 KiB. */
export const INLINE_MAX = 64 * 1024;
/** Bulks at least this big are gathered straight into a buffer of their own, instead of re-copied per read. */
const BIG_BULK = 64 * 1024;
/** Bulks at least this big that a read cuts short are gathered into pooled plain memory (see the header). */
const MID_BULK = 4 * 1024;
/** Commands with at least this many arguments are gathered as LongArgs. */
const LONG_COMMAND = 1024;
/** Argument views a complete long command gets per call of next() (one event-loop turn). */
const VIEWS_PER_TURN = 32 * 1024;
/** A large bulk's buffer starts at this size (or the bytes at hand) and doubles as bytes arrive. */
const BIG_START = 256 * 1024;
/**
 * Bulks up to this size are gathered into pooled shared memory of their exact size at once. An
 * announced size costs address space before its bytes come (the pages are touched as they
 * arrive, or were already by an earlier value): bounded per connection by this.
 */
const BIG_EXACT_MAX = 16 * 1024 * 1024;
const INT_MAX = 2147483647;
const UNAUTH_MAX_ARGS = 10;
const UNAUTH_MAX_BULK = 16384;

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);

/**
 * An argument's view of the bytes it was read in: a Buffer in every respect (Buffer.prototype,
 * `constructor` Buffer, instanceof Buffer), built straight from the read's ArrayBuffer.
 * Buffer#subarray re-checks and adjusts both offsets on every call and cost twice as much: with
 * one view per argument it was the parser's largest cost (7 per XADD).
 */
class ArgView extends Uint8Array {}
Object.setPrototypeOf(ArgView.prototype, Buffer.prototype);
Object.defineProperty(ArgView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

/**
 * Between commands: frozen, so that a write into it (a bug) throws instead of leaking an
 * argument into the next command.
 */
const NO_ARGS: Buffer[] = Object.freeze([]) as unknown as Buffer[];

/**
 * An array for a command of `count` arguments, at that length (its slots are overwritten as the
 * arguments arrive). Literals for the usual short commands: [] and push() gave each one a
 * backing store of 17 slots, 40% of the bytes a GET allocated.
 */
function argSlots(count: number): Buffer[] {
  const e = EMPTY;
  switch (count) {
    case 1: return [e];
    case 2: return [e, e];
    case 3: return [e, e, e];
    case 4: return [e, e, e, e];
    case 5: return [e, e, e, e, e];
    case 6: return [e, e, e, e, e, e];
    case 7: return [e, e, e, e, e, e, e];
    case 8: return [e, e, e, e, e, e, e, e];
    default: return [];
  }
}

/**
 * One RawArgs for every connection: connections are parsed one at a time, and a RawArgs is
 * only valid until its read is wiped (detach()). One per connection was three more objects
 * (it and its two offset arrays) to bring into cache per request, with 1,000 connections a
 * miss each. A parser that finds it held (a connection served inside another's command, while
 * a script is busy) makes one of its own.
 */
const sharedRaw = new RawArgs();
let sharedRawTaken = false;

function takeRaw(): RawArgs {
  if (sharedRawTaken) return new RawArgs();
  sharedRawTaken = true;
  return sharedRaw;
}

export class RequestParser {
  /** Set by the connection while it still has to authenticate (Redis's stricter limits apply). */
  unauthenticated = false;
  /**
   * Whether a complete long command (named by its first argument) may be handed out whole by
   * nextArgs(), as a vector, rather than as an array of views made a slice per turn.
   */
  keepWhole: ((name: Buffer) => boolean) | null = null;
  /**
   * Whether a short command named by bytes[start, start + length) may come from nextArgs() as
   * RawArgs (offsets into the read, no view per argument: raw-args.ts); null: none may. What
   * it answers (falsy: no) is kept as the RawArgs' `command`, for the dispatcher not to look the
   * name up again.
   */
  rawCommand: ((bytes: Buffer, start: number, length: number) => unknown) | null = null;
  /** The RawArgs scanRaw() fills: the shared one (see takeRaw) until detach(), or this parser's own. */
  private raw: RawArgs | null = null;

  private buf: Buffer = EMPTY;
  /** buf's memory and where buf starts in it, for the argument views (ArgView). */
  private bufBytes = EMPTY.buffer as ArrayBuffer;
  private bufOffset = EMPTY.byteOffset;
  /** Whether buf is the parser's own memory (a join or a detached copy) rather than the caller's. */
  private bufOwned = false;
  private pos = 0;
  /** The part of the last read after the bytes that completed a split command (see feed). */
  private rest: Buffer | null = null;
  private argsLeft = 0;
  /**
   * The command being parsed: its arguments so far are the first argsFilled (the array is made
   * at its final length when the count is read: see argSlots).
   */
  private args: Buffer[] = NO_ARGS;
  private argsFilled = 0;
  /** How many of args (a command still arriving) already sit in `hold` rather than in a read. */
  private argsOwned = 0;
  /** Bytes of args: a half-received command counts against the query buffer limit. */
  private argsBytes = 0;
  /** Own buffers the arguments of the command still arriving live in (zeroed once it has run). */
  private hold: Buffer[] = [];
  /** A long command's arguments, copied out as they are parsed (null for other commands). */
  private long: LongArgs | null = null;
  private bulkLen = -1;
  /** A large bulk (with its CRLF) being gathered, grown as its bytes arrive, and how much has. */
  private big: Buffer | null = null;
  private bigHave = 0;
  /** Own buffers that commands already handed out may still read: zeroed once those have run. */
  private spent: Buffer[] = [];

  /**
   * proto-max-bulk-len and the like: one object for every connection of a server (client.ts
   * liveParserLimits), kept current by CONFIG SET, as Redis reads the limit at each bulk.
   */
  constructor(private readonly limits: ParserLimits) {}

  /** Bytes received but not yet turned into commands: what the query buffer limit counts. */
  get pending(): number {
    return this.argsBytes + this.unparsed;
  }

  /**
   * Memory the half-received command holds: as pending, but a large bulk counts the buffer
   * taken for it at its header (its whole length, up to BIG_EXACT_MAX), as Redis's query buffer
   * is sized for a big argument at once (the connection's memory, CLIENT LIST tot-mem).
   */
  get held(): number {
    const big = this.big;
    return big === null ? this.argsBytes + this.unparsed : this.argsBytes + big.length;
  }

  /**
   * Bytes not yet parsed into arguments (CLIENT LIST qbuf=): without the arguments of a
   * half-received command already taken out, as Redis counts its query buffer.
   */
  get unparsed(): number {
    if (this.big) return this.bigHave;
    return this.buf.length - this.pos + (this.rest ? this.rest.length : 0);
  }

  /**
   * A complete long command is still being turned into arguments: next() returned null but
   * must be called again (on a later turn) without waiting for more bytes.
   */
  get busy(): boolean {
    return this.long !== null && this.argsLeft === 0;
  }

  /** True when no partial command is held. */
  get idle(): boolean {
    return this.pending === 0 && this.argsLeft === 0;
  }

  feed(chunk: Buffer): void {
    this.bigEndedRead = false;
    if (this.big) {
      this.fillBig(chunk);
      return;
    }
    if (this.rest) this.detach();
    // Checked before taking a view: nearly every read starts on a command boundary, and a view
    // per read is ~100 bytes of garbage on every request at pipeline 1.
    if (this.pos === this.buf.length) {
      this.replaceBuf(chunk, false);
      return;
    }
    const leftover = this.buf.subarray(this.pos);
    // A unit (header line or bulk) was split across reads. Join only the bytes that complete
    // it and parse the rest of the read in place: copying whole reads made the parser slower
    // than redis-parser on pipelined traffic.
    const take = this.bytesToComplete(leftover, chunk);
    const joinLen = take <= 0 || take >= chunk.length ? chunk.length : take;
    const joined = plainBuffer(leftover.length + joinLen);
    leftover.copy(joined);
    chunk.copy(joined, leftover.length, 0, joinLen);
    this.replaceBuf(joined, true);
    this.rest = joinLen < chunk.length ? chunk.subarray(joinLen) : null;
  }

  /**
   * Makes the parser independent of every chunk fed so far, which the caller is about to reuse
   * or wipe: unconsumed bytes and the arguments of a half-received command are copied into
   * buffers of the parser's own. Commands already returned must have run (or own their
   * arguments) by now.
   */
  detach(): void {
    this.dropRaw();
    this.ownArgs();
    const tail = this.buf.length - this.pos;
    const restLength = this.rest ? this.rest.length : 0;
    if (!this.bufOwned || this.rest !== null) {
      if (tail + restLength === 0) {
        this.replaceBuf(EMPTY, false);
      } else {
        const own = plainBuffer(tail + restLength);
        this.buf.copy(own, 0, this.pos);
        if (this.rest) this.rest.copy(own, tail);
        this.replaceBuf(own, true);
      }
      this.rest = null;
    }
    this.wipeSpent();
  }

  /** Copies the arguments received since the last call out of the reads, into `hold`. */
  private ownArgs(): void {
    const args = this.args;
    const filled = this.argsFilled;
    if (this.argsOwned === filled) return;
    let size = 0;
    for (let i = this.argsOwned; i < filled; i++) size += args[i]!.length;
    const store = plainBuffer(size);
    let at = 0;
    for (let i = this.argsOwned; i < filled; i++) {
      const a = args[i]!;
      store.set(a, at);
      args[i] = store.subarray(at, (at += a.length));
    }
    this.hold.push(store);
    this.argsOwned = filled;
  }

  /**
   * Hands out the finished command (null while a long one is still being turned into
   * arguments: see busy); the buffers its arguments live in are zeroed once it has run.
   */
  private finishCommand(whole: boolean): ArgList | null {
    let cmd: ArgList = this.args;
    const long = this.long;
    if (long !== null) {
      if (whole && !long.materializing && this.keepWhole !== null && this.keepWhole(long.at(0)!)) {
        cmd = long;
      } else {
        if (!long.materialize(VIEWS_PER_TURN)) return null;
        cmd = long.args;
      }
      // The arena is wiped with the other own buffers once the command has run.
      this.spent.push(long.bytes);
      this.long = null;
    }
    this.args = NO_ARGS;
    this.argsFilled = 0;
    this.argsBytes = 0;
    // Only a command that outlived a read (or had a large bulk) has own buffers: the hot path skips this.
    if (this.hold.length !== 0) this.releaseHold();
    return cmd;
  }

  private releaseHold(): void {
    for (let i = 0; i < this.hold.length; i++) this.spent.push(this.hold[i]!);
    this.hold.length = 0;
    this.argsOwned = 0;
  }

  /**
   * Hands over a large bulk the parser gathered in shared memory (an argument of the command it
   * returned last), for the caller to give back with giveShared() once done: the parser no longer
   * wipes it. False for any other bytes (the caller copies those).
   */
  claim(arg: Uint8Array): boolean {
    if (!isShared(arg)) return false;
    return takeOut(this.spent, arg) || takeOut(this.hold, arg);
  }

  /** Zeroes and drops everything held: the connection is gone. */
  wipe(): void {
    this.dropRaw();
    this.wipeSpent();
    for (const b of this.hold) wipeOwn(b, b.length);
    this.hold.length = 0;
    if (this.bufOwned) this.buf.fill(0);
    if (this.big !== null) wipeOwn(this.big, this.bigHave);
    this.buf = EMPTY;
    this.bufBytes = EMPTY.buffer as ArrayBuffer;
    this.bufOffset = EMPTY.byteOffset;
    this.bufOwned = false;
    this.pos = 0;
    this.rest = null;
    this.big = null;
    this.bigHave = 0;
    this.args = NO_ARGS;
    this.argsFilled = 0;
    this.argsOwned = 0;
    this.argsBytes = 0;
    if (this.long !== null) this.long.bytes.fill(0);
    this.long = null;
    this.argsLeft = 0;
    this.bulkLen = -1;
  }

  /** The read is about to be wiped: the RawArgs over it is cleared, and the shared one given back. */
  private dropRaw(): void {
    const raw = this.raw;
    if (raw === null) return;
    raw.clear();
    if (raw === sharedRaw) {
      sharedRawTaken = false;
      this.raw = null;
    }
  }

  private replaceBuf(next: Buffer, owned: boolean): void {
    if (this.bufOwned) this.spent.push(this.buf);
    this.buf = next;
    this.bufBytes = next.buffer as ArrayBuffer;
    this.bufOffset = next.byteOffset;
    this.bufOwned = owned;
    this.pos = 0;
  }

  private wipeSpent(): void {
    // Nearly always empty between commands; setting an array's length is not free.
    if (this.spent.length === 0) return;
    for (const b of this.spent) wipeOwn(b, b.length);
    this.spent.length = 0;
  }

  /** How many bytes of chunk finish the unit begun in leftover; <= 0 when unknown. */
  private bytesToComplete(leftover: Buffer, chunk: Buffer): number {
    if (this.argsLeft > 0 && this.bulkLen >= 0) return this.bulkLen + 2 - leftover.length;
    return chunk.indexOf(LF) + 1;
  }

  /** Moves on to the rest of the read once the joined part is used up. */
  private refill(): void {
    if (this.pos >= this.buf.length && this.rest) {
      this.replaceBuf(this.rest, false);
      this.rest = null;
    }
  }

  /**
   * Where the second argument (most commands' key) of each of the next complete plain
   * multibulk commands lies in `bytes` (the read being parsed): up to starts.length of them go
   * to starts/lengths; returns how many, stopping at the first command not whole in this read.
   * Consumes nothing: for the connection to prefetch a pipeline's keys (Keyspace.prefetchRaw)
   * before it runs them. A command that is not plainly formed just ends the scan; the parser
   * proper finds its error.
   */
  peekKeys(starts: Int32Array, lengths: Int32Array): number {
    if (this.argsLeft !== 0 || this.big !== null) return 0;
    const buf = this.buf;
    const end = buf.length;
    let p = this.pos;
    let n = 0;
    while (n < starts.length && p < end && buf[p] === 0x2a /* '*' */) {
      let count = 0;
      for (p++; p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39; p++) count = count * 10 + buf[p]! - 0x30;
      if (p + 1 >= end || buf[p] !== CR || count > RAW_MAX_ARGS) break;
      p += 2;
      for (let i = 0; i < count; i++) {
        if (p >= end || buf[p] !== 0x24 /* '$' */) return n;
        let len = 0;
        for (p++; p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39; p++) len = len * 10 + buf[p]! - 0x30;
        p += 2;
        if (p + len + 2 > end) return n;
        if (i === 1) {
          starts[n] = p;
          lengths[n] = len;
        }
        p += len + 2;
      }
      if (count > 1) n++;
    }
    return n;
  }

  /** The bytes peekKeys() gave offsets into. */
  get peekBytes(): Buffer {
    return this.buf;
  }

  /** The next complete command, or null when more bytes are needed. */
  next(): Buffer[] | null {
    return this.take(false) as Buffer[] | null;
  }

  /**
   * The same, except that a long command keepWhole() accepts comes whole, as a vector whose
   * views are made as they are read (arg-list.ts), with no array of views at all.
   */
  nextArgs(): ArgList | null {
    return this.take(true);
  }

  private take(whole: boolean): ArgList | null {
    if (this.big) return null;
    if (this.argsLeft === 0) {
      // A large bulk that arrived last completed this command.
      if (this.argsFilled > 0 || this.long !== null) return this.finishCommand(whole);
      // Between commands: the one returned last has run, so the own buffers it read are done.
      this.wipeSpent();
    }
    for (;;) {
      this.refill();
      if (this.argsLeft === 0) {
        if (this.pos >= this.buf.length) return this.release();
        if (this.buf[this.pos] !== 0x2a /* '*' */) {
          const cmd = this.inline();
          if (cmd === null) return null;
          if (cmd.length === 0) continue;
          return cmd;
        }
        if (whole && this.rawCommand !== null && !this.unauthenticated) {
          const raw = this.scanRaw();
          if (raw !== null) return raw;
        }
        const count = this.countLine(Errors.protoTooBigMbulkCount);
        if (count === null) return null;
        if (count > INT_MAX) throw new ProtocolError(Errors.protoInvalidMultibulk);
        if (this.unauthenticated && count > UNAUTH_MAX_ARGS) throw new ProtocolError(Errors.protoUnauthMultibulk);
        if (count <= 0) continue; // "*0" and "*-1" are empty requests: skipped, as Redis does
        this.argsLeft = count;
        // A command this long will span many reads: its arguments are copied out as they are
        // parsed, with no object per argument until it is complete (long-args.ts).
        if (count >= LONG_COMMAND) this.long = new LongArgs();
        else this.args = argSlots(count);
      }
      while (this.argsLeft > 0) {
        this.refill();
        if (this.long !== null && this.bulkLen < 0) {
          // A long command's plain bulks in one tight loop; anything else falls through below.
          const before = this.long.count;
          const size = this.long.size;
          const at = this.long.addBulks(this.buf, this.pos, this.buf.length, this.argsLeft, this.limits.maxBulkLen);
          if (at !== this.pos) {
            this.argsBytes += this.long.size - size;
            this.argsLeft -= this.long.count - before;
            this.pos = at;
            continue;
          }
        }
        if (this.bulkLen < 0) {
          if (this.pos >= this.buf.length) return this.release();
          const first = this.buf[this.pos]!;
          if (first !== 0x24 /* '$' */) throw new ProtocolError(Errors.protoExpectedDollar(String.fromCharCode(first)));
          const len = this.countLine(Errors.protoTooBigBulkCount);
          if (len === null) return null;
          if (len < 0 || len > this.limits.maxBulkLen) throw new ProtocolError(Errors.protoInvalidBulk);
          if (this.unauthenticated && len > UNAUTH_MAX_BULK) throw new ProtocolError(Errors.protoUnauthBulk);
          this.bulkLen = len;
          this.refill();
        }
        const end = this.pos + this.bulkLen;
        if (end + 2 > this.buf.length) {
          // A long command copies its bulks out as they come (long-args.ts): only its large ones are gathered.
          if (this.bulkLen < (this.long === null ? MID_BULK : BIG_BULK)) return null;
          this.gatherBig();
          if (this.big) return null;
          continue;
        }
        if (this.long === null) this.args[this.argsFilled++] = new ArgView(this.bufBytes, this.bufOffset + this.pos, this.bulkLen) as Buffer;
        else this.long.add(this.buf, this.pos, this.bulkLen);
        this.argsBytes += this.bulkLen;
        this.pos = end + 2; // like Redis, the CRLF after a bulk is skipped, not checked
        this.bulkLen = -1;
        this.argsLeft--;
      }
      return this.finishCommand(whole);
    }
  }

  /**
   * The command at pos as RawArgs when it is whole in this read, has at most RAW_MAX_ARGS
   * arguments, every header is plain ("*<n>\r\n", "$<len>\r\n": digits, no leading zero,
   * len <= proto-max-bulk-len) and rawCommand() accepts its name; else null with nothing
   * consumed, and the general path parses it (with its errors). As there, the two bytes after
   * each bulk are skipped, not checked.
   */
  private scanRaw(): RawArgs | null {
    const buf = this.buf;
    const end = buf.length;
    let p = this.pos + 1;
    // One digit, 1..9, or two ("10".."32"). (Past the end a byte reads undefined: NaN fails.)
    let n = buf[p]! - 0x30;
    if (!(n >= 1 && n <= 9)) return null;
    p++;
    const d2 = buf[p]! - 0x30;
    if (d2 >= 0 && d2 <= 9) {
      n = n * 10 + d2;
      p++;
    }
    if (n > RAW_MAX_ARGS || p + 1 >= end || buf[p] !== CR || buf[p + 1] !== LF) return null;
    p += 2;
    const raw = (this.raw ??= takeRaw());
    const starts = raw.starts;
    const lengths = raw.lengths;
    const maxLen = this.limits.maxBulkLen;
    for (let i = 0; i < n; i++) {
      if (p >= end || buf[p] !== 0x24 /* '$' */) return null;
      p++;
      let len = 0;
      const first = p;
      for (; p < end; p++) {
        const d = buf[p]! - 0x30;
        if (d < 0 || d > 9) break;
        len = len * 10 + d;
      }
      const digits = p - first;
      if (digits === 0 || digits > 10 || (digits > 1 && buf[first] === 0x30) || len > maxLen) return null;
      if (p + 1 >= end || buf[p] !== CR || buf[p + 1] !== LF) return null;
      p += 2;
      if (p + len + 2 > end) return null;
      starts[i] = p;
      lengths[i] = len;
      if (i === 0) {
        const command = this.rawCommand!(buf, p, len);
        if (!command) return null;
        // Stored only when it changed: each store of an object is a write barrier's call, and a
        // pipeline's commands mostly share their read and their command.
        if (raw.command !== command) raw.command = command;
      }
      p += len + 2;
    }
    if (raw.bytes !== buf) raw.bytes = buf;
    raw.length = n;
    this.pos = p;
    return raw;
  }

  /** Parses "<c><integer>\r\n" at pos; null when the line is not complete yet. */
  private countLine(tooBig: string): number | null {
    // Fast path: one pass over plain digits up to CR, the shape of every well-formed request.
    // Anything unusual (sign, bad byte, leading zero, line split across reads) takes the strict
    // path below, which has Redis's exact acceptance rules and error choice.
    const buf = this.buf;
    const start = this.pos + 1;
    let i = start;
    let n = 0;
    for (; i < buf.length && i - start < 16; i++) {
      const c = buf[i]!;
      if (c === CR) break;
      const d = c - 0x30;
      if (d < 0 || d > 9) return this.countLineStrict(tooBig);
      n = n * 10 + d;
    }
    if (i === start || i + 1 >= buf.length || buf[i] !== CR || (buf[start] === 0x30 && i - start > 1)) {
      return this.countLineStrict(tooBig);
    }
    this.pos = i + 2;
    return n;
  }

  private countLineStrict(tooBig: string): number | null {
    const buf = this.buf;
    const cr = lineEnd(buf, this.pos + 1, CR);
    if (cr < 0 || cr + 1 >= buf.length) {
      if (buf.length - this.pos > INLINE_MAX) throw new ProtocolError(tooBig);
      return null;
    }
    if (cr - this.pos > INLINE_MAX) throw new ProtocolError(tooBig);
    const n = parseStrictInteger(buf, this.pos + 1, cr);
    if (n === null) {
      throw new ProtocolError(buf[this.pos] === 0x2a ? Errors.protoInvalidMultibulk : Errors.protoInvalidBulk);
    }
    this.pos = cr + 2;
    return n;
  }

  private inline(): Buffer[] | null {
    const buf = this.buf;
    const nl = lineEnd(buf, this.pos, LF);
    if (nl < 0) {
      if (buf.length - this.pos > INLINE_MAX) throw new ProtocolError(Errors.protoTooBigInline);
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.subarray(this.pos, end);
    this.pos = nl + 1;
    const store = plainBuffer(line.length);
    this.spent.push(store);
    const args = splitInlineArgs(line, store);
    if (args === null) throw new ProtocolError(Errors.protoUnbalancedQuotes);
    return args;
  }

  /**
   * Switches to gathering a large bulk's bytes into a buffer of its own. Like Redis's query
   * buffer it grows with the bytes that actually arrive: a client announcing 512 MB and sending
   * nothing costs no memory, and only written bytes are ever wiped.
   */
  private gatherBig(): void {
    const held = this.buf.subarray(this.pos);
    const rest = this.rest;
    const have = held.length + (rest ? rest.length : 0);
    const total = this.bulkLen + 2;
    // A long command's arguments are its own to wipe (long-args.ts): those stay plain.
    if (total <= BIG_EXACT_MAX && this.long === null) this.big = this.bulkLen < BIG_BULK ? takePlain(total) : takeShared(total);
    else this.big = plainBuffer(Math.min(total, Math.max(BIG_START, 2 * have)));
    this.bigHave = 0;
    this.pos = this.buf.length;
    this.rest = null;
    this.fillBig(held);
    if (rest) this.fillBig(rest);
  }

  /** Adds bytes to the large bulk; once it is whole, it becomes the next argument and parsing goes on after it. */
  private fillBig(chunk: Buffer): void {
    const total = this.bulkLen + 2;
    const n = Math.min(chunk.length, total - this.bigHave);
    if (this.bigHave + n > this.big!.length) this.growBig(Math.min(total, Math.max(2 * this.big!.length, this.bigHave + n)));
    this.big!.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.bigHave);
    this.bigHave += n;
    if (this.bigHave === total) this.finishBig(n < chunk.length ? chunk.subarray(n) : EMPTY);
  }

  /**
   * Where the next read may land instead of being fed: the rest of a large bulk being gathered
   * in shared memory (with its CRLF, so the read takes nothing past it); null otherwise.
   */
  readTarget(): Buffer | null {
    const big = this.big;
    return big !== null && isShared(big) ? big.subarray(this.bigHave) : null;
  }

  /**
   * n bytes were read straight into `view`, a readTarget(); false (nothing taken: the caller
   * wipes them) if it is no longer where the bulk goes on.
   */
  receivedInPlace(view: Uint8Array, n: number): boolean {
    const big = this.big;
    if (big === null || view.buffer !== big.buffer || view.byteOffset !== big.byteOffset + this.bigHave || n > big.length - this.bigHave) return false;
    this.bigHave += n;
    if (this.bigHave === big.length) {
      this.finishBig(EMPTY);
      this.bigEndedRead = true;
    }
    return true;
  }

  /** The last read ended a large bulk gathered in shared memory (afterBigBulk). */
  private bigEndedRead = false;

  /**
   * Whether the last read ended a large bulk read in place: the next request is likely another
   * (a stream of large SETs), whose value a short first read leaves to be read in place too
   * rather than copied (net/read-buffer.ts).
   */
  afterBigBulk(): boolean {
    return this.bigEndedRead;
  }

  /** The large bulk is whole: it becomes the next argument, and parsing goes on with `rest`. */
  private finishBig(rest: Buffer): void {
    const big = this.big!;
    // Its CRLF is no plaintext, but shared memory goes back to the pool zeroed past the value.
    if (isShared(big)) big.fill(0, this.bulkLen, this.bulkLen + 2);
    // The arguments before it may view reads or spent buffers: own them first, then add the
    // bulk without copying it again.
    this.hold.push(big);
    if (this.long !== null) {
      this.long.addOwn(big.subarray(0, this.bulkLen));
    } else {
      this.ownArgs();
      this.args[this.argsFilled++] = big.subarray(0, this.bulkLen);
      this.argsOwned = this.argsFilled;
    }
    this.argsBytes += this.bulkLen;
    this.argsLeft--;
    this.bulkLen = -1;
    this.big = null;
    this.bigHave = 0;
    this.replaceBuf(rest, false);
  }

  private growBig(size: number): void {
    const next = plainBuffer(size);
    const old = this.big!;
    next.set(old.subarray(0, this.bigHave));
    old.fill(0, 0, this.bigHave);
    this.big = next;
  }

  /** Drops the reference to a fully consumed read buffer (wiping it if it is ours). */
  private release(): null {
    if (this.pos >= this.buf.length) {
      this.replaceBuf(EMPTY, false);
      if (this.argsLeft === 0) this.wipeSpent();
    }
    return null;
  }
}

/**
 * Where the line starting at `from` ends (the index of `end`, CR or LF), -1 if not yet. Redis
 * looks for it with strchr, which stops at a NUL byte: a NUL before the line's end means the
 * line has not ended, and the 64 KiB cut decides, exactly as in Redis.
 */
/** Wipes one of the parser's own buffers (its first `written` bytes); pooled memory goes back. */
function wipeOwn(b: Buffer, written: number): void {
  if (isShared(b)) giveShared(b, written);
  else if (b.length >= MID_BULK && isPooledPlain(b)) givePlain(b, written);
  else b.fill(0, 0, written);
}

/** Removes the buffer whose memory arg views from list; whether there was one. */
function takeOut(list: Buffer[], arg: Uint8Array): boolean {
  for (let i = 0; i < list.length; i++) {
    if (list[i]!.buffer !== arg.buffer) continue;
    list.splice(i, 1);
    return true;
  }
  return false;
}

function lineEnd(buf: Buffer, from: number, end: number): number {
  const at = buf.indexOf(end, from);
  if (at < 0) return -1;
  for (let i = from; i < at; i++) if (buf[i] === 0) return -1;
  return at;
}

/** Redis string2ll: optional '-', no '+', no leading zeros, no spaces, fits in 64 bits. */
export function parseStrictInteger(buf: Uint8Array, start: number, end: number): number | null {
  let i = start;
  if (i >= end) return null;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i >= end) return null;
  }
  if (buf[i] === 0x30) return i + 1 === end && !negative ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return null;
  return negative ? -n : n;
}

const ESCAPES: Record<number, number> = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7 };

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * Splits an inline request the way redis sdssplitargs does: spaces separate arguments,
 * "double quotes" understand \n \r \t \b \a \xHH escapes, 'single quotes' only \'.
 * A closing quote must be followed by a space or the end. Returns null on unbalanced quotes.
 * The arguments are written into `store` (at least line.length bytes), never into JS values.
 */
export function splitInlineArgs(line: Uint8Array, store: Buffer = plainBuffer(line.length)): Buffer[] | null {
  const args: Buffer[] = [];
  let at = 0;
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return args;
    const begin = at;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = line[i];
      if (inDouble) {
        if (c === undefined) return null;
        if (c === 0x5c && line[i + 1] === 0x78 && isHex(line[i + 2]) && isHex(line[i + 3])) {
          store[at++] = hexValue(line[i + 2]!) * 16 + hexValue(line[i + 3]!);
          i += 3;
        } else if (c === 0x5c && i + 1 < n) {
          i++;
          const e = line[i]!;
          store[at++] = ESCAPES[e] ?? e;
        } else if (c === 0x22) {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          store[at++] = c;
        }
      } else if (inSingle) {
        if (c === undefined) return null;
        if (c === 0x5c && line[i + 1] === 0x27) {
          i++;
          store[at++] = 0x27;
        } else if (c === 0x27) {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          store[at++] = c;
        }
      } else if (c === undefined || isSpace(c)) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        store[at++] = c;
      }
      if (i < n) i++;
    }
    args.push(store.subarray(begin, at));
  }
}
