// Logs as an operator meets them, from the real CLI: JSON lines when the output is not a
// terminal, pino-pretty lines on a terminal (a tmux pane) or with --log-format pretty, logfile
// appended to (0600) and reopened on SIGHUP, an unopenable logfile stopping the start, and
// connection events at loglevel verbose/debug naming the peer, never a key name or a value.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Markers sent in commands: neither may ever reach a log line. */
const MARK_KEY = 'logtest-key-7f3a9c';
const MARK_VALUE = 'logtest-value-e81d02';

interface Run {
  port: number;
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sealkv-logs-'));

/** Spawns the CLI on a free port with its stdout and stderr piped (not a terminal). */
async function run(args: string[]): Promise<Run> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, '--port', String(port), '--bind', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { port, child, output: () => out, exited };
}

/** Waits (bounded) until read() contains text; returns whether it did. */
async function waitFor(read: () => string, text: string, timeoutMs = 10_000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(25)) if (read().includes(text)) return true;
  return read().includes(text);
}

const readFile = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

async function stop(r: Run): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  await r.exited;
}

/** Sends raw RESP and resolves with the reply once `until` shows up in it (or the socket ends). */
function exchange(port: number, request: string, until: string, host = '127.0.0.1'): Promise<{ reply: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(request));
    let reply = '';
    const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(until)} in ${JSON.stringify(reply)}`)), 5000);
    const done = () => (clearTimeout(timer), resolve({ reply, socket }));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes(until)) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
  });
}

const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** The JSON lines of an output, parsed; anything else is left out. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGKILL');
      await closed;
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('log format', () => {
  it('writes JSON lines by default when stdout is not a terminal', async () => {
    const r = await run([]);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    const ready = jsonLines(r.output()).find((l) => l.msg === 'sealkv ready');
    expect(ready).toMatchObject({ level: 30, name: 'sealkv', port: r.port });
    await stop(r);
  });

  it("says Redis's 'Ready to accept connections' once listening (supervisors and test harnesses wait for it)", async () => {
    const r = await run([]);
    // The line after "sealkv ready": waiting for that one alone raced with it under load.
    expect(await waitFor(r.output, 'Ready to accept connections')).toBe(true);
    const lines = jsonLines(r.output());
    const readyAt = lines.findIndex((l) => l.msg === 'Ready to accept connections');
    expect(readyAt).toBeGreaterThan(lines.findIndex((l) => l.msg === 'sealkv ready'));
    expect(lines[readyAt]).toMatchObject({ level: 30, name: 'sealkv' });
    await stop(r);
  });

  it('--log-format pretty writes one human-readable line per event, uncoloured off a terminal', async () => {
    const r = await run(['--log-format', 'pretty', '--loglevel', 'verbose']);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    const line = r.output().split('\n').find((l) => l.includes('sealkv ready'))!;
    expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): sealkv ready \{.*"port":\d+/);
    expect(line).not.toContain('\x1b[');
    expect(r.output()).not.toContain('{"level"');
    // CONFIG GET shows it; it is fixed at start, as logfile is.
    const { reply, socket } = await exchange(r.port, resp('CONFIG', 'GET', 'log-format') + resp('CONFIG', 'SET', 'log-format', 'json'), "can't set immutable config");
    socket.destroy();
    expect(reply).toContain('$10\r\nlog-format\r\n$6\r\npretty\r\n');
    await stop(r);
  });

  it.skipIf(!has('tmux'))('is human-readable on a terminal (a tmux pane) without being asked', async () => {
    const port = await freePort();
    const tmux = `sealkv-logs-${process.pid}-${Date.now()}`;
    const t = (...args: string[]) => execFileSync('tmux', ['-L', tmux, ...args]).toString();
    // The pane outlives the server by a few seconds, so its last lines can still be read.
    t('new-session', '-d', '-s', 'log', '-x', '250', '-y', '50', `${process.execPath} ${BIN} --port ${port} --bind 127.0.0.1; sleep 20`);
    try {
      const screen = () => t('capture-pane', '-p', '-J', '-t', 'log', '-S', '-200');
      expect(await waitFor(screen, 'sealkv ready')).toBe(true);
      expect(screen()).toMatch(/INFO \(\d+\): sealkv ready/);
      expect(screen()).not.toContain('{"level"');
      t('send-keys', '-t', 'log', 'C-c');
      expect(await waitFor(screen, 'stopped')).toBe(true);
    } finally {
      t('kill-server');
    }
  });

  it.skipIf(!has('tmux'))('exits after a stop even when its terminal closes at once (SIGHUP ignored, lines to a hung-up terminal dropped)', async () => {
    const port = await freePort();
    const tmux = `sealkv-hangup-${process.pid}-${Date.now()}`;
    const t = (...args: string[]) => execFileSync('tmux', ['-L', tmux, ...args]).toString();
    t('new-session', '-d', '-s', 'log', '-x', '250', '-y', '50', `${process.execPath} ${BIN} --port ${port} --bind 127.0.0.1; sleep 20`);
    let pid = 0;
    try {
      const screen = () => t('capture-pane', '-p', '-J', '-t', 'log', '-S', '-200');
      expect(await waitFor(screen, 'sealkv ready')).toBe(true);
      pid = Number(/INFO \((\d+)\): sealkv ready/.exec(screen())![1]);
      t('send-keys', '-t', 'log', 'C-c');
      expect(await waitFor(screen, 'stopped')).toBe(true);
    } finally {
      // In the half second before it exits: its SIGHUP line failed with EIO and SonicBoom's
      // flush at exit retried it forever (the process stayed, an orphan, in every such run).
      t('kill-server');
    }
    const gone = () => !existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    for (const until = Date.now() + 10_000; Date.now() < until && !gone(); ) await new Promise((r) => setTimeout(r, 100));
    const exited = gone();
    if (!exited) process.kill(pid, 'SIGKILL');
    expect(exited).toBe(true);
  });
});

describe('logfile', () => {
  it('appends to the file, created 0600, nothing on stdout; SIGHUP reopens it after logrotate moved it', async () => {
    const file = join(dir, 'sealkv.log');
    const r = await run(['--logfile', file]);
    expect(await waitFor(() => readFile(file), 'sealkv ready')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(jsonLines(readFile(file)).find((l) => l.msg === 'sealkv ready')).toMatchObject({ port: r.port });
    expect(r.output()).not.toContain('sealkv ready');
    // As logrotate: move the file away, then SIGHUP.
    renameSync(file, `${file}.1`);
    r.child.kill('SIGHUP');
    expect(await waitFor(() => readFile(file), 'log file reopened')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The next line lands in the new file, none in the old one.
    const { socket } = await exchange(r.port, resp('CONFIG', 'SET', 'zset-max-listpack-entries', '100'), '+OK');
    socket.destroy();
    expect(await waitFor(() => readFile(file), 'does not act on it')).toBe(true);
    expect(readFile(`${file}.1`)).not.toContain('does not act on it');
    expect(readFile(`${file}.1`)).not.toContain('reopened');
    expect(r.child.exitCode).toBeNull();
    await stop(r);
    expect(readFile(file)).toContain('"msg":"stopped"');
  });

  it('appends to an existing file and keeps what it held', async () => {
    const file = join(dir, 'existing.log');
    const first = await run(['--logfile', file]);
    expect(await waitFor(() => readFile(file), 'sealkv ready')).toBe(true);
    await stop(first);
    const second = await run(['--logfile', file]);
    const readyLines = () => `${readFile(file).split('sealkv ready').length - 1} ready`;
    expect(await waitFor(readyLines, '2 ready')).toBe(true);
    await stop(second);
  });

  it('--log-format pretty applies to the file too, without colour codes', async () => {
    const file = join(dir, 'pretty.log');
    const r = await run(['--logfile', file, '--log-format', 'pretty']);
    expect(await waitFor(() => readFile(file), 'sealkv ready')).toBe(true);
    expect(readFile(file)).toMatch(/INFO \(\d+\): sealkv ready/);
    expect(readFile(file)).not.toContain('\x1b[');
    await stop(r);
  });

  it('a relative logfile and pidfile lie in dir, as in Redis (each instance of its test harnesses has its own dir and logfile log.txt)', async () => {
    const work = join(dir, 'instance-dir');
    mkdirSync(work);
    const name = `relative-${process.pid}.log`;
    const pid = `relative-${process.pid}.pid`;
    const r = await run(['--dir', work, '--logfile', name, '--pidfile', pid]);
    expect(await waitFor(() => readFile(join(work, name)), 'sealkv ready')).toBe(true);
    expect(existsSync(join(process.cwd(), name))).toBe(false);
    for (let i = 0; i < 100 && !existsSync(join(work, pid)); i++) await new Promise((res) => setTimeout(res, 20));
    expect(readFileSync(join(work, pid), 'utf8')).toBe(`${r.child.pid}\n`);
    expect(existsSync(join(process.cwd(), pid))).toBe(false);
    await stop(r);
    expect(existsSync(join(work, pid))).toBe(false);
  });

  it('a logfile that cannot be opened stops the start with exit code 1 and says why', async () => {
    for (const file of [join(dir, 'no-such-dir', 'sealkv.log'), dir]) {
      const r = await run(['--logfile', file]);
      expect(await r.exited).toBe(1);
      expect(r.output()).toContain(`Can't open the log file ${file}: E`);
      expect(r.output()).not.toContain('sealkv ready');
    }
  });
});

