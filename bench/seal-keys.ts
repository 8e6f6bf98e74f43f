// What seal-keys costs: the same redis-benchmark load against sealkv with plain and with sealed
// key names (rounds interleaved, the order flipped each round, medians with min–max), and the
// per-name cost of the pieces: the keyed hash every key argument pays, and the seal a new key
// pays once (plus the open KEYS/SCAN pay per listed name). Besides requests per second it reports
// the server's own CPU time per request (/proc/PID/stat), which other load on a shared machine
// disturbs far less than throughput.
//
//   npm run build && node dist/bench/seal-keys.js [--rounds 3] [--requests 200000] [--ports 7000,7001]

import sodium from 'libsodium-wrappers';
import { readFileSync } from 'node:fs';
import { runRedisBenchmark, type Workload } from './lib/load.js';
import { startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';
import { Keyring, Subkey } from '../src/seal/keyring.js';
import { createNameHasher, type NameHasher } from '../src/seal/name-hash.js';
import { loadSodiumNative } from '../src/seal/native-aead.js';
import { Sealer } from '../src/seal/sealer.js';
import { SealedValues } from '../src/seal/values.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 3);
const REQUESTS = option('--requests', 200_000);
/** `--ports a,b`: the ports the plain and the seal-keys server listen on (a shared machine hands each job its own); free ones otherwise. */
const PORTS: (number | undefined)[] = argv.includes('--ports') ? argv[argv.indexOf('--ports') + 1]!.split(',').map(Number) : [];
const WORKLOAD: Workload = { tests: 'set,get', clients: 50, pipeline: 16, valueSize: 32, requests: REQUESTS };

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Sample {
  rps: number;
  /** Server CPU microseconds per request. */
  cpuUs: number;
}

async function load(): Promise<string[]> {
  const modes: [string, string[]][] = [['plain names', []], ['seal-keys yes', ['--seal-keys', 'yes']]];
  const servers: [string, BenchServer][] = [];
  for (const [i, [label, flags]] of modes.entries()) servers.push([label, await startSealkv(flags, undefined, undefined, PORTS[i])]);
  const samples = new Map<string, Sample[]>();
  try {
    for (const [, s] of servers) await runRedisBenchmark(s.port, { ...WORKLOAD, requests: 20_000 }); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, s] of round % 2 === 0 ? servers : [...servers].reverse()) {
        for (const test of ['set', 'get']) {
          const before = cpuSeconds(s.pid);
          const [m] = await runRedisBenchmark(s.port, { ...WORKLOAD, tests: test });
          const sample = { rps: m!.rps, cpuUs: ((cpuSeconds(s.pid) - before) * 1e6) / WORKLOAD.requests };
          samples.set(`${label}|${test}`, [...(samples.get(`${label}|${test}`) ?? []), sample]);
        }
      }
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  const lines = [
    `redis-benchmark -t set,get -P ${WORKLOAD.pipeline} -c ${WORKLOAD.clients} -d ${WORKLOAD.valueSize} -n ${REQUESTS} -r 100000, ${ROUNDS} interleaved rounds, median (min–max):`,
    '',
    '| test | plain names (req/s) | seal-keys yes (req/s) | ratio | plain (server CPU µs/req) | seal-keys yes (server CPU µs/req) | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const test of ['set', 'get']) {
    const plain = samples.get(`plain names|${test}`) ?? [];
    const sealed = samples.get(`seal-keys yes|${test}`) ?? [];
    const [pr, sr] = [summarize(plain.map((m) => m.rps)), summarize(sealed.map((m) => m.rps))];
    const [pc, sc] = [summarize(plain.map((m) => m.cpuUs)), summarize(sealed.map((m) => m.cpuUs))];
    lines.push(
      `| ${test.toUpperCase()} | ${range(pr)} | ${range(sr)} | ${fmt(sr.median / pr.median, 2)} | ${range(pc, 2)} | ${range(sc, 2)} | ${fmt(sc.median / pc.median, 2)} |`,
    );
  }
  return lines;
}

/** Median nanoseconds per call of fn over several timed batches. */
function nsPerCall(fn: (i: number) => void, calls = 200_000): string {
  for (let i = 0; i < calls / 4; i++) fn(i);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn(i);
    runs.push(Number(process.hrtime.bigint() - start) / calls);
  }
  return range(summarize(runs));
}

async function micro(): Promise<string[]> {
  await sodium.ready;
  const keyring = await Keyring.create(undefined);
  const names = Array.from({ length: 1024 }, (_, i) => Buffer.from(`key:${String(i * 97).padStart(12, '0')}`));
  const hashers: NameHasher[] = [createNameHasher(keyring.subkey(Subkey.Names), { native: false })];
  if (loadSodiumNative() !== null) hashers.push(createNameHasher(keyring.subkey(Subkey.Names)));
  const lines = ['', `Per name (${names[0]!.length}-byte names like redis-benchmark's), ns per call, median (min–max) of 5 batches:`, '', '| step | ns |', '|---|---:|'];
  lines.push(`| latin1 string (plain mode's keyOf) | ${nsPerCall((i) => names[i & 1023]!.toString('latin1'))} |`);
  for (const h of hashers) lines.push(`| keyed BLAKE2b-128, ${h.name} | ${nsPerCall((i) => h.hash(names[i & 1023]!))} |`);
  const values = new SealedValues(new Sealer(keyring));
  const key = hashers[0]!.hash(names[0]!);
  const sealed = values.sealName(key, names[0]!);
  const target = Buffer.alloc(names[0]!.length);
  lines.push(`| seal a new key's name | ${nsPerCall(() => values.sealName(key, names[0]!), 50_000)} |`);
  lines.push(`| open a name (KEYS, SCAN, RANDOMKEY) | ${nsPerCall(() => values.openNameInto(key, sealed, target, 0), 50_000)} |`);
  for (const h of hashers) h.destroy();
  keyring.destroy();
  return lines;
}

const out = [...(await load()), ...(await micro())];
console.log(out.join('\n'));
