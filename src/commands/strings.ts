// String commands.

import { name } from './args.js';
import { openValue, replyAndWipe, sealValue } from './sealing.js';
import { Errors } from '../protocol/errors.js';
import { Kind } from '../store/keyspace.js';
import type { CommandSpec, Session } from './types.js';

function get(ctx: Session, args: Buffer[]): void {
  const key = name(args[1]!);
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined) return ctx.reply.nullBulk();
  if (entry.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  const plain = openValue(ctx, key, entry.value);
  if (plain) replyAndWipe(ctx, plain);
}

function set(ctx: Session, args: Buffer[]): void {
  const key = name(args[1]!);
  ctx.db.set(key, { kind: Kind.String, value: sealValue(ctx, key, args[2]!), expiresAt: 0, touchedAt: ctx.now });
  ctx.reply.ok();
}

export const stringCommands: CommandSpec[] = [
  {
    name: 'get', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['@read', '@string', '@fast'], summary: 'Get the value of a key', since: '1.0.0', group: 'string',
    handler: get,
  },
  {
    name: 'set', arity: -3, flags: ['write', 'denyoom'], firstKey: 1, lastKey: 1, step: 1,
    categories: ['@write', '@string', '@slow'], summary: 'Set the string value of a key', since: '1.0.0', group: 'string',
    handler: set,
  },
];
