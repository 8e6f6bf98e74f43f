// `node dist/bench/zsets.js`: sorted sets, sealkv against redis-server 7 in the same run.
//   - redis-benchmark at pipeline 16 (50 clients): ZADD of random members with random scores,
//     ZRANGE 0 9 WITHSCORES of a 1,000-member set, and the lex-heavy case: ZADD with every score
//     0 (each insert places the member by opening and comparing equal-score neighbours, about
//     log2(n) of them) and ZRANGEBYLEX on that set;
//   - memory per member (RSS delta): one zset of 1 M members, and 200 k zsets of 5 members.
// Members are 12-byte texts. Rounds interleave the servers (A B, then B A); medians reported,
// with each server's CPU per request over the same runs (its main thread's /proc/<pid>/schedstat,
// kernel time included): on a shared machine the load generator and other jobs hold either
// server back, and the CPU a request costs moves less than the rate.
//
//   node dist/bench/zsets.js [--rounds 3] [--members 1000000] [--small 200000] [--requests 200000] [--no-memory]

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { rssBytes, startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, summarize } from './lib/stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 3);
const MEMBERS = arg('members', 1_000_000);
const SMALL = arg('small', 200_000);
const REQUESTS = arg('requests', 200_000);
const MEMORY = !process.argv.includes('--no-memory');

/** Nanoseconds the process's main thread has run (schedstat's first field). */
function cpuNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

const member = (i: number): string => `m:${String(i).padStart(10, '0')}`;

/** redis-benchmark running one command line; requests per second. */
function bench(port: number, command: string[], requests = REQUESTS): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-P', '16', '-n', String(requests), '-r', '1000000', '--csv', ...command];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark failed: ${err.message} ${stderr}`));
      const row = stdout.trim().split('\n')[1]!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

async function pipelined(client: Redis, commands: string[][], batch = 2000): Promise<void> {
  for (let i = 0; i < commands.length; i += batch) {
    const p = client.pipeline();
    for (const c of commands.slice(i, i + batch)) p.call(c[0]!, ...c.slice(1));
    await p.exec();
  }
}

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
}

/** RSS growth per member of filling `build` into an empty server. */
async function memoryPerMember(server: BenchServer, members: number, build: (client: Redis) => Promise<void>): Promise<number> {
  const client = new Redis({ port: server.port, host: '127.0.0.1' });
  try {
    await client.flushall();
    await settle();
    const before = rssBytes(server.pid);
    await build(client);
    await settle();
    return (rssBytes(server.pid) - before) / members;
  } finally {
    client.disconnect();
  }
}

async function oneBig(client: Redis): Promise<void> {
  const commands: string[][] = [];
  for (let i = 0; i < MEMBERS; i += 500) {
    const c = ['ZADD', 'big'];
    for (let j = i; j < Math.min(MEMBERS, i + 500); j++) c.push(String((j * 7919) % MEMBERS), member(j));
    commands.push(c);
  }
  await pipelined(client, commands, 50);
}

async function manySmall(client: Redis): Promise<void> {
  const commands: string[][] = [];
  for (let k = 0; k < SMALL; k++) {
    const c = ['ZADD', `z:${k}`];
    for (let j = 0; j < 5; j++) c.push(String(j), member(k * 5 + j));
    commands.push(c);
  }
  await pipelined(client, commands);
}

interface Row {
  label: string;
  samples: Map<string, number[]>;
  /** Server CPU per request (µs) of the same runs. */
  cpu: Map<string, number[]>;
}

async function main(): Promise<void> {
  const servers = [await startSealkv(), await startRedis()];
  const rows: Row[] = [
    { label: 'ZADD random score (P16)', samples: new Map(), cpu: new Map() },
    { label: 'ZRANGE 0 9 WITHSCORES of 1,000 (P16)', samples: new Map(), cpu: new Map() },
    { label: 'ZADD score 0, lex-heavy (P16)', samples: new Map(), cpu: new Map() },
    { label: 'ZRANGEBYLEX [m:5 + LIMIT 0 10 (P16)', samples: new Map(), cpu: new Map() },
  ];
  const push = (m: Map<string, number[]>, server: string, v: number) => m.set(server, [...(m.get(server) ?? []), v]);
  const run = async (row: Row, s: BenchServer, command: string[]): Promise<void> => {
    const before = cpuNs(s.pid);
    push(row.samples, s.name, await bench(s.port, command));
    push(row.cpu, s.name, (cpuNs(s.pid) - before) / 1000 / REQUESTS);
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const c = new Redis({ port: s.port, host: '127.0.0.1' });
        await c.flushall();
        await pipelined(c, [['ZADD', 'r', ...Array.from({ length: 1000 }, (_, i) => [String(i), member(i)]).flat()]]);
        c.disconnect();
        await run(rows[0]!, s, ['ZADD', 'zs', '__rand_int__', 'm:__rand_int__']);
        await run(rows[1]!, s, ['ZRANGE', 'r', '0', '9', 'WITHSCORES']);
        await run(rows[2]!, s, ['ZADD', 'zl', '0', 'm:__rand_int__']);
        await run(rows[3]!, s, ['ZRANGEBYLEX', 'zl', '[m:5', '+', 'LIMIT', '0', '10']);
      }
    }
    const memory = new Map<string, [number, number]>();
    for (const s of MEMORY ? servers : []) {
      const big = await memoryPerMember(s, MEMBERS, oneBig);
      const small = await memoryPerMember(s, SMALL * 5, manySmall);
      memory.set(s.name, [big, small]);
    }
    console.log(`\n### Sorted sets (bench/zsets.ts), ${ROUNDS} rounds, medians\n`);
    console.log('| workload | sealkv req/s | redis-server req/s | sealkv / Redis | sealkv CPU µs/req | redis-server CPU µs/req | Redis / sealkv by CPU |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const a = summarize(r.samples.get('sealkv')!).median;
      const b = summarize(r.samples.get('redis')!).median;
      const ca = summarize(r.cpu.get('sealkv')!).median;
      const cb = summarize(r.cpu.get('redis')!).median;
      console.log(`| ${r.label} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)}x | ${ca.toFixed(2)} | ${cb.toFixed(2)} | ${(cb / ca).toFixed(2)}x |`);
    }
    console.log(`\nload average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    if (!MEMORY) return;
    const [sb, ss] = memory.get('sealkv')!;
    const [rb, rs] = memory.get('redis')!;
    console.log('\n| memory (RSS delta) | sealkv B/member | redis-server B/member | sealkv / Redis |');
    console.log('|---|---:|---:|---:|');
    console.log(`| one zset of ${fmt(MEMBERS)} members | ${fmt(sb, 1)} | ${fmt(rb, 1)} | ${(sb / rb).toFixed(2)}x |`);
    console.log(`| ${fmt(SMALL)} zsets of 5 members (key included) | ${fmt(ss, 1)} | ${fmt(rs, 1)} | ${(ss / rs).toFixed(2)}x |`);
  } finally {
    for (const s of servers) await s.stop();
  }
}

await main();
