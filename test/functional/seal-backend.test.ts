// --seal-backend: the server seals with the backend it was told to use, says which in INFO
// and in its start-up log, and refuses to start with `native` where sodium-native cannot load.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadSodiumNative } from '../../src/seal/native-aead.js';
import { ioredis } from '../helpers/clients.js';
import { spawnServer } from '../helpers/server.js';

const WITHOUT_NATIVE = fileURLToPath(new URL('../helpers/without-sodium-native.cjs', import.meta.url));
const nativeLoads = loadSodiumNative() !== null;
// sodium-native is an optional dependency; CI installs it with npm ci, so there it must load.
const skipNative = !nativeLoads && process.env.CI !== 'true';

async function backendOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ info: string; log: string; setting: string[] }> {
  const server = await spawnServer(args, env);
  const client = ioredis(server.port);
  try {
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    const line = (await client.info('sealkv')).split('\r\n').find((l) => l.startsWith('seal_backend:'))!;
    const setting = (await client.config('GET', 'seal-backend')) as string[];
    // Fixed at start: another value is refused; the value it has is accepted as a no-op (so
    // CONFIG GET * can be fed back to CONFIG SET, as Redis's own suite does).
    const other = setting[1] === 'wasm' ? 'native' : 'wasm';
    await expect(client.config('SET', 'seal-backend', other)).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'seal-backend') - can't set immutable config",
    );
    expect(await client.config('SET', 'seal-backend', setting[1]!)).toBe('OK');
    return { info: line.slice('seal_backend:'.length), log: server.output(), setting };
  } finally {
    client.disconnect();
    await server.stop();
  }
}

describe('seal-backend setting', () => {
  it('wasm: seals through libsodium-wrappers and says so', async () => {
    const { info, log, setting } = await backendOf(['--seal-backend', 'wasm']);
    expect(setting).toEqual(['seal-backend', 'wasm']);
    expect(info).toBe('libsodium-wrappers (wasm)');
    expect(log).toContain('"sealBackend":"libsodium-wrappers (wasm)"');
  });

  it.skipIf(skipNative)('native: seals through sodium-native and says so', async () => {
    const { info, log } = await backendOf(['--seal-backend', 'native']);
    expect(info).toBe('sodium-native');
    expect(log).toContain('"sealBackend":"sodium-native"');
  });

  it.skipIf(skipNative)('auto: picks sodium-native when it loads', async () => {
    const { info } = await backendOf([]);
    expect(info).toBe('sodium-native');
  });

  it('auto: falls back to WASM where sodium-native does not load', async () => {
    const { info } = await backendOf(['--seal-backend', 'auto'], { NODE_OPTIONS: `--require ${WITHOUT_NATIVE}` });
    expect(info).toBe('libsodium-wrappers (wasm)');
  });

  it('native: exits 1 with a clear message where sodium-native does not load', async () => {
    const start = spawnServer(['--seal-backend', 'native'], { NODE_OPTIONS: `--require ${WITHOUT_NATIVE}` });
    await expect(start).rejects.toThrow(/exited with 1 before it was ready:\nsealkv: seal-backend is native but sodium-native does not load/);
  });

  it('rejects other values at start', async () => {
    await expect(spawnServer(['--seal-backend', 'fast'])).rejects.toThrow(
      /exited with 1[^]*'seal-backend "fast"'[^]*argument\(s\) must be one of the following: auto, native, wasm/,
    );
  });
});
