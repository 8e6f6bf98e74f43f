// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT: open the sealed number, parse it from its bytes,
// wipe it, seal the new number's text. The key keeps its TTL, as in Redis.
//
// The everyday counter (a record in the arena holding a number below 2^53) takes a path that
// allocates nothing: the value is opened into one small buffer outside the V8 heap, its digits
// parsed and the new ones written there, sealed straight back into the key's record (which moves
// only when the new length no longer fits its block) and the buffer wiped. Anything else
// (boxed or spilled values, 64-bit values, errors) goes the general way.

import { addInt64, int64At, keyAt, keyOf, parseInt64 } from '../args.js';
import { at } from '../key-specs.js';
import { openValue, sealFailed, sealValue, storeValue } from '../values/sealing.js';
import { Errors } from '../../protocol/errors.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { parseStrictInteger } from '../../protocol/parser.js';
import { OVERHEAD } from '../../seal/sealer.js';
import { Kind, stringEntry, type KeyEvent, type StringEntry } from '../../store/keyspace.js';
import { StoredString } from '../../store/stored-string.js';
import { plainBuffer } from '../../util/bytes.js';
import { INT64_TEXT_MAX, writeInteger } from '../../util/decimal.js';
import { addLongDouble, LONG_DOUBLE_TEXT_MAX, parseLongDouble, writeHuman, type LongDouble } from '../../util/long-double.js';
import type { CommandSpec, Session } from '../types.js';

const INT64_MIN = -(2n ** 63n);
const MAX_INT_CHARS = INT64_TEXT_MAX;
const ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

/** Replaces a string's value keeping its TTL, or creates the key without one; signals `event`. */
function store(ctx: Session, key: string, entry: StringEntry | undefined, plain: Buffer, event: KeyEvent): void {
  let sealed: Buffer;
  try {
    sealed = sealValue(ctx, key, plain);
  } finally {
    plain.fill(0);
  }
  if (entry === undefined) {
    ctx.db.set(key, stringEntry(sealed, 0, ctx.now), event);
    return;
  }
  entry.value = sealed;
  ctx.db.touch(entry, ctx.now);
  ctx.db.changed(key, event);
}

/**
 * Where a counter's plaintext lives while it is worked on (never a JS string or number text):
 * memory of its own, outside the V8 heap, wiped after each use. Exact-length views of it are
 * made once (the sealer takes the plaintext's length from its view).
 */
const digits = plainBuffer(MAX_INT_CHARS + 4);
const digitViews: Buffer[] = [];
for (let n = 0; n <= MAX_INT_CHARS; n++) digitViews.push(digits.subarray(0, n));
/** Zeroes the first n bytes of `digits` (a loop: Buffer.fill's checks cost more for a few bytes). */
function wipe(n: number): void {
  for (let i = 0; i < n; i++) digits[i] = 0;
}
/** INCRBYFLOAT's result text, kept as `digits` is. */
const floatText = plainBuffer(LONG_DOUBLE_TEXT_MAX);
/** Values with more digits than this may pass 2^53: the general path parses them. */
const SAFE_DIGITS = 15;

/** Writes an integer's decimal text at the start of `digits`; returns its length. */
function writeDigits(n: number | bigint): number {
  return writeInteger(n, digits, 0);
}

/**
 * The allocation-free increment of a counter in a record (see the header); false, having done
 * nothing, when the general path must take it (the value is not a short canonical integer, or
 * the sum leaves the doubles' exact range).
 */
function incrementStored(ctx: Session, key: string, entry: StoredString, delta: number): boolean {
  const size = entry.size;
  const length = size - OVERHEAD;
  if (length < 1 || length > SAFE_DIGITS) return false;
  const values = ctx.server.values;
  const uid = ctx.db.uid;
  try {
    values.openValueAt(uid, key, entry.slabBytes, entry.valueStart, size, digits, 0);
  } catch (err) {
    sealFailed(ctx, err);
    return true;
  }
  const current = parseStrictInteger(digits, 0, length);
  const next = current === null ? NaN : current + delta;
  if (!Number.isSafeInteger(next)) {
    wipe(length);
    return false;
  }
  const written = writeDigits(next);
  try {
    entry.resize(written + OVERHEAD);
    values.resealValueAt(uid, key, digitViews[written]!, entry.slabBytes, entry.valueStart);
  } finally {
    wipe(Math.max(length, written));
  }
  ctx.db.touch(entry, ctx.now);
  ctx.db.changed(key, 'incrby', entry);
  ctx.reply.integer(next);
  return true;
}

