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

/** True (and the connection closed) when the command is HTTP's `POST` or `Host:`. */
export function crossProtocolAttack(ctx: Session, args: ArgList): boolean {
  // A short request's name is read where it lies: RawArgs.at() makes a Buffer view, ~40 ns of
  // every pipelined command (bench/micro/evalsha-path.ts).
  if (args instanceof RawArgs) {
    if (!isPostOrHost(args.bytes, args.starts[0]!, args.lengths[0]!)) return false;
  } else {
    const name = args.at(0)!;
    if (!isPostOrHost(name, 0, name.length)) return false;
  }
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

/** Whether bytes [at, at + n) of `b` spell `post` or `host:` in any case. */
function isPostOrHost(b: Uint8Array, at: number, n: number): boolean {
  if (n === 4) return (b[at]! | 0x20) === 0x70 && (b[at + 1]! | 0x20) === 0x6f && (b[at + 2]! | 0x20) === 0x73 && (b[at + 3]! | 0x20) === 0x74; // post
  if (n === 5) return b[at + 4] === 0x3a && (b[at]! | 0x20) === 0x68 && (b[at + 1]! | 0x20) === 0x6f && (b[at + 2]! | 0x20) === 0x73 && (b[at + 3]! | 0x20) === 0x74; // host:
  return false;
}
