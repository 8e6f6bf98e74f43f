// `npm run bench`: sealkv against redis-server on this machine, same workloads, interleaved
// rounds (A B, then B A, ...), medians with min–max and the sealkv/Redis ratio. Writes
// bench/results/latest.md and latest.svg and refreshes the table in the README.
//
//   npm run bench                 full run (5 rounds, pipelines 1/16/64, values 32 B/1 KiB/16 KiB, 1M-key memory)
//   npm run bench -- --quick      smoke run (1 round, small counts)
//   npm run bench -- --rounds 7
//   npm run bench -- --cluster    scaling out instead: 3 nodes vs 1, sealkv and redis-server clusters (bench/cluster.ts)

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fill, flushAll, info } from './lib/fill.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { rssBytes, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize, type Summary } from './lib/stats.js';
import { barChart } from './lib/chart.js';
import { runSpillBench, spillTable, type SpillBenchOptions } from './spill.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : QUICK ? 1 : 5;
const PIPELINES = QUICK ? [1, 16] : [1, 16, 64];
const SIZES = QUICK ? [32] : [32, 1024, 16 * 1024];
const MEMORY_KEYS = QUICK ? 100_000 : 1_000_000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function requestsFor(pipeline: number, size: number): number {
  const base = QUICK ? 20_000 : pipeline === 1 ? 100_000 : 400_000;
  return size >= 16 * 1024 ? Math.max(10_000, base / 4) : base;
}

interface Row {
  label: string;
  test: string;
  sealkv: Summary;
  redis?: Summary;
  sealkvP99: Summary;
  redisP99?: Summary;
}

async function loadRounds(servers: BenchServer[]): Promise<Row[]> {
  const workloads: Workload[] = [];
  for (const valueSize of SIZES) {
    for (const pipeline of PIPELINES) {
      workloads.push({ tests: 'set,get', clients: 50, pipeline, valueSize, requests: requestsFor(pipeline, valueSize) });
    }
  }
  const samples = new Map<string, Measurement[]>();
  const key = (server: string, w: Workload, test: string) => `${server}|${w.pipeline}|${w.valueSize}|${test}`;
  for (const s of servers) await runRedisBenchmark(s.port, { ...workloads[0]!, requests: 20_000 }); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of workloads) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        // Without this the GETs of one workload read what the previous one left (e.g. 16 KiB values).
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
  const rows: Row[] = [];
  for (const w of workloads) {
    for (const test of ['SET', 'GET']) {
      const mine = samples.get(key('sealkv', w, test))!;
      const theirs = samples.get(key('redis', w, test));
      rows.push({
        label: `${test} P${w.pipeline} ${w.valueSize >= 1024 ? w.valueSize / 1024 + ' KiB' : w.valueSize + ' B'}`,
        test,
        sealkv: summarize(mine.map((m) => m.rps)),
        sealkvP99: summarize(mine.map((m) => m.p99)),
        ...(theirs && { redis: summarize(theirs.map((m) => m.rps)), redisP99: summarize(theirs.map((m) => m.p99)) }),
      });
    }
  }
  return rows;
}

interface MemoryResult {
  server: string;
  rssPerKey: number;
  usedPerKey: number;
  /** sealkv only: growth of the V8 heap (INFO used_memory_heap) per key stored. */
  heapPerKey?: number;
}

async function memoryScenario(start: () => Promise<BenchServer>): Promise<MemoryResult> {
  const server = await start();
  try {
    const rss0 = rssBytes(server.pid);
    const before = await info(server.port, 'memory');
    await fill(server.port, MEMORY_KEYS, 32);
    await new Promise((r) => setTimeout(r, 500));
    const rss1 = rssBytes(server.pid);
    const after = await info(server.port, 'memory');
    const perKey = (field: string) => (Number(after.get(field)) - Number(before.get(field))) / MEMORY_KEYS;
    const result: MemoryResult = { server: server.name, rssPerKey: (rss1 - rss0) / MEMORY_KEYS, usedPerKey: perKey('used_memory') };
    if (after.has('used_memory_heap')) result.heapPerKey = perKey('used_memory_heap');
    return result;
  } finally {
    await server.stop();
  }
}

