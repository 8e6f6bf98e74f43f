// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (redis networking.c clientCommand, the
// checks and wording of Redis 7.0); the table and the messages live in src/tracking/.

import { Errors } from '../../protocol/errors.js';
import { trackerIfAny, trackerOf, type ClientTracking, type Tracker } from '../../tracking/index.js';
import { int64, word } from '../args.js';
import type { CommandSpec, Session } from '../types.js';

interface Options {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: Buffer[];
}

/** The options after ON|OFF, checked as Redis checks them while parsing; null after replying. */
function parseOptions(ctx: Session, args: Buffer[]): Options | null {
  const o: Options = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] };
  for (let j = 3; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = word(args[j]!);
    if (opt === 'redirect' && more > 0) {
      j++;
      if (o.redirect !== 0) return fail(ctx, Errors.trackingOneRedirect);
      const id = int64(args[j]!);
      if (id === null) return fail(ctx, Errors.notInteger);
      // The client must exist now, though it may go later (then the redirection is broken).
      if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER) || !ctx.server.clients.has(Number(id))) return fail(ctx, Errors.trackingNoRedirectClient);
      o.redirect = Number(id);
    } else if (opt === 'bcast') o.bcast = true;
    else if (opt === 'optin') o.optin = true;
    else if (opt === 'optout') o.optout = true;
    else if (opt === 'noloop') o.noloop = true;
    else if (opt === 'prefix' && more > 0) o.prefixes.push(args[++j]!);
    else return fail(ctx, Errors.syntax);
  }
  return o;
}

function fail(ctx: Session, message: string): null {
  ctx.reply.error(message);
  return null;
}

/** Whether one is a prefix of the other (tracking.c stringCheckPrefix). */
function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The client's prefixes' bytes in Redis's (sorted) order; sealed ones opened: the caller wipes them. */
function prefixBytes(tracker: Tracker, t: ClientTracking): { bytes: Buffer[]; wipe: boolean } {
  const out: Buffer[] = [];
  for (const p of t.prefixes.values()) out.push(tracker.withPrefix(p, (b) => Buffer.from(b)));
  out.sort(Buffer.compare);
  return { bytes: out, wipe: tracker.sealed };
}

/** checkPrefixCollisionsOrReply: false after replying with the overlap. */
function prefixesFit(ctx: Session, tracker: Tracker, t: ClientTracking, prefixes: Buffer[]): boolean {
  const existing = prefixBytes(tracker, t);
  try {
    for (let i = 0; i < prefixes.length; i++) {
      for (const e of existing.bytes) {
        if (overlaps(e, prefixes[i]!)) return fail(ctx, Errors.trackingPrefixOverlapsExisting(prefixes[i]!, e)) ?? false;
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        // Redis also goes on to enable tracking after this error when i > 0 (two replies); sealkv stops at the error.
        if (overlaps(prefixes[i]!, prefixes[j]!)) return fail(ctx, Errors.trackingPrefixOverlapsProvided(prefixes[i]!, prefixes[j]!)) ?? false;
      }
    }
    return true;
  } finally {
    if (existing.wipe) for (const b of existing.bytes) b.fill(0);
  }
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] */
function clientTracking(ctx: Session, args: Buffer[]): void {
  const o = parseOptions(ctx, args);
  if (o === null) return;
  const mode = word(args[2]!);
  if (mode === 'on') {
    if (!o.bcast && o.prefixes.length > 0) return void fail(ctx, Errors.trackingPrefixNeedsBcast);
    const tracker = trackerOf(ctx.server);
    const t = tracker.stateFor(ctx);
    if (t.on && t.bcast !== o.bcast) return void fail(ctx, Errors.trackingBcastSwitch);
    if (o.bcast && (o.optin || o.optout)) return void fail(ctx, Errors.trackingOptBcast);
    if (o.optin && o.optout) return void fail(ctx, Errors.trackingOptBoth);
    if ((o.optin && t.optout) || (o.optout && t.optin)) return void fail(ctx, Errors.trackingOptSwitch);
    if (o.bcast && !prefixesFit(ctx, tracker, t, o.prefixes)) return;
    tracker.enable(t, o.redirect, o, o.prefixes);
  } else if (mode === 'off') {
    const tracker = trackerIfAny(ctx.server);
    const t = tracker?.stateOf(ctx.id);
    if (tracker !== undefined && t !== undefined) tracker.disable(t);
  } else return void fail(ctx, Errors.syntax);
  ctx.reply.ok();
}

