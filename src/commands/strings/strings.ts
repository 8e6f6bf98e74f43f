// String commands (Redis t_string.c). Values are sealed; a plaintext lives only inside one
// handler and is wiped before it returns. Counters are in strings-numeric.ts.

import { int64, keyAt, keyOf, word } from '../args.js';
import { editValue, openValue, replyAndWipe, replyRange, replyValue, sealValue, storeSparse, storeValue, zerosReady } from '../values/sealing.js';
import { multiKeyStringCommands } from './strings-multi.js';
import { numericStringCommands } from './strings-numeric.js';
import { Errors } from '../../protocol/errors.js';
import { CHUNK_PLAIN, Sealer } from '../../seal/sealer.js';
import { plainBuffer } from '../../util/bytes.js';
import { Kind, type Entry, type KeyEvent, type StringEntry } from '../../store/keyspace.js';
import { at, KeyFlag, noted, type KeyRef } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';

const EMPTY = Buffer.alloc(0);
const INT64_MAX = 2n ** 63n - 1n;

/** SET/GETEX option flags (redis OBJ_SET_NX ... OBJ_PXAT). */
const enum Opt {
  NX = 1, XX = 2, GET = 4, KEEPTTL = 8, PERSIST = 16, EX = 32, PX = 64, EXAT = 128, PXAT = 256,
}
const EXPIRES = Opt.EX | Opt.PX | Opt.EXAT | Opt.PXAT;

interface Options {
  flags: number;
  /** The time argument of EX/PX/EXAT/PXAT (the last one given wins, as in Redis). */
  expire: Buffer | null;
}

/**
 * redis parseExtendedStringArgumentsOrReply: an option is refused (syntax error) when it
 * conflicts with one already seen; repeating the same option is allowed.
 */
function parseOptions(args: ArgList, from: number, forSet: boolean): Options | null {
  let flags = 0;
  let expire: Buffer | null = null;
  for (let i = from; i < args.length; i++) {
    const opt = word(args.at(i)!);
    const hasNext = i + 1 < args.length;
    let bit = 0;
    if (opt === 'nx' && forSet && !(flags & Opt.XX)) bit = Opt.NX;
    else if (opt === 'xx' && forSet && !(flags & Opt.NX)) bit = Opt.XX;
    else if (opt === 'get' && forSet) bit = Opt.GET;
    else if (opt === 'keepttl' && forSet && !(flags & (Opt.PERSIST | EXPIRES))) bit = Opt.KEEPTTL;
    else if (opt === 'persist' && !forSet && !(flags & (Opt.KEEPTTL | EXPIRES))) bit = Opt.PERSIST;
    else {
      const unit = expireOption(opt);
      if (unit === 0 || !hasNext || flags & (Opt.KEEPTTL | Opt.PERSIST | (EXPIRES & ~unit))) return null;
      bit = unit;
      expire = args.at(++i)!;
    }
    flags |= bit;
  }
  return { flags, expire };
}

function expireOption(opt: string): number {
  switch (opt) {
    case 'ex': return Opt.EX;
    case 'px': return Opt.PX;
    case 'exat': return Opt.EXAT;
    case 'pxat': return Opt.PXAT;
    default: return 0;
  }
}

/**
 * redis getExpireMillisecondsOrReply: absolute unix ms, or 0 after replying with the error.
 * Times must be positive, and seconds * 1000 or now + relative must not pass 2^63 - 1.
 */
function expireAt(ctx: Session, flags: number, arg: Buffer, command: string): number {
  const n = int64(arg);
  if (n === null) {
    ctx.reply.error(Errors.notInteger);
    return 0;
  }
  const seconds = (flags & (Opt.EX | Opt.EXAT)) !== 0;
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) {
    ctx.reply.error(Errors.invalidExpire(command));
    return 0;
  }
  let ms = seconds ? n * 1000n : n;
  if (flags & (Opt.EX | Opt.PX)) ms += BigInt(ctx.now);
  if (ms > INT64_MAX) {
    ctx.reply.error(Errors.invalidExpire(command));
    return 0;
  }
  return Number(ms);
}

