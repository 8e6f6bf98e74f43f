// One client's 1 MiB values must not hold other clients' replies back (issue 20, large values):
// their seals and opens run on a seal worker (src/seal/seal-workers.ts). A loader (a
// process of its own, so its parsing does not disturb the timing here) loops SET and GET of
// 1 MiB values (8 SETs and 8 GETs pipelined, then a 30 ms pause) while this process sends small
// GETs one at a time on another connection and times each. The same is run against a server
// with `--seal-workers 0` (every seal and open on the event loop: a read of eight pipelined GETs
// is 5-8 ms of AEAD in one go), in interleaved windows: the work must have gone to the worker in
// one and never in the other, and both holds are logged (not asserted). Then what
// a large value meets while a worker has it: pipelined commands behind it, SET options, a client
// that hangs up, SEAL ROTATE with values in flight, and MULTI.

import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const WINDOW_MS = 1200;
const ROUNDS = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Small GETs one at a time on a raw socket for `ms`, each round trip timed. */
async function probe(port: number, ms: number): Promise<number[]> {
  const s: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.setNoDelay(true);
  const request = Buffer.from('*2\r\n$3\r\nGET\r\n$5\r\nsmall\r\n');
  const times: number[] = [];
  const end = performance.now() + ms;
  let pending: (() => void) | null = null;
  let buf = '';
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    if (buf.endsWith('\r\nhello\r\n') || buf === '$-1\r\n') {
      buf = '';
      pending?.();
    }
  });
  while (performance.now() < end) {
    const t0 = performance.now();
    await new Promise<void>((r) => {
      pending = r;
      s.write(request);
    });
    times.push(performance.now() - t0);
  }
  s.destroy();
  return times.sort((a, b) => a - b);
}

/**
 * A process of its own that sends 8 SETs then 8 GETs of 1 MiB values pipelined, reads the
 * replies, pauses 30 ms and goes again, until stopped: load that leaves the CPU idle between
 * batches, so what the probe sees is the server holding it back, not a saturated machine.
 */
const LOADER = `
const net = require('node:net');
const port = Number(process.argv[1]);
const value = Buffer.alloc(1 << 20, 120);
const set = (k) => Buffer.concat([Buffer.from('*3\\r\\n$3\\r\\nSET\\r\\n$' + k.length + '\\r\\n' + k + '\\r\\n$' + value.length + '\\r\\n'), value, Buffer.from('\\r\\n')]);
const get = (k) => Buffer.from('*2\\r\\n$3\\r\\nGET\\r\\n$' + k.length + '\\r\\n' + k + '\\r\\n');
const keys = [0, 1, 2, 3, 4, 5, 6, 7];
const batch = Buffer.concat(keys.map((i) => set('big' + i)).concat(keys.map((i) => get('big' + i))));
const expect = 8 * 5 + 8 * (value.length + 12);
const s = net.connect(port, '127.0.0.1', () => { s.setNoDelay(true); go(); });
let got = 0;
s.on('data', (d) => { got += d.length; if (got >= expect) { got -= expect; setTimeout(go, 30); } });
function go() { s.write(batch); }
`;

