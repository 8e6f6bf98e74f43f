// Hash commands (redis t_hash.c): setting, reading, deleting and counters. Field names and
// values are sealed together (a small hash's pairs as one blob, a large hash's fields one by one,
// each bound to its name's digest: src/commands/hashes/hash-fields.ts), so neither sits in memory as
// plaintext and a value cannot be swapped to another field. HSCAN and HRANDFIELD are in
// hashes-iterate.ts.

import { addInt64, argLengthAt, int64At, keyAt, keyOf, parseInt64At } from '../args.js';
import { hashSpec, readHash, reading, writeHash } from './hash-entries.js';
import { listpackLimits, type HashAccess, type ListpackLimits } from './hash-fields.js';
import { hashIterateCommands } from './hashes-iterate.js';
import { Errors } from '../../protocol/errors.js';
import { copyBytes, plainBuffer } from '../../util/bytes.js';
import { writeInteger } from '../../util/decimal.js';
import { addLongDouble, LONG_DOUBLE_TEXT_MAX, parseLongDouble, writeHuman, type LongDouble } from '../../util/long-double.js';
import type { KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import { MAX_NAME_BYTES, NameTooLongError } from '../../util/names.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';

const LD_ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

// ---- setting ----

/**
 * HSET and HMSET share Redis's hsetCommand: pairs are checked before the key's type. Returns
 * how many fields were new, or null after replying with an error.
 */
function setCommand(cmd: 'hset' | 'hmset', ctx: Session, args: ArgList): number | null {
  if (args.length % 2 !== 0) {
    ctx.reply.error(Errors.wrongArity(cmd));
    return null;
  }
  // Every field name is checked before the first is set: a refused one leaves the hash as it was.
  for (let i = 2; i < args.length; i += 2) if (argLengthAt(args, i) > MAX_NAME_BYTES) throw new NameTooLongError();
  const key = keyAt(ctx, args, 1);
  listpackLimits(ctx, limits);
  setArgs = args;
  setAdded = 0;
  try {
    return writeHash(ctx, key, 'hset', setPairs) ? setAdded : null;
  } finally {
    setArgs = NO_ARGS;
  }
}

/**
 * The hash writes' changes, without a closure per call: their arguments are set just before
 * writeHash() calls them (nothing runs in between, and a hash write does not re-enter).
 */
const NO_ARGS: Buffer[] = [];
let setArgs: ArgList = NO_ARGS;
let setAdded = 0;
/** The listpack limits, read afresh by each write (listpackLimits) into this one object. */
const limits: ListpackLimits = { entries: 0, value: 0 };

/** HSET's and HMSET's change: every pair of setArgs set, setAdded counting the new fields. */
function setPairs(h: HashAccess): boolean {
  const args = setArgs;
  overLimits(h, args, 2, limits.value);
  if (args instanceof RawArgs) {
    // Names and values read where they lie in the request (no view per argument).
    const { bytes, starts, lengths } = args;
    for (let i = 2; i < args.length; i += 2) if (h.setIn(bytes, starts[i]!, lengths[i]!, bytes, starts[i + 1]!, lengths[i + 1]!, limits)) setAdded++;
  } else {
    for (let i = 2; i < args.length; i += 2) if (h.set(args.at(i)!, args.at(i + 1)!, limits)) setAdded++;
  }
  return true;
}

/** Redis's hashTypeTryConversion: any argument over hash-max-listpack-value ends the listpack, set or not. */
function overLimits(h: HashAccess, args: ArgList, from: number, max: number): void {
  for (let i = from; i < args.length; i++) if (argLengthAt(args, i) > max) h.fields.listpack = false;
}

function hset(ctx: Session, args: ArgList): void {
  const added = setCommand('hset', ctx, args);
  if (added !== null) ctx.reply.integer(added);
}

function hmset(ctx: Session, args: ArgList): void {
  if (setCommand('hmset', ctx, args) !== null) ctx.reply.ok();
}

function hsetnx(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const limits = listpackLimits(ctx);
  let added = 0;
  const ok = writeHash(ctx, key, 'hset', (h) => {
    // Redis 7.0 converts only when it sets (hsetnxCommand): a present field leaves a listpack as it is.
    if (h.has(args[2]!)) return false;
    overLimits(h, args, 2, limits.value);
    h.set(args[2]!, args[3]!, limits);
    added = 1;
    return true;
  });
  if (ok) ctx.reply.integer(added);
}

// ---- reading ----

function hget(ctx: Session, args: ArgList): void {
  const key = keyAt(ctx, args, 1);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.nullBulk();
  reading(ctx, key, entry, replyFirstValue, args);
}

/** HashAccess.find() of argument i: a raw one where it lies in the request. */
function findArg(h: HashAccess, args: ArgList, i: number): boolean {
  if (args instanceof RawArgs) return h.findIn(args.bytes, args.starts[i]!, args.lengths[i]!);
  return h.find(args.at(i)!);
}

function replyFirstValue(h: HashAccess, ctx: Session, args: ArgList): void {
  replyValue(h, ctx, args, 2);
}

/** The value of field args[i], copied from the opened pairs into the reply (no view of it), or a null reply (HGET; HMGET per field). */
function replyValue(h: HashAccess, ctx: Session, args: ArgList, i: number): void {
  if (!findArg(h, args, i)) return ctx.reply.nullBulk();
  const pairs = h.pairs;
  const length = pairs.valueLength;
  const at = ctx.reply.beginBulk(length);
  copyBytes(pairs.bytes, pairs.valueAt, ctx.reply.staging, at, length);
  ctx.reply.endBulk(length);
}

function hmget(ctx: Session, args: ArgList): void {
  const key = keyAt(ctx, args, 1);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  if (entry === undefined) {
    ctx.reply.arrayLen(args.length - 2);
    for (let i = 2; i < args.length; i++) ctx.reply.nullBulk();
    return;
  }
  reading(ctx, key, entry, replyValues, args);
}

function replyValues(h: HashAccess, ctx: Session, args: ArgList): void {
  ctx.reply.arrayLen(args.length - 2);
  for (let i = 2; i < args.length; i++) replyValue(h, ctx, args, i);
}

/** HGETALL, HKEYS, HVALS: every field's name, value or both, opened as the reply is written. */
function replyWhole(ctx: Session, args: Buffer[], names: boolean, values: boolean): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  const header = (size: number) => (names && values ? ctx.reply.mapLen(size) : ctx.reply.arrayLen(size));
  if (entry === undefined) return header(0);
  reading(ctx, key, entry, (h) => {
    header(h.size);
    h.forEach((pairs) => {
      if (names) ctx.reply.bulk(pairs.name());
      if (values) ctx.reply.bulk(pairs.value());
    });
  });
}

