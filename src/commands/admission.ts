// The pure admission step (ARCHITECTURE move 5; redis processCommand / scriptCall): lookup,
// arity, authentication and ACL, decided without replying, so the socket dispatcher and a
// script's redis.call share it and only word the refusal differently.

import { checkPermissions } from '../acl/permissions.js';
import { argArray, type ArgList } from '../protocol/arg-list.js';
import type { DenialReason } from '../acl/store.js';
import type { Command, Registry } from './registry.js';
import type { CommandSpec, Session } from './types.js';

export type Admission =
  | { kind: 'ok'; command: Command }
  | { kind: 'unknown' }
  | { kind: 'unknown-subcommand'; container: string }
  | { kind: 'arity'; fullName: string; spec: CommandSpec }
  | { kind: 'noauth'; command: Command }
  | { kind: 'acl'; command: Command; reason: DenialReason; object: string };

export function admitCommand(ctx: Session, registry: Registry, args: ArgList): Admission {
  const found = registry.resolve(args);
  if (found.kind !== 'command') return found;
  if (!ctx.authenticated && !found.noAuth) return { kind: 'noauth', command: found };
  // ACL (Redis ACLCheckAllPerm); the handshake commands (no_auth) are never refused.
  if (!ctx.aclUser.unrestricted && !found.noAuth) {
    const denied = checkPermissions(ctx.aclUser, found.spec, found.fullName, argArray(args), ctx.server.names.sealed);
    if (denied !== null) return { kind: 'acl', command: found, reason: denied.reason, object: denied.object };
  }
  return found.admitted;
}
