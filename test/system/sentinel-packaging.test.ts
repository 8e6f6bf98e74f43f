// The failover packaging, offline (no Docker needed): docker/compose-sentinel.yaml and
// docker/kubernetes/sealkv-sentinel.yaml take every container from the project's images (the
// sealkv image and the sealkv-sentinel target of docker/Dockerfile), run them non-root with a
// read-only root, keep Sentinel's rewritable config and the nodes' data on memory-backed
// storage, and name one master for the sentinels to watch; the sentinel entry point writes
// the config Sentinel expects. `docker-compose config` accepts the compose file where compose is
// installed. The compose file in containers: test/system/docker-sentinel.test.ts.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { freePort } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

describe('docker/compose-sentinel.yaml', () => {
  // Compose's x- anchors are merged with <<: (YAML 1.1 merge keys).
  const compose = parseYaml(read('docker/compose-sentinel.yaml'), { merge: true }) as { services: Record<string, any> };
  const services = compose.services;

  it('runs a primary, two replicas and three sentinels, all from the project\'s images', () => {
    expect(Object.keys(services).sort()).toEqual(['sealkv-primary', 'sealkv-replica-1', 'sealkv-replica-2', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toBe(name.startsWith('sentinel') ? '${SEALKV_SENTINEL_IMAGE:-sealkv-sentinel:0.1.0}' : '${SEALKV_IMAGE:-sealkv:0.1.0}');
    }
    expect(read('docker/compose-sentinel.yaml')).not.toMatch(/image:\s*['"]?redis:/);
  });

  it('hardens every container: uid 10001, read-only root, no capabilities, no core dumps, config and data on tmpfs', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.user, name).toBe('10001:10001');
      expect(s.read_only, name).toBe(true);
      expect(s.init, name).toBe(true);
      expect(s.cap_drop, name).toEqual(['ALL']);
      expect(s.security_opt, name).toContain('no-new-privileges:true');
      expect(s.ulimits?.core, name).toBe(0);
      expect(s.mem_limit, name).toBe(s.memswap_limit);
      const tmpfs = (s.tmpfs as string[]).map((t) => t.split(':')[0]);
      expect(tmpfs, name).toEqual(name.startsWith('sentinel') ? ['/sentinel'] : ['/spill', '/data']);
    }
  });

  it('has the sentinels watch the primary with a quorum of 2; the nodes announce their service names and do not restart by themselves', () => {
    for (const name of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      expect(services[name].environment.SEALKV_SENTINEL_MONITOR).toBe('sealkv-primary 6379 2');
      expect(services[name].restart).toBe('unless-stopped');
    }
    for (const name of ['sealkv-primary', 'sealkv-replica-1', 'sealkv-replica-2']) {
      const args = services[name].command as string[];
      expect(args[args.indexOf('--replica-announce-ip') + 1]).toBe(name);
      if (name !== 'sealkv-primary') expect(args.slice(args.indexOf('--replicaof') + 1, args.indexOf('--replicaof') + 3)).toEqual(['sealkv-primary', '6379']);
      // A primary restarted empty before the sentinels notice would empty its replicas.
      expect(services[name].restart).toBe('no');
    }
  });

  it.skipIf(!hasCompose)('is accepted by docker-compose config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-compose-sentinel-'));
    try {
      writeFileSync(join(dir, 'compose-sentinel.yaml'), read('docker/compose-sentinel.yaml'));
      const { stdout } = await promisify(execFile)('docker-compose', ['-f', join(dir, 'compose-sentinel.yaml'), 'config', '--services'], { cwd: dir });
      expect(stdout.trim().split('\n').sort()).toEqual(Object.keys(services).sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker/kubernetes/sealkv-sentinel.yaml', () => {
  const docs = parseAllDocuments(read('docker/kubernetes/sealkv-sentinel.yaml')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as { kind: string; metadata: { name: string }; spec: any };
  });
  const pods = docs.filter((d) => d.kind === 'StatefulSet' || d.kind === 'Deployment');

  it('has the primary and replica StatefulSets and a sentinel Deployment from the project\'s images', () => {
    expect(pods.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['StatefulSet/sealkv-primary', 'StatefulSet/sealkv-replica', 'Deployment/sentinel']);
    const images = pods.map((d) => d.spec.template.spec.containers[0].image);
    expect(images).toEqual(['sealkv:0.1.0', 'sealkv:0.1.0', 'sealkv-sentinel:0.1.0']);
  });

  it('runs every pod non-root with a read-only root, memory-backed emptyDirs, the master key from a Secret', () => {
    for (const d of pods) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, runAsNonRoot: true });
      const c = pod.containers[0];
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      for (const v of pod.volumes as any[]) {
        if (v.emptyDir) expect(v.emptyDir.medium, `${d.metadata.name} ${v.name}`).toBe('Memory');
      }
      if (d.kind === 'StatefulSet') expect((pod.volumes as any[]).find((v) => v.name === 'master-key').secret.secretName).toBe('sealkv-master-key');
    }
    const sentinel = pods[2]!.spec.template.spec.containers[0];
    expect(sentinel.volumeMounts).toEqual([{ name: 'conf', mountPath: '/sentinel' }]);
    const env = Object.fromEntries((sentinel.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env.SEALKV_SENTINEL_MONITOR).toBe('sealkv-primary-0.sealkv 6379 2');
    expect(env.SEALKV_SENTINEL_ANNOUNCE_IP).toBe('$(POD_IP)');
  });
});

