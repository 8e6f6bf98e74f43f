// Lists as every type-blind path sees them: a ListEntry (a SealedList of sealed elements) whose
// elements are bound to database and key only, never to a position, so LINSERT, LREM or a pop
// moves them without re-sealing.

import { ListEntry, listEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import type { CollectionOps } from './type-ops.js';

/** The list object's own fields (V8, 64-bit): header, node array and entry fields. */
export const LIST_OVERHEAD = 96;

export const listOps: CollectionOps<ListEntry> = {
  name: 'list',
  overhead: LIST_OVERHEAD,
  // The list keeps a running count of its blocks, so this is O(1) whatever `samples` says.
  valueBytes: (entry) => entry.memoryBytes(),
  // Redis 7.0 keeps every list as a quicklist (of listpack nodes); 7.2 added the listpack encoding.
  encoding: () => 'quicklist',
  elements: (entry) => entry.length,
  forEachSealed(entry, visit) {
    entry.forEach((bytes, start, length) => {
      visit(bytes.subarray(start, start + length), Purpose.ListElement, undefined);
    });
  },
  reseal(entry, reseal, touchedAt) {
    const copy = listEntry(touchedAt);
    copy.expiresAt = entry.expiresAt;
    try {
      entry.forEach((bytes, start, length) => {
        copy.pushTail(reseal(bytes.subarray(start, start + length), Purpose.ListElement, undefined));
      });
    } catch (err) {
      copy.clear();
      throw err;
    }
    return copy;
  },
  create: (now) => listEntry(now),
  isEmpty: (entry) => entry.length === 0,
  renewEach(entry, renew) {
    let renewed = 0;
    entry.replaceEach((bytes, start, length) => {
      const sealed = bytes.subarray(start, start + length);
      const fresh = renew(sealed, Purpose.ListElement, undefined);
      if (fresh === null) return sealed;
      renewed++;
      return fresh;
    });
    return renewed;
  },
  release: (entry) => entry.clear(),
};

export { ListEntry };
