// Geo searches (redis geo.c georadiusGeneric): GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
// GEORADIUSBYMEMBER and the _RO forms. A search walks the score ranges of up to nine cells
// (util/geohash.ts searchCells) and opens only the members it returns, straight into the reply,
// or stores, re-sealed for the destination with the plaintext wiped.

import { int64 } from '../args.js';
import { sealFailed } from '../values/sealing.js';
import { Errors } from '../../protocol/errors.js';
import { OVERHEAD } from '../../seal/sealer.js';
import type { ZSetEntry } from '../../store/keyspace.js';
import { zsetEntry } from '../../store/types/zset-ops.js';
import { distanceWithin, formatDistance, pointOf, scoreRange, searchCells, type Shape } from '../../util/geohash.js';
import { boxArg, lonLatArg, memberPoint, radiusArg, replyHuman } from './geo-args.js';
import { digestOf, isWord, keyOf, openMember, readZSet, replyMember, sealMember, withOrder } from '../zsets/zset-entries.js';
import { isSkiplist, storedScore } from '../zsets/zsets-ranges.js';
import type { Session } from '../types.js';

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const NOSTORE = 4;
const SEARCH = 8;
const SEARCHSTORE = 16;

interface Found {
  sealed: string;
  score: number;
  dist: number;
  lon: number;
  lat: number;
}

/** membersOfAllNeighbors: the members inside the shape, from the nine cells' score ranges. */
function findMembers(entry: ZSetEntry, shape: Shape, limit: number): Found[] {
  const { cells } = searchCells(shape);
  const found: Found[] = [];
  let last = -1;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null || cell === undefined) continue;
    const prev = last >= 1 ? cells[last] : undefined;
    // A huge radius makes neighbouring cells the same cell: search it once.
    if (last >= 1 && prev && prev.bits === cell.bits && prev.step === cell.step) continue;
    if (found.length > 0 && limit > 0 && found.length >= limit) break;
    const [min, max] = scoreRange(cell);
    const [start, end] = entry.zset.scoreRange({ value: min, exclusive: false }, { value: max, exclusive: true });
    entry.zset.each(start, end, false, (sealed, score) => {
      const [lon, lat] = pointOf(score);
      const dist = distanceWithin(shape, lon, lat);
      if (dist !== null) found.push({ sealed, score, dist, lon, lat });
      return !(found.length > 0 && limit > 0 && found.length >= limit);
    });
    last = i;
  }
  return found;
}

