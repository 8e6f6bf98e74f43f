// Proxy mode: twemproxy (Debian's nutcracker) in front of three standalone sealkv nodes, with the
// configuration shipped in docker/twemproxy/nutcracker.yml (only ports and the password
// changed). Plain clients write and read through the proxy; keys land on every node; MGET and
// DEL over keys of several nodes are split and joined by the proxy; hash tags keep keys together.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnServer, type SpawnedServer } from '../helpers/server.js';

/**
 * twemproxy speaks RESP2 only and closes a connection on a command it does not pass on; ioredis
 * 6 sends three on connect (HELLO 3, INFO for its ready check, CLIENT SETINFO): a client in front
 * of it turns them off (README, Scaling out). The proxy answers AUTH itself (redis_auth).
 */
const PROXY_CLIENT = { host: '127.0.0.1', protocol: 2, enableReadyCheck: false, disableClientInfo: true } as const;

const hasNutcracker = spawnSync('nutcracker', ['--version'], { stdio: 'ignore' }).status === 0;
const required = process.env.CI === 'true';
if (!hasNutcracker && !required) console.warn('proxy test: nutcracker (twemproxy) is not installed, skipped');

describe.skipIf(!hasNutcracker && !required)('twemproxy in front of three sealkv nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-proxy-'));
  const password = 'proxy-test-password';
  let nodes: SpawnedServer[] = [];
  let proxy: ChildProcess;
  let port: number;

  beforeAll(async () => {
    nodes = await Promise.all([1, 2, 3].map(() => spawnServer(['--requirepass', password])));
    port = await freePort();
    const shipped = readFileSync(new URL('../../docker/twemproxy/nutcracker.yml', import.meta.url), 'utf8');
    let i = 0;
    const config = shipped
      .replace('127.0.0.1:22121', `127.0.0.1:${port}`)
      .replace(/127\.0\.0\.1:700\d/g, () => `127.0.0.1:${nodes[i++]!.port}`)
      .replace('# redis_auth: <password>', `redis_auth: ${password}`);
    expect(i).toBe(3);
    const file = join(dir, 'nutcracker.yml');
    writeFileSync(file, config);
    proxy = spawn('nutcracker', ['-c', file, '-s', String(await freePort()), '-v', '4'], { stdio: 'ignore' });
    for (let tries = 0; ; tries++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (ok) break;
      if (tries > 50) throw new Error('nutcracker did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 30_000);

  afterAll(async () => {
    proxy?.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads keys over every node and serves GET, SET, MGET and DEL across them', async () => {
    const client = new Redis({ ...PROXY_CLIENT, port, password });
    try {
      for (let i = 0; i < 300; i++) expect(await client.set(`proxy:${i}`, `v${i}`)).toBe('OK');
      const keys = Array.from({ length: 300 }, (_, i) => `proxy:${i}`);
      expect(await client.mget(...keys)).toEqual(keys.map((_, i) => `v${i}`));
      for (const n of nodes) {
        const d = new Redis({ port: n.port, host: '127.0.0.1', password });
        expect(await d.dbsize()).toBeGreaterThan(50);
        await d.quit();
      }
      expect(await client.del('proxy:1', 'proxy:2', 'proxy:3', 'absent')).toBe(3);
      expect(await client.incr('proxy:counter')).toBe(1);
      await client.hset('proxy:hash', 'f', 'v');
      expect(await client.hgetall('proxy:hash')).toEqual({ f: 'v' });
      // Hash tags put keys on one node, where multi-key commands the proxy does not split work.
      await client.mset('{acct:9}:a', '1', '{acct:9}:b', '2');
      expect(await client.mget('{acct:9}:a', '{acct:9}:b')).toEqual(['1', '2']);
    } finally {
      // twemproxy answers QUIT by closing the connection, without +OK.
      client.disconnect();
    }
  });
});
