// What seal-keys costs: the same redis-benchmark load against sealkv with plain and with sealed
// key names (rounds interleaved, the order flipped each round, medians with min–max), and the
// per-name cost of the pieces: the keyed hash every key argument pays, and the seal a new key
// pays once (plus the open KEYS/SCAN pay per listed name).
//
//   npm run build && node dist/bench/seal-keys.js [--rounds 3] [--requests 200000]

import sodium from 'libsodium-wrappers';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
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
const WORKLOAD: Workload = { tests: 'set,get', clients: 50, pipeline: 16, valueSize: 32, requests: REQUESTS };

async function load(): Promise<string[]> {
  const modes: [string, string[]][] = [['plain names', []], ['seal-keys yes', ['--seal-keys', 'yes']]];
  const servers: [string, BenchServer][] = [];
  for (const [label, flags] of modes) servers.push([label, await startSealkv(flags)]);
  const samples = new Map<string, Measurement[]>();
  try {
    for (const [, s] of servers) await runRedisBenchmark(s.port, { ...WORKLOAD, requests: 20_000 }); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, s] of round % 2 === 0 ? servers : [...servers].reverse()) {
        for (const m of await runRedisBenchmark(s.port, WORKLOAD)) samples.set(`${label}|${m.test}`, [...(samples.get(`${label}|${m.test}`) ?? []), m]);
      }
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  const lines = [
    `redis-benchmark -t set,get -P ${WORKLOAD.pipeline} -c ${WORKLOAD.clients} -d ${WORKLOAD.valueSize} -n ${REQUESTS} -r 100000, ${ROUNDS} interleaved rounds, median (min–max):`,
    '',
    '| test | plain names (req/s) | seal-keys yes (req/s) | seal-keys / plain |',
    '|---|---:|---:|---:|',
  ];
  for (const test of ['SET', 'GET']) {
    const plain = summarize((samples.get(`plain names|${test}`) ?? []).map((m) => m.rps));
    const sealed = summarize((samples.get(`seal-keys yes|${test}`) ?? []).map((m) => m.rps));
    lines.push(`| ${test} | ${range(plain)} | ${range(sealed)} | ${fmt(sealed.median / plain.median, 2)} |`);
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
