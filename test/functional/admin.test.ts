// The admin HTTP port (README, Admin port) on a real server started from the CLI: /metrics is
// valid Prometheus text whose counters follow the commands that ran and never carries a key
// name or value, /healthz and /readyz answer as probes expect, the token guards /metrics, and
// starts that would expose the port without a token, or cannot open it, fail with exit code 1.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { runCli } from '../helpers/cli.js';
import { makeMarkers } from '../helpers/memory-scan.js';
import { freePort, spawnServer, type SpawnedServer } from '../helpers/server.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the text exposition format 0.0.4: every line is `# HELP name text`,
 * `# TYPE name type`, or `name{label="value",...} number`; every sample belongs to a family
 * whose TYPE came before it (histograms: _bucket, _sum, _count); TYPE once per family.
 * Throws on anything else.
 */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!m) throw new Error(`bad comment line: ${line}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`bad type: ${line}`);
        if (types.has(m[2]!)) throw new Error(`TYPE twice for ${m[2]}`);
        types.set(m[2]!, m[3]!);
      } else {
        help.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`).exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/y;
      let at = 0;
      while (at < m[2].length) {
        re.lastIndex = at;
        const l = re.exec(m[2]);
        if (!l) throw new Error(`bad labels: ${line}`);
        labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
        at = re.lastIndex;
      }
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(family)) throw new Error(`sample before its TYPE: ${line}`);
    if (family !== name && types.get(family) !== 'histogram') throw new Error(`suffix on a ${types.get(family)}: ${line}`);
    samples.push({ name, labels, value });
  }
  return { samples, types, help };
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

async function scrape(port: number, headers: Record<string, string> = {}) {
  const res = await get(port, '/metrics', headers);
  expect(res.status).toBe(200);
  return { ...parsePrometheus(res.body), text: res.body };
}

/** One raw HTTP exchange: what the server answered before closing (or 2 s passing). */
function rawHttp(port: number, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, 2000);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(out) : reject(err)));
    s.write(request);
  });
}

async function withAdmin(args: string[]): Promise<{ server: SpawnedServer; admin: number }> {
  const admin = await freePort();
  const server = await spawnServer(['--admin-port', String(admin), ...args]);
  return { server, admin };
}

describe('admin port: /metrics', () => {
  let server: SpawnedServer;
  let admin: number;
  beforeAll(async () => ({ server, admin } = await withAdmin([])));
  afterAll(async () => {
    await server?.stop();
  });

  it('is Prometheus text with HELP and TYPE for every family', async () => {
    const res = await get(admin, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, help, samples } = parsePrometheus(res.body);
    for (const name of types.keys()) expect(help.has(name), name).toBe(true);
    for (const name of [
      'sealkv_uptime_seconds', 'sealkv_connected_clients', 'sealkv_blocked_clients', 'sealkv_commands_processed_total',
      'sealkv_keyspace_hits_total', 'sealkv_keyspace_misses_total', 'sealkv_expired_keys_total', 'sealkv_evicted_keys_total',
      'sealkv_used_memory_bytes', 'sealkv_maxmemory_bytes', 'sealkv_seals_total', 'sealkv_opens_total', 'sealkv_seal_failures_total',
      'sealkv_rotation_in_progress', 'sealkv_spill_enabled', 'sealkv_net_input_bytes_total', 'sealkv_net_output_bytes_total',
    ]) {
      expect(valueOf(samples, name), name).toBeTypeOf('number');
    }
    expect(types.get('sealkv_commands_total')).toBe('counter');
    expect(types.get('sealkv_command_latency_seconds')).toBe('histogram');
  });

  it('moves its counters with the commands that run', async () => {
    const r = ioredis(server.port);
    try {
      const before = (await scrape(admin)).samples;
      await r.set('admin-a', 'v1');
      for (let i = 0; i < 5; i++) await r.get('admin-a');
      await r.get('admin-missing');
      await r.incr('admin-a').catch(() => undefined);
      const after = (await scrape(admin)).samples;
      const moved = (name: string, labels: Record<string, string> = {}) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
      expect(moved('sealkv_commands_total', { cmd: 'get' })).toBe(6);
      expect(moved('sealkv_commands_total', { cmd: 'set' })).toBe(1);
      expect(moved('sealkv_commands_failed_calls_total', { cmd: 'incr' })).toBe(1);
      expect(moved('sealkv_errors_total', { code: 'ERR' })).toBe(1);
      expect(moved('sealkv_commands_processed_total')).toBeGreaterThanOrEqual(8);
      expect(moved('sealkv_keyspace_hits_total')).toBeGreaterThanOrEqual(5);
      expect(moved('sealkv_keyspace_misses_total')).toBe(1);
      expect(moved('sealkv_seals_total')).toBeGreaterThanOrEqual(1);
      expect(moved('sealkv_opens_total')).toBeGreaterThanOrEqual(5);
      expect(moved('sealkv_net_input_bytes_total')).toBeGreaterThan(0);
      expect(valueOf(after, 'sealkv_connected_clients')).toBeGreaterThanOrEqual(1);
      expect(valueOf(after, 'sealkv_db_keys', { db: 'db0' })).toBeGreaterThanOrEqual(1);

      // The GET histogram: cumulative buckets ending at +Inf = _count, which counts every GET.
      const buckets = after.filter((s) => s.name === 'sealkv_command_latency_seconds_bucket' && s.labels.cmd === 'get');
      expect(buckets.length).toBeGreaterThan(5);
      const le = (s: Sample) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le));
      for (let i = 1; i < buckets.length; i++) {
        expect(le(buckets[i]!)).toBeGreaterThan(le(buckets[i - 1]!));
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      }
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      const count = valueOf(after, 'sealkv_command_latency_seconds_count', { cmd: 'get' });
      expect(buckets.at(-1)!.value).toBe(count);
      expect(count).toBeGreaterThanOrEqual(6);
      expect(valueOf(after, 'sealkv_command_latency_seconds_sum', { cmd: 'get' })).toBeGreaterThan(0);
    } finally {
      r.disconnect();
    }
  });

  it('never carries a key name, field or value', async () => {
    const [key, value, hkey, field, fvalue, cmd] = makeMarkers(6, 'SKVADMIN-');
    const r = ioredis(server.port);
    try {
      await r.set(key!, value!);
      await r.hset(hkey!, field!, fvalue!);
      await r.get(key!);
      await r.hget(hkey!, field!);
      // An unknown command named by a marker, and an error reply that quotes one.
      await r.call(cmd!.toString('latin1'), key!).catch(() => undefined);
      await r.hset(key!, field!, fvalue!).catch(() => undefined);
    } finally {
      r.disconnect();
    }
    const { text } = await scrape(admin);
    for (const m of [key, value, hkey, field, fvalue, cmd]) {
      expect(text.includes(m!.toString('latin1'))).toBe(false);
      expect(text.toLowerCase().includes(m!.toString('latin1').toLowerCase())).toBe(false);
    }
  });
});

