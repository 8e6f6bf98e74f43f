// Redis's own tools against the real binary: redis-cli interactively (in a tmux terminal, the
// way a person uses it, so its COMMAND DOCS hints and line editing are exercised) and
// redis-benchmark.

import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisCli } from '../helpers/clients.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
}

const toolsPresent = hasRedisCli && has('tmux') && has('redis-benchmark');
const skip = !toolsPresent && process.env.CI !== 'true';
if (skip) console.warn('redis-cli, redis-benchmark or tmux missing: skipping redis-tools system tests (apt-get install redis-tools tmux)');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An interactive redis-cli in a detached tmux terminal. */
class InteractiveCli {
  private readonly socket = `sealkv-test-${process.pid}-${Date.now()}`;

  constructor(port: number) {
    execFileSync('tmux', ['-L', this.socket, 'new-session', '-d', '-s', 'cli', '-x', '200', '-y', '50', `redis-cli -p ${port}`]);
  }

  private screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'cli', '-S', '-1000']).toString();
  }

  private static readonly PROMPT = /^127\.0\.0\.1:\d+(\[\d+\])?(\(TX\))?> ?/;

  /** Waits until redis-cli has drawn its first prompt, so no keystroke is lost while it starts. */
  async ready(): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (this.screen().split('\n').some((l) => InteractiveCli.PROMPT.test(l))) return;
      await sleep(25);
    }
    throw new Error(`redis-cli showed no prompt:\n${this.screen()}`);
  }

  /** Types a line and returns what the terminal shows between its echo and the next prompt. */
  async type(line: string): Promise<string> {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'cli', '-l', line]);
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', 'cli', 'Enter']);
    for (let i = 0; i < 400; i++) {
      await sleep(25);
      const lines = this.screen().trimEnd().split('\n');
      const echoed = lines.findLastIndex((l) => InteractiveCli.PROMPT.test(l) && l.endsWith('> ' + line));
      const last = lines.length - 1;
      if (echoed >= 0 && last > echoed && InteractiveCli.PROMPT.test(lines[last]!)) {
        return lines.slice(echoed + 1, last).join('\n').trim();
      }
    }
    throw new Error(`no prompt after typing ${line}:\n${this.screen()}`);
  }

  close(): void {
    execFileSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

describe.skipIf(skip)('redis tools against sealkv', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('redis-cli works interactively: strings with spaces and binary, counters, expiry, hashes, transactions, scan, info', async () => {
    const cli = new InteractiveCli(server.port);
    try {
      await cli.ready();
      expect(await cli.type('PING')).toBe('PONG');
      expect(await cli.type('SET "greeting" "hello world"')).toBe('OK');
      expect(await cli.type('GET greeting')).toBe('"hello world"');
      expect(await cli.type('SET bin "\\x00\\xffA\\r\\n"')).toBe('OK');
      expect(await cli.type('GET bin')).toBe('"\\x00\\xffA\\r\\n"');
      expect(await cli.type('STRLEN bin')).toBe('(integer) 5');
      expect(await cli.type('INCR visits')).toBe('(integer) 1');
      expect(await cli.type('INCRBY visits 41')).toBe('(integer) 42');
      expect(await cli.type('EXPIRE greeting 100')).toBe('(integer) 1');
      expect(await cli.type('TTL greeting')).toMatch(/^\(integer\) (100|99)$/);
      expect(await cli.type('HSET user name "Ada Lovelace" born 1815')).toBe('(integer) 2');
      expect(await cli.type('HGETALL user')).toBe('1) "name"\n2) "Ada Lovelace"\n3) "born"\n4) "1815"');
      expect(await cli.type('MULTI')).toBe('OK');
      expect(await cli.type('SET tx 1')).toBe('QUEUED');
      expect(await cli.type('INCR tx')).toBe('QUEUED');
      expect(await cli.type('EXEC')).toBe('1) OK\n2) (integer) 2');
      const scan = await cli.type('SCAN 0 COUNT 100');
      expect(scan).toMatch(/^1\) "0"\n2\) /);
      for (const key of ['greeting', 'bin', 'visits', 'user', 'tx']) expect(scan).toContain(`"${key}"`);
      expect(await cli.type('INFO server')).toMatch(/redis_version:/);
      expect(await cli.type('NOSUCH arg')).toBe("(error) ERR unknown command 'NOSUCH', with args beginning with: 'arg'");
    } finally {
      cli.close();
    }
  });

  it('redis-benchmark completes set, get, incr and mset without errors', async () => {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        'redis-benchmark',
        ['-h', '127.0.0.1', '-p', String(server.port), '-t', 'set,get,incr,mset', '-n', '5000', '-c', '20', '-q'],
        { timeout: 120_000 },
        (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })),
      );
    });
    const results = stdout.split(/[\r\n]/).filter((l) => /requests per second/.test(l));
    expect(results.map((l) => l.trim().split(':')[0])).toEqual(['SET', 'GET', 'INCR', 'MSET (10 keys)']);
    expect(stdout + stderr).not.toMatch(/error|Could not fetch server CONFIG/i);
  });
});
