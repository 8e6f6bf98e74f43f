// Redis's lazy-free bookkeeping (lazyfree.c). UNLINK, FLUSHALL/FLUSHDB ASYNC, and DEL or a flush
// under lazyfree-lazy-user-del / lazyfree-lazy-user-flush hand large values to a background
// thread in Redis; INFO's lazyfreed_objects counts them. sealkv frees a value by dropping its
// references (sealed bytes need no wiping, and arena blocks go back at once), so nothing is ever
// pending; the counter says what Redis's would, so dashboards and Redis's tests read the same.

import { Kind, type Entry } from './entry.js';

/** Redis's LAZYFREE_THRESHOLD: values that take more allocations than this are freed lazily. */
export const LAZYFREE_THRESHOLD = 64;

/** Elements a Redis listpack/intset encoding holds before the type turns into one allocation each. */
const COMPACT_MAX = 128;
/** Small list elements (about 10 bytes) per 8 KB quicklist node, for a list's node count. */
const LIST_NODE_ELEMENTS = 700;

/**
 * lazyfreeGetFreeEffort: about how many allocations freeing the value takes. `streamNodeEntries`
 * is stream-node-max-entries (a stream is one node per that many entries; 0: no entry limit, the
 * 4 KB node size then bounds it, about 100 small entries).
 */
export function freeEffort(entry: Entry, elements: number, streamNodeEntries: number): number {
  switch (entry.kind) {
    case Kind.String:
      return 1;
    case Kind.List:
      return Math.max(1, Math.ceil(elements / LIST_NODE_ELEMENTS));
    case Kind.Stream: {
      const nodes = Math.ceil(elements / (streamNodeEntries > 0 ? streamNodeEntries : 100));
      // Every group is an allocation and so is each entry of its PEL (Redis counts the first group's).
      let groups = 0;
      let pel = 0;
      for (const g of entry.groups.values()) {
        if (groups++ === 0) pel = g.pel.size;
      }
      return nodes + groups * (1 + pel);
    }
    default:
      return elements > COMPACT_MAX ? elements : 1;
  }
}
