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
});
