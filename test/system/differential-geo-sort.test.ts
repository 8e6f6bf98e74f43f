// Differential run of the geo commands and SORT against redis-server 7: random sequences over a
// few keys, every reply compared byte for byte in RESP2 and RESP3.
//
// Geo: points drawn from a pool (poles, the antimeridian, near neighbours, far ones) so searches
// cross cells and wrap; searches with every option, STORE/STOREDIST (the stored members and
// order compared; STOREDIST scores are compared by rank only, see README). SORT: lists and
// sorted sets of numbers and words, integer sets (Redis walks an intset in order; a hash
// table's order is its own), weights and hash fields for BY/GET, LIMIT, STORE. ALPHA with BY
// is left to lists, whose ties keep the load order in both servers.
//
// Bounded (DIFF_COUNT sequences, 120 by default; DIFF_SEED fixed) so it runs in well under a
// minute; the seed is printed with each mismatch so it replays.

import { describeDifferential, int as draw, pick, type Rnd, fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_COUNT'], 120, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261206, 'seed');


const int = (rnd: Rnd, lo: number, hi: number): string => String(draw(rnd, lo, hi));

// ---- geo ----

const GEO_KEYS = ['g1', 'g2', 'str'];
const PLACES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'pal', 'cat', '', '\x00x', '\xff'];
const BAD_COORDS = ['x', '181', '-200', 'nan', ''];
const UNITS = ['m', 'km', 'KM', 'mi', 'ft', 'yd'];

function coord(rnd: Rnd, max: number): string {
  const r = rnd();
  if (r < 0.03) return pick(rnd, BAD_COORDS);
  if (r < 0.1) return pick(rnd, [String(max), String(-max), '0', max === 180 ? '179.9999' : '85.05112878', max === 180 ? '-179.9999' : '-85.05112878']);
  // Clustered around Sicily half the time, so small radii find several members.
  if (r < 0.55) return (max === 180 ? 14 + rnd() * 2 : 37 + rnd() * 2).toFixed(5);
  return ((rnd() * 2 - 1) * (max === 180 ? 180 : 85)).toFixed(4);
}

function point(rnd: Rnd): [string, string] {
  return [coord(rnd, 180), coord(rnd, 85)];
}

function distanceArg(rnd: Rnd): string[] {
  const unit = rnd() < 0.03 ? pick(rnd, UNITS) : pick(rnd, UNITS.slice(0, 5));
  const r = rnd();
  const value = r < 0.03 ? pick(rnd, ['-1', 'x']) : r < 0.1 ? '0' : r < 0.7 ? String(Math.floor(rnd() * 300)) : String(Math.floor(rnd() * 20000));
  return [value, unit];
}

function searchOptions(rnd: Rnd, store: boolean): string[] {
  const out: string[] = [];
  if (!store) {
    if (rnd() < 0.4) out.push('WITHDIST');
    if (rnd() < 0.3) out.push('WITHCOORD');
    if (rnd() < 0.3) out.push('WITHHASH');
  }
  if (rnd() < 0.6) out.push(pick(rnd, ['ASC', 'DESC']));
  if (rnd() < 0.3) out.push('COUNT', int(rnd, rnd() < 0.05 ? -1 : 1, 5), ...(rnd() < 0.3 ? ['ANY'] : []));
  return out;
}

function origin(rnd: Rnd): string[] {
  return rnd() < 0.5 ? ['FROMMEMBER', pick(rnd, PLACES)] : ['FROMLONLAT', ...point(rnd)];
}

function shape(rnd: Rnd): string[] {
  if (rnd() < 0.6) return ['BYRADIUS', ...distanceArg(rnd)];
  const [w, unit] = distanceArg(rnd);
  return ['BYBOX', w!, distanceArg(rnd)[0]!, unit!];
}

const GEO: ((rnd: Rnd) => string[])[] = [
  (r) => ['GEOADD', pick(r, GEO_KEYS), ...pick(r, [[], [], ['NX'], ['XX'], ['CH'], ['XX', 'CH']]),
    ...Array.from({ length: 1 + Math.floor(r() * 4) }, () => [...point(r), pick(r, PLACES)]).flat()],
  (r) => ['GEOPOS', pick(r, GEO_KEYS), pick(r, PLACES), pick(r, PLACES)],
  (r) => ['GEOHASH', pick(r, GEO_KEYS), pick(r, PLACES), pick(r, PLACES)],
  (r) => ['GEODIST', pick(r, GEO_KEYS), pick(r, PLACES), pick(r, PLACES), ...(r() < 0.5 ? [pick(r, UNITS)] : [])],
  (r) => ['GEOSEARCH', pick(r, GEO_KEYS), ...origin(r), ...shape(r), ...searchOptions(r, false)],
  (r) => ['GEOSEARCH', pick(r, GEO_KEYS), ...origin(r), ...shape(r), ...searchOptions(r, false)],
  (r) => ['GEOSEARCHSTORE', pick(r, ['dst', 'g2']), pick(r, GEO_KEYS), ...origin(r), ...shape(r), ...searchOptions(r, true), ...(r() < 0.3 ? ['STOREDIST'] : [])],
  (r) => [pick(r, ['GEORADIUS', 'GEORADIUS_RO']), pick(r, GEO_KEYS), ...point(r), ...distanceArg(r), ...searchOptions(r, false)],
  (r) => [pick(r, ['GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO']), pick(r, GEO_KEYS), pick(r, PLACES), ...distanceArg(r), ...searchOptions(r, false)],
  (r) => ['GEORADIUS', pick(r, GEO_KEYS), ...point(r), ...distanceArg(r), ...searchOptions(r, true), pick(r, ['STORE', 'STOREDIST']), 'dst'],
  (r) => ['ZRANGE', pick(r, ['dst', 'g1', 'g2']), '0', '-1'],
  (r) => ['ZREM', pick(r, GEO_KEYS), pick(r, PLACES)],
  () => ['SET', 'str', 'v'],
];

