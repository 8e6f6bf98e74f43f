// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX XX GT LT), TTL, PTTL, PERSIST,
// EXPIRETIME, PEXPIRETIME. Times are unix ms held as JS numbers; the argument arithmetic is
// done in 64-bit integers first so overflow is detected exactly where Redis detects it. The
// usual EXPIRE/PEXPIRE (a key and a time, no condition; a rate limiter's in a script) comes as
// RawArgs and stays in doubles while they are exact: no Buffer view per argument, no BigInt.

import { int64, keyAt, keyOf, word } from '../args.js';
import { argArray, takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { parseStrictInteger } from '../../protocol/parser.js';
import { RawArgs } from '../../protocol/raw-args.js';
import { lookupNoTouch } from './keys.js';
import { Errors } from '../../protocol/errors.js';
import { at } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const enum Cond {
  None = 0,
  NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
}

/** The NX/XX/GT/LT flags after the time, or an error message (Redis parseExtendedExpireArguments). */
function parseConditions(args: Buffer[]): number | string {
  let cond = Cond.None;
  for (let i = 3; i < args.length; i++) {
    switch (word(args[i]!)) {
      case 'nx': cond |= Cond.NX; break;
      case 'xx': cond |= Cond.XX; break;
      case 'gt': cond |= Cond.GT; break;
      case 'lt': cond |= Cond.LT; break;
      default: return Errors.unsupportedOption(args[i]!);
    }
  }
  if (cond & Cond.NX && cond & (Cond.XX | Cond.GT | Cond.LT)) return Errors.expireNxWithOthers;
  if (cond & Cond.GT && cond & Cond.LT) return Errors.expireGtAndLt;
  return cond;
}

/** Whether the conditions allow replacing `current` (0 = no TTL, i.e. infinite) by `when`. */
function allowed(cond: number, current: number, when: number): boolean {
  if (cond & Cond.NX && current !== 0) return false;
  if (cond & Cond.XX && current === 0) return false;
  // No TTL counts as infinite: GT can never beat it, LT always can.
  if (cond & Cond.GT && (current === 0 || when <= current)) return false;
  if (cond & Cond.LT && current !== 0 && when >= current) return false;
  return true;
}

/**
 * The absolute expiry in unix ms for a time argument, or null when it overflows 64 bits the way
 * Redis checks it (unit conversion first, then adding the base time).
 */
function absoluteMs(amount: bigint, unitMs: bigint, base: bigint): bigint | null {
  if (amount > INT64_MAX / unitMs || amount < INT64_MIN / unitMs) return null;
  const ms = amount * unitMs;
  return ms > INT64_MAX - base ? null : ms + base;
}

function expireGeneric(ctx: Session, args: Buffer[], command: string, unitMs: bigint, relative: boolean): void {
  const cond = parseConditions(args);
  if (typeof cond === 'string') return ctx.reply.error(cond);
  const amount = int64(args[2]!);
  if (amount === null) return ctx.reply.error(Errors.notInteger);
  const at = absoluteMs(amount, unitMs, relative ? BigInt(ctx.now) : 0n);
  if (at === null) return ctx.reply.error(Errors.invalidExpire(command));
  // Times past 2^53 ms (285,000 years away) lose precision as JS numbers; harmless for expiry.
  expireKey(ctx, keyOf(ctx, args[1]!), cond, Number(at));
}

/** Sets key's expiry to `when` (unix ms) if the conditions allow it; replies 1 if it did, else 0. */
function expireKey(ctx: Session, key: string, cond: number, when: number): void {
  const entry = ctx.db.getStored(key, ctx.now);
  if (entry === undefined) return ctx.reply.integer(0);
  if (!allowed(cond, entry.expiresAt, when)) return ctx.reply.integer(0);
  // A time already passed deletes the key at once, as Redis does.
  if (when <= ctx.now) ctx.db.delete(key, 'del');
  else ctx.db.setExpiry(key, entry, when);
  ctx.reply.integer(1);
}

/**
 * The expiry a key-and-time request (no condition) asks for, in unix ms, when the time is a
 * canonical integer and the sum stays exact in doubles (then it equals absoluteMs()'s); NaN
 * sends the request the 64-bit way, which also words the errors.
 */
function plainExpiry(ctx: Session, args: ArgList, unitMs: number, relative: boolean): number {
  if (args.length !== 3) return NaN;
  let amount: number | null;
  if (args instanceof RawArgs) amount = parseStrictInteger(args.bytes, args.starts[2]!, args.starts[2]! + args.lengths[2]!);
  else {
    const arg = args.at(2)!;
    amount = parseStrictInteger(arg, 0, arg.length);
  }
  if (amount === null) return NaN;
  const when = amount * unitMs + (relative ? ctx.now : 0);
  return Number.isSafeInteger(amount * unitMs) && Number.isSafeInteger(when) ? when : NaN;
}

function expireCommand(command: string, unitMs: number, relative: boolean) {
  const unit = BigInt(unitMs);
  return takesRawArgs((ctx: Session, args: ArgList): void => {
    const when = plainExpiry(ctx, args, unitMs, relative);
    if (Number.isNaN(when)) return expireGeneric(ctx, argArray(args), command, unit, relative);
    expireKey(ctx, keyAt(ctx, args, 1), Cond.None, when);
  });
}

const expire = expireCommand('expire', 1000, true);
const pexpire = expireCommand('pexpire', 1, true);
const expireat = expireCommand('expireat', 1000, false);
const pexpireat = expireCommand('pexpireat', 1, false);

/** Integers beyond 2^53 go out as bigint so they print as digits, never in exponent form. */
function replyInt(ctx: Session, n: number): void {
  ctx.reply.integer(Number.isSafeInteger(n) ? n : BigInt(n));
}

/** TTL/PTTL: -2 for no key, -1 for no TTL; seconds are rounded to nearest like Redis. */
function ttlGeneric(ctx: Session, args: Buffer[], inMs: boolean): void {
  const entry = lookupNoTouch(ctx, keyOf(ctx, args[1]!));
  if (entry === undefined) return ctx.reply.integer(-2);
  if (entry.expiresAt === 0) return ctx.reply.integer(-1);
  const left = Math.max(0, entry.expiresAt - ctx.now);
  replyInt(ctx, inMs ? left : Math.floor((left + 500) / 1000));
}

/** EXPIRETIME/PEXPIRETIME: the absolute time, -2 for no key, -1 for no TTL. */
function expiretimeGeneric(ctx: Session, args: Buffer[], inMs: boolean): void {
  const entry = lookupNoTouch(ctx, keyOf(ctx, args[1]!));
  if (entry === undefined) return ctx.reply.integer(-2);
  if (entry.expiresAt === 0) return ctx.reply.integer(-1);
  replyInt(ctx, inMs ? entry.expiresAt : Math.floor(entry.expiresAt / 1000));
}

const ttl = (ctx: Session, args: Buffer[]) => ttlGeneric(ctx, args, false);
const pttl = (ctx: Session, args: Buffer[]) => ttlGeneric(ctx, args, true);
const expiretime = (ctx: Session, args: Buffer[]) => expiretimeGeneric(ctx, args, false);
const pexpiretime = (ctx: Session, args: Buffer[]) => expiretimeGeneric(ctx, args, true);

function persist(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[1]!);
  const entry = ctx.db.getStored(key, ctx.now);
  if (entry === undefined || entry.expiresAt === 0) return ctx.reply.integer(0);
  ctx.db.setExpiry(key, entry, 0);
  ctx.reply.integer(1);
}

