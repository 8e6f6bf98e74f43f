// The keyring: master key sources (file, environment, ephemeral), the KDF layout of subkeys,
// stable key ids, and rotation (several live data keys, retiring old ones).

import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KeyError, Keyring, Subkey, readMasterKeyEnv, readMasterKeyFile } from '../../../src/seal/keyring.js';
import { loadSodiumNative } from '../../../src/seal/native-aead.js';
import { SealError, Sealer } from '../../../src/seal/sealer.js';

const dir = mkdtempSync(join(tmpdir(), 'sealkv-keys-'));
function keyFile(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}
const MASTER = Buffer.alloc(32, 9);
const ENV = 'SEALKV_TEST_MASTER_KEY';
const nativeLoads = loadSodiumNative() !== null;

function fromFile(path: string, permissive = false): Buffer {
  const out = Buffer.alloc(32);
  readMasterKeyFile(path, out, { permissive });
  return out;
}

function fromEnv(value: string | undefined): Buffer {
  if (value === undefined) delete process.env[ENV];
  else process.env[ENV] = value;
  const out = Buffer.alloc(32);
  readMasterKeyEnv(ENV, out);
  return out;
}

/** The KDF layout the README documents: subkey id = generation * 256 + purpose, context sealkv01. */
function derived(id: number, master = MASTER): Buffer {
  return Buffer.from(sodium.crypto_kdf_derive_from_key(32, id, 'sealkv01', master));
}

beforeAll(async () => {
  await sodium.ready;
});
afterEach(() => {
  delete process.env[ENV];
});

describe('master key file', () => {
  it('accepts 32 raw bytes or 64 hex characters with surrounding whitespace', () => {
    expect(fromFile(keyFile('raw.key', Buffer.alloc(32, 1)))).toEqual(Buffer.alloc(32, 1));
    expect(fromFile(keyFile('hex.key', '\n' + 'aB'.repeat(32) + '\r\n'))).toEqual(Buffer.alloc(32, 0xab));
  });

  it('gives a clear error for a missing, short, oversized or malformed file', () => {
    expect(() => fromFile(join(dir, 'nope.key'))).toThrow(/cannot read master key file .*ENOENT/);
    expect(() => fromFile(keyFile('short.key', 'abc'))).toThrow(KeyError);
    expect(() => fromFile(keyFile('short.key', 'abc'))).toThrow(/holds 3 hex digits \(a key file holds 64 hex digits or exactly 32 raw bytes/);
    expect(() => fromFile(keyFile('badhex.key', 'zz'.repeat(32)))).toThrow(KeyError);
    expect(() => fromFile(keyFile('huge.key', Buffer.alloc(4096, 0x61)))).toThrow(/is 4096 bytes/);
  });

  it('accepts hex split over lines as `xxd -p` writes it, and whitespace anywhere inside', () => {
    const hex = Buffer.alloc(32, 0x5c).toString('hex');
    expect(fromFile(keyFile('xxd.key', `${hex.slice(0, 60)}\n${hex.slice(60)}\n`))).toEqual(Buffer.alloc(32, 0x5c));
    expect(fromFile(keyFile('spaced.key', hex.replace(/(.{8})/g, '$1 ')))).toEqual(Buffer.alloc(32, 0x5c));
  });

  it('names the offset of a bad hex digit, and counts digits when they are too few or too many', () => {
    const hex = 'ab'.repeat(32);
    const typo = `${hex.slice(0, 17)}g${hex.slice(18)}\n`;
    expect(() => fromFile(keyFile('typo.key', typo))).toThrow(/invalid hex digit at offset 17 \(a key file holds 64 hex digits/);
    expect(() => fromFile(keyFile('long.key', `${hex}ab\n`))).toThrow(/holds 66 hex digits/);
    expect(() => fromFile(keyFile('raw33.key', Buffer.alloc(33, 0xee)))).toThrow(/holds 33 bytes, neither hex nor a raw key/);
  });

  it('refuses a file that group or others can access, naming the mode, unless told to accept it', () => {
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      const path = keyFile(`open-${mode.toString(8)}.key`, Buffer.alloc(32, 3));
      chmodSync(path, mode);
      expect(() => fromFile(path)).toThrow(new RegExp(`has mode 0${mode.toString(8)}: group or others can access it.*master-key-file-permissive yes`));
      expect(fromFile(path, true)).toEqual(Buffer.alloc(32, 3));
    }
    const owner = keyFile('owner.key', Buffer.alloc(32, 4));
    chmodSync(owner, 0o400);
    expect(fromFile(owner)).toEqual(Buffer.alloc(32, 4));
  });
});

describe('master key environment variable', () => {
  it('accepts 64 hex characters, base64 and URL-safe base64 without padding', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => 250 - i));
    expect(fromEnv(key.toString('hex'))).toEqual(key);
    expect(fromEnv(key.toString('base64'))).toEqual(key);
    expect(fromEnv(key.toString('base64url'))).toEqual(key);
    expect(fromEnv(` ${key.toString('hex')}\n`)).toEqual(key);
  });

  it('removes the variable from the environment once read', () => {
    fromEnv('11'.repeat(32));
    expect(process.env[ENV]).toBeUndefined();
  });

  it('gives a clear error when the variable is unset, empty or not a 32-byte key', () => {
    expect(() => fromEnv(undefined)).toThrow(`environment variable ${ENV} (master-key-env) is not set or empty`);
    expect(() => fromEnv('')).toThrow(/is not set or empty/);
    expect(() => fromEnv('ab'.repeat(31))).toThrow(/must hold a 32-byte key as 64 hex characters or base64 \(found 62 characters\)/);
    expect(() => fromEnv(Buffer.alloc(24).toString('base64'))).toThrow(KeyError);
    expect(() => fromEnv('zz'.repeat(32))).toThrow(KeyError);
    // The failed read still took the variable out of the environment.
    expect(process.env[ENV]).toBeUndefined();
  });
});

