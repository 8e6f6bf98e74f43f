// XREAD and XREADGROUP (redis t_stream.c xreadCommand): reading several streams after given ids,
// or through a consumer group (new entries with ">", the consumer's own history otherwise).

import { int64, name, text, word } from '../args.js';
import { groupProgressed, parseId, quoted, replyEntry, replyEntryAt } from './streams-entries.js';
import { keySpec, keyword, range } from '../key-specs.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, type StreamEntry } from '../../store/keyspace.js';
import type { ConsumerGroup } from '../../store/types/stream-groups.js';
import { ENTRIES_READ_UNKNOWN } from '../../store/types/stream-groups.js';
import { entryIdAt, formatId, ID_MAX, type StreamId } from '../../store/types/stream.js';
import { parseTimeout } from '../../blocking/timeout.js';
import { ownArgs, wipeArgs } from '../../util/bytes.js';
import { estimateEntriesRead, rangeHasTombstones } from './streams-lag.js';
import type { CommandSpec, Session } from '../types.js';
import { replyOpened } from '../values/sealing.js';

/** XREAD's ">" marker (Redis uses the maximal id for it too). */
const NEW_ONLY = ID_MAX;

export interface ReadRequest {
  group: { name: string; nameArg: Buffer; consumer: string } | null;
  noack: boolean;
  count: number;
  /** -1 without BLOCK, else milliseconds (0 = forever). */
  timeout: number;
  /** Key arguments and their names, and the id each read starts after. */
  keyArgs: Buffer[];
  keys: string[];
  ids: StreamId[];
}

/** Parses XREAD / XREADGROUP; null after replying the error. */
export function parseRead(ctx: Session, args: Buffer[], xreadgroup: boolean): ReadRequest | null {
  const req: ReadRequest = { group: null, noack: false, count: 0, timeout: -1, keyArgs: [], keys: [], ids: [] };
  let streamsAt = 0;
  let streams = 0;
  for (let i = 1; i < args.length; i++) {
    const more = args.length - i - 1;
    const opt = word(args[i]!);
    if (opt === 'block' && more > 0) {
      // Redis refuses BLOCK outright in a script (inside EXEC it only never waits).
      if (ctx.scripted) {
        ctx.reply.error(Errors.blockFromScript(text(args[0]!)));
        return null;
      }
      const timeout = parseTimeout(args[++i]!, 'milliseconds', ctx.now);
      if (typeof timeout === 'string') {
        ctx.reply.error(`ERR ${timeout}`);
        return null;
      }
      req.timeout = timeout;
    } else if (opt === 'count' && more > 0) {
      const n = int64(args[++i]!);
      if (n === null) {
        ctx.reply.error(Errors.notInteger);
        return null;
      }
      req.count = n < 0n ? 0 : Number(n);
    } else if (opt === 'streams' && more > 0) {
      streamsAt = i + 1;
      streams = args.length - streamsAt;
      if (streams % 2 !== 0) {
        ctx.reply.error(Errors.xreadUnbalanced);
        return null;
      }
      streams /= 2;
      break;
    } else if (opt === 'group' && more >= 2) {
      if (!xreadgroup) {
        ctx.reply.error(Errors.xreadGroupOption);
        return null;
      }
      req.group = { name: name(args[i + 1]!), nameArg: args[i + 1]!, consumer: name(args[i + 2]!) };
      i += 2;
    } else if (opt === 'noack') {
      if (!xreadgroup) {
        ctx.reply.error(Errors.xreadNoackOption);
        return null;
      }
      req.noack = true;
    } else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
  }
  if (streamsAt === 0) {
    ctx.reply.error(Errors.syntax);
    return null;
  }
  if (xreadgroup && req.group === null) {
    ctx.reply.error(Errors.xreadgroupMissingGroup);
    return null;
  }
  for (let k = 0; k < streams; k++) {
    const keyArg = args[streamsAt + k]!;
    const idArg = args[streamsAt + streams + k]!;
    const key = ctx.server.names.keyOf(keyArg);
    const entry = ctx.db.read(key, ctx.now);
    if (entry !== undefined && entry.kind !== Kind.Stream) {
      ctx.reply.error(Errors.wrongType);
      return null;
    }
    if (req.group !== null && (entry === undefined || entry.groups.get(req.group.name) === undefined)) {
      ctx.reply.error(Errors.noGroupRead(quoted(keyArg), quoted(req.group.nameArg)));
      return null;
    }
    req.keyArgs.push(keyArg);
    req.keys.push(key);
    if (idArg.length === 1 && idArg[0] === 0x24) {
      if (xreadgroup) {
        ctx.reply.error(Errors.xreadgroupDollar);
        return null;
      }
      req.ids.push(entry?.log.lastId ?? 0n);
      continue;
    }
    if (idArg.length === 1 && idArg[0] === 0x3e) {
      if (!xreadgroup) {
        ctx.reply.error(Errors.xreadGreaterThan);
        return null;
      }
      req.ids.push(NEW_ONLY);
      continue;
    }
    const parsed = parseId(idArg, 0n, true);
    if (parsed === null) {
      ctx.reply.error(Errors.invalidStreamId);
      return null;
    }
    req.ids.push(parsed.id);
  }
  return req;
}

