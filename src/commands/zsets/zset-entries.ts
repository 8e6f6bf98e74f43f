// What every sorted-set command shares: finding the set, sealing members for a key and opening
// them (into the reply, or for the member order's tie-breaks), the member digests, Redis's score
// and range parsing, and the table-entry shape.
//
// Members are sealed with Purpose.ZSetMember bound to database and key; the SortedSet knows them
// only by a 16-byte keyed digest (ctx.server.members) and their sealed bytes. Scores stay in
// clear (README, threat model). Ties in score are ordered by member bytes: the shared member
// order (store/types/zset-ops.ts) opens the two members it compares through the opener bound
// here for the key being worked on, into two scratch buffers wiped when the binding ends, and
// keeps what it opened for the rest of the turn (zset-turn-opens.ts, a share of its own).

import { decimalValue } from '../../util/bytes.js';
import { hexFloat } from '../../util/double-text.js';
import { readOf, peekOf } from '../values/typed-entries.js';
import { int64, keyOf, word } from '../args.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { settleAfterTurn } from '../values/turn-end.js';
import { copyTurnOpen, keepTurnOpen, useTurnOpens } from './zset-turn-opens.js';
import { Errors } from '../../protocol/errors.js';
import { OVERHEAD } from '../../seal/sealer.js';
import { Purpose, type PreparedContext } from '../../seal/values.js';
import { Kind, type Entry, type KeyEvent, type ZSetEntry } from '../../store/keyspace.js';
import { memberOrder, type MemberOpener } from '../../store/types/zset-ops.js';
import { DIGEST_BYTES, type LexBound, type ScoreBound } from '../../store/types/zset.js';
import { keySpec, at, index, keynum, type KeyFlagName, type KeySpec } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

export { Purpose };

// ---- finding the set ----

/** The sorted set for a read command: undefined when missing, null after replying WRONGTYPE. */
export function readZSet(ctx: Session, key: string): ZSetEntry | undefined | null {
  return readOf(ctx, key, Kind.ZSet);
}

/** Like readZSet, for a key a write command looks at (no keyspace hit or miss counted). */
export function peekZSet(ctx: Session, key: string): ZSetEntry | undefined | null {
  return peekOf(ctx, key, Kind.ZSet);
}

/**
 * A sorted-set write (Keyspace.mutate): `change` gets key's set, or a new empty one, with the
 * member order bound to key, and returns whether it changed it. False after replying WRONGTYPE
 * (change not called) or the seal error of a member that failed to open midway (whatever changed
 * before it stays, and is signalled): the caller replies only on true. `held`: key's entry
 * when the caller just got it (Keyspace.mutate).
 */
export function writeZSet(ctx: Session, key: string, event: KeyEvent, change: (entry: ZSetEntry) => boolean, held?: Entry): boolean {
  let failed = false;
  const ok = ctx.db.mutate(key, Kind.ZSet, event, ctx.now, (entry) => {
    try {
      return withOrder(ctx, key, change, entry);
    } catch (err) {
      sealFailed(ctx, err);
      failed = true;
      return true;
    }
  }, held);
  if (!ok) ctx.reply.error(Errors.wrongType);
  return ok && !failed;
}

// ---- the member order's opener ----

const scratch: [Buffer, Buffer] = [Buffer.allocUnsafeSlow(256).fill(0), Buffer.allocUnsafeSlow(256).fill(0)];

/** Sealed bytes (ciphertext) of a member held as a string, in a reused buffer: valid until the next call. */
let sealedScratch = Buffer.allocUnsafeSlow(256);

type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

export function sealedView(sealed: string): Buffer {
  return sealedBytes(sealed).subarray(0, sealed.length);
}

/** sealedView() without the view: the sealed bytes at the start of the returned scratch buffer. */
function sealedBytes(sealed: string): Buffer {
  const n = sealed.length;
  if (sealedScratch.length < n) sealedScratch = Buffer.allocUnsafeSlow(Math.max(n, sealedScratch.length * 2));
  // latin1Write, though a call into the runtime: a charCodeAt loop took about twice as long for 52 bytes.
  (sealedScratch as Latin1Writable).latin1Write(sealed, 0);
  return sealedScratch;
}

