// All plain connections read into one reused buffer that is zeroed after each read's commands
// have run. What outlives a read must have been copied out of it: the queued commands of a
// MULTI, and a command that arrives in pieces while other clients' reads overwrite the buffer.

import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

const { server, client } = withServer();

function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes bytes and resolves the first reply bytes that come back. */
function send(socket: Socket, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString('latin1')));
    socket.write(bytes);
  });
}

describe('the shared read buffer', () => {
  const others: Socket[] = [];
  afterEach(() => {
    for (const s of others.splice(0)) s.destroy();
  });

  it('MULTI keeps its queued arguments while other clients reuse the buffer', async () => {
    const other = ioredis(server.port);
    try {
      // One command per read, so EXEC comes in a later read than what it runs.
      expect(await client.call('multi')).toBe('OK');
      expect(await client.call('set', 'tx:a', 'queued-value-1')).toBe('QUEUED');
      expect(await client.call('hset', 'tx:h', 'f', 'queued-value-2')).toBe('QUEUED');
      // Another client's reads land in the same buffer between the queueing and EXEC.
      await other.set('noise', 'x'.repeat(5000));
      expect(await client.call('exec')).toEqual(['OK', 1]);
      expect(await client.get('tx:a')).toBe('queued-value-1');
      expect(await client.hget('tx:h', 'f')).toBe('queued-value-2');
    } finally {
      other.disconnect();
    }
  });

  it('a command split across reads is whole when its last piece arrives, whatever came between', async () => {
    const slow = await rawClient(server.port);
    others.push(slow);
    const frame = encodeCommand(['SET', 'split:k', 'first-half|second-half']);
    const cut = frame.indexOf('|');
    slow.write(frame.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 50));
    // Meanwhile other connections fill the shared buffer with their own bytes.
    await client.set('noise', 'y'.repeat(60000));
    expect(await send(slow, frame.subarray(cut))).toBe('+OK\r\n');
    expect(await client.get('split:k')).toBe('first-half|second-half');
  });

  it('a bulk larger than one read is gathered intact while others are served', async () => {
    const slow = await rawClient(server.port);
    others.push(slow);
    const big = Buffer.alloc(200_000, 'z');
    big.write('start', 0);
    big.write('end', big.length - 3);
    const frame = encodeCommand(['SET', 'big:k', big]);
    slow.write(frame.subarray(0, 70_000));
    await new Promise((r) => setTimeout(r, 50));
    await client.set('noise', 'w'.repeat(60000));
    expect(await send(slow, frame.subarray(70_000))).toBe('+OK\r\n');
    expect((await client.getBuffer('big:k'))!.equals(big)).toBe(true);
  });

  it('connections accepted at once each read into the shared buffer, reply, and leave CLIENT LIST when closed', async () => {
    // Every plain socket shares one read callback and finds its connection on its handle
    // (ReadBuffer.attach): a burst must not cross two connections' reads or replies.
    const burst = await Promise.all(Array.from({ length: 200 }, () => rawClient(server.port)));
    others.push(...burst);
    const replies = await Promise.all(burst.map((s, i) => send(s, encodeCommand(['echo', `c${i}`]))));
    expect(replies).toEqual(burst.map((_, i) => `$${String(i).length + 1}\r\nc${i}\r\n`));
    // The burst's connections are the ones whose last command was ECHO.
    const echoers = async () => String(await client.call('client', 'list')).split('\n').filter((line) => line.includes(' cmd=echo ')).length;
    expect(await echoers()).toBe(200);
    for (const s of others.splice(0)) s.destroy();
    await expect.poll(echoers, { timeout: 5000 }).toBe(0);
  });
});
