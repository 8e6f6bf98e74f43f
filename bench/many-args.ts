// One request with a great many one-byte arguments (RPUSH k a a a …, SADD, DEL, MSET, EXISTS, an
// unknown command), sent in 64 KiB writes to a fresh server, sealkv beside redis-server in the
// same run. Per case: the server's CPU seconds (from /proc), its peak resident memory growth
// (VmHWM over the RSS before the request; each case gets a fresh process, so the high-water mark
// is this request's), the longest a second client waited for PING while the request arrived, and
// the longest wait counting the command's own run (Redis blocks for that too).
//
//   npm run build && node dist/bench/many-args.js [--n 500000,1000000,2000000]
//     [--commands RPUSH,SADD,DEL,MSET,EXISTS,NOSUCH,HSET,ZADD] [--servers sealkv,other,redis] [--bin other/bin/sealkv.js]
//     [--size 1]   (argument length: 1 = all "a", as the issue measured; more = distinct names)
//   (`other`: another build's bin/sealkv.js, e.g. a before/after comparison, run beside the others)

import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startRedis, startSealkv, which, type BenchServer } from './lib/servers.js';

export interface ManyArgsRow {
  server: string;
  command: string;
  n: number;
  cpuS: number;
  peakMB: number;
  pingUploadMs: number;
  pingTotalMs: number;
  reply: string;
}


function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

function writeAll(s: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));
}

/** PING, wait for PONG, 5 ms pause, again: the longest wait seen (an unanswered PING counts). */
async function pingProbe(port: number) {
  const s = await rawConnect(port);
  let stopped = false;
  let maxMs = 0;
  let sentAt = 0;
  let answered: (() => void) | null = null;
  s.on('data', () => {
    maxMs = Math.max(maxMs, performance.now() - sentAt);
    const a = answered;
    answered = null;
    a?.();
  });
  s.on('error', () => undefined);
  const loop = (async () => {
    while (!stopped) {
      const done = new Promise<void>((r) => (answered = r));
      sentAt = performance.now();
      s.write('PING\r\n');
      await done;
      await sleep(5);
    }
  })();
  return {
    peek: () => Math.max(maxMs, answered !== null ? performance.now() - sentAt : 0),
    reset: () => (maxMs = 0),
    stop: async () => {
      stopped = true;
      await loop;
      s.destroy();
      return maxMs;
    },
  };
}

/** A client that reads one whole RESP reply (a simple line, or an error). */
function firstLine(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) {
        s.off('data', onData);
        resolve(got.slice(0, got.indexOf('\r\n')));
      }
    };
    s.on('data', onData);
  });
}

/**
 * The request's arguments after the command name: all "a" (size 1, the case), or
 * distinct names of `size` bytes ("k000000042..."), as a real batch of keys would be.
 */
function request(command: string, n: number, size: number): { head: Buffer; body: Buffer } {
  // n arguments in all, the name included; MSET needs pairs after its name, HSET and ZADD after their key.
  const count = (command === 'MSET' && n % 2 === 0) || ((command === 'HSET' || command === 'ZADD') && n % 2 === 1) ? n + 1 : n;
  const head = Buffer.from(`*${count}\r\n$${command.length}\r\n${command}\r\n`);
  const unit = `$${size}\r\n`.length + size + 2;
  const body = Buffer.alloc(unit * (count - 1));
  for (let i = 0; i < count - 1; i++) {
    // ZADD's pairs are a score and a member: "1 a 1 a ..." (the key is the first "a").
    const score = command === 'ZADD' && i % 2 === 1;
    const arg = score ? '1'.padStart(size, '0') : size === 1 ? 'a' : `k${String(i).padStart(size - 1, '0')}`.slice(0, size);
    body.write(`$${size}\r\n${arg}\r\n`, i * unit, 'latin1');
  }
  return { head, body };
}

async function measure(server: BenchServer, command: string, n: number, size: number): Promise<ManyArgsRow> {
  const { head, body } = request(command, n, size);
  const s = await rawConnect(server.port);
  const reply = firstLine(s);
  const probe = await pingProbe(server.port);
  await sleep(50);
  // Start the high-water mark afresh (Linux: writing 5 to clear_refs resets VmHWM to VmRSS).
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const rss0 = statusKb(server.pid, 'VmRSS');
  const cpu0 = cpuSeconds(server.pid);
  await writeAll(s, head);
  const holdBack = `$${size}\r\n`.length + size + 2; // the last argument: sent once the server has parsed the rest
  const upTo = body.length - holdBack;
  for (let at = 0; at < upTo; at += 64 * 1024) await writeAll(s, body.subarray(at, Math.min(at + 64 * 1024, upTo)));
  // One PING on a third connection answered after the upload's reads have been handled.
  const p = await rawConnect(server.port);
  const pong = firstLine(p);
  p.write('PING\r\n');
  await pong;
  p.destroy();
  const pingUploadMs = probe.peek();
  s.write(body.subarray(upTo));
  const answer = await reply;
  const cpuS = cpuSeconds(server.pid) - cpu0;
  const pingTotalMs = await probe.stop();
  const peakMB = (statusKb(server.pid, 'VmHWM') - rss0) / 1024;
  s.destroy();
  return { server: server.name, command, n, cpuS, peakMB, pingUploadMs, pingTotalMs, reply: answer.slice(0, 40) };
}

export async function runManyArgs(opts: { ns: number[]; commands: string[]; servers: string[]; size?: number; bin?: string }): Promise<ManyArgsRow[]> {
  const rows: ManyArgsRow[] = [];
  const servers = opts.servers.filter((s) => s !== 'redis' || which('redis-server') !== null);
  for (const n of opts.ns) {
    for (const command of opts.commands) {
      for (const name of servers) {
        // A fresh process per case, so its memory high-water mark belongs to this request.
        const server = name === 'redis' ? await startRedis() : await startSealkv([], name === 'other' ? opts.bin : undefined);
        try {
          rows.push({ ...(await measure(server, command, n, opts.size ?? 1)), server: name === 'other' ? `sealkv (${opts.bin})` : server.name });
        } finally {
          await server.stop();
        }
        const r = rows[rows.length - 1]!;
        console.error(`${r.server} ${r.command} ${r.n}: cpu ${r.cpuS.toFixed(2)} s, +${r.peakMB.toFixed(0)} MB, ping ${r.pingUploadMs.toFixed(0)}/${r.pingTotalMs.toFixed(0)} ms, ${r.reply}`);
      }
    }
  }
  return rows;
}

export function manyArgsTable(rows: ManyArgsRow[]): string {
  const lines = [
    '| command | args | server | CPU (s) | peak RSS growth (MB) | PING max while it arrives (ms) | PING max incl. the command (ms) | reply |',
    '|---|---:|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.command} | ${r.n.toLocaleString('en')} | ${r.server} | ${r.cpuS.toFixed(2)} | ${r.peakMB.toFixed(0)} | ${r.pingUploadMs.toFixed(0)} | ${r.pingTotalMs.toFixed(0)} | \`${r.reply}\` |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i < 0 ? fallback : process.argv[i + 1]!;
  };
  const rows = await runManyArgs({
    ns: arg('n', '500000,1000000,2000000').split(',').map(Number),
    commands: arg('commands', 'RPUSH,SADD,DEL,MSET,EXISTS,NOSUCH').split(','),
    servers: arg('servers', 'sealkv,redis').split(','),
    size: Number(arg('size', '1')),
    bin: process.argv.includes('--bin') ? arg('bin', '') : undefined,
  });
  console.log(manyArgsTable(rows));
}
