// HSCAN and HRANDFIELD (redis t_hash.c hscanCommand, hrandfieldCommand): walking a hash with
// cursors and sampling its fields. Names are opened only to reply or to match a pattern.

import { parseElementScanOptions } from '../scan-options.js';
import { int64, keyOf, word } from '../args.js';
import { hashSpec, readHash, reading } from './hash-entries.js';
import type { HashAccess } from './hash-fields.js';
import { Errors } from '../../protocol/errors.js';
import type { PairReader } from '../../store/types/hash-pairs.js';
import { parseCursor, scanStep } from '../../store/scan.js';
import { globMatchBytes } from '../../util/glob.js';
import type { KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

const INT64_MAX = 2n ** 63n - 1n;

// ---- HSCAN ----


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
  const opts = parseElementScanOptions(args);
  if (typeof opts === 'string') return ctx.reply.error(opts);
  const pattern = opts.pattern;
  const matches = (pairs: PairReader) => pattern === null || globMatchBytes(pattern, pairs.name());
  reading(ctx, key, entry, (h) => {
    const table = h.fields.table;
    // What Redis keeps as a listpack is scanned whole in one call, cursor 0.
    if (table === null || h.fields.listpack) {
      const starts: number[] = [];
      const ids: number[] = [];
      if (table === null) for (const start of h.pairStarts()) matches(h.pairAt(start)) && starts.push(start);
      else table.forEach((id) => void (matches(h.openId(id)) && ids.push(id)));
      return replyScan(ctx, h, 0, starts, ids);
    }
    const ids: number[] = [];
    const next = scanStep(table, cursor, opts.count, (id) => ids.push(id));
    // Names are opened to be matched and wiped; the kept fields are opened again for the reply.
    replyScan(ctx, h, next, [], pattern === null ? ids : ids.filter((id) => matches(h.openId(id))));
  });
}

/** The HSCAN reply: the next cursor, then name and value of a small hash's pairs or a large one's fields. */
function replyScan(ctx: Session, h: HashAccess, next: number, starts: number[], ids: number[]): void {
  ctx.reply.arrayLen(2);
  ctx.reply.bulkLatin1(String(next));
  ctx.reply.arrayLen((starts.length + ids.length) * 2);
  for (const start of starts) replyPair(ctx, h.pairAt(start), true, true);
  for (const id of ids) replyPair(ctx, h.openId(id), true, true);
}

function replyPair(ctx: Session, pairs: PairReader, name: boolean, value: boolean): void {
  if (name) ctx.reply.bulk(pairs.name());
  if (value) ctx.reply.bulk(pairs.value());
}

// ---- HRANDFIELD ----

/**
 * Largest repeat count served. Redis 7.0 tries to build any reply it is asked for and a count
 * near -2^62 takes the server down; sealkv refuses such counts with "value is out of range".
 */
const MAX_REPEATS = 16_777_216;
const LONG_MAX = INT64_MAX;

/** `count` distinct positions out of `n` (all of them when count >= n), or `count` with repeats. */
function pick(n: number, count: number, repeats: boolean): number[] {
  if (repeats) {
    const out: number[] = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = Math.floor(Math.random() * n);
    return out;
  }
  const all = Array.from({ length: n }, (_, i) => i);
  if (count >= n) return all;
  // Partial Fisher-Yates: the first `count` slots end up a uniform sample without repeats.
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
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
    return reading(ctx, key, entry, (h) => {
      const table = h.fields.table;
      if (table !== null) return replyPair(ctx, h.openId(table.randomId()), true, false);
      const starts = h.pairStarts();
      replyPair(ctx, h.pairAt(starts[Math.floor(Math.random() * starts.length)]!), true, false);
    });
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
  const size = entry.fields.size;
  const repeats = count < 0n;
  const wanted = repeats ? Number(-count) : count >= BigInt(size) ? size : Number(count);
  const picks = pick(size, wanted, repeats);
  reading(ctx, key, entry, (h) => replyRandom(ctx, h, picks, withValues));
}

/**
 * The picked fields (positions in the hash's order). RESP2 WITHVALUES: a flat field, value
 * list; RESP3: a list of [field, value] pairs, as Redis 7 sends. A large hash's field picked
 * several times is opened each time (nothing opened is kept between picks).
 */
function replyRandom(ctx: Session, h: HashAccess, picks: number[], withValues: boolean): void {
  const resp3 = ctx.reply.protocol === 3;
  ctx.reply.arrayLen(withValues && !resp3 ? picks.length * 2 : picks.length);
  const table = h.fields.table;
  const order = table === null ? h.pairStarts() : table.ids();
  for (const p of picks) {
    if (withValues && resp3) ctx.reply.arrayLen(2);
    replyPair(ctx, table === null ? h.pairAt(order[p]!) : h.openId(order[p]!), true, withValues);
  }
}

// ---- table ----

const READ: readonly KeyFlagName[] = ['RO', 'ACCESS'];

export const hashIterateCommands: CommandSpec[] = [
  hashSpec('hscan', -3, 'read', false, READ, 'Incrementally iterate hash fields and associated values', '2.8.0', hscan, { tips: ['nondeterministic_output'], complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..' }),
  hashSpec('hrandfield', -2, 'read', false, READ, 'Get one or multiple random fields from a hash', '6.2.0', hrandfield, { tips: ['nondeterministic_output'], complexity: 'O(N) where N is the number of fields returned' }),
];