describe('Keyring', () => {
  it('names its source and refuses two sources at once', async () => {
    expect((await Keyring.create()).source).toBe('ephemeral');
    expect((await Keyring.create({ file: keyFile('m.key', MASTER) })).source).toBe('file');
    process.env[ENV] = MASTER.toString('hex');
    expect((await Keyring.create({ env: ENV })).source).toBe('env');
    await expect(Keyring.create({ file: keyFile('m.key', MASTER), env: ENV })).rejects.toThrow(/not both/);
  });

  it('derives the same key id from the same master key, whatever the source, and another from another key', async () => {
    const a = await Keyring.create({ file: keyFile('a.key', MASTER) });
    process.env[ENV] = MASTER.toString('base64');
    const a2 = await Keyring.create({ env: ENV });
    const b = await Keyring.create({ file: keyFile('b.key', Buffer.alloc(32, 2)) });
    expect(a2.current.id).toBe(a.current.id);
    expect(b.current.id).not.toBe(a.current.id);
    // The id is the first 4 bytes of its own subkey (generation 0, purpose 4), not of the data key.
    expect(a.current.id).toBe(derived(4).readUInt32BE(0));
  });

  it('derives per-purpose subkeys with crypto_kdf: names and spill differ from each other and from the value key', async () => {
    const ring = await Keyring.create({ file: keyFile('m.key', MASTER) });
    const names = ring.subkey(Subkey.Names);
    const spill = ring.subkey(Subkey.Spill);
    expect(names.length).toBe(32);
    expect(Buffer.from(names)).toEqual(derived(Subkey.Names));
    expect(Buffer.from(spill)).toEqual(derived(Subkey.Spill));
    expect(Buffer.from(names)).not.toEqual(Buffer.from(spill));
    expect(Buffer.from(names)).not.toEqual(derived(Subkey.Values));
    expect(ring.subkey(Subkey.Names)).toBe(names);
    ring.destroy();
    expect(Buffer.from(names)).toEqual(Buffer.alloc(32));
  });

  it.skipIf(!nativeLoads)('keeps subkeys in sodium_malloc memory with sodium-native, and derives the same bytes without it', async () => {
    const path = keyFile('m.key', MASTER);
    const native = await Keyring.create({ file: path });
    const wasm = await Keyring.create({ file: path, backend: 'wasm' });
    expect(native.secureMemory).toBe(true);
    expect(wasm.secureMemory).toBe(false);
    expect((native.subkey(Subkey.Names) as Buffer & { secure?: boolean }).secure).toBe(true);
    expect(Buffer.from(wasm.subkey(Subkey.Names))).toEqual(Buffer.from(native.subkey(Subkey.Names)));
    expect(wasm.current.id).toBe(native.current.id);
    expect(wasm.rotate().id).toBe(native.rotate().id);
  });

  it('rotates to a fresh key: new values carry its id, older values still open until their key is retired', async () => {
    const ring = await Keyring.create({ file: keyFile('m.key', MASTER) });
    const sealer = new Sealer(ring);
    const ctx = Buffer.from('ctx');
    const first = ring.current.id;
    const old = sealer.seal(Buffer.from('before'), ctx);
    const next = ring.rotate();
    expect(next.id).not.toBe(first);
    expect(ring.ids()).toEqual([first, next.id]);
    const fresh = sealer.seal(Buffer.from('after'), ctx);
    expect(Sealer.keyId(old)).toBe(first);
    expect(Sealer.keyId(fresh)).toBe(next.id);
    expect(sealer.open(old, ctx).toString()).toBe('before');
    expect(sealer.open(fresh, ctx).toString()).toBe('after');
    // Generation 1's value key is subkey id 257: plain libsodium opens what it sealed.
    const ad = Buffer.concat([fresh.subarray(0, 5), ctx]);
    const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, fresh.subarray(29), ad, fresh.subarray(5, 29), derived(257));
    expect(Buffer.from(plain).toString()).toBe('after');

    expect(ring.retire(next.id)).toBe(false);
    expect(ring.retire(first)).toBe(true);
    expect(ring.ids()).toEqual([next.id]);
    expect(() => sealer.open(old, ctx)).toThrow(SealError);
    expect(() => sealer.open(old, ctx)).toThrow(/unknown key/);
  });

  it('derives the same generations again from the same master key (rotation is reproducible)', async () => {
    const a = await Keyring.create({ file: keyFile('m.key', MASTER) });
    const b = await Keyring.create({ file: keyFile('m.key', MASTER) });
    expect(a.rotate().id).toBe(b.rotate().id);
    expect(a.rotate().id).toBe(b.rotate().id);
  });
});
