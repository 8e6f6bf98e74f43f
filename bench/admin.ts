// The admin HTTP port's cost (issue 20 item 9), on one sealkv process with --admin-port:
//   1. GET /metrics requests per second under autocannon (goal >= 2,000/s), after a load has
//      filled the per-command counters and histograms so the page is its real size;
//   2. GET p99 at pipeline 1 (redis-benchmark -P 1, bounded -n) with and without a scrape of
//      /metrics every 100 ms, interleaved rounds (off on, on off, ...): the median of the
//      per-round ratios (goal: moves it by no more than 5%). On a busy machine the spread of
//      single runs is wider than 5%, so the event-loop time one scrape costs is measured too
//      (rendering the page in-process): that, times 10 scrapes a second, is the upper bound of
//      what scraping takes from the clients.
//
//   npm run build && node dist/bench/admin.js [--rounds 3] [--requests 100000] [--clients 50]
//
// Prints the figures and exits 1 when a goal is missed. Needs redis-benchmark (Debian's
// redis-tools) and the autocannon dev dependency.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import pino from 'pino';
import { metricsText } from '../src/admin/metrics.js';
import { Config } from '../src/config.js';
import { startServer } from '../src/net/server.js';
import { fileURLToPath } from 'node:url';
import { flushAll } from './lib/fill.js';
import { runRedisBenchmark } from './lib/load.js';
import { freePort, startSealkv, which } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/.bin/autocannon', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, def: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : def);
const ROUNDS = opt('--rounds', 3);
const REQUESTS = opt('--requests', 100_000);
const CLIENTS = opt('--clients', 50);
const SCRAPE_MS = 100;
const GOAL_RPS = 2_000;
const GOAL_P99_MOVE = 0.05;

/** autocannon against /metrics: requests per second (its mean over the run). */
function metricsRps(port: number, seconds: number): Promise<{ rps: number; p99ms: number; bytes: number; non2xx: number }> {
  return new Promise((resolve, reject) => {
    execFile(AUTOCANNON, ['-c', '10', '-d', String(seconds), '-j', `http://127.0.0.1:${port}/metrics`], { timeout: (seconds + 30) * 1000, maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`autocannon failed: ${err.message} ${stderr}`));
      const r = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p99: number }; throughput: { total: number }; non2xx: number };
      resolve({ rps: r.requests.average, p99ms: r.latency.p99, bytes: r.throughput.total / Math.max(1, r.requests.total), non2xx: r.non2xx });
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Server CPU per /metrics request, whole HTTP exchange included: n requests on one connection. */
function cpuPerScrape(port: number, pid: number, n: number): Promise<number> {
  const before = cpuSeconds(pid);
  return new Promise((resolve, reject) => {
    execFile(AUTOCANNON, ['-c', '1', '-a', String(n), '-j', `http://127.0.0.1:${port}/metrics`], { timeout: 120_000, maxBuffer: 1 << 22 }, (err) => {
      if (err) return reject(err);
      resolve(((cpuSeconds(pid) - before) * 1e6) / n);
    });
  });
}

/** Scrapes /metrics every `everyMs` until stopped; counts scrapes and failures. */
function scraper(port: number, everyMs: number): { stop(): { scrapes: number; failures: number } } {
  let scrapes = 0;
  let failures = 0;
  const timer = setInterval(() => {
    get({ host: '127.0.0.1', port, path: '/metrics', timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? scrapes++ : failures++));
    }).on('error', () => failures++);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { scrapes, failures };
    },
  };
}

/** Microseconds of event loop one /metrics page costs, on an in-process server after a load. */
async function renderMicros(): Promise<number> {
  const port = await freePort();
  const running = await startServer(new Config([['port', String(port)], ['bind', '127.0.0.1']]), { log: pino({ level: 'silent' }) });
  try {
    await runRedisBenchmark(port, { tests: 'set,get,incr,ping', clients: 20, pipeline: 1, valueSize: 32, requests: 20_000 });
    for (let i = 0; i < 200; i++) metricsText(running.state);
    const n = 2000;
    const start = performance.now();
    for (let i = 0; i < n; i++) metricsText(running.state);
    return ((performance.now() - start) * 1000) / n;
  } finally {
    await running.close();
  }
}

