// docker/cluster/compose.yaml for real: the project's image built as docker/README.md says, the
// development certificates and master key from docker/cluster/make-dev-certs.sh, three TLS-only
// nodes brought up with docker-compose, then `redis-cli -c --tls` from this host SETs and GETs
// keys that live on every node (following MOVED between containers), `redis-cli --tls --cluster
// reshard` moves slots with keys between containers, and `docker-compose down` removes everything. Bounded (a few minutes, most of it the image build) and cleaned up even
// when it fails.
//
// Like test/system/docker.test.ts it needs root, Debian's docker.io (/usr/bin/docker, BuildKit
// built in), docker-compose and, without a registry, debootstrap for the base image stand-in
// (test/system/docker/build-base-image.sh); dockerd is started when it is not running and
// stopped afterwards only in that case. Elsewhere it is skipped with a message; under CI=true it
// must run.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { ensureDockerd, releaseDockerd } from '../helpers/docker.js';

const DOCKER = '/usr/bin/docker';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CI = process.env.CI === 'true';
const ID = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `sealkv:systest-cluster-${ID}`;
const PROJECT = `sealkvcl${process.pid}`;
const NODES = ['172.29.18.11', '172.29.18.12', '172.29.18.13'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Result> {
  const timeout = opts.timeout ?? 60_000;
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 << 20, env: { ...process.env, ...opts.env }, cwd: opts.cwd ?? ROOT }, (err, stdout, stderr) => {
      let code = 0;
      if (err) {
        const e = err as Error & { code?: number | string; killed?: boolean };
        code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 127;
      }
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<Result> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

const has = (tool: string) => ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/bin', '/sbin'].some((d) => existsSync(join(d, tool)));
const compose = has('docker-compose') ? 'docker-compose' : null;

async function unavailable(): Promise<string | null> {
  if (!existsSync(DOCKER)) return `${DOCKER} not found (apt-get install docker.io)`;
  if (!compose) return 'docker-compose not installed (apt-get install docker-compose)';
  if (!has('redis-cli')) return 'redis-cli not installed';
  if (!has('openssl')) return 'openssl not installed';
  if ((await run(DOCKER, ['info'], { timeout: 20_000 })).code === 0) return null;
  if (!has('dockerd')) return 'dockerd not running and not installed';
  if (process.getuid?.() !== 0) return 'dockerd not running and this user cannot start it (not root)';
  return null;
}

const why = CI ? null : await unavailable();
if (why) console.warn(`Docker cannot run here: ${why}. Skipping the Docker cluster test (it runs under CI=true).`);

let work = '';
let usingDockerd = false;
let imageBuilt = false;
let up = false;

const composeRun = (args: string[], timeout = 120_000) =>
  run(compose!, ['-p', PROJECT, '-f', join(work, 'compose.yaml'), ...args], { timeout, cwd: work, env: { SEALKV_IMAGE: IMAGE } });

describe.skipIf(why !== null)('docker/cluster/compose.yaml: three TLS nodes from the image', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sealkv-docker-cluster-'));
    chmodSync(work, 0o755);
    usingDockerd = true;
    await ensureDockerd(work);
    await must(join(ROOT, 'test/system/docker/build-base-image.sh'), ['node:20-bookworm-slim'], { timeout: 360_000, env: { DOCKER } });
    const ca = ['/etc/ssl/certs/ca-certificates.crt'].find((f) => existsSync(f));
    await must(DOCKER, ['build', '-f', 'docker/Dockerfile', '-t', IMAGE, '--build-arg', 'ALLOW_TYPE_ERRORS=1', ...(ca ? ['--secret', `id=npm_ca,src=${ca}`] : []), '.'], {
      timeout: 300_000, env: { DOCKER_BUILDKIT: '1' },
    });
    imageBuilt = true;
    // The compose directory as a user has it: compose.yaml, layout.conf, then the dev script's output.
    copyFileSync(join(ROOT, 'docker/cluster/compose.yaml'), join(work, 'compose.yaml'));
    copyFileSync(join(ROOT, 'docker/cluster/layout.conf'), join(work, 'layout.conf'));
    await must(join(ROOT, 'docker/cluster/make-dev-certs.sh'), [work], { timeout: 60_000 });
    up = true;
    await must(compose!, ['-p', PROJECT, '-f', join(work, 'compose.yaml'), 'up', '-d'], { timeout: 180_000, cwd: work, env: { SEALKV_IMAGE: IMAGE } });
    for (const service of ['sealkv-0', 'sealkv-1', 'sealkv-2']) {
      for (let i = 0; ; i++) {
        const logs = await composeRun(['logs', '--no-color', service], 30_000);
        if (logs.stdout.includes('sealkv ready')) break;
        if (i > 120) {
          const ps = await composeRun(['ps'], 30_000);
          throw new Error(`${service} not ready:\n${ps.stdout}\n${logs.stdout.slice(-3000)}${logs.stderr.slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }, 900_000);

  afterAll(async () => {
    if (up) await composeRun(['down', '-v', '-t', '5'], 120_000);
    if (imageBuilt) await run(DOCKER, ['rmi', '-f', IMAGE], { timeout: 60_000 });
    if (usingDockerd) await releaseDockerd();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  it('serves redis-cli -c --tls SET/GET across the three containers, and nothing in plaintext', async () => {
    const tls = ['--tls', '--cacert', join(work, 'tls/ca.crt'), '--cert', join(work, 'tls/client.crt'), '--key', join(work, 'tls/client.key')];
    const cli = async (host: string, ...args: string[]) => (await must('redis-cli', [...tls, '-c', '-h', host, '-p', '6379', ...args], { timeout: 20_000 })).stdout.trim();
    const nodes = (await cli(NODES[0]!, 'cluster', 'nodes')).split('\n');
    expect(nodes).toHaveLength(3);
    for (const ip of NODES) expect(nodes.some((l) => l.includes(` ${ip}:6379@`))).toBe(true);
    const served = new Set<number>();
    for (let i = 0; i < 15; i++) {
      // Always through the first node: keys of the others come back as MOVED, which -c follows.
      expect(await cli(NODES[0]!, 'set', `docker:${i}`, `value-${i}`)).toBe('OK');
      served.add(Math.min(2, Math.floor((keySlot(Buffer.from(`docker:${i}`)) * 3) / 16384)));
    }
    expect(served.size).toBe(3);
    for (let i = 0; i < 15; i++) expect(await cli(NODES[2]!, 'get', `docker:${i}`)).toBe(`value-${i}`);
    let total = 0;
    for (const ip of NODES) total += Number(await cli(ip, 'dbsize'));
    expect(total).toBe(15);
    expect(await cli(NODES[1]!, 'cluster', 'info')).toContain('cluster_state:ok');
    const plain = await run('redis-cli', ['-h', NODES[0]!, '-p', '6379', 'ping'], { timeout: 10_000 });
    expect(plain.stdout).not.toContain('PONG');
  }, 120_000);

  it('reshards slots with keys between the containers (MIGRATE over TLS with the node certificate)', async () => {
    const tls = ['--tls', '--cacert', join(work, 'tls/ca.crt'), '--cert', join(work, 'tls/client.crt'), '--key', join(work, 'tls/client.key')];
    const id = (name: string) => createHash('sha1').update(name).digest('hex');
    const keys: string[] = [];
    for (let i = 0; keys.length < 20; i++) if (keySlot(Buffer.from(`moved:${i}`)) < 100) keys.push(`moved:${i}`);
    for (const k of keys) await must('redis-cli', [...tls, '-c', '-h', NODES[1]!, '-p', '6379', 'set', k, `${k}!`], { timeout: 20_000 });
    const reshard = await must('redis-cli', [
      ...tls, '--cluster', 'reshard', `${NODES[0]}:6379`, '--cluster-from', id('sealkv-0'), '--cluster-to', id('sealkv-1'),
      '--cluster-slots', '100', '--cluster-yes',
    ], { timeout: 120_000 });
    expect(reshard.stdout).toContain('Moving slot 99 ');
    for (const k of keys) {
      expect((await must('redis-cli', [...tls, '-h', NODES[1]!, '-p', '6379', 'get', k], { timeout: 20_000 })).stdout.trim()).toBe(`${k}!`);
    }
    const check = await must('redis-cli', [...tls, '--cluster', 'check', `${NODES[2]}:6379`], { timeout: 60_000 });
    expect(check.stdout).toContain('[OK] All 16384 slots covered.');
  }, 180_000);
});