describe('admin port: probes and HTTP rules', () => {
  let server: SpawnedServer;
  let admin: number;
  beforeAll(async () => ({ server, admin } = await withAdmin([])));
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /healthz and /readyz with 200, unknown paths with 404, other methods with 405', async () => {
    expect(await get(admin, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await get(admin, '/readyz')).status).toBe(200);
    expect((await get(admin, '/metrics?x=1')).status).toBe(200);
    expect((await get(admin, '/')).status).toBe(404);
    expect((await get(admin, '/metrics/')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${admin}/metrics`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    const del = await fetch(`http://127.0.0.1:${admin}/healthz`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
    expect(del.status).toBe(405);
  });

  it('refuses request bodies, oversized headers and garbage, and the data port is unaffected', async () => {
    const body = await rawHttp(admin, 'GET /metrics HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello');
    expect(body).toMatch(/^HTTP\/1\.1 413 /);
    const chunked = await rawHttp(admin, 'GET /metrics HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
    const big = await rawHttp(admin, `GET /metrics HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(16 * 1024)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    const garbage = await rawHttp(admin, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    // The data port still answers after all that.
    const r = ioredis(server.port);
    try {
      expect(await r.ping()).toBe('PONG');
    } finally {
      r.disconnect();
    }
  });

  it('closes the admin port on shutdown', async () => {
    const other = await withAdmin([]);
    expect((await get(other.admin, '/healthz')).status).toBe(200);
    expect(await other.server.stop()).toBe(0);
    await expect(get(other.admin, '/healthz')).rejects.toThrow();
  });
});

describe('admin port: /readyz over maxmemory', () => {
  it('answers 503 once the data is over maxmemory with noeviction, 200 with an evicting policy', async () => {
    // Room for the one connection's fixed cost (10 KiB) and a little data; the fill goes over.
    const { server, admin } = await withAdmin(['--maxmemory', '12kb', '--maxmemory-policy', 'noeviction']);
    const r = ioredis(server.port);
    try {
      await r.ping();
      expect((await get(admin, '/readyz')).status).toBe(200);
      await r.set('fill', 'x'.repeat(4000));
      await expect(r.set('more', 'y')).rejects.toThrow(/OOM/);
      const res = await get(admin, '/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toMatch(/maxmemory/);
      expect((await get(admin, '/healthz')).status).toBe(200);
      await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
      expect((await get(admin, '/readyz')).status).toBe(200);
    } finally {
      r.disconnect();
      await server.stop();
    }
  });
});

describe('admin port: admin-token', () => {
  let server: SpawnedServer;
  let admin: number;
  beforeAll(async () => ({ server, admin } = await withAdmin(['--admin-bind', '0.0.0.0', '--admin-token', 'tok-s3cret-admin'])));
  afterAll(async () => {
    await server?.stop();
  });

  it('guards /metrics: 401 without or with a wrong token, 200 with it', async () => {
    const none = await get(admin, '/metrics');
    expect(none.status).toBe(401);
    expect(none.body).not.toMatch(/sealkv_/);
    expect((await get(admin, '/metrics', { authorization: 'Bearer tok-s3cret-admix' })).status).toBe(401);
    expect((await get(admin, '/metrics', { authorization: 'Basic tok-s3cret-admin' })).status).toBe(401);
    const ok = await get(admin, '/metrics', { authorization: 'Bearer tok-s3cret-admin' });
    expect(ok.status).toBe(200);
    parsePrometheus(ok.body);
    // The probes carry no data and need no secret.
    expect((await get(admin, '/healthz')).status).toBe(200);
    expect((await get(admin, '/readyz')).status).toBe(200);
  });

  it('keeps only the token digest', async () => {
    const r = ioredis(server.port);
    try {
      const [, value] = (await r.config('GET', 'admin-token')) as string[];
      expect(value).toMatch(/^#[0-9a-f]{64}$/);
      expect(server.output()).not.toContain('tok-s3cret-admin');
    } finally {
      r.disconnect();
    }
  });
});

describe('admin port: starts that must fail', () => {
  it('refuses a non-loopback admin-bind without admin-token (exit 1, clear message)', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const run = await runCli(['--port', String(port), '--bind', '127.0.0.1', '--admin-port', String(adminPort), '--admin-bind', '127.0.0.1 0.0.0.0']);
    expect(run.timedOut).toBe(false);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/admin-bind 0\.0\.0\.0 is not a loopback address and admin-token is empty/);
  });

  it('fails closed when the admin port cannot be opened', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const adminPort = (taken.address() as { port: number }).port;
      const port = await freePort();
      const run = await runCli(['--port', String(port), '--bind', '127.0.0.1', '--admin-port', String(adminPort)]);
      expect(run.timedOut).toBe(false);
      expect(run.code).toBe(1);
      expect(run.output).toMatch(/cannot listen on admin port 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      taken.close();
    }
  });

  it('is off by default', async () => {
    const server = await spawnServer([]);
    try {
      const r = ioredis(server.port);
      const [, value] = (await r.config('GET', 'admin-port')) as string[];
      r.disconnect();
      expect(value).toBe('0');
      expect(server.output()).not.toMatch(/"admin"/);
    } finally {
      await server.stop();
    }
  });
});

/** The healthcheck command of docker/Dockerfile or docker/compose.yaml: node -e <script>. */
function healthScript(file: 'Dockerfile' | 'compose.yaml'): string {
  const text = readFileSync(new URL(`../../docker/${file}`, import.meta.url), 'utf8');
  const line = file === 'Dockerfile' ? /^\s*CMD (\["node", "-e", .*\])$/m.exec(text.slice(text.indexOf('HEALTHCHECK')))! : /^\s*test: (\[.*\])$/m.exec(text)!;
  const argv = JSON.parse(line[1]!) as string[];
  return argv[argv.indexOf('-e') + 1]!;
}

/** Runs a healthcheck script as Docker would (the container's environment) and gives its exit code. */
function runHealth(script: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('docker healthchecks against a real server', () => {
  it("the image's HEALTHCHECK reads /healthz on the admin port, and PINGs when it is off or not answering", async () => {
    const script = healthScript('Dockerfile');
    expect(script).toContain('/healthz');
    const { server, admin } = await withAdmin([]);
    try {
      expect(await runHealth(script, { SEALKV_ADMIN_PORT: String(admin), SEALKV_PORT: '1' })).toBe(0);
      expect(await runHealth(script, { SEALKV_ADMIN_PORT: '0', SEALKV_PORT: String(server.port) })).toBe(0);
      expect(await runHealth(script, { SEALKV_ADMIN_PORT: String(await freePort()), SEALKV_PORT: String(server.port) })).toBe(0);
      expect(await runHealth(script, { SEALKV_ADMIN_PORT: '0', SEALKV_PORT: String(await freePort()) })).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it("compose's healthcheck reads /readyz on the admin port it sets (9379)", async () => {
    const script = healthScript('compose.yaml');
    expect(script).toContain("port:9379,path:'/readyz'");
    expect(readFileSync(new URL('../../docker/compose.yaml', import.meta.url), 'utf8')).toMatch(/SEALKV_ADMIN_PORT: "9379"/);
    // Room for the one connection's fixed cost (10 KiB) and a little data; the fill goes over.
    const { server, admin } = await withAdmin(['--maxmemory', '12kb']);
    const local = script.replace('port:9379', `port:${admin}`);
    const r = ioredis(server.port);
    try {
      await r.ping();
      expect(await runHealth(local, {})).toBe(0);
      await r.set('fill', 'x'.repeat(4000));
      expect(await runHealth(local, {})).toBe(1);
    } finally {
      r.disconnect();
      await server.stop();
    }
  });
});
