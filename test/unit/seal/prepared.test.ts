// Seals made ahead of a command (src/seal/prepared.ts, used by commands/values/bulk.ts): taken only
// for exactly the seal they were made for, and never once the data key they were made under
// is no longer current (SEAL ROTATE between preparing and running the command).

import { beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/seal/keyring.js';
import { createNameHasher } from '../../../src/seal/name-hash.js';
import { PreparedDigests, type PreparedSeals } from '../../../src/seal/prepared.js';
import { OVERHEAD, Sealer } from '../../../src/seal/sealer.js';
import { Purpose, SealedValues } from '../../../src/seal/values.js';

describe('prepared seals', () => {
  let keyring: Keyring;
  let values: SealedValues;
  beforeAll(async () => {
    keyring = await Keyring.create();
    values = new SealedValues(new Sealer(keyring));
  });

  /** A PreparedSeals that offers `made` for the member `plain` of set `key` in db 1, and counts its asks. */
  function offering(made: Uint8Array, plain: Uint8Array): PreparedSeals & { asked: number } {
    return {
      asked: 0,
      find(purpose, db, key, p) {
        this.asked++;
        return purpose === Purpose.SetMember && db === 1 && key === 'k' && p === plain ? made : null;
      },
    };
  }

  it('a prepared seal is what the value holds, for its own context only', () => {
    const plain = Buffer.from('member');
    const made = values.sealElement(Purpose.SetMember, 1, 'k', plain);
    const hook = offering(made, plain);
    values.prepared = hook;
    try {
      expect(values.sealElement(Purpose.SetMember, 1, 'k', plain).equals(made)).toBe(true);
      const out = Buffer.alloc(OVERHEAD + plain.length + 3);
      values.sealElementAt(Purpose.SetMember, 1, 'k', plain, out, 3);
      expect(out.subarray(3).equals(made)).toBe(true);
      // Another key, database or plaintext: sealed afresh (and still opens where it belongs).
      const other = values.sealElement(Purpose.SetMember, 1, 'other', plain);
      expect(other.equals(made)).toBe(false);
      expect(values.openElement(Purpose.SetMember, 1, 'other', other).equals(plain)).toBe(true);
      expect(values.sealElement(Purpose.SetMember, 2, 'k', plain).equals(made)).toBe(false);
      expect(values.sealElement(Purpose.SetMember, 1, 'k', Buffer.from('member')).equals(made)).toBe(false);
      expect(hook.asked).toBe(5);
    } finally {
      values.prepared = null;
    }
  });

  it('a seal prepared under a data key rotated away since is never used', () => {
    const plain = Buffer.from('member');
    const made = values.sealElement(Purpose.SetMember, 1, 'k', plain);
    const before = Sealer.keyId(made);
    keyring.rotate();
    values.prepared = offering(made, plain);
    try {
      const sealed = values.sealElement(Purpose.SetMember, 1, 'k', plain);
      expect(Sealer.keyId(sealed)).not.toBe(before);
      expect(Sealer.keyId(sealed)).toBe(keyring.current.id);
      expect(values.openElement(Purpose.SetMember, 1, 'k', sealed).equals(plain)).toBe(true);
      const out = Buffer.alloc(OVERHEAD + plain.length);
      values.sealElementAt(Purpose.SetMember, 1, 'k', plain, out, 0);
      expect(Sealer.keyId(out)).toBe(keyring.current.id);
    } finally {
      values.prepared = null;
    }
  });

  it('a prepared seal of another length is refused (it could not be this plaintext)', () => {
    const plain = Buffer.from('member');
    const made = values.sealElement(Purpose.SetMember, 1, 'k', Buffer.from('longer member'));
    values.prepared = offering(made, plain);
    try {
      const sealed = values.sealElement(Purpose.SetMember, 1, 'k', plain);
      expect(values.openElement(Purpose.SetMember, 1, 'k', sealed).equals(plain)).toBe(true);
    } finally {
      values.prepared = null;
    }
  });

  it('prepared digests stand in for the hasher only for the names they were made for', () => {
    const hasher = createNameHasher(new Uint8Array(32).fill(7));
    const name = Buffer.from('field');
    const digests = new Uint8Array(32);
    hasher.digestInto(name, digests, 16);
    const wrapped = new PreparedDigests(hasher, digests, (n) => (n === name ? 16 : -1));
    const a = Buffer.alloc(16);
    const b = Buffer.alloc(16);
    wrapped.digestInto(name, a, 0);
    hasher.digestInto(Buffer.from('field'), b, 0);
    expect(a.equals(b)).toBe(true);
    wrapped.digestInto(Buffer.from('other'), a, 0);
    hasher.digestInto(Buffer.from('other'), b, 0);
    expect(a.equals(b)).toBe(true);
    expect(wrapped.hash(name)).toBe(hasher.hash(name));
  });
});
