// Geo commands (redis geo.c) on top of sorted sets: a geo key is a zset whose scores are 52-bit
// geohashes (util/geohash.ts has the arithmetic). Members stay sealed: lookups go by digest, a
// search walks the score ranges of up to nine cells and opens only the members it returns
// (straight into the reply) or stores (opened, re-sealed for the destination, wiped).

import { int64 } from './args.js';
import { sealFailed } from './sealing.js';
import { Errors } from '../protocol/errors.js';
import { OVERHEAD } from '../seal/sealer.js';
import type { ZSetEntry } from '../store/keyspace.js';
import { zsetEntry } from '../store/types/zset-ops.js';
import {
  distance, distanceWithin, formatDistance, hashString, pointOf, scoreOf, scoreRange, searchCells, unitMeters, LAT_MAX, LAT_MIN,
  LONG_MAX, LONG_MIN, type Shape,
} from '../util/geohash.js';
import { formatHuman, fromNumber } from '../util/long-double.js';
import { at, keySpec, keyword, range, type KeySpec } from './key-specs.js';
import {
  digestOf, isWord, keyOf, lookupDigest, openMember, parseScore, readZSet, replyMember, sealMember, withOrder,
} from './zset-entries.js';
import { isSkiplist, storedScore } from './zsets-ranges.js';
import { zaddGeneric } from './zsets.js';
import type { CommandSpec, Session } from './types.js';

// ---- arguments ----

/** C's printf("%f"). */
function cFixed(x: number): string {
  if (Number.isNaN(x)) return Math.sign(x) < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (Math.abs(x) < 1e21) return x.toFixed(6);
  return BigInt(Math.trunc(x)).toString() + '.000000';
}

/** getDoubleFromObjectOrReply: the double, or null after replying `message`. */
function doubleArg(ctx: Session, arg: Buffer, message: string = Errors.notFloat): number | null {
  const v = parseScore(arg);
  if (v === null) ctx.reply.error(message);
  return v;
}

/** extractLongLatOrReply. */
function lonLatArg(ctx: Session, args: Buffer[], i: number): [number, number] | null {
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
function unitArg(ctx: Session, arg: Buffer): number | null {
  const m = arg.length > 2 ? null : unitMeters(arg.toString('latin1'));
  if (m === null) ctx.reply.error('ERR unsupported unit provided. please use M, KM, FT, MI');
  return m;
}

/** extractDistanceOrReply: [radius, meters per unit]. */
function radiusArg(ctx: Session, args: Buffer[], i: number): [number, number] | null {
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
function boxArg(ctx: Session, args: Buffer[], i: number): [number, number, number] | null {
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
function memberPoint(ctx: Session, entry: ZSetEntry, member: Buffer): [number, number] | null {
  const score = entry.zset.score(lookupDigest(ctx, member));
  return score === undefined ? null : pointOf(score);
}

/** addReplyHumanLongDouble: a bulk string under RESP2, a RESP3 double. */
function replyHuman(ctx: Session, x: number): void {
  const text = formatHuman(fromNumber(x));
  if (ctx.reply.protocol === 3) ctx.reply.raw(Buffer.from(`,${text}\r\n`, 'latin1'));
  else ctx.reply.bulkText(text);
}

// ---- GEOADD, GEODIST, GEOHASH, GEOPOS ----

function geoadd(ctx: Session, args: Buffer[]): void {
  let nx = false;
  let xx = false;
  let first = 2;
  for (; first < args.length; first++) {
    const a = args[first]!;
    if (isWord(a, 'nx')) nx = true;
    else if (isWord(a, 'xx')) xx = true;
    else if (!isWord(a, 'ch')) break;
  }
  if ((args.length - first) % 3 !== 0 || (nx && xx)) return ctx.reply.error(Errors.syntax);
  const zargs: Buffer[] = args.slice(0, first);
  for (let i = first; i < args.length; i += 3) {
    const point = lonLatArg(ctx, args, i);
    if (point === null) return;
    zargs.push(Buffer.from(String(scoreOf(point[0], point[1]) ?? 0), 'latin1'), args[i + 2]!);
  }
  zaddGeneric(ctx, zargs, false);
}

function geodist(ctx: Session, args: Buffer[]): void {
  let toMeters = 1;
  if (args.length === 5) {
    const u = unitArg(ctx, args[4]!);
    if (u === null) return;
    toMeters = u;
  } else if (args.length > 5) {
    return ctx.reply.error(Errors.syntax);
  }
  const entry = readZSet(ctx, keyOf(ctx, args[1]!));
  if (entry === null) return;
  if (entry === undefined) return ctx.reply.nullBulk();
  const a = memberPoint(ctx, entry, args[2]!);
  const b = a === null ? null : memberPoint(ctx, entry, args[3]!);
  if (a === null || b === null) return ctx.reply.nullBulk();
  ctx.reply.bulkText(formatDistance(distance(a[0], a[1], b[0], b[1]) / toMeters));
}

function geohash(ctx: Session, args: Buffer[]): void {
  const entry = readZSet(ctx, keyOf(ctx, args[1]!));
  if (entry === null) return;
  ctx.reply.arrayLen(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const score = entry?.zset.score(lookupDigest(ctx, args[j]!));
    if (score === undefined) ctx.reply.nullBulk();
    else ctx.reply.bulkText(hashString(score));
  }
}

function geopos(ctx: Session, args: Buffer[]): void {
  const entry = readZSet(ctx, keyOf(ctx, args[1]!));
  if (entry === null) return;
  ctx.reply.arrayLen(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const point = entry === undefined ? null : memberPoint(ctx, entry, args[j]!);
    if (point === null) {
      ctx.reply.nullArray();
    } else {
      ctx.reply.arrayLen(2);
      replyHuman(ctx, point[0]);
      replyHuman(ctx, point[1]);
    }
  }
}

// ---- searches ----

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

const georadius = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_COORDS);
const georadiusRo = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_COORDS | NOSTORE);
const georadiusByMember = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_MEMBER);
const georadiusByMemberRo = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, RADIUS_MEMBER | NOSTORE);
const geosearch = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 1, SEARCH);
const geosearchstore = (ctx: Session, args: Buffer[]): void => searchGeneric(ctx, args, 2, SEARCH | SEARCHSTORE);

