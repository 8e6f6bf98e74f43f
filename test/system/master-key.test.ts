// Master key sources of the built CLI: a file and an environment variable holding the same key
// give the same key id; a missing or malformed variable, or both sources at once, stop the start
// with a clear message and exit code 1.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSodiumNative } from '../../src/seal/native-aead.js';
import { redisCli, redisCliMissing } from '../helpers/clients.js';
import { spawnServer } from '../helpers/server.js';

const keyField = (info: string, field: string) => new RegExp(`^${field}:(\\S+)`, 'm').exec(info)![1];

describe.skipIf(redisCliMissing)('master key sources (built CLI)', () => {
  it('derives the same key id from a file and from an environment variable holding the same key', async () => {
    const key = randomBytes(32);
    const path = join(mkdtempSync(join(tmpdir(), 'sealkv-mk-')), 'master.key');
    writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600 });
    const fromFile = await spawnServer(['--master-key-file', path]);
    const fromEnv = await spawnServer(['--master-key-env', 'SEALKV_MK'], { SEALKV_MK: key.toString('base64') });
    try {
      const a = await redisCli(fromFile.port, ['info', 'sealkv']);
      const b = await redisCli(fromEnv.port, ['info', 'sealkv']);
      expect(keyField(a, 'key_source')).toBe('file');
      expect(keyField(b, 'key_source')).toBe('env');
      expect(keyField(b, 'key_id')).toBe(keyField(a, 'key_id'));
      // The child loads the same optional sodium-native as this process does.
      expect(keyField(a, 'key_memory')).toBe(loadSodiumNative() !== null ? 'sodium_malloc' : 'wasm-heap');
      expect(fromEnv.output()).toContain('"keySource":"env"');
    } finally {
      await fromFile.stop();
      await fromEnv.stop();
    }
  });

  it('refuses to start without the variable, with a malformed one, or with both sources', async () => {
    const env = { SEALKV_MK_UNSET: undefined };
    await expect(spawnServer(['--master-key-env', 'SEALKV_MK_UNSET'], env)).rejects.toThrow(
      /exited with 1[\s\S]*sealkv: environment variable SEALKV_MK_UNSET \(master-key-env\) is not set or empty/,
    );
    await expect(spawnServer(['--master-key-env', 'SEALKV_MK_BAD'], { SEALKV_MK_BAD: 'not-a-key' })).rejects.toThrow(
      /must hold a 32-byte key as 64 hex characters or base64 \(found 9 characters\)/,
    );
    await expect(
      spawnServer(['--master-key-env', 'SEALKV_MK_BOTH', '--master-key-file', '/nonexistent'], { SEALKV_MK_BOTH: 'ab'.repeat(32) }),
    ).rejects.toThrow(/master-key-file or master-key-env, not both/);
  });
});
