// The geohash arithmetic against redis-server 7.0 itself (skipped with a message when it is not
// installed): scores, GEOHASH strings, GEOPOS digits, GEODIST digits, and which members a
// GEOSEARCH finds, for random points and shapes, including the limits and the poles' bands.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decode, deinterleave, distance, distanceWithin, encode, formatDistance, hashString, interleave, pointOf,
  scoreOf, scoreRange, searchCells, type Shape,
} from '../../../src/util/geohash.js';
import { formatHuman, fromNumber } from '../../../src/util/long-double.js';
import { prng } from '../../helpers/prng.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../../helpers/reference-redis.js';

const bulk = (reply: string): string => reply.split('\r\n')[1]!;
/** Bulk strings of a flat or nested array reply, in order. */
const bulks = (reply: string): string[] => {
  const lines = reply.split('\r\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) if (lines[i]!.startsWith('$') && lines[i] !== '$-1') out.push(lines[++i]!);
  return out;
};

describe('interleaving', () => {
  it('round-trips every index pair it is given, 26 bits each', () => {
    const random = prng(7);
    for (let i = 0; i < 10_000; i++) {
      const a = Math.floor(random() * 2 ** 26);
      const b = Math.floor(random() * 2 ** 26);
      expect(deinterleave(interleave(a, b))).toEqual([a, b]);
    }
    expect(interleave(1, 0)).toBe(1);
    expect(interleave(0, 1)).toBe(2);
    expect(interleave(2 ** 26 - 1, 2 ** 26 - 1)).toBe(2 ** 52 - 1);
  });

  it('gives the cell a point lies in, and refuses points past Redis limits', () => {
    const cell = encode(13.361389, 38.115556, 26)!;
    const area = decode(cell);
    expect(area.longitude.min).toBeLessThanOrEqual(13.361389);
    expect(area.longitude.max).toBeGreaterThan(13.361389);
    expect(area.latitude.min).toBeLessThanOrEqual(38.115556);
    expect(encode(0, 85.06, 26)).toBeNull();
    expect(encode(180.0001, 0, 26)).toBeNull();
    const [min, max] = scoreRange({ bits: 5, step: 3 });
    expect([min, max]).toEqual([5 * 2 ** 46, 6 * 2 ** 46]);
  });

  it('formats distances as Redis does, rounding half to even on the scaled value', () => {
    expect(formatDistance(0)).toBe('0.0000');
    expect(formatDistance(166274.15156960033)).toBe('166274.1516');
    expect(formatDistance(1.03125)).toBe('1.0312');
    // 0.00005 * 10^4 is exactly 0.5 in doubles, and llrint rounds that to even.
    expect(formatDistance(0.00005)).toBe('0.0000');
  });
});

describe.skipIf(!hasRedisServer)('against redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let conn: ReplyConnection;
  beforeAll(async () => {
    redis = await startRedis();
    conn = await ReplyConnection.open(redis.port);
  });
  afterAll(async () => {
    conn?.close();
    await redis?.stop();
  });

  const random = prng(20261206);
  const points: { name: string; lon: number; lat: number }[] = [];
  const pick = (lo: number, hi: number) => lo + random() * (hi - lo);
  for (let i = 0; i < 300; i++) {
    // A third clustered near one city (searches find many), the rest anywhere, some near poles.
    const near = i % 3 === 0;
    points.push({
      name: `p${i}`,
      lon: near ? pick(13.2, 13.5) : pick(-180, 180),
      lat: near ? pick(38.0, 38.3) : i % 7 === 0 ? pick(70, 85.05) : pick(-85.05, 85.05),
    });
  }
  points.push({ name: 'edge-max', lon: 180, lat: 85.05112878 }, { name: 'edge-min', lon: -180, lat: -85.05112878 }, { name: 'zero', lon: 0, lat: 0 });

  it('scores, GEOHASH, GEOPOS and GEODIST match to the printed digit', async () => {
    for (const p of points) expect(await conn.send(['geoadd', 'g', String(p.lon), String(p.lat), p.name])).toBe(':1\r\n');
    for (const p of points) {
      const score = scoreOf(p.lon, p.lat)!;
      expect(Number(bulk(await conn.send(['zscore', 'g', p.name]))), p.name).toBe(score);
      expect(bulks(await conn.send(['geohash', 'g', p.name]))[0], p.name).toBe(hashString(score));
      const [lon, lat] = pointOf(score);
      expect(bulks(await conn.send(['geopos', 'g', p.name])), p.name).toEqual([formatHuman(fromNumber(lon)), formatHuman(fromNumber(lat))]);
    }
    for (let i = 0; i + 1 < points.length; i += 2) {
      const a = points[i]!;
      const b = points[i + 1]!;
      const [lon1, lat1] = pointOf(scoreOf(a.lon, a.lat)!);
      const [lon2, lat2] = pointOf(scoreOf(b.lon, b.lat)!);
      expect(bulk(await conn.send(['geodist', 'g', a.name, b.name])), `${a.name}-${b.name}`).toBe(formatDistance(distance(lon1, lat1, lon2, lat2)));
    }
  });

  it('finds the members GEOSEARCH finds, by radius and by box', async () => {
    const scored = points.map((p) => ({ name: p.name, score: scoreOf(p.lon, p.lat)! })).sort((x, y) => x.score - y.score || (x.name < y.name ? -1 : 1));
    const search = (shape: Shape): string[] => {
      const found: string[] = [];
      const { cells } = searchCells(shape);
      let last: { bits: number; step: number } | null = null;
      for (const cell of cells) {
        if (cell === null) continue;
        if (last !== null && last.bits === cell.bits && last.step === cell.step) continue;
        const [min, max] = scoreRange(cell);
        for (const m of scored) {
          if (m.score < min || m.score >= max) continue;
          const [lon, lat] = pointOf(m.score);
          if (distanceWithin(shape, lon, lat) !== null) found.push(m.name);
        }
        last = cell;
      }
      return found.sort();
    };
    let nonEmpty = 0;
    for (let i = 0; i < 120; i++) {
      const centre = points[Math.floor(random() * points.length)]!;
      const lon = Math.max(-180, Math.min(180, centre.lon + pick(-1, 1)));
      const lat = Math.max(-85, Math.min(85, centre.lat + pick(-1, 1)));
      const unit = ['m', 'km', 'mi', 'ft'][i % 4]!;
      const conversion = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 }[unit]!;
      const size = 10 ** pick(0, i % 5 === 0 ? 7 : 5) / conversion;
      const box = i % 2 === 1;
      const args = box ? ['bybox', String(size), String(size * pick(0.3, 2)), unit] : ['byradius', String(size), unit];
      const reply = await conn.send(['geosearch', 'g', 'fromlonlat', String(lon), String(lat), ...args]);
      const expected = bulks(reply).sort();
      const shape: Shape = box
        ? { type: 'box', longitude: lon, latitude: lat, width: Number(args[1]), height: Number(args[2]), conversion }
        : { type: 'radius', longitude: lon, latitude: lat, radius: Number(args[1]), conversion };
      expect(search(shape), `${lon},${lat} ${args.join(' ')}`).toEqual(expected);
      if (expected.length > 0) nonEmpty++;
    }
    // The comparison means something only if many searches find members.
    expect(nonEmpty).toBeGreaterThan(40);
  });
});
