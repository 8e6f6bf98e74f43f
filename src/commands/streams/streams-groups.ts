// Consumer groups (redis t_stream.c): XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER,
// XACK, XPENDING, XCLAIM and XAUTOCLAIM. Groups hold ids and names only; claimed entries are
// opened straight into the reply like every other entry.

import { int64, name, text, word } from '../args.js';
import { replyHelp } from '../connection/clients.js';
import { groupProgressed, intervalId, parseId, peekStream, quoted, readStream, replyEntry, replyId, streamSpec, strictId, writeStream } from './streams-entries.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, type StreamEntry } from '../../store/keyspace.js';
import { ENTRIES_READ_UNKNOWN, type Consumer, type ConsumerGroup, type PendingEntry } from '../../store/types/stream-groups.js';
import { ID_MAX, type StreamId } from '../../store/types/stream.js';
import type { CommandSpec, Session } from '../types.js';
import { replyOpened } from '../values/sealing.js';

// ---- XGROUP ----

interface GroupTarget {
  key: string;
  entry: StreamEntry | undefined;
  group: ConsumerGroup | undefined;
  groupName: string;
  mkstream: boolean;
  entriesRead: number;
}

/** xgroupCommand's shared part: options, the key, the group. Null after replying. */
function groupTarget(ctx: Session, args: Buffer[]): GroupTarget | null {
  const sub = word(args[1]!);
  let mkstream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  for (let i = 5; i < args.length; ) {
    const opt = word(args[i]!);
    if (sub === 'create' && opt === 'mkstream') {
      mkstream = true;
      i++;
    } else if ((sub === 'create' || sub === 'setid') && opt === 'entriesread' && i + 1 < args.length) {
      const n = int64(args[i + 1]!);
      if (n === null) {
        ctx.reply.error(Errors.notInteger);
        return null;
      }
      if (n < 0n && n !== -1n) {
        ctx.reply.error(Errors.entriesReadRange);
        return null;
      }
      entriesRead = Number(n);
      i += 2;
    } else {
      ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'xgroup'));
      return null;
    }
  }
  const key = ctx.server.names.keyOf(args[2]!);
  const entry = peekStream(ctx, key);
  if (entry === null) return null;
  const groupName = name(args[3]!);
  const group = entry?.groups.get(groupName);
  if (!mkstream) {
    if (entry === undefined) {
      ctx.reply.error(Errors.xgroupNeedsKey);
      return null;
    }
    if (group === undefined && sub !== 'create' && sub !== 'destroy') {
      ctx.reply.error(Errors.noGroupFor(quoted(args[3]!), quoted(args[2]!)));
      return null;
    }
  }
  return { key, entry, group, groupName, mkstream, entriesRead };
}

function xgroupCreate(ctx: Session, args: Buffer[]): void {
  const t = groupTarget(ctx, args);
  if (t === null) return;
  // Redis counts the arguments only after the options, the key and the group were checked.
  if (args.length > 8) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'xgroup'));
  let id: StreamId;
  const idArg = args[4]!;
  if (idArg.length === 1 && idArg[0] === 0x24) id = t.entry?.log.lastId ?? 0n;
  else {
    const parsed = strictId(ctx, idArg);
    if (parsed === null) return;
    id = parsed;
  }
  if (t.entry !== undefined && t.group !== undefined) return ctx.reply.error(Errors.busyGroup);
  writeStream(ctx, t.key, 'xgroup-create', (entry) => entry.groups.create(t.groupName, id, t.entriesRead) !== undefined);
  ctx.reply.ok();
}

function xgroupSetid(ctx: Session, args: Buffer[]): void {
  const t = groupTarget(ctx, args);
  if (t === null) return;
  if (args.length !== 5 && args.length !== 7) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'xgroup'));
  if (t.entry === undefined || t.group === undefined) {
    // MKSTREAM is refused for SETID by the option loop, so the checks above already replied.
    return ctx.reply.error(Errors.xgroupNeedsKey);
  }
  let id: StreamId;
  const idArg = args[4]!;
  if (idArg.length === 1 && idArg[0] === 0x24) id = t.entry.log.lastId;
  else {
    const parsed = parseId(idArg, 0n, false);
    if (parsed === null) return ctx.reply.error(Errors.invalidStreamId);
    id = parsed.id;
  }
  const group = t.group;
  writeStream(ctx, t.key, 'xgroup-setid', () => {
    group.lastId = id;
    group.entriesRead = t.entriesRead;
    return true;
  });
  ctx.reply.ok();
}

