// Multi-key string commands: sealkv against redis-server 7 in the same run, at pipeline 16 with
// 50 clients. redis-benchmark's own `-t mset` (ten pairs naming one literal key, 3-byte values),
// MSET of ten random keys (-r 100000), MGET of ten random keys of 100,000 set first, and SET of
// random keys as the yardstick of one key per request. Rounds interleaved (the order flipped each
// round); medians with min-max of req/s, and of each server's CPU time per request (all its
// threads, from /proc/<pid>/task/*/schedstat), the steadier figure on a shared machine.
// Writes bench/results/multi-key.md.
//
//   npm run build && node dist/bench/multi-key.js [--rounds 3] [--quick]

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { flushAll } from './lib/fill.js';
import { cpuNanos, startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { range, summarize } from './lib/stats.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : QUICK ? 1 : 3;
const SCALE = QUICK ? 0.2 : 1;
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const tenKeys = (command: string, withValues: boolean): string[] =>
  [command, ...Array.from({ length: 10 }, () => (withValues ? ['k:__rand_int__', 'xxx'] : ['k:__rand_int__'])).flat()];

interface Case {
  label: string;
  requests: number;
  /** redis-benchmark arguments after -p/-c/-P/-n. */
  args: string[];
  /** Run first (not measured): what the case reads. */
  fill?: string[];
}

const CASES: Case[] = [
  { label: '`-t mset` (MSET of 10 pairs naming one key, no `-r`)', requests: 200_000, args: ['-t', 'mset'] },
  { label: 'MSET of 10 random keys (`-r 100000`)', requests: 200_000, args: ['-r', '100000', ...tenKeys('MSET', true)] },
  {
    label: 'MGET of 10 random keys (`-r 100000`, after 300 k random SETs)', requests: 100_000, args: ['-r', '100000', ...tenKeys('MGET', false)],
    fill: ['-n', '300000', '-P', '16', '-r', '100000', 'SET', 'k:__rand_int__', 'xxx'],
  },
  { label: 'SET of random keys (`-r 100000`, one key a request)', requests: 300_000, args: ['-r', '100000', '-t', 'set'] },
];

function benchmark(port: number, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args], { timeout: 600_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark failed: ${err.message} ${stderr}`));
      const row = stdout.trim().split('\n').slice(1).pop()!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

async function main(): Promise<void> {
  const servers: BenchServer[] = [await startSealkv(), await startRedis()];
  const rps = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  const loads: number[] = [];
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  try {
    for (const s of servers) await benchmark(s.port, ['-n', '20000', '-c', '50', '-P', '16', '-t', 'mset,set']); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CASES) {
        const requests = Math.round(c.requests * SCALE);
        for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
          await flushAll(s.port);
          if (c.fill) await benchmark(s.port, ['-c', '50', ...c.fill]);
          loads.push(loadavg()[0]!);
          const before = cpuNanos(s.pid);
          push(rps, `${s.name}|${c.label}`, await benchmark(s.port, ['-c', '50', '-P', '16', '-n', String(requests), ...c.args]));
          push(cpu, `${s.name}|${c.label}`, (cpuNanos(s.pid) - before) / 1000 / requests);
        }
        process.stderr.write('.');
      }
    }
    process.stderr.write('\n');
  } finally {
    for (const s of servers) await s.stop();
  }
  const lines = [
    '# Multi-key string commands: sealkv vs redis-server 7.0',
    '',
    `- date: ${new Date().toISOString()}; ${ROUNDS} interleaved rounds, 50 clients, pipeline 16, 3-byte values`,
    `- load average (1 min) while measuring: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (2 cores)`,
    '- req/s: median (min-max); CPU: each server\'s CPU time per request (all threads), median (min-max)',
    '',
    '| workload | sealkv req/s | redis-server req/s | ratio | sealkv CPU µs/request | redis-server CPU µs/request | ratio by CPU |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of CASES) {
    const [a, b] = [summarize(rps.get(`sealkv|${c.label}`)!), summarize(rps.get(`redis|${c.label}`)!)];
    const [ca, cb] = [summarize(cpu.get(`sealkv|${c.label}`)!), summarize(cpu.get(`redis|${c.label}`)!)];
    const us = (s: ReturnType<typeof summarize>) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}-${s.max.toFixed(2)})`;
    lines.push(`| ${c.label} | ${range(a)} | ${range(b)} | ${(a.median / b.median).toFixed(2)}x | ${us(ca)} | ${us(cb)} | ${(cb.median / ca.median).toFixed(2)}x |`);
  }
  const text = lines.join('\n') + '\n';
  console.log(text);
  if (!QUICK) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}multi-key.md`, text);
  }
}

await main();
