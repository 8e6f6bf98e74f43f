// Listeners as an operator meets them: a TLS setting or an address that cannot be used ends the
// start with exit code 1 (never a plaintext-only server), Redis 7's `-` optional bind addresses,
// TLS connections counted against maxclients from accept with a handshake timeout, the Unix
// socket listener and systemd readiness.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCliMissing } from '../helpers/clients.js';
import { BIN, runCli } from '../helpers/cli.js';
import { freePort, spawnServer, startInProcess, type InProcessServer } from '../helpers/server.js';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const opensslMissing = !has('openssl', ['version']) && process.env.CI !== 'true';
if (opensslMissing) console.warn('openssl not found: skipping TLS listener tests (apt-get install openssl)');

const dir = mkdtempSync(join(tmpdir(), 'sealkv-listen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two self-signed certificates with their keys (a and b), for the tests that mix them up. */
function makeCertificates(): Record<'certA' | 'keyA' | 'certB' | 'keyB', string> {
  const one = (name: string) => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
      '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    return [join(dir, `${name}.crt`), join(dir, `${name}.key`)] as const;
  };
  const [certA, keyA] = one('a');
  const [certB, keyB] = one('b');
  return { certA, keyA, certB, keyB };
}

/** Whether something accepts TCP connections on 127.0.0.1:port right now. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Sends PING over plain TCP; resolves with the first reply line, or 'closed'. */
function plainPing(options: { port: number } | { path: string }): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect(options as { port: number; host?: string });
    let got = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', () => resolve(got || 'closed'));
    s.on('close', () => resolve(got || 'closed'));
  });
}

function tlsPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    let got = '';
    s.on('secureConnect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', () => resolve(got || 'closed'));
    s.on('close', () => resolve(got || 'closed'));
  });
}

describe.skipIf(opensslMissing)('a TLS setting that cannot be loaded ends the start (exit 1), nothing stays listening', () => {
  let certs: ReturnType<typeof makeCertificates>;
  beforeAll(() => {
    certs = makeCertificates();
  });

  const start = async (tlsArgs: string[]) => {
    const port = await freePort();
    const tlsPort = await freePort();
    const run = await runCli(['--port', String(port), '--bind', '127.0.0.1', '--tls-port', String(tlsPort), ...tlsArgs]);
    return { ...run, port, tlsPort };
  };

  it('missing certificate file', async () => {
    const run = await start(['--tls-cert-file', join(dir, 'nope.crt'), '--tls-key-file', certs.keyA, '--tls-auth-clients', 'no']);
    expect(run.timedOut, `still serving after a TLS error:\n${run.output}`).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/sealkv: cannot read tls-cert-file .*nope\.crt: ENOENT/);
    expect(run.output).not.toContain('sealkv ready');
    expect(await listening(run.port)).toBe(false);
  });

  it('a key that does not belong to the certificate', async () => {
    const run = await start(['--tls-cert-file', certs.certA, '--tls-key-file', certs.keyB, '--tls-auth-clients', 'no']);
    expect(run.timedOut, `still serving after a TLS error:\n${run.output}`).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/sealkv: cannot load TLS certificate .*a\.crt with key .*b\.key: .*key values mismatch/);
    expect(await listening(run.port)).toBe(false);
  });

  it('missing CA file, and a CA file that is not a certificate', async () => {
    const missing = await start(['--tls-cert-file', certs.certA, '--tls-key-file', certs.keyA, '--tls-ca-cert-file', join(dir, 'nope-ca.crt')]);
    expect(missing.timedOut).toBe(false);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/cannot read tls-ca-cert-file .*nope-ca\.crt: ENOENT/);
    const junk = join(dir, 'junk-ca.crt');
    writeFileSync(junk, 'not a certificate\n');
    const bad = await start(['--tls-cert-file', certs.certA, '--tls-key-file', certs.keyA, '--tls-ca-cert-file', junk]);
    expect(bad.timedOut).toBe(false);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/cannot load TLS certificate .* and CA .*junk-ca\.crt/);
    expect(await listening(bad.port)).toBe(false);
  });

  it('a TLS port already in use: the plain listener it opened first is closed again', async () => {
    const holder = createServer();
    const tlsPort = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    const port = await freePort();
    try {
      const run = await runCli(['--port', String(port), '--bind', '127.0.0.1', '--tls-port', String(tlsPort),
        '--tls-cert-file', certs.certA, '--tls-key-file', certs.keyA, '--tls-auth-clients', 'no']);
      expect(run.timedOut, `still serving plaintext:\n${run.output}`).toBe(false);
      expect(run.code).toBe(1);
      expect(run.output).toContain(`sealkv: cannot listen on 127.0.0.1:${tlsPort}: EADDRINUSE`);
      expect(await listening(port)).toBe(false);
    } finally {
      holder.close();
    }
  });
});