const hgetall = (ctx: Session, args: Buffer[]) => replyWhole(ctx, args, true, true);
const hkeys = (ctx: Session, args: Buffer[]) => replyWhole(ctx, args, true, false);
const hvals = (ctx: Session, args: Buffer[]) => replyWhole(ctx, args, false, true);

function hlen(ctx: Session, args: Buffer[]): void {
  const entry = readHash(ctx, keyOf(ctx, args[1]!));
  if (entry !== null) ctx.reply.integer(entry?.fields.size ?? 0);
}

function hexists(ctx: Session, args: ArgList): void {
  const key = keyAt(ctx, args, 1);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.integer(0);
  reading(ctx, key, entry, replyExists, args);
}

/** A large hash answers from its digests (has), a small one from its opened pairs. */
function replyExists(h: HashAccess, ctx: Session, args: ArgList): void {
  ctx.reply.integer((h.fields.table === null ? findArg(h, args, 2) : h.has(args.at(2)!)) ? 1 : 0);
}

/** The value's length, from its opened pair (the name shares its blob, so the sealed size alone does not tell). */
function hstrlen(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.integer(0);
  reading(ctx, key, entry, (h) => ctx.reply.integer(h.find(args[2]!) ? h.pairs.valueLength : 0));
}

// ---- deleting ----