/** What serve() found for one stream. */
interface Served {
  index: number;
  entry: StreamEntry;
  /** Entries after this id (exclusive). */
  after: StreamId;
  history: boolean;
}

/**
 * Which of the request's streams can be answered now (Redis's "serve synchronously"): those
 * with entries after the id, for a group's ">" those with entries past the group's last id,
 * and every stream read for its history.
 */
export function servable(ctx: Session, req: ReadRequest): Served[] {
  const out: Served[] = [];
  for (let i = 0; i < req.keys.length; i++) {
    const entry = ctx.db.get(req.keys[i]!, ctx.now);
    if (entry === undefined || entry.kind !== Kind.Stream) continue;
    const gt = req.ids[i]!;
    if (req.group !== null) {
      const group = entry.groups.get(req.group.name);
      if (group === undefined) continue;
      if (gt !== NEW_ONLY) out.push({ index: i, entry, after: gt, history: true });
      else if (entry.log.lastEntryAbove(group.lastId)) out.push({ index: i, entry, after: group.lastId, history: false });
    } else if (entry.log.lastEntryAbove(gt)) {
      out.push({ index: i, entry, after: gt, history: false });
    }
  }
  return out;
}

/** Replies for the servable streams (a map under RESP3). Throws SealError. */
export function replyServed(ctx: Session, req: ReadRequest, served: Served[], count: number): void {
  const r = ctx.reply;
  if (r.protocol === 3) r.mapLen(served.length);
  else r.arrayLen(served.length);
  for (const s of served) {
    if (r.protocol !== 3) r.arrayLen(2);
    r.bulk(req.keyArgs[s.index]!);
    const key = req.keys[s.index]!;
    if (req.group === null) {
      replyAfter(ctx, key, s.entry, s.after, count);
      continue;
    }
    const group = s.entry.groups.get(req.group.name)!;
    let consumer = group.consumer(req.group.consumer);
    if (consumer === undefined) {
      consumer = group.createConsumer(req.group.consumer, ctx.now)!;
      ctx.db.notify(key, 'xgroup-createconsumer', Kind.Stream);
    } else {
      consumer.seenTime = ctx.now;
    }
    if (s.history) replyHistory(ctx, key, s.entry, consumer.pel, s.after, count);
    else deliverNew(ctx, key, s.entry, group, consumer, s.after, count, req.noack);
    groupProgressed(ctx, key);
  }
}

/** Where the entries after `after` lie (at most count, 0 = all): their nodes' buffers and header offsets. */
function entriesAfter(entry: StreamEntry, after: StreamId, count: number, bufs: Buffer[], at: number[]): void {
  if (after === ID_MAX) return;
  entry.log.scan(after + 1n, ID_MAX, false, (buf, p) => {
    bufs.push(buf);
    at.push(p);
    return count === 0 || at.length < count;
  });
}

function replyAfter(ctx: Session, key: string, entry: StreamEntry, after: StreamId, count: number): void {
  const bufs: Buffer[] = [];
  const at: number[] = [];
  entriesAfter(entry, after, count, bufs, at);
  ctx.reply.arrayLen(at.length);
  for (let i = 0; i < at.length; i++) replyEntryAt(ctx, key, bufs[i]!, at[i]!);
}

/** New entries for a group's consumer (">"): moves the group's last id and fills the PEL. */
function deliverNew(
  ctx: Session, key: string, entry: StreamEntry, group: ConsumerGroup, consumer: NonNullable<ReturnType<ConsumerGroup['consumer']>>,
  after: StreamId, count: number, noack: boolean,
): void {
  const log = entry.log;
  const bufs: Buffer[] = [];
  const at: number[] = [];
  entriesAfter(entry, after, count, bufs, at);
  ctx.reply.arrayLen(at.length);
  for (let i = 0; i < at.length; i++) {
    const id = entryIdAt(bufs[i]!, at[i]!);
    if (id > group.lastId) {
      if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !rangeHasTombstones(log, id, ID_MAX)) group.entriesRead++;
      else if (log.entriesAdded > 0) group.entriesRead = estimateEntriesRead(log, id);
      group.lastId = id;
    }
    replyEntryAt(ctx, key, bufs[i]!, at[i]!);
    if (!noack) group.deliver(id, consumer, ctx.now, 1);
  }
}

