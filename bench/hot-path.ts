// `npm run bench` (the quick run, about two minutes): GET and SET of 32 B, 1 KiB and 16 KiB at
// pipelines 1 and 16, 50 clients, against sealkv, redis-server and the do-nothing Node server
// (bench/ceiling-server.ts), interleaved rounds (the order turns each round), medians with
// ranges. Checks issue #20's hot-path and large-value goals and exits non-zero on a miss.

import { flushAll } from './lib/fill.js';
import { type Goal } from './lib/goals.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { startCeiling, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { range, summarize, type Summary } from './lib/stats.js';

export interface HotRow {
  label: string;
  test: 'SET' | 'GET';
  pipeline: number;
  valueSize: number;
  rps: Partial<Record<BenchServer['name'], Summary>>;
  p99: Partial<Record<BenchServer['name'], Summary>>;
}

const SIZES = [32, 1024, 16 * 1024];
const PIPELINES = [1, 16];

function requestsFor(pipeline: number, size: number, scale: number): number {
  const base = pipeline === 1 ? 50_000 : size >= 16 * 1024 ? 30_000 : size >= 1024 ? 200_000 : 300_000;
  return Math.max(2_000, Math.round((size >= 16 * 1024 && pipeline === 1 ? 20_000 : base) * scale));
}

export function sizeLabel(size: number): string {
  return size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

export async function runHotPath(rounds: number, scale = 1): Promise<HotRow[]> {
  const servers: BenchServer[] = [await startSealkv(), await startCeiling(32)];
  if (which('redis-server')) servers.push(await startRedis());
  else process.stderr.write('redis-server not installed (apt-get install redis-server): no ratios to Redis\n');
  const workloads: Workload[] = [];
  for (const valueSize of SIZES) {
    for (const pipeline of PIPELINES) workloads.push({ tests: 'set,get', clients: 50, pipeline, valueSize, requests: requestsFor(pipeline, valueSize, scale) });
  }
  const samples = new Map<string, Measurement[]>();
  const key = (server: string, w: Workload, test: string) => `${server}|${w.pipeline}|${w.valueSize}|${test}`;
  try {
    for (const s of servers) await runRedisBenchmark(s.port, { ...workloads[1]!, requests: 20_000 }); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const w of workloads) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) {
          await flushAll(s.port);
          for (const m of await runRedisBenchmark(s.port, w)) {
            const k = key(s.name, w, m.test);
            samples.set(k, [...(samples.get(k) ?? []), m]);
          }
        }
        process.stderr.write('.');
      }
    }
    process.stderr.write('\n');
  } finally {
    for (const s of servers) await s.stop();
  }
  const rows: HotRow[] = [];
  for (const w of workloads) {
    for (const test of ['SET', 'GET'] as const) {
      const row: HotRow = { label: `${test} P${w.pipeline} ${sizeLabel(w.valueSize)}`, test, pipeline: w.pipeline, valueSize: w.valueSize, rps: {}, p99: {} };
      for (const s of servers) {
        const ms = samples.get(key(s.name, w, test));
        if (ms === undefined) continue;
        row.rps[s.name] = summarize(ms.map((m) => m.rps));
        row.p99[s.name] = summarize(ms.map((m) => m.p99));
      }
      rows.push(row);
    }
  }
  return rows;
}

const ratio = (a?: Summary, b?: Summary) => (a && b ? a.median / b.median : NaN);

export function hotTable(rows: HotRow[]): string[] {
  const out = [
    '| workload (50 clients) | sealkv req/s | redis req/s | ceiling req/s | sealkv / redis | sealkv / ceiling | sealkv p99 ms | redis p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const r = (s?: Summary, d = 0) => (s ? range(s, d) : 'n/a');
  const x = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)}x`);
  for (const row of rows) {
    out.push(
      `| ${row.label} | ${r(row.rps.sealkv)} | ${r(row.rps.redis)} | ${r(row.rps.ceiling)} | ${x(ratio(row.rps.sealkv, row.rps.redis))} | ` +
        `${x(ratio(row.rps.sealkv, row.rps.ceiling))} | ${r(row.p99.sealkv, 2)} | ${r(row.p99.redis, 2)} |`,
    );
  }
  return out;
}

/** Issue #20 items 1 and 2: the hot path and the 1 KiB / 16 KiB values. */
export function hotGoals(rows: HotRow[]): Goal[] {
  const goals: Goal[] = [];
  for (const row of rows) {
    const toRedis = ratio(row.rps.sealkv, row.rps.redis);
    if (!Number.isNaN(toRedis)) {
      const want = row.pipeline === 16 ? 0.6 : row.valueSize === 32 ? 1.0 : 0.9;
      goals.push({ what: `${row.label}: sealkv / redis-server`, actual: toRedis, want, kind: 'min', unit: 'x' });
    }
    if (row.valueSize === 32 && row.pipeline === 16) {
      goals.push({ what: `${row.label}: sealkv / do-nothing Node server`, actual: ratio(row.rps.sealkv, row.rps.ceiling), want: 0.6, kind: 'min', unit: 'x' });
    }
    if (row.valueSize === 32 && row.pipeline === 1 && row.p99.sealkv) {
      goals.push({ what: `${row.label}: sealkv p99`, actual: row.p99.sealkv.median, want: 1, kind: 'max', unit: 'ms' });
    }
  }
  return goals;
}
