// Hashes, sealkv against redis-server in the same run: memory per field for many small hashes
// (200 k hashes of 5 fields, where Redis uses listpacks) and for one hash of 1 M fields (a
// hashtable), then HSET/HGET/HINCRBY throughput at pipeline 16 with redis-benchmark, on one
// large hash, on many small ones and on one field of one small hash (redis-benchmark's own
// `-t hset`), with the server's CPU time per request beside. Writes bench/results/hashes.md.
//
//   node dist/bench/hashes.js [--quick] [--rounds 3] [--requests 400000] [--no-load | --no-memory] [--sealkv /other/build/bin/sealkv.js] [--ports 7570,7571]
//
// --sealkv measures another build (e.g. the tree before a change) in place of this one; --ports
// gives sealkv's and redis-server's ports (a machine shared with other benchmarks), else free ones.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { info, allocated } from './lib/fill.js';
import { cpuNanos, rssBytes, startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize, type Summary } from './lib/stats.js';
import { send } from './lib/wire.js';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : QUICK ? 1 : 3;
const BIN = argv.includes('--sealkv') ? argv[argv.indexOf('--sealkv') + 1] : undefined;
/** Memory only: no redis-benchmark rounds. */
const NO_LOAD = argv.includes('--no-load');
/** Throughput only: no memory scenarios. */
const NO_MEMORY = argv.includes('--no-memory');
const SMALL_KEYS = QUICK ? 20_000 : 200_000;
const SMALL_FIELDS = 5;
const BIG_FIELDS = QUICK ? 100_000 : 1_000_000;
const VALUE_BYTES = 16;
const REQUESTS = argv.includes('--requests') ? Number(argv[argv.indexOf('--requests') + 1]) : QUICK ? 50_000 : 400_000;
const PORTS = argv.includes('--ports') ? argv[argv.indexOf('--ports') + 1]!.split(',').map(Number) : [];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const value = (n: number) => String(n).padStart(VALUE_BYTES, 'v');

function* smallHashes(): Iterable<string[]> {
  for (let i = 0; i < SMALL_KEYS; i++) {
    const args = ['HSET', `hash:${i}`];
    for (let f = 1; f <= SMALL_FIELDS; f++) args.push(`field:${f}`, value(i * SMALL_FIELDS + f));
    yield args;
  }
}

function* bigHash(): Iterable<string[]> {
  const per = 100;
  for (let i = 0; i < BIG_FIELDS; i += per) {
    const args = ['HSET', 'big'];
    for (let j = i; j < Math.min(BIG_FIELDS, i + per); j++) args.push(`field:${j}`, value(j));
    yield args;
  }
}

interface MemoryRow {
  server: string;
  rssPerField: number;
  usedPerField: number;
}

async function memory(start: () => Promise<BenchServer>, fill: () => Iterable<string[]>, fields: number): Promise<MemoryRow> {
  const server = await start();
  try {
    const rss0 = rssBytes(server.pid);
    const used0 = allocated(await info(server.port, 'memory'));
    await send(server.port, fill(), 200);
    await new Promise((r) => setTimeout(r, 1500));
    const rss1 = rssBytes(server.pid);
    const used1 = allocated(await info(server.port, 'memory'));
    const row = { server: server.name, rssPerField: (rss1 - rss0) / fields, usedPerField: (used1 - used0) / fields };
    process.stderr.write(`${fill.name} ${row.server}: RSS ${row.rssPerField.toFixed(1)} B/field, used_memory ${row.usedPerField.toFixed(1)} B/field\n`);
    return row;
  } finally {
    await server.stop();
  }
}

/** One redis-benchmark run of a custom command line; returns requests per second. */
function benchmark(port: number, command: string[]): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-P', '16', '-n', String(REQUESTS), '-r', '100000', '--csv', ...command];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark failed: ${err.message} ${stderr}`));
      const row = stdout.trim().split('\n')[1]!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

const VALUE = 'x'.repeat(VALUE_BYTES);
/**
 * Label -> command; the HGETs read what the HSET before them wrote (same random range). The
 * last two write one field of one small hash, as redis-benchmark's `-t hset` does (it runs
 * without -r: `element:__rand_int__` is then one literal field name).
 */
const WORKLOADS: [string, string[]][] = [
  ['HSET one large hash', ['HSET', 'myhash', 'element:__rand_int__', VALUE]],
  ['HGET one large hash', ['HGET', 'myhash', 'element:__rand_int__']],
  ['HINCRBY one large hash', ['HINCRBY', 'counters', 'c:__rand_int__', '1']],
  ['HSET small hashes', ['HSET', 'h:__rand_int__', 'f', VALUE]],
  ['HGET small hashes', ['HGET', 'h:__rand_int__', 'f']],
  ['HINCRBY small hashes', ['HINCRBY', 'h:__rand_int__', 'n', '1']],
  ['HSET one field of one small hash (-t hset)', ['HSET', 'onehash', 'element:1', 'xxx']],
  ['HINCRBY one field of one small hash', ['HINCRBY', 'onehash', 'n', '1']],
];

