// MGET, MSET, MSETNX: a string command per key, many keys per request. Their arguments may be
// RawArgs (raw-args.ts): a key is made its lookup string from the read's bytes, with no Buffer
// view. Values are opened straight into the reply (MGET) and sealed straight into their records
// (MSET), as GET's and SET's are.

import { keyAt, sameArg } from '../args.js';
import { span } from '../key-specs.js';
import { replyValue, storeValue } from '../values/sealing.js';
import { Errors } from '../../protocol/errors.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { Kind } from '../../store/keyspace.js';
import type { CommandSpec, Session } from '../types.js';

/**
 * MSETs of up to this many pairs look for a key named again later in the same command (at most
 * n(n-1)/2 comparisons of argument bytes); longer ones store every pair (bulk.ts folds those of
 * thousands of arguments as it prepares them).
 */
const FOLD_MAX_PAIRS = 16;

/**
 * Keys looked up together: each batch's keys are made and prefetched (Keyspace.prefetch)
 * before the first of them is read or stored.
 */
const BATCH = 16;
const batchKeys: string[] = new Array<string>(BATCH).fill('');

/**
 * Missing keys and keys of another type are both nil, as in Redis. Each value is opened straight
 * into the reply, as GET's is; one that fails to open becomes an error element, so the array
 * stays well formed.
 */
function mget(ctx: Session, args: ArgList): void {
  ctx.reply.arrayLen(args.length - 1);
  const db = ctx.db;
  for (let first = 1; first < args.length; first += BATCH) {
    const end = Math.min(args.length, first + BATCH);
    for (let i = first; i < end; i++) batchKeys[i - first] = keyAt(ctx, args, i);
    db.prefetch(batchKeys, end - first);
    for (let i = first; i < end; i++) {
      const key = batchKeys[i - first]!;
      const entry = db.read(key, ctx.now);
      if (entry === undefined || entry.kind !== Kind.String) ctx.reply.nullBulk();
      else replyValue(ctx, key, entry);
    }
  }
  batchKeys.fill('');
}

function mset(ctx: Session, args: ArgList): void {
  if (args.length % 2 === 0) return ctx.reply.error(Errors.wrongArity('mset'));
  setPairs(ctx, args);
  ctx.reply.ok();
}

function msetnx(ctx: Session, args: ArgList): void {
  if (args.length % 2 === 0) return ctx.reply.error(Errors.wrongArity('msetnx'));
  for (let i = 1; i < args.length; i += 2) {
    if (ctx.db.get(keyAt(ctx, args, i), ctx.now) !== undefined) return ctx.reply.integer(0);
  }
  setPairs(ctx, args);
  ctx.reply.integer(1);
}

/**
 * Stores each pair in order (redis msetGenericCommand: a key of another type is replaced, every
 * TTL cleared, one 'set' per pair). A pair whose key a later pair of the same command names
 * again is not sealed or stored where nothing can tell (foldsRepeats): MSET is atomic, so only
 * the last value is ever seen; the pair is still signalled, so the write count and whatever
 * listens to writes hear of it as before. redis-benchmark's `-t mset` names one key ten times.
 */
function setPairs(ctx: Session, args: ArgList): void {
  const db = ctx.db;
  const small = args.length <= FOLD_MAX_PAIRS * 2 + 1;
  let folds: boolean | undefined;
  for (let first = 1; first < args.length; first += BATCH * 2) {
    const end = Math.min(args.length, first + BATCH * 2);
    for (let i = first; i < end; i += 2) batchKeys[(i - first) >> 1] = keyAt(ctx, args, i);
    db.prefetch(batchKeys, (end - first) >> 1);
    for (let i = first; i < end; i += 2) {
      const key = batchKeys[(i - first) >> 1]!;
      if (small && namedAgain(args, i) && (folds ??= foldsRepeats(ctx))) db.signal(key, 'set', Kind.String);
      else storeValue(ctx, key, args.at(i + 1)!, 0, 'set');
    }
  }
  batchKeys.fill('');
}

/** Whether a later pair's key is argument i's bytes. */
function namedAgain(args: ArgList, i: number): boolean {
  for (let j = i + 2; j < args.length; j += 2) if (sameArg(args, i, j)) return true;
  return false;
}

/**
 * Whether storing only a key's last value of an MSET looks the same as storing each in turn:
 * not with keyspace notifications on (Redis announces 'new' at the first pair, and the events of
 * other keys in between), nor under an LFU policy (each pair's overwrite is a hit that may raise
 * the key's counter, redis dbOverwrite). WATCH, client tracking, blocked clients, replication
 * and snapshots only note which keys a command touched.
 */
function foldsRepeats(ctx: Session): boolean {
  return !ctx.db.access.lfu && ctx.server.config.get('notify-keyspace-events') === '';
}

const MULTI_SHARD = 'request_policy:multi_shard';

export const multiKeyStringCommands: CommandSpec[] = [
  { group: 'string', name: 'mget', arity: -2, flags: ['readonly', 'fast'], keySpecs: [span(1, -1, 1, 'RO', 'ACCESS')],
    categories: ['@read', '@string', '@fast'], tips: [MULTI_SHARD],
    summary: 'Get the values of all the given keys', since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to retrieve.', handler: takesRawArgs(mget) },
  { group: 'string', name: 'mset', arity: -3, flags: ['write', 'denyoom'], keySpecs: [span(1, -1, 2, 'OW', 'UPDATE')],
    categories: ['@write', '@string', '@slow'], tips: [MULTI_SHARD, 'response_policy:all_succeeded'],
    summary: 'Set multiple keys to multiple values', since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.', handler: takesRawArgs(mset) },
  { group: 'string', name: 'msetnx', arity: -3, flags: ['write', 'denyoom'], keySpecs: [span(1, -1, 2, 'OW', 'INSERT')],
    categories: ['@write', '@string', '@slow'], tips: [MULTI_SHARD, 'response_policy:agg_min'],
    summary: 'Set multiple keys to multiple values, only if none of the keys exist', since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.', handler: takesRawArgs(msetnx) },
];
