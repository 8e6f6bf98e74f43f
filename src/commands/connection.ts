// Connection commands: PING ECHO SELECT QUIT RESET AUTH HELLO CLIENT.

import type { CommandSpec, Session } from './types.js';

function ping(ctx: Session, args: Buffer[]): void {
  if (args.length > 2) return ctx.reply.error("ERR wrong number of arguments for 'ping' command");
  if (args.length === 2) ctx.reply.bulk(args[1]!);
  else ctx.reply.simple('PONG');
}

export const connectionCommands: CommandSpec[] = [
  {
    name: 'ping', arity: -1, flags: ['fast'], firstKey: 0, lastKey: 0, step: 0,
    categories: ['@fast', '@connection'], summary: 'Ping the server', since: '1.0.0', group: 'connection',
    handler: ping,
  },
];
