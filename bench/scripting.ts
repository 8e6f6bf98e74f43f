// EVALSHA throughput, sealkv beside redis-server 7 in the same run: a script calling
// redis.call('GET') and a rate-limiter increment (INCR + PEXPIRE on the first hit), with
// redis-benchmark at pipeline 1 and 16 (50 clients). Rounds interleaved, medians with min-max.
//
//   npm run build && node dist/bench/scripting.js [--rounds 3] [--requests 100000]

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 3);
const REQUESTS = option('--requests', 100_000);

const SCRIPTS = {
  'GET via redis.call': { body: "return redis.call('GET', KEYS[1])", args: ['1', 'key:__rand_int__'] },
  'rate-limit INCR': {
    body: "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c",
    args: ['1', 'rl:__rand_int__', '60000'],
  },
};

function benchmark(port: number, pipeline: number, command: string[]): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-P', String(pipeline), '-n', String(REQUESTS), '-r', '10000', '--csv', ...command];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message} ${stderr}`));
      const row = stdout.trim().split('\n')[1]!.split(',').map((c) => c.replace(/"/g, ''));
      resolve(Number(row[1]));
    });
  });
}

async function prepare(server: BenchServer): Promise<void> {
  const c = new Redis({ port: server.port, host: '127.0.0.1' });
  const pipe = c.pipeline();
  for (let i = 0; i < 10_000; i++) pipe.set(`key:${String(i).padStart(12, '0')}`, 'v'.repeat(32));
  for (const { body } of Object.values(SCRIPTS)) pipe.script('LOAD', body);
  await pipe.exec();
  c.disconnect();
}

async function main(): Promise<void> {
  const servers = [await startRedis(), await startSealkv()];
  try {
    for (const s of servers) await prepare(s);
    for (const [title, { body, args }] of Object.entries(SCRIPTS)) {
      const sha = createHash('sha1').update(body).digest('hex');
      for (const pipeline of [1, 16]) {
        const rates: Record<string, number[]> = { redis: [], sealkv: [] };
        for (let r = 0; r < ROUNDS; r++) {
          const order = r % 2 === 0 ? servers : [...servers].reverse();
          for (const s of order) rates[s.name]!.push(await benchmark(s.port, pipeline, ['EVALSHA', sha, ...args]));
        }
        const redis = summarize(rates.redis!);
        const sealkv = summarize(rates.sealkv!);
        console.log(
          `${title.padEnd(20)} P=${String(pipeline).padEnd(3)} redis ${range(redis)} req/s   sealkv ${range(sealkv)} req/s   ratio ${fmt(sealkv.median / redis.median, 2)}`,
        );
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
}

await main();
