// `node dist/bench/memory.js [--quick] [--only hash,list,set,intset,zset] [--sizes small,big]
// [--bin other/bin/sealkv.js] [--no-redis] [--rounds 3] [--node-flags '|--max-semi-space-size=1'] [--ports 7570,7571]`:
// memory per element of every collection type, sealkv beside redis-server in the same run (issue
// 15's goal: at most 1.5x Redis's RSS per element, sealed). Two shapes each:
//   - small: 200,000 keys of 5 elements (the sessions, per-user sets and leaderboard entries apps
//     keep, where Redis uses its listpack and intset encodings), key names included;
//   - big: one key of 1,000,000 elements.
// Each figure is the RSS growth of a fresh process while filling (pipelined, one command per
// small key, 1,000 elements per command for a big key), three seconds after the last reply,
// divided by the elements stored; used_memory growth beside it. Elements are 10 bytes
// (`eeee123456`), hash fields `f<n>` with 10-byte values, zset scores small integers,
// intset members decimal integers.
// `--rounds n` repeats every row n times, the servers interleaved (sealkv variants, then
// redis-server, per round), and reports medians with the range; `--node-flags` lists variants of
// node's own flags for sealkv, separated by `|` (flags within one by `,`; empty is node's
// defaults), each its own row; without it sealkv runs with the flags bin/sealkv.js starts with. sealkv's heap, external and arena growth go to stderr beside.

import type { Socket } from 'node:net';
import { info, allocated } from './lib/fill.js';
import { rssBytes, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt, range as medianRange, summarize } from './lib/stats.js';
import { openSocket, pipelined } from './lib/wire.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : undefined);
const ONLY = opt('--only')?.split(',') ?? ['hash', 'list', 'set', 'intset', 'zset'];
const SIZES = opt('--sizes')?.split(',') ?? ['small', 'big'];
/** Another build's bin/sealkv.js, for a before/after comparison (this tree's by default). */
const BIN = opt('--bin');
const NO_REDIS = argv.includes('--no-redis');
const SMALL_KEYS = QUICK ? 50_000 : 200_000;
const BIG = QUICK ? 200_000 : 1_000_000;
const PER_SMALL = 5;
const ELEMENT_BYTES = 10;
const SETTLE_MS = 3000;
const ROUNDS = Number(opt('--rounds') ?? 1);
/** sealkv's and redis-server's ports (a machine shared with other benchmarks), else free ones. */
const PORTS = opt('--ports')?.split(',').map(Number) ?? [];
const FLAGS = opt('--node-flags');
const VARIANTS: (string[] | undefined)[] = FLAGS === undefined ? [undefined] : FLAGS.split('|').map((v) => v.split(',').filter((f) => f !== ''));
const flagsLabel = (v: string[] | undefined) => (v === undefined ? '' : v.length === 0 ? "node's defaults" : v.join(' '));

const element = (i: number) => String(i).padStart(ELEMENT_BYTES, 'e');

/** The arguments that add elements [from, to) to `key` of one type. */
type Adder = (key: string, from: number, to: number) => string[];

const adders: Record<string, Adder> = {
  hash: (key, from, to) => ['HSET', key, ...range(from, to).flatMap((i) => [`f${i}`, element(i)])],
  list: (key, from, to) => ['RPUSH', key, ...range(from, to).map(element)],
  set: (key, from, to) => ['SADD', key, ...range(from, to).map(element)],
  intset: (key, from, to) => ['SADD', key, ...range(from, to).map((i) => String(i))],
  zset: (key, from, to) => ['ZADD', key, ...range(from, to).flatMap((i) => [String(i % 1000), element(i)])],
};

/** A median, with the range when there are several rounds. */
const spread = (xs: number[]): string => (xs.length === 1 ? fmt(xs[0]!, 1) : medianRange(summarize(xs), 1));

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

async function fillSmall(socket: Socket, add: Adder, type: string): Promise<void> {
  for (let start = 0; start < SMALL_KEYS; start += 2000) {
    const commands: string[][] = [];
    for (let k = start; k < Math.min(SMALL_KEYS, start + 2000); k++) commands.push(add(`${type}:${k}`, k * PER_SMALL, (k + 1) * PER_SMALL));
    await pipelined(socket, commands);
  }
}

