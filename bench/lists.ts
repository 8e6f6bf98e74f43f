// `node dist/bench/lists.js [--quick] [--rounds N] [--tests lpush,lpop,lrange_100] [--bin other/bin/sealkv.js]
//   [--no-memory]`: lists in sealkv against redis-server on this machine, in the same run
// (`--bin`: another build's server beside them, e.g. before/after a change). Throughput: redis-benchmark's LPUSH and LPOP at pipeline 16 (50
// clients), interleaved rounds (A B, then B A), medians with min-max. Memory per element: RSS
// and used_memory growth for one list of 1M elements, and for 200k lists of 5 elements (the
// small collections apps keep per user or session), elements of 10 bytes.

import type { Socket } from 'node:net';
import { info, allocated } from './lib/fill.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { rssBytes, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';
import { openSocket, pipelined } from './lib/wire.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : QUICK ? 1 : 3;
const REQUESTS = QUICK ? 100_000 : 400_000;
const BIG_LIST = QUICK ? 200_000 : 1_000_000;
const SMALL_LISTS = QUICK ? 50_000 : 200_000;
const ELEMENT_BYTES = 10;
const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : undefined);
const TESTS = opt('--tests') ?? 'lpush,lpop';
const OTHER_BIN = opt('--bin');
const NO_MEMORY = argv.includes('--no-memory');

const element = (i: number) => String(i).padStart(ELEMENT_BYTES, 'e');

interface MemoryFigures {
  rssPerElement: number;
  usedPerElement: number;
}

/** Fills a fresh server with `build` and reports the growth per element. */
async function memory(start: () => Promise<BenchServer>, elements: number, build: (socket: Socket) => Promise<void>): Promise<MemoryFigures> {
  const server = await start();
  try {
    const rss0 = rssBytes(server.pid);
    const used0 = allocated(await info(server.port, 'memory'));
    const socket = await openSocket(server.port);
    try {
      await build(socket);
    } finally {
      socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 500));
    const rss1 = rssBytes(server.pid);
    const used1 = allocated(await info(server.port, 'memory'));
    return { rssPerElement: (rss1 - rss0) / elements, usedPerElement: (used1 - used0) / elements };
  } finally {
    await server.stop();
  }
}

/** One list of BIG_LIST elements, RPUSHed 1,000 at a time. */
async function bigList(socket: Socket): Promise<void> {
  for (let start = 0; start < BIG_LIST; start += 50_000) {
    const commands: string[][] = [];
    for (let i = start; i < Math.min(BIG_LIST, start + 50_000); i += 1000) {
      commands.push(['RPUSH', 'big', ...Array.from({ length: Math.min(1000, BIG_LIST - i) }, (_, k) => element(i + k))]);
    }
    await pipelined(socket, commands);
  }
}

/** SMALL_LISTS lists of 5 elements each. */
async function smallLists(socket: Socket): Promise<void> {
  for (let start = 0; start < SMALL_LISTS; start += 2000) {
    const commands: string[][] = [];
    for (let i = start; i < Math.min(SMALL_LISTS, start + 2000); i++) {
      commands.push(['RPUSH', `list:${i}`, ...Array.from({ length: 5 }, (_, k) => element(i * 5 + k))]);
    }
    await pipelined(socket, commands);
  }
}

async function throughput(servers: BenchServer[]): Promise<Map<string, Measurement[]>> {
  const w: Workload = { tests: TESTS, clients: 50, pipeline: 16, valueSize: 3, requests: REQUESTS };
  const samples = new Map<string, Measurement[]>();
  for (const s of servers) await runRedisBenchmark(s.port, { ...w, requests: 20_000 }); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
      for (const m of await runRedisBenchmark(s.port, w)) samples.set(`${s.name}|${m.test}`, [...(samples.get(`${s.name}|${m.test}`) ?? []), m]);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return samples;
}

async function main(): Promise<void> {
  if (!which('redis-benchmark')) throw new Error('redis-benchmark is not installed');
  const hasRedis = which('redis-server') !== null;
  // Named 'other' in the samples (BenchServer's name type knows only sealkv and redis).
  const other = OTHER_BIN === undefined ? [] : [{ ...(await startSealkv([], OTHER_BIN)), name: 'other' } as unknown as BenchServer];
  const servers = [await startSealkv(), ...other, ...(hasRedis ? [await startRedis()] : [])];
  let samples: Map<string, Measurement[]>;
  try {
    samples = await throughput(servers);
  } finally {
    for (const s of servers) await s.stop();
  }
  const lines = [`| test (P16, 50 clients) | sealkv req/s |${other.length > 0 ? ' other build req/s |' : ''} redis req/s | ratio |`, `|---|---|${other.length > 0 ? '---|' : ''}---|---|`];
  const tests = [...new Set([...samples.keys()].map((k) => k.split('|')[1]!))];
  for (const test of tests) {
    const mine = summarize(samples.get(`sealkv|${test}`)!.map((m) => m.rps));
    const before = samples.get(`other|${test}`);
    const b = before ? summarize(before.map((m) => m.rps)) : undefined;
    const theirs = samples.get(`redis|${test}`);
    const r = theirs ? summarize(theirs.map((m) => m.rps)) : undefined;
    lines.push(`| ${test} | ${range(mine)} |${other.length > 0 ? ` ${b ? range(b) : '–'} |` : ''} ${r ? range(r) : '–'} | ${r ? (mine.median / r.median).toFixed(2) + 'x' : 'n/a'} |`);
  }
  if (NO_MEMORY) {
    console.log(lines.join('\n'));
    return;
  }
  const scenarios: [string, number, (s: Socket) => Promise<void>][] = [
    [`1 list of ${BIG_LIST.toLocaleString('en')} elements`, BIG_LIST, bigList],
    [`${SMALL_LISTS.toLocaleString('en')} lists of 5 elements`, SMALL_LISTS * 5, smallLists],
  ];
  lines.push('', `| memory per ${ELEMENT_BYTES}-byte element | sealkv RSS | redis RSS | ratio | sealkv used_memory | redis used_memory |`, '|---|---|---|---|---|---|');
  for (const [label, elements, build] of scenarios) {
    const mine = await memory(() => startSealkv(), elements, build);
    const theirs = hasRedis ? await memory(() => startRedis(), elements, build) : undefined;
    lines.push(`| ${label} | ${fmt(mine.rssPerElement)} B | ${theirs ? fmt(theirs.rssPerElement) + ' B' : '–'} | ${theirs ? (mine.rssPerElement / theirs.rssPerElement).toFixed(2) + 'x' : 'n/a'} | ${fmt(mine.usedPerElement)} B | ${theirs ? fmt(theirs.usedPerElement) + ' B' : '–'} |`);
  }
  console.log(lines.join('\n'));
}

await main();
