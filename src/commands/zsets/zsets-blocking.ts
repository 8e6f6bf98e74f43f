// BZPOPMIN, BZPOPMAX, BZMPOP (redis t_zset.c blockingGenericZpopCommand): pop at once when a
// key has members, else wait through the blocking table (src/blocking/) until a write gives one
// of the keys members, the timeout passes, the client is unblocked or goes away. Inside MULTI or
// a script they answer at once as on a timeout (a null array).

import { parseTimeout } from '../../blocking/timeout.js';
import { Kind } from '../../store/keyspace.js';
import { keyOf, keysAfterCount, zsetSpec } from './zset-entries.js';
import { parseMpop, popFrom, type PopShape, type Where } from './zsets-pops.js';
import { span, type KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

/**
 * Pops from the first key with members, or blocks on all of them. `keyArgs` are the key
 * arguments (copied: they outlive the read they came in).
 */
function popOrBlock(ctx: Session, keyArgs: Buffer[], timeout: number, where: Where, count: number, shape: PopShape): void | Promise<void> {
  const mark = ctx.reply.size;
  if (popFrom(ctx, keyArgs, where, count, shape)) return;
  // No key had members: popFrom's empty reply is taken back, the client waits instead.
  ctx.reply.truncate(mark);
  const owned = keyArgs.map((k) => Buffer.from(k));
  const keys = owned.map((k) => keyOf(ctx, k));
  return ctx.server.blocking.block(ctx, {
    keys,
    timeout,
    serve: (key) => {
      const i = keys.indexOf(key);
      const entry = ctx.db.get(key, ctx.now);
      if (i < 0 || entry === undefined || entry.kind !== Kind.ZSet || entry.zset.size === 0) return false;
      popFrom(ctx, [owned[i]!], where, count, shape);
      return true;
    },
    timedOut: () => ctx.reply.nullArray(),
  });
}

function bzpop(ctx: Session, args: Buffer[], where: Where): void | Promise<void> {
  const timeout = parseTimeout(args[args.length - 1]!, 'seconds', ctx.now);
  if (typeof timeout === 'string') return ctx.reply.error(`ERR ${timeout}`);
  return popOrBlock(ctx, args.slice(1, -1), timeout, where, -1, { emitKey: true, nested: false, nilWhenEmpty: false });
}

const bzpopmin = (ctx: Session, args: Buffer[]): void | Promise<void> => bzpop(ctx, args, 'min');
const bzpopmax = (ctx: Session, args: Buffer[]): void | Promise<void> => bzpop(ctx, args, 'max');

function bzmpop(ctx: Session, args: Buffer[]): void | Promise<void> {
  const req = parseMpop(ctx, args, 2);
  if (req === null) return;
  const timeout = parseTimeout(args[1]!, 'seconds', ctx.now);
  if (typeof timeout === 'string') return ctx.reply.error(`ERR ${timeout}`);
  return popOrBlock(ctx, req.keys, timeout, req.where, req.count, { emitKey: true, nested: true, nilWhenEmpty: true });
}

// ---- table ----

const POP: readonly KeyFlagName[] = ['RW', 'ACCESS', 'DELETE'];
const ONE = { complexity: 'O(log(N)) with N being the number of elements in the sorted set.', blocking: true, noscript: true };

export const zsetBlockingCommands: CommandSpec[] = [
  zsetSpec('bzpopmin', -3, 'write', true, [span(1, -2, 1, ...POP)], 'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available', '5.0.0', bzpopmin, ONE),
  zsetSpec('bzpopmax', -3, 'write', true, [span(1, -2, 1, ...POP)], 'Remove and return the member with the highest score from one or more sorted sets, or block until one is available', '5.0.0', bzpopmax, ONE),
  zsetSpec('bzmpop', -5, 'write', false, [keysAfterCount(2, ...POP)], 'Remove and return members with scores in a sorted set or block until one is available', '7.0.0', bzmpop, { complexity: 'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.', blocking: true }),
];
