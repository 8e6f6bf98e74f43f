// Connection limits: maxclients, idle timeout, client-output-buffer-limit, query buffer and
// bulk length limits. A client past a limit is closed; everyone else goes on.

import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { encodeCommand, rawExchange } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves when the server has closed this socket. */
function closedBy(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.on('close', () => resolve());
    socket.on('error', () => {});
  });
}

async function until(check: () => boolean | Promise<boolean>, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition never became true');
}

describe('limits', () => {
  const { server, run } = withServer({}, undefined, { wipe: false });

  it('maxclients: Redis bounds and text, extra clients refused', async () => {
    expect(await run(['config', 'set', 'maxclients', '99999999999'])).toEqual({
      error: "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive",
    });
    const before = server.running.state.clients.size;
    await run(['config', 'set', 'maxclients', String(before + 1)]);
    try {
      const first = await open(server.port);
      const refused = await rawExchange(server.port, 'PING\r\n');
      expect(refused.data.toString()).toBe(`-${Errors.maxClients}\r\n`);
      expect(refused.closed).toBe(true);
      first.destroy();
    } finally {
      await run(['config', 'set', 'maxclients', '10000']);
    }
  });

  it('timeout closes idle clients, but not ones inside MULTI', async () => {
    await run(['config', 'set', 'timeout', '1']);
    try {
      const idle = await open(server.port);
      const inMulti = await open(server.port);
      inMulti.write('MULTI\r\n');
      await until(() => [...server.running.state.clients.values()].some((c) => c.multi !== null));
      const gone = closedBy(idle);
      server.advance(2000);
      await gone;
      expect(inMulti.destroyed).toBe(false);
      expect(await run(['ping'])).toBe('PONG');
      inMulti.destroy();
    } finally {
      await run(['config', 'set', 'timeout', '0']);
    }
  });

  it('client-output-buffer-limit: a client that never reads is disconnected; others unaffected', async () => {
    expect(await run(['config', 'set', 'client-output-buffer-limit', 'normal 1mb 0 0'])).toBe('OK');
    expect(await run(['config', 'get', 'client-output-buffer-limit'])).toEqual([
      'client-output-buffer-limit', 'normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    ]);
    try {
      await run(['set', 'big', Buffer.alloc(256 * 1024, 'x')]);
      const greedy = await open(server.port);
      greedy.pause(); // never reads a reply (nor, then, the server's FIN: watch the server side)
      greedy.on('error', () => {});
      const addr = `127.0.0.1:${greedy.localPort}`;
      const present = () => [...server.running.state.clients.values()].some((c) => c.addr === addr);
      await until(present);
      const get = encodeCommand(['GET', 'big']);
      // 200 x 256 KiB of replies, far beyond the socket buffers and the 1 MiB limit.
      for (let i = 0; i < 200 && !greedy.destroyed; i++) greedy.write(get);
      await until(() => !present());
      greedy.destroy();
      expect(await run(['get', 'big'])).toHaveLength(256 * 1024);
    } finally {
      await run(['config', 'set', 'client-output-buffer-limit', 'normal 0 0 0']);
      await run(['del', 'big']);
    }
  });

  it('client-output-buffer-limit: one reply past the hard limit closes the client unanswered', async () => {
    // Redis's obuf-limits unit ("KEYS stopped mid-run"): the limit counts the reply as it is built.
    const prefix = 'long-key-name-prefix-of-100-chars-'.padEnd(100, '-');
    const names = Array.from({ length: 1000 }, (_, i) => `${prefix}${i}`);
    try {
      await run(['mset', ...names.flatMap((k) => [k, 'v'])]);
      const client = await open(server.port);
      let received = 0;
      client.on('data', (d: Buffer) => (received += d.length));
      const closed = closedBy(client);
      expect(await run(['config', 'set', 'client-output-buffer-limit', 'normal 100000 0 0'])).toBe('OK');
      client.write(encodeCommand(['KEYS', '*']));
      const outcome = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 5000))]);
      client.destroy();
      expect(outcome).toBe('closed');
      // Nothing of KEYS's ~110 KB reply arrived.
      expect(received).toBeLessThan(100_000);
    } finally {
      await run(['config', 'set', 'client-output-buffer-limit', 'normal 0 0 0']);
      await run(['del', ...names]);
    }
  });

  it('client-output-buffer-limit rejects bad values with Redis text', async () => {
    const prefix = "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - ";
    expect(await run(['config', 'set', 'client-output-buffer-limit', 'foo 1 2 3'])).toEqual({
      error: prefix + 'Invalid client class specified in buffer limit configuration.',
    });
    expect(await run(['config', 'set', 'client-output-buffer-limit', 'normal 1 2'])).toEqual({
      error: prefix + 'Wrong number of arguments in buffer limit configuration.',
    });
    expect(await run(['config', 'set', 'client-output-buffer-limit', 'normal x 2 3'])).toEqual({
      error: prefix + 'Error in hard, soft or soft_seconds setting in buffer limit configuration.',
    });
  });

  it('query buffer limit: a client sending an endless argument is closed', async () => {
    await run(['config', 'set', 'client-query-buffer-limit', '1mb']);
    try {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const parts: Buffer[] = [Buffer.from('*2\r\n$3\r\nSET\r\n$100000000\r\n')];
      for (let i = 0; i < 24; i++) parts.push(chunk);
      const { closed } = await rawExchange(server.port, parts);
      expect(closed).toBe(true);
      expect(await run(['ping'])).toBe('PONG');
    } finally {
      await run(['config', 'set', 'client-query-buffer-limit', '1gb']);
    }
  });

  it('bulk length limit: a bulk longer than proto-max-bulk-len is a protocol error', async () => {
    await run(['config', 'set', 'proto-max-bulk-len', '1mb']);
    try {
      const { data, closed } = await rawExchange(server.port, '*2\r\n$3\r\nGET\r\n$2000000\r\n');
      expect(data.toString()).toBe(`-${Errors.protoInvalidBulk}\r\n`);
      expect(closed).toBe(true);
    } finally {
      await run(['config', 'set', 'proto-max-bulk-len', '512mb']);
    }
  });
});
