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

/** A failed AUTH/HELLO AUTH: logged under the user name that was tried (Redis addACLLogEntry). */
export function refuseLogin(ctx: Session, username: string): string {
  const context = ctx.multi !== null ? 'multi' : 'toplevel';
  ctx.server.acl.record('auth', context, 'auth', username, clientLine(ctx, ctx.server.clock()), ctx.server.clock());
  return Errors.wrongPass;
}
