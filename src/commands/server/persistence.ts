// SAVE, BGSAVE [SCHEDULE], LASTSAVE and SHUTDOWN's save (redis rdb.c saveCommand /
// bgsaveCommand, db.c lastsaveCommand / shutdownCommand) over sealed snapshots on tmpfs
// (src/persistence/). Replies are Redis's; a save that fails answers with the reason
// ("ERR dir ... is not on tmpfs ...") where Redis answers a bare "ERR" (README, Durability).

import { Errors } from '../../protocol/errors.js';
import { SnapshotError } from '../../persistence/snapshot-format.js';
import { word } from '../args.js';
import type { Session } from '../types.js';

function failed(ctx: Session, err: unknown): void {
  if (err instanceof SnapshotError) return ctx.reply.error(Errors.snapshotFailed(err.message));
  throw err;
}

export function save(ctx: Session): void {
  const p = ctx.server.persistence;
  if (p.bgsaveInProgress) return ctx.reply.error(Errors.bgsaveInProgress);
  try {
    p.save();
  } catch (err) {
    return failed(ctx, err);
  }
  ctx.reply.ok();
}

export function bgsave(ctx: Session, args: Buffer[]): void {
  let schedule = false;
  if (args.length > 1) {
    if (args.length === 2 && word(args[1]!) === 'schedule') schedule = true;
    else return ctx.reply.error(Errors.syntax);
  }
  const p = ctx.server.persistence;
  // Redis schedules only behind another child (an AOF rewrite) or inside EXEC: sealkv has no
  // other child, so SCHEDULE starts at once like BGSAVE, and behind a running BGSAVE is refused
  // like it. Inside EXEC (the client is still flagged MULTI) the cron starts it, as Redis does.
  void schedule;
  if (p.bgsaveInProgress) return ctx.reply.error(Errors.bgsaveInProgress);
  if (ctx.multi !== null) {
    p.scheduled = true;
    return ctx.reply.simple('Background saving scheduled');
  }
  try {
    void p.bgsave();
  } catch (err) {
    return failed(ctx, err);
  }
  ctx.reply.simple('Background saving started');
}

export function lastsave(ctx: Session): void {
  ctx.reply.integer(ctx.server.persistence.lastSave);
}
