// Small collections at rest, sealkv beside redis-server in the same run (issue #15's "200 k keys
// of 5 elements", and the cold range): 200 k hashes of 5 fields filled and left to rest, then
// HGET / HSET / HINCRBY on random keys among them; and 1,000 sorted sets of 100 members, each
// `ZRANGE z:<rand> 0 9 WITHSCORES` a key read cold (and over 1,000 sets of 60, which are packed). redis-benchmark -c 50 -P 16 per workload,
// FLUSHALL and the fill before each, servers interleaved (the order flips each round), server CPU
// per request from /proc/<pid>/task/*/schedstat (the steadier figure on a shared machine).
//
//   node dist/bench/rest-writes.js [--rounds 3] [--only hget,hset,...] (workload names below) [--before /other/build/bin/sealkv.js] [--ports 7650,7651,7652]
//
// --before adds another sealkv build (e.g. main's) to every round; --ports gives sealkv's,
// redis-server's and the other build's ports, else free ones. Prints a markdown table.

import { execFile } from 'node:child_process';
import { cpuNanos, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { range, summarize } from './lib/stats.js';
import { argv, option } from './lib/in-process.js';
import { send } from './lib/wire.js';

const ROUNDS = Number(option('--rounds', '3'));
const ONLY = option('--only', '').split(',').filter((w) => w !== '');
const BEFORE = argv.includes('--before') ? option('--before', '') : undefined;
const PORTS = option('--ports', '').split(',').filter((p) => p !== '').map(Number);
const HASHES = 200_000;
const ZSETS = 1_000;
const ZSET_MEMBERS = 100;
const PACKED_ZSET_MEMBERS = 60;

/** redis-benchmark's key for __rand_int__ = i (12 zero-padded digits). */
const padded = (i: number) => String(i).padStart(12, '0');

function* hashFill(): Iterable<string[]> {
  for (let i = 0; i < HASHES; i++) {
    const args = ['HSET', `h:${padded(i)}`];
    for (let f = 1; f <= 5; f++) args.push(`field${f}`, `value-${f}-${i % 997}`);
    yield args;
  }
}

/** 200 k sets of `member:1..5`. */
function* setFill(): Iterable<string[]> {
  for (let i = 0; i < HASHES; i++) yield ['SADD', `s:${padded(i)}`, 'member:1', 'member:2', 'member:3', 'member:4', 'member:5'];
}

/** 200 k lists of five ~10-byte items. */
function* listFill(): Iterable<string[]> {
  for (let i = 0; i < HASHES; i++) {
    const args = ['RPUSH', `l:${padded(i)}`];
    for (let j = 1; j <= 5; j++) args.push(`item-${j}-${i % 997}`);
    yield args;
  }
}

/** 200 k sorted sets of `player:1..5` at scores 1..5. */
function* smallZsetFill(): Iterable<string[]> {
  for (let i = 0; i < HASHES; i++) {
    const args = ['ZADD', `z:${padded(i)}`];
    for (let j = 1; j <= 5; j++) args.push(String(j), `player:${j}`);
    yield args;
  }
}

/** 1,000 sorted sets of `members` members `member:<j>` at scores 0..members-1. */
const zsetFill = (members: number) =>
  function* (): Iterable<string[]> {
    for (let i = 0; i < ZSETS; i++) {
      const args = ['ZADD', `z:${padded(i)}`];
      for (let j = 0; j < members; j++) args.push(String(j), `member:${j}`);
      yield args;
    }
  };

interface Workload {
  name: string;
  fill: () => Iterable<string[]>;
  keys: number;
  requests: number;
  command: string[];
}

const WORKLOADS: Workload[] = [
  { name: 'hget', fill: hashFill, keys: HASHES, requests: 200_000, command: ['HGET', 'h:__rand_int__', 'field3'] },
  { name: 'hset', fill: hashFill, keys: HASHES, requests: 200_000, command: ['HSET', 'h:__rand_int__', 'field1', 'v'] },
  { name: 'hset-changed', fill: hashFill, keys: HASHES, requests: 200_000, command: ['HSET', 'h:__rand_int__', 'field1', '__rand_int__'] },
  { name: 'hincrby', fill: hashFill, keys: HASHES, requests: 200_000, command: ['HINCRBY', 'h:__rand_int__', 'counter', '1'] },
  // The other types' writes to 200 k small keys at rest (bench/results/small-writes.md's fills).
  { name: 'sadd', fill: setFill, keys: HASHES, requests: 200_000, command: ['SADD', 's:__rand_int__', 'member:1'] },
  { name: 'sadd-new', fill: setFill, keys: HASHES, requests: 200_000, command: ['SADD', 's:__rand_int__', 'm:__rand_int__'] },
  { name: 'srem', fill: setFill, keys: HASHES, requests: 200_000, command: ['SREM', 's:__rand_int__', 'member:1'] },
  { name: 'lpush', fill: listFill, keys: HASHES, requests: 200_000, command: ['LPUSH', 'l:__rand_int__', 'x'] },
  { name: 'lset', fill: listFill, keys: HASHES, requests: 200_000, command: ['LSET', 'l:__rand_int__', '2', 'v'] },
  { name: 'rpop', fill: listFill, keys: HASHES, requests: 200_000, command: ['RPOP', 'l:__rand_int__'] },
  { name: 'zadd', fill: smallZsetFill, keys: HASHES, requests: 200_000, command: ['ZADD', 'z:__rand_int__', '3', 'player:1'] },
  { name: 'zadd-new', fill: smallZsetFill, keys: HASHES, requests: 200_000, command: ['ZADD', 'z:__rand_int__', '7', 'new'] },
  { name: 'zincrby-small', fill: smallZsetFill, keys: HASHES, requests: 200_000, command: ['ZINCRBY', 'z:__rand_int__', '1', 'player:2'] },
  // 1,000 hot keys among the same 200 k (each written every few ms): in use, they unpack as before.
  { name: 'hset-hot', fill: hashFill, keys: 1000, requests: 200_000, command: ['HSET', 'h:__rand_int__', 'field1', 'v'] },
  { name: 'sadd-hot', fill: setFill, keys: 1000, requests: 200_000, command: ['SADD', 's:__rand_int__', 'member:1'] },
  { name: 'lset-hot', fill: listFill, keys: 1000, requests: 200_000, command: ['LSET', 'l:__rand_int__', '2', 'v'] },
  { name: 'zadd-hot', fill: smallZsetFill, keys: 1000, requests: 200_000, command: ['ZADD', 'z:__rand_int__', '__rand_int__', 'player:1'] },
  { name: 'zrange', fill: zsetFill(ZSET_MEMBERS), keys: ZSETS, requests: 100_000, command: ['ZRANGE', 'z:__rand_int__', '0', '9', 'WITHSCORES'] },
  { name: 'zscore', fill: zsetFill(ZSET_MEMBERS), keys: ZSETS, requests: 100_000, command: ['ZSCORE', 'z:__rand_int__', 'member:50'] },
  { name: 'zincrby', fill: zsetFill(ZSET_MEMBERS), keys: ZSETS, requests: 100_000, command: ['ZINCRBY', 'z:__rand_int__', '1', 'member:50'] },
  // The same range over sets small enough to be packed (at most 64 members): one open of the blob per range.
  { name: 'zrange-packed', fill: zsetFill(PACKED_ZSET_MEMBERS), keys: ZSETS, requests: 100_000, command: ['ZRANGE', 'z:__rand_int__', '0', '9', 'WITHSCORES'] },
];

/** Waits until the server's CPU time stops moving (under 15 ms in a second): the fill's keys packed and at rest. */
async function quiet(pid: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const before = cpuNanos(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if (cpuNanos(pid) - before < 15e6) return;
  }
}

/** One redis-benchmark run; returns requests per second. */
function benchmark(port: number, w: Workload): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-P', '16', '-n', String(w.requests), '-r', String(w.keys), '--csv', ...w.command];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark failed: ${err.message} ${stderr}`));
      const row = stdout.trim().split('\n')[1]!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

async function main(): Promise<void> {
  if (!which('redis-server') || !which('redis-benchmark')) {
    console.error('needs redis-server and redis-benchmark');
    process.exit(1);
  }
  const servers: [string, BenchServer][] = [
    ['sealkv', await startSealkv([], undefined, undefined, PORTS[0])],
    ['redis-server', await startRedis([], PORTS[1])],
  ];
  if (BEFORE !== undefined) servers.splice(1, 0, ['before', await startSealkv([], BEFORE, undefined, PORTS[2])]);
  const workloads = WORKLOADS.filter((w) => ONLY.length === 0 || ONLY.includes(w.name));
  const rates = new Map<string, number[]>();
  const cpus = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, key: string, n: number) => m.set(key, [...(m.get(key) ?? []), n]);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const w of workloads) {
        for (const [label, s] of order) {
          await send(s.port, [['FLUSHALL']]);
          await send(s.port, w.fill());
          await quiet(s.pid);
          const cpu0 = cpuNanos(s.pid);
          add(rates, `${label}|${w.name}`, await benchmark(s.port, w));
          add(cpus, `${label}|${w.name}`, (cpuNanos(s.pid) - cpu0) / 1000 / w.requests);
          process.stderr.write(`round ${round + 1} ${w.name} ${label}: ${cpus.get(`${label}|${w.name}`)!.at(-1)!.toFixed(2)} µs\n`);
        }
      }
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  const labels = servers.map(([label]) => label);
  const lines = [
    `Server CPU µs per request, median (range) of ${ROUNDS} rounds; requests/s median; redis-benchmark -c 50 -P 16.`,
    '',
    `| workload | ${labels.map((l) => `${l} CPU µs`).join(' | ')} | ${labels.map((l) => `${l} req/s`).join(' | ')} | sealkv by CPU |`,
    `|---|${labels.map(() => '---:').join('|')}|${labels.map(() => '---:').join('|')}|---:|`,
  ];
  for (const w of workloads) {
    const cpu = labels.map((l) => summarize(cpus.get(`${l}|${w.name}`)!));
    const rate = labels.map((l) => summarize(rates.get(`${l}|${w.name}`)!));
    const redis = cpu[labels.indexOf('redis-server')]!.median;
    const ours = cpu[labels.indexOf('sealkv')]!.median;
    lines.push(`| ${w.name}: \`${w.command.join(' ')}\` | ${cpu.map((c) => range(c, 2)).join(' | ')} | ${rate.map((r) => `${Math.round(r.median / 1000)} k`).join(' | ')} | ${(redis / ours).toFixed(2)}x |`);
  }
  console.log(lines.join('\n'));
}

await main();