/** Opens within one binding after which members opened are kept in plaintext until it ends. */
const MEMO_AFTER_OPENS = 64;
/** The most plaintext one binding keeps (past it, members are opened each time again). */
const MEMO_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Runs `fn` with the member order opening key's members; the previous binding comes back after.
 * Ties are broken by opening members, up to twice per comparison and O(log n) comparisons per
 * insert: a ZADD of many members with one score (a lex index) would open the same upper members
 * again and again (100 k members took seconds). Past the first few opens, a binding keeps what
 * it opened, in plaintext, for the rest of the command (and wipes it at the end): each member
 * is then opened at most once per command. What it opens is also kept for the turn (a bounded
 * share, zset-turn-opens.ts): the turn's other descents through the set (16 pipelined ZADDs among
 * equal scores, lex ranges) find the upper members they compare without opening them.
 */
export function withOrder<T>(ctx: Session, key: string, fn: () => T): T;
/** withOrder() running fn(arg): no closure made for it (a ZADD's write). */
export function withOrder<A, T>(ctx: Session, key: string, fn: (arg: A) => T, arg: A): T;
export function withOrder<A, T>(ctx: Session, key: string, fn: (arg?: A) => T, arg?: A): T {
  const outer = binding;
  // The outermost binding reuses one object (a ZADD makes one per command); nested ones get their own.
  const mine = outer === null ? resetTop(ctx, key) : newBinding(ctx, key);
  binding = mine;
  const before = memberOrder.bind(openBound);
  try {
    return fn(arg);
  } finally {
    memberOrder.bind(before);
    binding = outer;
    // The order leaves what it compared to the binder: the scratch slots (if used) and what was kept.
    if (mine.opens + mine.copies > 0) {
      scratch[0].fill(0);
      scratch[1].fill(0);
    }
    if (mine.memo !== null) for (const plain of mine.memo.values()) plain.fill(0);
  }
}

/** What withOrder bound: whose members the order opens, and what it kept of them. */
interface Binding {
  values: Session['server']['values'];
  db: number;
  key: string;
  /** The key's context, written at the first open (a descent opens log2 n members of one key). */
  context: PreparedContext | null;
  opens: number;
  /** Members copied into a scratch slot from what the turn kept (zset-turn-opens.ts). */
  copies: number;
  memo: Map<string, Buffer> | null;
  memoBytes: number;
}

let binding: Binding | null = null;

function newBinding(ctx: Session, key: string): Binding {
  return { values: ctx.server.values, db: ctx.db.uid, key, context: null, opens: 0, copies: 0, memo: null, memoBytes: 0 };
}

/** The outermost binding's object, reused (nothing of it outlives its withOrder: the memo is wiped there). */
let top: Binding | null = null;

function resetTop(ctx: Session, key: string): Binding {
  if (top === null) return (top = newBinding(ctx, key));
  top.values = ctx.server.values;
  top.db = ctx.db.uid;
  top.key = key;
  top.context = null;
  top.opens = 0;
  top.copies = 0;
  top.memo = null;
  top.memoBytes = 0;
  return top;
}

function scratchSlot(slot: 0 | 1, length: number): Buffer {
  if (scratch[slot].length < length) {
    scratch[slot].fill(0);
    scratch[slot] = Buffer.allocUnsafeSlow(Math.max(length, scratch[slot].length * 2));
  }
  return scratch[slot];
}

/**
 * The member order's opener while withOrder runs: hands back what the binding kept, or copies
 * what this turn kept into a scratch slot, or opens into it and keeps that for the turn (a
 * turn's descents through one set compare the same upper members again and again).
 */
const openBound: MemberOpener = (sealed, slot) => {
  const b = binding!;
  const length = sealed.length - OVERHEAD;
  const kept = b.memo?.get(sealed);
  if (kept !== undefined) return kept;
  const out = scratchSlot(slot, length);
  useTurnOpens(b.values);
  if (copyTurnOpen(sealed, b.db, b.key, length, out, 0)) {
    b.copies++;
    return out;
  }
  b.opens++;
  b.context ??= b.values.prepareOpen(Purpose.ZSetMember, b.db, b.key);
  b.values.openPreparedAt(b.context, sealedBytes(sealed), 0, sealed.length, out, 0);
  keepTurnOpen(sealed, b.db, b.key, out, 0, length, true);
  settleAfterTurn();
  if (b.opens > MEMO_AFTER_OPENS && b.memoBytes + length <= MEMO_MAX_BYTES) {
    b.memo ??= new Map();
    b.memo.set(sealed, Buffer.from(out.subarray(0, length)));
    b.memoBytes += length;
  }
  return out;
};

