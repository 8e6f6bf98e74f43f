// The latency histogram reports what Redis's HdrHistogram (1 ns .. 1 s, two significant
// digits) reports for the same samples: the highest value of the counter a percentile falls in.

import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../src/observe/histogram.js';

describe('LatencyHistogram', () => {
  it('reads a 1 µs command as Redis does (p50=1.003 µs)', () => {
    const h = new LatencyHistogram();
    h.record(1000);
    expect(h.valueAtPercentile(50)).toBe(1003);
    expect(h.valueAtPercentile(100)).toBe(1003);
    expect(h.valueAtPercentile(0)).toBe(1000);
  });

  it('keeps two significant digits over the whole range, clamped to 1 ns .. 1 s', () => {
    for (const v of [1, 7, 200, 255, 256, 1023, 4096, 77_777, 1_234_567, 999_999_999]) {
      const h = new LatencyHistogram();
      h.record(v);
      const got = h.valueAtPercentile(50);
      expect(got).toBeGreaterThanOrEqual(v);
      expect((got - v) / v).toBeLessThan(0.01);
    }
    const h = new LatencyHistogram();
    h.record(0);
    h.record(5e9);
    expect(h.valueAtPercentile(0)).toBe(1);
    expect(h.valueAtPercentile(100)).toBeGreaterThanOrEqual(1e9);
    expect(h.valueAtPercentile(100)).toBeLessThan(1.01e9);
  });

  it('finds percentiles by count, rounding the wanted count as HdrHistogram does', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i * 1000);
    expect(h.valueAtPercentile(50)).toBe(50_175);
    expect(h.valueAtPercentile(99)).toBe(99_327);
    expect(h.valueAtPercentile(99.9)).toBe(100_351);
    expect(h.total).toBe(100);
  });

  it('gives LATENCY HISTOGRAM the buckets redis-server 7.0 printed for the same latencies', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 6; i++) h.record(7000);
    // redis-server: SET called 6 times at about 7 µs -> histogram_usec 8 => 6.
    expect(h.logBuckets()).toEqual([[8, 6]]);
    const info = new LatencyHistogram();
    for (const us of [25, 40, 45, 100, 110, 120, 500, 700]) info.record(us * 1000);
    // Levels double from 1024 ns; each is named by its highest value in µs, as Redis prints them.
    expect(info.logBuckets()).toEqual([[33, 1], [66, 3], [132, 6], [528, 7], [1056, 8]]);
  });

  it('gives cumulative counts at Prometheus bucket bounds (/metrics)', () => {
    const h = new LatencyHistogram();
    for (const us of [5, 9, 20, 20, 300, 2000]) h.record(us * 1000);
    h.record(5e9); // clamped to 1 s
    expect(h.cumulativeAt([10_000, 25_000, 1_000_000, 1_000_000_000])).toEqual([2, 4, 5, 7]);
    expect(h.cumulativeAt([1, 100])).toEqual([0, 0]);
  });
});