function loadLoop(port: number): () => Promise<void> {
  const child = spawn(process.execPath, ['-e', LOADER, String(port)], { stdio: 'ignore' });
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

interface Hold {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  n: number;
  jobs: number;
}

async function holdOf(server: SpawnedServer): Promise<Hold> {
  const r = new Redis({ port: server.port, lazyConnect: false });
  await r.set('small', 'hello');
  const stop = loadLoop(server.port);
  await new Promise((res) => setTimeout(res, 300)); // the loop is under way
  const times = await probe(server.port, WINDOW_MS);
  await stop();
  const info = await r.info('sealkv');
  r.disconnect();
  const jobs = Number(/seal_worker_jobs:(\d+)/.exec(info)?.[1] ?? 0);
  return { p50: percentile(times, 50), p99: percentile(times, 99), p999: percentile(times, 99.9), max: times[times.length - 1]!, n: times.length, jobs };
}

describe('1 MiB values beside small GETs', () => {
  let withWorkers: SpawnedServer;
  let onLoop: SpawnedServer;
  beforeAll(async () => {
    withWorkers = await spawnServer(['--seal-workers', '1']);
    onLoop = await spawnServer(['--seal-workers', '0']);
  }, 30_000);
  afterAll(async () => {
    await withWorkers?.stop();
    await onLoop?.stop();
  });

  it('keeps the small GETs p99 low while a worker seals and opens', async () => {
    // Interleaved windows (A B B A A B), so a burst of load from elsewhere on the machine falls
    // on both; the median window of each is compared.
    const work: Hold[] = [];
    const loop: Hold[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const pair = round % 2 === 0 ? [withWorkers, onLoop] : [onLoop, withWorkers];
      for (const server of pair) (server === withWorkers ? work : loop).push(await holdOf(server));
    }
    const mid = (hs: Hold[], pick: (h: Hold) => number) => hs.map(pick).sort((a, b) => a - b)[Math.floor(hs.length / 2)]!;
    const f = (n: number) => n.toFixed(2);
    const line = (hs: Hold[]) =>
      `p50 ${f(mid(hs, (h) => h.p50))} p99 ${f(mid(hs, (h) => h.p99))} (windows: ${hs.map((h) => f(h.p99)).join(', ')}) max ${f(Math.max(...hs.map((h) => h.max)))} ms`;
    console.log(`small GET round trip under a 1 MiB SET/GET loop (8 SETs + 8 GETs pipelined, 30 ms apart), median of ${ROUNDS} windows: ` +
      `seal workers ${line(work)}, ${work.reduce((n, h) => n + h.jobs, 0)} worker jobs; on the event loop ${line(loop)}`);
    expect(Math.min(...work.map((h) => h.jobs))).toBeGreaterThan(20);
    expect(loop.every((h) => h.jobs === 0)).toBe(true);
    // The holds are logged, not asserted: timing belongs to benchmarks (the README's large-values
    // figures), and a CI machine running other test files at once would make a bound flaky.
  }, 90_000);
});

describe('large values through a seal worker', () => {
  let server: SpawnedServer;
  let r: Redis;
  beforeAll(async () => {
    server = await spawnServer(['--seal-workers', '1', '--seal-worker-min-bytes', '100000']);
    r = new Redis({ port: server.port, lazyConnect: false });
  }, 30_000);
  afterAll(async () => {
    r?.disconnect();
    await server?.stop();
  });

  const value = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

  it('answers pipelined commands in order, each seeing the one before', async () => {
    const p = r.pipeline();
    const values: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const v = value(100_000 + i * 50_000, i);
      values.push(v);
      p.set('pk', v).getBuffer('pk').append('pk', 'x').strlen('pk').set('pk', 'small').getBuffer('pk');
    }
    const res = (await p.exec())!;
    for (let i = 0; i < 12; i++) {
      const [set, get, append, strlen, set2, get2] = res.slice(i * 6, i * 6 + 6).map((x) => x[1] as unknown);
      expect(set).toBe('OK');
      expect(Buffer.compare(get as Buffer, values[i]!)).toBe(0);
      expect(append).toBe(values[i]!.length + 1);
      expect(strlen).toBe(values[i]!.length + 1);
      expect(set2).toBe('OK');
      expect((get2 as Buffer).toString()).toBe('small');
    }
    expect(await r.info('sealkv')).toMatch(/seal_worker_jobs:(?:[2-9]\d|\d{3,})/);
  });

  it('keeps SET options, TTLs and GET of the old value', async () => {
    const v1 = value(300_000, 1);
    const v2 = value(400_000, 2);
    expect(await r.set('opt', v1, 'EX', 100)).toBe('OK');
    expect(await r.set('opt', v2, 'NX')).toBeNull();
    expect(Buffer.compare((await r.getBuffer('opt'))!, v1)).toBe(0);
    expect(Buffer.compare((await r.setBuffer('opt', v2, 'KEEPTTL', 'GET'))!, v1)).toBe(0);
    expect(await r.ttl('opt')).toBeGreaterThan(90);
    expect(Buffer.compare((await r.getBuffer('opt'))!, v2)).toBe(0);
    expect(await r.set('absent', v2, 'XX')).toBeNull();
    expect(await r.exists('absent')).toBe(0);
  });

  it('stores a large SET whose client hung up before the worker was done, as Redis would', async () => {
    const v = value(500_000, 3);
    const s = connect(server.port, '127.0.0.1');
    await new Promise<void>((res) => s.once('connect', () => res()));
    s.end(Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$4\r\ngone\r\n$${v.length}\r\n`), v, Buffer.from('\r\n')]));
    let got: Buffer | null = null;
    for (let i = 0; i < 100 && got === null; i++) {
      await new Promise((res) => setTimeout(res, 20));
      got = await r.getBuffer('gone');
    }
    expect(got !== null && Buffer.compare(got, v) === 0).toBe(true);
  });

  it('stays correct across SEAL ROTATE with values in flight, and in MULTI', async () => {
    const v = value(1_000_000, 7);
    const other = new Redis({ port: server.port, lazyConnect: false });
    const p = r.pipeline();
    for (let i = 0; i < 8; i++) p.set(`rot${i}`, v).getBuffer(`rot${i}`);
    const rotating = other.call('SEAL', 'ROTATE');
    const [res] = await Promise.all([p.exec(), rotating]);
    for (let i = 0; i < 8; i++) expect(Buffer.compare(res![i * 2 + 1]![1] as Buffer, v)).toBe(0);
    for (let i = 0; i < 8; i++) expect(Buffer.compare((await other.getBuffer(`rot${i}`))!, v)).toBe(0);
    const tx = await r.multi().set('m', v).getBuffer('m').exec();
    expect(Buffer.compare(tx![1]![1] as Buffer, v)).toBe(0);
    other.disconnect();
  });
});
