// What every stream command shares: id parsing with Redis 7.0's rules (streamGenericParseIDOrReply,
// string2ull), finding the stream, sealing an entry and writing entries into replies.
//
// An entry's fields and values are sealed together as one blob whose plaintext is the entry's
// own RESP reply (an array of bulk strings, the same under RESP2 and RESP3), bound to database,
// key and the entry's id. Replying opens the blob straight into the reply buffer: no plaintext
// buffer, no parsing, and an entry cannot be moved to another id or stream.

import { readOf, peekOf, mutateOf } from '../values/typed-entries.js';
import { Errors } from '../../protocol/errors.js';
import { OVERHEAD } from '../../seal/sealer.js';
import { Purpose } from '../../seal/values.js';
import { Kind, type StreamEntry } from '../../store/keyspace.js';
import {
  ENTRY_HEADER, entryLengthAt, formatId, ID_MAX, ID_TEXT_MAX, makeId, U64_MAX, writeEntryIdText, writeIdText, type NodeLimits, type StreamId, type StreamLog,
} from '../../store/types/stream.js';
import { plainBuffer } from '../../util/bytes.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { errorArg } from '../../util/names.js';
import { at, type KeyFlagName, type KeySpec } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import type { KeyEvent } from '../../store/key-events.js';

// ---- ids ----

