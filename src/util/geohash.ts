// Redis's geohash arithmetic (geohash.c, geohash_helper.c, the number formats of geo.c), so GEO
// commands give Redis's scores, hashes, positions and distances to the printed digit. A point is
// a 52-bit sorted-set score: latitude and longitude each cut into 2^26 steps over Redis's ranges
// (latitude only to +-85.05112878, the Web Mercator limit) and interleaved, latitude on the even
// bits. Scores stay below 2^53, so plain doubles hold them exactly; the interleaving goes through
// 13-bit tables instead of 64-bit integers.

export const LONG_MIN = -180;
export const LONG_MAX = 180;
export const LAT_MIN = -85.05112878;
export const LAT_MAX = 85.05112878;
/** Steps per axis of a stored point: 26 + 26 bits = a 52-bit score. */
export const STEP_MAX = 26;

const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180;
const TWO_26 = 2 ** 26;

export interface Range {
  min: number;
  max: number;
}

export interface Area {
  longitude: Range;
  latitude: Range;
}

/** A cell: `bits` holds 2 * step interleaved bits. */
export interface Cell {
  bits: number;
  step: number;
}

const WGS84_LONG: Range = { min: LONG_MIN, max: LONG_MAX };
const WGS84_LAT: Range = { min: LAT_MIN, max: LAT_MAX };

// spread[i]: the 13 bits of i moved to the even bit positions of a 26-bit number.
const SPREAD = new Uint32Array(1 << 13);
// EVEN[v] / ODD[v]: the 8 even / odd bits of a 16-bit v, packed.
const EVEN = new Uint8Array(1 << 16);
const ODD = new Uint8Array(1 << 16);
// Filled with the shift-and-mask steps rather than a loop per bit: this runs at start-up, before
// the JIT, and the bit loops took tens of ms of it.
for (let i = 0; i < 1 << 13; i++) {
  let x = i;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  SPREAD[i] = x;
}
for (let v = 0; v < 1 << 16; v++) {
  EVEN[v] = compact8(v);
  ODD[v] = compact8(v >>> 1);
}

/** The 8 even bits of a 16-bit value, packed (the inverse of spreading). */
function compact8(v: number): number {
  let x = v & 0x5555;
  x = (x | (x >>> 1)) & 0x3333;
  x = (x | (x >>> 2)) & 0x0f0f;
  return (x | (x >>> 4)) & 0x00ff;
}

/** A 26-bit value spread over the even bits of a 52-bit number. */
function spread26(x: number): number {
  return SPREAD[x >>> 13]! * TWO_26 + SPREAD[x & 0x1fff]!;
}

/**
 * Interleaves two indexes (`even` on the even bits, `odd` on the odd ones). An index is below
 * 2^26 but for a point exactly on the upper limit, where C's conversion gives 2^26 itself: that
 * rare case goes through BigInt, and the result is rounded to a double as Redis's score is.
 */
export function interleave(even: number, odd: number): number {
  if (even < TWO_26 && odd < TWO_26) return spread26(even) + 2 * spread26(odd);
  let out = 0n;
  for (let b = 0n; b < 32n; b++) {
    out |= ((BigInt(even) >> b) & 1n) << (2n * b);
    out |= ((BigInt(odd) >> b) & 1n) << (2n * b + 1n);
  }
  return Number(out);
}

/** The two indexes of an interleaved number: [even bits, odd bits]. */
export function deinterleave(bits: number | bigint): [even: number, odd: number] {
  if (typeof bits === 'bigint' || bits >= 2 ** 52) {
    const big = BigInt(bits);
    let even = 0n;
    let odd = 0n;
    for (let b = 0n; b < 32n; b++) {
      even |= ((big >> (2n * b)) & 1n) << b;
      odd |= ((big >> (2n * b + 1n)) & 1n) << b;
    }
    return [Number(even), Number(odd)];
  }
  const hi = Math.floor(bits / TWO_26);
  const lo = bits - hi * TWO_26;
  const lo16 = lo & 0xffff;
  const lo10 = lo >>> 16;
  const hi16 = hi & 0xffff;
  const hi10 = hi >>> 16;
  const even = ((EVEN[hi16]! | (EVEN[hi10]! << 8)) << 13) | EVEN[lo16]! | (EVEN[lo10]! << 8);
  const odd = ((ODD[hi16]! | (ODD[hi10]! << 8)) << 13) | ODD[lo16]! | (ODD[lo10]! << 8);
  return [even >>> 0, odd >>> 0];
}

