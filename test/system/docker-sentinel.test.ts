// docker/compose-sentinel.yaml for real, as shipped: the sealkv image and the sealkv-sentinel image
// (Debian's redis-sentinel on the same hardened base, `--target sealkv-sentinel`) built from
// docker/Dockerfile, one primary, two replicas and three sentinels brought up with
// docker-compose. ioredis in sentinel mode writes from this host (the host reaches the
// containers' addresses over the bridge; Sentinel reports the nodes by service name, which
// ioredis's natMap turns into those addresses), `docker kill` takes the primary away, the
// sentinels promote a replica, the client carries on, and every write acknowledged with WAIT 1
// before the kill is on the new primary. `docker-compose down` removes what the test started.
//
// Like the other Docker tests it needs root, Debian's docker.io, docker-compose and, without a
// registry, debootstrap for the base image stand-in; dockerd is started when it is not running
// and stopped afterwards only in that case. Elsewhere it is skipped with a message; under
// CI=true it must run.

import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CI, DOCKER, ROOT, buildImage, containerIp, dockerUnavailable, ensureDockerd, must, releaseDockerd, run } from '../helpers/docker.js';
import { ackedWriteLoad, sentinelClientOptions } from '../helpers/acked-writes.js';

const ID = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE = `sealkv:systest-sentinel-${ID}`;
const SENTINEL_IMAGE = `sealkv-sentinel:systest-${ID}`;
const PROJECT = `sealkvsn${process.pid}`;
const NAME = 'sealkv';
const NODES = ['sealkv-primary', 'sealkv-replica-1', 'sealkv-replica-2'] as const;
const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'] as const;