/** A string entry, undefined when missing, or null after replying WRONGTYPE. */
function readString(ctx: Session, key: string): StringEntry | undefined | null {
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined || entry.kind === Kind.String) return entry;
  ctx.reply.error(Errors.wrongType);
  return null;
}

/** GET: its arguments may be RawArgs (offsets into the read: no Buffer view made for the key). */
function get(ctx: Session, args: ArgList): void {
  const key = keyAt(ctx, args, 1);
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined) return ctx.reply.nullBulk();
  if (entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  replyValue(ctx, key, entry);
}

/** SET: plain SET key value may come as RawArgs (the value's view is the one Buffer made). */
function set(ctx: Session, list: ArgList): void {
  if (list.length > 3) return setWithOptions(ctx, list);
  const key = keyAt(ctx, list, 1);
  storeValue(ctx, key, list.at(2)!, 0, 'set');
  ctx.reply.ok();
}

/**
 * SET with options. The arguments may be RawArgs or, for a request of thousands (repeating an
 * option is allowed), a vector (arg-list.ts): read through at(), never made an array.
 */
function setWithOptions(ctx: Session, args: ArgList): void {
  const opts = parseOptions(args, 3, true);
  if (opts === null) return ctx.reply.error(Errors.syntax);
  let at = 0;
  if (opts.expire !== null && (at = expireAt(ctx, opts.flags, opts.expire, 'set')) === 0) return;
  setGeneric(ctx, keyAt(ctx, args, 1), args.at(2)!, opts.flags, at);
}

/**
 * redis setGenericCommand: with GET the old value (or nil) is the reply, whether or not NX/XX
 * let the write happen; without GET an NX/XX miss answers nil. `at` 0 means no new TTL.
 */
function setGeneric(ctx: Session, key: string, value: Buffer, flags: number, at: number): void {
  let old: Buffer | null = null;
  let existing: Entry | undefined;
  if (flags & Opt.GET) {
    const entry = readString(ctx, key);
    if (entry === null) return;
    if (entry !== undefined && (old = openValue(ctx, key, entry.value)) === null) return;
    existing = entry;
  } else {
    // A key of another type is simply replaced (KEEPTTL keeps its TTL, as in Redis).
    existing = ctx.db.get(key, ctx.now);
  }
  const found = existing !== undefined;
  if (!((flags & Opt.NX && found) || (flags & Opt.XX && !found))) {
    const expiresAt = at !== 0 ? at : flags & Opt.KEEPTTL && existing ? existing.expiresAt : 0;
    storeValue(ctx, key, value, expiresAt, 'set');
    // A new TTL is a second notification of the same write (KEEPTTL's kept one is not).
    if (at !== 0) ctx.db.notify(key, 'expire', Kind.String);
    if (!(flags & Opt.GET)) return ctx.reply.ok();
  } else if (!(flags & Opt.GET)) {
    return ctx.reply.nullBulk();
  }
  if (old === null) ctx.reply.nullBulk();
  else replyAndWipe(ctx, old);
}

function setnx(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  if (ctx.db.get(key, ctx.now) !== undefined) return ctx.reply.integer(0);
  storeValue(ctx, key, args[2]!, 0, 'set');
  ctx.reply.integer(1);
}

function setex(ctx: Session, args: Buffer[]): void {
  const at = expireAt(ctx, Opt.EX, args[2]!, 'setex');
  if (at !== 0) setGeneric(ctx, keyOf(ctx, args[1]!), args[3]!, 0, at);
}

function psetex(ctx: Session, args: Buffer[]): void {
  const at = expireAt(ctx, Opt.PX, args[2]!, 'psetex');
  if (at !== 0) setGeneric(ctx, keyOf(ctx, args[1]!), args[3]!, 0, at);
}

function getset(ctx: Session, args: Buffer[]): void {
  setGeneric(ctx, keyOf(ctx, args[1]!), args[2]!, Opt.GET, 0);
}

