// The per-request floor every command pays (issue #20 Deliver 1, issue #15), in one process,
// without the kernel: a real server's Client fed pipelined requests as redis-benchmark sends
// them (16 per read, -r 100000, -d 32: SET key:<n> <32 B>, GET key:<n> of keys it set, LPUSH
// mylist <32 B>, LPOP mylist, INCR counter:<n>, SADD myset element:<n>, SISMEMBER myset element:<n>, sadd-same:
// redis-benchmark's -t sadd without -r, one member added again and again; MSET of ten keys with
// 3-byte values, one literal name as redis-benchmark's -t mset sends it or ten random ones, and
// MGET of ten random keys) through a socket stand-in that drops the replies. Parsing, dispatch,
// admission, stats, the keyspace, the AEAD and reply staging are
// measured; socket reads and writes (the same for any server, and what varies most on a shared
// machine) are not. CPU time per request (process.cpuUsage: the collector's helper threads
// included), medians of rounds.
//
//   npm run build && node dist/bench/micro/floor-path.js [--rounds 5] [--requests 160000] [--only get,set] [--before <root of another build>]
//
// Each build runs in a child process of its own per round; with --before the two alternate.

import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { argv, buildsToCompare, cpuPerRequest, option, resp, startFedClient, turn } from '../lib/in-process.js';
import { fmt, summarize } from '../lib/stats.js';

const ROUNDS = Number(option('--rounds', '5'));
const REQUESTS = Number(option('--requests', '160000'));
const ONLY = option('--only', 'set,get,incr,lpush,lpop,sadd,sismember,sadd-same').split(',');
const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VALUE = 'x'.repeat(32);
const KEYS = 100_000;
/** Distinct reads cycled through (each of 16 requests on random keys). */
const READS = 4096;

/** A pseudo-random key number (fixed seed: every build gets the same requests). */
function numbers(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % KEYS;
  };
}

const pad = (n: number): string => String(n).padStart(12, '0');

function reads(make: (next: () => number) => string[]): Buffer[] {
  const next = numbers(42);
  return Array.from({ length: READS }, () => Buffer.concat(Array.from({ length: 16 }, () => resp(make(next)))));
}

const WORKLOADS: Record<string, () => Buffer[]> = {
  set: () => reads((n) => ['SET', `key:${pad(n())}`, VALUE]),
  get: () => reads((n) => ['GET', `key:${pad(n())}`]),
  // redis-benchmark's -t incr with -r: a counter among 100 k, opened and sealed again.
  incr: () => reads((n) => ['INCR', `counter:${pad(n())}`]),
  lpush: () => reads(() => ['LPUSH', 'mylist', VALUE]),
  lpop: () => reads(() => ['LPOP', 'mylist']),
  sadd: () => reads((n) => ['SADD', 'myset', `element:${pad(n())}`]),
  sismember: () => reads((n) => ['SISMEMBER', 'myset', `element:${pad(n())}`]),
  'sadd-same': () => reads(() => ['SADD', 'myset', 'element:__rand_int__']),
  // redis-benchmark's -t mset: without -r its ten keys are one literal name, set ten times over.
  mset: () => reads(() => ['MSET', ...Array.from({ length: 10 }, () => ['key:__rand_int__', 'xxx']).flat()]),
  msetr: () => reads((n) => ['MSET', ...Array.from({ length: 10 }, () => [`key:${pad(n())}`, 'xxx']).flat()]),
  mget: () => reads((n) => ['MGET', ...Array.from({ length: 10 }, () => `key:${pad(n())}`)]),
};

/* eslint-disable @typescript-eslint/no-explicit-any */
async function child(root: string, names: string[]): Promise<void> {
  const running = await startFedClient(root);
  const client: any = running.client;
  const out: Record<string, number> = {};
  // In order: SET fills the keys GET reads, LPUSH the list LPOP takes from, SADD the set SISMEMBER asks.
  for (const name of names) {
    const all = WORKLOADS[name]!();
    await cpuPerRequest(client, REQUESTS / 4, (i) => all[i % READS]!);
    await turn();
    const from = process.hrtime.bigint() / 1000n;
    out[name] = await cpuPerRequest(client, REQUESTS, (i) => all[(i + 7) % READS]!);
    // With FLOOR_PHASES=<file> (and node --cpu-prof): each round's span on the profile's clock, to split it by command.
    if (process.env['FLOOR_PHASES']) appendFileSync(process.env['FLOOR_PHASES'], `${name} ${from} ${process.hrtime.bigint() / 1000n}\n`);
    // LPOP must not run out: the list is refilled between its warm-up and its round.
    if (name === 'lpush') await cpuPerRequest(client, REQUESTS * 2, (i) => all[i % READS]!);
  }
  process.stdout.write(JSON.stringify(out));
  await running.close();
  process.exit(0);
}

function main(): void {
  const builds = buildsToCompare(ROOT);
  const names = ONLY.filter((n) => n in WORKLOADS);
  // LPOP reads what LPUSH left and GET what SET stored: their fillers run first.
  if (names.includes('lpop') && !names.includes('lpush')) names.unshift('lpush');
  if (names.includes('get') && !names.includes('set')) names.unshift('set');
  if (names.includes('sismember') && !names.includes('sadd')) names.unshift('sadd');
  if (names.includes('mget') && !names.includes('msetr')) names.unshift('msetr');
  const order = Object.keys(WORKLOADS).filter((n) => names.includes(n));
  const samples = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, root] of r % 2 === 0 ? builds : [...builds].reverse()) {
      const out = execFileSync(process.execPath, ['--max-semi-space-size=4', HERE, '--child', root, order.join(',')], { timeout: 600_000 });
      const got = JSON.parse(out.toString()) as Record<string, number>;
      for (const [name, us] of Object.entries(got)) {
        const k = `${label} ${name}`;
        if (!samples.has(k)) samples.set(k, []);
        samples.get(k)!.push(us);
      }
    }
  }
  console.log(`CPU per request (us), 16 requests per read, medians of ${ROUNDS} rounds (min-max):`);
  for (const name of order) {
    const cells = builds.map(([label]) => {
      const s = summarize(samples.get(`${label} ${name}`)!);
      return `${label} ${fmt(s.median / 1000, 3)} (${fmt(s.min / 1000, 3)}-${fmt(s.max / 1000, 3)})`;
    });
    console.log(`  ${name.toUpperCase().padEnd(6)} ${cells.join('   ')}`);
  }
}

if (argv[0] === '--child') await child(argv[1]!, argv[2]!.split(','));
else main();
