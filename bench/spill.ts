// GET latency and throughput for spilled values beside in-memory ones, on one sealkv process
// with a small maxmemory and a spill-dir on tmpfs (/dev/shm by default).
//
//   npm run build && node dist/bench/spill.js [--spill-dir /dev/shm] [--keys 20000] [--quick]
//
// The first keys written are the coldest and end up spilled; the last ones stay in memory.
// Memory stays full, so a spilled value is lent to each GET and stays on tmpfs: every cold GET
// below is a real read from a segment file (checked through INFO spill_reads).

import { statfsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fill, info } from './lib/fill.js';
import { startSealkv } from './lib/servers.js';
import { fmt, summarize, type Summary } from './lib/stats.js';
import { runIfMain } from './lib/main.js';

export interface SpillBenchOptions {
  spillDir: string;
  keys: number;
  valueSize: number;
  /** GETs per measurement. */
  requests: number;
  rounds: number;
}

export interface SpillBenchRow {
  label: 'in memory' | 'spilled';
  /** Single GETs, one at a time: microseconds. */
  p50: Summary;
  p99: Summary;
  /** Pipelined 16 deep on one connection: GETs per second. */
  rps: Summary;
  /** INFO spill_reads per GET during the run (1 = every GET went to tmpfs). */
  readsPerGet: number;
}

const TMPFS_MAGIC = 0x01021994;

function getCommand(key: string): Buffer {
  return Buffer.from(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
}

/** Sends `batch` and resolves once `replies` bulk replies of `valueSize` bytes have arrived. */
function roundTrip(socket: Socket, batch: Buffer, replies: number, valueSize: number): Promise<void> {
  const replyBytes = `$${valueSize}\r\n`.length + valueSize + 2;
  const want = replies * replyBytes;
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (chunk: Buffer) => {
      if (chunk[0] === 0x2d) return reject(new Error(chunk.toString()));
      got += chunk.length;
      if (got >= want) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(batch);
  });
}

async function measure(port: number, keys: string[], valueSize: number, requests: number): Promise<{ p50: number; p99: number; rps: number }> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  try {
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) {
      const start = process.hrtime.bigint();
      await roundTrip(socket, getCommand(keys[i % keys.length]!), 1, valueSize);
      latencies.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    latencies.sort((a, b) => a - b);
    const depth = 16;
    const start = process.hrtime.bigint();
    for (let i = 0; i < requests; i += depth) {
      const batch = Buffer.concat(Array.from({ length: depth }, (_, j) => getCommand(keys[(i + j) % keys.length]!)));
      await roundTrip(socket, batch, depth, valueSize);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return {
      p50: latencies[Math.floor(latencies.length * 0.5)]!,
      p99: latencies[Math.floor(latencies.length * 0.99)]!,
      rps: Math.ceil(requests / depth) * depth / seconds,
    };
  } finally {
    socket.destroy();
  }
}

export async function runSpillBench(opts: SpillBenchOptions): Promise<SpillBenchRow[]> {
  if (statfsSync(opts.spillDir).type !== TMPFS_MAGIC) throw new Error(`${opts.spillDir} is not on tmpfs`);
  // maxmemory holds about a quarter of the data set (keys of spilled values count too); the quota all of it.
  const dataBytes = opts.keys * (opts.valueSize + 150);
  const server = await startSealkv([
    '--maxmemory', String(Math.ceil(dataBytes / 4)),
    '--spill-dir', opts.spillDir,
    '--spill-max-bytes', String(dataBytes * 2 + 4 * 1024 * 1024),
  ]);
  try {
    await fill(server.port, opts.keys, opts.valueSize);
    const spilled = Number((await info(server.port, 'spill')).get('spill_keys'));
    if (!(spilled > opts.keys / 2)) throw new Error(`only ${spilled} of ${opts.keys} keys were spilled`);
    // Well inside both regions: the newest fortieth fits in memory, the oldest is on tmpfs.
    const sample = Math.min(1000, Math.floor(opts.keys / 40));
    const cold = Array.from({ length: sample }, (_, i) => `key:${i}`);
    const hot = Array.from({ length: sample }, (_, i) => `key:${opts.keys - 1 - i}`);
    const rows: SpillBenchRow[] = [];
    for (const [label, keys] of [['in memory', hot], ['spilled', cold]] as const) {
      const p50: number[] = [];
      const p99: number[] = [];
      const rps: number[] = [];
      const readsBefore = Number((await info(server.port, 'spill')).get('spill_reads'));
      for (let r = 0; r < opts.rounds; r++) {
        const m = await measure(server.port, keys, opts.valueSize, opts.requests);
        p50.push(m.p50);
        p99.push(m.p99);
        rps.push(m.rps);
      }
      const reads = Number((await info(server.port, 'spill')).get('spill_reads')) - readsBefore;
      const gets = opts.rounds * (opts.requests + Math.ceil(opts.requests / 16) * 16);
      rows.push({ label, p50: summarize(p50), p99: summarize(p99), rps: summarize(rps), readsPerGet: reads / gets });
    }
    return rows;
  } finally {
    await server.stop();
  }
}

export function spillTable(rows: SpillBenchRow[], opts: SpillBenchOptions): string {
  const lines = [
    `GET of ${opts.valueSize} B values, ${opts.keys} keys, ${opts.rounds} round(s) of ${opts.requests} GETs (medians)`,
    '',
    '| values | p50 µs (single) | p99 µs (single) | GET/s (pipeline 16) | tmpfs reads per GET |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.label} | ${fmt(r.p50.median, 1)} | ${fmt(r.p99.median, 1)} | ${fmt(r.rps.median)} | ${r.readsPerGet.toFixed(2)} |`);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
  const quick = argv.includes('--quick');
  const opts: SpillBenchOptions = {
    spillDir: arg('--spill-dir', '/dev/shm'),
    keys: Number(arg('--keys', quick ? '5000' : '20000')),
    valueSize: Number(arg('--value-size', '1024')),
    requests: Number(arg('--requests', quick ? '2000' : '10000')),
    rounds: Number(arg('--rounds', quick ? '1' : '3')),
  };
  console.log(spillTable(await runSpillBench(opts), opts));
}

runIfMain(import.meta.url, main);