/** TTLs are read and changed without opening the value (NO_VALUE: spilled values stay put). */
const SET_TTL = [at(1, 'RW', 'UPDATE', 'NO_VALUE')];
const READ_TTL = [at(1, 'RO', 'ACCESS', 'NO_VALUE')];
const READ_FAST = ['@keyspace', '@read', '@fast'];
const WRITE_FAST = ['@keyspace', '@write', '@fast'];

const setter = (cmd: string, summary: string, since: string, handler: CommandSpec['handler']): CommandSpec => ({
  name: cmd, arity: -3, flags: ['write', 'fast'], keySpecs: SET_TTL, categories: WRITE_FAST,
  summary, since, group: 'generic', complexity: 'O(1)', handler,
});

const reader = (cmd: string, summary: string, since: string, handler: CommandSpec['handler'], tips?: readonly string[]): CommandSpec => ({
  name: cmd, arity: 2, flags: ['readonly', 'fast'], keySpecs: READ_TTL, categories: READ_FAST,
  summary, since, group: 'generic', complexity: 'O(1)', handler, ...(tips && { tips }),
});

export const expiryCommands: CommandSpec[] = [
  setter('expire', "Set a key's time to live in seconds", '1.0.0', expire),
  setter('pexpire', "Set a key's time to live in milliseconds", '2.6.0', pexpire),
  setter('expireat', 'Set the expiration for a key as a UNIX timestamp', '1.2.0', expireat),
  setter('pexpireat', 'Set the expiration for a key as a UNIX timestamp specified in milliseconds', '2.6.0', pexpireat),
  reader('ttl', 'Get the time to live for a key in seconds', '1.0.0', ttl, ['nondeterministic_output']),
  reader('pttl', 'Get the time to live for a key in milliseconds', '2.6.0', pttl, ['nondeterministic_output']),
  reader('expiretime', 'Get the expiration Unix timestamp for a key', '7.0.0', expiretime),
  reader('pexpiretime', 'Get the expiration Unix timestamp for a key in milliseconds', '7.0.0', pexpiretime),
  {
    name: 'persist', arity: 2, flags: ['write', 'fast'], keySpecs: SET_TTL, categories: WRITE_FAST,
    summary: 'Remove the expiration from a key', since: '2.2.0', group: 'generic', complexity: 'O(1)', handler: persist,
  },
];
