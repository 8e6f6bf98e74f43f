// `npm run bench -- --curve`: the cost curve. sealkv and redis-server side by side in one run,
// rounds interleaved, along four axes: value size (32 B .. 1 MiB), number of keys (10 k .. 10 M,
// with RSS per key), concurrent clients (1 .. 5,000) and pipeline depth (1 .. 128). Each axis gets
// a table, a plot (bench/results/curve-<axis>.svg) and its growth order: the slope of the cost per
// request (1 / throughput) against the axis on a log-log scale, fitted for each server, and the
// largest drop of the sealkv/redis ratio between neighbouring points (a cliff).
//
//   npm run bench -- --curve [--rounds 2] [--max-keys 10000000] [--max-clients 5000]

import { writeFileSync } from 'node:fs';
import { type AeadBound, measureAeadBound } from './lib/aead-bound.js';
import { lineChart, type Series } from './lib/chart.js';
import { benchmarkKey, fill, flushAll } from './lib/fill.js';
import { type Goal } from './lib/goals.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { rssBytes, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize, type Summary } from './lib/stats.js';
import { sizeLabel } from './hot-path.js';

type Name = 'sealkv' | 'redis';
type Axis = 'size' | 'keys' | 'clients' | 'pipeline';

export interface Point {
  x: number;
  test: 'SET' | 'GET';
  rps: Partial<Record<Name, Summary>>;
  p50: Partial<Record<Name, Summary>>;
  p99: Partial<Record<Name, Summary>>;
  /** keys axis: RSS growth per key. */
  rssPerKey?: Partial<Record<Name, number>>;
}

export interface CurveOptions {
  rounds: number;
  maxKeys: number;
  maxClients: number;
}

const AXES: Record<Axis, { title: string; unit: string; xs: number[]; tick: (x: number) => string }> = {
  size: { title: 'value size', unit: 'value size', xs: [32, 256, 1024, 4096, 16384, 65536, 262144, 1048576], tick: sizeLabel },
  keys: { title: 'number of keys', unit: 'keys', xs: [10_000, 100_000, 1_000_000, 10_000_000], tick: (x) => (x >= 1e6 ? `${x / 1e6}M` : `${x / 1e3}k`) },
  clients: { title: 'concurrent clients', unit: 'clients', xs: [1, 10, 50, 200, 1000, 5000], tick: String },
  pipeline: { title: 'pipeline depth', unit: 'pipeline', xs: [1, 4, 16, 64, 128], tick: String },
};

/** The workload of one point of an axis (32 B, 50 clients, pipeline 1 unless the axis varies it). */
function workloadOf(axis: Axis, x: number): Workload {
  switch (axis) {
    case 'size':
      return { tests: 'set,get', clients: 50, pipeline: 1, valueSize: x, requests: Math.max(1_000, Math.min(60_000, Math.round(2e9 / (x + 30_000)))) };
    case 'clients':
      return { tests: 'set,get', clients: x, pipeline: 1, valueSize: 32, requests: x === 1 ? 20_000 : Math.max(60_000, x * 20) };
    case 'pipeline':
      return { tests: 'set,get', clients: 50, pipeline: x, valueSize: 32, requests: x === 1 ? 60_000 : 300_000 };
    case 'keys':
      return { tests: 'get', clients: 50, pipeline: 16, valueSize: 32, requests: 200_000 };
  }
}

function runKeyed(port: number, w: Workload, keys: number): Promise<Measurement[]> {
  return runRedisBenchmark(port, w, keys);
}

async function loadAxis(axis: Axis, xs: number[], servers: BenchServer[], rounds: number): Promise<Point[]> {
  const samples = new Map<string, Measurement[]>();
  const k = (s: string, x: number, t: string) => `${s}|${x}|${t}`;
  for (let round = 0; round < rounds; round++) {
    for (const x of xs) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        await flushAll(s.port);
        for (const m of await runRedisBenchmark(s.port, workloadOf(axis, x))) samples.set(k(s.name, x, m.test), [...(samples.get(k(s.name, x, m.test)) ?? []), m]);
      }
      process.stderr.write('.');
    }
  }
  return toPoints(xs, ['SET', 'GET'], servers.map((s) => s.name as Name), (n, x, t) => samples.get(k(n, x, t)));
}

