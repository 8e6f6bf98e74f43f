// TLS listener: certificates made by openssl for this run, client certificates required by
// default, redis-cli, ioredis and node-redis over TLS, and the plain port switched off.

import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect } from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startInProcess, type InProcessServer } from '../helpers/server.js';
import { redisCliMissing } from '../helpers/clients.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
/** Under CI openssl must be there (the TLS tests then fail loudly); elsewhere they are skipped. */
const opensslMissing = !hasOpenssl && process.env.CI !== 'true';
if (opensslMissing) console.warn('openssl not found: skipping TLS tests (apt-get install openssl)');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string): Record<'ca' | 'caKey' | 'cert' | 'key' | 'clientCert' | 'clientKey' | 'rogueCert' | 'rogueKey', string> {
  const p = (f: string) => join(dir, f);
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sealkv test CA']);
  const leaf = (name: string, subject: string, ext: string, ca = 'ca') => {
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    const extFile = p(`${name}.ext`);
    execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > '${extFile}'`]);
    ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', extFile]);
  };
  leaf('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  leaf('client', '/CN=app', 'extendedKeyUsage=clientAuth');
  // A client certificate from a CA the server does not trust.
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.crt', '-days', '2', '-subj', '/CN=rogue']);
  return {
    ca: p('ca.crt'), caKey: p('ca.key'), cert: p('server.crt'), key: p('server.key'),
    clientCert: p('client.crt'), clientKey: p('client.key'), rogueCert: p('rogue.crt'), rogueKey: p('rogue.key'),
  };
}

/** Whether a raw TLS connection with these options gets PONG back. */
function tlsPing(port: number, options: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', ...options });
    let got = '';
    socket.on('secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      got += d.toString();
      if (got.endsWith('\r\n')) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', (err) => resolve(`error: ${err.message}`));
    socket.on('close', () => resolve(got || 'closed'));
  });
}

describe.skipIf(opensslMissing)('TLS', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let server: InProcessServer;
  let tlsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-tls-'));
    certs = makeCertificates(dir);
    tlsPort = await freePort();
    server = await startInProcess({
      'tls-port': String(tlsPort),
      'tls-cert-file': certs.cert,
      'tls-key-file': certs.key,
      'tls-ca-cert-file': certs.ca,
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const clientTls = () => ({
    ca: readFileSync(certs.ca),
    cert: readFileSync(certs.clientCert),
    key: readFileSync(certs.clientKey),
  });

  it('serves a client with a certificate from the CA', async () => {
    expect(await tlsPing(tlsPort, clientTls())).toBe('+PONG\r\n');
  });

  it('refuses clients without a certificate, or with one from another CA (tls-auth-clients yes)', async () => {
    expect(await tlsPing(tlsPort, { ca: readFileSync(certs.ca) })).not.toBe('+PONG\r\n');
    const rogue = { ca: readFileSync(certs.ca), cert: readFileSync(certs.rogueCert), key: readFileSync(certs.rogueKey) };
    expect(await tlsPing(tlsPort, rogue)).not.toBe('+PONG\r\n');
  });

  it('refuses TLS 1.1 and older', async () => {
    const old = await tlsPing(tlsPort, { ...clientTls(), maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    expect(old).toMatch(/^error:/);
  });

  it('plain text on the TLS port gets nothing and does not disturb the server', async () => {
    await new Promise<void>((resolve) => {
      const s = netConnect(tlsPort, '127.0.0.1', () => s.write('PING\r\n'));
      s.on('data', (d) => expect(d.toString()).not.toContain('PONG'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      setTimeout(() => s.destroy(), 300);
    });
    expect(await tlsPing(tlsPort, clientTls())).toBe('+PONG\r\n');
  });

  it('ioredis over TLS with a client certificate, on the same Client path (CLIENT LIST, AUTH)', async () => {
    const c = new Redis({ port: tlsPort, host: '127.0.0.1', tls: clientTls(), maxRetriesPerRequest: 1 });
    try {
      expect(await c.set('tls:k', 'v')).toBe('OK');
      expect(await c.get('tls:k')).toBe('v');
      expect(String(await c.call('client', 'info'))).toContain(` laddr=127.0.0.1:${tlsPort} `);
    } finally {
      c.disconnect();
    }
  });

  it('node-redis over TLS with a client certificate', async () => {
    const c = createClient({ socket: { port: tlsPort, host: '127.0.0.1', tls: true, ...clientTls(), reconnectStrategy: false } });
    c.on('error', () => {});
    await c.connect();
    try {
      expect(await c.get('tls:k')).toBe('v');
    } finally {
      await c.close();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli --tls --cert --key --cacert', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'redis-cli',
        ['-h', '127.0.0.1', '-p', String(tlsPort), '--tls', '--cert', certs.clientCert, '--key', certs.clientKey, '--cacert', certs.ca, 'get', 'tls:k'],
        { timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    );
    expect(out.trim()).toBe('v');
  });

  it('--port 0 with a TLS port serves TLS only; both 0 is an error', async () => {
    const port = await freePort();
    const only = await startInProcess({
      port: '0', 'tls-port': String(port), 'tls-cert-file': certs.cert, 'tls-key-file': certs.key, 'tls-auth-clients': 'no',
    });
    try {
      expect(only.running.addresses).toEqual([{ host: '127.0.0.1', port }]);
      expect(await tlsPing(port, { ca: readFileSync(certs.ca) })).toBe('+PONG\r\n');
    } finally {
      await only.stop();
    }
    await expect(startInProcess({ port: '0' })).rejects.toThrow('no port to listen on');
  });

  it('CONFIG SET tls-port opens, moves and closes the TLS listener at run time, as Redis 7.0 does', async () => {
    const plain = await startInProcess({ 'tls-cert-file': certs.cert, 'tls-key-file': certs.key, 'tls-auth-clients': 'no' });
    const bare = await startInProcess();
    const c = new Redis({ port: plain.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    const b = new Redis({ port: bare.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const [first, second] = [await freePort(), await freePort()];
      expect(await c.call('config', 'set', 'tls-port', String(first))).toBe('OK');
      expect(await tlsPing(first, { ca: readFileSync(certs.ca) })).toBe('+PONG\r\n');
      expect(await c.call('config', 'set', 'tls-port', String(second))).toBe('OK');
      expect(await tlsPing(second, { ca: readFileSync(certs.ca) })).toBe('+PONG\r\n');
      expect(await tlsPing(first, { ca: readFileSync(certs.ca) })).toMatch(/ECONNREFUSED/);
      expect(await c.call('config', 'get', 'tls-port')).toEqual(['tls-port', String(second)]);
      expect(await c.call('config', 'set', 'tls-port', '0')).toBe('OK');
      expect(await tlsPing(second, { ca: readFileSync(certs.ca) })).toMatch(/ECONNREFUSED/);
      expect(await c.ping()).toBe('PONG');
      // No certificate to serve with: refused as Redis refuses it, the setting unchanged.
      await expect(b.call('config', 'set', 'tls-port', String(first))).rejects.toThrow(
        "ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to update TLS configuration. Check server logs.",
      );
      expect(await b.call('config', 'get', 'tls-port')).toEqual(['tls-port', '0']);
    } finally {
      c.disconnect();
      b.disconnect();
      await plain.stop();
      await bare.stop();
    }
  });

  it('tls-auth-clients optional: no certificate is fine, an untrusted one is not', async () => {
    const port = await freePort();
    const opt = await startInProcess({
      'tls-port': String(port), 'tls-cert-file': certs.cert, 'tls-key-file': certs.key, 'tls-ca-cert-file': certs.ca, 'tls-auth-clients': 'optional',
    });
    try {
      expect(await tlsPing(port, { ca: readFileSync(certs.ca) })).toBe('+PONG\r\n');
      expect(await tlsPing(port, clientTls())).toBe('+PONG\r\n');
      const rogue = { ca: readFileSync(certs.ca), cert: readFileSync(certs.rogueCert), key: readFileSync(certs.rogueKey) };
      expect(await tlsPing(port, rogue)).not.toBe('+PONG\r\n');
    } finally {
      await opt.stop();
    }
  });
});
