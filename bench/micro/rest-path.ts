// Writes to small collections at rest (issue #15), in one process without the kernel: a real
// server's Client fed 200 k keys of 5 elements of one type (bench/rest-writes.ts's fills), left
// until packed and at rest, then pipelined writes on random keys among them (16 per read, fixed
// seed, ~63% of the keys touched as redis-benchmark's -n 200000 -r 200000), through a socket
// stand-in that drops the replies. What rest-writes.ts measures over sockets, less the socket
// reads and writes (the same for any server, and what varies most on a shared machine). CPU time
// per request (process.cpuUsage: the collector's threads included), medians of rounds.
//
//   npm run build && node dist/bench/micro/rest-path.js [--rounds 3] [--requests 200000] [--only sadd,lpush] [--before <root of another build>]
//
// Each build runs in a child process of its own per round; with --before the two alternate.

import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { argv, buildsToCompare, cpuPerRequest, option, resp, startFedClient, turn } from '../lib/in-process.js';
import { fmt, summarize } from '../lib/stats.js';

const ROUNDS = Number(option('--rounds', '3'));
const REQUESTS = Number(option('--requests', '200000'));
const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const KEYS = 200_000;

const pad = (n: number): string => String(n).padStart(12, '0');

/** A pseudo-random key number (fixed seed: every build gets the same requests). */
function numbers(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % KEYS;
  };
}

type Fill = (i: number) => string[];
const fills: Record<string, Fill> = {
  hash: (i) => ['HSET', `h:${pad(i)}`, ...[1, 2, 3, 4, 5].flatMap((f) => [`field${f}`, `value-${f}-${i % 997}`])],
  set: (i) => ['SADD', `s:${pad(i)}`, 'member:1', 'member:2', 'member:3', 'member:4', 'member:5'],
  list: (i) => ['RPUSH', `l:${pad(i)}`, ...[1, 2, 3, 4, 5].map((j) => `item-${j}-${i % 997}`)],
  zset: (i) => ['ZADD', `z:${pad(i)}`, ...[1, 2, 3, 4, 5].flatMap((j) => [String(j), `player:${j}`])],
};

/** Each workload's fill, command on random key n (and a second random number r), and how many keys it writes (KEYS unless hot). */
const WORKLOADS: Record<string, [string, (n: string, r: string) => string[], number?]> = {
  hset: ['hash', (n) => ['HSET', `h:${n}`, 'field1', 'v']],
  'hset-changed': ['hash', (n, r) => ['HSET', `h:${n}`, 'field1', r]],
  hincrby: ['hash', (n) => ['HINCRBY', `h:${n}`, 'counter', '1']],
  sadd: ['set', (n) => ['SADD', `s:${n}`, 'member:1']],
  'sadd-new': ['set', (n, r) => ['SADD', `s:${n}`, `m:${r}`]],
  srem: ['set', (n) => ['SREM', `s:${n}`, 'member:1']],
  lset: ['list', (n) => ['LSET', `l:${n}`, '2', 'v']],
  lpush: ['list', (n) => ['LPUSH', `l:${n}`, 'x']],
  rpop: ['list', (n) => ['RPOP', `l:${n}`]],
  zadd: ['zset', (n) => ['ZADD', `z:${n}`, '3', 'player:1']],
  'zadd-new': ['zset', (n, r) => ['ZADD', `z:${n}`, '7', `new:${r}`]],
  zincrby: ['zset', (n) => ['ZINCRBY', `z:${n}`, '1', 'player:2']],
  // 1,000 hot keys among the 200 k (redis-benchmark's -r 1000): each written every few ms, in use.
  'hset-hot': ['hash', (n) => ['HSET', `h:${n}`, 'field1', 'v'], 1000],
  'sadd-hot': ['set', (n) => ['SADD', `s:${n}`, 'member:1'], 1000],
  'lset-hot': ['list', (n) => ['LSET', `l:${n}`, '2', 'v'], 1000],
  'zadd-hot': ['zset', (n, r) => ['ZADD', `z:${n}`, r, 'player:1'], 1000],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* eslint-disable @typescript-eslint/no-explicit-any */
async function child(root: string, names: string[]): Promise<void> {
  const running = await startFedClient(root);
  const client: any = running.client;
  const out: Record<string, number> = {};
  for (const name of names) {
    const [fill, command, keys = KEYS] = WORKLOADS[name]!;
    await cpuPerRequest(client, 1, () => resp(['FLUSHALL']), 1);
    const make = fills[fill]!;
    await cpuPerRequest(client, KEYS, (i) => Buffer.concat(Array.from({ length: 16 }, (_, j) => resp(make(i * 16 + j)))));
    // Packed and at rest: the cron packs what the fill left unpacked within a second or two.
    await sleep(2500);
    const next = numbers(42);
    const reads = Array.from({ length: REQUESTS / 16 }, () => Buffer.concat(Array.from({ length: 16 }, () => resp(command(pad(next() % keys), pad(next()))))));
    await turn();
    const from = process.hrtime.bigint() / 1000n;
    out[name] = await cpuPerRequest(client, REQUESTS, (i) => reads[i]!);
    // With REST_PHASES=<file> (and node --cpu-prof): each workload's span on the profile's clock.
    if (process.env['REST_PHASES']) appendFileSync(process.env['REST_PHASES'], `${name} ${from} ${process.hrtime.bigint() / 1000n}\n`);
  }
  process.stdout.write(JSON.stringify(out));
  await running.close();
  process.exit(0);
}

function main(): void {
  const builds = buildsToCompare(ROOT);
  const names = option('--only', Object.keys(WORKLOADS).join(','))
    .split(',')
    .filter((n) => n in WORKLOADS);
  const samples = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, root] of r % 2 === 0 ? builds : [...builds].reverse()) {
      const out = execFileSync(process.execPath, ['--max-semi-space-size=4', HERE, '--child', root, names.join(',')], { timeout: 1_200_000 });
      for (const [name, us] of Object.entries(JSON.parse(out.toString()) as Record<string, number>)) {
        const k = `${label} ${name}`;
        samples.set(k, [...(samples.get(k) ?? []), us]);
        process.stderr.write(`round ${r + 1} ${label} ${name}: ${fmt(us / 1000, 3)}\n`);
      }
    }
  }
  console.log(`CPU per request (us), 16 requests per read, 200 k keys of 5 at rest, medians of ${ROUNDS} rounds (min-max):`);
  for (const name of names) {
    const cells = builds.map(([label]) => {
      const s = summarize(samples.get(`${label} ${name}`)!);
      return `${label} ${fmt(s.median / 1000, 3)} (${fmt(s.min / 1000, 3)}-${fmt(s.max / 1000, 3)})`;
    });
    console.log(`  ${name.padEnd(13)} ${cells.join('   ')}`);
  }
}

if (argv[0] === '--child') await child(argv[1]!, argv[2]!.split(','));
else main();