/** A consumer's own pending entries after `after` (an entry deleted since shows as [id, nil]). */
function replyHistory(ctx: Session, key: string, entry: StreamEntry, pel: ConsumerGroup['pel'], after: StreamId, count: number): void {
  const nacks = after === ID_MAX ? [] : [...pel.range(after + 1n, ID_MAX, count)];
  ctx.reply.arrayLen(nacks.length);
  for (const nack of nacks) {
    const sealed = entry.log.get(nack.id);
    if (sealed === undefined) {
      ctx.reply.arrayLen(2);
      ctx.reply.bulkLatin1(formatId(nack.id));
      ctx.reply.nullArray();
      continue;
    }
    replyEntry(ctx, key, nack.id, sealed, 0, sealed.length);
    nack.deliveryTime = ctx.now;
    nack.deliveryCount++;
  }
}

/** Redis's count for a blocked read without COUNT: a stream far behind is not sent whole. */
const BLOCKED_DEFAULT_COUNT = 1000;

function readCommand(ctx: Session, args: Buffer[], xreadgroup: boolean): void | Promise<void> {
  const req = parseRead(ctx, args, xreadgroup);
  if (req === null) return;
  const served = servable(ctx, req);
  if (served.length > 0) {
    replyOpened(ctx, () => replyServed(ctx, req, served, req.count));
    return;
  }
  // Nothing to serve: without BLOCK this is the timeout reply (so it is inside EXEC: block() says so).
  if (req.timeout === -1) return ctx.reply.nullArray();
  const count = req.count === 0 ? BLOCKED_DEFAULT_COUNT : req.count;
  // The arguments live in the read buffer, reused once this command returns: keep the key names
  // the reply will carry, wiped when the wait ends.
  req.keyArgs = ownArgs(req.keyArgs);
  const done = req.keyArgs;
  return ctx.server.blocking.block(ctx, {
    keys: req.keys,
    timeout: req.timeout,
    serve: (key) => {
      const served = serveBlocked(ctx, req, key, count);
      if (served) wipeArgs(done);
      return served;
    },
    timedOut: () => {
      ctx.reply.nullArray();
      wipeArgs(done);
    },
  })?.finally(() => wipeArgs(done));
}

/**
 * A key a blocked read waits on changed (redis blocked.c serveClientsBlockedOnStreamKey): serve
 * it if entries arrived past the id (for a group, past the group's last id), answer a group
 * reader whose stream or group went away with Redis's error, keep waiting otherwise.
 */
function serveBlocked(ctx: Session, req: ReadRequest, key: string, count: number): boolean {
  const i = req.keys.indexOf(key);
  if (i < 0) return false;
  const entry = ctx.db.get(key, ctx.now);
  if (entry === undefined || entry.kind !== Kind.Stream) {
    if (req.group === null) return false;
    ctx.reply.error(Errors.streamKeyGone);
    return true;
  }
  let after = req.ids[i]!;
  if (req.group !== null) {
    const group = entry.groups.get(req.group.name);
    if (group === undefined) {
      ctx.reply.error(Errors.blockedGroupGone);
      return true;
    }
    after = group.lastId;
  }
  const last = entry.log.lastEntryId();
  if (last === undefined || last <= after) return false;
  replyOpened(ctx, () => replyServed(ctx, req, [{ index: i, entry, after, history: false }], count));
  return true;
}

export const streamReadCommands: readonly CommandSpec[] = [
  {
    name: 'xread', arity: -4, flags: ['readonly', 'blocking'],
    keySpecs: [keySpec(keyword('STREAMS', 1), range(-1, 1, 2), ['RO', 'ACCESS'])],
    categories: ['@read', '@stream', '@slow', '@blocking'],
    summary: 'Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.',
    since: '5.0.0', group: 'stream', handler: (ctx, args) => readCommand(ctx, args, false),
    complexity: 'For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.',
  },
  {
    name: 'xreadgroup', arity: -7, flags: ['write', 'blocking'],
    keySpecs: [keySpec(keyword('STREAMS', 4), range(-1, 1, 2), ['RO', 'ACCESS'])],
    categories: ['@write', '@stream', '@slow', '@blocking'],
    summary: 'Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.',
    since: '5.0.0', group: 'stream', handler: (ctx, args) => readCommand(ctx, args, true),
    complexity: 'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.',
  },
];
