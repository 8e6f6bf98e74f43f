// Stream commands (redis t_stream.c): adding, ranges, deleting and trimming. Each entry's fields
// and values are one sealed blob bound to database, key and the entry's id (streams-entries.ts);
// ids stay in clear, the order needs them. Reading (XREAD, XREADGROUP) is in streams-read.ts,
// consumer groups in streams-groups.ts, XINFO in streams-info.ts.

import { int64, word } from '../args.js';
import {
  addEntry, encodeEntry, rawKeyOf, intervalId, nodeLimits, parseId, peekStream, readStream, replyId, replyRange, sealEntry,
  streamSpec, strictId, writeStream,
} from './streams-entries.js';
import { streamGroupCommands } from './streams-groups.js';
import { streamInfoCommands } from './streams-info.js';
import { streamReadCommands } from './streams-read.js';
import { at, noted } from '../key-specs.js';
import { argArray, takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, type StreamEntry } from '../../store/keyspace.js';
import { makeId, idMs, idSeq, ID_MAX, SAFE_HALF, U64_MAX, type StreamId } from '../../store/types/stream.js';
import type { StreamLog } from '../../store/types/stream.js';
import type { CommandSpec, Session } from '../types.js';
import { replyOpened } from '../values/sealing.js';

// ---- trimming options (streamParseAddOrTrimArgsOrReply) ----

export interface TrimArgs {
  strategy: 'none' | 'maxlen' | 'minid';
  approx: boolean;
  maxLen: bigint;
  minId: StreamId;
  limit: number;
  noMkStream: boolean;
  /** XADD: the id argument's position, and the id when one was given. */
  idPos: number;
  id: StreamId | undefined;
  seqGiven: boolean;
}

/** Parses XADD's (xadd) or XTRIM's options; null after replying the error. */
function parseTrimArgs(ctx: Session, args: Buffer[], xadd: boolean): TrimArgs | null {
  const t: TrimArgs = { strategy: 'none', approx: false, maxLen: 0n, minId: 0n, limit: 0, noMkStream: false, idPos: args.length, id: undefined, seqGiven: true };
  let limitGiven = false;
  let i = 2;
  for (; i < args.length; i++) {
    const more = args.length - 1 - i;
    const a = args[i]!;
    if (xadd && a.length === 1 && a[0] === 0x2a) break;
    const opt = word(a);
    if ((opt === 'maxlen' || opt === 'minid') && more > 0) {
      if (t.strategy !== 'none') {
        ctx.reply.error(Errors.streamMaxlenAndMinid);
        return null;
      }
      t.approx = false;
      const next = args[i + 1]!;
      if (more >= 2 && next.length === 1 && (next[0] === 0x7e || next[0] === 0x3d)) {
        t.approx = next[0] === 0x7e;
        i++;
      }
      if (opt === 'maxlen') {
        const n = int64(args[i + 1]!);
        if (n === null) {
          ctx.reply.error(Errors.notInteger);
          return null;
        }
        if (n < 0n) {
          ctx.reply.error(Errors.streamMaxlenNegative);
          return null;
        }
        t.maxLen = n;
        t.strategy = 'maxlen';
      } else {
        const id = strictId(ctx, args[i + 1]!);
        if (id === null) return null;
        t.minId = id;
        t.strategy = 'minid';
      }
      i++;
    } else if (opt === 'limit' && more > 0) {
      const n = int64(args[i + 1]!);
      if (n === null) {
        ctx.reply.error(Errors.notInteger);
        return null;
      }
      if (n < 0n) {
        ctx.reply.error(Errors.streamLimitNegative);
        return null;
      }
      t.limit = Number(n);
      limitGiven = true;
      i++;
    } else if (xadd && opt === 'nomkstream') {
      t.noMkStream = true;
    } else if (xadd) {
      const parsed = parseId(a, 0n, true, true);
      if (parsed === null) {
        ctx.reply.error(Errors.invalidStreamId);
        return null;
      }
      t.id = parsed.id;
      t.seqGiven = parsed.seqGiven;
      break;
    } else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
  }
  t.idPos = i;
  if (t.limit !== 0 && t.strategy === 'none') {
    ctx.reply.error(Errors.streamLimitWithoutStrategy);
    return null;
  }
  if (!xadd && t.strategy === 'none') {
    ctx.reply.error(Errors.xtrimWithoutStrategy);
    return null;
  }
  if (limitGiven) {
    if (!t.approx) {
      ctx.reply.error(Errors.streamLimitWithoutApprox);
      return null;
    }
  } else if (t.approx) {
    // Redis caps the work of an approximate trim at 100 nodes' worth of entries.
    let limit = 100 * ctx.server.config.number('stream-node-max-entries');
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
    t.limit = limit;
  } else {
    t.limit = 0;
  }
  return t;
}