/** geohashEncode: null outside the ranges (or Redis's fixed limits). */
export function encode(longitude: number, latitude: number, step: number, longRange = WGS84_LONG, latRange = WGS84_LAT): Cell | null {
  if (step > 32 || step === 0) return null;
  // Redis's fixed limits apply whatever the ranges (GEOHASH re-encodes points already inside them).
  if (longitude > LONG_MAX || longitude < LONG_MIN || latitude > LAT_MAX || latitude < LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) return null;
  const scale = 2 ** step;
  // C converts the offsets to uint32_t: truncation, and the maximum itself lands on 2^step.
  const latIndex = Math.trunc(((latitude - latRange.min) / (latRange.max - latRange.min)) * scale) >>> 0;
  const longIndex = Math.trunc(((longitude - longRange.min) / (longRange.max - longRange.min)) * scale) >>> 0;
  return { bits: interleave(latIndex, longIndex), step };
}

/** geohashDecode: the cell's bounds. */
export function decode(cell: { bits: number | bigint; step: number }, longRange = WGS84_LONG, latRange = WGS84_LAT): Area {
  const [latIndex, longIndex] = deinterleave(cell.bits);
  const scale = 2 ** cell.step;
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  return {
    latitude: { min: latRange.min + (latIndex / scale) * latScale, max: latRange.min + ((latIndex + 1) / scale) * latScale },
    longitude: { min: longRange.min + (longIndex / scale) * longScale, max: longRange.min + ((longIndex + 1) / scale) * longScale },
  };
}

/** The centre of a cell, clamped to Redis's limits: [longitude, latitude]. */
export function center(area: Area): [number, number] {
  let lon = (area.longitude.min + area.longitude.max) / 2;
  let lat = (area.latitude.min + area.latitude.max) / 2;
  if (lon > LONG_MAX) lon = LONG_MAX;
  if (lon < LONG_MIN) lon = LONG_MIN;
  if (lat > LAT_MAX) lat = LAT_MAX;
  if (lat < LAT_MIN) lat = LAT_MIN;
  return [lon, lat];
}

/** The 52-bit score of a point (GEOADD), or null outside Redis's limits. */
export function scoreOf(longitude: number, latitude: number): number | null {
  const cell = encode(longitude, latitude, STEP_MAX);
  return cell === null ? null : cell.bits;
}

/** A stored score back to the centre of its cell: [longitude, latitude] (Redis decodeGeohash). */
export function pointOf(score: number): [number, number] {
  return center(decode({ bits: uint64Of(score), step: STEP_MAX }));
}

/**
 * The double-to-uint64_t conversion of Redis's x86-64 build (GCC: cvttsd2si, through x - 2^63
 * from 2^63 up), which decodeGeohash applies to any score ZADD may have stored: a negative
 * score wraps (-1 is all ones: the clamped corner 180, 85.05...), one out of range becomes
 * 2^63 below 2^63 and 0 from 2^64 up (+-inf included).
 */
function uint64Of(score: number): number | bigint {
  if (score >= 0 && score < 2 ** 53) return Math.trunc(score);
  if (score >= 2 ** 64) return 0;
  if (score >= 2 ** 63) return BigInt(score);
  const n = Math.trunc(score);
  return n < -(2 ** 63) ? 2n ** 63n : 2n ** 64n + BigInt(n);
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** GEOHASH's 11-character string: the point re-encoded over the standard +-90 latitude range. */
export function hashString(score: number): string {
  const [lon, lat] = pointOf(score);
  const cell = encode(lon, lat, STEP_MAX, { min: -180, max: 180 }, { min: -90, max: 90 });
  const bits = cell === null ? 0 : cell.bits;
  let out = '';
  for (let i = 0; i < 11; i++) {
    // Only 52 bits: the eleventh character is always '0', as in Redis.
    const idx = i === 10 ? 0 : Math.floor(bits / 2 ** (52 - (i + 1) * 5)) % 32;
    out += ALPHABET[idx];
  }
  return out;
}

/**
 * A cell moved by (dx, dy) cells, wrapping around like geohash_move_x/_y. Those return at once
 * for a zero move, so an index past the grid (a point on the 180th meridian or on the top
 * latitude encodes as 2^step) stays past it in the north/south (east/west) neighbours.
 */
function moved(cell: Cell, dx: number, dy: number): Cell {
  const [lat, lon] = deinterleave(cell.bits);
  const size = 2 ** cell.step;
  return { bits: interleave(dy === 0 ? lat : (lat + dy + size) % size, dx === 0 ? lon : (lon + dx + size) % size), step: cell.step };
}

/** The nine cells a search looks at, in Redis's order; null for cells it leaves out. */
export interface SearchCells {
  cells: (Cell | null)[];
  /** The centre cell's bounds. */
  area: Area;
}

export type Shape =
  | { type: 'radius'; longitude: number; latitude: number; radius: number; conversion: number }
  | { type: 'box'; longitude: number; latitude: number; width: number; height: number; conversion: number };

/** geohashEstimateStepsByRadius. */
export function stepsForRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(26, Math.max(1, step));
}

