// Large values against the AEAD bound (issue 20, large values): what XChaCha20-Poly1305 alone
// seals and opens per second on one core, beside GET and SET of 256 KiB and 1 MiB values
// through sealkv with its seal worker (default), sealkv with every seal and open on the event
// loop (--seal-workers 0), and redis-server, in interleaved rounds (the order turns each round).
// A SET of n bytes cannot beat (seal bytes/s) / n per second on one core, nor a GET
// (open bytes/s) / n: "of bound" is sealkv's req/s over that. Also the server's CPU time per
// request (all its threads, from /proc; in brackets sealkv's event loop alone, so what the seal
// worker and V8's GC threads took shows), steadier than req/s on a loaded machine.
//
//   npm run build && node dist/bench/micro/large-values.js [--rounds 3] [--no-write] [--before <bin>]
//
// --before <bin>: another build's bin/sealkv.js (say a copy of main's) with its seal worker as
// one more target in the same interleaved rounds, for a before/after comparison.

import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureAeadBound, type AeadBound } from '../lib/aead-bound.js';
import { flushAll } from '../lib/fill.js';
import { runRedisBenchmark } from '../lib/load.js';
import { finishReport, runIfMain } from '../lib/main.js';
import { cpuNanos, startRedis, startSealkv, threadCpuNanos, which, type BenchServer } from '../lib/servers.js';
import { range, summarize, type Summary } from '../lib/stats.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SIZES = [256 * 1024, 1024 * 1024];
const PIPELINES = [1, 8];

interface Target {
  label: string;
  server: BenchServer;
}

const mib = (bps: number) => `${(bps / 2 ** 20).toFixed(0)} MiB/s`;
const label = (n: number) => (n >= 1 << 20 ? `${n >> 20} MiB` : `${n >> 10} KiB`);

async function main(argv: string[]): Promise<void> {
  const rounds = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : 3;
  const bounds = new Map<number, AeadBound>();
  for (const size of SIZES) bounds.set(size, await measureAeadBound(size, 0.5));
  const before = argv.includes('--before') ? argv[argv.indexOf('--before') + 1]! : null;
  const targets: Target[] = [
    { label: 'sealkv (seal worker)', server: await startSealkv(['--seal-workers', '1']) },
    { label: 'sealkv (event loop)', server: await startSealkv(['--seal-workers', '0']) },
  ];
  if (which('redis-server')) targets.push({ label: 'redis-server', server: await startRedis() });
  if (before !== null) targets.push({ label: 'sealkv before (seal worker)', server: await startSealkv(['--seal-workers', '1'], before) });
  const redisAt = targets.findIndex((t) => t.server.name !== 'sealkv');
  const beforeAt = before === null ? -1 : targets.length - 1;
  const rps = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  /** sealkv's event loop alone: with a seal worker the rest is the worker's (and V8's GC threads'). */
  const loopCpu = new Map<string, number[]>();
  const key = (t: Target, size: number, p: number, test: string) => `${t.label}|${size}|${p}|${test}`;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const size of SIZES) {
        for (const pipeline of PIPELINES) {
          const order = round % 2 === 0 ? targets : [...targets].reverse();
          for (const t of order) {
            await flushAll(t.server.port);
            const requests = size >= 1 << 20 ? 600 : 2000;
            for (const test of ['set', 'get']) {
              const before = cpuNanos(t.server.pid);
              const loopBefore = threadCpuNanos(t.server.pid);
              const [m] = await runRedisBenchmark(t.server.port, { tests: test, clients: 4, pipeline, valueSize: size, requests }, 16);
              const used = cpuNanos(t.server.pid) - before;
              const loopUsed = threadCpuNanos(t.server.pid) - loopBefore;
              const k = key(t, size, pipeline, test.toUpperCase());
              rps.set(k, [...(rps.get(k) ?? []), m!.rps]);
              cpu.set(k, [...(cpu.get(k) ?? []), used / 1000 / requests]);
              loopCpu.set(k, [...(loopCpu.get(k) ?? []), loopUsed / 1000 / requests]);
            }
          }
          process.stderr.write('.');
        }
      }
    }
    process.stderr.write('\n');
  } finally {
    for (const t of targets) await t.server.stop();
  }
  const lines = [
    '# Large values against the AEAD bound',
    '',
    `- ${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${rounds} interleaved round(s), 4 clients; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    ...SIZES.map((s) => `- AEAD on one core (${bounds.get(s)!.backend}, ${label(s)} values): seal ${mib(bounds.get(s)!.sealBps)}, open ${mib(bounds.get(s)!.openBps)}`),
    '',
    '| workload | bound req/s | ' + targets.map((t) => `${t.label} req/s`).join(' | ') + ` | worker / bound${beforeAt < 0 ? '' : ' (before)'} | worker / redis | server CPU µs/req, all threads (event loop): ${targets.map((t) => t.label).join(', ')} |`,
    '|---|---:|' + targets.map(() => '---:|').join('') + '---:|---:|---|',
  ];
  const med = (s?: Summary) => s?.median ?? NaN;
  for (const size of SIZES) {
    for (const pipeline of PIPELINES) {
      for (const test of ['SET', 'GET']) {
        const b = bounds.get(size)!;
        const bound = (test === 'SET' ? b.sealBps : b.openBps) / size;
        const sums = targets.map((t) => summarize(rps.get(key(t, size, pipeline, test)) ?? []));
        const cpus = targets.map((t) => {
          const all = summarize(cpu.get(key(t, size, pipeline, test)) ?? []).median.toFixed(0);
          return t.server.name === 'sealkv' ? `${all} (${summarize(loopCpu.get(key(t, size, pipeline, test)) ?? []).median.toFixed(0)})` : all;
        });
        const redis = redisAt < 0 ? NaN : med(sums[redisAt]);
        const share = (s?: Summary) => `${((med(s) / bound) * 100).toFixed(0)}%`;
        lines.push(
          `| ${test} ${label(size)} P${pipeline} | ${bound.toFixed(0)} | ${sums.map((s) => range(s)).join(' | ')} | ` +
            `${share(sums[0])}${beforeAt < 0 ? '' : ` (${share(sums[beforeAt])})`} | ${(med(sums[0]) / redis).toFixed(2)}x | ${cpus.join(', ')} |`,
        );
      }
    }
  }
  lines.push('');
  finishReport(lines.join('\n') + '\n', argv, `${ROOT}bench/results/large-values.md`, false);
}

runIfMain(import.meta.url, main);
