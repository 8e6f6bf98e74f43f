// Sets as every type-blind path sees them: the entry is a SealedSet whose members are grouped
// into nodes sealed whole for the set's key (Purpose.SetNode, bound to the node's serial) and
// indexed by keyed digest.

import { SetEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import { setNodeBind } from '../../seal/set-codec.js';
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
    entry.forEachNode((bytes, start, length, serial) => {
      visit(bytes.subarray(start, start + length), Purpose.SetNode, setNodeBind(serial));
    });
  },
  reseal(entry, reseal, touchedAt) {
    const copy = new SetEntry(touchedAt);
    copy.expiresAt = entry.expiresAt;
    copy.intset = entry.intset;
    try {
      copy.copyResealed(entry, (sealed, serial) => reseal(sealed, Purpose.SetNode, setNodeBind(serial)));
    } catch (err) {
      copy.clear();
      throw err;
    }
    return copy;
  },
  // The nodes are arena blocks, which the garbage collector does not see.
  release: (entry) => entry.clear(),
  create: (now) => new SetEntry(now),
  isEmpty: (entry) => entry.size === 0,
  renewEach(entry, renew) {
    let renewed = 0;
    entry.replaceNodes((bytes, start, length, serial) => {
      const sealed = bytes.subarray(start, start + length);
      const fresh = renew(sealed, Purpose.SetNode, setNodeBind(serial));
      if (fresh === null) return sealed;
      renewed++;
      return fresh;
    });
    return renewed;
  },
};
