// A blocking command's timeout argument, read as Redis 7.0 reads it (timeout.c
// getTimeoutFromObjectOrReply): seconds as a long double (BLPOP, BZPOPMIN...) rounded up to the
// millisecond, or whole milliseconds (XREAD BLOCK). 0 waits for ever.

import { int64 } from '../commands/args.js';
import { parseLongDouble, type LongDouble } from '../util/long-double.js';

const INT64_LIMIT = 2 ** 63;
const INT64_LIMIT_N = 1n << 63n;

/** ceil(value * 1000) exactly, as Redis's ceill on a long double; null past the 64-bit range. */
function millis(value: LongDouble): number | null {
  if (value.inf) return null;
  const scaled = value.mant * 1000n;
  let ms: bigint;
  if (value.exp >= 0) ms = scaled << BigInt(value.exp);
  else {
    const shift = BigInt(-value.exp);
    ms = scaled >> shift;
    if (!value.neg && (ms << shift) !== scaled) ms += 1n;
  }
  if (ms >= INT64_LIMIT_N) return null;
  return value.neg ? -Number(ms) : Number(ms);
}

export type TimeoutUnit = 'seconds' | 'milliseconds';

/** Milliseconds to wait (0: for ever), or Redis's error text (without "ERR "). */
export function parseTimeout(arg: Uint8Array, unit: TimeoutUnit, now: number): number | string {
  let ms: number;
  if (unit === 'seconds') {
    const value = parseLongDouble(arg);
    if (value === null) return 'timeout is not a float or out of range';
    // Redis casts to a long long: infinities and values past its range come out as its most
    // negative value, hence "negative" for 1e300 or inf.
    const exact = millis(value);
    if (exact === null) return 'timeout is negative';
    ms = exact;
  } else {
    const value = int64(arg);
    if (value === null) return 'timeout is not an integer or out of range';
    ms = Number(value);
  }
  if (ms < 0) return 'timeout is negative';
  // Past the 64-bit clock (Redis's sum wraps), the wait never ends either.
  if (ms + now >= INT64_LIMIT) return 0;
  return ms === 0 ? 0 : ms;
}
