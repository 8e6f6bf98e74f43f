// Geo argument parsing as redis geo.c reads it (extractLongLatOrReply, extractUnitOrReply,
// extractDistanceOrReply, extractBoxOrReply), a member's point, and GEOPOS's coordinate replies.

import { Errors } from '../../protocol/errors.js';
import type { ZSetEntry } from '../../store/keyspace.js';
import { pointOf, unitMeters, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN } from '../../util/geohash.js';
import { formatHuman, fromNumber } from '../../util/long-double.js';
import { lookupDigest, parseScore } from '../zsets/zset-entries.js';
import type { Session } from '../types.js';

/** C's printf("%f"). */
function cFixed(x: number): string {
  if (Number.isNaN(x)) return Math.sign(x) < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (Math.abs(x) < 1e21) return x.toFixed(6);
  return BigInt(Math.trunc(x)).toString() + '.000000';
}

/** getDoubleFromObjectOrReply: the double, or null after replying `message`. */
export function doubleArg(ctx: Session, arg: Buffer, message: string = Errors.notFloat): number | null {
  const v = parseScore(arg);
  if (v === null) ctx.reply.error(message);
  return v;
}

/** extractLongLatOrReply. */
export function lonLatArg(ctx: Session, args: Buffer[], i: number): [number, number] | null {
  const lon = doubleArg(ctx, args[i]!);
  if (lon === null) return null;
  const lat = doubleArg(ctx, args[i + 1]!);
  if (lat === null) return null;
  if (lon < LONG_MIN || lon > LONG_MAX || lat < LAT_MIN || lat > LAT_MAX) {
    ctx.reply.error(`ERR invalid longitude,latitude pair ${cFixed(lon)},${cFixed(lat)}`);
    return null;
  }
  return [lon, lat];
}

/** extractUnitOrReply. */
export function unitArg(ctx: Session, arg: Buffer): number | null {
  const m = arg.length > 2 ? null : unitMeters(arg.toString('latin1'));
  if (m === null) ctx.reply.error('ERR unsupported unit provided. please use M, KM, FT, MI');
  return m;
}

/** extractDistanceOrReply: [radius, meters per unit]. */
export function radiusArg(ctx: Session, args: Buffer[], i: number): [number, number] | null {
  const r = doubleArg(ctx, args[i]!, 'ERR need numeric radius');
  if (r === null) return null;
  if (r < 0) {
    ctx.reply.error('ERR radius cannot be negative');
    return null;
  }
  const unit = unitArg(ctx, args[i + 1]!);
  return unit === null ? null : [r, unit];
}

/** extractBoxOrReply: [width, height, meters per unit]. */
export function boxArg(ctx: Session, args: Buffer[], i: number): [number, number, number] | null {
  const w = doubleArg(ctx, args[i]!, 'ERR need numeric width');
  if (w === null) return null;
  const h = doubleArg(ctx, args[i + 1]!, 'ERR need numeric height');
  if (h === null) return null;
  if (h < 0 || w < 0) {
    ctx.reply.error('ERR height or width cannot be negative');
    return null;
  }
  const unit = unitArg(ctx, args[i + 2]!);
  return unit === null ? null : [w, h, unit];
}

/** The point a member stands for, or null when it is not in the set. */
export function memberPoint(ctx: Session, entry: ZSetEntry, member: Buffer): [number, number] | null {
  const score = entry.zset.score(lookupDigest(ctx, member));
  return score === undefined ? null : pointOf(score);
}

/** addReplyHumanLongDouble: a bulk string under RESP2, a RESP3 double. */
export function replyHuman(ctx: Session, x: number): void {
  const text = formatHuman(fromNumber(x));
  if (ctx.reply.protocol === 3) ctx.reply.raw(Buffer.from(`,${text}\r\n`, 'latin1'));
  else ctx.reply.bulkText(text);
}