// ---- SORT ----

const NUMBERS = ['1', '2', '10', '-3', '2.5', '0', '007', '1e2', '-0', '3'];
const WORDS = ['apple', 'Banana', 'cherry', 'a', '', 'b\x00c', 'zeta', '10', 'x y'];
const SORT_KEYS = ['ln', 'lw', 'si', 'zn', 'zw', 'str', 'nokey'];

function element(rnd: Rnd, key: string): string {
  if (key === 'si') return int(rnd, -20, 20);
  return key.endsWith('n') ? pick(rnd, NUMBERS) : pick(rnd, WORDS);
}

function sortOptions(rnd: Rnd, key: string): string[] {
  const out: string[] = [];
  const alphaKey = key === 'lw' || key === 'zw';
  const by = rnd();
  let byPattern = false;
  if (by < 0.15) out.push('BY', 'nosort');
  else if (by < 0.4) {
    out.push('BY', pick(rnd, ['w_*', 'h_*->f', 'missing_*']));
    byPattern = true;
  }
  if (rnd() < 0.3) out.push('GET', pick(rnd, ['#', 'w_*', 'h_*->g', 'nostar']));
  if (rnd() < 0.2) out.push('GET', '#');
  if (rnd() < 0.5) out.push(pick(rnd, ['ASC', 'DESC']));
  const alpha = alphaKey ? rnd() < 0.9 : rnd() < 0.15;
  if (alpha && !(byPattern && !key.startsWith('l'))) out.push('ALPHA');
  else if (byPattern && !key.startsWith('l') && alphaKey) out.splice(out.indexOf('BY'), 2);
  if (rnd() < 0.35 && !(alpha && byPattern)) out.push('LIMIT', int(rnd, -1, 4), int(rnd, -1, 4));
  return out;
}

const SORT: ((rnd: Rnd) => string[])[] = [
  (r) => {
    const key = pick(r, ['ln', 'lw']);
    return ['RPUSH', key, ...Array.from({ length: 1 + Math.floor(r() * 5) }, () => element(r, key))];
  },
  (r) => ['SADD', 'si', ...Array.from({ length: 1 + Math.floor(r() * 5) }, () => element(r, 'si'))],
  (r) => {
    const key = pick(r, ['zn', 'zw']);
    return ['ZADD', key, ...Array.from({ length: 1 + Math.floor(r() * 4) }, () => [int(r, 0, 5), element(r, key)]).flat()];
  },
  (r) => ['SET', `w_${element(r, pick(r, ['ln', 'lw', 'si']))}`, pick(r, [...NUMBERS, ...WORDS, 'nan'])],
  (r) => ['HSET', `h_${element(r, pick(r, ['ln', 'lw', 'si']))}`, 'f', pick(r, NUMBERS), 'g', pick(r, WORDS)],
  (r) => {
    const key = pick(r, SORT_KEYS);
    return [pick(r, ['SORT', 'SORT', 'SORT_RO']), key, ...sortOptions(r, key)];
  },
  (r) => {
    const key = pick(r, SORT_KEYS);
    return ['SORT', key, ...sortOptions(r, key), 'STORE', pick(r, ['out', 'ln'])];
  },
  (r) => ['LRANGE', pick(r, ['out', 'ln']), '0', '-1'],
  () => ['SET', 'str', '1'],
];

/** Keys each sort sequence starts with, so most SORTs have something to sort, weigh and get. */
function sortSetup(rnd: Rnd): string[][] {
  const many = (key: string, n: number) => Array.from({ length: n }, () => element(rnd, key));
  const out: string[][] = [
    ['RPUSH', 'ln', ...many('ln', 6)], ['RPUSH', 'lw', ...many('lw', 6)], ['SADD', 'si', ...many('si', 6)],
    ['ZADD', 'zn', ...many('zn', 5).flatMap((m) => [int(rnd, 0, 4), m])], ['ZADD', 'zw', ...many('zw', 5).flatMap((m) => [int(rnd, 0, 4), m])],
  ];
  for (let i = 0; i < 8; i++) out.push(SORT[3]!(rnd), SORT[4]!(rnd));
  return out;
}

describeDifferential('geo and SORT: differential run against redis-server 7', [
  { what: 'geo sequences', count: COUNT, seed: SEED, length: 16, command: (rnd) => pick(rnd, GEO)(rnd) },
  { what: 'sort sequences', count: COUNT, seed: SEED + 10, length: 16, command: (rnd) => pick(rnd, SORT)(rnd), setup: sortSetup },
]);
