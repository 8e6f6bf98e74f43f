// The Docker image, built and run the way docker/README.md says: BuildKit build with the
// registry CA as a secret, then a hardened container (read-only root, tmpfs /spill with size and
// mode, cap-drop ALL, no-new-privileges, uid 10001, the master key as a read-only file, port on
// 127.0.0.1 only), driven through the published port by redis-cli and ioredis and looked at from
// inside with `docker exec`.
//
// This machine has no image registry: test/system/docker/build-base-image.sh builds a stand-in
// for node:20-bookworm-slim (debootstrap + this machine's Node 20) once and the tag is reused.
// /usr/bin/docker (Debian's docker.io, built-in BuildKit) is used on purpose: a newer CLI in
// /usr/local/bin needs the buildx plugin for BuildKit. dockerd is started when it is not running
// and stopped again afterwards only in that case. Outside CI a machine without Docker skips these
// tests with a message; under CI=true they must run (missing packages are installed).

import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisCli, ioredis, rawExchange } from '../helpers/clients.js';
import { ensureDockerd, releaseDockerd } from '../helpers/docker.js';
import { freePort } from '../helpers/server.js';

const DOCKER = '/usr/bin/docker';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE_IMAGE = 'node:20-bookworm-slim';
const CI = process.env.CI === 'true';
const ID = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `sealkv:systest-${ID}`;
const UID = 10001;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  out: Buffer;
}

/** Runs a command with a hard timeout; never throws (the caller looks at code). */
function run(cmd: string, args: string[], opts: { timeout?: number; input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  const timeout = opts.timeout ?? 60_000;
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer', env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? ROOT },
      (err, stdout, stderr) => {
        let code = 0;
        let note = '';
        if (err) {
          const e = err as Error & { code?: number | string | null; killed?: boolean; signal?: string | null };
          if (typeof e.code === 'number') code = e.code;
          else if (e.killed) [code, note] = [124, `\n(killed after ${timeout} ms)`];
          else [code, note] = [127, `\n${e.message}`];
        }
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() + note, out: stdout });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Like run() but throws with everything the command printed when it fails. */
async function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<Result> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r;
}

const docker = (args: string[], opts?: Parameters<typeof run>[2]) => run(DOCKER, args, opts);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() returns a value (not undefined) or the deadline passes. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function has(tool: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'].some((d) => existsSync(join(d, tool)));
}

/** Why Docker cannot run here, or null when it can (or may after starting dockerd). */
async function dockerUnavailable(): Promise<string | null> {
  if (!existsSync(DOCKER)) return `${DOCKER} not found (apt-get install docker.io)`;
  if ((await docker(['info'], { timeout: 20_000 })).code === 0) return null;
  if (!has('dockerd')) return 'dockerd not running and not installed';
  if (process.getuid?.() !== 0) return 'dockerd not running and this user cannot start it (not root)';
  if (!has('debootstrap') && (await docker(['image', 'inspect', BASE_IMAGE])).code !== 0) return `no ${BASE_IMAGE} image and no debootstrap to build one (apt-get install debootstrap)`;
  return null;
}

const unavailable = CI ? null : await dockerUnavailable();
if (unavailable) console.warn(`Docker cannot run on this machine: ${unavailable}. Skipping the Docker image system tests (they run under CI=true).`);
const noRedisCli = !hasRedisCli && !CI;
if (noRedisCli && !unavailable) console.warn('redis-cli not found: the Docker tests use ioredis only (apt-get install redis-tools)');

/** Compose v1 (Debian 12's docker-compose 1.29) or the v2 plugin, whichever is installed. */
async function findCompose(): Promise<string[] | null> {
  if (has('docker-compose')) return ['docker-compose'];
  if (existsSync(DOCKER) && (await run(DOCKER, ['compose', 'version'], { timeout: 10_000 })).code === 0) return [DOCKER, 'compose'];
  return null;
}
const composeFound = await findCompose();
if (!composeFound && !unavailable && !CI) console.warn('docker-compose not installed: skipping the compose test (apt-get install docker-compose)');

// ---------------------------------------------------------------------------------------------

let work = '';
const containers = new Set<string>();
const composeProjects = new Set<string>();
let composeUsed: string[] = [];
const clients: Redis[] = [];
let imageBuilt = false;

