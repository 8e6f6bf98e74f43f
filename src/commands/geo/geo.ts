// Geo commands (redis geo.c) on top of sorted sets: a geo key is a zset whose scores are 52-bit
// geohashes (util/geohash.ts has the arithmetic). Members stay sealed: GEOPOS, GEODIST, GEOHASH
// find them by digest and open none; the searches are in geo-search.ts, argument parsing in
// geo-args.ts.

import { Errors } from '../../protocol/errors.js';
import { distance, formatDistance, hashString, scoreOf } from '../../util/geohash.js';
import { at, keySpec, keyword, range, type KeySpec } from '../key-specs.js';
import { lonLatArg, memberPoint, replyHuman, unitArg } from './geo-args.js';
import { georadius, georadiusByMember, georadiusByMemberRo, georadiusRo, geosearch, geosearchstore } from './geo-search.js';
import { isWord, keyOf, lookupDigest, readZSet } from '../zsets/zset-entries.js';
import { zaddGeneric } from '../zsets/zsets.js';
import type { CommandSpec, Session } from '../types.js';

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
