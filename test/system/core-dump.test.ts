// A core dump of the running server (gcore, from Debian's gdb) holds neither a stored value nor
// the bytes of the master key or the data key with the native backend, whose key material
// lives in sodium_malloc memory that core dumps leave out. With the WASM backend libsodium's heap is an ordinary
// ArrayBuffer that lands in every dump, so that run prints what it finds instead of failing.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanFile } from '../helpers/memory-scan.js';
import { spawnServer } from '../helpers/server.js';

const COUNT = 500;

/**
 * The first data key, derived from the master key as src/seal/keyring.ts does it: subkey id =
 * generation * 256 + purpose (values = 1), context 'sealkv01'.
 */
async function firstDataKey(master: Buffer): Promise<Buffer> {
  await sodium.ready;
  return Buffer.from(sodium.crypto_kdf_derive_from_key(32, 1, 'sealkv01', master));
}

const hasGcore = await new Promise<boolean>((resolve) => execFile('sh', ['-c', 'command -v gcore'], (err) => resolve(!err)));
/** Under CI gcore must be there (.ci/run installs gdb); elsewhere the test is skipped, saying why. */
const gcoreMissing = !hasGcore && process.env.CI !== 'true';
if (gcoreMissing) console.warn('gcore not found: skipping the core dump test (apt-get install gdb)');

/**
 * gcore writes V8's and WebAssembly's empty address reservations out in full (about 11 GiB
 * here, not sparse), so a core needs that much free disk; a smaller disk skips, saying so.
 */
const CORE_DISK_BYTES = 16 * 1024 ** 3;

/** Runs gcore on pid; resolves the core file's path, or the reason it could not be taken. */
function takeCore(pid: number, dir: string): Promise<{ path: string } | { reason: string }> {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < CORE_DISK_BYTES) return Promise.resolve({ reason: `only ${(free / 1024 ** 3).toFixed(1)} GiB free in ${dir}; a core needs about 12` });
  return new Promise((resolve) => {
    execFile('gcore', ['-o', join(dir, 'core'), String(pid)], { timeout: 150_000 }, (err, stdout, stderr) => {
      const core = readdirSync(dir).find((f) => f.startsWith('core'));
      if (core && !err) resolve({ path: join(dir, core) });
      else resolve({ reason: `gcore failed (ptrace not permitted here?): ${err?.message ?? ''} ${stderr.trim()} ${stdout.trim()}`.trim() });
    });
  });
}

describe.skipIf(gcoreMissing)('core dump of the running server', () => {
  for (const backend of ['native', 'wasm'] as const) {
    it(`with the ${backend} backend: ${backend === 'native' ? 'no marker and no key bytes' : 'reports what it finds'}`, async (ctx) => {
      const dir = mkdtempSync(join(tmpdir(), 'sealkv-core-'));
      const masterKey = randomBytes(32);
      const keyFile = join(dir, 'master.key');
      writeFileSync(keyFile, masterKey, { mode: 0o600 });
      const server = await spawnServer(['--master-key-file', keyFile, '--seal-backend', backend]);
      const client = ioredis(server.port);
      try {
        const markers = makeMarkers(COUNT);
        // Control: key names are kept in plaintext (without --seal-keys), so this one must be found.
        const [keyName] = makeMarkers(1, 'SKVKEYNAME-');
        await client.set(keyName!, 'x');
        const values = markers.map((m) => m.toString('latin1'));
        const half = COUNT / 2;
        for (let i = 0; i < half; i++) await client.set(`s:${i}`, values[i]!);
        for (let i = half; i < COUNT; i += 10) {
          await client.hset(`h:${i}`, Object.fromEntries(values.slice(i, i + 10).map((v, j) => [`f${j}`, v])));
        }
        for (let i = 0; i < half; i++) expect(await client.get(`s:${i}`)).toBe(values[i]);
        for (let i = half; i < COUNT; i += 10) {
          expect(Object.values(await client.hgetall(`h:${i}`)).sort()).toEqual(values.slice(i, i + 10).sort());
        }
        expect(await client.ping()).toBe('PONG');

        const core = await takeCore(server.process.pid!, dir);
        if ('reason' in core) {
          console.warn(`skipping: ${core.reason}`);
          ctx.skip();
          return;
        }
        const needles = [...markers, masterKey, keyName!, await firstDataKey(masterKey)];
        const result = scanFile(core.path, needles);
        const markerHits = result.hits.filter((h) => h.marker < COUNT);
        const keyHits = result.hits.filter((h) => h.marker === COUNT);
        const dataKeyHits = result.hits.filter((h) => h.marker === COUNT + 2);
        expect(result.hits.filter((h) => h.marker === COUNT + 1).length, 'the plaintext key name (control) is in the dump').toBeGreaterThan(0);
        const summary = `${backend} backend: core of ${(result.bytesScanned / 1048576).toFixed(0)} MiB holds ${markerHits.length} marker copies, ${keyHits.length} copies of the master key and ${dataKeyHits.length} of the data key`;
        console.log(summary);
        const secrets = [...markerHits, ...keyHits, ...dataKeyHits];
        if (secrets.length > 0) console.log(describeHits(secrets, needles));
        if (backend === 'native') {
          expect(markerHits.length, summary).toBe(0);
          expect(keyHits.length, summary).toBe(0);
          expect(dataKeyHits.length, summary).toBe(0);
        }
      } finally {
        client.disconnect();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 240_000);
  }
});
