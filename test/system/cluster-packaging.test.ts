// The cluster packaging (issue 18): docker/cluster/compose.yaml (3 TLS nodes from the image),
// docker/kubernetes/sealkv-cluster.yaml (a StatefulSet), the layout files they distribute
// (docker/cluster/gen-layout.mjs output) and the development certificates
// (docker/cluster/make-dev-certs.sh). Offline: both files are parsed and checked for what the
// README promises, each node's own settings find its own line of the layout with the server's
// parser, and `docker-compose config` accepts the compose files where compose is installed.
// Live, without Docker: three nodes started with the compose file's TLS settings (TLS only,
// tls-cluster yes, the dev script's certificates) serve `redis-cli -c --tls` across nodes and
// an ioredis Cluster over TLS, and `redis-cli --tls --cluster reshard` moves slots with keys
// between them (MIGRATE over TLS), and a PUBLISH on one node reaches a subscriber on another
// (the nodes' PUBLISH links over TLS). The same cluster in containers: test/system/docker-cluster.test.ts.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseLayout } from '../../src/cluster/layout-file.js';
import { keySlot } from '../../src/cluster/routing.js';
import { until } from '../helpers/beside-redis.js';
import { hasRedisCli } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const genLayout = (nodes: string[]) => execFileSync(process.execPath, [join(ROOT, 'docker/cluster/gen-layout.mjs'), ...nodes], { encoding: 'utf8' });
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const compose = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));

/** A node's command-line value of `--name`, the last one winning as in the server. */
function flag(args: string[], name: string): string | undefined {
  const i = args.lastIndexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
}

interface ComposeService {
  image: string;
  user: string;
  read_only: boolean;
  cap_drop: string[];
  command: string[];
  environment: Record<string, string>;
  volumes: string[];
  secrets: string[];
  networks: { sealkv: { ipv4_address: string } };
  mem_limit: string;
  memswap_limit: string;
  ulimits: { core: number };
}

describe('docker/cluster/compose.yaml', () => {
  const file = parseYaml(read('docker/cluster/compose.yaml'), { merge: true }) as {
    services: Record<string, ComposeService>;
    secrets: Record<string, { file: string }>;
    networks: { sealkv: { ipam: { config: { subnet: string }[] } } };
  };
  const names = Object.keys(file.services);

  it('starts three hardened TLS-only nodes from the image, sharing the master key secret', () => {
    expect(names).toEqual(['sealkv-0', 'sealkv-1', 'sealkv-2']);
    for (const name of names) {
      const s = file.services[name]!;
      expect(s.image).toBe('${SEALKV_IMAGE:-sealkv:0.1.0}');
      expect(s.user).toBe('10001:10001');
      expect(s.read_only).toBe(true);
      expect(s.cap_drop).toEqual(['ALL']);
      expect(s.ulimits.core).toBe(0);
      expect(s.memswap_limit).toBe(s.mem_limit);
      // TLS only: no plaintext port (SEALKV_PORT becomes --port), TLS to clients and between nodes.
      expect(s.environment.SEALKV_PORT).toBe('0');
      expect(flag(s.command, 'tls-port')).toBe('6379');
      expect(flag(s.command, 'tls-cluster')).toBe('yes');
      expect(flag(s.command, 'tls-auth-clients')).toBeUndefined(); // Redis's default: yes
      expect(flag(s.command, 'cluster-enabled')).toBe('yes');
      expect(flag(s.command, 'cluster-config-file')).toBe('/etc/sealkv/cluster/layout.conf');
      expect(s.volumes).toContain('./layout.conf:/etc/sealkv/cluster/layout.conf:ro');
      expect(s.volumes).toContain('./tls:/etc/sealkv/tls:ro');
      expect(s.secrets).toEqual(['sealkv_master_key']);
      expect(s.environment.SEALKV_BIND).toBe(s.networks.sealkv.ipv4_address);
    }
    expect(file.secrets.sealkv_master_key.file).toBe('./secrets/sealkv_master_key');
    expect(file.networks.sealkv.ipam.config[0]!.subnet).toBe('172.29.18.0/24');
    // The dev script's output stays out of git.
    expect(read('docker/cluster/.gitignore').split('\n')).toEqual(expect.arrayContaining(['tls/', 'secrets/']));
  });

  it('distributes the layout gen-layout.mjs writes, in which each node finds its own line', () => {
    const nodes = names.map((n) => `${n}=${file.services[n]!.environment.SEALKV_BIND}:6379`);
    const text = read('docker/cluster/layout.conf');
    expect(text).toBe(genLayout(nodes));
    names.forEach((name, i) => {
      const s = file.services[name]!;
      // As the server builds its hint: bind addresses, then port || tls-port (port is 0 here).
      const t = parseLayout(text, { id: '', hosts: [s.environment.SEALKV_BIND!], port: Number(flag(s.command, 'tls-port')) });
      expect(t.self).toBe(i);
      expect(t.assignedSlots()).toBe(16384);
    });
  });

  it.skipIf(compose === undefined)('is accepted by docker-compose config, and so is the single-node compose.yaml', async () => {
    for (const f of ['docker/cluster/compose.yaml', 'docker/compose.yaml']) {
      const r = await run(compose!, ['-f', join(ROOT, f), 'config', '-q'], { timeout: 60_000 });
      expect(r.stderr).not.toMatch(/ERROR/);
    }
  });
});