describe('docker/sentinel-entrypoint.sh', () => {
  const script = join(ROOT, 'docker/sentinel-entrypoint.sh');
  const hasSentinel = spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).status === 0;

  it('refuses a config directory that is not a tmpfs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-sentinel-conf-'));
    try {
      const r = spawnSync('sh', [script], { encoding: 'utf8', env: { PATH: process.env.PATH, SEALKV_SENTINEL_DIR: dir, SEALKV_SENTINEL_MONITOR: 'h 6379 2' } });
      // /tmp may itself be a tmpfs somewhere; then the refusal cannot be shown here.
      const fsType = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
      if (fsType !== 'tmpfs') {
        expect(r.status).toBe(1);
        expect(r.stderr).toContain('is not a tmpfs');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasSentinel || !existsSync('/dev/shm'))('writes the config from the variables (auth-pass from a file) and runs redis-sentinel on it', async () => {
    const dir = mkdtempSync('/dev/shm/sealkv-sentinel-conf-');
    const port = await freePort();
    const pass = join(dir, 'pass');
    writeFileSync(pass, 'sekrit\n', { mode: 0o600 });
    const child = spawn('sh', [script], {
      env: {
        PATH: process.env.PATH, SEALKV_SENTINEL_DIR: dir, SEALKV_SENTINEL_PORT: String(port), SEALKV_SENTINEL_MONITOR: '127.0.0.1 1 2',
        SEALKV_SENTINEL_MASTER_NAME: 'main', SEALKV_SENTINEL_DOWN_AFTER_MS: '1234', SEALKV_SENTINEL_AUTH_PASS_FILE: pass,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (const end = Date.now() + 10000; !out.includes('+monitor master main'); ) {
        if (Date.now() > end || child.exitCode !== null) throw new Error(`sentinel did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const conf = readFileSync(join(dir, 'sentinel.conf'), 'utf8');
      expect(conf).toMatch(new RegExp(`^port ${port}$`, 'm'));
      expect(conf).toMatch(/^sentinel monitor main 127\.0\.0\.1 1 2$/m);
      expect(conf).toMatch(/^sentinel down-after-milliseconds main 1234$/m);
      expect(conf).toMatch(/^sentinel auth-pass main sekrit$/m);
      expect(conf).toMatch(/^sentinel resolve-hostnames yes$/m);
      // Sentinel has rewritten it (its id), in the tmpfs directory, readable by its owner only.
      expect(conf).toMatch(/^sentinel myid [0-9a-f]{40}$/m);
      expect(statSync(join(dir, 'sentinel.conf')).mode & 0o077).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