describe('crash report', () => {
  // As Redis's crash report (found by Redis's integration/logging unit): a server aborted by
  // SIGABRT (a watchdog, an operator's kill -ABRT) says so in its log, then dies of the signal.
  it('SIGABRT leaves a "crashed by signal" line on stdout, then the process aborts', async () => {
    const r = await run([]);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    const signal = new Promise<NodeJS.Signals | null>((resolve) => r.child.once('exit', (_code, sig) => resolve(sig)));
    r.child.kill('SIGABRT');
    expect(await signal).toBe('SIGABRT');
    await r.exited;
    const line = jsonLines(r.output()).find((l) => String(l.msg).includes('crashed by signal'));
    expect(line).toMatchObject({ level: 60, msg: 'sealkv 0.1.0 crashed by signal: 6', signal: 'SIGABRT' });
  });

  it('the line reaches a log file too before the process dies', async () => {
    const file = join(dir, 'crash.log');
    const r = await run(['--logfile', file]);
    expect(await waitFor(() => readFile(file), 'sealkv ready')).toBe(true);
    r.child.kill('SIGABRT');
    await r.exited;
    expect(readFile(file)).toContain('crashed by signal: 6');
  });
});

describe('connection events', () => {
  /** Runs SET/GET with the markers on one connection, then QUIT; returns the client's own address. */
  async function useMarkers(port: number): Promise<string> {
    const { reply, socket } = await exchange(port, resp('SET', MARK_KEY, MARK_VALUE) + resp('GET', MARK_KEY) + resp('QUIT'), '+OK\r\n$20');
    expect(reply).toContain(MARK_VALUE);
    const addr = `${socket.localAddress}:${socket.localPort}`;
    await new Promise((r) => (socket.destroyed ? r(null) : socket.once('close', r)));
    return addr;
  }

  for (const [loglevel, format] of [['verbose', 'json'], ['debug', 'pretty']] as const) {
    it(`at loglevel ${loglevel} (${format}) name the peer, the client id and why, never a key name or value`, async () => {
      const r = await run(['--loglevel', loglevel, '--log-format', format]);
      expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
      const addr = await useMarkers(r.port);
      // A client closed by the server: a protocol error.
      const { socket } = await exchange(r.port, '*1\r\n$x\r\n', 'Protocol error');
      socket.destroy();
      expect(await waitFor(r.output, 'protocol error')).toBe(true);
      expect(await waitFor(r.output, `"addr":"${addr}","reason":"closed by a command"`)).toBe(true);
      const out = r.output();
      expect(out).toContain(`"addr":"${addr}","laddr":"127.0.0.1:${r.port}","tls":false`);
      expect(out).toMatch(/client accepted/);
      expect(out).toMatch(/client closed/);
      expect(out).toMatch(/"client":1,/);
      expect(out).not.toContain(MARK_KEY);
      expect(out).not.toContain(MARK_VALUE);
      await stop(r);
    });
  }

  it('are not logged at the default loglevel (notice)', async () => {
    const r = await run([]);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    await useMarkers(r.port);
    await stop(r);
    expect(r.output()).toContain('"msg":"stopped"');
    expect(r.output()).not.toContain('client accepted');
    expect(r.output()).not.toContain('client closed');
  });

  it('a client refused at maxclients is logged with its address and the reason', async () => {
    const r = await run(['--loglevel', 'verbose', '--maxclients', '1']);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    const first = await exchange(r.port, resp('PING'), '+PONG');
    const second = await exchange(r.port, resp('SET', MARK_KEY, MARK_VALUE), 'max number of clients');
    const addr = `${second.socket.localAddress}:${second.socket.localPort}`;
    first.socket.destroy();
    second.socket.destroy();
    expect(await waitFor(r.output, `"addr":"${addr}","reason":"max number of clients reached","msg":"connection refused"`)).toBe(true);
    expect(r.output()).not.toContain(MARK_KEY);
    await stop(r);
  });

  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  it.skipIf(!external)('a client refused by protected mode is logged with its address', async () => {
    const r = await run(['--loglevel', 'verbose', '--bind', '0.0.0.0']);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    const { socket } = await exchange(r.port, resp('GET', MARK_KEY), 'DENIED', external);
    const addr = `${socket.localAddress}:${socket.localPort}`;
    socket.destroy();
    expect(await waitFor(r.output, `"addr":"${addr}","reason":"protected mode","msg":"connection refused"`)).toBe(true);
    expect(r.output()).not.toContain(MARK_KEY);
    await stop(r);
  });

  it.skipIf(!has('openssl'))('a failed TLS handshake is logged with the address and OpenSSL\'s reason', async () => {
    const certDir = mkdtempSync(join(dir, 'tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '2', '-subj', '/CN=localhost'], { cwd: certDir, stdio: 'pipe' });
    const tlsPort = await freePort();
    const r = await run(['--loglevel', 'verbose', '--tls-port', String(tlsPort), '--tls-cert-file', join(certDir, 'c.pem'), '--tls-key-file', join(certDir, 'k.pem'), '--tls-auth-clients', 'no']);
    expect(await waitFor(r.output, 'sealkv ready')).toBe(true);
    // Plain RESP on the TLS port: not a TLS record; the server closes the connection.
    const addr = await new Promise<string>((resolve) => {
      const socket = connect(tlsPort, '127.0.0.1', () => socket.write(resp('SET', MARK_KEY, MARK_VALUE)));
      socket.on('error', () => {});
      socket.once('connect', () => {
        const mine = `${socket.localAddress}:${socket.localPort}`;
        socket.once('close', () => resolve(mine));
      });
    });
    expect(await waitFor(r.output, `"addr":"${addr}","reason":"ERR_SSL_`)).toBe(true);
    expect(r.output()).toContain('TLS handshake failed');
    expect(r.output()).not.toContain(MARK_KEY);
    expect(r.output()).not.toContain(MARK_VALUE);
    await stop(r);
  });
});
