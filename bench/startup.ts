// Start-up and bulk load (issue #20 item 6), sealkv beside redis-server in the same run, rounds
// interleaved:
//  - start-up: wall time from spawning the process to the first accepted TCP connection (the
//    client retries every millisecond), and the CPU time the process spent by then (all its
//    threads, from /proc/<pid>/task/*/schedstat). A bare Node process that only listens is
//    measured too: the floor no Node server goes below on this machine.
//  - bulk load: `redis-cli --pipe` sends 1,000,000 SETs (32-byte values) into a fresh server;
//    wall time until the last reply, and the server's CPU time per request.
// Goals: start-up <= 300 ms, bulk load <= 2x redis-server. Exits 1 when a goal is missed.
//
//   npm run build && node dist/bench/startup.js [--rounds 5] [--keys 1000000] [--quick] [--startup-only] [--bin <other build>/bin/sealkv.js]

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, which } from './lib/servers.js';
import { range, summarize, type Summary } from './lib/stats.js';
import { finishReport, runIfMain } from './lib/main.js';

const SEALKV_BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/startup.md', import.meta.url));

type Kind = 'sealkv' | 'redis' | 'node';

/** CPU time of every thread of a process so far, in ms. */
export function cpuMs(pid: number): number {
  let ns = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // A thread that ended between the listing and the read.
      }
    }
  } catch {
    return NaN;
  }
  return ns / 1e6;
}

