// The order stateless SCAN cursors visit hash buckets in (redis dict.c dictScan): the cursor is
// incremented from its high bit down, so a bucket's split images (when the table grows) and its
// merge (when it shrinks) are never skipped. Shared by the key table, hash fields, sets and the
// sorted-set digest index.

/** The bits of a 32-bit word in reverse order. */
function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

/** The bucket after `cursor` in reverse-binary order over mask's bits; 0 after the last one. */
export function nextBucket(cursor: number, mask: number): number {
  // Bits above the mask set to 1 carry the increment past them (dictScan's v |= ~m0).
  return reverseBits((reverseBits((cursor | ~mask) >>> 0) + 1) >>> 0);
}