function toPoints(xs: number[], tests: ('SET' | 'GET')[], names: Name[], get: (n: Name, x: number, t: string) => Measurement[] | undefined): Point[] {
  const points: Point[] = [];
  for (const x of xs) {
    for (const test of tests) {
      const p: Point = { x, test, rps: {}, p50: {}, p99: {} };
      for (const n of names) {
        const ms = get(n, x, test);
        if (!ms || ms.length === 0) continue;
        p.rps[n] = summarize(ms.map((m) => m.rps));
        p.p50[n] = summarize(ms.map((m) => m.p50));
        p.p99[n] = summarize(ms.map((m) => m.p99));
      }
      points.push(p);
    }
  }
  return points;
}

/** The keys axis: fresh servers per size, filled, RSS measured, then GET P16 over those keys. */
async function keysAxis(xs: number[], hasRedis: boolean, rounds: number): Promise<Point[]> {
  const samples = new Map<string, Measurement[]>();
  const rss = new Map<string, number>();
  for (const x of xs) {
    const starts: [Name, () => Promise<BenchServer>][] = [['sealkv', () => startSealkv()]];
    if (hasRedis) starts.push(['redis', () => startRedis()]);
    for (const [name, start] of starts) {
      const s = await start();
      try {
        const before = rssBytes(s.pid);
        await fill(s.port, x, 32, 2000, benchmarkKey);
        await new Promise((r) => setTimeout(r, 300));
        rss.set(`${name}|${x}`, (rssBytes(s.pid) - before) / x);
        for (let round = 0; round < rounds; round++) {
          for (const m of await runKeyed(s.port, workloadOf('keys', x), x)) samples.set(`${name}|${x}|${m.test}`, [...(samples.get(`${name}|${x}|${m.test}`) ?? []), m]);
        }
      } finally {
        await s.stop();
      }
      process.stderr.write('.');
    }
  }
  const names: Name[] = hasRedis ? ['sealkv', 'redis'] : ['sealkv'];
  const points = toPoints(xs, ['GET'], names, (n, x, t) => samples.get(`${n}|${x}|${t}`));
  for (const p of points) p.rssPerKey = Object.fromEntries(names.map((n) => [n, rss.get(`${n}|${p.x}`)!]));
  return points;
}

/** Least-squares slope of log(cost per request) against log(x). */
function slope(points: [number, number][]): number {
  const pts = points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]) => [Math.log(x), Math.log(y)] as const);
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

function order(s: number): string {
  if (Number.isNaN(s)) return 'n/a';
  const kind = s < 0.15 ? 'flat' : s < 0.85 ? 'sublinear' : s < 1.15 ? 'linear' : 'superlinear';
  return `${kind} (x^${s.toFixed(2)})`;
}

interface AxisReport {
  axis: Axis;
  points: Point[];
  lines: string[];
  svg: string;
}

function report(axis: Axis, points: Point[]): AxisReport {
  const a = AXES[axis];
  const lines = [`### Cost vs ${a.title}`, ''];
  const head = axis === 'keys' ? ' sealkv RSS/key | redis RSS/key |' : '';
  lines.push(`| ${a.unit} | test | sealkv req/s | redis req/s | ratio | sealkv p50 / p99 ms | redis p50 / p99 ms |${head}`);
  lines.push(`|---:|---|---:|---:|---:|---:|---:|${axis === 'keys' ? '---:|---:|' : ''}`);
  const x2 = (s?: Summary) => (s ? s.median.toFixed(2) : 'n/a');
  for (const p of points) {
    const ratio = p.rps.sealkv && p.rps.redis ? `${(p.rps.sealkv.median / p.rps.redis.median).toFixed(2)}x` : 'n/a';
    const mem = axis === 'keys' ? ` ${fmt(p.rssPerKey?.sealkv ?? NaN)} | ${p.rssPerKey?.redis === undefined ? 'n/a' : fmt(p.rssPerKey.redis)} |` : '';
    lines.push(
      `| ${a.tick(p.x)} | ${p.test} | ${p.rps.sealkv ? range(p.rps.sealkv) : 'n/a'} | ${p.rps.redis ? range(p.rps.redis) : 'n/a'} | ${ratio} | ` +
        `${x2(p.p50.sealkv)} / ${x2(p.p99.sealkv)} | ${x2(p.p50.redis)} / ${x2(p.p99.redis)} |${mem}`,
    );
  }
  lines.push('');
  const series: Series[] = [];
  const growth: string[] = [];
  for (const test of ['SET', 'GET'] as const) {
    const ps = points.filter((p) => p.test === test);
    if (ps.length === 0) continue;
    for (const n of ['sealkv', 'redis'] as const) {
      const pts = ps.filter((p) => p.rps[n]).map((p) => [p.x, p.rps[n]!.median] as [number, number]);
      if (pts.length === 0) continue;
      series.push({ name: `${n} ${test}`, points: pts });
      // Clients and pipeline raise throughput by design: their cost is the latency a request sees.
      const cost = axis === 'clients' || axis === 'pipeline' ? ps.filter((p) => p.p50[n]).map((p) => [p.x, p.p50[n]!.median] as [number, number]) : pts.map(([x, r]) => [x, 1 / r] as [number, number]);
      growth.push(`${n} ${test}: ${axis === 'clients' || axis === 'pipeline' ? 'p50 latency' : 'cost per request'} ${order(slope(cost))}`);
    }
    const ratios = ps.filter((p) => p.rps.sealkv && p.rps.redis).map((p) => p.rps.sealkv!.median / p.rps.redis!.median);
    let worst = 1;
    for (let i = 1; i < ratios.length; i++) worst = Math.min(worst, ratios[i]! / ratios[i - 1]!);
    if (ratios.length > 1) growth.push(`${test}: largest fall of sealkv/redis between neighbouring points ${worst.toFixed(2)}x${worst < 0.5 ? ' (**a cliff**)' : ' (no cliff)'}`);
  }
  lines.push(`Growth (log-log slope over the axis): ${growth.join('; ')}.`, '');
  const svg = lineChart(`throughput vs ${a.title}`, a.unit, 'requests/s', series, a.tick);
  lines.push(`![throughput vs ${a.title}](curve-${axis}.svg)`, '');
  return { axis, points, lines, svg };
}

