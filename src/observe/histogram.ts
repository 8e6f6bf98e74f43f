// Latency histogram with HdrHistogram's layout and percentile rule (as Redis's INFO
// latencystats uses, hdr_init(1, 1e9, 2)): values in nanoseconds from 1 ns to 1 s, two
// significant digits, 3,072 counters. Redis's histograms are HdrHistograms, so the same layout
// reports the same numbers for the same samples (a 1 µs command reads p50=1.003). Counters are a
// Float64Array: exact integers up to 2^53, no bigint on the hot path.

/** Two significant digits: 2 * 10^2 values at unit resolution, rounded up to a power of two. */
const SUB_BUCKET_BITS = 8;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS; // 256
const HALF_BITS = SUB_BUCKET_BITS - 1;
const HALF_COUNT = 1 << HALF_BITS; // 128
const MASK = SUB_BUCKET_COUNT - 1;
/** Redis's LATENCY_HISTOGRAM_MIN_VALUE / MAX_VALUE, in ns. */
export const HISTOGRAM_MIN = 1;
export const HISTOGRAM_MAX = 1_000_000_000;
/** Buckets until 256 << (n - 1) exceeds HISTOGRAM_MAX: 23, so (23 + 1) * 128 counters. */
const BUCKETS = 23;
const COUNTS = (BUCKETS + 1) * HALF_COUNT;

function bucketOf(v: number): number {
  return 32 - Math.clz32(v | MASK) - SUB_BUCKET_BITS;
}

function indexOf(v: number): number {
  const bucket = bucketOf(v);
  const sub = v >>> bucket;
  return ((bucket + 1) << HALF_BITS) + (sub - HALF_COUNT);
}

function valueAt(index: number): number {
  let bucket = (index >> HALF_BITS) - 1;
  let sub = (index & (HALF_COUNT - 1)) + HALF_COUNT;
  if (bucket < 0) {
    sub -= HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The largest value counted in the same counter as v. */
function highestEquivalent(v: number): number {
  const bucket = bucketOf(v);
  const sub = v >>> bucket;
  const lowest = sub * 2 ** bucket;
  const size = 2 ** (sub >= SUB_BUCKET_COUNT ? bucket + 1 : bucket);
  return lowest + size - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS);
  total = 0;

  /** Records one duration in nanoseconds, clamped to [1 ns, 1 s] as Redis does. */
  record(ns: number): void {
    const v = ns < HISTOGRAM_MIN ? HISTOGRAM_MIN : ns > HISTOGRAM_MAX ? HISTOGRAM_MAX : Math.floor(ns);
    this.counts[indexOf(v)]++;
    this.total++;
  }

  /** hdr_value_at_percentile: the highest value of the counter where the count reaches p%. */
  valueAtPercentile(p: number): number {
    if (this.total === 0) return 0;
    const wanted = Math.max(1, Math.floor((Math.min(p, 100) / 100) * this.total + 0.5));
    let seen = 0;
    for (let i = 0; i < COUNTS; i++) {
      seen += this.counts[i]!;
      if (seen >= wanted) {
        const v = valueAt(i);
        return p === 0 ? v : highestEquivalent(v);
      }
    }
    return 0;
  }

  /**
   * Samples at or below each bound (ns, ascending), as cumulative counts: Prometheus histogram
   * buckets. A sample counts toward the bound that falls in its counter (two significant digits).
   */
  cumulativeAt(bounds: readonly number[]): number[] {
    const out: number[] = [];
    let seen = 0;
    let next = 0;
    for (const bound of bounds) {
      const last = indexOf(Math.min(Math.max(Math.floor(bound), HISTOGRAM_MIN), HISTOGRAM_MAX));
      for (; next <= last; next++) seen += this.counts[next]!;
      out.push(seen);
    }
    return out;
  }

  /**
   * LATENCY HISTOGRAM's buckets (HdrHistogram's logarithmic iteration from 1024 ns, doubling):
   * [highest value of the level in µs, samples up to that level] for each level that added
   * samples, ending at the level that holds the largest.
   */
  logBuckets(): [number, number][] {
    const out: [number, number][] = [];
    let seen = 0;
    let next = 0;
    for (let level = 1024; seen < this.total && level <= 2 * HISTOGRAM_MAX; level *= 2) {
      const last = Math.min(indexOf(level), COUNTS - 1);
      const before = seen;
      for (; next <= last; next++) seen += this.counts[next]!;
      if (seen > before) out.push([Math.floor(highestEquivalent(level) / 1000), seen]);
    }
    return out;
  }
}
