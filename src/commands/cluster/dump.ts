// DUMP, RESTORE and RESTORE-ASKING (redis cluster.c dumpCommand / restoreCommand). A payload is
// the value serialized by its type's codec (src/persistence/codecs.ts) and sealed as a whole
// under the transport key (src/seal/transport.ts): no plaintext travels, and only a node with
// the same master key opens it. Redis payloads are refused here and ours by Redis, with Redis's
// "DUMP payload version or checksum are wrong"; a tampered or foreign payload gets the same.

import { int64, keyOf, word } from '../args.js';
import { sealFailed } from '../values/sealing.js';
import { listpackLimits } from '../hashes/hash-fields.js';
import { at } from '../key-specs.js';
import { nodeLimits } from '../streams/streams-entries.js';
import { Errors } from '../../protocol/errors.js';
import { Purpose } from '../../seal/values.js';
import { SealError } from '../../seal/sealer.js';
import { PAYLOAD_VERSION, PayloadError, PayloadReader, PayloadWriter, type OpenElement, type RestoreTools, type SealElement } from '../../persistence/payload.js';
import { readValue, writeValue } from '../../persistence/codecs.js';
import { opsOf, type Entry } from '../../store/keyspace.js';
import type { CommandSpec, Session } from '../types.js';

/** Opens any element of the value at key in the current database, by what it is. */
function opener(ctx: Session, key: string): OpenElement {
  const values = ctx.server.values;
  const db = ctx.db.uid;
  return (sealed, purpose, bind) => {
    if (purpose === Purpose.StringValue) return values.openValue(db, key, sealed);
    return values.openElement(purpose as Parameters<typeof values.openElement>[0], db, key, sealed, bind);
  };
}

function sealer(ctx: Session, key: string): SealElement {
  const values = ctx.server.values;
  const db = ctx.db.uid;
  return (plain, purpose, bind) => {
    if (purpose === Purpose.StringValue) return values.sealValue(db, key, plain);
    return values.sealElement(purpose as Parameters<typeof values.sealElement>[0], db, key, plain, bind);
  };
}

/** The sealed payload of entry (at key in the current database), or null after replying with the seal error. */
export function dumpPayload(ctx: Session, key: string, entry: Entry): Buffer | null {
  const out = new PayloadWriter();
  try {
    writeValue(entry, out, opener(ctx, key), { ctx, key, hashLimits: listpackLimits(ctx) }, PAYLOAD_VERSION);
    return ctx.server.transport.seal(out.view());
  } catch (err) {
    return sealFailed(ctx, err);
  } finally {
    out.wipe();
  }
}

function dump(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined) return ctx.reply.nullBulk();
  const payload = dumpPayload(ctx, key, entry);
  if (payload !== null) ctx.reply.bulk(payload);
}

/** RESTORE's options after the payload. */
interface RestoreOptions {
  replace: boolean;
  absttl: boolean;
  idle: number;
  freq: number;
}

/** Parses RESTORE's options as Redis does (left to right, first error wins); a string is the error. */
function restoreOptions(args: Buffer[]): RestoreOptions | string {
  const o: RestoreOptions = { replace: false, absttl: false, idle: -1, freq: -1 };
  for (let j = 4; j < args.length; j++) {
    const more = args.length - j - 1;
    const opt = word(args[j]!);
    if (opt === 'replace') o.replace = true;
    else if (opt === 'absttl') o.absttl = true;
    else if (opt === 'idletime' && more >= 1 && o.freq === -1) {
      const n = int64(args[++j]!);
      if (n === null) return Errors.notInteger;
      if (n < 0n) return Errors.invalidIdletime;
      o.idle = Number(n);
    } else if (opt === 'freq' && more >= 1 && o.idle === -1) {
      const n = int64(args[++j]!);
      if (n === null) return Errors.notInteger;
      if (n < 0n || n > 255n) return Errors.invalidFreq;
      o.freq = Number(n);
    } else return Errors.syntax;
  }
  return o;
}

function restore(ctx: Session, args: Buffer[]): void {
  const options = restoreOptions(args);
  if (typeof options === 'string') return ctx.reply.error(options);
  const key = keyOf(ctx, args[1]!);
  const existing = ctx.db.get(key, ctx.now);
  if (!options.replace && existing !== undefined) return ctx.reply.error(Errors.busyKey);
  const ttlArg = int64(args[2]!);
  if (ttlArg === null) return ctx.reply.error(Errors.notInteger);
  if (ttlArg < 0n) return ctx.reply.error(Errors.invalidTtl);
  const plain = ctx.server.transport.open(args[3]!);
  if (plain === null) return ctx.reply.error(Errors.dumpPayload);
  let entry: Entry;
  try {
    const tools: RestoreTools = {
      seal: sealer(ctx, key),
      home: { ctx, key, hashLimits: listpackLimits(ctx) },
      digest: (member, out, offset) => ctx.server.members.digestInto(member, out, offset),
      now: ctx.now,
      streamLimits: nodeLimits(ctx),
    };
    entry = readValue(new PayloadReader(plain), tools, PAYLOAD_VERSION);
  } catch (err) {
    if (err instanceof PayloadError || err instanceof RangeError) return ctx.reply.error(Errors.badDataFormat);
    if (err instanceof SealError) return void sealFailed(ctx, err);
    throw err;
  } finally {
    plain.fill(0);
  }
  let ttl = Number(ttlArg);
  if (ttl !== 0 && !options.absttl) ttl += ctx.now;
  if (ttl !== 0 && ttl <= ctx.now) {
    // Already expired: nothing is stored; a replaced key is deleted (Redis rewrites it as DEL).
    opsOf(entry).release?.(entry);
    if (existing !== undefined) ctx.db.delete(key, 'del');
    return ctx.reply.ok();
  }
  entry.expiresAt = ttl;
  ctx.db.set(key, entry, 'restore');
  // Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME under the others; a
  // restored value is a new object, so it inherits nothing from a value it replaced.
  const access = ctx.server.access;
  const stored = ctx.db.peek(key)!;
  if (access.lfu) stored.touchedAt = options.freq >= 0 ? access.withFrequency(options.freq, ctx.now) : ctx.now;
  else if (options.idle >= 0) stored.touchedAt = Math.max(0, ctx.now - options.idle * 1000);
  ctx.reply.ok();
}

const RESTORE_COMPLEXITY =
  'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).';

export const dumpCommands: CommandSpec[] = [
  { name: 'dump', arity: 2, flags: ['readonly'], tips: ['nondeterministic_output'], keySpecs: [at(1, 'RO', 'ACCESS')], categories: ['@keyspace', '@read', '@slow'],
    summary: 'Return a serialized version of the value stored at the specified key.', since: '2.6.0', group: 'generic',
    complexity: 'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
    handler: dump },
  { name: 'restore', arity: -4, flags: ['write', 'denyoom'], keySpecs: [at(1, 'OW', 'UPDATE')], categories: ['@keyspace', '@write', '@slow', '@dangerous'],
    summary: 'Create a key using the provided serialized value, previously obtained using DUMP.', since: '2.6.0', group: 'generic',
    complexity: RESTORE_COMPLEXITY, handler: restore },
  { name: 'restore-asking', arity: -4, flags: ['write', 'denyoom', 'asking'], keySpecs: [at(1, 'OW', 'UPDATE')], categories: ['@keyspace', '@write', '@slow', '@dangerous'],
    summary: 'An internal command for migrating keys in a cluster', since: '3.0.0', group: 'server',
    complexity: RESTORE_COMPLEXITY, handler: restore },
];