/** A hash never exists empty: the last field takes the key with it (Keyspace.mutate). */
function hdel(ctx: Session, args: ArgList): void {
  const key = keyAt(ctx, args, 1);
  setArgs = args;
  setAdded = 0;
  try {
    if (writeHash(ctx, key, 'hdel', deleteFields)) ctx.reply.integer(setAdded);
  } finally {
    setArgs = NO_ARGS;
  }
}

/** HDEL's change: every field of setArgs deleted, setAdded counting those that were there. */
function deleteFields(h: HashAccess): boolean {
  const args = setArgs;
  if (args instanceof RawArgs) {
    for (let i = 2; i < args.length; i++) if (h.deleteIn(args.bytes, args.starts[i]!, args.lengths[i]!)) setAdded++;
  } else {
    for (let i = 2; i < args.length; i++) if (h.delete(args.at(i)!)) setAdded++;
  }
  return setAdded > 0;
}

// ---- counters ----

/** The field's plaintext parsed; undefined when absent, null after replying `bad`. */
function parseField<T>(ctx: Session, h: HashAccess, field: Buffer, parse: (b: Uint8Array) => T | null, bad: string): T | undefined | null {
  if (!h.find(field)) return undefined;
  const value = parse(h.pairs.value());
  if (value === null) ctx.reply.error(bad);
  return value;
}

/**
 * HINCRBY's and HINCRBYFLOAT's result as text, in one buffer outside the V8 heap (see
 * plainBuffer), wiped once the field is sealed: never a JS string.
 */
const resultText = plainBuffer(LONG_DOUBLE_TEXT_MAX);

/**
 * Increment first, then the key's type, then the stored value: Redis's order of errors. Counters
 * stay in doubles while exact (bigints past 2^53), and the field is read and written where it
 * lies in the request (RawArgs): no BigInt or view per call.
 */
function hincrby(ctx: Session, args: ArgList): void {
  const incr = int64At(args, 3);
  if (incr === null) return ctx.reply.error(Errors.notInteger);
  const key = keyAt(ctx, args, 1);
  listpackLimits(ctx, limits);
  incrCtx = ctx;
  incrArgs = args;
  incrBy = incr;
  try {
    writeHash(ctx, key, 'hincrby', incrementField);
  } finally {
    incrCtx = null;
    incrArgs = NO_ARGS;
  }
}

/** HINCRBY's change (as setPairs): the session, the arguments (field at 2) and the increment. */
let incrCtx: Session | null = null;
let incrArgs: ArgList = NO_ARGS;
let incrBy: number | bigint = 0;

function incrementField(h: HashAccess): boolean {
  const ctx = incrCtx!;
  const args = incrArgs;
  let current: number | bigint | null = 0;
  if (findArg(h, args, 2)) {
    const pairs = h.pairs;
    current = parseInt64At(pairs.bytes, pairs.valueAt, pairs.valueLength);
    if (current === null) {
      ctx.reply.error(Errors.hashNotInteger);
      return false;
    }
  }
  const sum = addInt64(current, incrBy);
  if (sum === null) {
    ctx.reply.error(Errors.overflow);
    return false;
  }
  const length = writeInteger(sum, resultText, 0);
  try {
    if (args instanceof RawArgs) h.setIn(args.bytes, args.starts[2]!, args.lengths[2]!, resultText, 0, length, limits);
    else h.setIn(args.at(2)!, 0, argLengthAt(args, 2), resultText, 0, length, limits);
  } finally {
    // A loop: Buffer's fill() checks its arguments in JS first, a visible share of a short write.
    for (let i = 0; i < length; i++) resultText[i] = 0;
  }
  ctx.reply.integer(sum);
  return true;
}