const WS = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/** Redis string2ull: a canonical int64 >= 0, or whatever strtoull accepts whole (leading space, sign, zeros). */
function string2ull(s: string): bigint | null {
  if (/^(0|[1-9][0-9]{0,18})$/.test(s)) {
    const n = BigInt(s);
    if (n <= 2n ** 63n - 1n) return n;
  } else if (/^-[1-9][0-9]{0,18}$/.test(s) && BigInt(s) >= -(2n ** 63n)) {
    return null; // string2ll succeeded with a negative value
  }
  let i = 0;
  while (i < s.length && WS.has(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const digits = s.slice(i);
  if (!/^[0-9]+$/.test(digits)) return null;
  const n = BigInt(digits);
  if (n > U64_MAX) return null;
  return neg ? (U64_MAX + 1n - n) & U64_MAX : n;
}

export interface ParsedId {
  id: StreamId;
  /** False for XADD's "ms-*" form. */
  seqGiven: boolean;
}

/**
 * Parses an id argument: "ms-seq", "ms" (sequence `missingSeq`), "-" / "+" unless `strict`,
 * and "ms-*" when `seqStar`. Null when invalid (the caller replies invalidStreamId).
 */
export function parseId(arg: Uint8Array, missingSeq: bigint, strict: boolean, seqStar = false): ParsedId | null {
  if (arg.length > 127) return null;
  // Redis works on a C string: the id ends at the first NUL.
  let s = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1');
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  if (strict && (s === '-' || s === '+')) return null;
  if (s === '-') return { id: 0n, seqGiven: true };
  if (s === '+') return { id: ID_MAX, seqGiven: true };
  const dash = s.indexOf('-');
  const ms = string2ull(dash >= 0 ? s.slice(0, dash) : s);
  if (ms === null) return null;
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const rest = s.slice(dash + 1);
  if (seqStar && rest === '*') return { id: makeId(ms, 0n), seqGiven: false };
  const seq = string2ull(rest);
  if (seq === null) return null;
  return { id: makeId(ms, seq), seqGiven: true };
}

/** A strict id or null after replying the error. */
export function strictId(ctx: Session, arg: Uint8Array): StreamId | null {
  const parsed = parseId(arg, 0n, true);
  if (parsed === null) {
    ctx.reply.error(Errors.invalidStreamId);
    return null;
  }
  return parsed.id;
}

/**
 * A range bound (XRANGE, XPENDING, XAUTOCLAIM): "(" makes it exclusive, moved one id inwards.
 * `start` bounds take sequence 0 when missing, end bounds the highest. Null after replying.
 */
export function intervalId(ctx: Session, arg: Uint8Array, start: boolean): StreamId | null {
  const exclusive = arg.length > 1 && arg[0] === 0x28;
  const parsed = parseId(exclusive ? arg.subarray(1) : arg, start ? 0n : U64_MAX, exclusive);
  if (parsed === null) {
    ctx.reply.error(Errors.invalidStreamId);
    return null;
  }
  if (!exclusive) return parsed.id;
  if (start) {
    if (parsed.id === ID_MAX) {
      ctx.reply.error(Errors.invalidStartInterval);
      return null;
    }
    return parsed.id + 1n;
  }
  if (parsed.id === 0n) {
    ctx.reply.error(Errors.invalidEndInterval);
    return null;
  }
  return parsed.id - 1n;
}

export function replyId(ctx: Session, id: StreamId): void {
  ctx.reply.bulkLatin1(formatId(id));
}

// ---- ids as bytes (the hot paths: no BigInt, no string) ----

/** One id's text (ids are not secret): an entry's binding while it is sealed or opened, and its reply. */
const idText = Buffer.alloc(ID_TEXT_MAX);
/** Views of idText by length, made once: the binding is passed without a view per entry. */
const idTextViews: Uint8Array[] = Array.from({ length: ID_TEXT_MAX + 1 }, (_, n) => new Uint8Array(idText.buffer, idText.byteOffset, n));

/** The first `length` bytes of idText as a bulk string. */
function replyIdText(r: ReplyWriter, length: number): void {
  const at = r.beginBulk(length);
  const out = r.staging;
  for (let i = 0; i < length; i++) out[at + i] = idText[i]!;
  r.endBulk(length);
}

/**
 * XADD of an entry whose id halves are safe numbers (ms, seq), above the stream's last id:
 * encodes args[from..] into the scratch buffer, seals it straight into the stream's tail node,
 * bound to "ms-seq", wipes the scratch and replies the id. Nothing is allocated on the way (the
 * scratch's views by length are made once), which is most of what XADD costs besides the AEAD.
 */
export function addEntry(ctx: Session, key: string, log: StreamLog, ms: number, seq: number, args: readonly Uint8Array[] | RawArgs, from: number): void {
  if (args instanceof RawArgs && from === 3 && addInPlace(ctx, key, log, ms, seq, args)) return;
  const size = args instanceof RawArgs ? encodeRawInto(args, from) : encodeInto(args, from);
  const plain = scratchView(size);
  try {
    const length = writeIdText(idText, 0, ms, seq);
    const at = log.appendSpace(ms, seq, OVERHEAD + size, size, nodeLimits(ctx));
    ctx.server.values.sealElementAt(Purpose.StreamEntry, ctx.db.uid, key, plain, log.tailBuffer, at, idTextViews[length]);
    replyIdText(ctx.reply, length);
  } finally {
    wipeScratch(size);
  }
}

/**
 * addEntry() for `XADD key * field value ...` as RawArgs, sealing the entry's plaintext where it
 * lies in the request: the fields and values arrived as RESP bulk strings, the very bytes of the
 * entry's plaintext once "*<n>\r\n" stands before the first of them. That header is written
 * for the moment over the end of the id argument ("$1\r\n*\r\n", 7 bytes, just before), the
 * entry sealed from there, and those bytes put back: no copy of the plaintext is made at all (the
 * read itself is wiped after it, as always). False, with nothing done, when the bulks are not
 * each followed by CRLF (the parser skips those two bytes unchecked): encodeRawInto() then.
 */
function addInPlace(ctx: Session, key: string, log: StreamLog, ms: number, seq: number, raw: RawArgs): boolean {
  const src = raw.bytes;
  const count = raw.length;
  const starts = raw.starts;
  const lengths = raw.lengths;
  const n = count - 3;
  if (n > 99) return false;
  for (let i = 3; i < count; i++) {
    const e = starts[i]! + lengths[i]!;
    if (src[e] !== 0x0d || src[e + 1] !== 0x0a) return false;
  }
  // Headers are canonical in RawArgs ("$<len>\r\n", no leading zero): the first field's starts here.
  const first = starts[3]! - 3 - digits(lengths[3]!);
  const begin = first - (n < 10 ? 4 : 5);
  const end = starts[count - 1]! + lengths[count - 1]! + 2;
  const size = end - begin;
  const b0 = src[begin]!;
  const b1 = src[begin + 1]!;
  const b2 = src[begin + 2]!;
  const b3 = src[begin + 3]!;
  const b4 = src[begin + 4]!;
  header(src, begin, 0x2a, n);
  try {
    const plain = new Uint8Array(src.buffer, src.byteOffset + begin, size);
    const length = writeIdText(idText, 0, ms, seq);
    const at = log.appendSpace(ms, seq, OVERHEAD + size, size, nodeLimits(ctx));
    ctx.server.values.sealElementAt(Purpose.StreamEntry, ctx.db.uid, key, plain, log.tailBuffer, at, idTextViews[length]);
    replyIdText(ctx.reply, length);
  } finally {
    src[begin] = b0;
    src[begin + 1] = b1;
    src[begin + 2] = b2;
    src[begin + 3] = b3;
    src[begin + 4] = b4;
  }
  return true;
}

/**
 * replyEntry() for the entry whose header is at p in buf (StreamLog.scan): the id is written
 * from the header's words. Throws SealError.
 */
export function replyEntryAt(ctx: Session, key: string, buf: Buffer, p: number): void {
  const r = ctx.reply;
  r.arrayLen(2);
  const idLength = writeEntryIdText(buf, p, idText, 0);
  replyIdText(r, idLength);
  const length = entryLengthAt(buf, p);
  const plain = length - OVERHEAD;
  const at = r.beginRaw(plain);
  ctx.server.values.openElementAt(Purpose.StreamEntry, ctx.db.uid, key, buf, p + ENTRY_HEADER, length, r.staging, at, idTextViews[idLength]);
  r.endRaw(plain);
}

/** An argument quoted as Redis's %s does (the whole C string, up to a NUL). */
export function quoted(arg: Uint8Array): string {
  return errorArg(arg, 4096);
}

// ---- key names of raw arguments: commands/args.ts rawKeyOf ----

export { rawKeyOf } from '../args.js';

// ---- finding the stream ----

/** The stream for a read: undefined when missing, null after replying WRONGTYPE. */
export function readStream(ctx: Session, key: string): StreamEntry | undefined | null {
  return readOf(ctx, key, Kind.Stream);
}

/** The stream for a write, without creating it or counting a hit (lookupKeyWrite). */
export function peekStream(ctx: Session, key: string): StreamEntry | undefined | null {
  return peekOf(ctx, key, Kind.Stream);
}

/**
 * A stream write through Keyspace.mutate: `change` gets the stream (a new empty one when the
 * key is missing; it is stored only if change returns true). False after replying WRONGTYPE.
 */
export function writeStream(ctx: Session, key: string, event: KeyEvent, change: (entry: StreamEntry) => boolean): boolean {
  return mutateOf(ctx, key, Kind.Stream, event, change);
}

/**
 * A consumer group's delivery state moved in place (last id, PEL, delivery counts): replicas
 * and snapshots must hear of it, with no notification (Redis sends none).
 */
export function groupProgressed(ctx: Session, key: string): void {
  ctx.db.signal(key, 'xgroup-progress', Kind.Stream);
}

/** Node limits per config, updated when CONFIG SET changes either (reading them per XADD cost 2%). */
const limitsOf = new WeakMap<Session['server']['config'], NodeLimits>();

function readLimits(config: Session['server']['config']): NodeLimits {
  return { maxEntries: config.number('stream-node-max-entries'), maxBytes: config.number('stream-node-max-bytes') };
}

/** The last server's config and its limits: every XADD asks, and a process nearly always has one server. */
let lastConfig: Session['server']['config'] | null = null;
let lastLimits: NodeLimits = { maxEntries: 0, maxBytes: 0 };

/** Node limits from the config (stream-node-max-entries / -bytes); CONFIG SET updates the object in place. */
export function nodeLimits(ctx: Session): NodeLimits {
  const config = ctx.server.config;
  if (config === lastConfig) return lastLimits;
  let limits = limitsOf.get(config);
  if (limits === undefined) {
    const made = readLimits(config);
    limits = made;
    limitsOf.set(config, made);
    config.onChange((name) => {
      if (name === 'stream-node-max-entries' || name === 'stream-node-max-bytes') {
        const fresh = readLimits(config);
        made.maxEntries = fresh.maxEntries;
        made.maxBytes = fresh.maxBytes;
      }
    });
  }
  lastConfig = config;
  lastLimits = limits;
  return limits;
}

// ---- sealing entries ----

/** Decimal digits of n (a length or count, below 2^32: int steps instead of float division). */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = (n / 10) >>> 0;
    d++;
  }
  return d;
}