function xgroupDestroy(ctx: Session, args: Buffer[]): void {
  const t = groupTarget(ctx, args);
  if (t === null) return;
  if (t.group === undefined) return ctx.reply.integer(0);
  writeStream(ctx, t.key, 'xgroup-destroy', (entry) => entry.groups.destroy(t.groupName));
  ctx.reply.integer(1);
}

function xgroupCreateConsumer(ctx: Session, args: Buffer[]): void {
  const t = groupTarget(ctx, args);
  if (t === null) return;
  const group = t.group!;
  const consumer = name(args[4]!);
  let created = false;
  writeStream(ctx, t.key, 'xgroup-createconsumer', () => (created = group.createConsumer(consumer, ctx.now) !== undefined));
  ctx.reply.integer(created ? 1 : 0);
}

function xgroupDelConsumer(ctx: Session, args: Buffer[]): void {
  const t = groupTarget(ctx, args);
  if (t === null) return;
  const group = t.group!;
  const consumer = name(args[4]!);
  let pending = 0;
  writeStream(ctx, t.key, 'xgroup-delconsumer', () => {
    const n = group.deleteConsumer(consumer);
    if (n < 0) return false;
    pending = n;
    return true;
  });
  ctx.reply.integer(pending);
}

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

// ---- XACK, XPENDING ----

function lookupGroup(entry: StreamEntry | undefined, groupArg: Buffer): ConsumerGroup | undefined {
  return entry?.groups.get(name(groupArg));
}

function xack(ctx: Session, args: Buffer[]): void {
  const key = ctx.server.names.keyOf(args[1]!);
  const entry = readStream(ctx, key);
  if (entry === null) return;
  const group = lookupGroup(entry, args[2]!);
  if (group === undefined) return ctx.reply.integer(0);
  const ids: StreamId[] = [];
  for (let j = 3; j < args.length; j++) {
    const id = strictId(ctx, args[j]!);
    if (id === null) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) if (group.ack(id)) acked++;
  if (acked > 0) groupProgressed(ctx, key);
  ctx.reply.integer(acked);
}

