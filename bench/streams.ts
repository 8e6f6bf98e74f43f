// Streams beside redis-server 7 in the same run: XADD (auto ids, two fields), XRANGE of 10
// entries from a filled stream, and XREADGROUP of 10 new entries per call, each driven by
// redis-benchmark with 50 clients at pipeline 16 (and XADD also at pipeline 1). Rounds are
// interleaved, the server order flipped each round; medians with min–max. Besides requests per
// second it reports each server's own CPU time per request (/proc/PID/stat), which other load on
// a shared machine disturbs far less than throughput (the client shares the two cores).
//
//   npm run build && node dist/bench/streams.js [--rounds 3] [--requests 100000] [--before <root of another build>]
//
// --before adds that build's sealkv (its bin/sealkv.js) to the rounds, as a third server.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 3);
const REQUESTS = option('--requests', 100_000);
const VALUE = 'v'.repeat(32);
const BEFORE = argv.includes('--before') ? argv[argv.indexOf('--before') + 1]! : '';

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Requests per second of one redis-benchmark run of `command`. */
function bench(port: number, pipeline: number, requests: number, command: string[]): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-P', String(pipeline), '-n', String(requests), '--csv', ...command];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark failed: ${err.message} ${stderr}`));
      const row = stdout.trim().split('\n')[1]!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

const CASES: { label: string; pipeline: number; requests: (n: number) => number; command: string[]; setup?: string[] }[] = [
  { label: 'XADD s * a <32B> b <32B>, P16', pipeline: 16, requests: (n) => n, command: ['XADD', 'bench:add', '*', 'a', VALUE, 'b', VALUE] },
  { label: 'XADD, P1', pipeline: 1, requests: (n) => n / 4, command: ['XADD', 'bench:add1', '*', 'a', VALUE, 'b', VALUE] },
  { label: 'XRANGE s - + COUNT 10, P16', pipeline: 16, requests: (n) => n, command: ['XRANGE', 'bench:add', '-', '+', 'COUNT', '10'] },
  {
    label: 'XREADGROUP COUNT 10 >, P16', pipeline: 16, requests: (n) => n / 10,
    command: ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '10', 'STREAMS', 'bench:add', '>'],
  },
];

async function main(): Promise<void> {
  const servers: [string, BenchServer][] = [['redis', await startRedis()], ['sealkv', await startSealkv()]];
  if (BEFORE !== '') servers.push(['before', await startSealkv([], join(BEFORE, 'bin/sealkv.js'))]);
  const results = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  try {
    // Warm-up (V8 compiles the hot paths in the first seconds), not measured.
    for (const [, s] of servers) {
      await bench(s.port, 16, REQUESTS / 2, ['XADD', 'bench:warm', '*', 'a', VALUE, 'b', VALUE]);
      await bench(s.port, 16, REQUESTS / 2, ['XRANGE', 'bench:warm', '-', '+', 'COUNT', '10']);
      await bench(s.port, 1, 1, ['DEL', 'bench:warm']);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, s] of round % 2 === 0 ? servers : [...servers].reverse()) {
        await bench(s.port, 1, 1, ['DEL', 'bench:add', 'bench:add1']);
        for (const c of CASES) {
          // XREADGROUP reads what the XADD case added: a fresh group each round.
          if (c.command[0] === 'XREADGROUP') {
            await bench(s.port, 1, 1, ['XGROUP', 'DESTROY', 'bench:add', 'g']);
            await bench(s.port, 1, 1, ['XGROUP', 'CREATE', 'bench:add', 'g', '0']);
          }
          const n = Math.round(c.requests(REQUESTS));
          const before = cpuSeconds(s.pid);
          const rps = await bench(s.port, c.pipeline, n, c.command);
          const key = `${name}|${c.label}`;
          results.set(key, [...(results.get(key) ?? []), rps]);
          cpu.set(key, [...(cpu.get(key) ?? []), ((cpuSeconds(s.pid) - before) * 1e6) / n]);
        }
      }
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  const lines = [
    `redis-benchmark -c 50, ${ROUNDS} interleaved rounds, ${fmt(REQUESTS)} requests (XADD P1: a quarter, XREADGROUP: a tenth), median (min–max):`,
    '',
    '| command | redis-server 7 (req/s) | sealkv (req/s) | sealkv / redis | redis CPU µs/req | sealkv CPU µs/req | by CPU |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of CASES) {
    const r = summarize(results.get(`redis|${c.label}`) ?? []);
    const s = summarize(results.get(`sealkv|${c.label}`) ?? []);
    const rc = summarize(cpu.get(`redis|${c.label}`) ?? []);
    const sc = summarize(cpu.get(`sealkv|${c.label}`) ?? []);
    lines.push(
      `| ${c.label} | ${range(r)} | ${range(s)} | ${fmt(s.median / r.median, 2)} | ${range(rc, 2)} | ${range(sc, 2)} | ${fmt(rc.median / sc.median, 2)} |`,
    );
  }
  if (BEFORE !== '') {
    lines.push('', `The build at ${BEFORE}, in the same rounds:`, '', '| command | before (req/s) | before CPU µs/req | sealkv CPU µs/req | change |', '|---|---:|---:|---:|---:|');
    for (const c of CASES) {
      const b = summarize(results.get(`before|${c.label}`) ?? []);
      const bc = summarize(cpu.get(`before|${c.label}`) ?? []);
      const sc = summarize(cpu.get(`sealkv|${c.label}`) ?? []);
      lines.push(`| ${c.label} | ${range(b)} | ${range(bc, 2)} | ${range(sc, 2)} | ${fmt((sc.median / bc.median - 1) * 100, 0)}% |`);
    }
  }
  lines.push('', '"by CPU" is redis-server\'s CPU per request over sealkv\'s: the throughput ratio on an otherwise idle core.');
  console.log(lines.join('\n'));
}

await main();
