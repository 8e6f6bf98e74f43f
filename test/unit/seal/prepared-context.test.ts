// SealedValues.prepareOpen / openPreparedAt: a range reply writes its key's context once and
// opens many members with it. The context must still be the key's at every open, even when
// something else wrote the sealer's context area in between, and it binds like openElementAt.

import { describe, expect, it } from 'vitest';
import { Keyring } from '../../../src/seal/keyring.js';
import { SealError, Sealer } from '../../../src/seal/sealer.js';
import { Purpose, SealedValues } from '../../../src/seal/values.js';

async function setup(): Promise<SealedValues> {
  return new SealedValues(new Sealer(await Keyring.create()));
}

describe('prepared open contexts', () => {
  it('open every member of the key they were prepared for', async () => {
    const values = await setup();
    const members = ['alpha', 'b', 'a longer member of the set'].map((m) => Buffer.from(m));
    const sealed = members.map((m) => values.sealElement(Purpose.ZSetMember, 3, 'zs', m));
    const prepared = values.prepareOpen(Purpose.ZSetMember, 3, 'zs');
    sealed.forEach((s, i) => {
      const out = Buffer.alloc(members[i]!.length + 2);
      values.openPreparedAt(prepared, s, 0, s.length, out, 1);
      expect(out.subarray(1, 1 + members[i]!.length)).toEqual(members[i]);
    });
  });

  it('write the context again after another seal or open used the area', async () => {
    const values = await setup();
    const mine = values.sealElement(Purpose.ZSetMember, 0, 'zs', Buffer.from('member'));
    const prepared = values.prepareOpen(Purpose.ZSetMember, 0, 'zs');
    // Another key's context written in between (as a seal for another key would).
    const other = values.sealElement(Purpose.ZSetMember, 0, 'other-key', Buffer.from('x'));
    const out = Buffer.alloc(6);
    values.openPreparedAt(prepared, mine, 0, mine.length, out, 0);
    expect(out.toString()).toBe('member');
    values.openElementAt(Purpose.ZSetMember, 0, 'other-key', other, 0, other.length, Buffer.alloc(1), 0);
    values.openPreparedAt(prepared, mine, 0, mine.length, out, 0);
    expect(out.toString()).toBe('member');
  });

  it('refuse a member of another key, database or purpose', async () => {
    const values = await setup();
    const prepared = values.prepareOpen(Purpose.ZSetMember, 0, 'zs');
    const out = Buffer.alloc(8);
    for (const s of [
      values.sealElement(Purpose.ZSetMember, 0, 'zt', Buffer.from('member')),
      values.sealElement(Purpose.ZSetMember, 1, 'zs', Buffer.from('member')),
      values.sealElement(Purpose.SetMember, 0, 'zs', Buffer.from('member')),
    ]) {
      expect(() => values.openPreparedAt(prepared, s, 0, s.length, out, 0)).toThrow(SealError);
    }
  });
});
