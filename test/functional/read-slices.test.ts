// A connection's commands run for at most a short slice per turn (src/net/client.ts
// READ_SLICE_MS); a pipeline that needs longer goes on in later turns, after the other
// connections' reads, with its socket not read meanwhile. What must hold: every reply arrives,
// whole and in request order (transactions, values split across reads, a client that leaves
// mid-pipeline), and other clients are answered while a long pipeline runs.

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

const { server, run } = withServer();

const yielded = () => server.running.state.stats.readSlicesYielded;

async function open(): Promise<Socket> {
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Collects bytes from socket until `done(all bytes so far)` says so. */
function collectUntil(socket: Socket, done: (data: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (d: Buffer) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (done(all)) {
        socket.off('data', onData);
        resolve(all);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const endsWith = (tail: string) => (data: Buffer) => data.subarray(-tail.length).toString('latin1') === tail;

describe('read slices', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  it('runs a long pipeline over several turns, every reply in request order', async () => {
    const before = yielded();
    const socket = await open();
    sockets.push(socket);
    const count = 20_000;
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) parts.push(encodeCommand(['incr', 'counter']), encodeCommand(['set', `k:${i}`, `v${i}`]));
    parts.push(encodeCommand(['echo', 'last']));
    const replies = collectUntil(socket, endsWith('$4\r\nlast\r\n'));
    socket.write(Buffer.concat(parts));
    const text = (await replies).toString('latin1');
    let expected = '';
    for (let i = 1; i <= count; i++) expected += `:${i}\r\n+OK\r\n`;
    expect(text).toBe(expected + '$4\r\nlast\r\n');
    // 40,000 commands take far longer than one slice: the pipeline stopped and went on.
    expect(yielded()).toBeGreaterThan(before);
    expect(await run(['get', `k:${count - 1}`])).toBe(`v${count - 1}`);
  });

  it('answers other clients while a long pipeline runs', async () => {
    const writer = await open();
    const other = await open();
    sockets.push(writer, other);
    const count = 60_000;
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) parts.push(encodeCommand(['set', `w:${i}`, 'x'.repeat(100)]));
    parts.push(encodeCommand(['echo', 'writer done']));
    let writerDone = false;
    const writerReplies = collectUntil(writer, endsWith('$11\r\nwriter done\r\n')).then(() => (writerDone = true));
    writer.write(Buffer.concat(parts));
    // Wait until the server has started on the pipeline, then ask something on the other connection.
    await collectUntil(writer, (d) => d.length > 0);
    const pongs: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const reply = collectUntil(other, endsWith('+PONG\r\n'));
      other.write(encodeCommand(['ping']));
      await reply;
      pongs.push(writerDone);
    }
    await writerReplies;
    // At least the first PING came back while the writer's pipeline was still running.
    expect(pongs[0]).toBe(false);
  });

  it('keeps transactions and values split across reads whole across slices', async () => {
    const socket = await open();
    sockets.push(socket);
    const value = (i: number) => Buffer.alloc(20_000, 97 + (i % 26));
    const parts: Buffer[] = [];
    const n = 400;
    for (let i = 0; i < n; i++) {
      parts.push(encodeCommand(['multi']), encodeCommand(['set', `big:${i}`, value(i)]), encodeCommand(['strlen', `big:${i}`]), encodeCommand(['exec']));
    }
    for (let i = 0; i < n; i++) parts.push(encodeCommand(['get', `big:${i}`]));
    const all = Buffer.concat(parts);
    let expected = '';
    for (let i = 0; i < n; i++) expected += '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:20000\r\n';
    const expectedBytes = Buffer.concat([Buffer.from(expected), ...Array.from({ length: n }, (_, i) => Buffer.concat([Buffer.from('$20000\r\n'), value(i), Buffer.from('\r\n')]))]);
    const replies = collectUntil(socket, (d) => d.length >= expectedBytes.length);
    // In pieces of odd sizes, so commands are cut at every kind of place.
    for (let at = 0; at < all.length; at += 77_777) socket.write(all.subarray(at, at + 77_777));
    expect((await replies).equals(expectedBytes)).toBe(true);
  });

  it('lets a client leave in the middle of a long pipeline', async () => {
    const socket = await open();
    const parts: Buffer[] = [];
    for (let i = 0; i < 50_000; i++) parts.push(encodeCommand(['set', `gone:${i}`, 'v']));
    socket.write(Buffer.concat(parts));
    await collectUntil(socket, (d) => d.length > 0);
    socket.destroy();
    expect(await run(['ping'])).toBe('PONG');
    // The connection is gone from the list once its close is seen.
    for (let i = 0; i < 100 && ((await run(['client', 'list'])) as string).split('\n').filter(Boolean).length > 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(((await run(['client', 'list'])) as string).split('\n').filter(Boolean).length).toBe(1);
  });
});
