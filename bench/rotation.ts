// Key rotation under load (sealkv only: Redis has no counterpart). One sealkv process holds
// `keys` values; each round, redis-benchmark runs GET/SET from 50 clients once with no rotation
// and once while SEAL ROTATE runs back to back. The table shows both (medians over rounds), and
// how long a rotation took idle and under that load.
//
//   npm run build && node dist/bench/rotation.js [--keys 200000] [--requests 100000] [--rounds 3] [--quick]

import { fill, info } from './lib/fill.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { startSealkv } from './lib/servers.js';
import { range, summarize } from './lib/stats.js';
import { runIfMain } from './lib/main.js';
import { command } from './lib/wire.js';

/** Starts a rotation and resolves with its duration in ms, polling INFO every 5 ms (bounded: 5 min). */
async function rotate(port: number): Promise<number> {
  const start = performance.now();
  const reply = await command(port, ['SEAL', 'ROTATE']);
  if (reply.startsWith('-')) throw new Error(reply);
  for (let i = 0; i < 60_000; i++) {
    if ((await info(port, 'sealkv')).get('rotation_in_progress') === '0') return performance.now() - start;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('rotation did not finish within 5 minutes');
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
  const quick = argv.includes('--quick');
  const keys = Number(arg('--keys', quick ? '50000' : '200000'));
  const requests = Number(arg('--requests', quick ? '30000' : '100000'));
  const rounds = Number(arg('--rounds', quick ? '1' : '3'));
  const workload: Workload = { tests: 'set,get', clients: 50, pipeline: 1, valueSize: 64, requests };
  const server = await startSealkv();
  try {
    await fill(server.port, keys, 64);
    const idle: number[] = [];
    const loaded: number[] = [];
    const samples = new Map<string, Measurement[]>();
    const record = (label: string, ms: Measurement[]) => {
      for (const m of ms) samples.set(`${label}|${m.test}`, [...(samples.get(`${label}|${m.test}`) ?? []), m]);
    };
    for (let round = 0; round < rounds; round++) {
      idle.push(await rotate(server.port));
      record('no rotation', await runRedisBenchmark(server.port, workload));
      let loading = true;
      const rotations = (async () => {
        while (loading) loaded.push(await rotate(server.port));
      })();
      record('rotating', await runRedisBenchmark(server.port, workload));
      loading = false;
      await rotations;
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    const lines = [
      `${keys} keys of 64 B; redis-benchmark -c 50 -P 1 -n ${requests} (GET and SET on 100,000 random keys), ` +
        `${rounds} round(s), medians (min–max)`,
      '',
      '| | test | req/s | p99 ms |',
      '|---|---|---:|---:|',
    ];
    for (const [key, ms] of samples) {
      const [label, test] = key.split('|');
      lines.push(`| ${label} | ${test} | ${range(summarize(ms.map((m) => m.rps)))} | ${range(summarize(ms.map((m) => m.p99)), 2)} |`);
    }
    lines.push(
      '',
      `One rotation, idle: ${range(summarize(idle))} ms; under the load: ${range(summarize(loaded))} ms ` +
        `(${loaded.length} rotations).`,
    );
    console.log(lines.join('\n'));
  } finally {
    await server.stop();
  }
}

runIfMain(import.meta.url, main);
