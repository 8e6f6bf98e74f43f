// XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS (redis t_stream.c xinfoCommand), with
// Redis 7.0's field names and order. radix-tree-keys is the number of nodes; radix-tree-nodes
// has no counterpart (sealkv keeps a sorted array of nodes, not a radix tree) and counts the
// same nodes plus one for the root.

import { int64, name, text, word } from '../args.js';
import { replyHelp } from '../connection/clients.js';
import { quoted, replyEntry, replyId, streamSpec } from './streams-entries.js';
import { firstEntryId, groupLag } from './streams-lag.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, type StreamEntry } from '../../store/keyspace.js';
import { ENTRIES_READ_UNKNOWN } from '../../store/types/stream-groups.js';
import { ID_MAX, type StreamId } from '../../store/types/stream.js';
import type { CommandSpec, Session } from '../types.js';
import { replyOpened } from '../values/sealing.js';

/** The stream for XINFO: null after replying (no such key, wrong type). */
function infoStream(ctx: Session, args: Buffer[]): [string, StreamEntry] | null {
  const key = ctx.server.names.keyOf(args[2]!);
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined) {
    ctx.reply.error(Errors.noSuchKey);
    return null;
  }
  if (entry.kind !== Kind.Stream) {
    ctx.reply.error(Errors.wrongType);
    return null;
  }
  return [key, entry];
}

function replyEdge(ctx: Session, key: string, entry: StreamEntry, id: StreamId | undefined): void {
  if (id === undefined) return ctx.reply.nullBulk();
  const sealed = entry.log.get(id)!;
  replyEntry(ctx, key, id, sealed, 0, sealed.length);
}

function xinfoStream(ctx: Session, args: Buffer[]): void {
  // Redis looks the key up (no such key, WRONGTYPE) before it reads the options.
  const found = infoStream(ctx, args);
  if (found === null) return;
  let full = false;
  let count = 10;
  const opts = args.length - 3;
  if (opts > 0) {
    if ((opts !== 1 && opts !== 3) || word(args[3]!) !== 'full') return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'xinfo'));
    full = true;
    if (opts === 3) {
      if (word(args[4]!) !== 'count') return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'xinfo'));
      const n = int64(args[5]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      count = n < 0n ? 10 : Number(n);
    }
  }
  const [key, entry] = found;
  const log = entry.log;
  const r = ctx.reply;
  replyOpened(ctx, () => {
    r.mapLen(full ? 9 : 10);
    r.bulkLatin1('length');
    r.integer(log.length);
    r.bulkLatin1('radix-tree-keys');
    r.integer(log.nodeCount);
    r.bulkLatin1('radix-tree-nodes');
    r.integer(log.nodeCount + 1);
    r.bulkLatin1('last-generated-id');
    replyId(ctx, log.lastId);
    r.bulkLatin1('max-deleted-entry-id');
    replyId(ctx, log.maxDeletedId);
    r.bulkLatin1('entries-added');
    r.integer(log.entriesAdded);
    r.bulkLatin1('recorded-first-entry-id');
    replyId(ctx, firstEntryId(log));
    if (!full) {
      r.bulkLatin1('groups');
      r.integer(entry.groups.size);
      r.bulkLatin1('first-entry');
      replyEdge(ctx, key, entry, log.firstId());
      r.bulkLatin1('last-entry');
      replyEdge(ctx, key, entry, log.lastEntryId());
      return;
    }
    r.bulkLatin1('entries');
    const ids: StreamId[] = [];
    log.range(0n, ID_MAX, false, (id) => {
      ids.push(id);
      return count === 0 || ids.length < count;
    });
    r.arrayLen(ids.length);
    for (const id of ids) replyEdge(ctx, key, entry, id);
    r.bulkLatin1('groups');
    const groups = entry.groups.sorted();
    r.arrayLen(groups.length);
    for (const [groupName, g] of groups) {
      r.mapLen(7);
      r.bulkLatin1('name');
      r.bulkLatin1(groupName);
      r.bulkLatin1('last-delivered-id');
      replyId(ctx, g.lastId);
      r.bulkLatin1('entries-read');
      if (g.entriesRead !== ENTRIES_READ_UNKNOWN) r.integer(g.entriesRead);
      else r.nullBulk();
      r.bulkLatin1('lag');
      const lag = groupLag(log, g);
      if (lag === null) r.nullBulk();
      else r.integer(lag);
      r.bulkLatin1('pel-count');
      r.integer(g.pel.size);
      r.bulkLatin1('pending');
      const pending = [...g.pel.range(0n, ID_MAX, count)];
      r.arrayLen(pending.length);
      for (const nack of pending) {
        r.arrayLen(4);
        replyId(ctx, nack.id);
        r.bulkLatin1(nack.consumer.name);
        r.integer(nack.deliveryTime);
        r.integer(nack.deliveryCount);
      }
      r.bulkLatin1('consumers');
      const consumers = g.sortedConsumers();
      r.arrayLen(consumers.length);
      for (const c of consumers) {
        r.mapLen(4);
        r.bulkLatin1('name');
        r.bulkLatin1(c.name);
        r.bulkLatin1('seen-time');
        r.integer(c.seenTime);
        r.bulkLatin1('pel-count');
        r.integer(c.pel.size);
        r.bulkLatin1('pending');
        const own = [...c.pel.range(0n, ID_MAX, count)];
        r.arrayLen(own.length);
        for (const nack of own) {
          r.arrayLen(3);
          replyId(ctx, nack.id);
          r.integer(nack.deliveryTime);
          r.integer(nack.deliveryCount);
        }
      }
    }
  });
}