export async function runCurve(opts: CurveOptions, resultsDir: string): Promise<{ lines: string[]; goals: Goal[] }> {
  const hasRedis = which('redis-server') !== null;
  const reports: AxisReport[] = [];
  const bound = await measureAeadBound();
  for (const axis of ['size', 'pipeline', 'clients'] as const) {
    const servers: BenchServer[] = [await startSealkv()];
    if (hasRedis) servers.push(await startRedis(['--maxclients', '20000']));
    try {
      const xs = AXES[axis].xs.filter((x) => axis !== 'clients' || x <= opts.maxClients);
      reports.push(report(axis, await loadAxis(axis, xs, servers, opts.rounds)));
    } finally {
      for (const s of servers) await s.stop();
    }
    process.stderr.write(` ${axis}\n`);
  }
  reports.push(report('keys', await keysAxis(AXES.keys.xs.filter((x) => x <= opts.maxKeys), hasRedis, opts.rounds)));
  process.stderr.write(' keys\n');
  for (const r of reports) writeFileSync(`${resultsDir}/curve-${r.axis}.svg`, r.svg);
  const lines = [...boundLines(bound), '', ...reports.flatMap((r) => r.lines)];
  return { lines, goals: curveGoals(reports, bound) };
}

function boundLines(b: AeadBound): string[] {
  const mib = (bps: number) => `${(bps / 2 ** 20).toFixed(0)} MiB/s`;
  return [
    `AEAD on one core (${b.backend}, ${sizeLabel(b.size)} values): seal ${mib(b.sealBps)}, open ${mib(b.openBps)}. A SET of n bytes`,
    `cannot beat seal bytes/s / n per second, nor a GET open bytes/s / n: the "bound" the large values are judged against.`,
  ];
}

/** Issue #20 items 2 and 4: large values against the AEAD bound; 1,000 and 5,000 clients against Redis. */
function curveGoals(reports: AxisReport[], bound: AeadBound): Goal[] {
  const goals: Goal[] = [];
  const size = reports.find((r) => r.axis === 'size')?.points ?? [];
  for (const p of size.filter((q) => q.x >= 256 * 1024 && q.rps.sealkv)) {
    const limit = (p.test === 'SET' ? bound.sealBps : bound.openBps) / p.x;
    goals.push({ what: `${p.test} P1 ${sizeLabel(p.x)}: sealkv / AEAD bound (${fmt(limit)}/s)`, actual: (100 * p.rps.sealkv!.median) / limit, want: 80, kind: 'min', unit: '%' });
  }
  const clients = reports.find((r) => r.axis === 'clients')?.points ?? [];
  for (const p of clients.filter((q) => q.x >= 1000 && q.rps.sealkv && q.rps.redis)) {
    goals.push({ what: `${p.test} P1 ${p.x} clients: sealkv / redis-server throughput`, actual: p.rps.sealkv!.median / p.rps.redis!.median, want: 0.95, kind: 'min', unit: 'x' });
    goals.push({ what: `${p.test} P1 ${p.x} clients: sealkv / redis-server p99`, actual: p.p99.sealkv!.median / p.p99.redis!.median, want: 1.5, kind: 'max', unit: 'x' });
  }
  return goals;
}
