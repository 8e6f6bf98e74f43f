// Lists as every type-blind path sees them: a ListEntry (a SealedList) holds nodes sealed whole,
// bound to database, key and the node's id (Purpose.ListNode), and, in a loose end node, elements
// sealed one by one, bound to database and key only (never to a position, so LINSERT, LREM or a
// pop moves them without re-sealing). The list settles its open ends (list.ts) before any of
// these paths sees it.

import { ListEntry, listEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import type { CollectionOps } from './type-ops.js';
import { nodeBind } from '../../seal/list-codec.js';

/** The list object's own fields (V8, 64-bit): header, node array and entry fields. */
export const LIST_OVERHEAD = 96;

/** A list holds elements sealed one by one (end nodes) and nodes sealed whole (node: their id). */
function purposeOf(node: number | undefined): Purpose {
  return node === undefined ? Purpose.ListElement : Purpose.ListNode;
}

export const listOps: CollectionOps<ListEntry> = {
  name: 'list',
  overhead: LIST_OVERHEAD,
  // The list keeps a running count of its blocks, so this is O(1) whatever `samples` says.
  valueBytes: (entry) => entry.memoryBytes(),
  // Redis 7.0 keeps every list as a quicklist (of listpack nodes); 7.2 added the listpack encoding.
  encoding: () => 'quicklist',
  elements: (entry) => entry.length,
  forEachSealed(entry, visit) {
    entry.forEachSealed((bytes, start, length, node) => {
      visit(bytes.subarray(start, start + length), purposeOf(node), node === undefined ? undefined : nodeBind(node));
    });
  },
  reseal(entry, reseal, touchedAt) {
    const copy = listEntry(touchedAt);
    copy.expiresAt = entry.expiresAt;
    // Loose nodes waiting for the source to rest are sealed first (with its codec): the copy,
    // sealed for another home element by element and node by node, could not seal them later.
    entry.sealAtRest(Infinity, true);
    try {
      copy.copyResealed(entry, (sealed, node) => reseal(sealed, purposeOf(node), node === undefined ? undefined : nodeBind(node)));
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
    entry.replaceEach((bytes, start, length, node) => {
      const sealed = bytes.subarray(start, start + length);
      const fresh = renew(sealed, purposeOf(node), node === undefined ? undefined : nodeBind(node));
      if (fresh === null) return sealed;
      renewed++;
      return fresh;
    });
    return renewed;
  },
  release: (entry) => entry.clear(),
};

export { ListEntry };