describe('bind addresses (Redis 7)', () => {
  it('a port in use or an address this host does not have ends the start with exit 1', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    try {
      const inUse = await runCli(['--port', String(port), '--bind', '127.0.0.1']);
      expect(inUse.code).toBe(1);
      expect(inUse.output).toContain(`sealkv: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      holder.close();
    }
    const free = await freePort();
    const absent = await runCli(['--port', String(free), '--bind', '127.0.0.1 10.255.255.1']);
    expect(absent.timedOut).toBe(false);
    expect(absent.code).toBe(1);
    expect(absent.output).toContain(`sealkv: cannot listen on 10.255.255.1:${free}: EADDRNOTAVAIL`);
    expect(await listening(free)).toBe(false);
  });

  it('skips a `-` optional address it cannot bind, with a log line, and serves on the others', async () => {
    const server = await spawnServer(['--bind', '127.0.0.1 -10.255.255.1 -::1']);
    try {
      expect(await plainPing({ port: server.port })).toBe('+PONG\r\n');
      expect(server.output()).toMatch(/"bind":"10\.255\.255\.1".*"msg":"optional bind address skipped"/);
    } finally {
      await server.stop();
    }
  });

  it('an optional address is still fatal when its port is in use (only a missing address is skipped)', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    try {
      const run = await runCli(['--port', String(port), '--bind', '-127.0.0.1']);
      expect(run.code).toBe(1);
      expect(run.output).toContain('EADDRINUSE');
    } finally {
      holder.close();
    }
  });
});

describe.skipIf(opensslMissing)('TLS connections count against maxclients from accept, with a handshake timeout', () => {
  const MAX = 20;
  let server: InProcessServer;
  let tlsPort: number;

  beforeAll(async () => {
    const certs = makeCertificates();
    tlsPort = await freePort();
    server = await startInProcess({
      'tls-port': String(tlsPort), 'tls-cert-file': certs.certA, 'tls-key-file': certs.keyA, 'tls-auth-clients': 'no',
      maxclients: String(MAX), 'tls-handshake-timeout': '2',
    });
  });
  afterAll(() => server?.stop());

  it('silent connections on the TLS port never lock out TLS or plain clients, and are closed after the timeout', async () => {
    const silent: Socket[] = [];
    const closed = new Set<Socket>();
    try {
      await Promise.all(Array.from({ length: 2 * MAX }, () => new Promise<void>((resolve) => {
        const s = netConnect(tlsPort, '127.0.0.1');
        silent.push(s);
        s.on('close', () => closed.add(s));
        s.on('error', () => {});
        s.once('connect', () => resolve());
        s.once('close', () => resolve());
      })));
      // Never more half-open connections than maxclients: the oldest gave way to newer ones.
      for (const start = Date.now(); silent.length - closed.size > MAX && Date.now() - start < 3000; ) await new Promise((r) => setTimeout(r, 20));
      expect(silent.length - closed.size).toBeLessThanOrEqual(MAX);
      // A real TLS client and a plain one are still served, at once.
      expect(await tlsPing(tlsPort)).toBe('+PONG\r\n');
      expect(await plainPing({ port: server.port })).toBe('+PONG\r\n');
      // And every silent connection is closed once tls-handshake-timeout (2 s) has passed.
      for (const start = Date.now(); closed.size < silent.length && Date.now() - start < 10_000; ) await new Promise((r) => setTimeout(r, 50));
      expect(closed.size).toBe(silent.length);
    } finally {
      for (const s of silent) s.destroy();
    }
  });

  it('maxclients applies to finished TLS connections too', async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < MAX; i++) {
        await new Promise<void>((resolve, reject) => {
          const s = tlsConnect({ port: tlsPort, host: '127.0.0.1', rejectUnauthorized: false }, () => s.write('PING\r\n'));
          held.push(s);
          s.once('data', () => resolve());
          s.once('error', reject);
        });
      }
      expect(await tlsPing(tlsPort)).toBe('closed');
      expect(await plainPing({ port: server.port })).toBe('-ERR max number of clients reached\r\n');
    } finally {
      for (const s of held) s.destroy();
    }
    // Slots free again once those clients have gone.
    for (let i = 0; i < 50 && server.running.state.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await tlsPing(tlsPort)).toBe('+PONG\r\n');
  });
});

describe.skipIf(process.platform !== 'linux')('maxclients and the open files limit', () => {
  it('lowers maxclients to fit ulimit -n as Redis does (256 -> 224), so a flood meets the error, not EMFILE', async () => {
    const port = await freePort();
    const child = spawn('sh', ['-c', `ulimit -n 256 && exec "$0" "$@"`, process.execPath, BIN, '--port', String(port), '--bind', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const held: Socket[] = [];
    let client: Redis | undefined;
    try {
      for (const start = Date.now(); !out.includes('sealkv ready') && Date.now() - start < 10_000; ) await new Promise((r) => setTimeout(r, 20));
      expect(out).toMatch(/"requested":10000,"maxclients":224,"openFilesLimit":256.*maxclients lowered to fit the open files limit/);
      client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
      expect(await client.config('GET', 'maxclients')).toEqual(['maxclients', '224']);
      // 300 connections: those over 224 are told so, and the server keeps answering.
      const replies = await Promise.all(Array.from({ length: 300 }, () => new Promise<string>((resolve) => {
        const s = netConnect(port, '127.0.0.1');
        held.push(s);
        let got = '';
        s.on('connect', () => s.write('PING\r\n'));
        s.on('data', (d) => {
          got += d.toString();
          if (got.includes('\r\n')) resolve(got);
        });
        s.on('error', () => resolve(got || 'error'));
        s.on('close', () => resolve(got || 'closed'));
      })));
      // The ioredis client holds the 224th slot. Past the limit a connection is told so while
      // the 32 reserved descriptors last; beyond even those, libuv accepts and resets it.
      expect(replies.filter((r) => r === '+PONG\r\n').length).toBe(223);
      const refused = replies.filter((r) => r === '-ERR max number of clients reached\r\n').length;
      expect(refused).toBeGreaterThan(0);
      expect(replies.filter((r) => r !== '+PONG\r\n' && !r.startsWith('-ERR max number') && r !== 'error' && r !== 'closed')).toEqual([]);
      for (const s of held) s.destroy();
      for (let i = 0; i < 100 && !(await client.info('clients')).includes('connected_clients:1\r\n'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await client.ping()).toBe('PONG');
    } finally {
      client?.disconnect();
      for (const s of held) s.destroy();
      child.kill('SIGTERM');
    }
  });
});

describe('unixsocket', () => {
  it('serves ioredis (path) and redis-cli -s, applies unixsocketperm, names clients <path>:0, and removes the file on stop', async () => {
    const path = join(dir, 'sealkv.sock');
    const server = await spawnServer(['--unixsocket', path, '--unixsocketperm', '770']);
    const client = new Redis({ path, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      const st = statSync(path);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o770);
      await client.connect();
      expect(await client.set('k', 'v')).toBe('OK');
      expect(await client.get('k')).toBe('v');
      expect(await client.client('INFO')).toContain(`addr=${path}:0 laddr=${path}:0 `);
      expect(await client.config('GET', 'unixsocket*')).toEqual(['unixsocket', path, 'unixsocketperm', '770']);
      if (!redisCliMissing) {
        const cli = spawnSync('redis-cli', ['-s', path, 'get', 'k'], { encoding: 'utf8', timeout: 5000 });
        expect(cli.stdout.trim()).toBe('v');
      }
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a unixsocketperm that is not octal', async () => {
    const run = await runCli(['--port', String(await freePort()), '--unixsocket', join(dir, 'perm.sock'), '--unixsocketperm', '780']);
    expect(run.code).toBe(1);
    expect(run.output).toContain("argument couldn't be parsed as an octal number"); // Redis's words
  });

  it('counts Unix socket clients against maxclients', async () => {
    const path = join(dir, 'max.sock');
    const server = await spawnServer(['--unixsocket', path, '--maxclients', '2']);
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = netConnect({ path });
        held.push(s);
        await new Promise<void>((resolve) => {
          s.once('data', () => resolve());
          s.write('PING\r\n');
        });
      }
      expect(await plainPing({ path })).toBe('-ERR max number of clients reached\r\n');
      expect(await plainPing({ port: server.port })).toBe('-ERR max number of clients reached\r\n');
    } finally {
      for (const s of held) s.destroy();
      await server.stop();
    }
  });

  it('replaces a stale socket file, but refuses a live one or a path that is not a socket', async () => {
    const path = join(dir, 'stale.sock');
    // A server that died without cleaning up (SIGKILL) leaves its socket file behind.
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(statSync(path).isSocket()).toBe(true);
    const server = await spawnServer(['--unixsocket', path]);
    try {
      expect(await plainPing({ path })).toBe('+PONG\r\n');
      const port = await freePort();
      const second = await runCli(['--port', String(port), '--bind', '127.0.0.1', '--unixsocket', path]);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`cannot listen on unixsocket ${path}: another server is listening on it`);
      expect(await plainPing({ path })).toBe('+PONG\r\n');
    } finally {
      await server.stop();
    }
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious\n');
    const run = await runCli(['--port', String(await freePort()), '--bind', '127.0.0.1', '--unixsocket', file]);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`cannot listen on unixsocket ${file}: the path exists and is not a socket`);
    expect(statSync(file).isFile()).toBe(true);
  });
});

const notifyMissing = !has('systemd-notify', ['--version']) || !has('python3', ['--version']);
if (notifyMissing) console.warn('systemd-notify or python3 not found: skipping the supervised systemd test');

describe.skipIf(notifyMissing)('supervised systemd', () => {
  it('sends READY=1, STATUS= and MAINPID to $NOTIFY_SOCKET once listening', async () => {
    const sock = join(dir, 'notify.sock');
    // A stand-in for systemd: a Unix datagram socket that prints what it receives.
    const receiver = spawn('python3', ['-c', [
      'import socket, sys',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      's.bind(sys.argv[1])',
      'print("bound", flush=True)',
      's.settimeout(15)',
      'for _ in range(4): print(s.recv(4096).decode().replace("\\n", "|"), flush=True)',
    ].join('\n'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    receiver.stdout.on('data', (d: Buffer) => (got += d.toString()));
    try {
      for (const start = Date.now(); !got.includes('bound') && Date.now() - start < 5000; ) await new Promise((r) => setTimeout(r, 20));
      const server = await spawnServer(['--supervised', 'systemd'], { NOTIFY_SOCKET: sock });
      let log = '';
      try {
        for (const start = Date.now(); !got.includes('READY') && Date.now() - start < 5000; ) await new Promise((r) => setTimeout(r, 20));
        expect(got).toContain('READY=1');
        expect(got).toMatch(new RegExp(`STATUS=Ready to accept connections on 127\\.0\\.0\\.1:${server.port}`));
        expect(got).toContain(`MAINPID=${server.process.pid}`);
      } finally {
        await server.stop();
        log = server.output();
      }
      // And STOPPING=1 when it is told to stop.
      for (const start = Date.now(); !got.includes('STOPPING') && Date.now() - start < 5000; ) await new Promise((r) => setTimeout(r, 20));
      expect(got, log).toContain('STOPPING=1');
    } finally {
      receiver.kill();
    }
  });
});
