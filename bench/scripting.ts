// EVALSHA throughput, sealkv beside redis-server 7 in the same run: a script calling
// redis.call('GET'), a rate-limiter increment (INCR + PEXPIRE on the first hit) and redlock's
// unlock (GET, DEL when the token matches; the locks are taken again before each run), with
// redis-benchmark at pipeline 1 and 16 (50 clients). Rounds interleaved, medians with min-max.
// Besides requests per second, each server's own CPU time per request (every thread's
// /proc/PID/task/*/schedstat, in nanoseconds), which other load on a shared machine moves far
// less than throughput, with its ratio to redis-server's (redis CPU / this CPU: 0.5x is half
// Redis's throughput per core).
//
//   npm run build && node dist/bench/scripting.js [--rounds 3] [--requests 50000] [--before <bin/sealkv.js of another build>] [--only <title part>] [--pipelines 1,16]
//     [--ports <redis>,<sealkv>[,<before>]]   (free ports by default)

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { cpuNanos, startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 3);
const REQUESTS = option('--requests', 50_000);
const BEFORE = argv.includes('--before') ? argv[argv.indexOf('--before') + 1] : undefined;

/** redlock's lock token (a random string in redlock); every other lock holds it, the rest another. */
const TOKEN = 'f3a9c1e07b5d42e8a6c1d9';
const OTHER = '0b7e5d3c9a1f64b2e8d0c7';
/** Locks the unlock script picks from: many, so most it picks are still held (see relock). */
const LOCKS = 100_000;
const ONLY = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]! : '';
const PIPELINES = argv.includes('--pipelines') ? argv[argv.indexOf('--pipelines') + 1]!.split(',').map(Number) : [1, 16];
/** Ports to start redis-server, sealkv and the build before on; free ones where not given. */
const PORTS: (number | undefined)[] = argv.includes('--ports') ? argv[argv.indexOf('--ports') + 1]!.split(',').map(Number) : [];

interface Scenario {
  body: string;
  args: string[];
  /** redis-benchmark -r: how many different __rand_int__ values. */
  keyspace: number;
  /** Run before each measured run, not timed. */
  before?: (c: Redis) => Promise<unknown>;
}

/** lock:<12 digits> as redis-benchmark spells __rand_int__. */
const lockKey = (i: number): string => `lock:${String(i).padStart(12, '0')}`;

/**
 * Takes the locks again (the even ones with our token, in MSETs of 1,000) before an unlock run:
 * a run of N requests over LOCKS locks then finds the lock it releases still held on its first
 * visit (N = LOCKS / 2: about 39% of requests match and delete, 11% find it released already,
 * 50% hold another token).
 */
async function relock(c: Redis, odd = false): Promise<void> {
  const pipe = c.pipeline();
  for (let i = 0; i < LOCKS; i += 1000) {
    const pairs: string[] = [];
    for (let j = i; j < i + 1000; j++) if (j % 2 === 0 || odd) pairs.push(lockKey(j), j % 2 === 0 ? TOKEN : OTHER);
    pipe.mset(...pairs);
  }
  await pipe.exec();
}

const SCRIPTS: Record<string, Scenario> = {
  'GET via redis.call': { body: "return redis.call('GET', KEYS[1])", args: ['1', 'key:__rand_int__'], keyspace: 10_000 },
  'rate-limit INCR': {
    body: "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c",
    args: ['1', 'rl:__rand_int__', '60000'],
    keyspace: 10_000,
  },
  // redlock's release script, as redlock sends it.
  'redlock unlock': {
    body: 'if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end',
    args: ['1', 'lock:__rand_int__', TOKEN],
    keyspace: LOCKS,
    before: (c) => relock(c),
  },
};

interface Target {
  label: string;
  server: BenchServer;
}

function benchmark(port: number, pipeline: number, keyspace: number, command: string[]): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-P', String(pipeline), '-n', String(REQUESTS), '-r', String(keyspace), '--csv', ...command];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message} ${stderr}`));
      const row = stdout.trim().split('\n')[1]!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

function load(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function prepare(server: BenchServer): Promise<void> {
  const c = new Redis({ port: server.port, host: '127.0.0.1' });
  const pipe = c.pipeline();
  for (let i = 0; i < 10_000; i++) pipe.set(`key:${String(i).padStart(12, '0')}`, 'v'.repeat(32));
  for (const { body } of Object.values(SCRIPTS)) pipe.script('LOAD', body);
  await pipe.exec();
  await relock(c, true);
  c.disconnect();
}

async function main(): Promise<void> {
  const targets: Target[] = [
    { label: 'redis', server: await startRedis([], PORTS[0]) },
    { label: 'sealkv', server: await startSealkv([], undefined, undefined, PORTS[1]) },
  ];
  if (BEFORE !== undefined) targets.push({ label: 'before', server: await startSealkv([], BEFORE, undefined, PORTS[2]) });
  console.log(`load average at start: ${load()} (${ROUNDS} rounds of ${REQUESTS} requests, 50 clients)`);
  const clients = new Map<string, Redis>();
  try {
    for (const t of targets) await prepare(t.server);
    for (const t of targets) clients.set(t.label, new Redis({ port: t.server.port, host: '127.0.0.1' }));
    for (const [title, { body, args, keyspace, before: setup }] of Object.entries(SCRIPTS)) {
      if (!title.includes(ONLY)) continue;
      const sha = createHash('sha1').update(body).digest('hex');
      for (const pipeline of PIPELINES) {
        const rates = new Map<string, number[]>(targets.map((t) => [t.label, []]));
        const cpu = new Map<string, number[]>(targets.map((t) => [t.label, []]));
        for (let r = 0; r < ROUNDS; r++) {
          // Each round in another order, so no server always runs right after the same one.
          const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
          for (const t of order) {
            if (setup !== undefined) await setup(clients.get(t.label)!);
            const before = cpuNanos(t.server.pid);
            rates.get(t.label)!.push(await benchmark(t.server.port, pipeline, keyspace, ['EVALSHA', sha, ...args]));
            cpu.get(t.label)!.push((cpuNanos(t.server.pid) - before) / 1000 / REQUESTS);
          }
        }
        const redis = summarize(rates.get('redis')!);
        const redisCpu = summarize(cpu.get('redis')!);
        const cells = targets.map((t) => {
          const s = summarize(rates.get(t.label)!);
          const c = summarize(cpu.get(t.label)!);
          const ratio = t.label === 'redis' ? '' : ` = ${fmt(s.median / redis.median, 2)}x`;
          const cpuRatio = t.label === 'redis' ? '' : ` = ${fmt(redisCpu.median / c.median, 2)}x`;
          return `${t.label} ${range(s)}/s${ratio}, CPU ${fmt(c.median, 2)} us (${fmt(c.min, 2)}-${fmt(c.max, 2)})${cpuRatio}`;
        });
        console.log(`${title.padEnd(20)} P=${String(pipeline).padEnd(3)} ${cells.join('   ')}`);
      }
    }
  } finally {
    for (const c of clients.values()) c.disconnect();
    console.log(`load average at end: ${load()}`);
    for (const t of targets) await t.server.stop();
  }
}

await main();