/** CLIENT CACHING YES|NO: whether the next command's reads are tracked (OPTIN / OPTOUT). */
function clientCaching(ctx: Session, args: Buffer[]): void {
  const t = trackerIfAny(ctx.server)?.stateOf(ctx.id);
  if (t === undefined || !t.on) return void fail(ctx, Errors.cachingNotTracking);
  const opt = word(args[2]!);
  if (opt === 'yes') {
    if (!t.optin) return void fail(ctx, Errors.cachingYesNeedsOptin);
  } else if (opt === 'no') {
    if (!t.optout) return void fail(ctx, Errors.cachingNoNeedsOptout);
  } else return void fail(ctx, Errors.syntax);
  t.caching = true;
  ctx.reply.ok();
}

/** CLIENT GETREDIR: the redirection (0 for none) while tracking, else -1. */
function clientGetredir(ctx: Session): void {
  ctx.reply.integer(redirectOf(ctx));
}

function redirectOf(ctx: Session): number {
  const t = trackerIfAny(ctx.server)?.stateOf(ctx.id);
  return t !== undefined && t.on ? t.redirect : -1;
}

/** CLIENT TRACKINGINFO: flags (a set), redirect and prefixes, as Redis 7 shows them. */
function clientTrackinginfo(ctx: Session): void {
  const tracker = trackerIfAny(ctx.server);
  const t = tracker?.stateOf(ctx.id);
  const flags = [t?.on ? 'on' : 'off'];
  if (t !== undefined) {
    if (t.bcast) flags.push('bcast');
    if (t.optin) flags.push('optin');
    if (t.optin && t.caching) flags.push('caching-yes');
    if (t.optout) flags.push('optout');
    if (t.optout && t.caching) flags.push('caching-no');
    if (t.noloop) flags.push('noloop');
    if (t.brokenRedirect) flags.push('broken_redirect');
  }
  ctx.reply.mapLen(3);
  ctx.reply.bulkText('flags');
  ctx.reply.setLen(flags.length);
  for (const f of flags) ctx.reply.bulkText(f);
  ctx.reply.bulkText('redirect');
  ctx.reply.integer(redirectOf(ctx));
  ctx.reply.bulkText('prefixes');
  if (tracker === undefined || t === undefined) return ctx.reply.arrayLen(0);
  const prefixes = prefixBytes(tracker, t);
  ctx.reply.arrayLen(prefixes.bytes.length);
  for (const p of prefixes.bytes) {
    ctx.reply.bulk(p);
    if (prefixes.wipe) p.fill(0);
  }
}

/** CLIENT LIST flags t, R, B and redir= (clientInfoString). */
export function trackingFlags(ctx: Session): { flags: string; redirect: number } {
  const t = trackerIfAny(ctx.server)?.stateOf(ctx.id);
  if (t === undefined || !t.on) return { flags: '', redirect: -1 };
  return { flags: 't' + (t.brokenRedirect ? 'R' : '') + (t.bcast ? 'B' : ''), redirect: t.redirect };
}

/** RESET and the like: tracking off (redis clearClientConnectionState). */
export function resetTracking(ctx: Session): void {
  const tracker = trackerIfAny(ctx.server);
  const t = tracker?.stateOf(ctx.id);
  if (tracker !== undefined && t !== undefined) tracker.disable(t);
}

const CONN = ['@slow', '@connection'] as const;
const flags = ['noscript', 'loading', 'stale'] as const;
const sub = { group: 'connection', categories: CONN, flags } as const;

/** Appended to CLIENT's subcommands (clients.ts). */
export const trackingSubcommands: readonly CommandSpec[] = [
  { ...sub, name: 'tracking', arity: -3, summary: 'Enable or disable server assisted client side caching support', since: '6.0.0', complexity: 'O(1). Some options may introduce additional complexity.', handler: clientTracking },
  { ...sub, name: 'caching', arity: 3, summary: 'Instruct the server about tracking or not keys in the next request', since: '6.0.0', complexity: 'O(1)', handler: clientCaching },
  { ...sub, name: 'getredir', arity: 2, summary: 'Get tracking notifications redirection client ID if any', since: '6.0.0', complexity: 'O(1)', handler: clientGetredir },
  { ...sub, name: 'trackinginfo', arity: 2, summary: 'Return information about server assisted client side caching for the current connection', since: '6.2.0', complexity: 'O(1)', handler: clientTrackinginfo },
];
