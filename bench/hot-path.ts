// `npm run bench` (the quick run, about two minutes): GET and SET of 32 B, 1 KiB and 16 KiB at
// pipelines 1 and 16, 50 clients, against sealkv, redis-server and the do-nothing Node server
// (bench/ceiling-server.ts), interleaved rounds (the order turns each round), medians with
// ranges, and each server's CPU time per request (all its threads, from /proc): on a shared
// machine that moves far less with other jobs' load than requests per second do. Checks issue
// #20's hot-path and large-value goals and exits non-zero on a miss.

import { flushAll } from './lib/fill.js';
import { type Goal } from './lib/goals.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { cpuNanos, startCeiling, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize, type Summary } from './lib/stats.js';

export interface HotRow {
  label: string;
  test: 'SET' | 'GET';
  pipeline: number;
  valueSize: number;
  rps: Partial<Record<BenchServer['name'], Summary>>;
  p99: Partial<Record<BenchServer['name'], Summary>>;
  /** Server CPU time per request, µs (every thread of the process). */
  cpu: Partial<Record<BenchServer['name'], Summary>>;
}

export const HOT_TESTS = ['SET', 'GET'] as const;

const SIZES = [32, 1024, 16 * 1024];
const PIPELINES = [1, 16];

function requestsFor(pipeline: number, size: number, scale: number): number {
  const base = pipeline === 1 ? 50_000 : size >= 16 * 1024 ? 30_000 : size >= 1024 ? 200_000 : 300_000;
  return Math.max(2_000, Math.round((size >= 16 * 1024 && pipeline === 1 ? 20_000 : base) * scale));
}

export function sizeLabel(size: number): string {
  return size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
}

export function hotLabel(test: string, pipeline: number, valueSize: number): string {
  return `${test} P${pipeline} ${sizeLabel(valueSize)}`;
}

/** Every workload label of the quick run, in its order ("SET P1 32 B", "GET P1 32 B", ...). */
export function hotLabels(): string[] {
  return SIZES.flatMap((size) => PIPELINES.flatMap((pipeline) => HOT_TESTS.map((test) => hotLabel(test, pipeline, size))));
}

/**
 * Whether a workload label is picked by `--only` terms: a term picks the labels that hold each
 * of its words ("GET 16 KiB": GET P1 and P16 of 16 KiB; "P1 16 KiB": SET and GET; "GET P1 16 KiB": one).
 */
export function picks(terms: readonly string[], label: string): boolean {
  const words = label.toLowerCase().split(' ');
  return terms.some((term) => term.toLowerCase().split(/\s+/).filter((w) => w !== '').every((w) => words.includes(w)));
}

/**
 * Runs the workloads `wanted` picks (all by default). Each test is its own redis-benchmark run, so
 * each has its own CPU figure; a GET picked without its SET still has the SET run first (unrecorded)
 * to fill the keys it reads.
 */
export async function runHotPath(rounds: number, scale = 1, wanted: (label: string) => boolean = () => true): Promise<HotRow[]> {
  const workloads: Workload[] = [];
  for (const valueSize of SIZES) {
    for (const pipeline of PIPELINES) {
      if (!HOT_TESTS.some((t) => wanted(hotLabel(t, pipeline, valueSize)))) continue;
      workloads.push({ tests: 'set,get', clients: 50, pipeline, valueSize, requests: requestsFor(pipeline, valueSize, scale) });
    }
  }
  if (workloads.length === 0) throw new Error(`no workload picked; the workloads are: ${hotLabels().join(', ')}`);
  const servers: BenchServer[] = [await startSealkv(), await startCeiling(32)];
  if (which('redis-server')) servers.push(await startRedis());
  else process.stderr.write('redis-server not installed (apt-get install redis-server): no ratios to Redis\n');
  const samples = new Map<string, Measurement[]>();
  const cpu = new Map<string, number[]>();
  const key = (server: string, w: Workload, test: string) => `${server}|${w.pipeline}|${w.valueSize}|${test}`;
  const push = <T>(map: Map<string, T[]>, k: string, v: T) => map.set(k, [...(map.get(k) ?? []), v]);
  try {
    for (const s of servers) await runRedisBenchmark(s.port, { ...workloads[0]!, pipeline: 16, valueSize: 32, requests: 20_000 }); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const w of workloads) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) {
          await flushAll(s.port);
          for (const test of HOT_TESTS) {
            const recorded = wanted(hotLabel(test, w.pipeline, w.valueSize));
            if (!recorded && test === 'GET') continue;
            const before = cpuNanos(s.pid);
            const [m] = await runRedisBenchmark(s.port, { ...w, tests: test.toLowerCase() });
            const used = cpuNanos(s.pid) - before;
            if (!recorded || m === undefined) continue;
            push(samples, key(s.name, w, test), m);
            push(cpu, key(s.name, w, test), used / 1000 / w.requests);
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
    for (const test of HOT_TESTS) {
      const label = hotLabel(test, w.pipeline, w.valueSize);
      if (!wanted(label)) continue;
      const row: HotRow = { label, test, pipeline: w.pipeline, valueSize: w.valueSize, rps: {}, p99: {}, cpu: {} };
      for (const s of servers) {
        const ms = samples.get(key(s.name, w, test));
        if (ms === undefined) continue;
        row.rps[s.name] = summarize(ms.map((m) => m.rps));
        row.p99[s.name] = summarize(ms.map((m) => m.p99));
        row.cpu[s.name] = summarize(cpu.get(key(s.name, w, test))!);
      }
      rows.push(row);
    }
  }
  return rows;
}

const ratio = (a?: Summary, b?: Summary) => (a && b ? a.median / b.median : NaN);

export function hotTable(rows: HotRow[]): string[] {
  const out = [
    '| workload (50 clients) | sealkv req/s | redis req/s | ceiling req/s | sealkv / redis | sealkv / ceiling | sealkv p99 ms | redis p99 ms | server CPU µs/req: sealkv, redis, ceiling |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const r = (s?: Summary, d = 0) => (s ? range(s, d) : 'n/a');
  const x = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)}x`);
  for (const row of rows) {
    out.push(
      `| ${row.label} | ${r(row.rps.sealkv)} | ${r(row.rps.redis)} | ${r(row.rps.ceiling)} | ${x(ratio(row.rps.sealkv, row.rps.redis))} | ` +
        `${x(ratio(row.rps.sealkv, row.rps.ceiling))} | ${r(row.p99.sealkv, 2)} | ${r(row.p99.redis, 2)} | ${cpuCell(row)} |`,
    );
  }
  return out;
}

/** The servers' median CPU µs per request, "–" for one not measured. */
function cpuCell(row: HotRow): string {
  const us = (s?: Summary) => (s ? fmt(s.median, s.median < 10 ? 1 : 0) : '–');
  return `${us(row.cpu.sealkv)}, ${us(row.cpu.redis)}, ${us(row.cpu.ceiling)}`;
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