/** Where entries are encoded before sealing: one buffer off the V8 heap, reused, wiped by each caller. */
let scratch = plainBuffer(4096);
/** Views of scratch by length, made when first needed (an entry's plaintext without a subarray per XADD). */
let scratchViews: Buffer[] = [];

/** The first `size` bytes of scratch as a Buffer (valid until scratch grows: use before encoding again). */
function scratchView(size: number): Buffer {
  return scratchViews[size] ?? (scratchViews[size] = scratch.subarray(0, size));
}

/** Uint8Array's own fill: Buffer#fill validates its arguments in JS first, which costs more than an entry's few dozen bytes. */
const fillBytes = Uint8Array.prototype.fill;

/** Zeroes the first `size` bytes of scratch. */
function wipeScratch(size: number): void {
  fillBytes.call(scratch, 0, 0, size);
}

/**
 * Encodes args[from..] as a RESP array of bulk strings at the start of scratch (grown as needed)
 * and returns its length. The caller wipes it (wipeScratch) as soon as it has sealed it.
 */
function encodeInto(args: readonly Uint8Array[], from: number): number {
  const n = args.length - from;
  let size = 3 + digits(n);
  for (let i = from; i < args.length; i++) size += 5 + digits(args[i]!.length) + args[i]!.length;
  if (scratch.length < size) {
    scratch.fill(0);
    scratch = plainBuffer(Math.max(size, scratch.length * 2));
    scratchViews = [];
  }
  const out = scratch;
  let p = header(out, 0, 0x2a, n);
  for (let i = from; i < args.length; i++) {
    const a = args[i]!;
    const length = a.length;
    p = header(out, p, 0x24, length);
    // Fields and values are mostly short: a loop beats set()'s call into the runtime.
    if (length > 64) out.set(a, p);
    else for (let j = 0; j < length; j++) out[p + j] = a[j]!;
    p += length;
    out[p++] = 0x0d;
    out[p++] = 0x0a;
  }
  return size;
}

