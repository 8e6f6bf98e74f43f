// Storage mistakes an operator makes, tried on the built CLI: two servers on one spill-dir or
// one snapshot file,
// save rules over a dir that cannot hold a snapshot, a spill quota larger than its tmpfs,
// CONFIG SET dir to a place that is not a directory, a snapshot met without its master key.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
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

describe.skipIf(tmpfsUnavailable)('a spill quota larger than its tmpfs', () => {
  it('is said at start, with both sizes', async () => {
    const tmpfs = mountTmpfs('1m');
    try {
      const server = await spawnServer(['--spill-dir', tmpfs.dir, '--spill-max-bytes', '8mb', '--maxmemory', '4mb']);
      try {
        expect(await server.waitForOutput('spill-max-bytes is more than the tmpfs has free')).toBe(true);
        expect(server.output()).toMatch(/"spillMaxBytes":8388608,"free":\d+/);
      } finally {
        await server.stop();
      }
      const fits = await spawnServer(['--spill-dir', tmpfs.dir, '--spill-max-bytes', '512kb', '--maxmemory', '4mb']);
      await fits.stop();
      expect(fits.output()).not.toContain('more than the tmpfs has free');
    } finally {
      tmpfs.unmount();
    }
  }, 30_000);
});

describe('snapshot dir', () => {
  it('save rules over a dir that is not on tmpfs are said to be off at start, not when the first rule fires', async () => {
    const disk = mkdtempSync(join(process.cwd(), '.not-tmpfs-'));
    try {
      if (statfsSync(disk).type === 0x01021994) return;
      // A stock redis.conf: the first rule fires after an hour.
      const server = await spawnServer(['--dir', disk, '--save', '3600 1 300 100 60 10000']);
      try {
        expect(await server.waitForOutput('save rules not acted on: dir is not on tmpfs')).toBe(true);
        expect(server.output()).toContain(`dir ${disk} is not on tmpfs`);
      } finally {
        await server.stop();
      }
      const noRules = await spawnServer(['--dir', disk]);
      await noRules.stop();
      expect(noRules.output()).not.toContain('save rules not acted on');
    } finally {
      rmSync(disk, { recursive: true, force: true });
    }
  });

  it.skipIf(tmpfsUnavailable)('save rules over a read-only tmpfs are warned of at start (SIGTERM would not stop the server)', async () => {
    const tmpfs = mountTmpfs('1m');
    try {
      execFileSync('mount', ['-o', 'remount,ro', tmpfs.dir]);
      const server = await spawnServer(['--dir', tmpfs.dir, '--save', '60 1', '--shutdown-on-sigterm', 'nosave']);
      try {
        expect(await server.waitForOutput('save rules are set but dir is not writable')).toBe(true);
        expect(server.output()).toContain('"code":"EROFS"');
        // Acted on, so not listed as a setting sealkv ignores.
        expect(server.output()).toContain('"notApplied":[]');
      } finally {
        expect(await server.stop()).toBe(0);
      }
    } finally {
      tmpfs.unmount();
    }
  }, 30_000);

  it.skipIf(tmpfsUnavailable)('two servers saving to one snapshot file: the second is refused; without save rules both start', async () => {
    const tmpfs = mountTmpfs('4m');
    try {
      const first = await spawnServer(['--dir', tmpfs.dir, '--save', '3600 1']);
      try {
        const second = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--dir', tmpfs.dir, '--save', '60 1']);
        expect(second.code).toBe(1);
        expect(second.output).toContain(`sealkv: dir ${tmpfs.dir} is in use by another sealkv (pid ${first.process.pid}): two servers must not share it (each would replace the other's dump.rdb)`);
        // Another dbfilename in the same dir is another file.
        const beside = await spawnServer(['--dir', tmpfs.dir, '--save', '3600 1', '--dbfilename', 'other.rdb']);
        await beside.stop();
        const noRules = await spawnServer(['--dir', tmpfs.dir]);
        await noRules.stop();
      } finally {
        await first.stop();
      }
      expect(existsSync(join(tmpfs.dir, 'dump.rdb.lock'))).toBe(false);
    } finally {
      tmpfs.unmount();
    }
  }, 30_000);

  it('CONFIG SET dir to a missing path or a file is refused with Redis\'s reason, and dir is kept', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    const server = await spawnServer(['--enable-protected-configs', 'yes', '--dir', scratch]);
    try {
      const run = connect(server.port);
      expect(await run(['config', 'set', 'dir', join(scratch, 'missing')])).toEqual({
        error: "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory",
      });
      expect(await run(['config', 'set', 'dir', file])).toEqual({
        error: "ERR CONFIG SET failed (possibly related to argument 'dir') - Not a directory",
      });
      expect(await run(['config', 'get', 'dir'])).toEqual(['dir', scratch]);
      const other = join(scratch, 'other');
      mkdirSync(other);
      expect(await run(['config', 'set', 'dir', other])).toBe('OK');
    } finally {
      await server.stop();
    }
  });

  it.skipIf(tmpfsUnavailable)('a snapshot met without a master key: the refusal says none was given, and the file is kept', async () => {
    const tmpfs = mountTmpfs('4m');
    const key = join(scratch, 'snap.key');
    writeFileSync(key, Buffer.alloc(32, 3), { mode: 0o600 });
    try {
      const first = await spawnServer(['--dir', tmpfs.dir, '--master-key-file', key]);
      try {
        const run = connect(first.port);
        await run(['set', 'k', 'v']);
        expect(await run(['save'])).toBe('OK');
      } finally {
        await first.stop();
      }
      const snapshot = readFileSync(join(tmpfs.dir, 'dump.rdb'));
      const keyless = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--dir', tmpfs.dir]);
      expect(keyless.code).toBe(1);
      expect(keyless.output).toContain('snapshot was written under another master key');
      expect(keyless.output).toContain('(no master-key-file or master-key-env was given: this start made a random key); the file is left as it is');
      expect(readFileSync(join(tmpfs.dir, 'dump.rdb'))).toEqual(snapshot);
      const withKey = await spawnServer(['--dir', tmpfs.dir, '--master-key-file', key]);
      try {
        expect(await connect(withKey.port)(['get', 'k'])).toBe('v');
      } finally {
        await withKey.stop();
      }
    } finally {
      tmpfs.unmount();
    }
  }, 30_000);
});
