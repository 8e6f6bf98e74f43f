// A browser tricked into posting to a Redis port sends an HTTP request: `POST / HTTP/1.1`, then
// header lines, each parsed as an inline command. Redis 7 (processCommand, securityWarningCommand)
// closes such a connection at its first `POST` or `Host:` command, before authentication, without
// answering, and logs a warning at most once a minute; sealkv does the same rather than answer
// every header line with an error (which would also run whatever a crafted body says).

import type { ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';
import type { Session } from '../types.js';

const WARN_EVERY_MS = 60_000;
let lastWarned = -Infinity;

/**
 * True (and the connection closed) when the command is HTTP's `POST` or `Host:`. Arguments that
 * came as RawArgs never are: only a name the registry knows comes that way (parser.ts
 * rawCommand), and asking one for its name would make a view per command on the hot path.
 */
export function crossProtocolAttack(ctx: Session, args: ArgList): boolean {
  if (args instanceof RawArgs) return false;
  const name = args.at(0)!;
  if (!isPostOrHost(name)) return false;
  const now = Date.now();
  if (now - lastWarned >= WARN_EVERY_MS) {
    lastWarned = now;
    ctx.server.log.warn(
      'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.',
    );
  }
  ctx.kill();
  return true;
}

function isPostOrHost(name: Buffer): boolean {
  if (name.length === 4) return (name[0]! | 0x20) === 0x70 && (name[1]! | 0x20) === 0x6f && (name[2]! | 0x20) === 0x73 && (name[3]! | 0x20) === 0x74; // post
  if (name.length === 5) return name[4] === 0x3a && (name[0]! | 0x20) === 0x68 && (name[1]! | 0x20) === 0x6f && (name[2]! | 0x20) === 0x73 && (name[3]! | 0x20) === 0x74; // host:
  return false;
}