/** Per `server|label`: requests per second, and the server's CPU µs per request. */
async function throughput(servers: BenchServer[]): Promise<{ rate: Map<string, Summary>; cpu: Map<string, Summary> }> {
  const rates = new Map<string, number[]>();
  const cpus = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, key: string, n: number) => m.set(key, [...(m.get(key) ?? []), n]);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) {
      await send(s.port, [['FLUSHALL']]);
      for (const [label, command] of WORKLOADS) {
        const key = `${s.name}|${label}`;
        const cpu0 = cpuNanos(s.pid);
        add(rates, key, await benchmark(s.port, command));
        add(cpus, key, (cpuNanos(s.pid) - cpu0) / 1000 / REQUESTS);
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const summaries = (m: Map<string, number[]>) => new Map([...m].map(([k, v]) => [k, summarize(v)]));
  return { rate: summaries(rates), cpu: summaries(cpus) };
}

async function main(): Promise<void> {
  if (!which('redis-server') || !which('redis-benchmark')) {
    console.error('needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)');
    process.exit(1);
  }
  const sealkv = () => startSealkv([], BIN, undefined, PORTS[0]);
  const redis = () => startRedis([], PORTS[1]);
  const none = { server: '-', rssPerField: NaN, usedPerField: NaN };
  const small = NO_MEMORY ? [none, none] : [await memory(sealkv, smallHashes, SMALL_KEYS * SMALL_FIELDS), await memory(redis, smallHashes, SMALL_KEYS * SMALL_FIELDS)];
  const big = NO_MEMORY ? [none, none] : [await memory(sealkv, bigHash, BIG_FIELDS), await memory(redis, bigHash, BIG_FIELDS)];
  let speed = { rate: new Map<string, Summary>(), cpu: new Map<string, Summary>() };
  if (!NO_LOAD) {
    const servers = [await sealkv(), await redis()];
    try {
      speed = await throughput(servers);
    } finally {
      for (const s of servers) await s.stop();
    }
  }
  const memRow = (title: string, rows: MemoryRow[]) =>
    `| ${title} | ${fmt(rows[0]!.rssPerField, 1)} | ${fmt(rows[1]!.rssPerField, 1)} | ${(rows[0]!.rssPerField / rows[1]!.rssPerField).toFixed(2)}x | ${fmt(rows[0]!.usedPerField, 1)} | ${fmt(rows[1]!.usedPerField, 1)} |`;
  const report = [
    '# Hashes: sealkv vs redis-server (bench/hashes.ts)',
    '',
    `- date: ${new Date().toISOString()}; sealkv: ${BIN ?? 'this tree'}; mode: ${QUICK ? 'quick' : 'full'}, ${ROUNDS} round(s)`,
    '',
    `Memory per field (${VALUE_BYTES}-byte values, field names \`field:<n>\`), bytes:`,
    '',
    '| scenario | sealkv RSS | redis RSS | ratio | sealkv used_memory | redis used_memory |',
    '|---|---:|---:|---:|---:|---:|',
    memRow(`${fmt(SMALL_KEYS)} hashes of ${SMALL_FIELDS} fields`, small),
    memRow(`1 hash of ${fmt(BIG_FIELDS)} fields`, big),
    '',
    `Throughput, redis-benchmark -c 50 -P 16 -n ${REQUESTS} -r 100000 (median, min–max, req/s), and server CPU µs per request (/proc schedstat, every thread):`,
    '',
    '| workload | sealkv | redis | ratio | sealkv CPU µs | redis CPU µs |',
    '|---|---:|---:|---:|---:|---:|',
    ...WORKLOADS.filter(([label]) => speed.rate.has(`sealkv|${label}`)).map(([label]) => {
      const a = speed.rate.get(`sealkv|${label}`)!;
      const b = speed.rate.get(`redis|${label}`)!;
      const cpu = (name: string) => range(speed.cpu.get(`${name}|${label}`)!, 2);
      return `| ${label} | ${range(a)} | ${range(b)} | ${(a.median / b.median).toFixed(2)}x | ${cpu('sealkv')} | ${cpu('redis')} |`;
    }),
    '',
  ].join('\n');
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  if (BIN === undefined && !NO_LOAD && !NO_MEMORY) writeFileSync(`${ROOT}bench/results/hashes.md`, report);
  console.log(report);
}

await main();
