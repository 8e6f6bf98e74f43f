// Sealed snapshots (issue 19 item 1): BGSAVE of `keys` keys while 50 clients run GET/SET.
//   1. GET/SET p99 with no snapshot running (idle) and while BGSAVE runs back to back
//      (redis-benchmark -c 50 -P 1), interleaved rounds, medians: goal p99 while saving <= 2x idle;
//   2. SAVE and BGSAVE wall time (idle server) and the file size, beside redis-server's for the
//      same data (redis forks for BGSAVE; sealkv serializes in ~1 ms slices between clients).
// Both servers write to a fresh directory on /dev/shm (tmpfs), so neither pays for a disk.
//
//   npm run build && node dist/bench/snapshot.js [--keys 1000000] [--requests 200000] [--rounds 2] [--quick]

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fill, info } from './lib/fill.js';
import { runRedisBenchmark, type Measurement, type Workload } from './lib/load.js';
import { startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';
import { runIfMain } from './lib/main.js';
import { command } from './lib/wire.js';

async function waitBgsave(port: number): Promise<void> {
  for (let i = 0; i < 120_000; i++) {
    if ((await info(port, 'persistence')).get('rdb_bgsave_in_progress') === '0') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('BGSAVE did not finish within 10 minutes');
}

/** One BGSAVE, start to finish, in ms. */
async function bgsave(port: number): Promise<number> {
  const start = performance.now();
  const reply = await command(port, ['BGSAVE']);
  if (!reply.startsWith('+')) throw new Error(reply);
  await waitBgsave(port);
  const status = (await info(port, 'persistence')).get('rdb_last_bgsave_status');
  if (status !== 'ok') throw new Error(`BGSAVE status ${status}`);
  return performance.now() - start;
}

async function save(port: number): Promise<number> {
  const start = performance.now();
  const reply = await command(port, ['SAVE']);
  if (reply !== '+OK') throw new Error(reply);
  return performance.now() - start;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
  const quick = argv.includes('--quick');
  const keys = Number(arg('--keys', quick ? '100000' : '1000000'));
  const requests = Number(arg('--requests', quick ? '50000' : '200000'));
  const rounds = Number(arg('--rounds', quick ? '1' : '2'));
  const workload: Workload = { tests: 'set,get', clients: 50, pipeline: 1, valueSize: 64, requests };
  const dirs = [mkdtempSync('/dev/shm/sealkv-bench-'), mkdtempSync('/dev/shm/redis-bench-')];
  const servers: BenchServer[] = [];
  try {
    const sealkv = await startSealkv(['--dir', dirs[0]!]);
    servers.push(sealkv);
    const redis = await startRedis(['--dir', dirs[1]!]);
    servers.push(redis);
    const lines: string[] = [`${keys} keys of 64 B; redis-benchmark -c 50 -P 1 -n ${requests} (GET and SET on 100,000 random keys), ${rounds} round(s), medians (min–max)`, ''];

    // 2 first, on the freshly filled servers: SAVE and BGSAVE, idle.
    const times = new Map<string, number[]>();
    const add = (k: string, v: number) => times.set(k, [...(times.get(k) ?? []), v]);
    const sizes = new Map<string, number>();
    for (const [s, dir] of [[sealkv, dirs[0]!], [redis, dirs[1]!]] as const) {
      await fill(s.port, keys, 64);
      for (let r = 0; r < rounds; r++) {
        add(`${s.name} SAVE`, await save(s.port));
        add(`${s.name} BGSAVE`, await bgsave(s.port));
      }
      sizes.set(s.name, statSync(join(dir, 'dump.rdb')).size);
      process.stderr.write('.');
    }

    // 1: p99 idle vs while BGSAVE runs back to back (sealkv; redis beside it for reference).
    const samples = new Map<string, Measurement[]>();
    const record = (label: string, ms: Measurement[]) => {
      for (const m of ms) samples.set(`${label}|${m.test}`, [...(samples.get(`${label}|${m.test}`) ?? []), m]);
    };
    const underLoad = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const s of [sealkv, redis]) {
        record(`${s.name} idle`, await runRedisBenchmark(s.port, workload));
        let loading = true;
        const saving = (async () => {
          while (loading) {
            const ms = await bgsave(s.port);
            underLoad.set(s.name, [...(underLoad.get(s.name) ?? []), ms]);
          }
        })();
        // Let the first BGSAVE get going before the load starts measuring.
        await new Promise((r) => setTimeout(r, 50));
        record(`${s.name} BGSAVE running`, await runRedisBenchmark(s.port, workload));
        loading = false;
        await saving;
        process.stderr.write('.');
      }
    }
    process.stderr.write('\n');
    lines.push('| server | state | test | req/s | p99 ms |', '|---|---|---|---:|---:|');
    for (const [key, ms] of samples) {
      const [label, test] = key.split('|');
      const [name, ...state] = label!.split(' ');
      lines.push(`| ${name} | ${state.join(' ')} | ${test} | ${range(summarize(ms.map((m) => m.rps)))} | ${range(summarize(ms.map((m) => m.p99)), 2)} |`);
    }
    lines.push('');
    for (const test of ['SET', 'GET']) {
      const idle = summarize((samples.get(`sealkv idle|${test}`) ?? []).map((m) => m.p99)).median;
      const busy = summarize((samples.get(`sealkv BGSAVE running|${test}`) ?? []).map((m) => m.p99)).median;
      lines.push(`sealkv ${test} p99 while saving / idle: ${fmt(busy / idle, 2)}x (goal <= 2x)`);
    }
    lines.push('', '| server | SAVE ms (idle) | BGSAVE ms (idle) | BGSAVE ms (under the load) | file bytes |', '|---|---:|---:|---:|---:|');
    for (const s of [sealkv, redis]) {
      lines.push(
        `| ${s.name} | ${range(summarize(times.get(`${s.name} SAVE`)!))} | ${range(summarize(times.get(`${s.name} BGSAVE`)!))} | ` +
          `${range(summarize(underLoad.get(s.name) ?? [0]))} | ${fmt(sizes.get(s.name) ?? 0)} |`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