function command(kind: Kind, port: number, bin: string): [string, string[]] {
  switch (kind) {
    case 'sealkv':
      return [process.execPath, [bin, '--port', String(port), '--bind', '127.0.0.1', '--loglevel', 'warning', '--save', '']];
    case 'redis':
      return ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']];
    case 'node':
      return [process.execPath, ['-e', `require('net').createServer(s=>s.end()).listen(${port},'127.0.0.1')`]];
  }
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

interface Started {
  child: ChildProcess;
  port: number;
  wallMs: number;
  cpuMs: number;
  stop(): Promise<void>;
}

/** Spawns a server and times it to its first accepted connection. */
export async function startTimed(kind: Kind, bin = SEALKV_BIN): Promise<Started> {
  const port = await freePort();
  const [cmd, args] = command(kind, port, bin);
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: 'ignore' });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited with ${child.exitCode}`);
    if (await tryConnect(port)) break;
    if (performance.now() - t0 > 30_000) throw new Error(`${kind} did not accept a connection within 30 s`);
    await new Promise((r) => setTimeout(r, 1));
  }
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(child.pid!);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { child, port, wallMs, cpuMs: cpu, stop };
}

/** The bulk-load input: `keys` SETs of 32-byte values in RESP, written once per run. */
async function pipeFile(keys: number): Promise<string> {
  const path = join(tmpdir(), `sealkv-bench-pipe-${keys}.resp`);
  if (existsSync(path) && statSync(path).size > 0) return path;
  const out = createWriteStream(path);
  const value = 'v'.repeat(32);
  let chunk = '';
  for (let i = 0; i < keys; i++) {
    const key = `key:${String(i).padStart(9, '0')}`;
    chunk += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$32\r\n${value}\r\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.write(chunk);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return path;
}

interface Load {
  wallMs: number;
  serverCpuMs: number;
  replies: number;
}

/** `redis-cli --pipe < file` into a fresh server; the wall time until its last reply. */
function bulkLoad(port: number, pid: number, file: string): Load {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `redis-cli -p ${port} --pipe < ${file}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const wallMs = performance.now() - t0;
  const serverCpuMs = cpuMs(pid) - cpu0;
  const m = /errors: (\d+), replies: (\d+)/.exec(r.stdout);
  if (r.status !== 0 || m === null || m[1] !== '0') throw new Error(`redis-cli --pipe failed: ${r.stdout} ${r.stderr}`);
  return { wallMs, serverCpuMs, replies: Number(m[2]) };
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
  const quick = argv.includes('--quick');
  const rounds = Number(arg('--rounds', quick ? '2' : '5'));
  const keys = Number(arg('--keys', quick ? '200000' : '1000000'));
  const bin = arg('--bin', SEALKV_BIN);
  const hasRedis = which('redis-server') !== null && which('redis-cli') !== null;
  const kinds: Kind[] = hasRedis ? ['sealkv', 'redis', 'node'] : ['sealkv', 'node'];
  const load0 = loadavg()[0]!;

  const start = new Map<Kind, { wall: number[]; cpu: number[] }>(kinds.map((k) => [k, { wall: [], cpu: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
      const s = await startTimed(kind, bin);
      start.get(kind)!.wall.push(s.wallMs);
      start.get(kind)!.cpu.push(s.cpuMs);
      await s.stop();
    }
  }

  const loads = new Map<Kind, Load[]>();
  if (hasRedis && !argv.includes('--startup-only')) {
    const file = await pipeFile(keys);
    for (let round = 0; round < rounds; round++) {
      for (const kind of (round % 2 === 0 ? ['sealkv', 'redis'] : ['redis', 'sealkv']) as Kind[]) {
        const s = await startTimed(kind, bin);
        try {
          const l = bulkLoad(s.port, s.child.pid!, file);
          if (l.replies !== keys) throw new Error(`${kind}: ${l.replies} replies for ${keys} keys`);
          loads.set(kind, [...(loads.get(kind) ?? []), l]);
        } finally {
          await s.stop();
        }
      }
    }
    if (!argv.includes('--keep-file')) rmSync(file, { force: true });
  }
  const load1 = loadavg()[0]!;

  const lines: string[] = [];
  lines.push(`Run of ${new Date().toISOString()}, ${rounds} interleaved round(s), load average ${load0.toFixed(1)} at start, ${load1.toFixed(1)} at end; median (min–max)`);
  lines.push('');
  lines.push('| start-up | to first accepted connection (ms) | CPU by then (ms) |');
  lines.push('|---|---:|---:|');
  const sum = (xs: number[]): Summary => summarize(xs);
  for (const kind of kinds) {
    const s = start.get(kind)!;
    const label = kind === 'node' ? 'bare Node listen (floor)' : kind === 'redis' ? 'redis-server' : 'sealkv';
    lines.push(`| ${label} | ${range(sum(s.wall), 1)} | ${range(sum(s.cpu), 1)} |`);
  }
  const startMedian = sum(start.get('sealkv')!.wall).median;
  let ratio = NaN;
  if (loads.size > 0) {
    lines.push('');
    lines.push(`| bulk load, ${keys.toLocaleString('en-US')} SETs of 32 B through redis-cli --pipe | wall (ms) | keys/s | server CPU per SET (µs) |`);
    lines.push('|---|---:|---:|---:|');
    for (const kind of ['sealkv', 'redis'] as Kind[]) {
      const ls = loads.get(kind)!;
      const wall = sum(ls.map((l) => l.wallMs));
      lines.push(
        `| ${kind === 'redis' ? 'redis-server' : 'sealkv'} | ${range(wall, 0)} | ${range(sum(ls.map((l) => (keys / l.wallMs) * 1000)), 0)} | ${range(sum(ls.map((l) => (l.serverCpuMs * 1000) / keys)), 2)} |`,
      );
    }
    ratio = sum(loads.get('sealkv')!.map((l) => l.wallMs)).median / sum(loads.get('redis')!.map((l) => l.wallMs)).median;
    lines.push('');
    lines.push(`bulk load sealkv / redis-server: ${ratio.toFixed(2)}x (goal <= 2x); start-up ${startMedian.toFixed(0)} ms (goal <= 300 ms)`);
  }
  finishReport(lines.join('\n') + '\n', argv, RESULTS, startMedian > 300 || ratio > 2);
}

runIfMain(import.meta.url, main);