function machineFacts(): string[] {
  const redisVersion = which('redis-server') ? execFileSync('redis-server', ['--version']).toString().trim() : 'not installed';
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- node: ${process.version}; redis: ${redisVersion}`,
    `- mode: ${QUICK ? 'quick' : 'full'}, ${ROUNDS} interleaved round(s)`,
  ];
}

function loadTable(rows: Row[]): string[] {
  const out = [
    '| workload (50 clients) | sealkv req/s | redis req/s | ratio | sealkv p99 ms | redis p99 ms |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ratio = r.redis ? (r.sealkv.median / r.redis.median).toFixed(2) + 'x' : 'n/a';
    out.push(
      `| ${r.label} | ${range(r.sealkv)} | ${r.redis ? range(r.redis) : 'n/a'} | ${ratio} | ${range(r.sealkvP99, 2)} | ${r.redisP99 ? range(r.redisP99, 2) : 'n/a'} |`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  if (!which('redis-benchmark')) {
    console.error('redis-benchmark not found: install Debian\'s redis-tools (apt-get install redis-tools)');
    process.exit(1);
  }
  const hasRedis = which('redis-server') !== null;
  if (!hasRedis) console.error('redis-server not installed (apt-get install redis-server): measuring sealkv alone, no ratios');

  const servers: BenchServer[] = [await startSealkv()];
  if (hasRedis) servers.push(await startRedis());
  let rows: Row[];
  try {
    rows = await loadRounds(servers);
  } finally {
    for (const s of servers) await s.stop();
  }

  const memory: MemoryResult[] = [await memoryScenario(() => startSealkv())];
  if (hasRedis) memory.push(await memoryScenario(() => startRedis()));

  // sealkv-only: GETs of spilled values beside in-memory ones (needs a tmpfs; /dev/shm is one).
  const spillOptions: SpillBenchOptions = {
    spillDir: '/dev/shm', keys: QUICK ? 5_000 : 20_000, valueSize: 1024, requests: QUICK ? 2_000 : 10_000, rounds: QUICK ? 1 : 3,
  };
  let spill: string;
  try {
    spill = spillTable(await runSpillBench(spillOptions), spillOptions);
  } catch (err) {
    spill = `(spill scenario skipped: ${(err as Error).message})`;
  }

  const mem = (m: MemoryResult) =>
    `| ${m.server} | ${fmt(m.rssPerKey)} | ${fmt(m.usedPerKey)} | ${m.heapPerKey === undefined ? '–' : m.heapPerKey.toFixed(1)} |`;
  const memRatio = memory.length === 2 ? (memory[0]!.rssPerKey / memory[1]!.rssPerKey).toFixed(2) + 'x' : 'n/a';
  const table = [
    ...loadTable(rows),
    '',
    `Memory, ${fmt(MEMORY_KEYS)} keys with 32-byte values (bytes per key; RSS ratio sealkv/redis ${memRatio}):`,
    '',
    '| server | RSS / key | used_memory / key | V8 heap growth / key |',
    '|---|---:|---:|---:|',
    ...memory.map(mem),
    '',
    'sealkv only: GET of spilled values (on tmpfs) beside in-memory ones:',
    '',
    spill,
  ];
  const commands = [
    '```',
    ...PIPELINES.flatMap((p) =>
      SIZES.map((d) => `redis-benchmark -h 127.0.0.1 -p PORT -t set,get -c 50 -P ${p} -d ${d} -n ${requestsFor(p, d)} -r 100000 --csv`),
    ),
    '```',
  ];
  const report = [
    '# sealkv vs redis-server',
    '',
    ...machineFacts(),
    '',
    'Throughput and p99 latency: median (min–max) over the rounds; ratio = sealkv median / redis median.',
    '',
    ...table,
    '',
    'Commands (PORT is each server\'s free loopback port; every value sealed on the sealkv side; FLUSHALL on both before each run):',
    '',
    ...commands,
    '',
  ].join('\n');

  const dir = `${ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/latest.md`, report);
  writeFileSync(
    `${dir}/latest.svg`,
    barChart(
      'sealkv / redis-server throughput (median)',
      rows.filter((r) => r.redis).map((r) => ({ label: r.label, value: r.sealkv.median / r.redis!.median })),
    ),
  );
  if (!QUICK) updateReadme(table, machineFacts());
  console.log(report);
}

/** Replaces the README's benchmark table, between its markers, with this run's. */
function updateReadme(table: string[], facts: string[]): void {
  const path = `${ROOT}README.md`;
  const readme = readFileSync(path, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < 0) return;
  writeFileSync(path, readme.slice(0, i + start.length) + '\n' + [...facts, '', ...table].join('\n') + '\n' + readme.slice(j));
}

if (argv.includes('--cluster')) console.log(await (await import('./cluster.js')).runClusterBench(argv));
else await main();
