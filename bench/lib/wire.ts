// The benchmarks' own RESP wire: fills and one-off commands sent over plain sockets, so a fill's
// cost is the server's and not a client library's.

import { connect, type Socket } from 'node:net';

/** A connected socket to 127.0.0.1:port, Nagle off (a lone request leaves at once). */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** One command as a RESP array of bulk strings. */
export const frame = (args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Writes `frames` and waits for `expect` one-line replies (integers, +OK): LFs count them, since a
 * CR LF may be split between reads and a LF cannot. An error reply rejects with its text, so a fill
 * that the server refuses (OOM, WRONGTYPE) stops the benchmark instead of measuring an empty server.
 */
function exchangeLines(socket: Socket, frames: string, expect: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let atLineStart = true;
    const onData = (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) {
        if (atLineStart && chunk[i] === 0x2d) {
          socket.off('data', onData);
          reject(new Error(chunk.toString('latin1', i, Math.min(chunk.length, i + 200))));
          return;
        }
        atLineStart = chunk[i] === 0x0a;
        if (atLineStart) seen++;
      }
      if (seen >= expect) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(frames);
  });
}

/** Sends the commands over `socket`, pipelined in batches; each must answer one line. */
export async function pipelined(socket: Socket, commands: Iterable<string[]>, batch = 1000): Promise<void> {
  let frames = '';
  let n = 0;
  for (const args of commands) {
    frames += frame(args);
    if (++n === batch) {
      await exchangeLines(socket, frames, n);
      frames = '';
      n = 0;
    }
  }
  if (n > 0) await exchangeLines(socket, frames, n);
}

/** pipelined() over a connection of its own. */
export async function send(port: number, commands: Iterable<string[]>, batch = 1000): Promise<void> {
  const socket = await openSocket(port);
  try {
    await pipelined(socket, commands, batch);
  } finally {
    socket.destroy();
  }
}

/** One command on a connection of its own; resolves with its reply's first line (a bulk's payload line). */
export function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(frame(args)));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const bulk = data.startsWith('$') && !data.startsWith('$-');
      const end = data.indexOf('\r\n', bulk ? data.indexOf('\r\n') + 2 : 0);
      if (end >= 0) {
        socket.destroy();
        resolve(data.slice(0, end));
      }
    });
    socket.once('error', reject);
  });
}