async function fillBig(socket: Socket, add: Adder, type: string): Promise<void> {
  for (let start = 0; start < BIG; start += 50_000) {
    const commands: string[][] = [];
    for (let i = start; i < Math.min(BIG, start + 50_000); i += 1000) commands.push(add(`big${type}`, i, Math.min(BIG, i + 1000)));
    await pipelined(socket, commands);
  }
}

interface Figures {
  rss: number;
  used: number;
  /** sealkv only: V8 heap used, external and record-arena growth per element. */
  detail?: string;
}

/** Fills a fresh server and reports its growth per element. */
async function measure(start: () => Promise<BenchServer>, elements: number, build: (socket: Socket) => Promise<void>): Promise<Figures> {
  const server = await start();
  try {
    // A warm-up command, so the first connection's buffers are in the baseline.
    const warm = await openSocket(server.port);
    await pipelined(warm, [['SADD', 'warm', 'x']]);
    warm.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const rss0 = rssBytes(server.pid);
    const before = await info(server.port, 'memory');
    const used0 = allocated(before);
    const socket = await openSocket(server.port);
    try {
      await build(socket);
    } finally {
      socket.destroy();
    }
    // sealkv packs small collections once they rest (store/types/packed.ts): give it the time.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rss1 = rssBytes(server.pid);
    const after = await info(server.port, 'memory');
    const used1 = allocated(after);
    const grew = (field: string) => (Number(after.get(field)) - Number(before.get(field))) / elements;
    const detail = server.name === 'sealkv' ? `heap ${fmt(grew('used_memory_heap'), 1)} external ${fmt(grew('used_memory_external'), 1)} arena ${fmt(grew('used_memory_arena_slabs'), 1)}` : undefined;
    return { rss: (rss1 - rss0) / elements, used: (used1 - used0) / elements, detail };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const hasRedis = !NO_REDIS && which('redis-server') !== null;
  const lines = [
    `| ${ELEMENT_BYTES}-byte elements, bytes per element | sealkv RSS | redis RSS | ratio (goal ≤ 1.5x) | sealkv used_memory | redis used_memory |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const size of SIZES) {
    for (const type of ONLY) {
      if (size === 'big' && type === 'intset') continue; // a 1 M-member integer set is a hashtable in Redis: the `set` row
      const add = adders[type]!;
      const elements = size === 'small' ? SMALL_KEYS * PER_SMALL : BIG;
      const build = (s: Socket) => (size === 'small' ? fillSmall(s, add, type) : fillBig(s, add, type));
      const label = size === 'small' ? `${SMALL_KEYS.toLocaleString('en')} ${type}es of ${PER_SMALL}`.replace(/(list|set|zset|intset)es/, '$1s') : `1 ${type} of ${BIG.toLocaleString('en')}`;
      const mine: Figures[][] = VARIANTS.map(() => []);
      const theirs: Figures[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let v = 0; v < VARIANTS.length; v++) {
          const f = await measure(() => startSealkv([], BIN, VARIANTS[v], PORTS[0]), elements, build);
          process.stderr.write(`  ${label} sealkv ${flagsLabel(VARIANTS[v])} round ${round + 1}: rss ${fmt(f.rss, 1)} used ${fmt(f.used, 1)} (${f.detail})\n`);
          mine[v]!.push(f);
        }
        if (hasRedis) {
          const f = await measure(() => startRedis([], PORTS[1]), elements, build);
          process.stderr.write(`  ${label} redis round ${round + 1}: rss ${fmt(f.rss, 1)} used ${fmt(f.used, 1)}\n`);
          theirs.push(f);
        }
      }
      const redisRss = hasRedis ? summarize(theirs.map((f) => f.rss)).median : undefined;
      for (let v = 0; v < VARIANTS.length; v++) {
        const rss = summarize(mine[v]!.map((f) => f.rss)).median;
        const name = VARIANTS[v] === undefined ? label : `${label} (${flagsLabel(VARIANTS[v])})`;
        const ratio = redisRss !== undefined ? `${(rss / redisRss).toFixed(2)}x` : 'n/a';
        const row = `| ${name} | ${spread(mine[v]!.map((f) => f.rss))} | ${hasRedis ? spread(theirs.map((f) => f.rss)) : '–'} | ${ratio} | ${spread(mine[v]!.map((f) => f.used))} | ${hasRedis ? spread(theirs.map((f) => f.used)) : '–'} |`;
        process.stderr.write(row + '\n');
        lines.push(row);
      }
    }
  }
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
