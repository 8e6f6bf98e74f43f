// A listener's accepts taken from its handle (ReadBuffer.takeAccepts): each accepted connection
// becomes one socket whose reads go to its sink through the shared buffer, net.Server builds no
// socket of its own for it, and the listener's connection count follows the connections, so
// server.close() completes once they are gone.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadBuffer, type ReadSink } from '../../../src/net/read-buffer.js';

let server: Server | null = null;
const peers: Socket[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.destroy();
  server?.close();
  server = null;
});

/** A sink that keeps a copy of every read (the shared buffer is zeroed after each). */
function recordingSink(): ReadSink & { got: string } {
  return {
    got: '',
    receive(chunk: Buffer) {
      this.got += chunk.toString('latin1');
    },
    readTarget: () => null,
    receiveInPlace: () => undefined,
    shortRead: () => false,
  };
}

async function listening(reader: ReadBuffer, accepted: Socket[]): Promise<{ srv: Server; port: number; events: () => number }> {
  const srv = createServer({ pauseOnConnect: true });
  let events = 0;
  srv.on('connection', () => events++);
  reader.takeAccepts(srv, (socket) => accepted.push(socket));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  server = srv;
  return { srv, port: (srv.address() as { port: number }).port, events: () => events };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    peers.push(s);
  });
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

const connections = (srv: Server) => new Promise<number>((resolve, reject) => srv.getConnections((err, n) => (err ? reject(err) : resolve(n))));

describe('accepts taken from the listening handle', () => {
  it('hand each connection over once, as the socket whose reads reach its sink, with no socket of net.Server before it', async () => {
    const reader = new ReadBuffer();
    const accepted: Socket[] = [];
    const { port, events } = await listening(reader, accepted);
    const a = await dial(port);
    const b = await dial(port);
    await until(() => accepted.length === 2);
    expect(accepted).toHaveLength(2);
    // net.Server's own accept emits 'connection' with the socket it built: here it never ran.
    expect(events()).toBe(0);
    const sinks = accepted.map(() => recordingSink());
    accepted.forEach((s, i) => ReadBuffer.attach(s, sinks[i]!));
    a.write('first');
    b.write('second');
    await until(() => sinks.map((s) => s.got).sort().join() === 'first,second');
    expect(sinks.map((s) => s.got).sort()).toEqual(['first', 'second']);
    // Replies written on the accepted socket reach the peer.
    const reply = new Promise<string>((resolve) => a.once('data', (d: Buffer) => resolve(d.toString())));
    accepted[sinks.findIndex((s) => s.got === 'first')]!.write('+OK\r\n');
    expect(await reply).toBe('+OK\r\n');
  });

  it('count on the listener until they close, so server.close() completes once they are gone', async () => {
    const reader = new ReadBuffer();
    const accepted: Socket[] = [];
    const { srv, port } = await listening(reader, accepted);
    const dialed = [await dial(port), await dial(port), await dial(port)];
    await until(() => accepted.length === 3);
    expect(await connections(srv)).toBe(3);
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    server = null;
    // The accepted sockets end when their peers do (allowHalfOpen off), as clients' connections.
    for (const d of dialed) d.end();
    await until(() => accepted.every((s) => s.destroyed));
    await expect(Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 2000))])).resolves.toBe('closed');
    expect(await connections(srv)).toBe(0);
  });
});
