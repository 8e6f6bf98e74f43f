// The command line as redis-server 7.0 reads it (server.c main(), config.c
// loadServerConfigFromString): a config file, then `--name value` pairs, bare words, a name and
// its value in one argument, values that start with `--`, `--save` alone, and `-` for config
// text on standard input. Each case runs through redis-server and sealkv: a mistake must print
// the same lines and exit 1 (the version in the banner aside), a start must end with the same
// settings.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { ioredis } from '../helpers/clients.js';
import { hasRedisServer } from '../helpers/reference-redis.js';
import { freePort } from '../helpers/server.js';
import { until } from '../helpers/beside-redis.js';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

const dir = mkdtempSync(join(tmpdir(), 'sealkv-cmdline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conf = join(dir, 'two-lines.conf');
writeFileSync(conf, 'bind 127.0.0.1\nappendonly no\n');
const saving = join(dir, 'saving.conf');
writeFileSync(saving, 'bind 127.0.0.1\nsave 900 1\n');

interface Run {
  code: number | null;
  output: string;
}

/** Runs a server to its end (or kills it after `ms`), with `input` on its standard input. */
function run(server: 'redis' | 'sealkv', args: string[], input = '', ms = 5000): Promise<Run> {
  const child = server === 'redis'
    ? spawn('redis-server', args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.on('error', () => undefined); // it may exit before reading
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) => child.once('close', (code) => (clearTimeout(timer), resolve({ code, output }))));
}

/** Redis's FATAL block as printed, the version in its banner set to the one sealkv follows. */
function fatalBlock(output: string): string {
  const at = output.indexOf('\n*** FATAL CONFIG FILE ERROR');
  return at < 0 ? output : output.slice(at).replace(/\(Redis [\d.]+\)/, '(Redis 7.0.0)');
}

const MISTAKES: { args: string[]; input?: string }[] = [
  { args: ['--port'] },
  { args: ['--port', '6380', '--loglevel'] },
  { args: ['--port', '6379', '6380'] },
  { args: ['--port', '--loglevel', 'verbose'] },
  { args: ['--port', '--bla', '--loglevel', 'verbose'] },
  { args: ['--logfile', '--my--log--file', '--loglevel', '--bla'] },
  { args: ['--shutdown-on-sigint'] },
  { args: ['--shutdown-on-sigint', 'now force', '--shutdown-on-sigterm'] },
  { args: ['--replicaof', '127.0.0.1', 'abc'] },
  { args: ['--replicaof', '--127.0.0.1', 'abc'] },
  { args: ['--replicaof', '--127.0.0.1', '--abc'] },
  { args: ['--nosuch', '1'] },
  { args: ['--maxmemory-policy', 'foo'] },
  { args: ['--x', 'a"b\\\n\u00e9\t'] },
  { args: [conf, '--hz', 'x'] },
  { args: [conf, 'loglevel', 'bogus'] },
  { args: [conf, '-', '--port'] },
  { args: [conf, '--hz', '20', '-'], input: 'maxmemory 1mb\nhz y\n' },
  { args: ['-', '--port', 'x'], input: 'hz 20\n' },
  { args: ['--save', '900 1 300'] },
  { args: ['--maxmemory "unbalanced'] },
];

describe.skipIf(!hasRedisServer)('redis-server 7.0 command lines', () => {
  it('a mistake prints what redis-server prints and exits 1', async () => {
    for (const { args, input } of MISTAKES) {
      const [theirs, ours] = await Promise.all([run('redis', args, input), run('sealkv', args, input)]);
      expect(theirs.code, `redis-server ${JSON.stringify(args)}: ${theirs.output}`).toBe(1);
      // Where there is more than one mistake, sealkv lists them all after Redis's lines.
      const redisLines = fatalBlock(theirs.output).replace(/\n$/, '');
      const ourLines = ours.output.replace(/\n$/, '');
      const more = ourLines.slice(redisLines.length);
      expect({ args, code: ours.code, output: ourLines.slice(0, redisLines.length) }).toEqual({ args, code: 1, output: redisLines });
      expect(more === '' || more.startsWith('\nsealkv: bad configuration (')).toBe(true);
    }
  }, 120_000);

  it('a start ends with the settings redis-server ends with', async () => {
    const starts: { args: string[]; input?: string; get: string[] }[] = [
      { args: [conf, 'loglevel', 'verbose', "--maxmemory '700mb'", "--maxmemory-policy 'volatile-lru'"], get: ['loglevel', 'maxmemory', 'maxmemory-policy'] },
      { args: [conf, '--proc-title-template', '--my--title--template', '--loglevel', 'verbose'], get: ['proc-title-template', 'loglevel'] },
      { args: [conf, '--save', '--loglevel', 'verbose'], get: ['save', 'loglevel'] },
      { args: [conf, '--proc-title-template', '--save', '--save', '', '--loglevel', 'verbose'], get: ['proc-title-template', 'save', 'loglevel'] },
      { args: [conf, '--shutdown-on-sigint', 'nosave', 'force', 'now', '--shutdown-on-sigterm', 'nosave force'], get: ['shutdown-on-sigint', 'shutdown-on-sigterm'] },
      { args: [saving, '--save', '--loglevel', 'verbose'], get: ['save'] },
      { args: [saving, '--save', '100', '100'], get: ['save'] },
      { args: [saving, '--save', '', '--save', '60 1'], get: ['save'] },
      { args: [conf, '--hz', '12', '-'], input: 'hz 11\nmaxmemory 1mb\n', get: ['hz', 'maxmemory'] },
      { args: ['-', '--hz', '13'], input: 'hz 11\nbind 127.0.0.1\nmaxmemory 2mb\n', get: ['hz', 'maxmemory'] },
    ];
    for (const { args, input, get } of starts) {
      const settings: unknown[] = [];
      for (const server of ['redis', 'sealkv'] as const) {
        const port = await freePort();
        // The port last, or just before a last `-` (which must stay last to mean standard input).
        const all = args.at(-1) === '-' ? [...args.slice(0, -1), '--port', String(port), '-'] : [...args, '--port', String(port)];
        const child = server === 'redis'
          ? spawn('redis-server', all, { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] })
          : spawn(process.execPath, [BIN, ...all], { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
        child.stdin.on('error', () => undefined);
        child.stdin.end(input ?? '');
        await until(() => accepts(port), `${server} ${JSON.stringify(args)} listening`);
        const c = ioredis(port);
        try {
          const got: unknown[] = [];
          for (const name of get) got.push(await c.call('config', 'get', name));
          settings.push(got);
        } finally {
          c.disconnect();
          child.kill('SIGKILL');
        }
      }
      expect(settings[1], JSON.stringify(args)).toEqual(settings[0]);
    }
  }, 120_000);

  it('a password given as one argument with its name is hidden from ps and warned about, as the two-argument form', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, '--port', String(port), '--requirepass s3cret-one-arg', '--set-proc-title no'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await until(() => accepts(port), 'sealkv listening');
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1');
      expect(cmdline).not.toContain('s3cret-one-arg');
      expect(cmdline).toContain('--requirepass (hidden)');
      await until(() => output.includes('--requirepass was given in clear on the command line'), 'the warning');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
