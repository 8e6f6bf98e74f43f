// HyperLogLog commands (redis hyperloglog.c): PFADD PFCOUNT PFMERGE, and PFSELFTEST / PFDEBUG.
// An HLL is a string value like any other, sealed; its plaintext (the "HYLL" header and the
// registers, store/types/hyperloglog.ts) is opened for the command and wiped after it. The
// elements themselves are only hashed, never stored.

import { keyOf, word } from '../args.js';
import { openValue, storeValue } from '../values/sealing.js';
import { replaceString } from './string-bytes.js';
import { at, span, noted } from '../key-specs.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, type Entry, type StringEntry } from '../../store/keyspace.js';
import {
  countRegisters, decodeSparse, dense, Hll, HLL_DENSE, HLL_DENSE_SIZE, HLL_HDR_SIZE, HLL_REGISTERS,
  HLL_SPARSE, isHll, mergeRegisters, registersOf,
} from '../../store/types/hyperloglog.js';
import { plainBuffer } from '../../util/bytes.js';
import type { CommandSpec, Session } from '../types.js';

function sparseMax(ctx: Session): number {
  return ctx.server.config.number('hll-sparse-max-bytes');
}

/**
 * The plaintext of key's HLL value (the caller wipes it), or null after replying: WRONGTYPE for
 * another type or a string that is not an HLL (redis isHLLObjectOrReply).
 */
function openHll(ctx: Session, key: string, entry: Entry): Buffer | null {
  if (entry.kind !== Kind.String) {
    ctx.reply.error(Errors.wrongType);
    return null;
  }
  const plain = openValue(ctx, key, entry.value);
  if (plain === null) return null;
  if (isHll(plain)) return plain;
  plain.fill(0);
  ctx.reply.error(Errors.hllWrongType);
  return null;
}

/** PFADD key [element ...]: 1 when a register changed (or the key was created). */
function pfadd(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const found = ctx.db.get(key, ctx.now);
  let hll: Hll;
  if (found !== undefined && found.kind !== Kind.String) return ctx.reply.error(Errors.wrongType);
  const entry = found as StringEntry | undefined;
  if (entry === undefined) hll = Hll.create();
  else {
    const plain = openHll(ctx, key, entry);
    if (plain === null) return;
    hll = Hll.from(plain);
  }
  try {
    let updated = entry === undefined ? 1 : 0;
    const max = sparseMax(ctx);
    for (let j = 2; j < args.length; j++) {
      const r = hll.add(args[j]!, max);
      if (r < 0) {
        // Redis leaves the registers raised so far in place, without announcing the write.
        if (updated > 0 && entry !== undefined) entry.value = ctx.server.values.sealValue(ctx.db.uid, key, hll.bytes);
        return ctx.reply.error(Errors.hllCorrupt);
      }
      updated += r;
    }
    if (updated > 0) {
      hll.invalidateCache();
      if (entry === undefined) storeValue(ctx, key, hll.bytes, 0, 'pfadd');
      else replaceString(ctx, key, entry, hll.bytes, 'pfadd');
    }
    ctx.reply.integer(updated > 0 ? 1 : 0);
  } finally {
    hll.wipe();
  }
}

/**
 * PFCOUNT key [key ...]. One key: the cached cardinality, or a fresh estimate written back into
 * the value's header (the value is re-sealed; Redis's WATCH sees this as a write, sealkv's does
 * not: README). Several keys: the estimate of their union, nothing written.
 */
function pfcount(ctx: Session, args: Buffer[]): void {
  if (args.length > 2) {
    const registers = plainBuffer(HLL_REGISTERS);
    try {
      for (let j = 1; j < args.length; j++) {
        const key = keyOf(ctx, args[j]!);
        const entry = ctx.db.read(key, ctx.now);
        if (entry === undefined) continue;
        const plain = openHll(ctx, key, entry);
        if (plain === null) return;
        const ok = mergeRegisters(plain, registers);
        plain.fill(0);
        if (!ok) return ctx.reply.error(Errors.hllCorrupt);
      }
      ctx.reply.integer(countRegisters(registers));
    } finally {
      registers.fill(0);
    }
    return;
  }
  const key = keyOf(ctx, args[1]!);
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined) return ctx.reply.integer(0);
  const plain = openHll(ctx, key, entry);
  if (plain === null) return;
  const hll = Hll.from(plain);
  try {
    const cached = hll.cachedCount();
    if (cached !== null) return ctx.reply.integer(cached);
    const card = hll.count();
    if (card < 0) return ctx.reply.error(Errors.hllCorrupt);
    hll.setCachedCount(card);
    (entry as StringEntry).value = ctx.server.values.sealValue(ctx.db.uid, key, hll.bytes);
    ctx.reply.integer(card);
  } finally {
    hll.wipe();
  }
}

