// Protected mode: with no password for the default user, only loopback clients are served.
// The non-loopback case connects to this machine's own address (never anywhere else).

import { networkInterfaces } from 'node:os';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { ioredis } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

/** This machine's first non-loopback IPv4 address, or undefined when it has none. */
const localAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
if (!localAddress) console.warn('no non-loopback IPv4 address on this machine: skipping the protected-mode remote cases');

/** Sends PING from `host` and returns everything answered until the server closes or goes quiet. */
function ping(host: string, port: number, extra = ''): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(extra + 'PING\r\n'));
    let text = '';
    const quiet = setTimeout(() => (socket.destroy(), resolve({ text, closed: false })), 500);
    socket.on('data', (d) => (text += d.toString()));
    socket.on('end', () => (clearTimeout(quiet), socket.destroy(), resolve({ text, closed: true })));
    socket.on('error', reject);
  });
}

describe.skipIf(!localAddress)('protected mode', () => {
  let server: InProcessServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('denies non-loopback clients with Redis text and closes them; loopback is served', async () => {
    server = await startInProcess({ bind: '0.0.0.0' });
    const remote = await ping(localAddress!, server.port);
    expect(remote).toEqual({ text: `-${Errors.protectedMode}\r\n`, closed: true });
    expect(remote.text).toContain('-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user.');
    const local = await ping('127.0.0.1', server.port);
    expect(local.text).toBe('+PONG\r\n');
  });

  it('a password for the default user, or protected-mode no, opens the server to other addresses', async () => {
    server = await startInProcess({ bind: '0.0.0.0', requirepass: 'pw' });
    expect((await ping(localAddress!, server.port, 'AUTH pw\r\n')).text).toBe('+OK\r\n+PONG\r\n');
    await server.stop();
    server = await startInProcess({ bind: '0.0.0.0' });
    const admin = ioredis(server.port);
    try {
      expect(await admin.config('SET', 'protected-mode', 'no')).toBe('OK');
      expect((await ping(localAddress!, server.port)).text).toBe('+PONG\r\n');
      // A nopass default user set through ACL is just as open as an empty requirepass.
      await admin.config('SET', 'protected-mode', 'yes');
      await admin.call('acl', 'setuser', 'default', 'resetpass', '>pw');
      expect((await ping(localAddress!, server.port, 'AUTH pw\r\n')).text).toBe('+OK\r\n+PONG\r\n');
      await admin.call('acl', 'setuser', 'default', 'nopass');
      expect((await ping(localAddress!, server.port)).closed).toBe(true);
    } finally {
      admin.disconnect();
    }
  });
});