async function ensurePackages(): Promise<void> {
  const missing = [];
  if (!existsSync(DOCKER) || !has('dockerd')) missing.push('docker.io');
  if (!has('debootstrap')) missing.push('debootstrap');
  if (!has('redis-cli')) missing.push('redis-tools');
  if (!(await findCompose())) missing.push('docker-compose');
  if (missing.length === 0) return;
  // Only under CI: elsewhere installing system packages is the person's decision.
  if (!CI) throw new Error(`missing packages: ${missing.join(' ')}`);
  console.log(`docker test: installing ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await must('apt-get', ['update', '-qq'], { timeout: 180_000, env });
  await must('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { timeout: 300_000, env });
}

// dockerd is shared with the other Docker tests running in parallel (test/helpers/docker.ts):
// started when no test finds it running, stopped by the last test to finish.
let usingDockerd = false;
async function ensureDaemon(): Promise<void> {
  usingDockerd = true;
  await ensureDockerd(work);
}

async function stopDaemon(): Promise<void> {
  if (usingDockerd) await releaseDockerd();
}

/** The CA bundle that lets npm inside the build reach the registry (TLS-inspecting gateway). */
function caBundle(): string | null {
  for (const f of [process.env.NODE_EXTRA_CA_CERTS, process.env.SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt']) {
    if (f && existsSync(f)) return f;
  }
  return null;
}

/** A file readable by the container's uid only (as a file secret would be). */
function secretFile(name: string, content: Buffer | string): string {
  const dir = join(work, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o400 });
  if (process.getuid?.() === 0) chownSync(path, UID, UID);
  // Without root the file cannot be given to uid 10001; Docker itself needs root here, so these
  // tests run as root (CI does); a world-readable key would be refused by the server anyway.
  else chmodSync(path, 0o444);
  return path;
}

const HARDENED = (name: string, tmpfsSize = '64m') => [
  '--name', name,
  '--read-only',
  '--tmpfs', `/spill:size=${tmpfsSize},mode=1770,uid=${UID},gid=${UID}`,
  '--cap-drop', 'ALL',
  '--security-opt', 'no-new-privileges:true',
  '--ulimit', 'core=0',
  '--memory', '512m',
  '--memory-swap', '512m',
  '--pids-limit', '64',
  '-p', '127.0.0.1::6379',
  // The image checks every 15 s; the test does not want to wait that long for "healthy".
  '--health-interval', '1s',
];

interface Started {
  name: string;
  port: number;
  hostIp: string;
}

async function startContainer(name: string, args: string[]): Promise<Started> {
  containers.add(name);
  await must(DOCKER, ['run', '-d', ...args, IMAGE], { timeout: 60_000 });
  return waitReady(name);
}

/** Waits for the container's `runs`-th "sealkv ready" line (a restarted container keeps its old logs). */
async function waitReady(name: string, runs = 1): Promise<Started> {
  await waitFor(`${name} to log "sealkv ready"`, 30_000, async () => {
    const logs = await docker(['logs', name]);
    if (logs.stdout.split('"sealkv ready"').length - 1 >= runs) return true;
    const state = await docker(['inspect', '-f', '{{.State.Status}}', name]);
    if (state.stdout.trim() === 'exited') throw new Error(`${name} exited before it was ready:\n${logs.stdout}${logs.stderr}`);
    return undefined;
  });
  const mapped = (await must(DOCKER, ['port', name, '6379/tcp'])).stdout.trim().split('\n')[0]!;
  const m = /^(.*):(\d+)$/.exec(mapped)!;
  return { name, hostIp: m[1]!, port: Number(m[2]) };
}

async function health(name: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', name])).stdout.trim();
}

async function waitHealthy(name: string): Promise<void> {
  await waitFor(`${name} to turn healthy`, 45_000, async () => {
    const h = await health(name);
    if (h === 'unhealthy') {
      const log = await docker(['inspect', '-f', '{{json .State.Health.Log}}', name]);
      throw new Error(`${name} is unhealthy: ${log.stdout}`);
    }
    return h === 'healthy' ? true : undefined;
  }, 500);
}

/** Runs a command inside the container (as the image's user, 10001). */
const exec = (name: string, cmd: string[]) => docker(['exec', name, ...cmd], { timeout: 20_000 });

/** /proc/<pid>/status and limits of the server process (the node running the entry point). */
const INSPECT_SERVER = `
const fs = require('fs');
for (const p of fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d))) {
  let argv;
  try { argv = fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').split('\\0'); } catch { continue; }
  // Its title (proc-title-template, as Redis's) or, before it is set, node's own arguments.
  if (!argv.join(' ').split(' ').slice(0, 3).includes('/app/docker/entrypoint.mjs')) continue;
  console.log(JSON.stringify({
    pid: Number(p),
    cmdline: argv.join(' '),
    status: fs.readFileSync('/proc/' + p + '/status', 'utf8'),
    limits: fs.readFileSync('/proc/' + p + '/limits', 'utf8'),
    pid1: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0')[0],
  }));
}`;

async function serverProcess(name: string) {
  const r = await exec(name, ['node', '-e', INSPECT_SERVER]);
  expect(r.code, r.stderr).toBe(0);
  const info = JSON.parse(r.stdout.trim().split('\n')[0]!) as { pid: number; cmdline: string; status: string; limits: string; pid1: string };
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(info.status)?.[1]?.trim().split(/\s+/);
  return { ...info, field };
}

/** An ioredis client that is disconnected in afterAll and does not print reconnect noise. */
function connect(port: number, options: Record<string, unknown> = {}): Redis {
  const client = ioredis(port, options);
  client.on('error', () => {});
  clients.push(client);
  return client;
}

const cli = async (port: number, args: string[], input?: Buffer) => {
  const r = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 20_000, input });
  expect(r.code, r.stderr).toBe(0);
  return r;
};

// ---------------------------------------------------------------------------------------------

describe.skipIf(unavailable !== null)('Docker image (docker/Dockerfile)', () => {
  let main: Started;
  let keyFile: string;
  const mainName = `sealkv-systest-${ID}-main`;
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i).concat([13, 10, 0, 36, 42]));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sealkv-docker-test-'));
    chmodSync(work, 0o755);
    await ensurePackages();
    await ensureDaemon();

    let t = Date.now();
    const base = await run(join(ROOT, 'test/system/docker/build-base-image.sh'), [BASE_IMAGE], { timeout: 360_000, env: { DOCKER } });
    if (base.code !== 0) throw new Error(`building the ${BASE_IMAGE} stand-in failed:\n${base.stderr.slice(-4000)}`);
    console.log(`docker test: base image ${base.stderr.includes('reusing') ? 'reused' : 'built'} in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    t = Date.now();
    const ca = caBundle();
    // ALLOW_TYPE_ERRORS=1: type errors are `npm run typecheck`'s job in CI; this test is about the
    // packaging and must not fail while someone else's half-done source does not type-check.
    const build = await run(
      DOCKER,
      ['build', '-f', 'docker/Dockerfile', '-t', IMAGE, '--build-arg', 'ALLOW_TYPE_ERRORS=1', '--progress=plain', ...(ca ? ['--secret', `id=npm_ca,src=${ca}`] : []), '.'],
      { timeout: 300_000, env: { DOCKER_BUILDKIT: '1' } },
    );
    if (build.code !== 0) throw new Error(`docker build failed (exit ${build.code}):\n${build.stderr.slice(-6000)}`);
    imageBuilt = true;
    const size = (await docker(['image', 'ls', '--format', '{{.Size}}', IMAGE])).stdout.trim();
    console.log(`docker test: image ${IMAGE} built in ${((Date.now() - t) / 1000).toFixed(1)} s, size ${size}`);
    if (/tsc reported type errors \(exit \d+\)/.test(build.stderr)) console.warn('docker test: the image was built from sources with type errors (see npm run typecheck)');

    keyFile = secretFile('sealkv_master_key', Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)));
    main = await startContainer(mainName, ['--init', ...HARDENED(mainName), '-v', `${keyFile}:/run/secrets/sealkv_master_key:ro`]);
  }, 480_000);

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const project of composeProjects) {
      await run(composeUsed[0]!, [...composeUsed.slice(1), '-p', project, '-f', join(work, 'compose', 'compose.yaml'), 'down', '-t', '5'], { timeout: 60_000, cwd: join(work, 'compose') });
    }
    for (const name of containers) await docker(['rm', '-f', '-v', name], { timeout: 30_000 });
    if (imageBuilt) await docker(['rmi', '-f', IMAGE], { timeout: 60_000 });
    await stopDaemon();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('publishes the port on 127.0.0.1 only and serves PING and binary SET/GET to redis-cli and ioredis', async () => {
    expect(main.hostIp).toBe('127.0.0.1');
    const bindings = JSON.parse((await docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', mainName])).stdout) as Record<string, { HostIp: string }[]>;
    expect(bindings['6379/tcp']!.map((b) => b.HostIp)).toEqual(['127.0.0.1']);

    const client = connect(main.port);
    expect(await client.ping()).toBe('PONG');
    expect(await client.set('bin:io', binary)).toBe('OK');
    expect(Buffer.compare(await client.getBuffer('bin:io') as Buffer, binary)).toBe(0);

    if (noRedisCli) return;
    expect((await cli(main.port, ['PING'])).stdout.trim()).toBe('PONG');
    // redis-cli -x takes the last argument from stdin, byte for byte; output is raw when piped.
    expect((await cli(main.port, ['-x', 'SET', 'bin:cli'], binary)).stdout.trim()).toBe('OK');
    expect(Buffer.compare(await client.getBuffer('bin:cli') as Buffer, binary)).toBe(0);
    const got = (await cli(main.port, ['GET', 'bin:io'])).out;
    expect(Buffer.compare(got.subarray(0, -1), binary)).toBe(0);
  }, 60_000);

  it('takes its master key from the secret file (INFO key_source:file), keeps keys in sodium_malloc memory and binds 0.0.0.0 inside the container', async () => {
    const client = connect(main.port);
    const sealInfo = await client.info('sealkv');
    expect(sealInfo).toMatch(/^key_source:file\r?$/m);
    // The image ships sodium-native's prebuilt addon: sealing and key material stay off the WASM heap.
    expect(sealInfo).toMatch(/^seal_backend:sodium-native\r?$/m);
    expect(sealInfo).toMatch(/^key_memory:sodium_malloc\r?$/m);
    if (!noRedisCli) expect((await cli(main.port, ['INFO', 'sealkv'])).stdout).toMatch(/^key_source:file\r?$/m);
    const logs = (await docker(['logs', mainName])).stdout;
    const ready = JSON.parse(logs.split('\n').find((l) => l.includes('"sealkv ready"'))!) as { addresses: string[]; keySource: string };
    expect(ready.addresses).toEqual(['0.0.0.0:6379']);
    expect(ready.keySource).toBe('file');
  }, 30_000);

  it('mounts /spill as a tmpfs with the size and mode 1770 owned by 10001, writable by the server user', async () => {
    const mounts = (await exec(mainName, ['cat', '/proc/mounts'])).stdout;
    const spill = mounts.split('\n').find((l) => l.split(' ')[1] === '/spill');
    expect(spill).toBeDefined();
    const [, , type, options] = spill!.split(' ');
    expect(type).toBe('tmpfs');
    expect(options!.split(',')).toEqual(expect.arrayContaining(['rw', 'nosuid', 'nodev', 'noexec', 'size=65536k', 'mode=1770', `uid=${UID}`, `gid=${UID}`]));
    expect((await exec(mainName, ['stat', '-c', '%a %u %g', '/spill'])).stdout.trim()).toBe(`1770 ${UID} ${UID}`);
    expect((await exec(mainName, ['sh', '-c', 'echo probe > /spill/probe && cat /spill/probe && rm /spill/probe'])).stdout.trim()).toBe('probe');
  }, 30_000);

  it('has a read-only root file system: writing to /, /app and /tmp fails', async () => {
    for (const path of ['/probe', '/app/probe', '/tmp/probe']) {
      const r = await exec(mainName, ['sh', '-c', `echo x > ${path}`]);
      expect(r.code, path).not.toBe(0);
      expect(r.stderr, path).toMatch(/Read-only file system/);
    }
    expect((await docker(['inspect', '-f', '{{.HostConfig.ReadonlyRootfs}}', mainName])).stdout.trim()).toBe('true');
  }, 30_000);

  it('runs the server as uid/gid 10001 with no capabilities, no-new-privileges and no core dumps, under the --init process', async () => {
    expect((await exec(mainName, ['id', '-u'])).stdout.trim()).toBe(String(UID));
    const p = await serverProcess(mainName);
    expect(p.field('Uid')).toEqual([String(UID), String(UID), String(UID), String(UID)]);
    expect(p.field('Gid')).toEqual([String(UID), String(UID), String(UID), String(UID)]);
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(p.field(cap), cap).toEqual(['0000000000000000']);
    expect(p.field('NoNewPrivs')).toEqual(['1']);
    expect(p.limits).toMatch(/^Max core file size\s+0\s+0\s/m);
    // --init: docker-init (tini) is PID 1 and forwards signals to node.
    expect(p.pid1).toMatch(/docker-init|tini/);
    expect(p.pid).not.toBe(1);
  }, 30_000);

  it('ships no package manager or compiler and no build CA, with NODE_ENV=production, USER 10001:10001, EXPOSE 6379 and a HEALTHCHECK', async () => {
    const tools = await exec(mainName, ['sh', '-c', 'for t in npm npx yarn corepack gcc cc g++ make python3 tsc curl wget; do command -v $t; done; true']);
    expect(tools.stdout.trim()).toBe('');
    const certs = await exec(mainName, ['sh', '-c', 'ls -A /run/secrets; find / -xdev \\( -name "*.pem" -o -name "*.crt" -o -name "*npm_ca*" -o -name ".npmrc" \\) -not -path "/proc/*" 2>/dev/null; true']);
    expect(certs.stdout.trim().split('\n').filter(Boolean)).toEqual(['sealkv_master_key']);
    const config = JSON.parse((await docker(['image', 'inspect', '-f', '{{json .Config}}', IMAGE])).stdout) as {
      User: string; Env: string[]; ExposedPorts: Record<string, unknown>; Healthcheck: { Test: string[] }; Entrypoint: string[];
    };
    expect(config.User).toBe(`${UID}:${UID}`);
    expect(config.Env).toContain('NODE_ENV=production');
    expect(Object.keys(config.ExposedPorts)).toEqual(['6379/tcp']);
    expect(config.Healthcheck.Test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(config.Entrypoint).toEqual(['node', '--max-semi-space-size=4', '/app/docker/entrypoint.mjs']);
    const history = (await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE])).stdout;
    expect(history).not.toMatch(/BEGIN CERTIFICATE|npm_ca|npm ci/);
    const size = (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}', IMAGE])).stdout.trim();
    console.log(`docker test: ${size}`);
  }, 60_000);

  it('turns healthy through the image HEALTHCHECK (GET /healthz on the admin port, with node)', async () => {
    await waitHealthy(mainName);
    // The admin port listens on loopback inside the container only: /metrics answers there.
    const scrape = await exec(mainName, ['node', '-e', "fetch('http://127.0.0.1:9379/metrics').then(async (r) => { console.log(r.status); console.log(await r.text()); })"]);
    expect(scrape.stdout).toMatch(/^200\n/);
    expect(scrape.stdout).toMatch(/^sealkv_up 1$/m);
  }, 60_000);

  it('with requirepass from a file and no --init: healthy through -NOAUTH, AUTH works, the password is not on the command line, docker stop exits 0', async () => {
    const name = `sealkv-systest-${ID}-auth`;
    const password = `pw-${ID}`;
    const passFile = secretFile('sealkv_password', password + '\n');
    const c = await startContainer(name, [
      ...HARDENED(name),
      '-v', `${passFile}:/run/secrets/sealkv_password:ro`,
      '-e', 'SEALKV_REQUIREPASS_FILE=/run/secrets/sealkv_password',
    ]);
    // Unauthenticated PING answers -NOAUTH (what the healthcheck accepts as alive).
    expect((await rawExchange(c.port, 'PING\r\n')).data.toString()).toMatch(/^-NOAUTH /);
    expect((await rawExchange(c.port, `AUTH ${password}\r\nPING\r\n`)).data.toString()).toBe('+OK\r\n+PONG\r\n');
    const client = connect(c.port, { password });
    expect(await client.ping()).toBe('PONG');
    // Without a key file the key is ephemeral.
    expect(await client.info('sealkv')).toMatch(/^key_source:ephemeral\r?$/m);
    await waitHealthy(name);
    const p = await serverProcess(name);
    expect(p.pid).toBe(1); // node itself is PID 1 and handles SIGTERM
    expect(p.cmdline).not.toContain(password);
    client.disconnect();

    const t = Date.now();
    await must(DOCKER, ['stop', '-t', '10', name], { timeout: 30_000 });
    expect(Date.now() - t).toBeLessThan(8_000);
    expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim()).toBe('0');
  }, 90_000);

  it('docker stop: SIGTERM reaches node, which shuts down and exits 0 well within the timeout; the tmpfs does not outlive the container', async () => {
    // Something in /spill, to see that a restarted container starts with an empty tmpfs.
    expect((await exec(mainName, ['sh', '-c', 'head -c 4096 /dev/zero > /spill/leftover && ls /spill'])).stdout.trim()).toBe('leftover');
    const t = Date.now();
    await must(DOCKER, ['stop', '-t', '10', mainName], { timeout: 30_000 });
    const took = Date.now() - t;
    console.log(`docker test: docker stop took ${took} ms`);
    expect(took).toBeLessThan(8_000); // the 10 s grace period was not needed: no SIGKILL
    const state = JSON.parse((await docker(['inspect', '-f', '{{json .State}}', mainName])).stdout) as { ExitCode: number; OOMKilled: boolean; Status: string };
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 0, OOMKilled: false });
    const logs = (await docker(['logs', mainName])).stdout;
    expect(logs).toMatch(/"reason":"SIGTERM".*"shutting down"|"shutting down".*"reason":"SIGTERM"/);
    expect(logs).toContain('"msg":"stopped"');

    // Same container again: a fresh, empty tmpfs, and (by design) none of the data.
    await must(DOCKER, ['start', mainName], { timeout: 30_000 });
    const again = await waitReady(mainName, 2);
    expect((await exec(mainName, ['ls', '-A', '/spill'])).stdout.trim()).toBe('');
    const client = connect(again.port);
    expect(await client.get('bin:io')).toBeNull();
    client.disconnect();
    await must(DOCKER, ['stop', '-t', '10', mainName], { timeout: 30_000 });
    expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', mainName])).stdout.trim()).toBe('0');
  }, 90_000);

  it.skipIf(!composeFound && !CI)('docker/compose.yaml starts the hardened service (compose v1 or v2) and stops it cleanly', async () => {
    const composeCmd = await findCompose();
    if (!composeCmd) throw new Error('neither docker-compose nor the docker compose plugin is installed (apt-get install docker-compose)');
    composeUsed = composeCmd;
    const dir = join(work, 'compose');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    copyFileSync(join(ROOT, 'docker/compose.yaml'), join(dir, 'compose.yaml'));
    copyFileSync(keyFile, join(dir, 'secrets', 'sealkv_master_key'));
    if (process.getuid?.() === 0) chownSync(join(dir, 'secrets', 'sealkv_master_key'), UID, UID);
    const project = `sealkvsystest${ID.replace(/[^a-z0-9]/g, '')}`;
    const hostPort = await freePort();
    const env = { SEALKV_IMAGE: IMAGE, SEALKV_HOST_PORT: String(hostPort), COMPOSE_PROJECT_NAME: project };
    const compose = (args: string[], timeout = 60_000) => run(composeCmd[0]!, [...composeCmd.slice(1), '-p', project, '-f', join(dir, 'compose.yaml'), ...args], { env, timeout, cwd: dir });
    composeProjects.add(project);
    const up = await compose(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const id = (await compose(['ps', '-q', 'sealkv'])).stdout.trim();
    expect(id).not.toBe('');
    await waitReady(id);

    const client = connect(hostPort);
    expect(await client.ping()).toBe('PONG');
    expect(await client.info('sealkv')).toMatch(/^key_source:file\r?$/m);
    client.disconnect();

    const host = JSON.parse((await docker(['inspect', '-f', '{{json .HostConfig}}', id])).stdout) as Record<string, unknown> & {
      PortBindings: Record<string, { HostIp: string }[]>; Tmpfs: Record<string, string>; Ulimits: { Name: string; Soft: number; Hard: number }[];
    };
    expect(host).toMatchObject({ ReadonlyRootfs: true, Init: true, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges:true'] });
    expect(host.Memory).toBeGreaterThan(0);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.Tmpfs['/spill']).toMatch(/size=\d+m,mode=1770,uid=10001,gid=10001/);
    expect(host.Ulimits).toEqual([{ Name: 'core', Soft: 0, Hard: 0 }]);
    expect(host.PortBindings['6379/tcp']!.map((b) => b.HostIp)).toEqual(['127.0.0.1']);
    expect((await exec(id, ['stat', '-c', '%a %u %g', '/spill'])).stdout.trim()).toBe(`1770 ${UID} ${UID}`);

    const stop = await compose(['stop', '-t', '10']);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim()).toBe('0');
    expect((await compose(['down', '-t', '5'])).code).toBe(0);
    composeProjects.delete(project);
  }, 120_000);

  // The spill tier through the image: the entry point turns SEALKV_SPILL_DIR / SEALKV_MAXMEMORY
  // into --spill-dir, --spill-max-bytes (the tmpfs size minus 5 % unless SEALKV_SPILL_MAX_BYTES)
  // and --maxmemory.
  describe('spill tier in the container', () => {
    const marker = `plain-${ID}`;
    const value = (i: number) => `${marker}:${i}:${'p'.repeat(1000)}`;
    const spillName = `sealkv-systest-${ID}-spill`;
    let spill: Started;

    /** Writes key:from.. in pipelined batches until `upto` or the first error; returns [written, error]. */
    async function write(client: Redis, from: number, upto: number): Promise<[number, string | null]> {
      let n = from;
      while (n < upto) {
        const pipe = client.pipeline();
        for (let i = n; i < Math.min(upto, n + 50); i++) pipe.set(`key:${i}`, value(i));
        for (const [err] of (await pipe.exec())!) {
          if (err) return [n, err.message];
          n++;
        }
      }
      return [n, null];
    }

    /** Bytes in the spill files, as the container sees them. */
    async function spillBytes(name: string): Promise<number> {
      const r = await exec(name, ['sh', '-c', 'cat /spill/sealkv-spill/* 2>/dev/null | wc -c']);
      return Number(r.stdout.trim());
    }

    beforeAll(async () => {
      spill = await startContainer(spillName, [
        ...HARDENED(spillName, '16m'), '-e', 'SEALKV_SPILL_DIR=/spill', '-e', 'SEALKV_MAXMEMORY=4mb',
      ]);
    }, 60_000);

    it('spill: values beyond maxmemory land as segment files in the /spill tmpfs and read back byte-identical through redis-cli and ioredis', async () => {
      const client = connect(spill.port);
      const [written, error] = await write(client, 0, 6000);
      expect(error).toBeNull();
      expect(written).toBe(6000);
      const listing = (await exec(spillName, ['ls', '-l', '/spill/sealkv-spill'])).stdout;
      expect(listing).toMatch(/^-rw------- 1 \S+ \S+ \d+ .* seg-\d+\.bin$/m);
      expect(Number(/^spill_keys:(\d+)/m.exec(await client.info('spill'))![1])).toBeGreaterThan(1000);
      for (let from = 0; from < written; from += 500) {
        const keys = Array.from({ length: Math.min(500, written - from) }, (_, j) => `key:${from + j}`);
        expect(await client.mget(...keys)).toEqual(keys.map((_, j) => value(from + j)));
      }
      if (noRedisCli) return;
      for (const i of [0, 1, 2999, 5999]) expect((await cli(spill.port, ['GET', `key:${i}`])).stdout).toBe(`${value(i)}\n`);
    }, 120_000);

    it('spill: the entry point derives --spill-max-bytes from the tmpfs size (statfs, minus 5%) and SEALKV_SPILL_MAX_BYTES overrides it; both visible in CONFIG GET spill-max-bytes', async () => {
      const client = connect(spill.port);
      expect(await client.config('GET', 'spill-max-bytes')).toEqual(['spill-max-bytes', String(Math.floor(16 * 1024 * 1024 * 0.95))]);
      expect(await client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(4 * 1024 * 1024)]);
      const name = `sealkv-systest-${ID}-quota`;
      const c = await startContainer(name, [...HARDENED(name, '16m'), '-e', 'SEALKV_SPILL_DIR=/spill', '-e', 'SEALKV_SPILL_MAX_BYTES=2mb']);
      expect(await connect(c.port).config('GET', 'spill-max-bytes')).toEqual(['spill-max-bytes', String(2 * 1024 * 1024)]);
      await must(DOCKER, ['rm', '-f', name], { timeout: 30_000 });
      containers.delete(name);
    }, 90_000);

    it('spill: when the spill quota is full a write answers the OOM error, the tmpfs never reaches 100% and the container is not OOM-killed', async () => {
      const client = connect(spill.port);
      let from = 6000;
      let error: string | null = null;
      let maxPercent = 0;
      // Bounded: 16 MB of tmpfs plus 4 MB of memory hold fewer than 20,000 such values.
      while (error === null && from < 26_000) {
        [from, error] = await write(client, from, from + 1000);
        const df = (await exec(spillName, ['df', '-P', '/spill'])).stdout.trim().split('\n')[1]!.split(/\s+/);
        maxPercent = Math.max(maxPercent, Number(df[4]!.replace('%', '')));
      }
      expect(error).toBe("OOM command not allowed when used memory > 'maxmemory'.");
      expect(maxPercent).toBeLessThan(100);
      expect(await spillBytes(spillName)).toBeLessThanOrEqual(Math.floor(16 * 1024 * 1024 * 0.95));
      expect(await client.get('key:0')).toBe(value(0));
      expect(await client.get(`key:${from - 1}`)).toBe(value(from - 1));
      const state = JSON.parse((await docker(['inspect', '-f', '{{json .State}}', spillName])).stdout) as { OOMKilled: boolean; Status: string };
      expect(state).toMatchObject({ Status: 'running', OOMKilled: false });
    }, 180_000);

    it('spill: the files in /spill hold no plaintext', async () => {
      const all = await docker(['exec', spillName, 'sh', '-c', 'cat /spill/sealkv-spill/*'], { timeout: 30_000 });
      expect(all.code, all.stderr).toBe(0);
      expect(all.out.length).toBeGreaterThan(1024 * 1024);
      expect(all.out.includes(marker)).toBe(false);
      expect(all.out.includes('p'.repeat(64))).toBe(false);
    }, 60_000);

    it('spill: docker stop wipes the spill files before node exits, exit code 0', async () => {
      const name = `sealkv-systest-${ID}-wipe`;
      containers.add(name);
      // A shell as PID 1 forwards SIGTERM to node, then lists /spill once node has exited.
      const script = 'node /app/docker/entrypoint.mjs & child=$!; trap \'kill -TERM $child\' TERM; wait $child; wait $child; code=$?; ' +
        'echo "node-exit=$code"; echo "left=[$(ls -A /spill/sealkv-spill)]"; exit $code';
      await must(DOCKER, ['run', '-d', ...HARDENED(name, '16m'), '-e', 'SEALKV_SPILL_DIR=/spill', '-e', 'SEALKV_MAXMEMORY=1mb', '--entrypoint', 'sh', IMAGE, '-c', script], { timeout: 60_000 });
      const c = await waitReady(name);
      const client = connect(c.port);
      expect((await write(client, 0, 3000))[1]).toBeNull();
      expect((await exec(name, ['ls', '-A', '/spill/sealkv-spill'])).stdout.trim()).not.toBe('');
      client.disconnect();
      await must(DOCKER, ['stop', '-t', '10', name], { timeout: 30_000 });
      const logs = await docker(['logs', name]);
      expect(logs.stdout).toContain('node-exit=0');
      expect(logs.stdout).toContain('left=[]');
      expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim()).toBe('0');
    }, 120_000);

    it('spill: a /spill that is not a tmpfs makes the server refuse to start with a clear message and exit code 1', async () => {
      const name = `sealkv-systest-${ID}-notmpfs`;
      containers.add(name);
      await must(DOCKER, ['run', '-d', '--name', name, '--read-only', '--cap-drop', 'ALL', '-e', 'SEALKV_SPILL_DIR=/spill', IMAGE], { timeout: 60_000 });
      const code = (await must(DOCKER, ['wait', name], { timeout: 60_000 })).stdout.trim();
      expect(code).toBe('1');
      const logs = await docker(['logs', name]);
      expect(logs.stderr).toMatch(/sealkv: spill-dir \/spill is not on tmpfs/);
    }, 90_000);
  });
});
