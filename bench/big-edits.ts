// Small edits of one large value: SETRANGE and APPEND of 1 byte on a 64 MB string, and GET of
// the whole value, in milliseconds per command, sealkv beside redis-server (when installed).
//
//   npm run build && node dist/bench/big-edits.js [--mb 64] [--edits 20] [--gets 5]

import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';

export interface BigEditsRow {
  server: BenchServer['name'];
  setrangeMs: number;
  appendMs: number;
  getMs: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function measure(server: BenchServer, mb: number, edits: number, gets: number): Promise<BigEditsRow> {
  const client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
  await client.connect();
  try {
    const size = mb * 1024 * 1024;
    await client.set('big', Buffer.alloc(size, 'v'));
    const setrangeMs = await timed(edits, (i) => client.setrange('big', (i * 7_919_999) % size, 'x'));
    const appendMs = await timed(edits, () => client.append('big', 'y'));
    const getMs = await timed(gets, () => client.getBuffer('big'));
    return { server: server.name, setrangeMs, appendMs, getMs };
  } finally {
    client.disconnect();
  }
}

export async function runBigEdits(mb = 64, edits = 20, gets = 5): Promise<BigEditsRow[]> {
  const rows: BigEditsRow[] = [];
  const sealkv = await startSealkv();
  try {
    rows.push(await measure(sealkv, mb, edits, gets));
  } finally {
    await sealkv.stop();
  }
  if (which('redis-server') !== null) {
    const redis = await startRedis();
    try {
      rows.push(await measure(redis, mb, edits, gets));
    } finally {
      await redis.stop();
    }
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? fallback : Number(process.argv[i + 1]);
  };
  const mb = arg('mb', 64);
  const rows = await runBigEdits(mb, arg('edits', 20), arg('gets', 5));
  console.log(`| server | SETRANGE 1 B on ${mb} MB (ms) | APPEND 1 B (ms) | GET ${mb} MB (ms) |`);
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.server} | ${r.setrangeMs.toFixed(2)} | ${r.appendMs.toFixed(2)} | ${r.getMs.toFixed(1)} |`);
}