/** PFMERGE destkey [sourcekey ...]: destkey is merged too (it is the first source). */
function pfmerge(ctx: Session, args: Buffer[]): void {
  const max = plainBuffer(HLL_REGISTERS);
  let hll: Hll | undefined;
  try {
    let useDense = false;
    for (let j = 1; j < args.length; j++) {
      const key = keyOf(ctx, args[j]!);
      const entry = ctx.db.read(key, ctx.now);
      if (entry === undefined) continue;
      const plain = openHll(ctx, key, entry);
      if (plain === null) return;
      if (plain[4] === HLL_DENSE) useDense = true;
      const ok = mergeRegisters(plain, max);
      plain.fill(0);
      if (!ok) return ctx.reply.error(Errors.hllCorrupt);
    }
    const key = keyOf(ctx, args[1]!);
    const entry = ctx.db.get(key, ctx.now) as StringEntry | undefined;
    if (entry === undefined) hll = Hll.create();
    else {
      const plain = openValue(ctx, key, entry.value);
      if (plain === null) return;
      hll = Hll.from(plain);
    }
    if (useDense && !hll.toDense()) return ctx.reply.error(Errors.hllCorrupt);
    const limit = sparseMax(ctx);
    for (let j = 0; j < HLL_REGISTERS; j++) if (max[j] !== 0) hll.set(j, max[j]!, limit);
    hll.invalidateCache();
    if (entry === undefined) storeValue(ctx, key, hll.bytes, 0, 'pfadd');
    else replaceString(ctx, key, entry, hll.bytes, 'pfadd');
    ctx.reply.ok();
  } finally {
    max.fill(0);
    hll?.wipe();
  }
}

/**
 * PFSELFTEST (redis pfselftestCommand): register access on a dense array, then sparse and dense
 * HLLs fed the same elements must agree, within the error bounds, up to 10^6 elements (Redis
 * goes to 10^7; the checks past 10^6 add time, not coverage).
 */
function pfselftest(ctx: Session): void {
  const registers = plainBuffer(HLL_DENSE_SIZE);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 100; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = (Math.random() * 64) | 0;
      expected[i] = r;
      dense.set(registers, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = dense.get(registers, HLL_HDR_SIZE, i);
      if (v !== expected[i]) return ctx.reply.error(`TESTFAILED Register ${i} should be ${expected[i]} but is ${v}`);
    }
  }
  const denseHll = Hll.create();
  denseHll.toDense();
  const sparseHll = Hll.create();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seed = BigInt(Math.floor(Math.random() * 2 ** 32)) | (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n);
  const ele = Buffer.alloc(8);
  const limit = sparseMax(ctx);
  let checkpoint = 1;
  try {
    for (let j = 1; j <= 1_000_000; j++) {
      ele.writeBigUInt64LE(BigInt(j) ^ seed);
      denseHll.add(ele, limit);
      sparseHll.add(ele, limit);
      if (j !== checkpoint) continue;
      if (j < limit / 2 && sparseHll.encoding !== HLL_SPARSE) return ctx.reply.error('TESTFAILED sparse encoding not used');
      const count = denseHll.count();
      if (count !== sparseHll.count()) return ctx.reply.error('TESTFAILED dense/sparse disagree');
      const maxErr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
      if (Math.abs(checkpoint - count) > maxErr) {
        return ctx.reply.error(`TESTFAILED Too big error. card:${checkpoint} abserr:${Math.abs(checkpoint - count)}`);
      }
      checkpoint *= 10;
    }
    ctx.reply.ok();
  } finally {
    denseHll.wipe();
    sparseHll.wipe();
  }
}

