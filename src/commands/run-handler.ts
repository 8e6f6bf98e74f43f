// Runs one command's handler, for the dispatcher and for EXEC's queued commands alike. A write
// that finds the record arena full (32 GiB) answers an OOM error instead of taking the server
// down: records are allocated before a key changes, so that key is left as it was (the keys a
// multi-key write stored before it stay written).

import { Errors } from '../protocol/errors.js';
import { ArenaFullError } from '../store/record-arena.js';
import { feedMonitors, monitorsActive } from './monitor.js';
import { NameTooLongError } from '../util/names.js';
import type { CommandSpec, Session } from './types.js';

export function runHandler(ctx: Session, spec: CommandSpec, args: Buffer[]): void | Promise<void> {
  // MONITOR shows a command once it has run, as Redis 7 does.
  const pending = run(ctx, spec, args);
  if (pending === undefined) return feedMonitors(ctx, spec, args);
  return monitorsActive() ? pending.then(() => feedMonitors(ctx, spec, args)) : pending;
}

function run(ctx: Session, spec: CommandSpec, args: Buffer[]): void | Promise<void> {
  try {
    return spec.handler!(ctx, args);
  } catch (err) {
    if (err instanceof NameTooLongError) return ctx.reply.error(Errors.nameTooLong);
    if (!(err instanceof ArenaFullError)) throw err;
    ctx.reply.error(Errors.arenaFull);
  }
}
