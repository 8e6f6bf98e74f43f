// A raw connection for tests that compare everything a connection receives — replies and
// pushes, in order — with redis-server's: commands are written without waiting, and drain()
// collects every frame up to the answer to a PING of its own.

import { connect, type Socket } from 'node:net';
import { encodeCommand } from './clients.js';
import { replyEnd } from './reference-redis.js';

/** A raw connection that collects everything until the reply to a sentinel PING. */
export class DrainingConnection {
  private data = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.data = Buffer.concat([this.data, d]);
      this.wake?.();
    });
  }

  static open(port: number): Promise<DrainingConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new DrainingConnection(s)));
      s.once('error', reject);
    });
  }

  send(args: string[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Sends PING (with a token) and returns every frame that came before its answer. */
  async drain(token: string): Promise<string[]> {
    this.send(['PING', token]);
    const frames: string[] = [];
    const deadline = Date.now() + 5000;
    for (;;) {
      const end = replyEnd(this.data, 0);
      if (end >= 0) {
        const frame = this.data.subarray(0, end).toString('latin1');
        this.data = this.data.subarray(end);
        // RESP2 subscribed mode answers ["pong", token], otherwise the token as a bulk string.
        if (frame.endsWith(`$${token.length}\r\n${token}\r\n`) && (frame.startsWith('$') || frame.includes('pong'))) return frames;
        frames.push(frame);
        continue;
      }
      if (Date.now() > deadline) return [...frames, '<timeout>'];
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
