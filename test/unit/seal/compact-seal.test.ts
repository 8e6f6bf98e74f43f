// The compact seal of packed collections (sealer.ts): the nonce's last 8 bytes are sealed as
// zero and left out, everything else as a version-1 seal: bound to purpose, database and key,
// opened where it lies (the AEAD given the 16 nonce bytes kept), the same as the full seal with
// the zeros put back, renewed under a rotated key in the same compact length.

import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/seal/keyring.js';
import { COMPACT_OVERHEAD, COMPACT_TAIL, OVERHEAD, SealError, Sealer } from '../../../src/seal/sealer.js';
import { Purpose, SealedValues, type ElementPurpose } from '../../../src/seal/values.js';

async function setup(): Promise<{ keyring: Keyring; values: SealedValues }> {
  const keyring = await Keyring.create();
  return { keyring, values: new SealedValues(new Sealer(keyring)) };
}

function sealCompact(values: SealedValues, plain: Buffer, key = 'k', purpose: ElementPurpose = Purpose.PackedSet): Buffer {
  const out = Buffer.alloc(plain.length + OVERHEAD);
  return out.subarray(0, values.sealCompactAt(purpose, 0, key, plain, out, 0));
}

function openCompact(values: SealedValues, compact: Buffer, key = 'k', purpose: ElementPurpose = Purpose.PackedSet): Buffer {
  // Where it lies: past a few bytes of something else, as in a record.
  const record = Buffer.concat([Buffer.from('key name'), compact]);
  const plain = Buffer.alloc(compact.length - COMPACT_OVERHEAD);
  values.openCompactAt(purpose, 0, key, record, 8, compact.length, plain, 0);
  return plain;
}

/** The full version-1 seal a compact one stands for: the nonce's zero tail put back. */
function expand(compact: Buffer): Buffer {
  return Buffer.concat([compact.subarray(0, 21), Buffer.alloc(COMPACT_TAIL), compact.subarray(21)]);
}

describe('compact seals', () => {
  it('are 8 bytes shorter, hide the plaintext, and open where they lie or as the full seal they stand for', async () => {
    const { keyring, values } = await setup();
    const plain = Buffer.from('five small members');
    const compact = sealCompact(values, plain);
    expect(compact.length).toBe(plain.length + COMPACT_OVERHEAD);
    expect(COMPACT_OVERHEAD).toBe(37);
    expect(compact.includes(plain)).toBe(false);
    expect(Sealer.compactKeyId(compact)).toBe(keyring.current.id);
    expect(openCompact(values, compact).toString()).toBe('five small members');
    const full = expand(compact);
    const plainOfFull = Buffer.alloc(full.length - OVERHEAD);
    values.openElementAt(Purpose.PackedSet, 0, 'k', full, 0, full.length, plainOfFull, 0);
    expect(plainOfFull.toString()).toBe('five small members');
    // Each seal draws its own 16 random nonce bytes.
    const again = sealCompact(values, plain);
    expect(again.subarray(5, 21).equals(compact.subarray(5, 21))).toBe(false);
    // An empty plaintext still has a key id (shorter than a full seal's overhead).
    expect(Sealer.compactKeyId(sealCompact(values, Buffer.alloc(0)))).toBe(keyring.current.id);
  });

  it('fail to open when altered, moved to another key or purpose, or given a nonce tail', async () => {
    const { values } = await setup();
    const compact = sealCompact(values, Buffer.from('members'));
    expect(() => openCompact(values, compact, 'other')).toThrow(SealError);
    expect(() => openCompact(values, compact, 'k', Purpose.PackedList)).toThrow(SealError);
    for (const at of [0, 4, 12, 20, 21, compact.length - 1]) {
      const bad = Buffer.from(compact);
      bad[at]! ^= 1;
      expect(() => openCompact(values, bad), `byte ${at}`).toThrow(SealError);
    }
    // Opened as a full seal whose tail is not zero, it fails too: the zeros are part of the nonce.
    const full = expand(compact);
    full[25] = 1;
    expect(() => values.openElementAt(Purpose.PackedSet, 0, 'k', full, 0, full.length, Buffer.alloc(7), 0)).toThrow(SealError);
    expect(() => values.openCompactAt(Purpose.PackedSet, 0, 'k', compact, 0, COMPACT_OVERHEAD - 1, Buffer.alloc(7), 0)).toThrow(SealError);
  });

  it('are renewed under a rotated key, compact again', async () => {
    const { keyring, values } = await setup();
    const compact = sealCompact(values, Buffer.from('renew me'));
    const old = keyring.current.id;
    keyring.rotate();
    const fresh = values.renewCompact(Purpose.PackedSet, 0, 'k', compact);
    expect(fresh.length).toBe(compact.length);
    expect(Sealer.compactKeyId(fresh)).toBe(keyring.current.id);
    expect(Sealer.compactKeyId(fresh)).not.toBe(old);
    expect(openCompact(values, fresh).toString()).toBe('renew me');
  });
});