/** encodeInto() for RawArgs: the arguments copied from where they lie in the read. */
function encodeRawInto(args: RawArgs, from: number): number {
  const count = args.length;
  const starts = args.starts;
  const lengths = args.lengths;
  const src = args.bytes;
  const n = count - from;
  let size = 3 + digits(n);
  for (let i = from; i < count; i++) size += 5 + digits(lengths[i]!) + lengths[i]!;
  if (scratch.length < size) {
    scratch.fill(0);
    scratch = plainBuffer(Math.max(size, scratch.length * 2));
    scratchViews = [];
  }
  const out = scratch;
  let p = header(out, 0, 0x2a, n);
  for (let i = from; i < count; i++) {
    const start = starts[i]!;
    const length = lengths[i]!;
    p = header(out, p, 0x24, length);
    if (length > 64) src.copy(out, p, start, start + length);
    else for (let j = 0; j < length; j++) out[p + j] = src[start + j]!;
    p += length;
    out[p++] = 0x0d;
    out[p++] = 0x0a;
  }
  return size;
}

/**
 * The plaintext of args[from..] as a RESP array of bulk strings, in a shared scratch buffer the
 * caller wipes (fill(0)) as soon as it has sealed it, before any other entry is encoded.
 */
export function encodeEntry(args: readonly Uint8Array[], from: number): Buffer {
  return scratchView(encodeInto(args, from));
}

