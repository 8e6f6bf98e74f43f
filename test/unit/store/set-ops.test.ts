// The set's ops record: what TYPE, OBJECT ENCODING, memory accounting, RENAME/COPY/MOVE, key
// rotation and deletion ask of a set, with stand-in sealed bytes and digests.

import { describe, expect, it } from 'vitest';
import { Kind, SetEntry } from '../../../src/store/entry.js';
import { opsOf, TYPE_OPS, typeName } from '../../../src/store/types/index.js';
import { setOps } from '../../../src/store/types/set-ops.js';

const NOW = 1_700_000_000_000;
const digest = (n: number) => Buffer.alloc(16, n + 1);
const seal = (text: string) => Buffer.concat([Buffer.from([0xee]), Buffer.from(text)]);

function setOf(...members: string[]): SetEntry {
  const s = new SetEntry(NOW);
  members.forEach((m, i) => s.add(digest(i), seal(m)));
  return s;
}

const contents = (s: SetEntry) => {
  const out: string[] = [];
  s.forEach((id) => void out.push(s.sealedOf(id).toString('latin1')));
  return out.sort();
};

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

  it('re-seals every member for a new home, keeping TTL and encoding, without touching the original', () => {
    const s = setOf('a', 'b', 'c');
    s.expiresAt = NOW + 1000;
    s.intset = false;
    const copy = setOps.reseal(s, (sealed) => Buffer.concat([sealed, Buffer.from('!')]), NOW + 5);
    expect(contents(copy)).toEqual(['\u00eea!', '\u00eeb!', '\u00eec!']);
    expect(copy.expiresAt).toBe(NOW + 1000);
    expect(copy.touchedAt).toBe(NOW + 5);
    expect(copy.intset).toBe(false);
    expect(contents(s)).toEqual(['\u00eea', '\u00eeb', '\u00eec']);
    for (let i = 0; i < 3; i++) expect(copy.has(digest(i))).toBe(true);
  });

  it('renews members in place, leaving those renew() declines, and counts the renewed', () => {
    const s = setOf('a', 'bb', 'c');
    const renewed = setOps.renewEach(s, (sealed) => (sealed.toString('latin1').endsWith('bb') ? null : Buffer.concat([sealed, Buffer.from('2')])));
    expect(renewed).toBe(2);
    expect(contents(s)).toEqual(['\u00eea2', '\u00eebb', '\u00eec2']);
  });

  it('counts its bytes, lists each sealed member with its purpose, and releases its blocks', () => {
    const s = setOf('a', 'b');
    const empty = setOf();
    expect(setOps.valueBytes(s, Infinity)).toBeGreaterThan(setOps.valueBytes(empty, Infinity));
    expect(setOps.elements(s)).toBe(2);
    const seen: string[] = [];
    setOps.forEachSealed(s, (sealed, _purpose, bind) => {
      expect(bind).toBeUndefined();
      seen.push(sealed.toString('latin1'));
    });
    expect(seen.sort()).toEqual(['\u00eea', '\u00eeb']);
    setOps.release!(s);
    expect(s.size).toBe(0);
    expect(setOps.valueBytes(s, Infinity)).toBe(setOps.valueBytes(empty, Infinity));
  });
});
