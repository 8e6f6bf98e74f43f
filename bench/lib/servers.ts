// Starting the servers a benchmark compares, on free loopback ports, and reading their memory.
// All are real processes: redis-server from Debian's package, sealkv from dist/, and the
// do-nothing Node server (bench/ceiling-server.ts) that marks what Node itself can do.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const SEALKV_BIN = fileURLToPath(new URL('../../../bin/sealkv.js', import.meta.url));
const CEILING_JS = fileURLToPath(new URL('../ceiling-server.js', import.meta.url));

export interface BenchServer {
  name: 'redis' | 'sealkv' | 'ceiling';
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export function which(tool: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`]).toString().trim() || null;
  } catch {
    return null;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts on port (10 s at most); throws if child exits first. */
export async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server on ${port} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/** `port`: one given (a machine shared with other benchmarks hands each its own), else a free one. */
export async function startRedis(extra: string[] = [], port?: number): Promise<BenchServer> {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], {
    stdio: 'ignore',
  });
  await waitForPort(port, child);
  return { name: 'redis', port, pid: child.pid!, stop: stopper(child) };
}

/**
 * `bin`: another build's bin/sealkv.js (a before/after comparison); this tree's by default.
 * `nodeFlags`: flags for node itself, before the script (e.g. `--max-semi-space-size=1`); by
 * default SEALKV_NODE_FLAGS's (space-separated), so any bench can A/B them, else the ones the
 * bin's `#!/usr/bin/env -S node ...` line gives, so benchmarks measure sealkv as it is started.
 * `port` as for startRedis.
 */
export async function startSealkv(extra: string[] = [], bin = SEALKV_BIN, nodeFlags?: string[], port?: number): Promise<BenchServer> {
  port ??= await freePort();
  const child = spawn(process.execPath, [...(nodeFlags ?? defaultNodeFlags(bin)), bin, '--port', String(port), '--bind', '127.0.0.1', '--loglevel', 'warning', ...extra], {
    stdio: 'ignore',
  });
  await waitForPort(port, child);
  await scriptingLoaded(port);
  return { name: 'sealkv', port, pid: child.pid!, stop: stopper(child) };
}

/**
 * Waits for the Lua VM that sealkv loads in the background once it listens (~15 MB: a script
 * waits for it), so a memory baseline taken next includes it; one taken before missed it in
 * about half the runs, and a 1 M-element fill then seemed to cost 15 B more per element.
 */
async function scriptingLoaded(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    socket.write('*3\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n');
    await once(socket, 'data');
  } finally {
    socket.destroy();
  }
}

/** SEALKV_NODE_FLAGS, else the flags on bin's `#!/usr/bin/env -S node` line. */
export function defaultNodeFlags(bin = SEALKV_BIN): string[] {
  const env = process.env.SEALKV_NODE_FLAGS;
  if (env !== undefined) return env.split(' ').filter((f) => f !== '');
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node((?: --?[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return m ? m[1]!.split(' ').filter((f) => f !== '') : [];
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * CPU time a process has run, every thread, in nanoseconds (each task's schedstat in /proc): server
 * CPU per request moves less with other jobs' load than requests per second do.
 */
export function cpuNanos(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return total;
}

/** CPU time one thread of a process has run, in nanoseconds: by default its first thread (sealkv's event loop). */
export function threadCpuNanos(pid: number, tid = pid): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

/** The do-nothing Node RESP server; its GET answers one fixed value of `valueSize` bytes. */
export async function startCeiling(valueSize: number): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [CEILING_JS, String(port), String(valueSize)], { stdio: 'ignore' });
  await waitForPort(port, child);
  return { name: 'ceiling', port, pid: child.pid!, stop: stopper(child) };
}
