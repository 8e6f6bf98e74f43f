// The set's ops record: what TYPE, OBJECT ENCODING, memory accounting, RENAME/COPY/MOVE, key
// rotation and deletion ask of a set, with stand-in sealed bytes and digests.

import { describe, expect, it } from 'vitest';
import { Kind, SetEntry } from '../../../src/store/entry.js';
import { opsOf, TYPE_OPS, typeName } from '../../../src/store/types/index.js';
import { setOps } from '../../../src/store/types/set-ops.js';
import { Purpose } from '../../../src/seal/values.js';
import type { SetCodec } from '../../../src/store/types/set.js';

const NOW = 1_700_000_000_000;
const digest = (n: number) => Buffer.alloc(16, n + 1);
/** Stand-in sealing: a 0xee byte, then the node's plaintext. */
const codec: SetCodec = {
  overhead: 1,
  sealNode: (_serial, plain, out, at) => {
    out[at] = 0xee;
    out.set(plain, at + 1);
  },
  openNode: (_serial, src, start, length, out, at) => void src.copy(out, at, start + 1, start + length),
};

function setOf(...members: string[]): SetEntry {
  const s = new SetEntry(NOW);
  members.forEach((m, i) => s.add(digest(i), Buffer.from(m), codec));
  return s;
}

/** Each node's sealed bytes (latin1). */
const contents = (s: SetEntry) => {
  const out: string[] = [];
  s.forEachNode((b, start, length) => void out.push(b.toString('latin1', start, start + length)));
  return out.sort();
};

/** A node's plaintext as the stand-in seals it: per member, its length byte and its bytes. */
const node = (...members: string[]) => '\u00ee' + members.map((m) => String.fromCharCode(m.length) + m).join('');

describe('set ops', () => {
  it('is the record for Kind.Set, named "set", an entry that is its own set', () => {
    const s = setOf('a');
    expect(TYPE_OPS[Kind.Set]).toBe(setOps);
    expect(opsOf(s)).toBe(setOps);
    expect(typeName(s)).toBe('set');
    expect(s.members).toBe(s);
    expect(setOps.isEmpty(setOps.create(NOW))).toBe(true);
  });

  it('answers the encoding Redis 7.0 would hold from the flag the commands keep', () => {
    const s = setOf('1');
    const inspect = { plainLength: () => 0, isInteger: () => true };
    expect(setOps.encoding(s, inspect)).toBe('intset');
    s.intset = false;
    expect(setOps.encoding(s, inspect)).toBe('hashtable');
  });

  it('re-seals every node for a new home, keeping TTL and encoding, without touching the original', () => {
    const s = setOf('a', 'b', 'c');
    s.expiresAt = NOW + 1000;
    s.intset = false;
    const copy = setOps.reseal(s, (sealed, purpose, bind) => {
      expect(purpose).toBe(Purpose.SetNode);
      expect(bind).toBe('1');
      return Buffer.concat([sealed, Buffer.from('!')]);
    }, NOW + 5);
    expect(contents(copy)).toEqual([node('a', 'b', 'c') + '!']);
    expect(copy.expiresAt).toBe(NOW + 1000);
    expect(copy.touchedAt).toBe(NOW + 5);
    expect(copy.intset).toBe(false);
    expect(contents(s)).toEqual([node('a', 'b', 'c')]);
    for (let i = 0; i < 3; i++) expect(copy.has(digest(i))).toBe(true);
  });

  it('renews nodes in place, leaving those renew() declines, and counts the renewed', () => {
    const s = new SetEntry(NOW);
    // A member over SOLO_BYTES has a node of its own: two nodes.
    s.add(digest(0), Buffer.from('a'), codec);
    s.add(digest(1), Buffer.alloc(300, 0x62), codec);
    const renewed = setOps.renewEach(s, (sealed) => (sealed.length > 100 ? null : Buffer.concat([sealed, Buffer.from('2')])));
    expect(renewed).toBe(1);
    expect(contents(s)).toContain(node('a') + '2');
    expect(contents(s).some((c) => c.length > 300)).toBe(true);
  });

  it('counts its bytes, lists each sealed node with its purpose and serial, and releases its blocks', () => {
    const s = setOf('a', 'b');
    const empty = setOf();
    expect(setOps.valueBytes(s, Infinity)).toBeGreaterThan(setOps.valueBytes(empty, Infinity));
    expect(setOps.elements(s)).toBe(2);
    const seen: string[] = [];
    setOps.forEachSealed(s, (sealed, purpose, bind) => {
      expect(purpose).toBe(Purpose.SetNode);
      expect(bind).toBe('1');
      seen.push(sealed.toString('latin1'));
    });
    expect(seen).toEqual([node('a', 'b')]);
    setOps.release!(s);
    expect(s.size).toBe(0);
    expect(setOps.valueBytes(s, Infinity)).toBe(setOps.valueBytes(empty, Infinity));
  });
});
