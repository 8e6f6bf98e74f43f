// Large lists beside redis-server 7.0, each server a fresh process: one RPUSH of 2,000,000
// one-byte elements (issue #14: at most 2x Redis's CPU time and memory high-water mark) and one
// list of 1,000,000 10-byte elements (issue #15: the list's own bytes, used_memory, at most 1.5x
// Redis's). CPU is the server's own time from /proc, so other jobs on the machine slow the run
// but hardly move the figures; the bounds add a little slack for that. RSS growth is reported,
// not bounded: it includes V8's young generation grown by the fill's parsing (README, Lists).

import { fileURLToPath } from 'node:url';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runManyArgs } from '../../bench/many-args.js';
import { info, allocated } from '../../bench/lib/fill.js';
import { rssBytes, startRedis, startSealkv, which, type BenchServer } from '../../bench/lib/servers.js';

const BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));
const hasRedis = which('redis-server') !== null;

const frame = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

function pipelined(socket: Socket, commands: string[][]): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const onData = (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x0a) seen++;
      if (chunk.includes('-ERR') || chunk.includes('-OOM')) reject(new Error(chunk.toString('latin1', 0, 200)));
      if (seen >= commands.length) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(commands.map(frame).join(''));
  });
}

/** Allocated memory (sealkv: allocator_allocated, bench/lib/fill.ts allocated) and RSS growth per element for one list of `n` 10-byte elements, RPUSHed 1,000 at a time. */
async function listOfMillion(server: BenchServer, n: number): Promise<{ used: number; rss: number }> {
  try {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const used0 = allocated(await info(server.port, 'memory'));
    const rss0 = rssBytes(server.pid);
    for (let start = 0; start < n; start += 50_000) {
      const commands: string[][] = [];
      for (let i = start; i < Math.min(n, start + 50_000); i += 1000) {
        commands.push(['RPUSH', 'big', ...Array.from({ length: 1000 }, (_, k) => String(i + k).padStart(10, 'e'))]);
      }
      await pipelined(socket, commands);
    }
    socket.destroy();
    await new Promise((r) => setTimeout(r, 1000));
    const used1 = allocated(await info(server.port, 'memory'));
    return { used: (used1 - used0) / n, rss: (rssBytes(server.pid) - rss0) / n };
  } finally {
    await server.stop();
  }
}

describe.skipIf(!hasRedis)('large lists beside redis-server', () => {
  it('one RPUSH of 2,000,000 one-byte elements: at most 2x redis-server CPU time and memory', async () => {
    const rows = await runManyArgs({ ns: [2_000_000], commands: ['RPUSH'], servers: ['other', 'redis'], bin: BIN });
    const [ours, theirs] = rows;
    console.log(`RPUSH 2M: sealkv ${ours!.cpuS.toFixed(2)} s +${ours!.peakMB.toFixed(0)} MB | redis-server ${theirs!.cpuS.toFixed(2)} s +${theirs!.peakMB.toFixed(0)} MB`);
    // n counts every argument of the request, RPUSH and the key included.
    expect(ours!.reply).toBe(':1999998');
    expect(ours!.reply).toBe(theirs!.reply);
    expect(ours!.cpuS).toBeLessThanOrEqual(2 * theirs!.cpuS + 0.1);
    expect(ours!.peakMB).toBeLessThanOrEqual(2 * theirs!.peakMB + 20);
  }, 300_000);

  it('one list of 1,000,000 10-byte elements holds at most 1.5x redis-server used_memory per element', async () => {
    const ours = await listOfMillion(await startSealkv([], BIN), 1_000_000);
    const theirs = await listOfMillion(await startRedis(), 1_000_000);
    console.log(`1 M-element list per element: sealkv used ${ours.used.toFixed(1)} B, RSS ${ours.rss.toFixed(1)} B | redis-server used ${theirs.used.toFixed(1)} B, RSS ${theirs.rss.toFixed(1)} B`);
    expect(ours.used).toBeLessThanOrEqual(1.5 * theirs.used);
    // Before list nodes were sealed whole: 73.6 B of used_memory per element.
    expect(ours.used).toBeLessThan(20);
  }, 300_000);
});
