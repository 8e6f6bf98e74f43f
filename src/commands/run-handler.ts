// Runs one command's handler, for the dispatcher and for EXEC's queued commands alike, timed
// once around the handler for INFO commandstats, latencystats, SLOWLOG and LATENCY. A write
// that finds the record arena full (32 GiB) answers an OOM error instead of taking the server
// down: records are allocated before a key changes, so that key is left as it was (the keys a
// multi-key write stored before it stay written). A stored blob that fails to open where a
// handler does not expect it (a packed collection unpacked by its lookup) answers the seal error
// instead of escaping the socket's data handler, which took the process down.

// The module's binding, not the global: `performance` on globalThis is a lazy getter, run on every use.
import { performance } from 'node:perf_hooks';
import { argArray, isListHandler, type ArgList } from '../protocol/arg-list.js';
import { Errors } from '../protocol/errors.js';
import { RawArgs } from '../protocol/raw-args.js';
import { ArenaFullError } from '../store/record-arena.js';
import { SealError } from '../seal/sealer.js';
import { sealFailedSince } from './values/sealing.js';
import { feedMonitors } from './connection/monitor.js';
import { commandRan } from './observe.js';
import { NameTooLongError } from '../util/names.js';
import { enterRun, leaveRun } from '../tracking/index.js';
import type { CommandSpec, Session } from './types.js';

/**
 * `shown`: the arguments as sent, where the handler runs with fewer (a bulk command whose
 * repeats were folded: bulk.ts); SLOWLOG, MONITOR and commandstats see the command as sent.
 */
export function runHandler(ctx: Session, spec: CommandSpec, args: ArgList, shown: ArgList = args): void | Promise<void> {
  const obs = ctx.server.observer;
  obs.errorsBefore = ctx.server.stats.failures;
  // One clock read per command (Observer.mark): performance.now() costs 50-70 ns here, as much
  // as Date.now() or process.hrtime(), a few percent of a pipelined GET if read twice.
  let start = obs.mark;
  if (Number.isNaN(start)) start = performance.now();
  const tracking = enterRun(ctx, spec, args);
  const errorsSent = ctx.reply.errorsSent;
  const pending = run(ctx, spec, args);
  // Client tracking: a read-only command's keys are remembered for its client (redis call()).
  if (tracking !== undefined) leaveRun(tracking, ctx, spec, args);
  // MONITOR shows a command once it has run, as Redis 7 does.
  if (pending === undefined) {
    const end = (obs.mark = performance.now());
    commandRan(ctx, spec, shown, end - start);
    return feedMonitors(ctx, spec, shown);
  }
  obs.mark = NaN;
  return timedWhenDone(ctx, spec, shown, start, pending, errorsSent);
}

/**
 * A command that waits is timed until it is done (EXEC of commands that wait for their turn),
 * less the time it spent blocked (BLPOP, XREADGROUP BLOCK, WAIT...): Redis times the work only.
 * Apart from runHandler: a closure in it over its arguments made V8 allocate their context (and
 * box `start`) on every command, ~135 bytes of garbage a call, not only for commands that wait.
 * It failed when its own connection got an error reply meanwhile (CLIENT UNBLOCK ... ERROR):
 * other commands ran in between, so the server-wide error count cannot tell.
 */
function timedWhenDone(ctx: Session, spec: CommandSpec, shown: ArgList, start: number, pending: Promise<void>, errorsSent: number): Promise<void> {
  const obs = ctx.server.observer;
  return pending.then(() => {
    commandRan(ctx, spec, shown, performance.now() - start - obs.takeWait(ctx.id), ctx.reply.errorsSent > errorsSent);
    feedMonitors(ctx, spec, shown);
  });
}

function run(ctx: Session, spec: CommandSpec, args: ArgList): void | Promise<void> {
  const handler = spec.handler!;
  const mark = ctx.reply.size;
  try {
    // A vector only reaches a handler that reads one (the parser asks the registry); any other gets an array.
    // RawArgs come only for a handler that reads them (the parser asked the registry): no lookup for them.
    return handler(ctx, Array.isArray(args) || args instanceof RawArgs || isListHandler(handler) ? (args as Buffer[]) : argArray(args));
  } catch (err) {
    if (err instanceof NameTooLongError) return ctx.reply.error(Errors.nameTooLong);
    // What the handler replied before it met the blob is dropped: one error answers the command.
    if (err instanceof SealError) return void sealFailedSince(ctx, mark, err);
    if (!(err instanceof ArenaFullError)) throw err;
    ctx.reply.error(Errors.arenaFull);
  }
}
