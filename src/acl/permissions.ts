// Whether a user may run a resolved command with these arguments (redis
// ACLCheckAllUserCommandPerm): one of its selectors must allow the command, every key keysOf
// finds with the access its key spec flags ask for, and every channel. Called by the
// dispatcher, EXEC and ACL DRYRUN; handlers never check permissions.

import { keysOf, READS, WRITES, type KeyRef } from '../commands/key-specs.js';
import type { CommandSpec } from '../commands/types.js';
import type { AclCommand } from './catalogue.js';
import { READ, WRITE, type AclSelector } from './selector.js';
import type { AclUser } from './user.js';

export type Denial = { reason: 'command' | 'key' | 'channel'; object: string } | null;

/**
 * Beyond Redis: commands that act on every key of a database need write access to all keys,
 * so a user confined to `~app:*` cannot wipe or swap away other tenants' keys.
 */
const KEYSPACE_WIDE = new Set(['flushdb', 'flushall', 'swapdb']);

/** What the ACL LOG shows for a refused key when key names are sealed: never the name. */
const SEALED_KEY_OBJECT = '(sealed key name)';
/** What the ACL LOG shows for a refused channel when names are sealed. */
const SEALED_CHANNEL_OBJECT = '(sealed channel name)';

/** The ACL LOG keeps at most this much of a refused key's name (Redis keeps it whole, any size). */
const LOGGED_NAME_MAX = 1024;

function logName(key: Buffer): string {
  return key.toString('latin1', 0, Math.min(key.length, LOGGED_NAME_MAX));
}

/** One selector's verdict, ordered as Redis ranks them (ACL_DENIED_CMD < KEY < CHANNEL). */
const enum Verdict { Ok = 0, Command = 1, Key = 2, Channel = 4 }

/** Commands whose arguments from 1 on are channels (or patterns), and which of them (redis getChannelsFromCommand). */
const CHANNEL_ARGS: Record<string, { last: number; pattern: boolean }> = {
  publish: { last: 1, pattern: false },
  spublish: { last: 1, pattern: false },
  subscribe: { last: -1, pattern: false },
  ssubscribe: { last: -1, pattern: false },
  psubscribe: { last: -1, pattern: true },
};

/** The command's keys, found once for all selectors (Redis's aclKeyResultCache). */
class KeyCache {
  private found: readonly KeyRef[] | null = null;
  constructor(private readonly spec: CommandSpec, private readonly args: Buffer[]) {}
  get keys(): readonly KeyRef[] {
    return (this.found ??= keysOf(this.spec, this.args));
  }
}

/** ACLSelectorCheckCmd: the verdict and, when refused for a key or channel, the argument's position. */
function checkSelector(s: AclSelector, cmd: AclCommand, spec: CommandSpec, args: Buffer[], keys: KeyCache): [Verdict, number] {
  if (!s.mayRun(cmd, args)) return [Verdict.Command, 0];
  if (KEYSPACE_WIDE.has(spec.name) && !s.allKeysWith(WRITE)) return [Verdict.Key, 0];
  if (!s.allKeysWith(READ | WRITE)) {
    // What each key needs follows its key spec flags, as in Redis: ACCESS reads,
    // INSERT/DELETE/UPDATE write, and a key with neither (EXISTS, TYPE) only has to match.
    for (const k of keys.keys) {
      const access = ((k.flags & READS) !== 0 ? READ : 0) | ((k.flags & WRITES) !== 0 ? WRITE : 0);
      if (!s.mayAccessBytes(args[k.pos]!, access)) return [Verdict.Key, k.pos];
    }
  }
  const rule = s.allChannels || !spec.flags.includes('pubsub') ? undefined : CHANNEL_ARGS[spec.name];
  if (rule !== undefined) {
    const last = rule.last < 0 ? args.length - 1 : Math.min(rule.last, args.length - 1);
    for (let i = 1; i <= last; i++) if (!s.mayUseChannel(args[i]!, rule.pattern)) return [Verdict.Channel, i];
  }
  return [Verdict.Ok, 0];
}

/**
 * Null when some selector allows the whole command; otherwise the denial to log, as Redis picks
 * it: the command when no selector allows it, else the key or channel refused furthest along
 * (a channel before a key).
 * @param sealedKeys seal-keys is on: a refused key or channel is logged without its name.
 */
export function checkPermissions(user: AclUser, spec: CommandSpec, fullName: string, args: Buffer[], sealedKeys = false): Denial {
  const cmd = user.catalogue.lookup(fullName);
  if (cmd === undefined) return { reason: 'command', object: fullName };
  const keys = new KeyCache(spec, args);
  let worst = Verdict.Command;
  let at = 0;
  for (const s of user.selectors) {
    const [verdict, pos] = checkSelector(s, cmd, spec, args, keys);
    if (verdict === Verdict.Ok) return null;
    if (verdict > worst || (verdict === worst && pos > at)) {
      worst = verdict;
      at = pos;
    }
  }
  if (worst === Verdict.Command) return { reason: 'command', object: fullName };
  if (worst === Verdict.Key) return { reason: 'key', object: at === 0 ? fullName : sealedKeys ? SEALED_KEY_OBJECT : logName(args[at]!) };
  return { reason: 'channel', object: sealedKeys ? SEALED_CHANNEL_OBJECT : logName(args[at]!) };
}

/**
 * Whether some selector allows the command and reads every key (redis
 * ACLUserCheckCmdWithUnrestrictedKeyAccess): SORT's BY and GET patterns need it.
 */
export function mayRunReadingAllKeys(user: AclUser, fullName: string, args: Buffer[]): boolean {
  if (user.unrestricted) return true;
  const cmd = user.catalogue.lookup(fullName);
  if (cmd === undefined) return false;
  const keys = new KeyCache(cmd.spec, args);
  return user.selectors.some((s) => s.allKeysWith(READ) && checkSelector(s, cmd, cmd.spec, args, keys)[0] === Verdict.Ok);
}
