// The whole EVALSHA path in one process, without the kernel: a real server's Client fed pipelined
// requests (16 per read) through a socket stand-in that drops the replies, so parsing, dispatch,
// the script, its redis.call commands and reply staging are measured, and the socket writes and
// reads that dominate a loopback benchmark (and vary most on a shared machine) are not. Reports
// CPU time per request (process.cpuUsage), medians of rounds, for a plain GET and INCR beside
// EVALSHA of `return 1`, of redis.call('GET'), of the rate limiter (INCR + PEXPIRE) and of
// redlock's unlock (GET, then DEL when the token matches: every other lock holds it).
//
//   npm run build && node dist/bench/micro/evalsha-path.js [--rounds 5] [--requests 100000] [--before <root of another build>]
//
// Each case runs in a child process of its own (`--child <root> <case>`), interleaved with the
// other build's when --before is given.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { fmt, summarize } from '../lib/stats.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const ROUNDS = Number(option('--rounds', '5'));
const REQUESTS = Number(option('--requests', '100000'));
const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const SCRIPTS: Record<string, string> = {
  'return 1': 'return 1',
  'GET via redis.call': "return redis.call('GET', KEYS[1])",
  'rate-limit INCR': "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c",
  // redlock's release: each request names a lock of its own; every other one holds our token.
  'redlock unlock': 'if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) else return 0 end',
};
const TOKEN = 'f3a9c1e07b5d42e8a6c1d9';
const OTHER = '0b7e5d3c9a1f64b2e8d0c7';
const CASES = ['plain GET', 'plain INCR', ...Object.keys(SCRIPTS)];

const resp = (args: string[]): Buffer =>
  Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map((a) => Buffer.from(`$${Buffer.byteLength(a)}\r\n${a}\r\n`))]);
const key = (i: number): string => `key:${String(i).padStart(12, '0')}`;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A socket that takes every write and drops it (the Client writes through socket.write when it has no handle). */
class Sink extends Duplex {
  readonly _handle = null;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 1;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 2;
  override _read(): void {}
  override _write(_chunk: Buffer, _encoding: string, done: () => void): void {
    done();
  }
  setNoDelay(): void {}
  setKeepAlive(): void {}
}

/* eslint-disable @typescript-eslint/no-explicit-any */
async function child(root: string, name: string): Promise<void> {
  const { startServer } = await import(`${root}/dist/src/net/server.js`);
  const { Client } = await import(`${root}/dist/src/net/client.js`);
  const { Config } = await import(`${root}/dist/src/config.js`);
  const { default: pino } = await import('pino');
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const running: any = await startServer(new Config(Object.entries({ port: String(port), bind: '127.0.0.1' })), { log: pino({ level: 'silent' }) });
  const server = running.state;
  const client: any = new Client(1_000_000, new Sink() as any, server, server.commands, () => undefined);
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
  if (unlock) {
    await lockAll(true);
    for (let i = 0; i < REQUESTS; i += 16) {
      const frames: Buffer[] = [];
      for (let j = i; j < i + 16; j++) frames.push(resp(['evalsha', sha, '1', `lock:${j}`, TOKEN]));
      reads.push(Buffer.concat(frames));
    }
  }
  for (let c = 0; c < 64 && !unlock; c++) {
    const frames: Buffer[] = [];
    for (let i = 0; i < 16; i++) {
      const k = key((c * 613 + i * 37) % 10_000);
      const counter = `rl:${(c * 16 + i) % 10_000}`;
      if (name === 'plain GET') frames.push(resp(['get', k]));
      else if (name === 'plain INCR') frames.push(resp(['incr', counter]));
      else if (name === 'rate-limit INCR') frames.push(resp(['evalsha', sha, '1', counter, '60000']));
      else frames.push(resp(['evalsha', sha, '1', k]));
    }
    reads.push(Buffer.concat(frames));
  }
  const round = async (n: number): Promise<number> => {
    if (unlock) await lockAll(false);
    const start = process.cpuUsage();
    for (let i = 0; i < n / 16; i++) {
      // A copy per read: the client zeroes what it has parsed.
      client.receive(Buffer.from(reads[i % reads.length]!));
      if ((i & 15) === 15) await turn();
    }
    await turn();
    const used = process.cpuUsage(start);
    return ((used.user + used.system) * 1000) / n;
  };
  await round(REQUESTS / 2);
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) samples.push(await round(REQUESTS));
  process.stdout.write(JSON.stringify(samples));
  await running.close();
  process.exit(0);
}

function main(): void {
  const builds: [string, string][] = [['sealkv', ROOT]];
  const before = option('--before', '');
  if (before !== '') builds.push(['before', before]);
  for (const name of CASES) {
    const cells = builds.map(([label, root]) => {
      const out = execFileSync(process.execPath, [HERE, '--child', root, name, '--rounds', String(ROUNDS), '--requests', String(REQUESTS)], { timeout: 300_000 });
      const s = summarize(JSON.parse(out.toString()) as number[]);
      return `${label} ${fmt(s.median / 1000, 2)} us (${fmt(s.min / 1000, 2)}–${fmt(s.max / 1000, 2)})`;
    });
    console.log(`${name.padEnd(20)} CPU per request: ${cells.join('   ')}`);
  }
}

if (argv[0] === '--child') await child(argv[1]!, argv[2]!);
else main();
