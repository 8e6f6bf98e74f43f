// `npm run bench`: sealkv beside redis-server (and, for the hot path, the do-nothing Node server of
// bench/ceiling-server.ts) on this machine, same workloads, interleaved rounds (A B C, then C B A,
// ...), medians with min–max and the ratios. Every run checks issue #20's goals, prints which
// were met, and exits non-zero when one is missed (`--no-fail` prints them and exits 0).
//
//   npm run bench                 quick (about 2 minutes): GET/SET 32 B, 1 KiB, 16 KiB at pipelines 1 and 16
//   npm run bench -- --curve      full: the quick run, 1 M-key memory, spilled GETs, and the cost curve
//                                 (bench/curve.ts); refreshes bench/results/ and the README's table
//   npm run bench -- --rounds 5   more rounds (quick: 3, curve: 2 for the curve's axes)
//   npm run bench -- --quick      smoke run (1 round, a quarter of the requests)
//   npm run bench -- --only 'GET P1 16 KiB,SET 16 KiB'
//                                 only the hot-path workloads whose labels hold every word of a
//                                 term; prints, checks those goals, writes nothing to bench/results
//   npm run bench -- --cluster    scaling out instead: 3 nodes vs 1, sealkv and redis-server clusters (bench/cluster.ts)
//   npm run bench -- --help       this text and the workload labels

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fill, info, allocated } from './lib/fill.js';
import { enforce, goalTable, type Goal } from './lib/goals.js';
import { rssBytes, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt } from './lib/stats.js';
import { barChart } from './lib/chart.js';
import { runSpillBench, spillTable, type SpillBenchOptions } from './spill.js';
import { hotGoals, hotLabels, hotTable, picks, runHotPath } from './hot-path.js';
import { runCurve } from './curve.js';

const argv = process.argv.slice(2);
const SMOKE = argv.includes('--quick');
const CURVE = argv.includes('--curve');
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', SMOKE ? 1 : 3);
/** --only's terms (comma-separated), or null for every workload. */
const ONLY = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '').split(',').filter((t) => t.trim() !== '') : null;
const MEMORY_KEYS = SMOKE ? 100_000 : 1_000_000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

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
    const result: MemoryResult = { server: server.name, rssPerKey: (rss1 - rss0) / MEMORY_KEYS, usedPerKey: (allocated(after) - allocated(before)) / MEMORY_KEYS };
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
    `- mode: ${CURVE ? 'curve' : SMOKE ? 'smoke' : 'quick'}, ${ROUNDS} interleaved round(s); load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ];
}

/** The usage text: this file's opening comment, and the labels --only picks from. */
function usage(): string {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const lines = text.split('\n');
  const head = lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, ''));
  return [...head, '', `hot-path workloads (--only): ${hotLabels().join(', ')}`].join('\n');
}

/** A subset run (--only): its table and goals printed, nothing written. */
async function subset(terms: string[]): Promise<void> {
  const rows = await runHotPath(ROUNDS, SMOKE ? 0.25 : 1, (label) => picks(terms, label));
  const goals = hotGoals(rows);
  console.log(['# sealkv vs redis-server (subset)', '', ...machineFacts(), '', ...hotTable(rows), '', ...goalTable(goals), ''].join('\n'));
  enforce(goals, argv);
}

async function main(): Promise<void> {
  if (!which('redis-benchmark')) {
    console.error('redis-benchmark not found: install Debian\'s redis-tools (apt-get install redis-tools)');
    process.exit(1);
  }
  const hasRedis = which('redis-server') !== null;
  const dir = `${ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });

  const rows = await runHotPath(ROUNDS, SMOKE ? 0.25 : 1);
  const goals: Goal[] = hotGoals(rows);
  const table = [
    'Hot path: throughput and p99 latency, median (min–max) over the rounds; ratios of medians. The',
    'ceiling is a do-nothing Node server that parses each request and sends a fixed reply',
    '(`bench/ceiling-server.ts`): what Node itself allows.',
    '',
    ...hotTable(rows),
  ];
  writeFileSync(
    `${dir}/latest.svg`,
    barChart(
      'sealkv / redis-server throughput (median)',
      rows.filter((r) => r.rps.redis && r.rps.sealkv).map((r) => ({ label: r.label, value: r.rps.sealkv!.median / r.rps.redis!.median })),
    ),
  );

  if (CURVE) {
    const memory: MemoryResult[] = [await memoryScenario(() => startSealkv())];
    if (hasRedis) memory.push(await memoryScenario(() => startRedis()));
    const spillOptions: SpillBenchOptions = { spillDir: '/dev/shm', keys: 20_000, valueSize: 1024, requests: 10_000, rounds: 3 };
    let spill: string;
    try {
      spill = spillTable(await runSpillBench(spillOptions), spillOptions);
    } catch (err) {
      spill = `(spill scenario skipped: ${(err as Error).message})`;
    }
    const mem = (m: MemoryResult) =>
      `| ${m.server} | ${fmt(m.rssPerKey)} | ${fmt(m.usedPerKey)} | ${m.heapPerKey === undefined ? '–' : m.heapPerKey.toFixed(1)} |`;
    const memRatio = memory.length === 2 ? (memory[0]!.rssPerKey / memory[1]!.rssPerKey).toFixed(2) + 'x' : 'n/a';
    table.push(
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
    );
    const curve = await runCurve({ rounds: option('--rounds', 2), maxKeys: option('--max-keys', 10_000_000), maxClients: option('--max-clients', 5000) }, dir);
    goals.push(...curve.goals);
    writeFileSync(`${dir}/curve.md`, ['# sealkv vs redis-server: the cost curve', '', ...machineFacts(), '', ...curve.lines].join('\n'));
    table.push('', 'The cost curve (`bench/results/curve.md`, plots `curve-*.svg`):', '', ...curve.lines);
  }
  const goalLines = ['Goals (issue #20):', '', ...goalTable(goals)];
  const report = ['# sealkv vs redis-server', '', ...machineFacts(), '', ...table, '', ...goalLines, ''].join('\n');
  writeFileSync(`${dir}/latest.md`, report);
  // The plots sit beside latest.md; from the README they are under bench/results/.
  if (CURVE) updateReadme([...table, '', ...goalLines].map((l) => l.replace('](curve-', '](bench/results/curve-')), machineFacts());
  console.log(report);
  enforce(goals, argv);
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

if (argv.includes('--help')) console.log(usage());
else if (argv.includes('--cluster')) console.log(await (await import('./cluster.js')).runClusterBench(argv));
else if (ONLY !== null) await subset(ONLY);
else await main();
