// The reference server for differential tests: redis-server 7 on a free port, no persistence,
// and a connection that sends one command at a time and returns the raw bytes of its reply.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from './clients.js';
import { freePort } from './server.js';

export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export interface ReferenceRedis {
  port: number;
  /** The redis-server process, for tests that read its CPU time or memory. */
  pid: number;
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
    pid: child.pid!,
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
  send(args: string[], timeoutMs = 5000): Promise<string> {
    return this.sendRaw(encodeCommand(args), timeoutMs);
  }

  /** The reply to bytes sent as they are (an inline command, a partial request...). */
  async sendRaw(bytes: Buffer, timeoutMs = 5000): Promise<string> {
    if (!this.closed) this.socket.write(bytes);
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

/** A case's command that starts with this goes to a second connection (RESP2) instead. */
export const OTHER = '@other';

/**
 * Defines one test per case and protocol: the case's commands go to redis-server and to an
 * in-process sealkv, each on a fresh connection after FLUSHALL, and every reply must be the
 * same bytes. Skipped (with a message) where redis-server is not installed. Cases that change
 * users must leave them as they found them: both servers live for the whole file.
 * `normalize`, when given, is applied to both servers' replies before they are compared (for
 * what redis-server itself orders differently from one start to the next).
 */
export function compareWithRedis(
  title: string,
  cases: Record<string, string[][]>,
  startSealkv: () => Promise<{ port: number; stop(): Promise<void> }>,
  normalize: (reply: string) => string = (reply) => reply,
): void {
  if (!hasRedisServer) console.warn(`${title}: redis-server is not installed, differential cases skipped`);
  describe.skipIf(!hasRedisServer)(title, () => {
    let redis: ReferenceRedis;
    let sealkv: { port: number; stop(): Promise<void> };

    beforeAll(async () => {
      [redis, sealkv] = await Promise.all([startRedis(), startSealkv()]);
    });
    afterAll(async () => {
      await Promise.all([redis?.stop(), sealkv?.stop()]);
    });

    async function replies(port: number, protocol: 2 | 3, commands: string[][]): Promise<string[]> {
      const admin = await ReplyConnection.open(port);
      expect(await admin.send(['FLUSHALL'])).toBe('+OK\r\n');
      admin.close();
      const c = await ReplyConnection.open(port);
      let other: ReplyConnection | undefined;
      try {
        if (protocol === 3) expect((await c.send(['HELLO', '3']))[0]).toBe('%');
        const out: string[] = [];
        for (const cmd of commands) {
          if (cmd[0] !== OTHER) out.push(await c.send(cmd));
          else out.push(await (other ??= await ReplyConnection.open(port)).send(cmd.slice(1)));
        }
        return out;
      } finally {
        c.close();
        other?.close();
      }
    }

    for (const protocol of [2, 3] as const) {
      for (const [name, commands] of Object.entries(cases)) {
        it(`RESP${protocol}: ${name}`, async () => {
          const expected = (await replies(redis.port, protocol, commands)).map(normalize);
          const actual = (await replies(sealkv.port, protocol, commands)).map(normalize);
          // Each reply beside its command, so a difference names the step.
          const show = (r: string[]) => commands.map((c, i) => `${c.join(' ')} -> ${JSON.stringify(r[i])}`);
          expect(show(actual)).toEqual(show(expected));
        });
      }
    }
  });
}

/** Sends every command in ONE write (so they run in one turn) and returns each raw reply. */
export async function oneWrite(port: number, commands: string[][], setup: string[][] = []): Promise<string[]> {
  const c = await ReplyConnection.open(port);
  try {
    for (const cmd of setup) await c.send(cmd);
    const out = [await c.sendRaw(Buffer.concat(commands.map((cmd) => encodeCommand(cmd))))];
    for (let i = 1; i < commands.length; i++) out.push(await c.sendRaw(Buffer.alloc(0)));
    return out;
  } finally {
    c.close();
  }
}
