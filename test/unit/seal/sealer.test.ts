import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/seal/keyring.js';
import { OVERHEAD, SealError, Sealer } from '../../../src/seal/sealer.js';
import { Purpose, SealedValues } from '../../../src/seal/values.js';

const dir = mkdtempSync(join(tmpdir(), 'sealkv-keys-'));
function keyFile(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

describe('Sealer', () => {
  let values: SealedValues;
  let sealer: Sealer;
  beforeAll(async () => {
    sealer = new Sealer(await Keyring.create());
    values = new SealedValues(sealer);
  });

  it('round-trips a value and hides it in the sealed bytes', () => {
    const plain = Buffer.from('top secret value');
    const sealed = values.sealValue(0, 'k', plain);
    expect(sealed.length).toBe(plain.length + OVERHEAD);
    expect(sealed.includes(plain)).toBe(false);
    expect(values.openValue(0, 'k', sealed).toString()).toBe('top secret value');
  });

  it('uses a fresh nonce every time, so equal values seal differently', () => {
    const a = values.sealValue(0, 'k', Buffer.from('same'));
    const b = values.sealValue(0, 'k', Buffer.from('same'));
    expect(a.subarray(5, 29).equals(b.subarray(5, 29))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses a value copied to another key, database, field or purpose', () => {
    const sealed = values.sealValue(0, 'k', Buffer.from('v'));
    expect(() => values.openValue(0, 'other', sealed)).toThrow(SealError);
    expect(() => values.openValue(1, 'k', sealed)).toThrow(SealError);
    expect(() => values.openElement(Purpose.HashFieldName, 0, 'k', sealed, '')).toThrow(SealError);
    expect(() => values.openElement(Purpose.HashPairs, 0, 'k', sealed)).toThrow(SealError);
    // A large hash's field is bound to its name's digest (bytes), a small hash's pairs to the key.
    const d1 = Buffer.alloc(16, 1);
    const field = values.sealElement(Purpose.HashFieldName, 0, 'h', Buffer.from('v'), d1);
    expect(() => values.openElement(Purpose.HashFieldName, 0, 'h', field, Buffer.alloc(16, 2))).toThrow(SealError);
    expect(() => values.openElement(Purpose.HashPairs, 0, 'h', field)).toThrow(SealError);
    expect(values.openElement(Purpose.HashFieldName, 0, 'h', field, d1).toString()).toBe('v');
    // The same bytes given as a latin1 name bind the same way (rotation passes binds as names).
    expect(values.openElement(Purpose.HashFieldName, 0, 'h', field, d1.toString('latin1')).toString()).toBe('v');
  });

  it('does not confuse key/field boundaries ("ab"+"c" vs "a"+"bc")', () => {
    const field = values.sealElement(Purpose.HashFieldName, 0, 'ab', Buffer.from('v'), 'c');
    expect(() => values.openElement(Purpose.HashFieldName, 0, 'a', field, 'bc')).toThrow(SealError);
  });

  it('detects any flipped bit, in header, nonce, ciphertext or tag', () => {
    const sealed = values.sealValue(0, 'k', Buffer.from('payload'));
    for (let i = 0; i < sealed.length; i++) {
      const copy = Buffer.from(sealed);
      copy[i]! ^= 0x01;
      expect(() => values.openValue(0, 'k', copy), `byte ${i}`).toThrow(SealError);
    }
  });

  it('re-seals for a new home and wipes nothing the caller still needs', () => {
    const sealed = values.sealValue(0, 'old', Buffer.from('moving'));
    const moved = values.resealValue(0, 'old', 3, 'new', sealed);
    expect(values.openValue(3, 'new', moved).toString()).toBe('moving');
    expect(() => values.openValue(0, 'old', moved)).toThrow(SealError);
  });

  it('writes standard XChaCha20-Poly1305-IETF that plain libsodium opens', async () => {
    await sodium.ready;
    const master = Buffer.alloc(32, 9);
    const path = keyFile('std.key', master);
    const ring = await Keyring.create({ file: path });
    const sealed = new Sealer(ring).seal(Buffer.from('interop'), Buffer.from('ctx'));
    const dataKey = sodium.crypto_kdf_derive_from_key(32, 1, 'sealkv01', Buffer.alloc(32, 9));
    const ad = Buffer.concat([sealed.subarray(0, 5), Buffer.from('ctx')]);
    const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(29), ad, sealed.subarray(5, 29), dataKey);
    expect(Buffer.from(plain).toString()).toBe('interop');
  });
});
