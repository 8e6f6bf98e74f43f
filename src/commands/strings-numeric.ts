// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT: open the sealed number, parse it from its bytes,
// wipe it, seal the new number's text. The key keeps its TTL, as in Redis.

import { fitsInt64, int64, integer, keyOf } from './args.js';
import { at } from './key-specs.js';
import { openValue, sealValue } from './sealing.js';
import { Errors } from '../protocol/errors.js';
import { Kind, stringEntry, type KeyEvent, type StringEntry } from '../store/keyspace.js';
import { plainText } from '../util/bytes.js';
import { addLongDouble, formatHuman, parseLongDouble, type LongDouble } from '../util/long-double.js';
import type { CommandSpec, Session } from './types.js';

const INT64_MIN = -(2n ** 63n);
/** "-9223372036854775808" is the longest text a 64-bit integer can have. */
const MAX_INT_CHARS = 20;
const ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

/** A canonical signed 64-bit integer as a number while it is exact, else as a bigint. */
function parseInt64(bytes: Uint8Array): number | bigint | null {
  if (bytes.length > MAX_INT_CHARS) return null;
  return integer(bytes) ?? int64(bytes);
}

/** current + delta, or null on 64-bit overflow; stays in doubles while the sum is exact. */
function addInt64(current: number | bigint, delta: number | bigint): number | bigint | null {
  if (typeof current === 'number' && typeof delta === 'number') {
    const sum = current + delta;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(current) + BigInt(delta);
  return fitsInt64(sum) ? sum : null;
}

/** Replaces a string's value keeping its TTL, or creates the key without one; signals `event`. */
function store(ctx: Session, key: string, entry: StringEntry | undefined, plain: Buffer, event: KeyEvent): void {
  const sealed = sealValue(ctx, key, plain);
  plain.fill(0);
  if (entry === undefined) {
    ctx.db.set(key, stringEntry(sealed, 0, ctx.now), event);
    return;
  }
  entry.value = sealed;
  ctx.db.touch(entry, ctx.now);
  ctx.db.changed(key, event);
}

function incrementBy(ctx: Session, key: string, delta: number | bigint): void {
  const entry = ctx.db.get(key, ctx.now);
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
  store(ctx, key, entry, plainText(String(next)), 'incrby');
  ctx.reply.integer(next);
}

function incr(ctx: Session, args: Buffer[]): void {
  incrementBy(ctx, keyOf(ctx, args[1]!), 1);
}

function decr(ctx: Session, args: Buffer[]): void {
  incrementBy(ctx, keyOf(ctx, args[1]!), -1);
}

function incrby(ctx: Session, args: Buffer[]): void {
  const delta = parseInt64(args[2]!);
  if (delta === null) return ctx.reply.error(Errors.notInteger);
  incrementBy(ctx, keyOf(ctx, args[1]!), delta);
}

function decrby(ctx: Session, args: Buffer[]): void {
  const delta = parseInt64(args[2]!);
  if (delta === null) return ctx.reply.error(Errors.notInteger);
  if (delta === INT64_MIN) return ctx.reply.error(Errors.decrementOverflow);
  incrementBy(ctx, keyOf(ctx, args[1]!), -delta);
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
  const text = plainText(formatHuman(sum));
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
  counter('incr', 2, 'Increment the integer value of a key by one', '1.0.0', incr),
  counter('decr', 2, 'Decrement the integer value of a key by one', '1.0.0', decr),
  counter('incrby', 3, 'Increment the integer value of a key by the given amount', '1.0.0', incrby),
  counter('decrby', 3, 'Decrement the integer value of a key by the given number', '1.0.0', decrby),
  counter('incrbyfloat', 3, 'Increment the float value of a key by the given amount', '2.6.0', incrbyfloat),
];