/** Runs a read that may compare members (a lex range): a member failing to open is replied as the error. */
export function tryOrdered(ctx: Session, key: string, fn: () => void): void {
  try {
    withOrder(ctx, key, fn);
  } catch (err) {
    sealFailed(ctx, err);
  }
}

// ---- members ----

/** A fresh 16-byte digest of a member's bytes (the set's identity for it). */
export function digestOf(ctx: Session, member: Uint8Array): Buffer {
  const out = Buffer.alloc(DIGEST_BYTES);
  ctx.server.members.digestInto(member, out, 0);
  return out;
}

const digestScratch = Buffer.alloc(DIGEST_BYTES);

/** The member's digest in a shared buffer, valid until the next call (lookups). */
export function lookupDigest(ctx: Session, member: Uint8Array): Buffer {
  ctx.server.members.digestInto(member, digestScratch, 0);
  return digestScratch;
}

/** Where sealMember seals (ciphertext only), before the bytes become the set's string. */
let sealScratch = Buffer.allocUnsafeSlow(256);

/** A member sealed for key, as the set holds it (a latin1 string of the sealed bytes). */
export function sealMember(ctx: Session, key: string, plain: Uint8Array, db = ctx.db.uid): string {
  const length = plain.length + OVERHEAD;
  if (sealScratch.length < length) sealScratch = Buffer.allocUnsafeSlow(Math.max(length, sealScratch.length * 2));
  ctx.server.values.sealElementAt(Purpose.ZSetMember, db, key, plain, sealScratch, 0);
  return sealScratch.toString('latin1', 0, length);
}

/** The member's plaintext in a fresh buffer (the caller wipes it); throws SealError. */
export function openMember(ctx: Session, key: string, sealed: string): Buffer {
  return ctx.server.values.openElement(Purpose.ZSetMember, ctx.db.uid, key, sealedView(sealed));
}

/**
 * Writes a member as a bulk string opened straight into the reply buffer. On a member that fails
 * to open, everything written since `mark` is dropped and the seal error replied; returns false.
 */
export function replyMember(ctx: Session, key: string, sealed: string, mark: number): boolean {
  const length = sealed.length - OVERHEAD;
  const at = ctx.reply.beginBulk(length);
  try {
    ctx.server.values.openElementAt(Purpose.ZSetMember, ctx.db.uid, key, sealedView(sealed), 0, sealed.length, ctx.reply.staging, at);
  } catch (err) {
    return sealFailedSince(ctx, mark, err);
  }
  ctx.reply.endBulk(length);
  return true;
}

/**
 * Members (with scores) as Redis replies a range: a flat array, or with scores under RESP3 an
 * array of [member, score] pairs. `each` walks them; false when a member failed (replied).
 */
export function replyMembers(
  ctx: Session, key: string, count: number, withScores: boolean,
  each: (visit: (sealed: string, score: number) => boolean) => void,
): boolean {
  if (!rangeReply.begin(ctx, key, count, withScores)) return true;
  each(rangeReply.visit);
  return rangeReply.end();
}

/** replyMembers() of the ranks [start, end) of a set, highest first when reverse (ZRANGE and friends). */
export function replyRange(ctx: Session, key: string, zset: ZSetEntry['zset'], start: number, end: number, reverse: boolean, withScores: boolean): boolean {
  if (!rangeReply.begin(ctx, key, end - start, withScores)) return true;
  zset.each(start, end, reverse, rangeReply.visit);
  return rangeReply.end();
}

/**
 * The range reply being written. One for the process (replies never nest), so a reply's walk
 * calls the same visitor rather than closures made for it (two per ZRANGE, with their contexts,
 * were most of what a ZRANGE allocated beyond a GET).
 */
class RangeReply {
  private ctx: Session | null = null;
  private key = '';
  private db = 0;
  private mark = 0;
  private pairs = false;
  private withScores = false;
  private ok = true;
  /** The key's context, written at the first member opened (the others are copied: zset-turn-opens.ts). */
  private context: PreparedContext | null = null;