const why = CI ? null : await dockerUnavailable();
if (why) console.warn(`Docker cannot run here: ${why}. Skipping the Docker sentinel test (it runs under CI=true).`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

let work = '';
let usingDockerd = false;
const built: string[] = [];
let up = false;
/** Service name -> container id and address. */
const containers = new Map<string, { id: string; ip: string }>();

const compose = (args: string[], timeout = 120_000) =>
  run('docker-compose', ['-p', PROJECT, '-f', join(work, 'compose-sentinel.yaml'), ...args], {
    timeout, cwd: work, env: { SEALKV_IMAGE: IMAGE, SEALKV_SENTINEL_IMAGE: SENTINEL_IMAGE },
  });

/** One command on a fresh connection to host:port (no retries: a dead address fails fast). */
async function call(host: string, port: number, ...args: string[]): Promise<unknown> {
  const c = new Redis({ host, port, lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.call(args[0]!, ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

const sentinelCall = (service: string, ...args: string[]) => call(containers.get(service)!.ip, 26379, ...args);
const pairs = (flat: unknown): Record<string, string> => {
  const a = flat as string[];
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < a.length; i += 2) o[a[i]!] = a[i + 1]!;
  return o;
};
const infoOf = async (service: string): Promise<Record<string, string>> => {
  const text = String(await call(containers.get(service)!.ip, 6379, 'info', 'replication'));
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
};

describe.skipIf(why !== null)('docker/compose-sentinel.yaml: a primary, two replicas and three sentinels from the project\'s images', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sealkv-docker-sentinel-'));
    chmodSync(work, 0o755);
    usingDockerd = true;
    await ensureDockerd(work);
    await buildImage(IMAGE);
    built.push(IMAGE);
    await buildImage(SENTINEL_IMAGE, 'sealkv-sentinel');
    built.push(SENTINEL_IMAGE);
    // The compose directory as a user has it: the shipped file and secrets/sealkv_master_key.
    copyFileSync(join(ROOT, 'docker/compose-sentinel.yaml'), join(work, 'compose-sentinel.yaml'));
    mkdirSync(join(work, 'secrets'), { mode: 0o755 });
    const keyFile = join(work, 'secrets/sealkv_master_key');
    writeFileSync(keyFile, randomBytes(32), { mode: 0o400 });
    if (process.getuid?.() === 0) chownSync(keyFile, 10001, 10001);
    up = true;
    await must('docker-compose', ['-p', PROJECT, '-f', join(work, 'compose-sentinel.yaml'), 'up', '-d'], {
      timeout: 180_000, cwd: work, env: { SEALKV_IMAGE: IMAGE, SEALKV_SENTINEL_IMAGE: SENTINEL_IMAGE },
    });
    for (const service of [...NODES, ...SENTINELS]) {
      const id = (await compose(['ps', '-q', service], 30_000)).stdout.trim();
      if (!id) throw new Error(`no container for ${service}:\n${(await compose(['ps'])).stdout}`);
      containers.set(service, { id, ip: await containerIp(id) });
    }
    // Every sentinel has found both replicas (the primary's INFO) and the two other sentinels (hello channel).
    try {
      await waitFor('the sentinels to discover the topology', 90_000, async () => {
        for (const s of SENTINELS) {
          const m = pairs(await sentinelCall(s, 'sentinel', 'master', NAME));
          if (m['num-slaves'] !== '2' || m['num-other-sentinels'] !== '2' || m['flags'] !== 'master') return false;
        }
        return true;
      }, 500);
    } catch (err) {
      const logs = await compose(['logs', '--no-color', '--tail', '30'], 30_000);
      throw new Error(`${(err as Error).message}\n${logs.stdout.slice(-6000)}`);
    }
  }, 900_000);

  afterAll(async () => {
    if (up) await compose(['down', '-v', '-t', '5'], 120_000);
    for (const tag of built) await run(DOCKER, ['rmi', '-f', tag], { timeout: 60_000 });
    if (usingDockerd) await releaseDockerd();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 180_000);

  it('runs the sentinels hardened: uid 10001, read-only root, config rewritten on the /sentinel tmpfs; no Redis binaries in the server image', async () => {
    const sentinel = containers.get('sentinel-2')!.id;
    const probe = await must(DOCKER, ['exec', sentinel, 'sh', '-c',
      'id -u; stat -f -c %T /sentinel; touch /probe 2>/dev/null && echo root-writable || echo root-read-only; cat /sentinel/sentinel.conf'], { timeout: 20_000 });
    const [uid, fsType, rootState, ...conf] = probe.stdout.split('\n');
    expect(uid).toBe('10001');
    expect(fsType).toBe('tmpfs');
    expect(rootState).toBe('root-read-only');
    // Sentinel has rewritten its file with what it learned (CONFIG REWRITE of its own state).
    expect(conf.filter((l) => l.startsWith('sentinel known-replica sealkv ')).length).toBe(2);
    expect(conf.filter((l) => l.startsWith('sentinel known-sentinel sealkv ')).length).toBe(2);
    const inServer = await run(DOCKER, ['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'command -v redis-server redis-sentinel redis-check-rdb'], { timeout: 60_000 });
    expect(inServer.stdout.trim()).toBe('');
    // The healthcheck (redis-cli PING on the sentinel port) passes.
    await waitFor('sentinel-2 to turn healthy', 45_000, async () =>
      (await run(DOCKER, ['inspect', '-f', '{{.State.Health.Status}}', sentinel], { timeout: 20_000 })).stdout.trim() === 'healthy', 1000);
  }, 90_000);

  it('promotes a replica after `docker kill` of the primary; ioredis (sentinel mode) carries on; every write acknowledged by WAIT 1 survives', async () => {
    const natMap: Record<string, { host: string; port: number }> = {};
    for (const n of NODES) natMap[`${n}:6379`] = { host: containers.get(n)!.ip, port: 6379 };
    const client = new Redis({
      sentinels: SENTINELS.map((s) => ({ host: containers.get(s)!.ip, port: 26379 })),
      name: NAME,
      natMap,
      connectTimeout: 1000,
      maxRetriesPerRequest: 50,
      retryStrategy: () => 200,
      sentinelRetryStrategy: () => 200,
      ...sentinelClientOptions,
    });
    client.on('error', () => {});
    // Four writers, each SET then WAIT 1: Sentinel must promote the replica furthest along.
    const load = ackedWriteLoad(client, () => 1, 4, 1000);
    const { acked } = load;
    try {
      await waitFor('acknowledged writes through the sentinels', 30_000, () => acked.length >= 50, 100);
      const ackedBeforeKill = [...acked];
      const killedAt = Date.now();
      await must(DOCKER, ['kill', containers.get('sealkv-primary')!.id], { timeout: 30_000 });

      let newPrimary = '';
      await waitFor('the sentinels to promote a replica', 60_000, async () => {
        const addr = (await sentinelCall('sentinel-1', 'sentinel', 'get-master-addr-by-name', NAME)) as string[] | null;
        if (!addr || addr[0] === 'sealkv-primary') return false;
        newPrimary = addr[0]!;
        return (await infoOf(newPrimary)).role === 'master';
      }, 500);
      const failoverMs = Date.now() - killedAt;
      expect(['sealkv-replica-1', 'sealkv-replica-2']).toContain(newPrimary);
      const other = newPrimary === 'sealkv-replica-1' ? 'sealkv-replica-2' : 'sealkv-replica-1';
      await waitFor('the other replica to follow the new primary', 60_000, async () => {
        const ri = await infoOf(other);
        return ri.master_host === newPrimary && ri.master_link_status === 'up';
      }, 500);

      // The client found the new primary by itself and goes on writing there.
      const atPromotion = acked.length;
      await waitFor('acknowledged writes on the new primary', 60_000, () => acked.length >= atPromotion + 20, 100);
      await load.stop();

      const values = await new Promise<(string | null)[]>((resolve, reject) => {
        const direct = new Redis({ host: containers.get(newPrimary)!.ip, port: 6379, maxRetriesPerRequest: 3 });
        direct.on('error', () => {});
        direct.mget(acked.map((n) => `w${n}`)).then(resolve, reject).finally(() => direct.disconnect());
      });
      const missing = acked.filter((n, j) => values[j] !== `value-${n}`);
      expect(missing).toEqual([]);
      expect(ackedBeforeKill.every((n) => acked.includes(n))).toBe(true);
      if (process.env.SENTINEL_DEBUG) console.log({ acked: acked.length, beforeKill: ackedBeforeKill.length, failed: load.failed(), failoverMs, newPrimary });
      // The sentinels answer with the promoted address while they still reconfigure the other
      // replica; +switch-master is logged once that is done.
      const switched = `+switch-master ${NAME} sealkv-primary 6379 ${newPrimary} 6379`;
      await waitFor('+switch-master in sentinel-1\'s log', 30_000, async () => (await compose(['logs', '--no-color', 'sentinel-1'], 30_000)).stdout.includes(switched), 1000);
    } finally {
      await load.stop();
      client.disconnect();
    }
  }, 240_000);
});
