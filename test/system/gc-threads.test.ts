// The server's scavenges run on the event-loop thread alone (src/observe/gc-threads.ts): V8's
// own trace (--trace-gc-nvp) reports no time spent by helper threads in any scavenge after
// start-up. With node's defaults a 1 MB young generation is scavenged by two threads, and the
// helper's share shows in most lines (background.scavenge.parallel > 0).

import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

/** `count` pipelined SETs of 32-byte values on one connection; resolves once every +OK is back. */
async function setMany(port: number, count: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  let oks = 0;
  const done = new Promise<void>((resolve, reject) => {
    let tail = '';
    socket.on('data', (d: Buffer) => {
      const text = tail + d.toString('latin1');
      oks += text.split('+OK\r\n').length - 1;
      tail = text.slice(text.lastIndexOf('\n') + 1);
      if (oks >= count) resolve();
    });
    socket.on('error', reject);
  });
  const value = 'v'.repeat(32);
  for (let sent = 0; sent < count; sent += 1000) {
    let batch = '';
    for (let i = sent; i < Math.min(count, sent + 1000); i++) batch += `*3\r\n$3\r\nSET\r\n$${`gc:${i}`.length}\r\ngc:${i}\r\n$32\r\n${value}\r\n`;
    if (!socket.write(batch)) await new Promise((r) => socket.once('drain', r));
  }
  await done;
  socket.destroy();
}

describe('garbage collection threads', () => {
  it('scavenges without V8 helper threads once the server runs', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '--trace-gc-nvp', BIN, '--port', String(port), '--bind', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    for (const start = Date.now(); !out.includes('sealkv ready') && Date.now() - start < 15_000; ) await sleep(25);
    expect(out).toContain('sealkv ready');

    await setMany(port, 100_000);
    child.kill('SIGTERM');
    await exited;

    const afterReady = out.slice(out.indexOf('sealkv ready'));
    const scavenges = afterReady.split('\n').filter((line) => line.includes(' gc=s '));
    const helperShares = scavenges.map((line) => Number(/background\.scavenge\.parallel=([0-9.]+)/.exec(line)?.[1]));
    // ~260 B allocated per SET: 100,000 of them fill a 1 MB young generation many times over.
    expect(scavenges.length).toBeGreaterThanOrEqual(10);
    expect(helperShares.every((ms) => ms === 0)).toBe(true);
  }, 60_000);
});
