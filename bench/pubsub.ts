// PUBLISH fan-out, sealkv beside redis-server in the same run (rounds interleaved, the order
// flipped each round, medians with min–max): to 1 and to 50 subscribers,
//   - throughput: messages published per second at pipeline 16, counted once every subscriber
//     has received every message;
//   - fan-out latency: one message at a time (pipeline 1), from the PUBLISH written to the last
//     subscriber holding the message, p50 and p99.
// Subscribers and the publisher are raw sockets in this process that only count bytes (every
// frame has the same size), so the client side costs the same for both servers. Bounded: a
// few seconds per round. The throughput runs also report each server's own CPU time per message
// (/proc/PID/stat), which other load on a shared machine disturbs far less than the rates.
//
//   npm run build && node dist/bench/pubsub.js [--rounds 3] [--messages 20000] [--payload 64]

import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { startRedis, startSealkv, type BenchServer } from './lib/servers.js';
import { fmt, range, summarize } from './lib/stats.js';
import { openSocket } from './lib/wire.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 3);
const MESSAGES = option('--messages', 20_000);
const PAYLOAD = option('--payload', 64);
const LATENCY_SAMPLES = option('--latency-samples', 1000);
const PIPELINE = 16;
const CHANNEL = 'bench:fanout';

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const payload = Buffer.alloc(PAYLOAD, 0x78);
const publishCmd = encode(['PUBLISH', CHANNEL, payload]);
const SUBSCRIBED = `*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`.length;
const FRAME = `*3\r\n$7\r\nmessage\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$${PAYLOAD}\r\n`.length + PAYLOAD + 2;

interface Subscriber {
  socket: Socket;
  bytes: number;
  /** Called on every read, to let a waiter check the counts. */
  onData: (() => void) | null;
}

async function subscribers(port: number, n: number): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  for (let i = 0; i < n; i++) {
    const socket = await openSocket(port);
    const sub: Subscriber = { socket, bytes: 0, onData: null };
    socket.on('data', (d: Buffer) => {
      sub.bytes += d.length;
      sub.onData?.();
    });
    socket.write(encode(['SUBSCRIBE', CHANNEL]));
    subs.push(sub);
  }
  await until(subs, () => subs.every((s) => s.bytes >= SUBSCRIBED));
  return subs;
}

function delivered(s: Subscriber): number {
  return Math.floor((s.bytes - SUBSCRIBED) / FRAME);
}

/** Resolves once check() holds, re-checked on every subscriber read. */
function until(subs: Subscriber[], check: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const t = setTimeout(() => reject(new Error('fan-out did not complete in 60 s')), 60_000);
    const on = () => {
      if (!check()) return;
      clearTimeout(t);
      for (const s of subs) s.onData = null;
      resolve();
    };
    for (const s of subs) s.onData = on;
  });
}

/** Messages per second at pipeline 16, until every subscriber has them all. */
async function throughput(port: number, n: number): Promise<number> {
  const subs = await subscribers(port, n);
  const pub = await openSocket(port);
  let sent = 0;
  let replies = 0;
  const start = performance.now();
  const done = until(subs, () => subs.every((s) => delivered(s) >= MESSAGES));
  pub.on('data', (d: Buffer) => {
    for (let i = 0; i < d.length; i++) if (d[i] === 0x0a) replies++;
    const batch: Buffer[] = [];
    while (sent < MESSAGES && sent - replies < PIPELINE) {
      batch.push(publishCmd);
      sent++;
    }
    if (batch.length > 0) pub.write(Buffer.concat(batch));
  });
  const first: Buffer[] = [];
  for (; sent < Math.min(PIPELINE, MESSAGES); sent++) first.push(publishCmd);
  pub.write(Buffer.concat(first));
  await done;
  const secs = (performance.now() - start) / 1000;
  pub.destroy();
  for (const s of subs) s.socket.destroy();
  return MESSAGES / secs;
}

/** Fan-out latency in ms, one message at a time: [p50, p99]. */
async function latency(port: number, n: number): Promise<[number, number]> {
  const subs = await subscribers(port, n);
  const pub = await openSocket(port);
  pub.on('data', () => {});
  const times: number[] = [];
  for (let i = 1; i <= LATENCY_SAMPLES; i++) {
    const start = performance.now();
    const done = until(subs, () => subs.every((s) => delivered(s) >= i));
    pub.write(publishCmd);
    await done;
    times.push(performance.now() - start);
  }
  pub.destroy();
  for (const s of subs) s.socket.destroy();
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length * 0.5)]!, times[Math.floor(times.length * 0.99)]!];
}

async function main(): Promise<void> {
  const servers: BenchServer[] = [await startSealkv(), await startRedis()];
  const rows = new Map<string, number[]>();
  const add = (k: string, v: number) => rows.set(k, [...(rows.get(k) ?? []), v]);
  try {
    for (const s of servers) await throughput(s.port, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of round % 2 === 0 ? servers : [...servers].reverse()) {
        for (const n of [1, 50]) {
          const before = cpuSeconds(s.pid);
          add(`${s.name}|${n}|rate`, await throughput(s.port, n));
          add(`${s.name}|${n}|cpu`, ((cpuSeconds(s.pid) - before) * 1e6) / MESSAGES);
          const [p50, p99] = await latency(s.port, n);
          add(`${s.name}|${n}|p50`, p50);
          add(`${s.name}|${n}|p99`, p99);
        }
      }
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  const med = (k: string) => summarize(rows.get(k)!);
  const lines = [
    `PUBLISH fan-out, ${PAYLOAD} B payloads, ${ROUNDS} rounds (median, min–max); throughput at pipeline ${PIPELINE} over ${MESSAGES} messages, latency over ${LATENCY_SAMPLES} messages at pipeline 1`,
    '',
    '| subscribers | sealkv msg/s | redis msg/s | ratio | sealkv p50 / p99 ms | redis p50 / p99 ms | sealkv / redis CPU µs/msg | by CPU |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const n of [1, 50]) {
    const a = med(`sealkv|${n}|rate`);
    const b = med(`redis|${n}|rate`);
    lines.push(
      `| ${n} | ${range(a)} | ${range(b)} | ${fmt(a.median / b.median, 2)}x | ` +
        `${fmt(med(`sealkv|${n}|p50`).median, 3)} / ${fmt(med(`sealkv|${n}|p99`).median, 3)} | ` +
        `${fmt(med(`redis|${n}|p50`).median, 3)} / ${fmt(med(`redis|${n}|p99`).median, 3)} | ` +
        `${fmt(med(`sealkv|${n}|cpu`).median, 2)} / ${fmt(med(`redis|${n}|cpu`).median, 2)} | ${fmt(med(`redis|${n}|cpu`).median / med(`sealkv|${n}|cpu`).median, 2)}x |`,
    );
  }
  console.log(lines.join('\n'));
}

await main();
