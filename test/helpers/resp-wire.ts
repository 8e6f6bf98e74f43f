// A wire-level RESP client for differential tests: sends one command, returns the exact bytes
// of the one reply it gets (RESP2 or RESP3), so two servers' answers compare byte for byte.

import { connect, type Socket } from 'node:net';
import { encodeCommand } from './clients.js';

/** Bytes taken by the first complete reply in buf starting at `at`, or -1 while incomplete. */
export function replyLength(buf: Buffer, at = 0): number {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('latin1', at + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+': case '-': case ':': case ',': case '#': case '_': case '(':
      return after - at;
    case '$': case '=': case '!': {
      const n = Number(line);
      if (n < 0) return after - at;
      return buf.length >= after + n + 2 ? after + n + 2 - at : -1;
    }
    case '*': case '~': case '>': case '%': case '|': {
      let n = Number(line);
      if (n < 0) return after - at;
      if (type === '%' || type === '|') n *= 2;
      let pos = after;
      for (let i = 0; i < n; i++) {
        const len = replyLength(buf, pos);
        if (len < 0) return -1;
        pos += len;
      }
      return pos - at;
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString('latin1', at, Math.min(buf.length, at + 40)))}`);
  }
}

/** One connection that answers each command with the raw bytes of its reply. */
export class WireClient {
  private pending = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.pending = Buffer.concat([this.pending, d]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  static open(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  /** The reply's bytes; 'closed' when the server hung up first; 'timeout' after `ms`. */
  async send(args: (string | Buffer)[], ms = 5000): Promise<Buffer | 'closed' | 'timeout'> {
    this.socket.write(encodeCommand(args));
    const deadline = Date.now() + ms;
    for (;;) {
      const len = this.pending.length > 0 ? replyLength(this.pending) : -1;
      if (len >= 0) {
        const reply = this.pending.subarray(0, len);
        this.pending = this.pending.subarray(len);
        return Buffer.from(reply);
      }
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
