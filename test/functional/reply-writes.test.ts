// Replies of plain connections are written to the socket handle directly (src/net/direct-write.ts).
// Most writes are taken by the kernel at once; these tests make them wait (a client that stops
// reading) so the delayed path runs: replies must still arrive whole and in request order, and
// a client that leaves with replies still queued must not disturb the server.

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

const { server, client, run } = withServer();

const VALUE_BYTES = 512 * 1024;
const KEYS = 8;

function value(i: number): Buffer {
  const v = Buffer.alloc(VALUE_BYTES);
  for (let j = 0; j < v.length; j++) v[j] = (i * 31 + j) & 0xff;
  return v;
}

function bulkReply(v: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${v.length}\r\n`), v, Buffer.from('\r\n')]);
}

async function pausedClient(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.pause();
  return socket;
}

/** Resumes a paused socket and collects exactly `length` bytes. */
function collect(socket: Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      have += d.length;
      if (have >= length) resolve(Buffer.concat(chunks));
    });
    socket.once('error', reject);
    socket.resume();
  });
}

describe('reply writes the kernel cannot take at once', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  it('arrive whole and in request order, across several reads', async () => {
    for (let i = 0; i < KEYS; i++) expect(await run(['set', `big:${i}`, value(i)])).toBe('OK');
    const socket = await pausedClient(server.port);
    sockets.push(socket);
    const gets = (from: number, to: number) => {
      const parts: Buffer[] = [];
      for (let i = from; i < to; i++) parts.push(encodeCommand(['GET', `big:${i}`]));
      return Buffer.concat(parts);
    };
    // Two reads of pipelined GETs while the client reads nothing: the second batch's replies
    // queue behind the first batch's, which the kernel could not take either.
    socket.write(gets(0, KEYS / 2));
    await sleep(100);
    socket.write(Buffer.concat([gets(KEYS / 2, KEYS), encodeCommand(['PING'])]));
    await sleep(100);
    const expected = Buffer.concat([...Array.from({ length: KEYS }, (_, i) => bulkReply(value(i))), Buffer.from('+PONG\r\n')]);
    const got = await collect(socket, expected.length);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
    // Once the queue has drained, replies go out at once again on the same connection.
    const pong = collect(socket, 7);
    socket.write(encodeCommand(['PING']));
    expect((await pong).toString()).toBe('+PONG\r\n');
  });

  it('a client that leaves with replies still queued does not disturb the others', async () => {
    for (let i = 0; i < KEYS; i++) expect(await run(['set', `big:${i}`, value(i)])).toBe('OK');
    const socket = await pausedClient(server.port);
    const parts: Buffer[] = [];
    for (let i = 0; i < KEYS; i++) parts.push(encodeCommand(['GET', `big:${i}`]));
    socket.write(Buffer.concat(parts));
    await sleep(100);
    const closed = once(socket, 'close');
    socket.destroy();
    await closed;
    // The server is still whole: it answers, and its values still open.
    expect(await run(['ping'])).toBe('PONG');
    expect((await client.getBuffer('big:3'))!.equals(value(3))).toBe(true);
  });
});
