// Hash commands (redis t_hash.c): setting, reading, deleting and counters. Every field value is
// sealed on its own, bound to database, key and field name, so values never sit in memory as
// plaintext and cannot be swapped between fields. HSCAN and HRANDFIELD are in hashes-iterate.ts.

import { int64, keyOf, name } from './args.js';
import { hashSpec, openMany, readHash, replyPairs, wipeAll, writeHash } from './hash-entries.js';
import { hashIterateCommands } from './hashes-iterate.js';
import { openField, replyAndWipe, sealField } from './sealing.js';
import { Errors } from '../protocol/errors.js';
import { Sealer } from '../seal/sealer.js';
import type { HashEntry } from '../store/keyspace.js';
import { plainText } from '../util/bytes.js';
import { addLongDouble, formatHuman, parseLongDouble, type LongDouble } from '../util/long-double.js';
import type { KeyFlagName } from './key-specs.js';
import type { CommandSpec, Session } from './types.js';
import { MAX_NAME_BYTES, NameTooLongError } from '../util/names.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LD_ZERO: LongDouble = { neg: false, inf: false, mant: 0n, exp: 0 };

// ---- setting ----

/** Seals each pair into the hash; returns how many fields were new. */
function setPairs(ctx: Session, key: string, entry: HashEntry, args: Buffer[]): number {
  let added = 0;
  // Every field name is checked before the first is set: a refused one leaves the hash as it was.
  for (let i = 2; i < args.length; i += 2) if (args[i]!.length > MAX_NAME_BYTES) throw new NameTooLongError();
  for (let i = 2; i < args.length; i += 2) {
    const field = name(args[i]!);
    if (!entry.fields.has(field)) added++;
    entry.fields.set(field, sealField(ctx, key, field, args[i + 1]!));
  }
  return added;
}

/**
 * HSET and HMSET share Redis's hsetCommand: pairs are checked before the key's type. Returns
 * how many fields were new, or null after replying with an error.
 */
function setCommand(cmd: 'hset' | 'hmset', ctx: Session, args: Buffer[]): number | null {
  if (args.length % 2 !== 0) {
    ctx.reply.error(Errors.wrongArity(cmd));
    return null;
  }
  const key = keyOf(ctx, args[1]!);
  let added = 0;
  const ok = writeHash(ctx, key, 'hset', (entry) => {
    added = setPairs(ctx, key, entry, args);
    return true;
  });
  return ok ? added : null;
}

function hset(ctx: Session, args: Buffer[]): void {
  const added = setCommand('hset', ctx, args);
  if (added !== null) ctx.reply.integer(added);
}

function hmset(ctx: Session, args: Buffer[]): void {
  if (setCommand('hmset', ctx, args) !== null) ctx.reply.ok();
}

function hsetnx(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  let added = 0;
  // Field names are read once the key's type is known to fit: WRONGTYPE comes first.
  const ok = writeHash(ctx, key, 'hset', (entry) => {
    const field = name(args[2]!);
    if (entry.fields.has(field)) return false;
    entry.fields.set(field, sealField(ctx, key, field, args[3]!));
    added = 1;
    return true;
  });
  if (ok) ctx.reply.integer(added);
}

// ---- reading ----

function hget(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  const field = name(args[2]!);
  const sealed = entry?.fields.get(field);
  if (sealed === undefined) return ctx.reply.nullBulk();
  const plain = openField(ctx, key, field, sealed);
  if (plain) replyAndWipe(ctx, plain);
}

function hmget(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  const fields = args.slice(2).map(name);
  const plains = openMany(ctx, key, entry, fields);
  if (plains === null) return;
  ctx.reply.arrayLen(plains.length);
  for (const p of plains) ctx.reply.bulk(p);
  wipeAll(plains);
}

function hgetall(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  const fields = entry ? [...entry.fields.keys()] : [];
  const plains = openMany(ctx, key, entry, fields);
  if (plains !== null) replyPairs(ctx, fields, plains);
}

function hkeys(ctx: Session, args: Buffer[]): void {
  const entry = readHash(ctx, keyOf(ctx, args[1]!));
  if (entry === null) return;
  ctx.reply.arrayLen(entry?.fields.size ?? 0);
  if (entry) for (const field of entry.fields.keys()) ctx.reply.bulkLatin1(field);
}

function hvals(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  const plains = openMany(ctx, key, entry, entry ? [...entry.fields.keys()] : []);
  if (plains === null) return;
  ctx.reply.arrayLen(plains.length);
  for (const p of plains) ctx.reply.bulk(p);
  wipeAll(plains);
}

function hlen(ctx: Session, args: Buffer[]): void {
  const entry = readHash(ctx, keyOf(ctx, args[1]!));
  if (entry !== null) ctx.reply.integer(entry?.fields.size ?? 0);
}

function hexists(ctx: Session, args: Buffer[]): void {
  const entry = readHash(ctx, keyOf(ctx, args[1]!));
  if (entry !== null) ctx.reply.integer(entry?.fields.has(name(args[2]!)) ? 1 : 0);
}

/** The length is known from the sealed size, so the value is never opened. */
function hstrlen(ctx: Session, args: Buffer[]): void {
  const entry = readHash(ctx, keyOf(ctx, args[1]!));
  if (entry === null) return;
  const sealed = entry?.fields.get(name(args[2]!));
  ctx.reply.integer(sealed === undefined ? 0 : Sealer.plainLength(sealed));
}