function radDeg(rad: number): number {
  return rad / D_R;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat]. */
function boundingBox(shape: Shape): [number, number, number, number] {
  const { longitude, latitude, conversion } = shape;
  const height = conversion * (shape.type === 'radius' ? shape.radius : shape.height / 2);
  const width = conversion * (shape.type === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos((latitude + latDelta) * D_R));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos((latitude - latDelta) * D_R));
  const south = latitude < 0;
  return [
    south ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    south ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/** geohashCalculateAreasByShapeWGS84: the centre cell and its eight neighbours worth searching. */
export function searchCells(shape: Shape): SearchCells {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const { longitude, latitude } = shape;
  const radius = (shape.type === 'radius' ? shape.radius : Math.sqrt((shape.width / 2) ** 2 + (shape.height / 2) ** 2)) * shape.conversion;
  let steps = stepsForRadius(radius, latitude);
  let cell = encode(longitude, latitude, steps)!;
  let n = neighbours(cell);
  let area = decode(cell);
  const north = decode(n.north);
  const south = decode(n.south);
  const east = decode(n.east);
  const west = decode(n.west);
  const decrease = north.latitude.max < maxLat || south.latitude.min > minLat || east.longitude.max < maxLon || west.longitude.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    cell = encode(longitude, latitude, steps)!;
    n = neighbours(cell);
    area = decode(cell);
  }
  const use = { north: true, south: true, east: true, west: true };
  if (steps >= 2) {
    if (area.latitude.min < minLat) use.south = false;
    if (area.latitude.max > maxLat) use.north = false;
    if (area.longitude.min < minLon) use.west = false;
    if (area.longitude.max > maxLon) use.east = false;
  }
  const keep = (c: Cell, ...ok: boolean[]) => (ok.every(Boolean) ? c : null);
  return {
    area,
    cells: [
      cell,
      keep(n.north, use.north),
      keep(n.south, use.south),
      keep(n.east, use.east),
      keep(n.west, use.west),
      keep(n.northEast, use.north, use.east),
      keep(n.northWest, use.north, use.west),
      keep(n.southEast, use.south, use.east),
      keep(n.southWest, use.south, use.west),
    ],
  };
}

function neighbours(cell: Cell) {
  return {
    north: moved(cell, 0, 1),
    south: moved(cell, 0, -1),
    east: moved(cell, 1, 0),
    west: moved(cell, -1, 0),
    northEast: moved(cell, 1, 1),
    northWest: moved(cell, -1, 1),
    southEast: moved(cell, 1, -1),
    southWest: moved(cell, -1, -1),
  };
}

/** The score range [min, max) of the points inside a cell (scoresOfGeoHashBox). */
export function scoreRange(cell: Cell): [min: number, max: number] {
  const shift = 2 ** (52 - cell.step * 2);
  return [cell.bits * shift, (cell.bits + 1) * shift];
}

function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(lat2 * D_R - lat1 * D_R);
}

/** geohashGetDistance: haversine over Redis's earth radius, in meters. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const v = Math.sin((lon2 * D_R - lon1 * D_R) / 2);
  if (v === 0) return latDistance(lat1, lat2);
  const lat1r = lat1 * D_R;
  const lat2r = lat2 * D_R;
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** The distance of a point from the shape's centre in meters if it lies inside, else null (geoWithinShape). */
export function distanceWithin(shape: Shape, lon: number, lat: number): number | null {
  if (shape.type === 'radius') {
    const d = distance(shape.longitude, shape.latitude, lon, lat);
    return d > shape.radius * shape.conversion ? null : d;
  }
  const width = shape.width * shape.conversion;
  const height = shape.height * shape.conversion;
  if (latDistance(shape.latitude, lat) > height / 2) return null;
  if (distance(lon, lat, shape.longitude, lat) > width / 2) return null;
  return distance(shape.longitude, shape.latitude, lon, lat);
}

/** Round half to even, as C's llrint in the default rounding mode. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Redis fixedpoint_d2string(d, 4): distances as GEODIST and WITHDIST print them. */
export function formatDistance(d: number): string {
  if (d === 0) return '0.0000';
  const scaled = rint(d * 10000);
  const neg = scaled < 0;
  const digits = String(Math.abs(scaled)).padStart(5, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

/** Redis's unit names (extractUnitOrReply): meters per unit, or null. */
export function unitMeters(unit: string): number | null {
  switch (unit.toLowerCase()) {
    case 'm': return 1;
    case 'km': return 1000;
    case 'ft': return 0.3048;
    case 'mi': return 1609.34;
    default: return null;
  }
}
