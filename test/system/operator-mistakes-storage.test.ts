// Storage mistakes an operator makes, tried on the built CLI: two servers on one spill-dir,
// save rules over a dir that cannot hold a snapshot, a spill quota larger than its tmpfs,
// CONFIG SET dir to a place that is not a directory.

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ioredis, runner } from '../helpers/clients.js';
import { freePort, spawnServer } from '../helpers/server.js';
import { mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';

const scratch = mkdtempSync(join(tmpdir(), 'sealkv-storage-mistakes-'));
const opened: ReturnType<typeof ioredis>[] = [];
afterAll(() => {
  for (const c of opened) c.disconnect();
  rmSync(scratch, { recursive: true, force: true });
});

/** run(['set','k','v']) against the server on port; the client is closed after the file. */
function connect(port: number) {
  const c = ioredis(port, { retryStrategy: () => null });
  c.on('error', () => {});
  opened.push(c);
  return runner(c);
}

describe.skipIf(tmpfsUnavailable)('two servers on one spill-dir', () => {
  it('the second is refused, naming the first one\'s pid, and the first one\'s segments are untouched', async () => {
    const tmpfs = mountTmpfs('8m');
    const spill = ['--spill-dir', tmpfs.dir, '--spill-max-bytes', '4mb', '--maxmemory', '256kb', '--spill-min-value-size', '64'];
    try {
      const first = await spawnServer(spill);
      try {
        const run = connect(first.port);
        for (let i = 0; i < 400; i++) await run(['set', `k${i}`, 'x'.repeat(1000)]);
        const segments = readdirSync(join(tmpfs.dir, 'sealkv-spill'));
        expect(segments.length).toBeGreaterThan(0);
        const second = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', ...spill]);
        expect(second.code).toBe(1);
        expect(second.output).toContain(`sealkv: spill-dir ${tmpfs.dir} is in use by another sealkv (pid ${first.process.pid}): two servers must not share it`);
        expect(readdirSync(join(tmpfs.dir, 'sealkv-spill'))).toEqual(segments);
        for (let i = 0; i < 400; i += 37) expect(await run(['get', `k${i}`])).toBe('x'.repeat(1000));
      } finally {
        await first.stop();
      }
      // Released at stop: the next server takes the directory.
      expect(existsSync(join(tmpfs.dir, 'sealkv-spill.lock'))).toBe(false);
      const next = await spawnServer(spill);
      await next.stop();
    } finally {
      tmpfs.unmount();
    }
  }, 60_000);

  it('a lock left by a server killed with -9 is replaced', async () => {
    const tmpfs = mountTmpfs('4m');
    const spill = ['--spill-dir', tmpfs.dir, '--spill-max-bytes', '1mb', '--maxmemory', '1mb'];
    try {
      const killed = await spawnServer(spill);
      killed.process.kill('SIGKILL');
      await new Promise((r) => killed.process.once('exit', r));
      expect(existsSync(join(tmpfs.dir, 'sealkv-spill.lock'))).toBe(true);
      const next = await spawnServer(spill);
      await next.stop();
    } finally {
      tmpfs.unmount();
    }
  }, 30_000);
});