async function main(): Promise<void> {
  if (!which('redis-benchmark')) throw new Error('redis-benchmark is not installed (apt-get install redis-tools)');
  const admin = await freePort();
  const server = await startSealkv(['--admin-port', String(admin)]);
  let failed = false;
  try {
    // Fill the counters: SET/GET/INCR/LPUSH-free workload the page will then describe.
    await runRedisBenchmark(server.port, { tests: 'set,get,incr,ping', clients: 20, pipeline: 1, valueSize: 32, requests: 20_000 });
    const render = await renderMicros();
    console.log(`/metrics page render: ${fmt(render)} µs of event loop per scrape (${((render * (1000 / SCRAPE_MS)) / 1e4).toFixed(3)}% of the loop at one scrape per ${SCRAPE_MS} ms)`);
    const cpu = await cpuPerScrape(admin, server.pid, 5000);
    console.log(`/metrics server CPU per request, HTTP included: ${fmt(cpu)} µs (${((cpu * (1000 / SCRAPE_MS)) / 1e4).toFixed(3)}% of one core at one scrape per ${SCRAPE_MS} ms)`);
    const m = await metricsRps(admin, 5);
    const rpsOk = m.rps >= GOAL_RPS && m.non2xx === 0;
    failed ||= !rpsOk;
    console.log(`/metrics under autocannon (10 connections, 5 s): ${fmt(m.rps)} req/s, p99 ${fmt(m.p99ms, 1)} ms, ${fmt(m.bytes)} B/page, non-2xx ${m.non2xx}  [goal >= ${fmt(GOAL_RPS)}/s: ${rpsOk ? 'met' : 'MISSED'}]`);

    const p99 = { off: [] as number[], on: [] as number[] };
    const rps = { off: [] as number[], on: [] as number[] };
    let scrapes = 0;
    let failures = 0;
    await flushAll(server.port);
    await runRedisBenchmark(server.port, { tests: 'set', clients: CLIENTS, pipeline: 1, valueSize: 32, requests: 20_000 });
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const s = mode === 'on' ? scraper(admin, SCRAPE_MS) : null;
        const [row] = await runRedisBenchmark(server.port, { tests: 'get', clients: CLIENTS, pipeline: 1, valueSize: 32, requests: REQUESTS });
        const counted = s?.stop();
        if (counted) {
          scrapes += counted.scrapes;
          failures += counted.failures;
        }
        p99[mode].push(row!.p99);
        rps[mode].push(row!.rps);
      }
    }
    const off = summarize(p99.off);
    const on = summarize(p99.on);
    // Rounds are paired (off/on back to back), so the ratio per round cancels slow drifts.
    const ratios = summarize(p99.on.map((v, i) => v / p99.off[i]!));
    const move = ratios.median - 1;
    const moveOk = move <= GOAL_P99_MOVE;
    failed ||= !moveOk || failures > 0;
    console.log(`GET at pipeline 1, ${CLIENTS} clients, ${fmt(REQUESTS)} requests per run, ${ROUNDS} rounds interleaved (median (min–max)):`);
    console.log(`  no scrape:            p99 ${range(off, 3)} ms, ${range(summarize(rps.off))} req/s`);
    console.log(`  scrape every ${SCRAPE_MS} ms: p99 ${range(on, 3)} ms, ${range(summarize(rps.on))} req/s  (${scrapes} scrapes, ${failures} failed)`);
    console.log(`  p99 with/without per round: ${range(ratios, 3)}; moved by ${(move * 100).toFixed(1)}% (median of rounds)  [goal <= ${GOAL_P99_MOVE * 100}%: ${moveOk ? 'met' : 'MISSED'}]`);
  } finally {
    await server.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
