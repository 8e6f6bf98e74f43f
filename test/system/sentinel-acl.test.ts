// Sentinel with ACL users on the data nodes, as Redis's sentinel suite sets them up
// (tests/sentinel/tests/03-runtime-reconf.tcl, "master ACL change"): the default user is off on
// the primary and its replica, a user of its own lets the sentinel in (SENTINEL SET auth-user /
// auth-pass). The replica logs in to its primary by the master-key proof, which must come before
// it announces its port: Sentinel finds replicas at the port the primary's INFO lists, and a
// replica listed at port 0 is one it can never reach.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedServer } from '../helpers/server.js';
import { hasSentinel, sentinelCall, SENTINEL_NAME, startSentinel, type Sentinel } from '../helpers/sentinel.js';
import { newMasterKey, startNode, waitFor } from '../helpers/replication.js';

const host = '127.0.0.1';
const USER = 'sentinel-user';
const PASS = 'sentinel-secret';

/** Gives `port` a user for Sentinel and turns the default user off, as the Tcl suite does. */
async function lockDown(port: number): Promise<void> {
  const c = new Redis({ port, host });
  try {
    await c.call('acl', 'setuser', USER, 'on', `>${PASS}`, 'allchannels', '+@all');
    await c.call('acl', 'setuser', 'default', 'off');
  } finally {
    c.disconnect();
  }
}

function fields(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

describe.skipIf(!hasSentinel)('Sentinel and ACL users on the data nodes', () => {
  const key = newMasterKey();
  let dir: string;
  let primary: SpawnedServer;
  let replica: SpawnedServer;
  let sentinel: Sentinel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-sentinel-acl-'));
    primary = await startNode(key);
    await lockDown(primary.port);
    replica = await startNode(key, [], { host, port: primary.port });
    await lockDown(replica.port);
    sentinel = await startSentinel(dir, primary.port, 0);
    await sentinelCall(sentinel.port, 'sentinel', 'set', SENTINEL_NAME, 'auth-user', USER);
    await sentinelCall(sentinel.port, 'sentinel', 'set', SENTINEL_NAME, 'auth-pass', PASS);
  }, 60000);

  afterAll(async () => {
    sentinel?.process.kill('SIGKILL');
    await Promise.all([primary, replica].map((s) => s?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the replica at its own port and stays connected to it', async () => {
    let replicas: Record<string, string>[] = [];
    await waitFor('the sentinel to reach the replica', async () => {
      const list = (await sentinelCall(sentinel.port, 'sentinel', 'replicas', SENTINEL_NAME)) as string[][];
      replicas = list.map(fields);
      return replicas.length > 0 && replicas.every((r) => !r.flags!.includes('disconnected') && r['master-link-status'] === 'ok');
    }, 20000, 200).catch(() => undefined);
    expect(replicas.map((r) => [r.port, r.flags, r['master-link-status']])).toEqual([[String(replica.port), 'slave', 'ok']]);
  }, 30000);
});
