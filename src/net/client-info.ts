// Small pieces of a connection's state that CLIENT subcommands act on, kept out of client.ts.

import type { Socket } from 'node:net';
import type { ReplyMode } from '../commands/types.js';
import type { ReplyWriter } from '../protocol/reply.js';

/**
 * Before a command runs: mutes its reply when CLIENT REPLY asked for it (OFF, or a pending
 * SKIP, which this uses up). The connection unmutes once the command is done, dropping what it
 * wrote; CLIENT REPLY ON and RESET unmute at once so their own reply goes out (as in Redis).
 */
export function muteIfAsked(c: { replyMode: ReplyMode; reply: ReplyWriter }): void {
  if (c.replyMode === 'skip') c.replyMode = 'on';
  c.reply.mute();
}

interface WithHandle {
  _handle?: { fd?: unknown } | null;
  /** A TLS socket wraps the plain socket it was accepted on. */
  _parent?: WithHandle | null;
}

/** The descriptor of a TCP or Unix socket (Node keeps it on the private handle on Unix), else -1. */
export function socketFd(socket: Socket): number {
  for (let s: WithHandle | null | undefined = socket as unknown as WithHandle; s; s = s._parent) {
    const fd = s._handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  return -1;
}
