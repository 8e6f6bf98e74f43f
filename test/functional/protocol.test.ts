// The wire protocol against the real server binary: pipelining, inline commands, and bad input
// that must close only the offending connection.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { encodeCommand, ioredis, rawExchange } from '../helpers/clients.js';
import { spawnServer, startInProcess, type SpawnedServer } from '../helpers/server.js';

describe('protocol handling', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  /** A bystander connection that must keep working whatever other clients send. */
  async function bystanderStillServed(): Promise<void> {
    const client = ioredis(server.port);
    expect(await client.ping()).toBe('PONG');
    await client.set('bystander', 'intact');
    expect(await client.get('bystander')).toBe('intact');
    client.disconnect();
  }

  it('answers a 1000-command pipeline in request order', async () => {
    const frames: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      frames.push(encodeCommand(['SET', `p${i}`, `v${i}`]), encodeCommand(['GET', `p${i}`]));
    }
    const { data } = await rawExchange(server.port, Buffer.concat(frames), 300);
    const expected = Array.from({ length: 500 }, (_, i) => `+OK\r\n$${`v${i}`.length}\r\nv${i}\r\n`).join('');
    expect(data.toString()).toBe(expected);
  });

  it('serves inline commands with quoting, as telnet users type them', async () => {
    const { data } = await rawExchange(server.port, 'SET inline "hello world"\r\nGET inline\r\nPING\r\n');
    expect(data.toString()).toBe('+OK\r\n$11\r\nhello world\r\n+PONG\r\n');
  });

  const badInputs: [string, string | Buffer, string][] = [
    ['a non-numeric multibulk length', '*x\r\n', Errors.protoInvalidMultibulk],
    ['a bulk length over proto-max-bulk-len', '*1\r\n$999999999999\r\n', Errors.protoInvalidBulk],
    ['a missing $', '*1\r\n+PING\r\n', Errors.protoExpectedDollar('+')],
    ['unbalanced quotes', 'SET k "oops\r\n', Errors.protoUnbalancedQuotes],
    ['an endless inline line', 'X'.repeat(70_000), Errors.protoTooBigInline],
  ];
  for (const [what, input, error] of badInputs) {
    it(`closes only the connection that sent ${what}`, async () => {
      const { data, closed } = await rawExchange(server.port, ['PING\r\n', input], 500);
      expect(data.toString()).toBe(`+PONG\r\n-${error}\r\n`);
      expect(closed).toBe(true);
      await bystanderStillServed();
    });
  }

  it('survives half a command followed by a disconnect, and huge declared sizes', async () => {
    await rawExchange(server.port, '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nab', 50);
    await rawExchange(server.port, '*2000000000\r\n$536870912\r\nxyz', 50);
    await bystanderStillServed();
  });

  it('keeps serving everyone through a storm of random bytes on many connections', async () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const storms = Array.from({ length: 30 }, () => {
      const junk = Buffer.alloc(200 + Math.floor(random() * 4000));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(random() * 256);
      // Half of them start like real RESP, to get deeper into the parser before going wrong.
      if (random() < 0.5) junk.write('*3\r\n$3\r\nSET\r\n$', 0, 'latin1');
      return rawExchange(server.port, junk, 100);
    });
    await Promise.all(storms);
    await bystanderStillServed();
    expect(server.process.exitCode).toBeNull();
  });

  it('stays up when a client vanishes mid-reply', async () => {
    const client = ioredis(server.port);
    await client.set('large', Buffer.alloc(4 * 1024 * 1024, 'z'));
    client.disconnect();
    await new Promise<void>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(encodeCommand(['GET', 'large']));
        socket.once('data', () => {
          socket.destroy();
          resolve();
        });
      });
    });
    await bystanderStillServed();
  });
});

describe('connection limits', () => {
  it('drops a client whose unparsed input passes client-query-buffer-limit', async () => {
    const server = await spawnServer(['--client-query-buffer-limit', '1mb']);
    try {
      const { closed } = await rawExchange(server.port, ['*2\r\n$4\r\nECHO\r\n$3000000\r\n', Buffer.alloc(1_200_000, 'a')], 1000);
      expect(closed).toBe(true);
      expect(await server.waitForOutput('closing client that reached max query buffer length')).toBe(true);
      const client = ioredis(server.port);
      expect(await client.echo('still here')).toBe('still here');
      client.disconnect();
    } finally {
      await server.stop();
    }
  });

  it('refuses clients over maxclients with the Redis error', async () => {
    const server = await startInProcess({ maxclients: '1' });
    try {
      const first = ioredis(server.port);
      expect(await first.ping()).toBe('PONG');
      const { data, closed } = await rawExchange(server.port, 'PING\r\n');
      expect(data.toString()).toBe(`-${Errors.maxClients}\r\n`);
      expect(closed).toBe(true);
      first.disconnect();
    } finally {
      await server.stop();
    }
  });
});