function trim(log: StreamLog, t: TrimArgs): number {
  if (t.strategy === 'none') return 0;
  return log.trim(t.strategy, t.strategy === 'maxlen' ? t.maxLen : t.minId, t.approx, t.limit);
}

// ---- commands ----

/** XADD key * ...: no options, an auto id (what parseTrimArgs answers for it, made once). */
const AUTO_ID_ONLY: Readonly<TrimArgs> = {
  strategy: 'none', approx: false, maxLen: 0n, minId: 0n, limit: 0, noMkStream: false, idPos: 2, id: undefined, seqGiven: true,
};

/**
 * XADD key * field value ...'s change, without a closure per call: what it needs is set just
 * before Keyspace.mutate calls it (nothing runs in between, and it does not re-enter). The
 * arguments are RawArgs (offsets into the read) or, from MULTI, scripts and the like, an array.
 */
let autoCtx: Session | null = null;
const NO_ARGS: Buffer[] = [];
let autoArgs: Buffer[] = NO_ARGS;
let autoRaw: RawArgs | null = null;
let autoKey = '';

function addAuto(entry: StreamEntry): boolean {
  const ctx = autoCtx!;
  const raw = autoRaw;
  const args = autoArgs;
  const key = autoKey;
  autoCtx = null;
  autoRaw = null;
  autoArgs = NO_ARGS;
  const log = entry.log;
  // Auto ids while the last id's halves are numbers (always, unless a client set larger ones).
  if (log.lastSafe) {
    const now = ctx.now;
    let ms = log.lastMs;
    let seq = log.lastSeq + 1;
    if (now > ms) {
      ms = now;
      seq = 0;
    }
    if (seq <= SAFE_HALF) {
      addEntry(ctx, key, log, ms, seq, raw ?? args, 3);
      return true;
    }
  }
  return addWithId(ctx, raw === null ? args : raw.toArray(), AUTO_ID_ONLY, key, entry) >= 0;
}

/** XADD key * field value ... (the common form: no options, an automatic id). */
function xaddAuto(ctx: Session, key: string, raw: RawArgs | null, args: Buffer[]): void {
  autoCtx = ctx;
  autoRaw = raw;
  autoArgs = args;
  autoKey = key;
  writeStream(ctx, key, 'xadd', addAuto);
  autoCtx = null;
  autoRaw = null;
  autoArgs = NO_ARGS;
}

function xadd(ctx: Session, list: ArgList): void {
  if (list instanceof RawArgs) {
    if (list.length >= 5 && list.length % 2 === 1 && list.isByte(2, 0x2a)) return xaddAuto(ctx, rawKeyOf(ctx, list, 1), list, NO_ARGS);
    list = list.toArray();
  }
  const args = argArray(list);
  const auto = args[2]!.length === 1 && args[2]![0] === 0x2a;
  if (auto && args.length >= 5 && args.length % 2 === 1) return xaddAuto(ctx, ctx.server.names.keyOf(args[1]!), null, args);
  const t = auto ? AUTO_ID_ONLY : parseTrimArgs(ctx, args, true);
  if (t === null) return;
  const fieldPos = t.idPos + 1;
  const pairs = args.length - fieldPos;
  if (pairs < 2 || pairs % 2 === 1) return ctx.reply.error(Errors.wrongArity('xadd'));
  if (t.id === 0n && t.seqGiven) return ctx.reply.error(Errors.xaddIdZero);
  const key = ctx.server.names.keyOf(args[1]!);
  // Only NOMKSTREAM needs a look first; otherwise the write answers WRONGTYPE itself.
  if (t.noMkStream) {
    const found = peekStream(ctx, key);
    if (found === null) return;
    if (found === undefined) return ctx.reply.nullBulk();
  }
  let trimmed = 0;
  writeStream(ctx, key, 'xadd', (entry) => {
    trimmed = addWithId(ctx, args, t, key, entry);
    return trimmed >= 0;
  });
  if (trimmed > 0) ctx.db.notify(key, 'xtrim', Kind.Stream);
}

