// SEAL ROTATE | STATUS | HELP: sealkv's own commands for its data keys (README, Key rotation).

import { Errors } from '../../protocol/errors.js';
import { hexId } from '../../seal/rotation.js';
import { replyHelp } from '../connection/clients.js';
import type { CommandSpec, Session } from '../types.js';

/** Installs a fresh data key, starts re-sealing in the background, replies with the new key id. */
function rotate(ctx: Session): void {
  const key = ctx.server.rotation.start();
  if (key === null) return ctx.reply.error(Errors.rotationInProgress);
  ctx.reply.bulkText(hexId(key.id));
}

/**
 * The keys and the rotation's progress as a map (a flat array under RESP2). `keys` counts every
 * value by the key that sealed it, so this is O(values); INFO sealkv has the O(1) fields.
 */
function status(ctx: Session): void {
  const r = ctx.server.rotation;
  const counts = r.census();
  const live = r.keyIds();
  let unknown = 0;
  for (const [id, n] of counts) if (!live.includes(id)) unknown += n;
  const progress = r.progress();
  ctx.reply.mapLen(3 + progress.length);
  ctx.reply.bulkText('current_key_id');
  ctx.reply.bulkText(hexId(ctx.server.keyId));
  ctx.reply.bulkText('keys');
  ctx.reply.mapLen(live.length);
  for (const id of live) {
    ctx.reply.bulkText(hexId(id));
    ctx.reply.integer(counts.get(id) ?? 0);
  }
  ctx.reply.bulkText('values_unknown_key');
  ctx.reply.integer(unknown);
  for (const [name, value] of progress) {
    ctx.reply.bulkText(name);
    ctx.reply.integer(value);
  }
}

const HELP = [
  'SEAL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ROTATE',
  '    Install a fresh data key and re-seal every value under it in the background;',
  '    replies with the new key id. The old key is wiped once no value uses it.',
  'STATUS',
  '    Current key id, values per live key id, and the progress of the rotation.',
  'HELP',
  '    Prints this help.',
];

const ADMIN = ['@admin', '@slow', '@dangerous'] as const;
const sub = { since: '0.1.0', group: 'server' } as const;

export const sealCommands: CommandSpec[] = [
  {
    ...sub, name: 'seal', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for sealkv key management commands',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        ...sub, name: 'rotate', arity: 2, flags: ['admin', 'noscript'], categories: ADMIN,
        summary: 'Install a fresh data key and re-seal every value in the background', complexity: 'O(1); the background pass is O(N)', handler: rotate,
      },
      {
        ...sub, name: 'status', arity: 2, flags: ['admin', 'noscript', 'loading', 'stale'], categories: ADMIN,
        summary: 'Show the data keys in use and the progress of a key rotation', complexity: 'O(N) where N is the number of values', handler: status,
      },
      {
        ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: ['@slow'],
        summary: 'Show helpful text about the different subcommands', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP),
      },
    ],
  },
];