  /** Writes the array's header; false when there is nothing to visit. */
  begin(ctx: Session, key: string, count: number, withScores: boolean): boolean {
    const reply = ctx.reply;
    this.mark = reply.size;
    this.pairs = withScores && reply.protocol === 3;
    reply.arrayLen(withScores && !this.pairs ? count * 2 : count);
    if (count === 0) return false;
    this.ctx = ctx;
    this.key = key;
    this.db = ctx.db.uid;
    this.withScores = withScores;
    this.ok = true;
    this.context = null;
    // Members this turn's range replies opened are copied, not opened again (zset-turn-opens.ts).
    useTurnOpens(ctx.server.values);
    settleAfterTurn();
    return true;
  }

  /** One member, opened (or copied) straight into the reply; false after replying a member that failed to open. */
  readonly visit = (sealed: string, score: number): boolean => {
    const ctx = this.ctx!;
    const reply = ctx.reply;
    if (this.pairs) reply.arrayLen(2);
    const length = sealed.length - OVERHEAD;
    const at = reply.beginBulk(length);
    const staging = reply.staging;
    if (!copyTurnOpen(sealed, this.db, this.key, length, staging, at)) {
      const values = ctx.server.values;
      try {
        this.context ??= values.prepareOpen(Purpose.ZSetMember, this.db, this.key);
        values.openPreparedAt(this.context, sealedBytes(sealed), 0, sealed.length, staging, at);
      } catch (err) {
        return (this.ok = sealFailedSince(ctx, this.mark, err));
      }
      keepTurnOpen(sealed, this.db, this.key, staging, at, length);
    }
    reply.endBulk(length);
    if (this.withScores) reply.double(score);
    return true;
  };

  /** Whether every member went out; lets go of the session. */
  end(): boolean {
    this.ctx = null;
    this.context = null;
    return this.ok;
  }
}

const rangeReply = new RangeReply();

/** Sum of the sealed lengths of ranks [start, end) (memory accounting before a removal). */
export function sealedBytesOf(entry: ZSetEntry, start: number, end: number): number {
  let bytes = 0;
  entry.zset.each(start, end, false, (sealed) => {
    bytes += sealed.length;
  });
  return bytes;
}

// ---- scores and ranges ----

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const HEX = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?$/;
const NONZERO_DIGIT = /[1-9]/;
/** Longer than any double's text that means something; longer arguments are parsed at this cut. */
const SCORE_TEXT_MAX = 4096;

/**
 * strtod on the whole text: the double, or null where nothing (or not all) of it parses. Sets
 * `strtodRange` when the value overflowed to infinity or underflowed to zero (ERANGE).
 */
let strtodRange = false;
function strtod(s: string): number | null {
  strtodRange = false;
  if (INFINITY.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  let value: number;
  let mantissa: string;
  if (DECIMAL.test(s)) {
    value = Number(s);
    mantissa = s.split(/[eE]/)[0]!;
  } else if (HEX.test(s)) {
    value = hexFloat(s);
    mantissa = s.slice(s.search(/[xX]/) + 1).split(/[pP]/)[0]!;
  } else {
    return null;
  }
  if (!Number.isFinite(value) || (value === 0 && NONZERO_DIGIT.test(mantissa.replace(/[a-fA-F]/g, '1')))) strtodRange = true;
  return value;
}


/** Plain integers up to this many digits are exact doubles, read straight from the bytes. */
const PLAIN_DIGITS_MAX = 15;

/** parseScore() of bytes[start, start + length) (a raw argument: no view unless the score is not a plain integer). */
export function parseScoreAt(bytes: Uint8Array, start: number, length: number): number | null {
  return plainInteger(bytes, start, start + length) ?? parseScore(bytes.subarray(start, start + length));
}

/** Redis string2d (ZADD, ZINCRBY, WEIGHTS): the whole text a double, no space, no NaN, no overflow. */
export function parseScore(arg: Uint8Array): number | null {
  // The common case, an integer score ("1700000000", "-3"), without a string or a regex.
  const plain = plainInteger(arg, 0, arg.length);
  if (plain !== null) return plain;
  if (arg.length === 0 || arg.length > SCORE_TEXT_MAX) return null;
  const s = Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1');
  const value = strtod(s);
  if (value === null || strtodRange) return null;
  return value;
}

/** bytes[start, end) as a number when it is only digits (after an optional '-'), at most PLAIN_DIGITS_MAX of them; else null. */
function plainInteger(bytes: Uint8Array, start: number, end: number): number | null {
  const n = decimalValue(bytes, start, end, PLAIN_DIGITS_MAX);
  return Number.isNaN(n) ? null : n;
}

/** The text up to a NUL byte (Redis reads range arguments as C strings). */
function cText(arg: Uint8Array, from: number): string {
  let end = arg.indexOf(0, from);
  if (end < 0) end = arg.length;
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length).toString('latin1', from, Math.min(end, from + SCORE_TEXT_MAX));
}