/**
 * Adds the entry of args (fields from t.idPos + 1) to a stream, replies, and trims per t:
 * returns how many entries the trim removed, or -1 after replying an error (nothing added).
 */
function addWithId(ctx: Session, args: Buffer[], t: Readonly<TrimArgs>, key: string, entry: StreamEntry): number {
  const fieldPos = t.idPos + 1;
  const log = entry.log;
  // Auto ids while the last id's halves are numbers (always, unless a client set larger ones).
  if (t.id === undefined && log.lastSafe) {
    const now = ctx.now;
    let ms = log.lastMs;
    let seq = log.lastSeq + 1;
    if (now > ms) {
      ms = now;
      seq = 0;
    }
    if (seq <= SAFE_HALF) {
      addEntry(ctx, key, log, ms, seq, args, fieldPos);
      return trim(log, t);
    }
  }
  const last = log.lastId;
  if (last === ID_MAX) {
    ctx.reply.error(Errors.streamExhausted);
    return -1;
  }
  let id: StreamId;
  if (t.id === undefined) {
    const ms = BigInt(ctx.now);
    id = ms > idMs(last) ? makeId(ms, 0n) : last + 1n;
  } else if (!t.seqGiven && idMs(last) === idMs(t.id)) {
    if (idSeq(last) === U64_MAX) {
      ctx.reply.error(Errors.streamElementsTooLarge);
      return -1;
    }
    id = last + 1n;
  } else {
    id = t.id;
  }
  if (id <= last) {
    ctx.reply.error(Errors.xaddIdTooSmall);
    return -1;
  }
  const plain = encodeEntry(args, fieldPos);
  try {
    log.append(id, sealEntry(ctx, key, id, plain), plain.length, nodeLimits(ctx));
  } finally {
    plain.fill(0);
  }
  replyId(ctx, id);
  return trim(log, t);
}

function xlen(ctx: Session, args: Buffer[]): void {
  const entry = readStream(ctx, ctx.server.names.keyOf(args[1]!));
  if (entry !== null) ctx.reply.integer(entry?.log.length ?? 0);
}