// ---- table ----

function geoSpec(
  name: string, arity: number, write: boolean, keySpecs: KeySpec[], summary: string, since: string, handler: CommandSpec['handler'], complexity: string,
): CommandSpec {
  return {
    name, arity, flags: write ? ['write', 'denyoom'] : ['readonly'], keySpecs,
    categories: [write ? '@write' : '@read', '@geo', '@slow'], summary, since, group: 'geo', handler, complexity,
  };
}

const storeKeys = (from: number): KeySpec[] => [
  at(1, 'RO', 'ACCESS'),
  keySpec(keyword('STORE', from), range(0), ['OW', 'UPDATE']),
  keySpec(keyword('STOREDIST', from), range(0), ['OW', 'UPDATE']),
];

const RADIUS_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.';
const SEARCH_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape';

export const geoCommands: CommandSpec[] = [
  geoSpec('geoadd', -5, true, [at(1, 'RW', 'UPDATE')], 'Add one or more geospatial items in the geospatial index represented using a sorted set', '3.2.0', geoadd,
    'O(log(N)) for each item added, where N is the number of elements in the sorted set.'),
  geoSpec('geodist', -4, false, [at(1, 'RO', 'ACCESS')], 'Returns the distance between two members of a geospatial index', '3.2.0', geodist, 'O(log(N))'),
  geoSpec('geohash', -2, false, [at(1, 'RO', 'ACCESS')], 'Returns members of a geospatial index as standard geohash strings', '3.2.0', geohash,
    'O(log(N)) for each member requested, where N is the number of elements in the sorted set.'),
  geoSpec('geopos', -2, false, [at(1, 'RO', 'ACCESS')], 'Returns longitude and latitude of members of a geospatial index', '3.2.0', geopos,
    'O(N) where N is the number of members requested.'),
  geoSpec('georadius', -6, true, storeKeys(6), 'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point', '3.2.0',
    georadius, RADIUS_COMPLEXITY),
  geoSpec('georadius_ro', -6, false, [at(1, 'RO', 'ACCESS')], 'A read-only variant for GEORADIUS', '3.2.10', georadiusRo, RADIUS_COMPLEXITY),
  geoSpec('georadiusbymember', -5, true, storeKeys(5), 'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member',
    '3.2.0', georadiusByMember, RADIUS_COMPLEXITY),
  geoSpec('georadiusbymember_ro', -5, false, [at(1, 'RO', 'ACCESS')], 'A read-only variant for GEORADIUSBYMEMBER', '3.2.10', georadiusByMemberRo, RADIUS_COMPLEXITY),
  geoSpec('geosearch', -7, false, [at(1, 'RO', 'ACCESS')],
    'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.', '6.2.0', geosearch, SEARCH_COMPLEXITY),
  geoSpec('geosearchstore', -8, true, [at(1, 'OW', 'UPDATE'), at(2, 'RO', 'ACCESS')],
    'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.', '6.2.0',
    geosearchstore, SEARCH_COMPLEXITY),
];
