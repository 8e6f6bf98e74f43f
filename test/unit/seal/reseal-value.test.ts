// SealedValues.resealValueAt (a counter's INCR): the seal after an open of the same key uses the
// context the open wrote again; anything else (another key, database, or a context written in
// between) writes its own, so a value is always bound to where it is stored.

import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/seal/keyring.js';
import { OVERHEAD, SealError, Sealer } from '../../../src/seal/sealer.js';
import { SealedValues } from '../../../src/seal/values.js';

async function setup(): Promise<SealedValues> {
  return new SealedValues(new Sealer(await Keyring.create()));
}

function sealed(values: SealedValues, db: number, key: string, text: string): Buffer {
  const out = Buffer.alloc(OVERHEAD + text.length);
  values.sealValueAt(db, key, Buffer.from(text), out, 0);
  return out;
}

function opened(values: SealedValues, db: number, key: string, record: Buffer): string {
  const plain = Buffer.alloc(record.length - OVERHEAD);
  values.openValueAt(db, key, record, 0, record.length, plain, 0);
  return plain.toString();
}

function resealed(values: SealedValues, db: number, key: string, text: string): Buffer {
  const out = Buffer.alloc(OVERHEAD + text.length);
  values.resealValueAt(db, key, Buffer.from(text), out, 0);
  return out;
}

describe('resealValueAt', () => {
  it('after an open of the same key, seals a value that opens there', async () => {
    const values = await setup();
    const counter = sealed(values, 1, 'rl:1', '41');
    expect(opened(values, 1, 'rl:1', counter)).toBe('41');
    const next = resealed(values, 1, 'rl:1', '42');
    expect(opened(values, 1, 'rl:1', next)).toBe('42');
  });

  it('after an open of another key or database, binds the value to its own', async () => {
    const values = await setup();
    const a = sealed(values, 1, 'rl:a', '7');
    opened(values, 1, 'rl:a', a);
    const b = resealed(values, 1, 'rl:b', '8');
    expect(opened(values, 1, 'rl:b', b)).toBe('8');
    expect(() => opened(values, 1, 'rl:a', b)).toThrow(SealError);
    opened(values, 1, 'rl:b', b);
    const other = resealed(values, 2, 'rl:b', '9');
    expect(opened(values, 2, 'rl:b', other)).toBe('9');
    expect(() => opened(values, 1, 'rl:b', other)).toThrow(SealError);
  });

  it('writes its context again when another was written since the open', async () => {
    const values = await setup();
    const a = sealed(values, 0, 'k', '1');
    opened(values, 0, 'k', a);
    // Another context written in between (a seal for another key), with the same key name's length.
    sealed(values, 0, 'x', '5');
    const next = resealed(values, 0, 'k', '2');
    expect(opened(values, 0, 'k', next)).toBe('2');
    expect(() => opened(values, 0, 'x', next)).toThrow(SealError);
  });
});
