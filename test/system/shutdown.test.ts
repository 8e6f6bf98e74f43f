// Stopping the spawned server: SIGTERM, SIGINT and SHUTDOWN stop it with exit code 0, and a
// client caught mid-pipeline receives only whole replies, in order, never a torn one.

import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeCommand, redisCli, redisCliMissing } from '../helpers/clients.js';
import { spawnServer } from '../helpers/server.js';

/** Exit code of the child once it has gone. */
function exitOf(server: Awaited<ReturnType<typeof spawnServer>>): Promise<number | null> {
  const p = server.process;
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => p.once('exit', (code) => resolve(code)));
}

/**
 * Pipelines `count` INCRs, sends `signal` to the server once the first replies arrive, and
 * returns everything received before the server closed the connection.
 */
function pipelineThenSignal(server: Awaited<ReturnType<typeof spawnServer>>, signal: NodeJS.Signals, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let got = '';
    let signalled = false;
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (!signalled) {
        signalled = true;
        server.process.kill(signal);
      }
    });
    socket.on('close', () => resolve(got));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(got) : reject(err)));
    socket.on('connect', () => {
      const one = encodeCommand(['INCR', 'n']);
      socket.write(Buffer.concat(Array.from({ length: count }, () => one)));
    });
  });
}

/** The replies must be exactly :1 :2 ... :k, each complete. */
function expectWholeCountingReplies(text: string): number {
  const replies = text.split('\r\n');
  expect(replies.pop()).toBe(''); // ends on a reply boundary: nothing torn
  replies.forEach((r, i) => expect(r).toBe(`:${i + 1}`));
  return replies.length;
}

describe('shutdown of the spawned server', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} mid-pipeline: whole replies only, then exit code 0`, async () => {
      const server = await spawnServer();
      const text = await pipelineThenSignal(server, signal, 20_000);
      expect(await exitOf(server)).toBe(0);
      expect(expectWholeCountingReplies(text)).toBeGreaterThan(0);
      expect(server.output()).toContain('"stopped"');
      // Redis's last line ("Redis is now ready to exit, bye bye..."), which its test harness waits for.
      expect(server.output()).toContain('ready to exit, bye bye...');
    });
  }

  it.skipIf(redisCliMissing)('SHUTDOWN stops it with exit code 0; the port is closed afterwards', async () => {
    const server = await spawnServer();
    await redisCli(server.port, ['shutdown']).catch(() => '');
    expect(await exitOf(server)).toBe(0);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), resolve(false)));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
