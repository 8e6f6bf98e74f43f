// The reference server for differential tests: redis-server 7 on a free port, no persistence,
// and a connection that sends one command at a time and returns the raw bytes of its reply.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { encodeCommand } from './clients.js';
import { freePort } from './server.js';

export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export interface ReferenceRedis {
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server and resolves once it accepts connections. */
export async function startRedis(args: string[] = []): Promise<ReferenceRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const start = Date.now(); ; await new Promise((r) => setTimeout(r, 25))) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() - start > 10_000) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start');
    }
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Where the RESP reply that starts at `at` ends, or -1 if it is not all there yet. */
export function replyEnd(buf: Buffer, at: number): number {
  if (at >= buf.length) return -1;
  const line = buf.indexOf('\r\n', at);
  if (line < 0) return -1;
  const type = String.fromCharCode(buf[at]!);
  const n = Number(buf.toString('latin1', at + 1, line));
  const next = line + 2;
  switch (type) {
    case '$': case '=': case '!':
      if (n < 0) return next;
      return buf.length >= next + n + 2 ? next + n + 2 : -1;
    case '*': case '~': case '>': case '%': case '|': {
      const items = n < 0 ? 0 : type === '%' || type === '|' ? 2 * n : n;
      let end = next;
      for (let i = 0; i < items; i++) {
        end = replyEnd(buf, end);
        if (end < 0) return -1;
      }
      // An attribute (|) comes before the reply it describes.
      return type === '|' ? replyEnd(buf, end) : end;
    }
    default:
      return next;
  }
}

/** One connection that sends a command and waits for exactly its reply (or the close). */
export class ReplyConnection {
  private data = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake?.();
    });
    const close = () => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('close', close);
    socket.on('error', close);
  }

  static open(port: number): Promise<ReplyConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new ReplyConnection(s)));
      s.once('error', reject);
    });
  }

  /** The raw reply to `args`, or '<closed>' when the server closed the connection instead. */
  async send(args: string[], timeoutMs = 5000): Promise<string> {
    if (!this.closed) this.socket.write(encodeCommand(args));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = replyEnd(this.data, 0);
      if (end >= 0) {
        const reply = this.data.subarray(0, end).toString('latin1');
        this.data = this.data.subarray(end);
        return reply;
      }
      if (this.closed) return '<closed>';
      if (Date.now() > deadline) return '<timeout>';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.wake = () => (clearTimeout(t), resolve());
      });
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