// ---- deleting ----

/** A hash never exists empty: the last field takes the key with it (Keyspace.mutate). */
function hdel(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  let deleted = 0;
  const ok = writeHash(ctx, key, 'hdel', (entry) => {
    for (let i = 2; i < args.length; i++) if (entry.fields.delete(name(args[i]!))) deleted++;
    return deleted > 0;
  });
  if (ok) ctx.reply.integer(deleted);
}

// ---- counters ----

/** The field's plaintext handed to `parse` and wiped; undefined when absent, null after an error. */
function parseField<T>(ctx: Session, key: string, entry: HashEntry, field: string, parse: (b: Buffer) => T | null, bad: string): T | undefined | null {
  const sealed = entry.fields.get(field);
  if (sealed === undefined) return undefined;
  const plain = openField(ctx, key, field, sealed);
  if (plain === null) return null;
  const value = parse(plain);
  plain.fill(0);
  if (value === null) ctx.reply.error(bad);
  return value;
}

/** Seals a new counter text into the field; the text buffer is wiped. */
function storeCounter(ctx: Session, key: string, entry: HashEntry, field: string, text: Buffer): void {
  entry.fields.set(field, sealField(ctx, key, field, text));
  text.fill(0);
}

/** Increment first, then the key's type, then the stored value: Redis's order of errors. */
function hincrby(ctx: Session, args: Buffer[]): void {
  const incr = int64(args[3]!);
  if (incr === null) return ctx.reply.error(Errors.notInteger);
  const key = keyOf(ctx, args[1]!);
  writeHash(ctx, key, 'hincrby', (entry) => {
    const field = name(args[2]!);
    const current = parseField(ctx, key, entry, field, int64, Errors.hashNotInteger);
    if (current === null) return false;
    const sum = (current ?? 0n) + incr;
    if (sum < INT64_MIN || sum > INT64_MAX) {
      ctx.reply.error(Errors.overflow);
      return false;
    }
    storeCounter(ctx, key, entry, field, plainText(sum.toString()));
    ctx.reply.integer(sum);
    return true;
  });
}

/** Computed in 80-bit long double and printed "%.17Lf"-style, as Redis does. */
function hincrbyfloat(ctx: Session, args: Buffer[]): void {
  const incr = parseLongDouble(args[3]!);
  if (incr === null) return ctx.reply.error(Errors.notFloat);
  if (incr.inf) return ctx.reply.error(Errors.valueNanOrInfinity);
  const key = keyOf(ctx, args[1]!);
  writeHash(ctx, key, 'hincrbyfloat', (entry) => {
    const field = name(args[2]!);
    const current = parseField(ctx, key, entry, field, parseLongDouble, Errors.hashNotFloat);
    if (current === null) return false;
    const sum = addLongDouble(current ?? LD_ZERO, incr);
    if (sum === null) {
      ctx.reply.error(Errors.nanOrInfinity);
      return false;
    }
    const text = plainText(formatHuman(sum));
    ctx.reply.bulk(text);
    storeCounter(ctx, key, entry, field, text);
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
  hashSpec('hset', -4, 'write-grow', true, ['RW', 'UPDATE'], 'Set the string value of a hash field', '2.0.0', hset, { complexity: 'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.' }),
  hashSpec('hsetnx', 4, 'write-grow', true, ['RW', 'INSERT'], 'Set the value of a hash field, only if the field does not exist', '2.0.0', hsetnx, O1),
  hashSpec('hmset', -4, 'write-grow', true, ['RW', 'UPDATE'], 'Set multiple hash fields to multiple values', '2.0.0', hmset, { complexity: 'O(N) where N is the number of fields being set.' }),
  hashSpec('hget', 3, 'read', true, READ, 'Get the value of a hash field', '2.0.0', hget, O1),
  hashSpec('hmget', -3, 'read', true, READ, 'Get the values of all the given hash fields', '2.0.0', hmget, { complexity: 'O(N) where N is the number of fields being requested.' }),
  hashSpec('hgetall', 2, 'read', false, READ, 'Get all the fields and values in a hash', '2.0.0', hgetall, WHOLE),
  hashSpec('hkeys', 2, 'read', false, READ, 'Get all the fields in a hash', '2.0.0', hkeys, WHOLE),
  hashSpec('hvals', 2, 'read', false, READ, 'Get all the values in a hash', '2.0.0', hvals, WHOLE),
  hashSpec('hlen', 2, 'read', true, LOOK, 'Get the number of fields in a hash', '2.0.0', hlen, O1),
  hashSpec('hexists', 3, 'read', true, LOOK, 'Determine if a hash field exists', '2.0.0', hexists, O1),
  hashSpec('hstrlen', 3, 'read', true, LOOK, 'Get the length of the value of a hash field', '3.2.0', hstrlen, O1),
  hashSpec('hdel', -3, 'write', true, ['RW', 'DELETE'], 'Delete one or more hash fields', '2.0.0', hdel, { complexity: 'O(N) where N is the number of fields to be removed.' }),
  hashSpec('hincrby', 4, 'write-grow', true, COUNTER, 'Increment the integer value of a hash field by the given number', '2.0.0', hincrby, O1),
  hashSpec('hincrbyfloat', 4, 'write-grow', true, COUNTER, 'Increment the float value of a hash field by the given amount', '2.6.0', hincrbyfloat, O1),
  ...hashIterateCommands,
];