/** Computed in 80-bit long double and printed "%.17Lf"-style, as Redis does. */
function hincrbyfloat(ctx: Session, args: Buffer[]): void {
  const incr = parseLongDouble(args[3]!);
  if (incr === null) return ctx.reply.error(Errors.notFloat);
  if (incr.inf) return ctx.reply.error(Errors.valueNanOrInfinity);
  const key = keyOf(ctx, args[1]!);
  const limits = listpackLimits(ctx);
  writeHash(ctx, key, 'hincrbyfloat', (h) => {
    const current = parseField(ctx, h, args[2]!, parseLongDouble, Errors.hashNotFloat);
    if (current === null) return false;
    const sum = addLongDouble(current ?? LD_ZERO, incr);
    if (sum === null) {
      ctx.reply.error(Errors.nanOrInfinity);
      return false;
    }
    const text = resultText.subarray(0, writeHuman(sum, resultText, 0));
    try {
      h.set(args[2]!, text, limits);
      ctx.reply.bulk(text);
    } finally {
      text.fill(0);
    }
    return true;
  });
}

// ---- table ----

/** Key flags (Redis key specs): reads the fields, looks only at sizes, or reads and updates. */
const READ: readonly KeyFlagName[] = ['RO', 'ACCESS'];
const LOOK: readonly KeyFlagName[] = ['RO'];
const COUNTER: readonly KeyFlagName[] = ['RW', 'ACCESS', 'UPDATE'];
const O1 = { complexity: 'O(1)' };
/** Replies with the whole hash, in no promised order. */
const WHOLE = { tips: ['nondeterministic_output_order'], complexity: 'O(N) where N is the size of the hash.' };

export const hashCommands: CommandSpec[] = [
  hashSpec('hset', -4, 'write-grow', true, ['RW', 'UPDATE'], 'Set the string value of a hash field', '2.0.0', takesRawArgs(hset), { complexity: 'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.' }),
  hashSpec('hsetnx', 4, 'write-grow', true, ['RW', 'INSERT'], 'Set the value of a hash field, only if the field does not exist', '2.0.0', hsetnx, O1),
  hashSpec('hmset', -4, 'write-grow', true, ['RW', 'UPDATE'], 'Set multiple hash fields to multiple values', '2.0.0', takesRawArgs(hmset), { complexity: 'O(N) where N is the number of fields being set.' }),
  hashSpec('hget', 3, 'read', true, READ, 'Get the value of a hash field', '2.0.0', takesRawArgs(hget), O1),
  hashSpec('hmget', -3, 'read', true, READ, 'Get the values of all the given hash fields', '2.0.0', takesRawArgs(hmget), { complexity: 'O(N) where N is the number of fields being requested.' }),
  hashSpec('hgetall', 2, 'read', false, READ, 'Get all the fields and values in a hash', '2.0.0', hgetall, WHOLE),
  hashSpec('hkeys', 2, 'read', false, READ, 'Get all the fields in a hash', '2.0.0', hkeys, WHOLE),
  hashSpec('hvals', 2, 'read', false, READ, 'Get all the values in a hash', '2.0.0', hvals, WHOLE),
  hashSpec('hlen', 2, 'read', true, LOOK, 'Get the number of fields in a hash', '2.0.0', hlen, O1),
  hashSpec('hexists', 3, 'read', true, LOOK, 'Determine if a hash field exists', '2.0.0', takesRawArgs(hexists), O1),
  hashSpec('hstrlen', 3, 'read', true, LOOK, 'Get the length of the value of a hash field', '3.2.0', hstrlen, O1),
  hashSpec('hdel', -3, 'write', true, ['RW', 'DELETE'], 'Delete one or more hash fields', '2.0.0', takesRawArgs(hdel), { complexity: 'O(N) where N is the number of fields to be removed.' }),
  hashSpec('hincrby', 4, 'write-grow', true, COUNTER, 'Increment the integer value of a hash field by the given number', '2.0.0', takesRawArgs(hincrby), O1),
  hashSpec('hincrbyfloat', 4, 'write-grow', true, COUNTER, 'Increment the float value of a hash field by the given amount', '2.6.0', hincrbyfloat, O1),
  ...hashIterateCommands,
];