function xinfoGroups(ctx: Session, args: Buffer[]): void {
  const found = infoStream(ctx, args);
  if (found === null) return;
  const log = found[1].log;
  const groups = found[1].groups.sorted();
  const r = ctx.reply;
  r.arrayLen(groups.length);
  for (const [groupName, g] of groups) {
    r.mapLen(6);
    r.bulkLatin1('name');
    r.bulkLatin1(groupName);
    r.bulkLatin1('consumers');
    r.integer(g.consumers.size);
    r.bulkLatin1('pending');
    r.integer(g.pel.size);
    r.bulkLatin1('last-delivered-id');
    replyId(ctx, g.lastId);
    r.bulkLatin1('entries-read');
    if (g.entriesRead !== ENTRIES_READ_UNKNOWN) r.integer(g.entriesRead);
    else r.nullBulk();
    r.bulkLatin1('lag');
    const lag = groupLag(log, g);
    if (lag === null) r.nullBulk();
    else r.integer(lag);
  }
}

function xinfoConsumers(ctx: Session, args: Buffer[]): void {
  const found = infoStream(ctx, args);
  if (found === null) return;
  const g = found[1].groups.get(name(args[3]!));
  if (g === undefined) return ctx.reply.error(Errors.noGroupFor(quoted(args[3]!), quoted(args[2]!)));
  const r = ctx.reply;
  const consumers = g.sortedConsumers();
  r.arrayLen(consumers.length);
  for (const c of consumers) {
    r.mapLen(3);
    r.bulkLatin1('name');
    r.bulkLatin1(c.name);
    r.bulkLatin1('pending');
    r.integer(c.pel.size);
    r.bulkLatin1('idle');
    r.integer(Math.max(0, ctx.now - c.seenTime));
  }
}

const XINFO_HELP = [
  'XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

export const streamInfoCommands: readonly CommandSpec[] = [
  {
    name: 'xinfo', arity: -2, flags: [], categories: ['@slow'],
    summary: 'A container for stream introspection commands', since: '5.0.0', group: 'stream', complexity: 'Depends on subcommand.',
    subcommands: [
      streamSpec('consumers', 4, 'read', false, ['RO', 'ACCESS'], 'List the consumers in a consumer group', '5.0.0', xinfoConsumers, {
        tips: ['nondeterministic_output'], complexity: 'O(1)',
      }, 2),
      streamSpec('groups', 3, 'read', false, ['RO', 'ACCESS'], 'List the consumer groups of a stream', '5.0.0', xinfoGroups, { complexity: 'O(1)' }, 2),
      streamSpec('stream', -3, 'read', false, ['RO', 'ACCESS'], 'Get information about a stream', '5.0.0', xinfoStream, { complexity: 'O(1)' }, 2),
      { name: 'help', arity: 2, flags: ['loading', 'stale'], categories: ['@stream', '@slow'], summary: 'Show helpful text about the different subcommands',
        since: '5.0.0', group: 'stream', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, XINFO_HELP) },
    ],
  },
];
