// Starts the real sealkv server for tests: as a child process from the built CLI (the way
// users run it), or in this process when a test needs to move the clock or look inside.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Config } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/net/server.js';

const BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));

/** A port nobody listens on right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnedServer {
  port: number;
  host: string;
  process: ChildProcess;
  /** Everything the server printed (pino JSON lines and stderr). */
  output(): string;
  /** Resolves true once the output contains text, false after timeoutMs (pino writes asynchronously). */
  waitForOutput(text: string, timeoutMs?: number): Promise<boolean>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `sealkv --port <free> <args>` and resolves once it logged that it is ready. */
export async function spawnServer(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<SpawnedServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      return await spawnOn(port, args, env);
    } catch (err) {
      if (attempt < 3 && String(err).includes('EADDRINUSE')) continue;
      throw err;
    }
  }
}

/** spawnServer on a port chosen by the caller (a cluster layout names its nodes' ports in advance). */
export function spawnOn(port: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [BIN, '--port', String(port), '--bind', '127.0.0.1', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // 'close' comes after the process exited and its stdout/stderr were read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('"sealkv ready"')) {
        resolve({
          port,
          host: '127.0.0.1',
          process: child,
          output: () => out,
          waitForOutput: async (text, timeoutMs = 3000) => {
            for (const start = Date.now(); Date.now() - start < timeoutMs; await new Promise((r) => setTimeout(r, 20))) {
              if (out.includes(text)) return true;
            }
            return out.includes(text);
          },
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => reject(new Error(`sealkv exited with ${code} before it was ready:\n${out}`)));
  });
}

export interface InProcessServer {
  port: number;
  host: string;
  running: RunningServer;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
  stop(): Promise<void>;
}

/** Starts sealkv inside the test process, with a clock the test controls. */
/**
 * Settings a whole test run adds to every in-process server: the `seal-keys` vitest project
 * (vitest.config.ts) runs the command-family tests again with SEALKV_TEST_SEAL_KEYS=yes.
 */
function modeSettings(): Record<string, string> {
  return process.env.SEALKV_TEST_SEAL_KEYS === 'yes' ? { 'seal-keys': 'yes' } : {};
}

/**
 * The string a key name is filed under in a server's keyspaces: the name itself, or with
 * seal-keys its hash (which also lets a test store an entry under it, as a command would).
 */
export function storedKey(server: InProcessServer, name: string): string {
  return server.running.state.names.keyOf(Buffer.from(name, 'latin1'));
}

export async function startInProcess(settings: Record<string, string> = {}, startAt = Date.now()): Promise<InProcessServer> {
  let now = startAt;
  const port = await freePort();
  const config = new Config(Object.entries({ port: String(port), bind: '127.0.0.1', ...modeSettings(), ...settings }));
  const running = await startServer(config, { clock: () => now, log: pino({ level: 'silent' }) });
  return {
    port,
    host: '127.0.0.1',
    running,
    advance: (ms) => {
      now += ms;
    },
    stop: () => running.close(),
  };
}
