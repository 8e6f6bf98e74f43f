// A refused command or login: recorded in the ACL LOG, answered with Redis's text.

import { clientLine } from '../commands/connection/clients.js';
import type { Session } from '../commands/types.js';
import { Errors } from '../protocol/errors.js';
import type { DenialReason } from './store.js';

/** Logs the denial and returns the error reply for it. */
export function refuse(ctx: Session, reason: DenialReason, object: string, fullName: string): string {
  const context = ctx.multi !== null ? 'multi' : 'toplevel';
  ctx.server.acl.record(reason, context, object, ctx.user, clientLine(ctx, ctx.server.clock()), ctx.server.clock());
  return reason === 'key' ? Errors.noPermKey : reason === 'channel' ? Errors.noPermChannel : Errors.noPermCommand(fullName);
}

/** A queued command refused when EXEC runs it, its user's rules having changed since it was queued. */
export function refuseAtExec(ctx: Session, reason: 'command' | 'key' | 'channel', object: string): string {
  ctx.server.acl.record(reason, 'multi', object, ctx.user, clientLine(ctx, ctx.server.clock()), ctx.server.clock());
  return Errors.noPermAtExec(reason);
}

/**
 * A failed AUTH/HELLO AUTH: logged under the user name that was tried, with the command's name
 * as the client sent it (Redis addACLLogEntry: argv[0], so redis-py's `AUTH`, redis-cli's `auth`).
 */
export function refuseLogin(ctx: Session, commandName: Buffer, username: string): string {
  const context = ctx.multi !== null ? 'multi' : 'toplevel';
  const object = commandName.toString('latin1');
  ctx.server.acl.record('auth', context, object, username, clientLine(ctx, ctx.server.clock()), ctx.server.clock());
  return Errors.wrongPass;
}