/** A new counter (the key was missing): sealed straight into its new record, as SET does. */
function createCounter(ctx: Session, key: string, value: number): void {
  const written = writeDigits(value);
  try {
    storeValue(ctx, key, digitViews[written]!, 0, 'incrby');
  } finally {
    wipe(written);
  }
  ctx.reply.integer(value);
}

function incrementBy(ctx: Session, key: string, delta: number | bigint): void {
  const entry = ctx.db.get(key, ctx.now);
  if (typeof delta === 'number') {
    if (entry instanceof StoredString && incrementStored(ctx, key, entry, delta)) return;
    if (entry === undefined) return createCounter(ctx, key, delta);
  }
  let current: number | bigint = 0;
  if (entry !== undefined) {
    if (entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
    const plain = openValue(ctx, key, entry.value);
    if (plain === null) return;
    const parsed = parseInt64(plain);
    plain.fill(0);
    if (parsed === null) return ctx.reply.error(Errors.notInteger);
    current = parsed;
  }
  const next = addInt64(current, delta);
  if (next === null) return ctx.reply.error(Errors.overflow);
  // Its text as bytes in `digits` (wiped by store()), never a string.
  store(ctx, key, entry, digitViews[writeDigits(next)]!, 'incrby');
  ctx.reply.integer(next);
}

/** INCR and DECR may come as RawArgs (a socket's short request, a script's redis.call): no Buffer view of the key made. */
function incr(ctx: Session, args: ArgList): void {
  incrementBy(ctx, keyAt(ctx, args, 1), 1);
}

function decr(ctx: Session, args: ArgList): void {
  incrementBy(ctx, keyAt(ctx, args, 1), -1);
}

/** INCRBY and DECRBY may come as RawArgs too, as INCR does. */
function incrby(ctx: Session, args: ArgList): void {
  const delta = int64At(args, 2);
  if (delta === null) return ctx.reply.error(Errors.notInteger);
  incrementBy(ctx, keyAt(ctx, args, 1), delta);
}

function decrby(ctx: Session, args: ArgList): void {
  const delta = int64At(args, 2);
  if (delta === null) return ctx.reply.error(Errors.notInteger);
  if (delta === INT64_MIN) return ctx.reply.error(Errors.decrementOverflow);
  incrementBy(ctx, keyAt(ctx, args, 1), -delta);
}

/** Redis checks the stored value before the increment, and computes in long double. */
function incrbyfloat(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = ctx.db.get(key, ctx.now);
  let current = ZERO;
  if (entry !== undefined) {
    if (entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
    const plain = openValue(ctx, key, entry.value);
    if (plain === null) return;
    const parsed = parseLongDouble(plain);
    plain.fill(0);
    if (parsed === null) return ctx.reply.error(Errors.notFloat);
    current = parsed;
  }
  const delta = parseLongDouble(args[2]!);
  if (delta === null) return ctx.reply.error(Errors.notFloat);
  const sum = addLongDouble(current, delta);
  if (sum === null) return ctx.reply.error(Errors.nanOrInfinity);
  // Its text as bytes in `floatText` (wiped by store()), never a string.
  const text = floatText.subarray(0, writeHuman(sum, floatText, 0));
  ctx.reply.bulk(text);
  store(ctx, key, entry, text, 'incrbyfloat');
}

/** A counter reads its old value and writes the new one. */
const COUNTER_KEY = [at(1, 'RW', 'ACCESS', 'UPDATE')];

const counter = (name: string, arity: number, summary: string, since: string, handler: CommandSpec['handler']): CommandSpec => ({
  name, arity, flags: ['write', 'denyoom', 'fast'], keySpecs: COUNTER_KEY,
  categories: ['@write', '@string', '@fast'], summary, since, group: 'string', complexity: 'O(1)', handler,
});

export const numericStringCommands: CommandSpec[] = [
  counter('incr', 2, 'Increment the integer value of a key by one', '1.0.0', takesRawArgs(incr)),
  counter('decr', 2, 'Decrement the integer value of a key by one', '1.0.0', takesRawArgs(decr)),
  counter('incrby', 3, 'Increment the integer value of a key by the given amount', '1.0.0', takesRawArgs(incrby)),
  counter('decrby', 3, 'Decrement the integer value of a key by the given number', '1.0.0', takesRawArgs(decrby)),
  counter('incrbyfloat', 3, 'Increment the float value of a key by the given amount', '2.6.0', incrbyfloat),
];
