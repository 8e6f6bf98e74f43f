// Hashes as every type-blind path sees them (hash-fields.ts): a small hash is one sealed blob of
// all its pairs, a large one a FieldTable of fields sealed one by one, each bound to its name's
// digest. Rotation and RENAME/COPY/MOVE re-seal blobs without knowing what is inside.

import { hashEntry, type HashEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import { DIGEST_BYTES, FieldTable } from './field-table.js';
import { packedLength, sealedBuffer, sealedNow, sealedString } from './hash-fields.js';
import type { CollectionOps } from './type-ops.js';

/**
 * A hash's entry object (V8 on 64-bit), and a large hash's share per field beside its sealed
 * bytes: 24 bytes of words (digest, block handle, length; field-table.ts), ~9 of index slots at
 * its load and ~4 of the block's rounding to 8.
 */
export const HASH_OVERHEAD = 112;
export const FIELD_OVERHEAD = 40;
/** A V8 string's header beside its bytes. */
const STRING_HEADER = 16;

const digest = Buffer.alloc(DIGEST_BYTES);

/** A field's digest as the latin1 name its blob is bound to. */
function bindOf(table: FieldTable, id: number): string {
  table.digestInto(id, digest, 0);
  return sealedString(digest);
}

export const hashOps: CollectionOps<HashEntry> = {
  name: 'hash',
  overhead: HASH_OVERHEAD,
  valueBytes(entry) {
    const f = entry.fields;
    if (f.table === null) {
      const length = packedLength(f);
      return length === 0 ? 0 : STRING_HEADER + length;
    }
    return f.table.sealedBytes + FIELD_OVERHEAD * f.table.size;
  },
  encoding: (entry) => (entry.fields.listpack ? 'listpack' : 'hashtable'),
  elements: (entry) => (entry.fields.table === null ? 1 : entry.fields.size),
  forEachSealed(entry, visit) {
    const f = entry.fields;
    sealedNow(f);
    if (f.table === null) return visit(sealedBuffer(f.packed), Purpose.HashPairs, undefined);
    const table = f.table;
    table.forEach((id) => visit(table.sealedCopy(id), Purpose.HashFieldName, bindOf(table, id)));
  },
  reseal(entry, reseal, touchedAt) {
    const f = entry.fields;
    sealedNow(f);
    const out = hashEntry(touchedAt);
    out.expiresAt = entry.expiresAt;
    out.accounted = entry.accounted;
    const copy = out.fields;
    copy.size = f.size;
    copy.listpack = f.listpack;
    if (f.table === null) {
      copy.packed = sealedString(reseal(sealedBuffer(f.packed), Purpose.HashPairs, undefined));
    } else {
      const from = f.table;
      const to = new FieldTable();
      try {
        from.forEach((id) => {
          const bind = bindOf(from, id);
          const sealed = reseal(from.sealedCopy(id), Purpose.HashFieldName, bind);
          to.add(digest, 0, sealed, 0, sealed.length);
        });
      } catch (err) {
        to.clear();
        throw err;
      }
      copy.table = to;
    }
    return out;
  },
  create: (now) => hashEntry(now),
  isEmpty: (entry) => entry.fields.size === 0,
  release: (entry) => entry.fields.table?.clear(),
  renewEach(entry, renew) {
    const f = entry.fields;
    sealedNow(f);
    if (f.table === null) {
      const fresh = renew(sealedBuffer(f.packed), Purpose.HashPairs, undefined);
      if (fresh === null) return 0;
      f.packed = sealedString(fresh);
      return 1;
    }
    const table = f.table;
    let renewed = 0;
    table.forEach((id) => {
      const fresh = renew(table.sealedCopy(id), Purpose.HashFieldName, bindOf(table, id));
      if (fresh === null) return;
      table.setAt(id, fresh, 0, fresh.length);
      renewed++;
    });
    return renewed;
  },
};
