// Mistakes a new operator makes, tried on the built CLI: a master key file others can read, a
// key file in `xxd -p` layout or with a typo, spill-dir without maxmemory, `seal-backend wasm`
// expecting sodium-native to stay out, and SIGTERM sent to `npm start` / `npx sealkv`.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSodiumNative } from '../../src/seal/native-aead.js';
import { runCli } from '../helpers/cli.js';
import { freePort, spawnServer } from '../helpers/server.js';
import { mountTmpfs, tmpfsUnavailable } from '../helpers/tmpfs.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sealkv-mistakes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, content: string | Buffer, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('master key file', () => {
  it('is refused when group or others can read it, naming the mode and the override', async () => {
    const path = keyFile('open.key', Buffer.alloc(32, 7), 0o644);
    const run = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--master-key-file', path]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`sealkv: master key file ${path} has mode 0644: group or others can access it`);
    expect(run.output).toContain('chmod 600');
    expect(run.output).toContain('master-key-file-permissive yes');
    const group = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--master-key-file', keyFile('group.key', Buffer.alloc(32, 7), 0o640)]);
    expect(group.code).toBe(1);
    expect(group.output).toContain('has mode 0640');
  });

  it('a directory given as the key file is named as one (a 0755 one was refused for its mode)', async () => {
    const keys = join(dir, 'keys');
    mkdirSync(keys);
    chmodSync(keys, 0o755);
    const run = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--master-key-file', keys]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`sealkv: master key file ${keys} is not a regular file but a directory: give the key file's own path`);
    expect(run.output).not.toContain('has mode');
  });

  it('master-key-file-permissive yes accepts it', async () => {
    const path = keyFile('open-ok.key', Buffer.alloc(32, 7), 0o644);
    const server = await spawnServer(['--master-key-file', path, '--master-key-file-permissive', 'yes']);
    try {
      expect(server.output()).toContain('"keySource":"file"');
    } finally {
      await server.stop();
    }
  });

  it('accepts `xxd -p` output (hex over two lines) and points at a bad hex digit by offset', async () => {
    const hex = Buffer.alloc(32, 0xa5).toString('hex');
    // xxd -p writes 30 bytes (60 digits) per line.
    const xxd = keyFile('xxd.key', `${hex.slice(0, 60)}\n${hex.slice(60)}\n`, 0o600);
    const server = await spawnServer(['--master-key-file', xxd]);
    await server.stop();
    const typo = keyFile('typo.key', `${hex.slice(0, 41)}q${hex.slice(42)}\n`, 0o600);
    const run = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--master-key-file', typo]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`sealkv: master key file ${typo}: invalid hex digit at offset 41`);
    expect(run.output).not.toContain('found 65 bytes');
  });
});

describe.skipIf(tmpfsUnavailable)('spill-dir without maxmemory', () => {
  it('says at start that values never spill', async () => {
    const tmpfs = mountTmpfs('4m');
    try {
      const server = await spawnServer(['--spill-dir', tmpfs.dir, '--spill-max-bytes', '1mb']);
      try {
        expect(await server.waitForOutput('values never spill until maxmemory is set')).toBe(true);
      } finally {
        await server.stop();
      }
      const withLimit = await spawnServer(['--spill-dir', tmpfs.dir, '--spill-max-bytes', '1mb', '--maxmemory', '1mb']);
      await withLimit.stop();
      expect(withLimit.output()).not.toContain('values never spill');
    } finally {
      tmpfs.unmount();
    }
  });
});

const nativeLoads = loadSodiumNative() !== null;

describe.skipIf(!nativeLoads || process.platform !== 'linux')('seal-backend wasm never loads sodium-native', () => {
  const mapsOf = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8');
  const SODIUM_NATIVE = /sodium-native\S*\.node/;

  it('with sealed key names too (the name hasher used to load it)', async () => {
    const wasm = await spawnServer(['--seal-backend', 'wasm', '--seal-keys', 'yes']);
    const auto = await spawnServer(['--seal-backend', 'auto', '--seal-keys', 'yes']);
    try {
      expect(mapsOf(wasm.process.pid!)).not.toMatch(SODIUM_NATIVE);
      // The check sees the library where it is loaded.
      expect(mapsOf(auto.process.pid!)).toMatch(SODIUM_NATIVE);
    } finally {
      await wasm.stop();
      await auto.stop();
    }
  });
});

/** Resolves once `port` accepts connections (true) or after timeoutMs (false). */
async function waitListening(port: number, timeoutMs: number, want = true): Promise<boolean> {
  const up = () => new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  for (const start = Date.now(); Date.now() - start < timeoutMs; await new Promise((r) => setTimeout(r, 100))) {
    if ((await up()) === want) return true;
  }
  return (await up()) === want;
}

/** The pids of the children of pid, recursively (from /proc). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return out;
  }
  for (const c of children) out.push(c, ...descendants(c));
  return out;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

/**
 * Starts `command` (npm start / npx sealkv) on a free port, SIGTERMs that npm process only, and
 * reports whether the server's port closed and whether any process it started is left.
 */
async function sigtermNpm(command: string, args: string[], cwd: string): Promise<{ portClosed: boolean; leftover: number[] }> {
  const port = await freePort();
  const npm: ChildProcess = spawn(command, [...args, '--port', String(port), '--bind', '127.0.0.1'], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const started: number[] = [];
  try {
    expect(await waitListening(port, 60_000), `server never listened:\n${out}`).toBe(true);
    started.push(...descendants(npm.pid!));
    npm.kill('SIGTERM');
    const portClosed = await waitListening(port, 5000, false);
    // The port closes before the process has exited; on a busy machine the exit can take seconds.
    for (const until = Date.now() + 10_000; Date.now() < until && started.some(alive); ) await new Promise((r) => setTimeout(r, 100));
    return { portClosed, leftover: started.filter(alive) };
  } finally {
    // Whatever this test started and is still there: end it, by pid.
    for (const pid of [npm.pid!, ...started]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

describe.skipIf(process.platform !== 'linux')('SIGTERM to the documented start commands stops the server', () => {
  it('npm start', async () => {
    const { portClosed, leftover } = await sigtermNpm('npm', ['start', '--silent', '--'], ROOT);
    expect(portClosed).toBe(true);
    expect(leftover).toEqual([]);
  }, 90_000);

  it('npx sealkv', async () => {
    // npx runs an installed package's bin through a shell, as from node_modules/.bin here.
    const app = join(dir, 'app');
    mkdirSync(join(app, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(app, 'package.json'), '{"name":"app","version":"1.0.0","private":true}\n');
    symlinkSync(ROOT, join(app, 'node_modules', 'sealkv'));
    symlinkSync('../sealkv/bin/sealkv.js', join(app, 'node_modules', '.bin', 'sealkv'));
    const { portClosed, leftover } = await sigtermNpm('npx', ['--no-install', 'sealkv'], app);
    expect(portClosed).toBe(true);
    expect(leftover).toEqual([]);
  }, 90_000);
});