function getdel(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readString(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.nullBulk();
  const plain = openValue(ctx, key, entry.value);
  if (plain === null) return;
  replyAndWipe(ctx, plain);
  ctx.db.delete(key, 'del');
}

/** Redis order: option syntax, then the key (nil / WRONGTYPE), then the time's validity. */
function getex(ctx: Session, args: Buffer[]): void {
  const opts = args.length > 2 ? parseOptions(args, 2, false) : { flags: 0, expire: null };
  if (opts === null) return ctx.reply.error(Errors.syntax);
  const key = keyOf(ctx, args[1]!);
  const entry = readString(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.nullBulk();
  let at = 0;
  if (opts.expire !== null && (at = expireAt(ctx, opts.flags, opts.expire, 'getex')) === 0) return;
  const plain = openValue(ctx, key, entry.value);
  if (plain === null) return;
  replyAndWipe(ctx, plain);
  // An absolute time already past deletes the key instead of leaving it for expiry.
  if (opts.flags & (Opt.EXAT | Opt.PXAT) && at <= ctx.now) ctx.db.delete(key, 'del');
  else if (at !== 0) ctx.db.setExpiry(key, entry, at);
  else if (opts.flags & Opt.PERSIST && entry.expiresAt !== 0) ctx.db.setExpiry(key, entry, 0);
}

/** redis checkStringLength: a result longer than proto-max-bulk-len is refused. */
function tooLong(ctx: Session, offset: number, append: number): boolean {
  if (offset + append <= ctx.server.config.number('proto-max-bulk-len')) return false;
  ctx.reply.error(Errors.stringTooLong);
  return true;
}

/** Seals a new plaintext into an existing entry (TTL kept), wipes the plaintext, signals `event`. */
function replaceValue(ctx: Session, key: string, entry: StringEntry, plain: Buffer, event: KeyEvent): void {
  entry.value = sealValue(ctx, key, plain);
  ctx.db.touch(entry, ctx.now);
  plain.fill(0);
  ctx.db.changed(key, event);
}

function append(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const extra = args[2]!;
  const entry = ctx.db.get(key, ctx.now);
  if (entry === undefined) {
    storeValue(ctx, key, extra, 0, 'append');
    return ctx.reply.integer(extra.length);
  }
  if (entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  const oldLength = Sealer.plainLength(entry.value);
  if (tooLong(ctx, oldLength, extra.length)) return;
  // A large value: the last chunk and the new ones are sealed, the rest is left alone.
  if (Sealer.isChunked(entry.value)) {
    if (editValue(ctx, key, entry, oldLength, extra, 'append')) ctx.reply.integer(oldLength + extra.length);
    return;
  }
  const old = openValue(ctx, key, entry.value);
  if (old === null) return;
  const joined = plainBuffer(old.length + extra.length);
  old.copy(joined, 0);
  old.fill(0);
  extra.copy(joined, old.length);
  replaceValue(ctx, key, entry, joined, 'append');
  ctx.reply.integer(joined.length);
}

/** The length is in the sealed header: no need to open the value. */
function strlen(ctx: Session, args: Buffer[]): void {
  const entry = readString(ctx, keyOf(ctx, args[1]!));
  if (entry === null) return;
  ctx.reply.integer(entry === undefined ? 0 : Sealer.plainLength(entry.value));
}

/** redis getrangeCommand: indexes first, then the key; an empty range never opens the value. */
function getrange(ctx: Session, args: Buffer[]): void {
  const first = int64(args[2]!);
  const last = int64(args[3]!);
  if (first === null || last === null) return ctx.reply.error(Errors.notInteger);
  const key = keyOf(ctx, args[1]!);
  const entry = readString(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.bulk(EMPTY);
  const length = Sealer.plainLength(entry.value);
  // Lengths are far below 2^53, so the doubles order exactly like the 64-bit values.
  let start = Number(first);
  let end = Number(last);
  if (start < 0 && end < 0 && start > end) return ctx.reply.bulk(EMPTY);
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return ctx.reply.bulk(EMPTY);
  if (Sealer.isChunked(entry.value)) return replyRange(ctx, key, entry.value, start, end + 1);
  const plain = openValue(ctx, key, entry.value);
  if (plain === null) return;
  ctx.reply.bulk(plain.subarray(start, end + 1));
  plain.fill(0);
}

/** redis setrangeCommand: the gap up to `offset` is zero-filled; an empty value writes nothing. */
function setrange(ctx: Session, args: Buffer[]): void {
  const parsed = int64(args[2]!);
  if (parsed === null) return ctx.reply.error(Errors.notInteger);
  if (parsed < 0n) return ctx.reply.error(Errors.offsetOutOfRange);
  const offset = Number(parsed);
  const key = keyOf(ctx, args[1]!);
  const value = args[3]!;
  const entry = ctx.db.get(key, ctx.now);
  if (entry !== undefined && entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  const oldLength = entry === undefined ? 0 : Sealer.plainLength(entry.value);
  if (value.length === 0) return ctx.reply.integer(oldLength);
  if (tooLong(ctx, offset, value.length)) return;
  const newLength = Math.max(oldLength, offset + value.length);
  // A large value: only the chunks the new bytes fall in (and any it grows by) are sealed.
  if (entry !== undefined && Sealer.isChunked(entry.value) && !zerosReady(ctx, key, newLength)) {
    if (editValue(ctx, key, entry, offset, value, 'setrange')) ctx.reply.integer(newLength);
    return;
  }
  if (newLength > CHUNK_PLAIN) {
    // Long enough to be chunked: the chunks of the gap are sealed as zeros, no plaintext made.
    const old = entry === undefined ? null : openValue(ctx, key, entry.value);
    if (entry !== undefined && old === null) return;
    try {
      storeSparse(ctx, key, entry, newLength, old === null ? [{ at: offset, bytes: value }] : [{ at: 0, bytes: old }, { at: offset, bytes: value }], 'setrange');
    } finally {
      old?.fill(0);
    }
    return ctx.reply.integer(newLength);
  }
  const plain = plainBuffer(newLength);
  if (entry !== undefined) {
    const old = openValue(ctx, key, entry.value);
    if (old === null) return;
    old.copy(plain, 0);
    old.fill(0);
  }
  value.copy(plain, offset);
  const length = plain.length;
  if (entry === undefined) {
    storeValue(ctx, key, plain, 0, 'setrange');
    plain.fill(0);
  } else {
    replaceValue(ctx, key, entry, plain, 'setrange');
  }
  ctx.reply.integer(length);
}

/** Every string command is in the string group. */
const cmd = (spec: Omit<CommandSpec, 'group'>): CommandSpec => ({ group: 'string', ...spec });

/** SET's key flags depend on GET (redis setGetKeys): with it the old value is read too. */
function setKeys(args: readonly Buffer[]): KeyRef[] {
  for (let i = 3; i < args.length; i++) {
    const a = args[i]!;
    if (a.length === 3 && (a[0]! | 0x20) === 0x67 && (a[1]! | 0x20) === 0x65 && (a[2]! | 0x20) === 0x74) {
      return [{ pos: 1, flags: KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE }];
    }
  }
  return [{ pos: 1, flags: KeyFlag.OW | KeyFlag.UPDATE }];
}

const READ = [at(1, 'RO', 'ACCESS')];
const READ_LENGTH = [at(1, 'RO')];
const OVERWRITE = [at(1, 'OW', 'UPDATE')];
const READ_WRITE = [at(1, 'RW', 'ACCESS', 'UPDATE')];
const SET_KEY = [noted(at(1, 'RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS'), 'RW and ACCESS due to the optional `GET` argument')];

const READ_FAST = ['@read', '@string', '@fast'];
const WRITE_FAST = ['@write', '@string', '@fast'];
const WRITE_SLOW = ['@write', '@string', '@slow'];
const RANGE_COMPLEXITY =
  'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.';

export const stringCommands: CommandSpec[] = [
  cmd({ name: 'get', arity: 2, flags: ['readonly', 'fast'], keySpecs: READ, categories: READ_FAST,
    summary: 'Get the value of a key', since: '1.0.0', complexity: 'O(1)', handler: takesRawArgs(get) }),
  cmd({ name: 'set', arity: -3, flags: ['write', 'denyoom'], keySpecs: SET_KEY, findKeys: setKeys, categories: WRITE_SLOW,
    summary: 'Set the string value of a key', since: '1.0.0', complexity: 'O(1)', handler: takesRawArgs(set) }),
  cmd({ name: 'setnx', arity: 3, flags: ['write', 'denyoom', 'fast'], keySpecs: [at(1, 'OW', 'INSERT')], categories: WRITE_FAST,
    summary: 'Set the value of a key, only if the key does not exist', since: '1.0.0', complexity: 'O(1)', handler: setnx }),
  cmd({ name: 'setex', arity: 4, flags: ['write', 'denyoom'], keySpecs: OVERWRITE, categories: WRITE_SLOW,
    summary: 'Set the value and expiration of a key', since: '2.0.0', complexity: 'O(1)', handler: setex }),
  cmd({ name: 'psetex', arity: 4, flags: ['write', 'denyoom'], keySpecs: OVERWRITE, categories: WRITE_SLOW,
    summary: 'Set the value and expiration in milliseconds of a key', since: '2.6.0', complexity: 'O(1)', handler: psetex }),
  cmd({ name: 'getset', arity: 3, flags: ['write', 'denyoom', 'fast'], keySpecs: READ_WRITE, categories: WRITE_FAST,
    summary: 'Set the string value of a key and return its old value', since: '1.0.0', complexity: 'O(1)', handler: getset }),
  cmd({ name: 'getdel', arity: 2, flags: ['write', 'fast'], keySpecs: [at(1, 'RW', 'ACCESS', 'DELETE')], categories: WRITE_FAST,
    summary: 'Get the value of a key and delete the key', since: '6.2.0', complexity: 'O(1)', handler: getdel }),
  cmd({ name: 'getex', arity: -2, flags: ['write', 'fast'], keySpecs: [noted(at(1, 'RW', 'ACCESS', 'UPDATE'), 'RW and UPDATE because it changes the TTL')], categories: WRITE_FAST,
    summary: 'Get the value of a key and optionally set its expiration', since: '6.2.0', complexity: 'O(1)', handler: getex }),
  ...multiKeyStringCommands,
  cmd({ name: 'append', arity: 3, flags: ['write', 'denyoom', 'fast'], keySpecs: [at(1, 'RW', 'INSERT')], categories: WRITE_FAST,
    summary: 'Append a value to a key', since: '2.0.0',
    complexity: 'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
    handler: append }),
  cmd({ name: 'strlen', arity: 2, flags: ['readonly', 'fast'], keySpecs: READ_LENGTH, categories: READ_FAST,
    summary: 'Get the length of the value stored in a key', since: '2.2.0', complexity: 'O(1)', handler: strlen }),
  cmd({ name: 'getrange', arity: 4, flags: ['readonly'], keySpecs: READ, categories: ['@read', '@string', '@slow'],
    summary: 'Get a substring of the string stored at a key', since: '2.4.0', complexity: RANGE_COMPLEXITY, handler: getrange }),
  cmd({ name: 'substr', arity: 4, flags: ['readonly'], keySpecs: READ, categories: ['@read', '@string', '@slow'],
    summary: 'Get a substring of the string stored at a key', since: '1.0.0', complexity: RANGE_COMPLEXITY, handler: getrange }),
  cmd({ name: 'setrange', arity: 4, flags: ['write', 'denyoom'], keySpecs: [at(1, 'RW', 'UPDATE')], categories: WRITE_SLOW,
    summary: 'Overwrite part of a string at key starting at the specified offset', since: '2.2.0',
    complexity: 'O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.',
    handler: setrange }),
  ...numericStringCommands,
];
