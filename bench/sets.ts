// Sets: sealkv against redis-server 7 in the same run. redis-benchmark's SADD and SPOP (one key,
// members element:__rand_int__) at pipelines 1 and 16, with SET beside them as the yardstick,
// rounds interleaved with the order flipped each round, medians with min-max; then memory per member, as RSS growth of each process
// (and Redis's used_memory growth beside it), for one set of 1 M members and for 200 k sets of
// 5 members (key names included, as a user pays them).
//
//   npm run build && node dist/bench/sets.js [--rounds 3] [--quick] [--memory-only]

import { flushAll, info, allocated } from './lib/fill.js';
import { runRedisBenchmark, type Workload } from './lib/load.js';
import { rssBytes, startRedis, startSealkv } from './lib/servers.js';
import { range, summarize } from './lib/stats.js';
import { send } from './lib/wire.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const MEMORY_ONLY = argv.includes('--memory-only');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : QUICK ? 1 : 3;
const REQUESTS = QUICK ? 50_000 : 200_000;
const BIG = QUICK ? 100_000 : 1_000_000;
const SMALL_SETS = QUICK ? 20_000 : 200_000;

function* oneBigSet(n: number): Generator<string[]> {
  for (let i = 0; i < n; i += 100) yield ['SADD', 'bigset', ...Array.from({ length: Math.min(100, n - i) }, (_, j) => `member:${i + j}`)];
}

function* smallSets(n: number): Generator<string[]> {
  for (let i = 0; i < n; i++) yield ['SADD', `set:${i}`, ...Array.from({ length: 5 }, (_, j) => `member:${i}:${j}`)];
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
}

interface MemoryRow {
  label: string;
  members: number;
  sealkvRss: number;
  redisRss: number;
  redisUsed: number;
}

/** Fresh servers for each scenario: memory freed by an earlier one would hide growth. */
async function memory(label: string, members: number, commands: () => Iterable<string[]>): Promise<MemoryRow> {
  const row: MemoryRow = { label, members, sealkvRss: 0, redisRss: 0, redisUsed: 0 };
  for (const s of [await startSealkv(), await startRedis()]) {
    try {
      // Warm-up (compiled code, first heap and arena growth), then the baseline.
      await send(s.port, (function* () {
        for (let i = 0; i < 200; i++) yield ['SADD', `warm:${i % 20}`, ...Array.from({ length: 50 }, (_, j) => `warm:${i}:${j}`)];
        yield ['DEL', ...Array.from({ length: 20 }, (_, i) => `warm:${i}`)];
      })());
      await settle();
      const rss0 = rssBytes(s.pid);
      const used0 = allocated(await info(s.port, 'memory'));
      await send(s.port, commands());
      await settle();
      const rss = rssBytes(s.pid) - rss0;
      if (s.name === 'sealkv') row.sealkvRss = rss / members;
      else {
        row.redisRss = rss / members;
        row.redisUsed = (allocated(await info(s.port, 'memory')) - used0) / members;
      }
    } finally {
      await s.stop();
    }
  }
  return row;
}

async function main(): Promise<void> {
  const sealkv = await startSealkv();
  const redis = await startRedis();
  const servers = [sealkv, redis];
  try {
    const lines: string[] = [];
    const out = (s = '') => {
      lines.push(s);
      console.log(s);
    };
    out(`## Sets: sealkv vs redis-server 7.0 (${ROUNDS} rounds, ${REQUESTS.toLocaleString('en')} requests, 50 clients)`);
    out();
    out('| test | sealkv req/s | redis req/s | ratio | sealkv p99 ms | redis p99 ms |');
    out('|---|---:|---:|---:|---:|---:|');
    for (const pipeline of MEMORY_ONLY ? [] : [1, 16]) {
      const w: Workload = { tests: 'set,sadd,spop', clients: 50, pipeline, valueSize: 32, requests: REQUESTS };
      const rps = new Map<string, number[]>();
      const p99 = new Map<string, number[]>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
          await flushAll(s.port);
          for (const m of await runRedisBenchmark(s.port, w)) {
            const k = `${s.name}|${m.test}`;
            rps.set(k, [...(rps.get(k) ?? []), m.rps]);
            p99.set(k, [...(p99.get(k) ?? []), m.p99]);
          }
        }
      }
      for (const test of ['SET', 'SADD', 'SPOP']) {
        const a = summarize(rps.get(`sealkv|${test}`)!);
        const b = summarize(rps.get(`redis|${test}`)!);
        const pa = summarize(p99.get(`sealkv|${test}`)!);
        const pb = summarize(p99.get(`redis|${test}`)!);
        out(`| ${test} P${pipeline} | ${range(a)} | ${range(b)} | ${(a.median / b.median).toFixed(2)}x | ${pa.median.toFixed(2)} | ${pb.median.toFixed(2)} |`);
      }
    }
    out();
    out('| memory per member (RSS growth) | sealkv B | redis B (RSS) | redis B (used_memory) | sealkv / redis RSS |');
    out('|---|---:|---:|---:|---:|');
    for (const row of [
      await memory(`1 set of ${BIG.toLocaleString('en')} members`, BIG, () => oneBigSet(BIG)),
      await memory(`${SMALL_SETS.toLocaleString('en')} sets of 5 members`, SMALL_SETS * 5, () => smallSets(SMALL_SETS)),
    ]) {
      out(`| ${row.label} | ${row.sealkvRss.toFixed(1)} | ${row.redisRss.toFixed(1)} | ${row.redisUsed.toFixed(1)} | ${(row.sealkvRss / row.redisRss).toFixed(2)}x |`);
    }
    void lines;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

await main();
