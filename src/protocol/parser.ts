// Resumable RESP request parser (multibulk and inline), modelled on redis processMultibulkBuffer:
// feed() bytes as they arrive, next() yields one command at a time as an array of Buffers that
// view the received bytes (no copies on the request path), null when more bytes are needed, or
// throws ProtocolError, after which the connection must be closed.

import { Errors } from './errors.js';

export class ProtocolError extends Error {}

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
}

/** Redis's PROTO_INLINE_MAX_SIZE: inline requests and count lines must fit in 64 KiB. */
export const INLINE_MAX = 64 * 1024;
/** Bulks at least this big are gathered in parts and joined once, instead of re-copied per read. */
const BIG_BULK = 64 * 1024;
const INT_MAX = 2147483647;
const UNAUTH_MAX_ARGS = 10;
const UNAUTH_MAX_BULK = 16384;

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);

export class RequestParser {
  /** Set by the connection while it still has to authenticate (Redis's stricter limits apply). */
  unauthenticated = false;

  private buf: Buffer = EMPTY;
  private pos = 0;
  /** The part of the last read after the bytes that completed a split command (see feed). */
  private rest: Buffer | null = null;
  private argsLeft = 0;
  private args: Buffer[] = [];
  private bulkLen = -1;
  private bigParts: Buffer[] | null = null;
  private bigHave = 0;

  constructor(private readonly limits: ParserLimits) {}

  /** Bytes received but not yet turned into commands: what the query buffer limit counts. */
  get pending(): number {
    if (this.bigParts) return this.bigHave;
    return this.buf.length - this.pos + (this.rest ? this.rest.length : 0);
  }

  /** True when no partial command is held. */
  get idle(): boolean {
    return this.pending === 0 && this.argsLeft === 0;
  }

  feed(chunk: Buffer): void {
    if (this.bigParts) {
      this.bigParts.push(chunk);
      this.bigHave += chunk.length;
      if (this.bigHave >= this.bulkLen + 2) {
        this.buf = Buffer.concat(this.bigParts, this.bigHave);
        this.pos = 0;
        this.bigParts = null;
        this.bigHave = 0;
      }
      return;
    }
    const leftover = this.buf.subarray(this.pos);
    this.pos = 0;
    if (leftover.length === 0) {
      this.buf = chunk;
      return;
    }
    // A unit (header line or bulk) was split across reads. Join only the bytes that complete
    // it and parse the rest of the read in place: copying whole reads made the parser slower
    // than redis-parser on pipelined traffic.
    const take = this.bytesToComplete(leftover, chunk);
    if (take <= 0 || take >= chunk.length) {
      this.buf = Buffer.concat([leftover, chunk]);
      return;
    }
    this.buf = Buffer.concat([leftover, chunk.subarray(0, take)]);
    this.rest = chunk.subarray(take);
  }

  /** How many bytes of chunk finish the unit begun in leftover; <= 0 when unknown. */
  private bytesToComplete(leftover: Buffer, chunk: Buffer): number {
    if (this.argsLeft > 0 && this.bulkLen >= 0) return this.bulkLen + 2 - leftover.length;
    return chunk.indexOf(LF) + 1;
  }

  /** Moves on to the rest of the read once the joined part is used up. */
  private refill(): void {
    if (this.pos >= this.buf.length && this.rest) {
      this.buf = this.rest;
      this.rest = null;
      this.pos = 0;
    }
  }

  /** The next complete command, or null when more bytes are needed. */
  next(): Buffer[] | null {
    if (this.bigParts) return null;
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
        const count = this.countLine(Errors.protoTooBigMbulkCount);
        if (count === null) return null;
        if (count > INT_MAX) throw new ProtocolError(Errors.protoInvalidMultibulk);
        if (this.unauthenticated && count > UNAUTH_MAX_ARGS) throw new ProtocolError(Errors.protoUnauthMultibulk);
        if (count <= 0) continue; // "*0" and "*-1" are empty requests: skipped, as Redis does
        this.argsLeft = count;
        this.args = [];
      }
      while (this.argsLeft > 0) {
        this.refill();
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
          if (this.bulkLen >= BIG_BULK) this.gatherBig();
          return null;
        }
        this.args.push(this.buf.subarray(this.pos, end));
        this.pos = end + 2; // like Redis, the CRLF after a bulk is skipped, not checked
        this.bulkLen = -1;
        this.argsLeft--;
      }
      const cmd = this.args;
      this.args = [];
      return cmd;
    }
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
    const cr = buf.indexOf(CR, this.pos + 1);
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
    const nl = buf.indexOf(LF, this.pos);
    if (nl < 0) {
      if (buf.length - this.pos > INLINE_MAX) throw new ProtocolError(Errors.protoTooBigInline);
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = buf.subarray(this.pos, end);
    this.pos = nl + 1;
    const args = splitInlineArgs(line);
    if (args === null) throw new ProtocolError(Errors.protoUnbalancedQuotes);
    return args;
  }

  /** Switches to collecting a large bulk's bytes as a list of parts joined once at the end. */
  private gatherBig(): void {
    const held = this.buf.subarray(this.pos);
    this.bigParts = this.rest ? [held, this.rest] : [held];
    this.bigHave = held.length + (this.rest ? this.rest.length : 0);
    this.rest = null;
    this.buf = EMPTY;
    this.pos = 0;
  }

  /** Drops the reference to a fully consumed read buffer so it can be collected. */
  private release(): null {
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
    return null;
  }
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

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/**
 * Splits an inline request the way redis sdssplitargs does: spaces separate arguments,
 * "double quotes" understand \n \r \t \b \a \xHH escapes, 'single quotes' only \'.
 * A closing quote must be followed by a space or the end. Returns null on unbalanced quotes.
 */
export function splitInlineArgs(line: Uint8Array): Buffer[] | null {
  const args: Buffer[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return args;
    const out: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = line[i];
      if (inDouble) {
        if (c === undefined) return null;
        if (c === 0x5c && line[i + 1] === 0x78 && isHex(line[i + 2]) && isHex(line[i + 3])) {
          out.push(parseInt(String.fromCharCode(line[i + 2]!, line[i + 3]!), 16));
          i += 3;
        } else if (c === 0x5c && i + 1 < n) {
          i++;
          const e = line[i]!;
          out.push(ESCAPES[e] ?? e);
        } else if (c === 0x22) {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          out.push(c);
        }
      } else if (inSingle) {
        if (c === undefined) return null;
        if (c === 0x5c && line[i + 1] === 0x27) {
          i++;
          out.push(0x27);
        } else if (c === 0x27) {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          out.push(c);
        }
      } else if (c === undefined || isSpace(c)) {
        done = true;
      } else if (c === 0x22) {
        inDouble = true;
      } else if (c === 0x27) {
        inSingle = true;
      } else {
        out.push(c);
      }
      if (i < n) i++;
    }
    args.push(Buffer.from(out));
  }
}
