// tls-replication: a replica reaches its primary's TLS port, presenting a certificate the
// primary's CA signed (tls-auth-clients yes) and checking the primary's against the same CA.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { freePort, type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode } from '../helpers/replication.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('replication over TLS', () => {
  const key = newMasterKey();
  let dir: string;
  let primary: SpawnedServer;
  let replica: SpawnedServer;
  let tlsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-repl-tls-'));
    const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sealkv repl CA']);
    for (const name of ['primary', 'replica']) {
      ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
      execFileSync('sh', ['-c', `printf '%s\\n' 'subjectAltName=IP:127.0.0.1' > '${join(dir, `${name}.ext`)}'`]);
      ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
    }
    const tls = (name: string) => ['--tls-cert-file', join(dir, `${name}.crt`), '--tls-key-file', join(dir, `${name}.key`), '--tls-ca-cert-file', join(dir, 'ca.crt')];
    tlsPort = await freePort();
    primary = await startNode(key, ['--tls-port', String(tlsPort), ...tls('primary')]);
    replica = await startNode(key, ['--tls-replication', 'yes', ...tls('replica')], { host: '127.0.0.1', port: tlsPort });
  }, 60000);

  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs and streams through the TLS port', async () => {
    await linkUp(replica.port);
    const p = ioredis(primary.port);
    const q = ioredis(replica.port);
    try {
      await p.set('over-tls', 'yes');
      expect(await p.call('wait', '1', '5000')).toBe(1);
      expect(await q.get('over-tls')).toBe('yes');
      expect((await info(replica.port)).master_port).toBe(String(tlsPort));
    } finally {
      p.disconnect();
      q.disconnect();
    }
  });
});
