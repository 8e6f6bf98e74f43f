// The whole XADD path in one process, without the kernel: a real server's Client fed pipelined
// XADDs (16 per read, auto ids, two 32-byte fields, as bench/streams.ts sends them) through a
// socket stand-in that drops the replies. Parsing, dispatch, the stream append, the AEAD seal
// and reply staging are measured; the socket reads and writes, which a loopback benchmark pays
// in the kernel and which vary most on a shared machine, are not. Reports CPU time per request
// (process.cpuUsage: the collector's helper threads included), medians of rounds.
//
//   npm run build && node dist/bench/micro/xadd-path.js [--rounds 7] [--requests 200000] [--before <root of another build>]
//
// Each build runs in a child process of its own; with --before the two alternate round by round.

import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { fmt, summarize } from '../lib/stats.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);
const ROUNDS = Number(option('--rounds', '7'));
const REQUESTS = Number(option('--requests', '200000'));
const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VALUE = 'v'.repeat(32);

const resp = (args: string[]): Buffer =>
  Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map((a) => Buffer.from(`$${Buffer.byteLength(a)}\r\n${a}\r\n`))]);
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
async function child(root: string): Promise<void> {
  const { startServer } = await import(`${root}/dist/src/net/server.js`);
  const { Client } = await import(`${root}/dist/src/net/client.js`);
  const { Config } = await import(`${root}/dist/src/config.js`);
  const { default: pino } = await import('pino');
  const running: any = await startServer(new Config(Object.entries({ port: '0', unixsocket: join(tmpdir(), `sealkv-xadd-path-${process.pid}.sock`) })), { log: pino({ level: 'silent' }) });
  // No TCP port (none to collide with): a unix socket nobody uses; the client below is fed directly.
  const server = running.state;
  const client: any = new Client(1_000_000, new Sink() as any, server, server.commands, () => undefined);
  const read = Buffer.concat(Array.from({ length: 16 }, () => resp(['XADD', 'bench:add', '*', 'a', VALUE, 'b', VALUE])));
  const round = async (n: number): Promise<number> => {
    client.receive(resp(['DEL', 'bench:add']));
    await turn();
    const start = process.cpuUsage();
    for (let i = 0; i < n / 16; i++) {
      // A copy per read: the client zeroes what it has parsed.
      client.receive(Buffer.from(read));
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
  const samples = new Map<string, number[]>(builds.map(([label]) => [label, []]));
  // Rounds of one child each, the builds alternating: load from elsewhere falls on both alike.
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, root] of r % 2 === 0 ? builds : [...builds].reverse()) {
      const out = execFileSync(process.execPath, [HERE, '--child', root, '--rounds', '1', '--requests', String(REQUESTS)], { timeout: 300_000 });
      samples.get(label)!.push(...(JSON.parse(out.toString()) as number[]));
    }
  }
  const cells = builds.map(([label]) => {
    const s = summarize(samples.get(label)!);
    return `${label} ${fmt(s.median / 1000, 2)} us (${fmt(s.min / 1000, 2)}–${fmt(s.max / 1000, 2)})`;
  });
  console.log(`XADD bench:add * a <32B> b <32B>, 16 per read: CPU per request ${cells.join('   ')}`);
}

if (argv[0] === '--child') await child(argv[1]!);
else main();
