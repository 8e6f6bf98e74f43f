// What the Docker system tests share: running the Debian docker CLI and compose with hard
// timeouts, finding out whether Docker can run here, starting dockerd when it is not running (and
// stopping it afterwards only in that case), and building the project's images the way
// docker/README.md says, on the debootstrap stand-in for node:20-bookworm-slim when no registry
// serves it (test/system/docker/build-base-image.sh).

import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's docker.io CLI: BuildKit built in (a newer CLI without buildx cannot do RUN --mount). */
export const DOCKER = '/usr/bin/docker';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CI = process.env.CI === 'true';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeout?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command with a hard timeout; never throws (the caller looks at code). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  const timeout = opts.timeout ?? 60_000;
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 << 20, env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? ROOT }, (err, stdout, stderr) => {
      let code = 0;
      let note = '';
      if (err) {
        const e = err as Error & { code?: number | string; killed?: boolean };
        if (typeof e.code === 'number') code = e.code;
        else if (e.killed) [code, note] = [124, `\n(killed after ${timeout} ms)`];
        else [code, note] = [127, `\n${e.message}`];
      }
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + note });
    });
  });
}

/** Like run() but throws with the end of what the command printed when it fails. */
export async function must(cmd: string, args: string[], opts: RunOptions = {}): Promise<Result> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

export const has = (tool: string): boolean =>
  ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'].some((d) => existsSync(join(d, tool)));

/** Why Docker (with compose v1) cannot run here, or null when it can (perhaps after starting dockerd). */
export async function dockerUnavailable(): Promise<string | null> {
  if (!existsSync(DOCKER)) return `${DOCKER} not found (apt-get install docker.io)`;
  if (!has('docker-compose')) return 'docker-compose not installed (apt-get install docker-compose)';
  if ((await run(DOCKER, ['info'], { timeout: 20_000 })).code === 0) return null;
  if (!has('dockerd')) return 'dockerd not running and not installed';
  if (process.getuid?.() !== 0) return 'dockerd not running and this user cannot start it (not root)';
  return null;
}

/**
 * The Docker tests run in parallel forks and share one dockerd. Each registers itself here (a
 * file named by its pid); the one that finds no daemon starts it and records its pid; the last
 * user to leave stops it, and only a daemon a test started. So no test stops the daemon under
 * another one, and none is left running by the tests.
 */
const USERS = '/tmp/sealkv-dockerd-users';
const STARTED = join(USERS, 'started');

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const startedPid = (): number => {
  try {
    return Number(readFileSync(STARTED, 'utf8').trim());
  } catch {
    return 0;
  }
};

/** Registers this test process as a dockerd user and starts dockerd when `docker info` fails. */
export async function ensureDockerd(logDir: string): Promise<void> {
  mkdirSync(USERS, { recursive: true });
  writeFileSync(join(USERS, `user-${process.pid}`), '');
  for (let i = 0; ; i++) {
    if ((await run(DOCKER, ['info'], { timeout: 10_000 })).code === 0) return;
    let fd: number | null = null;
    try {
      fd = openSync(STARTED, 'wx');
    } catch {
      // Another test is starting it, or a crashed run left its marker behind.
      if (!alive(startedPid()) && i > 20) rmSync(STARTED, { force: true });
    }
    if (fd !== null) {
      const logFile = join(logDir, 'dockerd.log');
      const log = openSync(logFile, 'a');
      const dockerd = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
      closeSync(log);
      dockerd.unref();
      writeFileSync(fd, String(dockerd.pid));
      closeSync(fd);
      console.log(`docker test: dockerd was not running, started it (pid ${dockerd.pid})`);
    }
    if (i > 120) throw new Error(`dockerd did not start${fd !== null ? `:\n${readFileSync(join(logDir, 'dockerd.log'), 'utf8').slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Unregisters this test process; the last one out stops a dockerd that a test started (by its pid). */
export async function releaseDockerd(): Promise<void> {
  rmSync(join(USERS, `user-${process.pid}`), { force: true });
  let others: string[] = [];
  try {
    others = readdirSync(USERS).filter((f) => f.startsWith('user-') && alive(Number(f.slice(5))));
  } catch {
    return;
  }
  if (others.length > 0) return;
  const pid = startedPid();
  rmSync(STARTED, { force: true });
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive(pid); waited += 200) {
    if (waited >= 20_000) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Builds one target of docker/Dockerfile as `tag` (BuildKit, the registry CA as the npm_ca
 * secret), on the base image stand-in when node:20-bookworm-slim is not there. `target`
 * undefined builds the default (last) stage, the server image.
 */
export async function buildImage(tag: string, target?: string): Promise<void> {
  await must(join(ROOT, 'test/system/docker/build-base-image.sh'), ['node:20-bookworm-slim'], { timeout: 360_000, env: { DOCKER } });
  const ca = ['/etc/ssl/certs/ca-certificates.crt'].find((f) => existsSync(f));
  await must(
    DOCKER,
    [
      'build', '-f', 'docker/Dockerfile', '-t', tag, '--build-arg', 'ALLOW_TYPE_ERRORS=1',
      ...(target ? ['--target', target] : []),
      ...(ca ? ['--secret', `id=npm_ca,src=${ca}`] : []),
      '.',
    ],
    { timeout: 300_000, env: { DOCKER_BUILDKIT: '1' } },
  );
}

/** The container's address on its (first) network: the host reaches it over the bridge on Linux. */
export async function containerIp(id: string): Promise<string> {
  const r = await must(DOCKER, ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', id], { timeout: 20_000 });
  const ip = r.stdout.trim().split(/\s+/)[0];
  if (!ip) throw new Error(`container ${id} has no IP address`);
  return ip;
}
