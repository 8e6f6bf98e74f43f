// Sets as every type-blind path sees them: the entry is a SealedSet whose members are sealed
// for the set's key (Purpose.SetMember, no further binding) and indexed by keyed digest.

import { SetEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import type { CollectionOps } from './type-ops.js';

/**
 * The entry's own fields beside the set's (kind, expiry, access time, accounting, name, encoding
 * flag) and its share of the key table; SealedSet.memoryBytes counts the set itself.
 */
export const SET_ENTRY_OVERHEAD = 64;

/** Redis 7.0's set-max-intset-entries: past it an all-integer set is a hashtable. */
export const INTSET_MAX_ENTRIES = 512;

export const setOps: CollectionOps<SetEntry> = {
  name: 'set',
  overhead: SET_ENTRY_OVERHEAD,
  // The set keeps a running total of its blocks: exact, so sampling is not needed.
  valueBytes: (entry) => entry.memoryBytes(),
  // Redis 7.0 has two set encodings only (listpack sets came in 7.2).
  encoding: (entry) => (entry.intset ? 'intset' : 'hashtable'),
  elements: (entry) => entry.size,
  forEachSealed(entry, visit) {
    entry.forEach((id) => {
      visit(entry.sealedOf(id), Purpose.SetMember, undefined);
    });
  },
  reseal(entry, reseal, touchedAt) {
    const copy = new SetEntry(touchedAt);
    copy.expiresAt = entry.expiresAt;
    copy.intset = entry.intset;
    try {
      entry.forEach((id) => {
        copy.add(entry.digestOf(id), reseal(entry.sealedOf(id), Purpose.SetMember, undefined));
      });
    } catch (err) {
      copy.clear();
      throw err;
    }
    return copy;
  },
  // The members are arena blocks, which the garbage collector does not see.
  release: (entry) => entry.clear(),
  create: (now) => new SetEntry(now),
  isEmpty: (entry) => entry.size === 0,
  renewEach(entry, renew) {
    let renewed = 0;
    entry.replaceEach((bytes, start, length) => {
      const sealed = bytes.subarray(start, start + length);
      const fresh = renew(sealed, Purpose.SetMember, undefined);
      if (fresh === null) return sealed;
      renewed++;
      return fresh;
    });
    return renewed;
  },
};