/** Writes "<prefix><n>\r\n" at p; returns where it ends. */
function header(out: Buffer, p: number, prefix: number, n: number): number {
  out[p++] = prefix;
  // Field names and short values: one or two digits without the division loop.
  if (n < 10) {
    out[p++] = 0x30 + n;
  } else if (n < 100) {
    const tens = (n / 10) | 0;
    out[p++] = 0x30 + tens;
    out[p++] = 0x30 + (n - tens * 10);
  } else {
    const d = digits(n);
    for (let i = d - 1, rest = n; i >= 0; i--, rest = (rest / 10) >>> 0) out[p + i] = 0x30 + (rest % 10);
    p += d;
  }
  out[p++] = 0x0d;
  out[p++] = 0x0a;
  return p;
}

export function sealEntry(ctx: Session, key: string, id: StreamId, plain: Uint8Array): Buffer {
  return ctx.server.values.sealElement(Purpose.StreamEntry, ctx.db.uid, key, plain, formatId(id));
}

/**
 * Writes one entry as Redis does: [id, [field, value, ...]], the fields opened straight into the
 * reply buffer. Throws SealError (run the command under replyOpened).
 */
export function replyEntry(ctx: Session, key: string, id: StreamId, bytes: Buffer, start: number, length: number): void {
  const r = ctx.reply;
  r.arrayLen(2);
  const idText = formatId(id);
  r.bulkLatin1(idText);
  const plain = length - OVERHEAD;
  const at = r.beginRaw(plain);
  ctx.server.values.openElementAt(Purpose.StreamEntry, ctx.db.uid, key, bytes, start, length, r.staging, at, idText);
  r.endRaw(plain);
}

/** Just the fields array of an entry (no id). Throws SealError. */
export function replyFields(ctx: Session, key: string, id: StreamId, bytes: Buffer, start: number, length: number): void {
  const r = ctx.reply;
  const plain = length - OVERHEAD;
  const at = r.beginRaw(plain);
  ctx.server.values.openElementAt(Purpose.StreamEntry, ctx.db.uid, key, bytes, start, length, r.staging, at, formatId(id));
  r.endRaw(plain);
}

/** Replies with the entries of [start, end] (at most count, 0 = all). Throws SealError. */
export function replyRange(ctx: Session, key: string, entry: StreamEntry | undefined, start: StreamId, end: StreamId, count: number, reverse: boolean): void {
  if (entry === undefined) return ctx.reply.arrayLen(0);
  // One pass collects where the entries lie (positions stay valid: the stream does not change
  // while the reply is written), then the array header and the entries go out.
  const bufs: Buffer[] = [];
  const at: number[] = [];
  entry.log.scan(start, end, reverse, (buf, p) => {
    bufs.push(buf);
    at.push(p);
    return count === 0 || at.length < count;
  });
  ctx.reply.arrayLen(at.length);
  for (let i = 0; i < at.length; i++) replyEntryAt(ctx, key, bufs[i]!, at[i]!);
}

// ---- table entries ----

type Access = 'read' | 'write' | 'write-grow';

/** A stream command's table entry with its key at `position`. */
export function streamSpec(
  cmd: string, arity: number, access: Access, fast: boolean, key: readonly KeyFlagName[], summary: string, since: string,
  handler: CommandSpec['handler'], more: Partial<Pick<CommandSpec, 'tips' | 'complexity' | 'keySpecs' | 'flags'>> = {}, position = 1,
): CommandSpec {
  const rw = access === 'read' ? 'readonly' : 'write';
  const flags: CommandSpec['flags'] = [rw, ...(access === 'write-grow' ? (['denyoom'] as const) : []), ...(fast ? (['fast'] as const) : [])];
  const keySpecs: readonly KeySpec[] = [at(position, ...key)];
  return {
    name: cmd, arity, flags, keySpecs,
    categories: [access === 'read' ? '@read' : '@write', '@stream', fast ? '@fast' : '@slow'],
    summary, since, group: 'stream', handler, ...more,
  };
}
