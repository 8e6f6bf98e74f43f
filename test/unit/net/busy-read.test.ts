// Reading a socket without the event loop (net/busy-read.ts), as a busy script does: what the
// kernel holds comes out at once, an empty queue (EAGAIN) and a closed peer end the read quietly,
// the bytes are zeroed once handled, and the event loop goes on reading the same socket after.

import { createServer, connect, type Socket, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readWhileBusy } from '../../../src/net/busy-read.js';
import { socketFd } from '../../../src/net/client-info.js';

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

/** A connected pair: the accepted (server) side, paused so only readWhileBusy reads it, and the client. */
async function pair(): Promise<{ accepted: Socket; peer: Socket }> {
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer({ pauseOnConnect: true }, resolve);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server!.address() as { port: number }).port;
  const peer = await new Promise<Socket>((resolve) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
  });
  return { accepted: await accepted, peer };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('readWhileBusy', () => {
  it('hands over what the kernel holds, then zeroes it; nothing there is not an error', async () => {
    const { accepted, peer } = await pair();
    const fd = socketFd(accepted);
    expect(fd).toBeGreaterThanOrEqual(0);
    let calls = 0;
    readWhileBusy(fd, () => ((calls += 1), true));
    expect(calls).toBe(0);
    peer.write('*1\r\n$4\r\nPING\r\n');
    await settle();
    const seen: Buffer[] = [];
    let held: Buffer | null = null;
    readWhileBusy(fd, (chunk) => {
      seen.push(Buffer.from(chunk));
      held = chunk;
      return true;
    });
    expect(Buffer.concat(seen).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect([...held!].every((b) => b === 0)).toBe(true);
    peer.destroy();
    accepted.destroy();
  });

  it('stops when asked, leaving the rest for the next read, and ends quietly at the peer close', async () => {
    const { accepted, peer } = await pair();
    const fd = socketFd(accepted);
    const big = Buffer.alloc(200 * 1024, 0x61);
    peer.write(big);
    await settle();
    let got = 0;
    readWhileBusy(fd, (chunk) => ((got += chunk.length), false));
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(big.length);
    for (let i = 0; i < 20 && got < big.length; i++) readWhileBusy(fd, (chunk) => ((got += chunk.length), true));
    expect(got).toBe(big.length);
    peer.end();
    await settle();
    let after = 0;
    readWhileBusy(fd, () => ((after += 1), true));
    expect(after).toBe(0);
    accepted.destroy();
  });

  it('the event loop reads the socket on as before', async () => {
    const { accepted, peer } = await pair();
    peer.write('first');
    await settle();
    let early = '';
    readWhileBusy(socketFd(accepted), (chunk) => ((early += chunk.toString()), true));
    expect(early).toBe('first');
    const later = new Promise<string>((resolve) => accepted.once('data', (d: Buffer) => resolve(d.toString())));
    accepted.resume();
    peer.write('second');
    expect(await later).toBe('second');
    peer.destroy();
    accepted.destroy();
  });
});