/** A ZRANGEBYSCORE bound as zslParseRange reads it: `(` for exclusive, leading spaces and "" allowed. */
export function parseScoreBound(arg: Uint8Array): ScoreBound | null {
  const exclusive = arg[0] === 0x28;
  const s = cText(arg, exclusive ? 1 : 0).replace(/^[ \t\n\v\f\r]+/, '');
  if (s === '') return { value: 0, exclusive };
  const value = strtod(s);
  return value === null ? null : { value, exclusive };
}

/** A ZRANGEBYLEX bound: `-`, `+`, `[bytes` or `(bytes` (the bytes stay a Buffer view, never a string). */
export function parseLexBound(arg: Buffer): LexBound | null {
  const c = arg[0];
  if (c === 0x2b || c === 0x2d) return arg.length === 1 || arg[1] === 0 ? (c === 0x2b ? '+' : '-') : null;
  if (c === 0x28 || c === 0x5b) return { value: arg.subarray(1), exclusive: c === 0x28 };
  return null;
}

/** A C long argument (getLongFromObject); huge values are kept as doubles, which clamp the same way. */
export function parseLong(arg: Uint8Array): number | null {
  const n = int64(arg);
  return n === null ? null : Number(n);
}

/** Redis zunionInterAggregate. */
export type Aggregate = 'sum' | 'min' | 'max';

export function aggregate(a: number, b: number, how: Aggregate): number {
  if (how === 'sum') {
    const s = a + b;
    return Number.isNaN(s) ? 0 : s;
  }
  // As Redis's zunionInterAggregate: `b` replaces `a` only when strictly smaller (larger), so of
  // -0 and 0 the first one kept stays.
  return how === 'min' ? (b < a ? b : a) : b > a ? b : a;
}

/** Option words compared case-insensitively (a huge argument is cut, so it matches none). */
export function isWord(arg: Buffer, w: string): boolean {
  return arg.length === w.length && word(arg) === w;
}

export { keyOf };

// ---- table ----

type Access = 'read' | 'write' | 'write-grow';

/** A sorted-set command's table entry; `specs` its Redis key specs (default: the key at 1 with `key` flags). */
export function zsetSpec(
  cmd: string, arity: number, access: Access, fast: boolean, key: readonly KeyFlagName[] | readonly KeySpec[], summary: string, since: string,
  handler: CommandSpec['handler'], more: Pick<CommandSpec, 'tips' | 'complexity'> & { blocking?: boolean; noscript?: boolean } = {},
): CommandSpec {
  const rw = access === 'read' ? 'readonly' : 'write';
  const flags: CommandSpec['flags'] = [
    rw, ...(access === 'write-grow' ? (['denyoom'] as const) : []), ...(more.noscript ? (['noscript'] as const) : []),
    ...(more.blocking ? (['blocking'] as const) : []), ...(fast ? (['fast'] as const) : []),
  ];
  const keySpecs = typeof key[0] === 'string' ? [at(1, ...(key as KeyFlagName[]))] : (key as KeySpec[]);
  const { blocking, noscript, ...docs } = more;
  void noscript;
  return {
    name: cmd, arity, flags, keySpecs,
    categories: [access === 'read' ? '@read' : '@write', '@sortedset', fast ? '@fast' : '@slow', ...(blocking ? ['@blocking'] : [])],
    summary, since, group: 'sorted-set', handler, ...docs,
  };
}

/** Key specs: numkeys at `numkeysAt`, keys after it (ZUNION, ZINTER, ZDIFF, ZMPOP...). */
export function keysAfterCount(numkeysAt: number, ...flags: KeyFlagName[]): KeySpec {
  return keySpec(index(numkeysAt), keynum(0, 1, 1), flags);
}
