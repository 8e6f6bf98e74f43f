// Config and listener mistakes an operator makes, tried on the built CLI and compared with what
// redis-server 7.0 does: a config file saved with a byte order mark or CRLF line ends, a port
// already in use, a unixsocket path too long or in a missing directory, maxmemory in bytes where
// megabytes were meant, and SIGHUP sent to a server that has no log file.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ioredis, runner } from '../helpers/clients.js';
import { runCli } from '../helpers/cli.js';
import { freePort, spawnServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'sealkv-config-mistakes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const startArgs = async () => ['--port', String(await freePort()), '--bind', '127.0.0.1'];

describe('config file bytes', () => {
  it('a byte order mark is named, with the file and line (Redis: Bad directive on an invisible character)', async () => {
    const path = join(dir, 'bom.conf');
    writeFileSync(path, '\ufeffmaxmemory 10mb\n');
    const run = await runCli([path, ...(await startArgs())]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`${path}:1: the file starts with a UTF-8 byte order mark (EF BB BF): save it without one`);
    // Only that: the directive after the mark is read as itself.
    expect(run.output).toContain('bad configuration (1 problem)');
  });

  it('CRLF line ends load as Redis loads them', async () => {
    const path = join(dir, 'crlf.conf');
    writeFileSync(path, 'maxmemory 10mb\r\nhz 20\r\n');
    const server = await spawnServer(['--include', path]);
    try {
      const c = ioredis(server.port);
      expect(await runner(c)(['config', 'get', 'hz'])).toEqual(['hz', '20']);
      expect(await runner(c)(['config', 'get', 'maxmemory'])).toEqual(['maxmemory', '10485760']);
      c.disconnect();
    } finally {
      await server.stop();
    }
  });
});

describe('a port already in use (a redis-server there, say)', () => {
  it('names the address and the reason in words, as Redis does (Address already in use)', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const run = await runCli(['--port', String(port), '--bind', '127.0.0.1']);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`sealkv: cannot listen on 127.0.0.1:${port}: EADDRINUSE (address already in use)`);
    } finally {
      holder.close();
    }
  });
});

describe('unixsocket', () => {
  it('a path too long for sun_path is refused with Redis\'s reason, and no socket is made under a cut name', async () => {
    const sockets = mkdtempSync(join(dir, 's-'));
    const path = join(sockets, `${'x'.repeat(120 - sockets.length)}.sock`);
    const run = await runCli([...(await startArgs()), '--unixsocket', path]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`cannot listen on unixsocket ${path}: path too long (${Buffer.byteLength(path)} bytes), must be under 108`);
    // libuv cut the path to 107 bytes and listened there, "ready" and serving under another name.
    expect(run.output).not.toContain('sealkv ready');
    expect(readdirSync(sockets)).toEqual([]);
  });

  it('a missing directory is named (libuv says EACCES)', async () => {
    const path = join(dir, 'no-such-dir', 'sealkv.sock');
    const run = await runCli([...(await startArgs()), '--unixsocket', path]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`cannot listen on unixsocket ${path}: directory ${join(dir, 'no-such-dir')} does not exist`);
    expect(run.output).not.toContain('EACCES');
  });
});

describe('start-up warnings Redis gives', () => {
  it('maxmemory under 1MB (a unit forgotten): Redis\'s warning, and the server starts', async () => {
    const server = await spawnServer(['--maxmemory', '100']);
    try {
      expect(await server.waitForOutput('WARNING: You specified a maxmemory value that is less than 1MB (current value is 100 bytes). Are you sure this is what you really want?')).toBe(true);
    } finally {
      await server.stop();
    }
    const fine = await spawnServer(['--maxmemory', '1mb']);
    await fine.stop();
    expect(fine.output()).not.toContain('less than 1MB');
  });
});

describe.skipIf(process.platform !== 'linux')('SIGHUP', () => {
  it('without a log file is ignored, as Redis ignores it (Node\'s default ended the process, unsaid)', async () => {
    const server = await spawnServer();
    try {
      server.process.kill('SIGHUP');
      expect(await server.waitForOutput('SIGHUP ignored (no log file to reopen)')).toBe(true);
      const c = ioredis(server.port, { retryStrategy: () => null });
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
      expect(server.process.exitCode).toBe(null);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
