// HSCAN and HRANDFIELD (redis t_hash.c hscanCommand, hrandfieldCommand): walking a hash with
// cursors and sampling its fields.

import { int64, keyOf, name, word } from './args.js';
import { hashSpec, openMany, readHash, wipeAll } from './hash-entries.js';
import { Errors } from '../protocol/errors.js';
import { Sealer } from '../seal/sealer.js';
import type { HashEntry } from '../store/keyspace.js';
import { globMatch } from '../util/glob.js';
import type { CommandSpec, Session } from './types.js';
import { nameString } from '../util/names.js';

const INT64_MAX = 2n ** 63n - 1n;

// ---- HSCAN ----

/** Redis's listpack limits: a hash this small is scanned whole in one call, cursor 0. */
const SMALL_HASH_ENTRIES = 128;
const SMALL_HASH_VALUE = 64;
const ULONG_MAX = 2n ** 64n - 1n;

/**
 * Redis 7.0 parses the cursor with strtoul: an optional sign, digits, nothing else (the empty
 * string is cursor 0). Cursors we never handed out (negatives wrap to huge) restart the walk.
 */
function parseCursor(arg: Buffer): number | null {
  const m = /^([+-]?)(\d*)$/.exec(nameString(arg));
  if (m === null || (m[1] !== '' && m[2] === '')) return null;
  const n = m[2] === '' ? 0n : BigInt(m[2]!);
  if (n > ULONG_MAX) return null;
  if (m[1] === '-' && n !== 0n) return -1;
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : -1;
}

interface HscanOptions {
  count: number;
  pattern: string | null;
}

function parseHscanOptions(args: Buffer[]): HscanOptions | string {
  const opts: HscanOptions = { count: 10, pattern: null };
  for (let i = 3; i < args.length; i += 2) {
    if (i + 1 >= args.length) return Errors.syntax;
    const opt = word(args[i]!);
    if (opt === 'count') {
      const n = int64(args[i + 1]!);
      if (n === null) return Errors.notInteger;
      if (n < 1n) return Errors.syntax;
      opts.count = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
    } else if (opt === 'match') {
      const pattern = name(args[i + 1]!);
      opts.pattern = pattern === '*' ? null : pattern;
    } else {
      return Errors.syntax;
    }
  }
  return opts;
}

function isSmall(entry: HashEntry): boolean {
  if (entry.fields.size > SMALL_HASH_ENTRIES) return false;
  for (const [field, sealed] of entry.fields) {
    if (field.length > SMALL_HASH_VALUE || Sealer.plainLength(sealed) > SMALL_HASH_VALUE) return false;
  }
  return true;
}

/** Cursor first, then the key, then the options (options of a missing key go unchecked). */
function hscan(ctx: Session, args: Buffer[]): void {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return ctx.reply.error(Errors.invalidCursor);
  const key = keyOf(ctx, args[1]!);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  if (entry === undefined) {
    ctx.reply.arrayLen(2);
    ctx.reply.bulkLatin1('0');
    return ctx.reply.arrayLen(0);
  }
  const opts = parseHscanOptions(args);
  if (typeof opts === 'string') return ctx.reply.error(opts);
  const fields: string[] = [];
  const keep = (field: string) => {
    if (opts.pattern === null || globMatch(opts.pattern, field)) fields.push(field);
  };
  let next = 0;
  if (isSmall(entry)) for (const field of entry.fields.keys()) keep(field);
  else next = ctx.server.cursors.scan(entry.fields, cursor, opts.count, keep);
  const plains = openMany(ctx, key, entry, fields);
  if (plains === null) return;
  ctx.reply.arrayLen(2);
  ctx.reply.bulkLatin1(String(next));
  ctx.reply.arrayLen(fields.length * 2);
  for (let i = 0; i < fields.length; i++) {
    ctx.reply.bulkLatin1(fields[i]!);
    ctx.reply.bulk(plains[i]!);
  }
  wipeAll(plains);
}