function searchGeneric(ctx: Session, args: Buffer[], srcIndex: number, flags: number): void {
  const srcKey = keyOf(ctx, args[srcIndex]!);
  const entry = readZSet(ctx, srcKey);
  if (entry === null) return;
  const name = args[0]!.toString('latin1');
  let storeArg: Buffer | null = null;
  let storeDist = false;
  let base: number;
  let lon = 0;
  let lat = 0;
  let radius = 0;
  let width = 0;
  let height = 0;
  let conversion = 1;
  let type: 'radius' | 'box' = 'radius';
  if (flags & RADIUS_COORDS) {
    base = 6;
    const p = lonLatArg(ctx, args, 2);
    if (p === null) return;
    [lon, lat] = p;
    const r = radiusArg(ctx, args, 4);
    if (r === null) return;
    [radius, conversion] = r;
  } else if (flags & RADIUS_MEMBER) {
    base = 5;
    if (entry !== undefined) {
      const p = memberPoint(ctx, entry, args[2]!);
      if (p === null) return ctx.reply.error('ERR could not decode requested zset member');
      [lon, lat] = p;
      const r = radiusArg(ctx, args, 3);
      if (r === null) return;
      [radius, conversion] = r;
    }
  } else {
    base = 2;
    if (flags & SEARCHSTORE) {
      base = 3;
      storeArg = args[1]!;
    }
  }
  let withDist = false;
  let withHash = false;
  let withCoord = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort: 'none' | 'asc' | 'desc' = 'none';
  let any = false;
  let count = 0;
  const remaining = args.length - base;
  for (let i = 0; i < remaining; i++) {
    const a = args[base + i]!;
    const search = (flags & SEARCH) !== 0;
    const canStore = !(flags & NOSTORE) && !search;
    if (isWord(a, 'withdist')) withDist = true;
    else if (isWord(a, 'withhash')) withHash = true;
    else if (isWord(a, 'withcoord')) withCoord = true;
    else if (isWord(a, 'any')) any = true;
    else if (isWord(a, 'asc')) sort = 'asc';
    else if (isWord(a, 'desc')) sort = 'desc';
    else if (isWord(a, 'count') && i + 1 < remaining) {
      const n = int64(args[base + i + 1]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      if (n <= 0n) return ctx.reply.error('ERR COUNT must be > 0');
      count = Number(n);
      i++;
    } else if (isWord(a, 'store') && i + 1 < remaining && canStore) {
      storeArg = args[base + i + 1]!;
      storeDist = false;
      i++;
    } else if (isWord(a, 'storedist') && i + 1 < remaining && canStore) {
      storeArg = args[base + i + 1]!;
      storeDist = true;
      i++;
    } else if (isWord(a, 'storedist') && search && flags & SEARCHSTORE) {
      storeDist = true;
    } else if (isWord(a, 'frommember') && i + 1 < remaining && search && !fromLoc) {
      if (entry !== undefined) {
        const p = memberPoint(ctx, entry, args[base + i + 1]!);
        if (p === null) return ctx.reply.error('ERR could not decode requested zset member');
        [lon, lat] = p;
      }
      fromMember = true;
      i++;
    } else if (isWord(a, 'fromlonlat') && i + 2 < remaining && search && !fromMember) {
      const p = lonLatArg(ctx, args, base + i + 1);
      if (p === null) return;
      [lon, lat] = p;
      fromLoc = true;
      i += 2;
    } else if (isWord(a, 'byradius') && i + 2 < remaining && search && !byBox) {
      const r = radiusArg(ctx, args, base + i + 1);
      if (r === null) return;
      [radius, conversion] = r;
      type = 'radius';
      byRadius = true;
      i += 2;
    } else if (isWord(a, 'bybox') && i + 3 < remaining && search && !byRadius) {
      const b = boxArg(ctx, args, base + i + 1);
      if (b === null) return;
      [width, height, conversion] = b;
      type = 'box';
      byBox = true;
      i += 3;
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  if (storeArg !== null && (withDist || withHash || withCoord)) {
    return ctx.reply.error(
      `ERR ${flags & SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
  }
  if (flags & SEARCH && !(fromMember || fromLoc)) {
    return ctx.reply.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name}`);
  }
  if (flags & SEARCH && !(byRadius || byBox)) {
    return ctx.reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name}`);
  }
  if (any && count === 0) return ctx.reply.error('ERR the ANY argument requires COUNT argument');
  const dst = storeArg === null ? null : keyOf(ctx, storeArg);
  if (entry === undefined) {
    if (dst !== null) {
      ctx.db.delete(dst, 'del');
      ctx.reply.integer(0);
    } else {
      ctx.reply.arrayLen(0);
    }
    return;
  }
  if (count !== 0 && sort === 'none' && !any) sort = 'asc';
  const shape: Shape = type === 'radius'
    ? { type, longitude: lon, latitude: lat, radius, conversion }
    : { type, longitude: lon, latitude: lat, width, height, conversion };
  const found = findMembers(entry, shape, any ? count : 0);
  if (found.length === 0 && dst === null) return ctx.reply.arrayLen(0);
  const returned = count === 0 || found.length < count ? found.length : count;
  if (sort === 'asc') found.sort((x, y) => x.dist - y.dist);
  else if (sort === 'desc') found.sort((x, y) => y.dist - x.dist);
  if (dst === null) return replyFound(ctx, srcKey, found, returned, conversion, withDist, withHash, withCoord);
  storeFound(ctx, srcKey, found, returned, conversion, storeDist, dst, flags & SEARCH ? 'geosearchstore' : 'georadiusstore');
}

function replyFound(
  ctx: Session, key: string, found: Found[], returned: number, conversion: number, withDist: boolean, withHash: boolean, withCoord: boolean,
): void {
  const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
  const mark = ctx.reply.size;
  ctx.reply.arrayLen(returned);
  for (let i = 0; i < returned; i++) {
    const f = found[i]!;
    if (options > 0) ctx.reply.arrayLen(options + 1);
    if (!replyMember(ctx, key, f.sealed, mark)) return;
    if (withDist) ctx.reply.bulkText(formatDistance(f.dist / conversion));
    if (withHash) ctx.reply.integer(Math.trunc(f.score));
    if (withCoord) {
      ctx.reply.arrayLen(2);
      replyHuman(ctx, f.lon);
      replyHuman(ctx, f.lat);
    }
  }
}

function storeFound(
  ctx: Session, srcKey: string, found: Found[], returned: number, conversion: number, storeDist: boolean, dst: string,
  event: 'geosearchstore' | 'georadiusstore',
): void {
  if (returned === 0) {
    ctx.db.delete(dst, 'del');
    return ctx.reply.integer(0);
  }
  const out = zsetEntry(ctx.now);
  let longest = 0;
  for (let i = 0; i < returned; i++) longest = Math.max(longest, found[i]!.sealed.length - OVERHEAD);
  out.skiplist = isSkiplist(returned, longest);
  try {
    withOrder(ctx, dst, () => {
      for (let i = 0; i < returned; i++) {
        const f = found[i]!;
        const plain = openMember(ctx, srcKey, f.sealed);
        try {
          const fresh = sealMember(ctx, dst, plain);
          out.zset.insert(digestOf(ctx, plain), storedScore(out, storeDist ? f.dist / conversion : f.score), fresh, plain);
          out.sealedBytes += fresh.length;
        } finally {
          plain.fill(0);
        }
      }
    });
  } catch (err) {
    sealFailed(ctx, err);
    return;
  }
  ctx.db.set(dst, out, event);
  ctx.reply.integer(returned);
}

export const georadius = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_COORDS);
export const georadiusRo = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_COORDS | NOSTORE);
export const georadiusByMember = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_MEMBER);
export const georadiusByMemberRo = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_MEMBER | NOSTORE);
export const geosearch = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, SEARCH);
export const geosearchstore = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 2, SEARCH | SEARCHSTORE);
