// GET latency while the server does background work (issue #20 item 7): p99 of GET at
// pipeline 1 (redis-benchmark, 50 clients, 32-byte values that exist) idle and while
//  - rotation: SEAL ROTATE re-seals `keys` values, back to back (sealkv only: Redis has none);
//  - expiry:   active expiry deletes `keys` keys that all expire at the same moment (redis-server
//              beside; how long each takes to delete them is printed too);
//  - spill:    a writer pipelines 1 KiB SETs of new keys past maxmemory, so the spill tier moves
//              its values to tmpfs (redis-server beside, evicting the writer's keys with
//              volatile-lru instead); the GETs' values stay in memory in both. The same writer
//              without a memory limit is measured too, to separate the writes' own cost.
// Each scenario gets fresh servers; rounds alternate the order. Goal: p99 <= 2 ms under each.
//
//   npm run build && node dist/bench/background.js [--keys 1000000] [--rounds 2] [--requests 100000]
//     [--only rotation,expiry,spill] [--quick] [--bin <other build>/bin/sealkv.js] [--spill-dir /dev/shm]

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarkKey, info } from './lib/fill.js';
import { runRedisBenchmark, type Measurement } from './lib/load.js';
import { startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { range, summarize } from './lib/stats.js';
import { finishReport, runIfMain } from './lib/main.js';
import { command, send } from './lib/wire.js';

const RESULTS = fileURLToPath(new URL('../../bench/results/background.md', import.meta.url));
/** redis-benchmark -r 100000 reads key:000000000000 .. key:000000099999. */
const HOT_KEYS = 100_000;

/** Sends count commands from gen over one connection (batches of `batch`) until `stop` says so; resolves with the ms it took. */
async function pipeline(port: number, count: number, gen: (i: number) => string[], batch = 1000, stop?: () => boolean): Promise<number> {
  const t0 = performance.now();
  await send(port, (function* () {
    for (let i = 0; i < count && !(stop?.() ?? false); i++) yield gen(i);
  })(), batch);
  return performance.now() - t0;
}

const value32 = 'v'.repeat(32);

async function fillHot(port: number): Promise<void> {
  await pipeline(port, HOT_KEYS, (i) => ['SET', benchmarkKey(i), value32]);
}

function getLoad(port: number, requests: number): Promise<Measurement> {
  return runRedisBenchmark(port, { tests: 'get', clients: 50, pipeline: 1, valueSize: 32, requests }).then((m) => m[0]!);
}

interface Row {
  scenario: string;
  server: string;
  phase: string;
  m: Measurement;
  note?: number;
  /** Spill: of the values spilled during the run, those spilled in a write's own path. */
  inline?: number;
}

async function rotationScenario(opts: Options, rows: Row[]): Promise<void> {
  const s = await startSealkv([], opts.bin);
  try {
    await fillHot(s.port);
    await pipeline(s.port, opts.keys, (i) => ['SET', `bg:${i}`, value32]);
    rows.push({ scenario: 'rotation', server: 'sealkv', phase: 'idle', m: await getLoad(s.port, opts.requests) });
    let running = true;
    const durations: number[] = [];
    const rotations = (async () => {
      while (running) {
        const t0 = performance.now();
        const reply = await command(s.port, ['SEAL', 'ROTATE']);
        if (reply.startsWith('-')) throw new Error(reply);
        while ((await info(s.port, 'sealkv')).get('rotation_in_progress') !== '0') await new Promise((r) => setTimeout(r, 20));
        durations.push(performance.now() - t0);
      }
    })();
    // Let the first rotation get going before measuring.
    await new Promise((r) => setTimeout(r, 200));
    const m = await getLoad(s.port, opts.requests);
    running = false;
    await rotations;
    rows.push({ scenario: 'rotation', server: 'sealkv', phase: `during SEAL ROTATE of ${fmtKeys(opts.keys + HOT_KEYS)}`, m, note: summarize(durations).median });
  } finally {
    await s.stop();
  }
}

async function dbsize(port: number): Promise<number> {
  return Number((await command(port, ['DBSIZE'])).slice(1));
}

async function expiryScenario(opts: Options, server: 'sealkv' | 'redis', rows: Row[]): Promise<void> {
  const s: BenchServer = server === 'redis' ? await startRedis() : await startSealkv([], opts.bin);
  try {
    await fillHot(s.port);
    const fillMs = await pipeline(s.port, opts.keys, (i) => ['SET', `ex:${i}`, value32]);
    rows.push({ scenario: 'expiry', server, phase: 'idle', m: await getLoad(s.port, opts.requests) });
    // Every key expires at the same moment, once the PEXPIREATs are surely all in.
    const at = Date.now() + Math.ceil(fillMs) + 2000;
    await pipeline(s.port, opts.keys, (i) => ['PEXPIREAT', `ex:${i}`, String(at)]);
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    const t0 = performance.now();
    let doneMs = NaN;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if ((await dbsize(s.port)) <= HOT_KEYS) {
          doneMs = performance.now() - t0;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const m = await getLoad(s.port, opts.requests);
    const leftAfterRun = await dbsize(s.port);
    // How long the deletion takes, bounded (sealkv's active cycle may take minutes for 1 M keys).
    const until = performance.now() + opts.expiryWaitMs;
    while (Number.isNaN(doneMs) && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
    watching = false;
    await watcher;
    rows.push({
      scenario: 'expiry', server, phase: `during active expiry of ${fmtKeys(opts.keys)} (${fmtKeys(opts.keys + HOT_KEYS - leftAfterRun)} deleted by the end of the run)`,
      m, note: doneMs,
    });
  } finally {
    await s.stop();
  }
}

async function spillScenario(opts: Options, server: 'sealkv' | 'redis', limited: boolean, rows: Row[]): Promise<void> {
  const dir = server === 'sealkv' && limited ? mkdtempSync(join(opts.spillDir, 'sealkv-bench-bg-')) : null;
  const limit = ['--maxmemory', opts.maxmemory];
  // Only the writer's values leave: Redis evicts keys with a TTL (the writer's), sealkv spills
  // values of 512 bytes and more (the writer's 1 KiB); the GETs' 32-byte values stay in memory.
  const args = !limited ? [] : server === 'redis' ? [...limit, '--maxmemory-policy', 'volatile-lru'] : [...limit, '--spill-dir', dir!, '--spill-max-bytes', '2gb', '--spill-min-value-size', '512'];
  const s: BenchServer = server === 'redis' ? await startRedis(args) : await startSealkv(args, opts.bin);
  const value = 'w'.repeat(1024);
  try {
    await fillHot(s.port);
    if (limited) rows.push({ scenario: 'spill', server, phase: 'idle', m: await getLoad(s.port, opts.requests) });
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let round = 0; writing; round++) {
        await pipeline(s.port, 10_000, (i) => ['SET', `cold:${round}:${i}`, value, 'EX', '86400'], 100, () => !writing);
        written += 10_000;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const counts = async () => {
      if (server === 'redis') return { moved: Number((await info(s.port, 'stats')).get('evicted_keys')), inline: 0 };
      const spill = await info(s.port, 'spill');
      return { moved: Number(spill.get('spill_writes') ?? 0), inline: Number(spill.get('spill_inline_writes') ?? NaN) };
    };
    const before = await counts();
    const m = await getLoad(s.port, opts.requests);
    const after = await counts();
    writing = false;
    await writer;
    const what = !limited ? 'while a writer sets 1 KiB values (no memory limit)' : server === 'redis' ? 'while a writer pushes past maxmemory (volatile-lru evicts its keys)' : 'while a writer pushes past maxmemory (the spill tier moves values out)';
    rows.push({ scenario: 'spill', server, phase: what, m, note: after.moved - before.moved, inline: after.inline - before.inline });
    void written;
  } finally {
    await s.stop();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
}

/** How many of the spilled values a write spilled in its own path (builds that count them). */
function inlineNote(rs: Row[]): string {
  const inline = rs.map((r) => r.inline).filter((n): n is number => n !== undefined && !Number.isNaN(n));
  return inline.length === 0 || rs.every((r) => r.note === 0) ? '' : `, ${range(summarize(inline))} of them in a write's path`;
}

function fmtKeys(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(n % 1_000_000 === 0 ? 0 : 1)} M keys` : `${Math.round(n / 1000)} k keys`;
}

interface Options {
  keys: number;
  rounds: number;
  requests: number;
  bin: string | undefined;
  spillDir: string;
  maxmemory: string;
  expiryWaitMs: number;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
  const quick = argv.includes('--quick');
  const opts: Options = {
    keys: Number(arg('--keys', quick ? '200000' : '1000000')),
    rounds: Number(arg('--rounds', quick ? '1' : '2')),
    requests: Number(arg('--requests', quick ? '50000' : '100000')),
    bin: argv.includes('--bin') ? arg('--bin', '') : undefined,
    spillDir: arg('--spill-dir', '/dev/shm'),
    maxmemory: arg('--maxmemory', '64mb'),
    expiryWaitMs: Number(arg('--expiry-wait', '120000')),
  };
  const only = new Set(arg('--only', 'rotation,expiry,spill').split(','));
  const hasRedis = which('redis-server') !== null;
  if (which('redis-benchmark') === null) throw new Error('redis-benchmark is needed');
  const load0 = loadavg()[0]!;
  const rows: Row[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const servers: ('sealkv' | 'redis')[] = !hasRedis ? ['sealkv'] : round % 2 === 0 ? ['sealkv', 'redis'] : ['redis', 'sealkv'];
    if (only.has('rotation')) await rotationScenario(opts, rows);
    for (const server of servers) {
      if (only.has('expiry')) await expiryScenario(opts, server, rows);
      if (only.has('spill')) {
        await spillScenario(opts, server, false, rows);
        await spillScenario(opts, server, true, rows);
      }
    }
    process.stderr.write(`round ${round + 1} done\n`);
  }
  const load1 = loadavg()[0]!;
  const lines = [
    `Run of ${new Date().toISOString()}, ${opts.rounds} round(s), load average ${load0.toFixed(1)} at start, ${load1.toFixed(1)} at end.`,
    `GET: redis-benchmark -t get -c 50 -P 1 -d 32 -n ${opts.requests} -r ${HOT_KEYS} (every key exists); medians (min–max) over rounds.`,
    '',
    '| scenario | server | GET during | req/s | p50 ms | p99 ms | |',
    '|---|---|---|---:|---:|---:|---|',
  ];
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(`${r.scenario}|${r.server}|${r.phase.replace(/ \(\d.*deleted by the end of the run\)/, '')}`, [...(groups.get(`${r.scenario}|${r.server}|${r.phase.replace(/ \(\d.*deleted by the end of the run\)/, '')}`) ?? []), r]);
  let worst = 0;
  for (const [key, rs] of groups) {
    const [scenario, server, phase] = key.split('|');
    const p99 = summarize(rs.map((r) => r.m.p99));
    if (server === 'sealkv' && phase !== 'idle') worst = Math.max(worst, p99.median);
    const notes = rs.map((r) => r.note).filter((n): n is number => n !== undefined && !Number.isNaN(n));
    const note =
      notes.length === 0 ? (scenario === 'expiry' && phase !== 'idle' ? `not all deleted within ${opts.expiryWaitMs / 1000} s` : '')
        : scenario === 'rotation' ? `one rotation ${range(summarize(notes.map((n) => n / 1000)), 1)} s`
          : scenario === 'expiry' ? `all deleted after ${range(summarize(notes.map((n) => n / 1000)), 1)} s`
            : server === 'redis' ? `${range(summarize(notes))} keys evicted during the run` : `${range(summarize(notes))} values spilled during the run${inlineNote(rs)}`;
    lines.push(`| ${scenario} | ${server === 'redis' ? 'redis-server' : 'sealkv'} | ${phase} | ${range(summarize(rs.map((r) => r.m.rps)))} | ${range(summarize(rs.map((r) => r.m.p50)), 2)} | ${range(p99, 2)} | ${note} |`);
  }
  lines.push('', `Worst sealkv GET p99 under background work: ${worst.toFixed(2)} ms (goal <= 2 ms).`);
  finishReport(lines.join('\n') + '\n', argv, RESULTS, worst > 2);
}

runIfMain(import.meta.url, main);