function xpending(ctx: Session, args: Buffer[]): void {
  const justInfo = args.length === 3;
  if (args.length !== 3 && (args.length < 6 || args.length > 9)) return ctx.reply.error(Errors.syntax);
  let minIdle = 0;
  let count = 0;
  let start = 0n;
  let end = ID_MAX;
  let consumerArg: Buffer | undefined;
  if (args.length >= 6) {
    let at = 3;
    if (word(args[3]!) === 'idle') {
      const n = int64(args[4]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      minIdle = Number(n);
      if (args.length < 8) return ctx.reply.error(Errors.syntax);
      at += 2;
    }
    const c = int64(args[at + 2]!);
    if (c === null) return ctx.reply.error(Errors.notInteger);
    count = c < 0n ? 0 : Number(c);
    const s = intervalId(ctx, args[at]!, true);
    if (s === null) return;
    const e = intervalId(ctx, args[at + 1]!, false);
    if (e === null) return;
    start = s;
    end = e;
    if (at + 3 < args.length) consumerArg = args[at + 3];
  }
  const key = ctx.server.names.keyOf(args[1]!);
  const entry = readStream(ctx, key);
  if (entry === null) return;
  const group = lookupGroup(entry, args[2]!);
  if (group === undefined) return ctx.reply.error(Errors.noGroupKey(quoted(args[1]!), quoted(args[2]!)));
  const r = ctx.reply;
  if (justInfo) {
    r.arrayLen(4);
    r.integer(group.pel.size);
    if (group.pel.size === 0) {
      r.nullBulk();
      r.nullBulk();
      r.nullArray();
      return;
    }
    replyId(ctx, group.pel.first()!);
    replyId(ctx, group.pel.last()!);
    const owners = group.sortedConsumers().filter((c) => c.pel.size > 0);
    r.arrayLen(owners.length);
    for (const c of owners) {
      r.arrayLen(2);
      r.bulkLatin1(c.name);
      r.bulkLatin1(String(c.pel.size));
    }
    return;
  }
  let pel = group.pel;
  if (consumerArg !== undefined) {
    const consumer = group.consumer(name(consumerArg));
    if (consumer === undefined) return r.arrayLen(0);
    pel = consumer.pel;
  }
  const now = ctx.now;
  const rows: PendingEntry[] = [];
  for (const nack of pel.range(start, end)) {
    if (rows.length >= count) break;
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    rows.push(nack);
  }
  r.arrayLen(rows.length);
  for (const nack of rows) {
    r.arrayLen(4);
    replyId(ctx, nack.id);
    r.bulkLatin1(nack.consumer.name);
    r.integer(Math.max(0, now - nack.deliveryTime));
    r.integer(nack.deliveryCount);
  }
}

// ---- XCLAIM, XAUTOCLAIM ----

/** The consumer for a claim, created (and announced) on first use, seen now. */
function claimant(ctx: Session, key: string, group: ConsumerGroup, consumerName: string): Consumer {
  let c = group.consumer(consumerName);
  if (c === undefined) {
    c = group.createConsumer(consumerName, ctx.now)!;
    ctx.db.notify(key, 'xgroup-createconsumer', Kind.Stream);
  } else {
    c.seenTime = ctx.now;
  }
  return c;
}

/** Moves a pending entry to `consumer`, with a delivery time and count. */
function hand(group: ConsumerGroup, nack: PendingEntry | undefined, id: StreamId, consumer: Consumer): PendingEntry {
  if (nack === undefined) {
    nack = { id, consumer, deliveryTime: 0, deliveryCount: 0 };
    group.pel.set(id, nack);
    consumer.pel.set(id, nack);
    return nack;
  }
  if (nack.consumer !== consumer) {
    nack.consumer.pel.delete(id);
    nack.consumer = consumer;
    consumer.pel.set(id, nack);
  }
  return nack;
}

function replyClaimed(ctx: Session, key: string, entry: StreamEntry, ids: StreamId[], justId: boolean): void {
  ctx.reply.arrayLen(ids.length);
  for (const id of ids) {
    if (justId) replyId(ctx, id);
    else {
      const sealed = entry.log.get(id)!;
      replyEntry(ctx, key, id, sealed, 0, sealed.length);
    }
  }
}

function xclaim(ctx: Session, args: Buffer[]): void {
  const key = ctx.server.names.keyOf(args[1]!);
  const entry = readStream(ctx, key);
  if (entry === null) return;
  const group = lookupGroup(entry, args[2]!);
  if (entry === undefined || group === undefined) return ctx.reply.error(Errors.noGroupKey(quoted(args[1]!), quoted(args[2]!)));
  const idle = int64(args[4]!);
  if (idle === null) return ctx.reply.error(Errors.xclaimMinIdle);
  const minIdle = idle < 0n ? 0 : Number(idle);
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < args.length; j++) {
    const parsed = parseId(args[j]!, 0n, true);
    if (parsed === null) break;
    ids.push(parsed.id);
  }
  const now = ctx.now;
  let force = false;
  let justId = false;
  let deliveryTime = -1;
  let retryCount = -1;
  let lastId = 0n;
  for (; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = word(args[j]!);
    if (opt === 'force') force = true;
    else if (opt === 'justid') justId = true;
    else if (opt === 'idle' && more > 0) {
      const n = int64(args[++j]!);
      if (n === null) return ctx.reply.error(Errors.xclaimIdle);
      deliveryTime = now - Number(n);
    } else if (opt === 'time' && more > 0) {
      const n = int64(args[++j]!);
      if (n === null) return ctx.reply.error(Errors.xclaimTime);
      deliveryTime = Number(n);
    } else if (opt === 'retrycount' && more > 0) {
      const n = int64(args[++j]!);
      if (n === null) return ctx.reply.error(Errors.xclaimRetryCount);
      retryCount = Number(n);
    } else if (opt === 'lastid' && more > 0) {
      const id = strictId(ctx, args[++j]!);
      if (id === null) return;
      lastId = id;
    } else {
      return ctx.reply.error(Errors.xclaimOption(quoted(args[j]!)));
    }
  }
  if (lastId > group.lastId) group.lastId = lastId;
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else {
    deliveryTime = now;
  }
  const consumerName = name(args[3]!);
  let consumer: Consumer | undefined;
  const claimed: StreamId[] = [];
  for (const id of ids) {
    let nack = group.pel.get(id);
    if (!entry.log.has(id)) {
      if (nack !== undefined) group.ack(id);
      continue;
    }
    const fresh = force && nack === undefined;
    if (nack === undefined && !fresh) continue;
    if (!fresh && minIdle !== 0 && now - nack!.deliveryTime < minIdle) continue;
    consumer ??= claimant(ctx, key, group, consumerName);
    nack = hand(group, nack, id, consumer);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    claimed.push(id);
  }
  groupProgressed(ctx, key);
  replyOpened(ctx, () => replyClaimed(ctx, key, entry, claimed, justId));
}