/** PFDEBUG GETREG | DECODE | ENCODING | TODENSE key. */
function pfdebug(ctx: Session, args: Buffer[]): void {
  const sub = word(args[1]!);
  const key = keyOf(ctx, args[2]!);
  const entry = ctx.db.get(key, ctx.now);
  if (entry === undefined) return ctx.reply.error(Errors.pfdebugNoKey);
  const plain = openHll(ctx, key, entry);
  if (plain === null) return;
  const hll = Hll.from(plain);
  const stored = entry as StringEntry;
  try {
    if (sub === 'getreg' || sub === 'todense') {
      const sparse = hll.encoding === HLL_SPARSE;
      if (sparse) {
        if (!hll.toDense()) return ctx.reply.error(Errors.hllCorrupt);
        replaceString(ctx, key, stored, plainCopy(hll.bytes), 'pfadd');
      }
      if (sub === 'todense') return ctx.reply.integer(sparse ? 1 : 0);
      const registers = registersOf(hll.bytes)!;
      ctx.reply.arrayLen(HLL_REGISTERS);
      for (let j = 0; j < HLL_REGISTERS; j++) ctx.reply.integer(registers[j]!);
      registers.fill(0);
    } else if (sub === 'decode') {
      if (hll.encoding !== HLL_SPARSE) return ctx.reply.error(Errors.pfdebugNotSparse);
      ctx.reply.bulkText(decodeSparse(hll.bytes));
    } else if (sub === 'encoding') {
      ctx.reply.simple(hll.encoding === HLL_DENSE ? 'dense' : 'sparse');
    } else {
      ctx.reply.error(Errors.pfdebugUnknown(args[1]!));
    }
  } finally {
    hll.wipe();
  }
}

/** A copy for replaceString, which wipes what it is given. */
function plainCopy(bytes: Buffer): Buffer {
  const out = plainBuffer(bytes.length);
  bytes.copy(out);
  return out;
}

const cmd = (spec: Omit<CommandSpec, 'group'>): CommandSpec => ({ group: 'hyperloglog', ...spec });

export const hyperloglogCommands: CommandSpec[] = [
  cmd({ name: 'pfadd', arity: -2, flags: ['write', 'denyoom', 'fast'], keySpecs: [at(1, 'RW', 'INSERT')], categories: ['@write', '@hyperloglog', '@fast'],
    summary: 'Adds the specified elements to the specified HyperLogLog.', since: '2.8.9', complexity: 'O(1) to add every element.', handler: pfadd }),
  cmd({ name: 'pfcount', arity: -2, flags: ['readonly', 'may_replicate'],
    keySpecs: [noted(span(1, -1, 1, 'RW', 'ACCESS'), 'RW because it may change the internal representation of the key, and propagate to replicas')],
    categories: ['@read', '@hyperloglog', '@slow'], summary: 'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).', since: '2.8.9',
    complexity: 'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    handler: pfcount }),
  cmd({ name: 'pfmerge', arity: -2, flags: ['write', 'denyoom'], keySpecs: [at(1, 'RW', 'ACCESS', 'INSERT'), span(2, -1, 1, 'RO', 'ACCESS')],
    categories: ['@write', '@hyperloglog', '@slow'], summary: 'Merge N different HyperLogLogs into a single one.', since: '2.8.9',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.', handler: pfmerge }),
  cmd({ name: 'pfselftest', arity: 1, flags: ['admin'], categories: ['@hyperloglog', '@admin', '@slow', '@dangerous'],
    summary: 'An internal command for testing HyperLogLog values', since: '2.8.9', complexity: 'N/A', handler: pfselftest }),
  cmd({ name: 'pfdebug', arity: 3, flags: ['write', 'denyoom', 'admin'], keySpecs: [at(2, 'RW', 'ACCESS')], categories: ['@write', '@hyperloglog', '@admin', '@slow', '@dangerous'],
    summary: 'Internal commands for debugging HyperLogLog values', since: '2.8.9', complexity: 'N/A', handler: pfdebug }),
];
