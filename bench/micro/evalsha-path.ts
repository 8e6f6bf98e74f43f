// The whole EVALSHA path in one process, without the kernel: a real server's Client fed pipelined
// requests (16 per read) through a socket stand-in that drops the replies, so parsing, dispatch,
// the script, its redis.call commands and reply staging are measured, and the socket writes and
// reads that dominate a loopback benchmark (and vary most on a shared machine) are not. Reports
// CPU time per request (process.cpuUsage), medians of rounds, for a plain GET and INCR beside
// EVALSHA of `return 1`, of redis.call('GET'), of the rate limiter (INCR + PEXPIRE) and of
// redlock's unlock (GET, then DEL when the token matches: every other lock holds it). Also, to
// take a redis.call apart: PING, GET of a missing key and PEXPIRE, plain and via redis.call.
// --per 1 feeds one request per read (pipeline 1's shape; the times are still per request).
//
//   npm run build && node dist/bench/micro/evalsha-path.js [--rounds 5] [--requests 100000] [--before <root of another build>] [--only <case>,...] [--per 16]
//
// Each case runs in a child process of its own (`--child <root> <case>`), interleaved with the
// other build's when --before is given.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { argv, buildsToCompare, cpuPerRequest, option, resp, startFedClient, turn } from '../lib/in-process.js';
import { fmt, summarize } from '../lib/stats.js';

const ROUNDS = Number(option('--rounds', '5'));
const REQUESTS = Number(option('--requests', '100000'));
const PER_READ = Number(option('--per', '16'));
const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const SCRIPTS: Record<string, string> = {
  'return 1': 'return 1',
  'GET via redis.call': "return redis.call('GET', KEYS[1])",
  'rate-limit INCR': "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c",
  // redlock's release: each request names a lock of its own; every other one holds our token.
  'redlock unlock': 'if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end',
  'GET miss via redis.call': "return redis.call('GET', KEYS[1])",
  'PEXPIRE via redis.call': "return redis.call('PEXPIRE', KEYS[1], ARGV[1])",
};
/** The plain command each case sends, when it is not a script; `k` is an existing key, `counter` a counter. */
const PLAIN: Record<string, (k: string, counter: string) => string[]> = {
  'plain PING': () => ['ping'],
  'plain GET': (k) => ['get', k],
  'plain GET miss': (k) => ['get', `no${k}`],
  'plain INCR': (_, counter) => ['incr', counter],
  'plain PEXPIRE': (k) => ['pexpire', k, '60000'],
};
const TOKEN = 'f3a9c1e07b5d42e8a6c1d9';
const OTHER = '0b7e5d3c9a1f64b2e8d0c7';
const ALL = [...Object.keys(PLAIN), ...Object.keys(SCRIPTS)];
const CASES = argv.includes('--only') ? option('--only', '').split(',') : ['plain GET', 'plain INCR', 'return 1', 'GET via redis.call', 'rate-limit INCR', 'redlock unlock'];
for (const c of CASES) if (!ALL.includes(c)) throw new Error(`no case '${c}' (cases: ${ALL.join(', ')})`);

const key = (i: number): string => `key:${String(i).padStart(12, '0')}`;

/* eslint-disable @typescript-eslint/no-explicit-any */
async function child(root: string, name: string): Promise<void> {
  const running = await startFedClient(root);
  const client: any = running.client;
  for (let i = 0; i < 10_000; i += 500) {
    const mset = ['mset'];
    for (let j = i; j < i + 500; j++) mset.push(key(j), 'v'.repeat(32));
    client.receive(resp(mset));
    await turn();
  }
  const body = SCRIPTS[name];
  const sha = body === undefined ? '' : createHash('sha1').update(body).digest('hex');
  if (body !== undefined) client.receive(resp(['script', 'load', body]));
  for (let i = 0; i < 20; i++) await turn();
  const reads: Buffer[] = [];
  const unlock = name === 'redlock unlock';
  /** Unlock: (re)takes the locks a round releases, outside the measured time. */
  const lockAll = async (odd: boolean): Promise<void> => {
    for (let i = 0; i < REQUESTS; i += 1000) {
      const mset = ['mset'];
      for (let j = i; j < i + 1000; j++) if (j % 2 === 0 || odd) mset.push(`lock:${j}`, j % 2 === 0 ? TOKEN : OTHER);
      client.receive(resp(mset));
      await turn();
    }
  };
  /** One request of the case: the i-th of a run of 1,024 (redlock's: of each lock in turn). */
  const request = (i: number): Buffer => {
    if (unlock) return resp(['evalsha', sha, '1', `lock:${i}`, TOKEN]);
    const k = key((Math.floor(i / 16) * 613 + (i % 16) * 37) % 10_000);
    const counter = `rl:${i % 10_000}`;
    const plain = PLAIN[name];
    if (plain !== undefined) return resp(plain(k, counter));
    if (name === 'rate-limit INCR') return resp(['evalsha', sha, '1', counter, '60000']);
    if (name === 'PEXPIRE via redis.call') return resp(['evalsha', sha, '1', k, '60000']);
    return resp(['evalsha', sha, '1', name === 'GET miss via redis.call' ? `no${k}` : k]);
  };
  if (unlock) await lockAll(true);
  for (let i = 0; i < (unlock ? REQUESTS : 1024); i += PER_READ) {
    const frames: Buffer[] = [];
    for (let j = i; j < i + PER_READ; j++) frames.push(request(j));
    reads.push(Buffer.concat(frames));
  }
  const round = async (n: number): Promise<number> => {
    if (unlock) await lockAll(false);
    return cpuPerRequest(client, n, (i) => reads[i % reads.length]!, PER_READ);
  };
  await round(REQUESTS / 2);
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) samples.push(await round(REQUESTS));
  process.stdout.write(JSON.stringify(samples));
  await running.close();
  process.exit(0);
}

function main(): void {
  const builds = buildsToCompare(ROOT);
  for (const name of CASES) {
    const cells = builds.map(([label, root]) => {
      const out = execFileSync(process.execPath, [HERE, '--child', root, name, '--rounds', String(ROUNDS), '--requests', String(REQUESTS), '--per', String(PER_READ)], { timeout: 300_000 });
      const s = summarize(JSON.parse(out.toString()) as number[]);
      return `${label} ${fmt(s.median / 1000, 2)} us (${fmt(s.min / 1000, 2)}–${fmt(s.max / 1000, 2)})`;
    });
    console.log(`${name.padEnd(24)} CPU per request: ${cells.join('   ')}`);
  }
}

if (argv[0] === '--child') await child(argv[1]!, argv[2]!);
else main();