function rangeCommand(ctx: Session, args: Buffer[], reverse: boolean): void {
  const start = intervalId(ctx, reverse ? args[3]! : args[2]!, true);
  if (start === null) return;
  const end = intervalId(ctx, reverse ? args[2]! : args[3]!, false);
  if (end === null) return;
  let count = -1;
  for (let j = 4; j < args.length; j++) {
    if (word(args[j]!) === 'count' && j + 1 < args.length) {
      const n = int64(args[++j]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      count = n < 0n ? 0 : Number(n);
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const key = ctx.server.names.keyOf(args[1]!);
  const entry = readStream(ctx, key);
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.arrayLen(0);
  if (count === 0) return ctx.reply.nullArray();
  replyOpened(ctx, () => replyRange(ctx, key, entry, start, end, count === -1 ? 0 : count, reverse));
}

function xdel(ctx: Session, args: Buffer[]): void {
  const key = ctx.server.names.keyOf(args[1]!);
  const found = peekStream(ctx, key);
  if (found === null) return;
  if (found === undefined) return ctx.reply.integer(0);
  const ids: StreamId[] = [];
  for (let j = 2; j < args.length; j++) {
    const id = strictId(ctx, args[j]!);
    if (id === null) return;
    ids.push(id);
  }
  let deleted = 0;
  writeStream(ctx, key, 'xdel', (entry) => {
    for (const id of ids) {
      if (!entry.log.delete(id)) continue;
      if (id > entry.log.maxDeletedId) entry.log.maxDeletedId = id;
      deleted++;
    }
    return deleted > 0;
  });
  ctx.reply.integer(deleted);
}

function xtrim(ctx: Session, args: Buffer[]): void {
  const t = parseTrimArgs(ctx, args, false);
  if (t === null) return;
  const key = ctx.server.names.keyOf(args[1]!);
  const found = peekStream(ctx, key);
  if (found === null) return;
  if (found === undefined) return ctx.reply.integer(0);
  let removed = 0;
  writeStream(ctx, key, 'xtrim', (entry) => {
    removed = trim(entry.log, t);
    return removed > 0;
  });
  ctx.reply.integer(removed);
}

function xsetid(ctx: Session, args: Buffer[]): void {
  const id = strictId(ctx, args[2]!);
  if (id === null) return;
  let entriesAdded = -1n;
  let maxDeleted = 0n;
  for (let i = 3; i < args.length; i += 2) {
    const opt = word(args[i]!);
    const more = args.length - 1 - i;
    if (opt === 'entriesadded' && more > 0) {
      const n = int64(args[i + 1]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      if (n < 0n) return ctx.reply.error(Errors.entriesAddedNegative);
      entriesAdded = n;
    } else if (opt === 'maxdeletedid' && more > 0) {
      const m = strictId(ctx, args[i + 1]!);
      if (m === null) return;
      if (id < m) return ctx.reply.error(Errors.xsetidBelowMaxDeleted);
      maxDeleted = m;
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const key = ctx.server.names.keyOf(args[1]!);
  const found = peekStream(ctx, key);
  if (found === null) return;
  if (found === undefined) return ctx.reply.error(Errors.noSuchKey);
  const log = found.log;
  if (log.length > 0) {
    if (id < log.lastEntryId()!) return ctx.reply.error(Errors.xsetidBelowTop);
    if (entriesAdded !== -1n && BigInt(log.length) > entriesAdded) return ctx.reply.error(Errors.xsetidAddedBelowLength);
  }
  writeStream(ctx, key, 'xsetid', (entry) => {
    entry.log.lastId = id;
    if (entriesAdded !== -1n) entry.log.entriesAdded = Number(entriesAdded);
    if (maxDeleted !== 0n) entry.log.maxDeletedId = maxDeleted;
    return true;
  });
  ctx.reply.ok();
}

export const streamCommands: readonly CommandSpec[] = [
  streamSpec('xadd', -5, 'write-grow', true, ['RW', 'UPDATE'], 'Appends a new entry to a stream', '5.0.0', takesRawArgs(xadd), {
    tips: ['nondeterministic_output'],
    keySpecs: [noted(at(1, 'RW', 'UPDATE'), 'UPDATE instead of INSERT because of the optional trimming feature')],
    complexity: 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.',
  }),
  streamSpec('xlen', 2, 'read', true, ['RO'], 'Return the number of entries in a stream', '5.0.0', xlen, { complexity: 'O(1)' }),
  streamSpec('xrange', -4, 'read', false, ['RO', 'ACCESS'], 'Return a range of elements in a stream, with IDs matching the specified IDs interval', '5.0.0',
    (ctx, args) => rangeCommand(ctx, args, false), {
      complexity: 'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    }),
  streamSpec('xrevrange', -4, 'read', false, ['RO', 'ACCESS'],
    'Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE',
    '5.0.0', (ctx, args) => rangeCommand(ctx, args, true), {
      complexity: 'O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    }),
  streamSpec('xdel', -3, 'write', true, ['RW', 'DELETE'],
    'Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.',
    '5.0.0', xdel, { complexity: 'O(1) for each single item to delete in the stream, regardless of the stream size.' }),
  streamSpec('xtrim', -4, 'write', false, ['RW', 'DELETE'], "Trims the stream to (approximately if '~' is passed) a certain size", '5.0.0', xtrim, {
    tips: ['nondeterministic_output'],
    complexity: 'O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.',
  }),
  streamSpec('xsetid', -3, 'write-grow', true, ['RW', 'UPDATE'], 'An internal command for replicating stream values', '5.0.0', xsetid, { complexity: 'O(1)' }),
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
];
