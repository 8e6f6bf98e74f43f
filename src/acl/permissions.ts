// Whether a user may run a resolved command with these arguments: the command itself, then
// every key keysOf finds, with the access its key spec flags say the command needs. Called by the
// dispatcher only; handlers never check permissions.

import { keysOf, READS, WRITES } from '../commands/key-specs.js';
import type { CommandSpec } from '../commands/types.js';
import type { AclUser } from './user.js';

export type Denial = { reason: 'command' | 'key' | 'channel'; object: string } | null;

/**
 * Beyond Redis: commands that act on every key of a database need write access to all keys,
 * so a user confined to `~app:*` cannot wipe or swap away other tenants' keys.
 */
const KEYSPACE_WIDE = new Set(['flushdb', 'flushall', 'swapdb']);

/** What the ACL LOG shows for a refused key when key names are sealed: never the name. */
const SEALED_KEY_OBJECT = '(sealed key name)';

/** The ACL LOG keeps at most this much of a refused key's name (Redis keeps it whole, any size). */
const LOGGED_NAME_MAX = 1024;

function logName(key: Buffer): string {
  return key.toString('latin1', 0, Math.min(key.length, LOGGED_NAME_MAX));
}

/** @param sealedKeys seal-keys is on: a refused key is logged as SEALED_KEY_OBJECT. */
export function checkPermissions(user: AclUser, spec: CommandSpec, fullName: string, args: Buffer[], sealedKeys = false): Denial {
  if (!user.mayRun(fullName)) return { reason: 'command', object: fullName };
  if (KEYSPACE_WIDE.has(spec.name) && !user.writesAllKeys) return { reason: 'key', object: fullName };
  // What each key needs follows its key spec flags, as in Redis (ACLSelectorCheckKey): ACCESS
  // reads, INSERT/DELETE/UPDATE write, and a key with neither (EXISTS, TYPE) only has to
  // match some pattern.
  for (const k of keysOf(spec, args)) {
    const key = args[k.pos]!;
    if (!user.mayAccessBytes(key, (k.flags & READS) !== 0, (k.flags & WRITES) !== 0)) {
      return { reason: 'key', object: sealedKeys ? SEALED_KEY_OBJECT : logName(key) };
    }
  }
  if (!user.allChannels && spec.flags.includes('pubsub')) return checkChannels(user, spec.name, args, sealedKeys);
  return null;
}

/** Commands whose arguments from 1 on are channels (or patterns), and which of them (redis getChannelsFromCommand). */
const CHANNEL_ARGS: Record<string, { last: number; pattern: boolean }> = {
  publish: { last: 1, pattern: false },
  spublish: { last: 1, pattern: false },
  subscribe: { last: -1, pattern: false },
  ssubscribe: { last: -1, pattern: false },
  psubscribe: { last: -1, pattern: true },
};

/** What the ACL LOG shows for a refused channel when names are sealed. */
const SEALED_CHANNEL_OBJECT = '(sealed channel name)';

function checkChannels(user: AclUser, name: string, args: Buffer[], sealed: boolean): Denial {
  const rule = CHANNEL_ARGS[name];
  if (rule === undefined) return null;
  const last = rule.last < 0 ? args.length - 1 : Math.min(rule.last, args.length - 1);
  for (let i = 1; i <= last; i++) {
    if (!user.mayUseChannel(args[i]!, rule.pattern)) return { reason: 'channel', object: sealed ? SEALED_CHANNEL_OBJECT : logName(args[i]!) };
  }
  return null;
}