// ---- HRANDFIELD ----

/**
 * Largest repeat count served. Redis 7.0 tries to build any reply it is asked for and a count
 * near -2^62 takes the server down; sealkv refuses such counts with "value is out of range".
 */
const MAX_REPEATS = 16_777_216;
const LONG_MAX = INT64_MAX;

/** One uniformly random field, found by walking (no copy of a possibly huge key list). */
function randomField(entry: HashEntry): string {
  let skip = Math.floor(Math.random() * entry.fields.size);
  for (const field of entry.fields.keys()) if (skip-- === 0) return field;
  throw new Error('unreachable: a stored hash is never empty');
}

/** `count` distinct random fields (all of them when count >= size), or `-count` with repeats. */
function pickFields(entry: HashEntry, count: number, repeats: boolean): string[] {
  const all = [...entry.fields.keys()];
  if (repeats) {
    const out: string[] = new Array<string>(count);
    for (let i = 0; i < count; i++) out[i] = all[Math.floor(Math.random() * all.length)]!;
    return out;
  }
  if (count >= all.length) return all;
  // Partial Fisher-Yates: the first `count` slots end up a uniform sample without repeats.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (all.length - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count);
}

function hrandfield(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  if (args.length === 2) {
    const entry = readHash(ctx, key);
    if (entry === null) return;
    if (entry === undefined) return ctx.reply.nullBulk();
    return ctx.reply.bulkLatin1(randomField(entry));
  }
  const count = int64(args[2]!);
  if (count === null) return ctx.reply.error(Errors.notInteger);
  if (count < -LONG_MAX) return ctx.reply.error(Errors.hrandfieldCountRange);
  if (args.length > 4 || (args.length === 4 && word(args[3]!) !== 'withvalues')) return ctx.reply.error(Errors.syntax);
  const withValues = args.length === 4;
  if (withValues && (count < -LONG_MAX / 2n || count > LONG_MAX / 2n)) return ctx.reply.error(Errors.valueOutOfRange);
  if (count < -BigInt(MAX_REPEATS)) return ctx.reply.error(Errors.valueOutOfRange);
  const entry = readHash(ctx, key);
  if (entry === null) return;
  if (entry === undefined || count === 0n) return ctx.reply.arrayLen(0);
  const repeats = count < 0n;
  const wanted = repeats ? Number(-count) : count >= BigInt(entry.fields.size) ? entry.fields.size : Number(count);
  const fields = pickFields(entry, wanted, repeats);
  if (!withValues) {
    ctx.reply.arrayLen(fields.length);
    for (const f of fields) ctx.reply.bulkLatin1(f);
    return;
  }
  replyRandomPairs(ctx, key, entry, fields);
}

/** RESP2: a flat field, value list; RESP3: a list of [field, value] pairs, as Redis 7 sends. */
function replyRandomPairs(ctx: Session, key: string, entry: HashEntry, fields: readonly string[]): void {
  // Each distinct field is opened once, however often it repeats.
  const distinct = [...new Set(fields)];
  const plains = openMany(ctx, key, entry, distinct);
  if (plains === null) return;
  const byField = new Map<string, Buffer>();
  for (let i = 0; i < distinct.length; i++) byField.set(distinct[i]!, plains[i]!);
  const resp3 = ctx.reply.protocol === 3;
  ctx.reply.arrayLen(resp3 ? fields.length : fields.length * 2);
  for (const f of fields) {
    if (resp3) ctx.reply.arrayLen(2);
    ctx.reply.bulkLatin1(f);
    ctx.reply.bulk(byField.get(f)!);
  }
  wipeAll(plains);
}

// ---- table ----

export const hashIterateCommands: CommandSpec[] = [
  hashSpec('hscan', -3, 'read', false, 'Incrementally iterate hash fields and associated values', '2.8.0', hscan),
  hashSpec('hrandfield', -2, 'read', false, 'Get one or multiple random fields from a hash', '6.2.0', hrandfield),
];