function xautoclaim(ctx: Session, args: Buffer[]): void {
  const idle = int64(args[4]!);
  if (idle === null) return ctx.reply.error(Errors.xautoclaimMinIdle);
  const minIdle = idle < 0n ? 0 : Number(idle);
  const start = intervalId(ctx, args[5]!, true);
  if (start === null) return;
  let count = 100;
  let justId = false;
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = word(args[j]!);
    if (opt === 'count' && more > 0) {
      const n = int64(args[++j]!);
      if (n === null || n < 1n || n > 922337203685477580n) return ctx.reply.error(Errors.xautoclaimCount);
      count = Number(n);
    } else if (opt === 'justid') {
      justId = true;
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const key = ctx.server.names.keyOf(args[1]!);
  const entry = readStream(ctx, key);
  if (entry === null) return;
  const group = lookupGroup(entry, args[2]!);
  if (entry === undefined || group === undefined) return ctx.reply.error(Errors.noGroupKey(quoted(args[1]!), quoted(args[2]!)));
  const now = ctx.now;
  const consumerName = name(args[3]!);
  let consumer: Consumer | undefined;
  let attempts = count * 10;
  const claimed: StreamId[] = [];
  const deleted: StreamId[] = [];
  const pel = group.pel;
  let i = pel.lowerBound(start);
  while (attempts-- > 0 && count > 0 && i < pel.size) {
    const nack = pel.valueAt(i);
    const id = nack.id;
    if (!entry.log.has(id)) {
      group.ack(id);
      deleted.push(id);
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= claimant(ctx, key, group, consumerName);
    hand(group, nack, id, consumer);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    claimed.push(id);
    count--;
  }
  const cursor = i < pel.size ? pel.keyAt(i) : 0n;
  if (claimed.length > 0 || deleted.length > 0) groupProgressed(ctx, key);
  replyOpened(ctx, () => {
    ctx.reply.arrayLen(3);
    replyId(ctx, cursor);
    replyClaimed(ctx, key, entry, claimed, justId);
    ctx.reply.arrayLen(deleted.length);
    for (const id of deleted) replyId(ctx, id);
  });
}

const sub = { since: '5.0.0', group: 'stream' } as const;

export const streamGroupCommands: readonly CommandSpec[] = [
  {
    name: 'xgroup', arity: -2, flags: [], categories: ['@slow'],
    summary: 'A container for consumer groups commands', since: '5.0.0', group: 'stream', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...streamSpec('create', -5, 'write-grow', false, ['RW', 'INSERT'], 'Create a consumer group.', '5.0.0', xgroupCreate, { complexity: 'O(1)' }, 2) },
      { ...streamSpec('createconsumer', 5, 'write-grow', false, ['RW', 'INSERT'], 'Create a consumer in a consumer group.', '6.2.0', xgroupCreateConsumer, { complexity: 'O(1)' }, 2) },
      { ...streamSpec('delconsumer', 5, 'write', false, ['RW', 'DELETE'], 'Delete a consumer from a consumer group.', '5.0.0', xgroupDelConsumer, { complexity: 'O(1)' }, 2) },
      { ...streamSpec('destroy', 4, 'write', false, ['RW', 'DELETE'], 'Destroy a consumer group.', '5.0.0', xgroupDestroy, {
        complexity: 'O(N) where N is the number of entries in the group\'s pending entries list (PEL).',
      }, 2) },
      { ...streamSpec('setid', -5, 'write', false, ['RW', 'UPDATE'], 'Set a consumer group to an arbitrary last delivered ID value.', '5.0.0', xgroupSetid, { complexity: 'O(1)' }, 2) },
      { ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: ['@stream', '@slow'], summary: 'Show helpful text about the different subcommands', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, XGROUP_HELP) },
    ],
  },
  streamSpec('xack', -4, 'write', true, ['RW', 'UPDATE'],
    'Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.',
    '5.0.0', xack, { complexity: 'O(1) for each message ID processed.' }),
  streamSpec('xpending', -3, 'read', false, ['RO', 'ACCESS'],
    'Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.',
    '5.0.0', xpending, {
      tips: ['nondeterministic_output'],
      complexity: 'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.',
    }),
  streamSpec('xclaim', -6, 'write', true, ['RW', 'UPDATE'],
    'Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.',
    '5.0.0', xclaim, { tips: ['nondeterministic_output'], complexity: 'O(log N) with N being the number of messages in the PEL of the consumer group.' }),
  streamSpec('xautoclaim', -6, 'write', true, ['RW', 'DELETE'],
    'Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.',
    '6.2.0', xautoclaim, { tips: ['nondeterministic_output'], complexity: 'O(1) if COUNT is small.' }),
];