describe('docker/kubernetes/sealkv-cluster.yaml', () => {
  const docs = parseAllDocuments(read('docker/kubernetes/sealkv-cluster.yaml')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as { kind: string; metadata: { name: string; namespace: string }; spec: any; data: any };
  });
  const byKind = (kind: string) => docs.find((d) => d.kind === kind)!;

  it('is a StatefulSet behind a headless Service, key from a Secret, spill on a memory emptyDir, layout from a ConfigMap', () => {
    expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Service', 'StatefulSet']);
    for (const d of docs) expect(d.metadata.namespace).toBe('sealkv');
    const svc = byKind('Service');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.publishNotReadyAddresses).toBe(true);
    const sts = byKind('StatefulSet');
    expect(sts.spec.serviceName).toBe(svc.metadata.name);
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsNonRoot: true, fsGroup: 10001 });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const env = Object.fromEntries((c.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env.SEALKV_PORT).toBe('0');
    expect(flag(c.args, 'tls-port')).toBe('6379');
    expect(flag(c.args, 'tls-cluster')).toBe('yes');
    const volumes = Object.fromEntries((pod.volumes as { name: string }[]).map((v) => [v.name, v as any]));
    const mounts = Object.fromEntries((c.volumeMounts as { name: string; mountPath: string }[]).map((m) => [m.name, m.mountPath]));
    // The master key: a Secret, mounted where SEALKV_MASTER_KEY_FILE points.
    expect(volumes['master-key'].secret.secretName).toBe('sealkv-master-key');
    expect(env.SEALKV_MASTER_KEY_FILE).toBe(`${mounts['master-key']}/master.key`);
    expect(volumes.tls.secret.secretName).toBe('sealkv-tls');
    expect(flag(c.args, 'tls-key-file')).toBe(`${mounts.tls}/node.key`);
    // Spill on tmpfs: emptyDir medium Memory, where SEALKV_SPILL_DIR points.
    expect(volumes.spill.emptyDir.medium).toBe('Memory');
    expect(env.SEALKV_SPILL_DIR).toBe(mounts.spill);
    // The layout: the ConfigMap's file, mounted read-only where cluster-config-file points.
    expect(volumes.layout.configMap.name).toBe(byKind('ConfigMap').metadata.name);
    expect(flag(c.args, 'cluster-config-file')).toBe(`${mounts.layout}/layout.conf`);
    // Nothing secret in the file itself.
    expect(docs.some((d) => d.kind === 'Secret')).toBe(false);
  });

  it('carries the layout gen-layout.mjs writes for the pods\' DNS names, and each pod finds its own line', () => {
    const sts = byKind('StatefulSet');
    const replicas = sts.spec.replicas as number;
    const ns = sts.metadata.namespace;
    const pods = Array.from({ length: replicas }, (_, i) => `sealkv-${i}`);
    const text = byKind('ConfigMap').data['layout.conf'] as string;
    expect(text).toBe(genLayout(pods.map((p) => `${p}=${p}.${sts.spec.serviceName}.${ns}.svc.cluster.local:6379`)));
    const args = sts.spec.template.spec.containers[0].args as string[];
    pods.forEach((pod, i) => {
      // Kubernetes expands $(VAR) in args from the container's env.
      const hostname = flag(args, 'cluster-announce-hostname')!.replace('$(POD_NAME)', pod).replace('$(POD_NAMESPACE)', ns);
      const t = parseLayout(text, { id: '', hosts: [hostname], port: Number(flag(args, 'tls-port')) });
      expect(t.self).toBe(i);
      expect(t.assignedSlots()).toBe(16384);
    });
  });
});

