// Request-path parser benchmark: sealkv's hand-written RequestParser against the redis-parser
// library (the RESP parser behind node-redis 3), on the same pipelined GET/SET stream fed in
// socket-sized chunks. Rounds are interleaved (A B A B ...) and reported as medians.
//
//   node dist/bench/micro/parser.js [--rounds 9] [--commands 200000]

import Parser from 'redis-parser';
import { RequestParser } from '../../src/protocol/parser.js';
import { range, summarize } from '../lib/stats.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 9);
const COMMANDS = arg('commands', 200_000);
const CHUNK = 64 * 1024;

/** Commands per round for a value size: capped so one round's stream stays under ~64 MiB. */
function commandsFor(valueSize: number): number {
  return Math.min(COMMANDS, Math.floor((64 * 1024 * 1024) / (valueSize / 2 + 40)));
}

function workload(valueSize: number): Buffer[] {
  const value = 'v'.repeat(valueSize);
  const frames: string[] = [];
  for (let i = 0; i < commandsFor(valueSize); i++) {
    const key = `key:${i % 10000}`;
    frames.push(
      i % 2
        ? `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`
        : `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`,
    );
  }
  const all = Buffer.from(frames.join(''));
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return chunks;
}

function handWritten(chunks: Buffer[]): number {
  const parser = new RequestParser({ maxBulkLen: 512 * 1024 * 1024 });
  let n = 0;
  for (const chunk of chunks) {
    parser.feed(chunk);
    while (parser.next() !== null) n++;
  }
  return n;
}

function library(chunks: Buffer[]): number {
  let n = 0;
  const parser = new Parser({
    returnBuffers: true,
    returnReply: () => n++,
    returnError: () => {
      throw new Error('unexpected error reply');
    },
  });
  for (const chunk of chunks) parser.execute(chunk);
  return n;
}

function rate(fn: (c: Buffer[]) => number, chunks: Buffer[], expected: number): number {
  const start = process.hrtime.bigint();
  const n = fn(chunks);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (n !== expected) throw new Error(`parsed ${n} of ${expected}`);
  return n / seconds;
}

export function runParserBench(): string[] {
  const lines = [
    `| value size | hand-written RequestParser (cmd/s) | redis-parser 3 (cmd/s) | ratio |`,
    `|---:|---:|---:|---:|`,
  ];
  for (const size of [32, 1024, 16 * 1024]) {
    const chunks = workload(size);
    const n = commandsFor(size);
    for (let i = 0; i < 2; i++) {
      rate(handWritten, chunks, n);
      rate(library, chunks, n);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(rate(handWritten, chunks, n));
      b.push(rate(library, chunks, n));
    }
    const sa = summarize(a);
    const sb = summarize(b);
    lines.push(`| ${size} B | ${range(sa)} | ${range(sb)} | ${(sa.median / sb.median).toFixed(2)}x |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`Request parsing, up to ${COMMANDS} pipelined GET/SET per round, ${CHUNK / 1024} KiB reads, ${ROUNDS} interleaved rounds (median, min–max):\n`);
  console.log(runParserBench().join('\n'));
}
