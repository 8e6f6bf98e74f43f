// Whether a user may run a resolved command with these arguments: the command itself, then
// every key at the spec's key positions with the access the command needs. Called by the
// dispatcher only; handlers never check permissions.

import type { CommandSpec } from '../commands/types.js';
import type { AclUser } from './user.js';

export type Denial = { reason: 'command' | 'key'; object: string } | null;

/**
 * Write commands whose keys are also read (Redis key specs with the ACCESS flag): a user
 * with only %W~ on the key may not run them, as in Redis.
 */
const READS_AND_WRITES = new Set([
  'incr', 'decr', 'incrby', 'decrby', 'incrbyfloat', 'getset', 'getdel', 'getex', 'hincrby', 'hincrbyfloat',
  'move', 'rename', 'renamenx',
]);

/** Source is read, destination only written (COPY); RENAME's destination likewise. */
const WRITE_ONLY_DESTINATION = new Set(['copy', 'rename', 'renamenx']);

/**
 * Beyond Redis: commands that act on every key of a database need write access to all keys,
 * so a user confined to `~app:*` cannot wipe or swap away other tenants' keys.
 */
const KEYSPACE_WIDE = new Set(['flushdb', 'flushall', 'swapdb']);

/** SET ... GET returns the old value, so it reads the key too. */
function setWithGet(args: Buffer[]): boolean {
  for (let i = 3; i < args.length; i++) {
    const a = args[i]!;
    if (a.length === 3 && a.toString('latin1').toLowerCase() === 'get') return true;
  }
  return false;
}

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
  if (spec.firstKey <= 0) return null;
  const isWrite = spec.flags.includes('write');
  const last = spec.lastKey < 0 ? args.length + spec.lastKey : Math.min(spec.lastKey, args.length - 1);
  const bothOnFirst = isWrite && (READS_AND_WRITES.has(spec.name) || (spec.name === 'set' && setWithGet(args)));
  for (let i = spec.firstKey; i <= last; i += Math.max(1, spec.step)) {
    let read = !isWrite;
    let write = isWrite;
    if (i === spec.firstKey) {
      if (spec.name === 'copy') [read, write] = [true, false];
      else if (bothOnFirst) read = true;
    } else if (WRITE_ONLY_DESTINATION.has(spec.name)) {
      read = false;
    }
    const key = args[i]!;
    if (!user.mayAccessBytes(key, read, write)) return { reason: 'key', object: sealedKeys ? SEALED_KEY_OBJECT : logName(key) };
  }
  return null;
}