describe.skipIf(!hasOpenssl || !hasRedisCli)('three TLS-only nodes with the compose settings and the dev certificates', () => {
  let dir: string;
  let cluster: TestCluster;
  let tlsArgs: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-cluster-tls-'));
    await run(join(ROOT, 'docker/cluster/make-dev-certs.sh'), [dir], { timeout: 60_000 });
    const tls = join(dir, 'tls');
    cluster = await startCluster(3, (port) => [
      '--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes',
      '--tls-cert-file', join(tls, 'node.crt'), '--tls-key-file', join(tls, 'node.key'), '--tls-ca-cert-file', join(tls, 'ca.crt'),
    ]);
    tlsArgs = ['--tls', '--cacert', join(tls, 'ca.crt'), '--cert', join(tls, 'client.crt'), '--key', join(tls, 'client.key')];
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves redis-cli -c --tls and an ioredis Cluster over TLS across the nodes, and refuses plaintext', async () => {
    const port = String(cluster.nodes[0]!.port);
    const cli = async (...args: string[]) => (await run('redis-cli', [...tlsArgs, '-c', '-h', '127.0.0.1', '-p', port, ...args], { timeout: 20_000 })).stdout.trim();
    const owners = new Set<number>();
    for (let i = 0; i < 12; i++) {
      expect(await cli('set', `tls:${i}`, `v${i}`)).toBe('OK');
      owners.add(cluster.nodes.findIndex((n) => keySlot(Buffer.from(`tls:${i}`)) <= n.last));
    }
    expect(owners.size).toBe(3);
    for (let i = 0; i < 12; i++) expect(await cli('get', `tls:${i}`)).toBe(`v${i}`);
    const client = new Cluster([{ host: '127.0.0.1', port: Number(port) }], {
      redisOptions: {
        tls: {
          ca: readFileSync(join(dir, 'tls/ca.crt')),
          cert: readFileSync(join(dir, 'tls/client.crt')),
          key: readFileSync(join(dir, 'tls/client.key')),
        },
      },
    });
    try {
      for (let i = 0; i < 12; i++) expect(await client.get(`tls:${i}`)).toBe(`v${i}`);
    } finally {
      client.disconnect();
    }
    // Without TLS the port does not answer as Redis would.
    const plain = await run('redis-cli', ['-h', '127.0.0.1', '-p', port, 'ping'], { timeout: 10_000 }).then((r) => r.stdout, (e: { stdout?: string; stderr?: string }) => `${e.stdout}${e.stderr}`);
    expect(plain).not.toContain('PONG');
  });

  it('forwards PUBLISH between the nodes over TLS (tls-cluster yes: the nodes dial each other with their certificate)', async () => {
    const sub = new Redis({
      host: '127.0.0.1', port: cluster.nodes[0]!.port,
      tls: { ca: readFileSync(join(dir, 'tls/ca.crt')), cert: readFileSync(join(dir, 'tls/client.crt')), key: readFileSync(join(dir, 'tls/client.key')), checkServerIdentity: () => undefined },
    });
    try {
      const got: string[] = [];
      sub.on('pmessage', (_p: string, ch: string, msg: string) => got.push(`${ch}:${msg}`));
      await sub.psubscribe('tls-ev.*');
      for (const n of cluster.nodes.slice(1)) {
        expect((await run('redis-cli', [...tlsArgs, '-p', String(n.port), 'publish', 'tls-ev.1', String(n.port)], { timeout: 20_000 })).stdout.trim()).toBe('0');
      }
      await until(() => got.length === 2, 'two messages over TLS links');
      expect(got.sort()).toEqual(cluster.nodes.slice(1).map((n) => `tls-ev.1:${n.port}`).sort());
    } finally {
      sub.disconnect();
    }
  });

  it('reshards slots holding keys with redis-cli --tls --cluster reshard (MIGRATE between nodes over TLS)', async () => {
    const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const port = String(a.port);
    const keys: string[] = [];
    for (let i = 0; keys.length < 40; i++) if (keySlot(Buffer.from(`m:${i}`)) < 200) keys.push(`m:${i}`);
    for (const k of keys) await run('redis-cli', [...tlsArgs, '-c', '-p', port, 'set', k, `${k}-value`], { timeout: 20_000 });
    const { stdout } = await run('redis-cli', [
      ...tlsArgs, '--cluster', 'reshard', `127.0.0.1:${port}`, '--cluster-from', a.id, '--cluster-to', b.id,
      '--cluster-slots', '200', '--cluster-yes',
    ], { timeout: 120_000, maxBuffer: 16 << 20 });
    expect(stdout).toContain('Moving slot 199 ');
    for (const k of keys) {
      expect((await run('redis-cli', [...tlsArgs, '-p', String(b.port), 'get', k], { timeout: 20_000 })).stdout.trim()).toBe(`${k}-value`);
    }
    const { stdout: check } = await run('redis-cli', [...tlsArgs, '--cluster', 'check', `127.0.0.1:${port}`], { timeout: 60_000 });
    expect(check).toContain('[OK] All 16384 slots covered.');
  }, 180_000);
});
