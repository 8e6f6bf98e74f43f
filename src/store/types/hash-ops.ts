// Hashes as every type-blind path sees them: a FieldTable of field name -> sealed value, each
// value bound to its field.

import { hashEntry, type HashEntry } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import { FieldTable } from './field-table.js';
import type { CollectionOps } from './type-ops.js';

/** A hash's object and field table (V8 on 64-bit), and each field's share of the table. */
export const HASH_OVERHEAD = 128;
export const FIELD_OVERHEAD = 64;

/** Redis 7.0's defaults for a hash kept as a listpack (hash-max-listpack-entries/-value). */
const LISTPACK_MAX_ENTRIES = 128;
const LISTPACK_MAX_VALUE = 64;

export const hashOps: CollectionOps<HashEntry> = {
  name: 'hash',
  overhead: HASH_OVERHEAD,
  valueBytes(entry, samples) {
    let seen = 0;
    let bytes = 0;
    for (const [field, sealed] of entry.fields) {
      if (seen >= samples) break;
      bytes += FIELD_OVERHEAD + field.length + sealed.length;
      seen++;
    }
    const size = entry.fields.size;
    return seen === size || seen === 0 ? bytes : Math.round((bytes / seen) * size);
  },
  encoding(entry, inspect) {
    if (entry.fields.size > LISTPACK_MAX_ENTRIES) return 'hashtable';
    for (const [field, sealed] of entry.fields) {
      if (field.length > LISTPACK_MAX_VALUE || inspect.plainLength(sealed) > LISTPACK_MAX_VALUE) return 'hashtable';
    }
    return 'listpack';
  },
  elements: (entry) => entry.fields.size,
  forEachSealed(entry, visit) {
    for (const [field, sealed] of entry.fields) visit(sealed, Purpose.HashField, field);
  },
  reseal(entry, reseal, touchedAt) {
    const fields = new FieldTable();
    for (const [field, sealed] of entry.fields) fields.set(field, reseal(sealed, Purpose.HashField, field));
    return { ...entry, fields, touchedAt, sealedName: undefined };
  },
  create: (now) => hashEntry(now),
  isEmpty: (entry) => entry.fields.size === 0,
  renewEach(entry, renew) {
    let renewed = 0;
    for (const [field, sealed] of entry.fields) {
      const fresh = renew(sealed, Purpose.HashField, field);
      if (fresh === null) continue;
      entry.fields.set(field, fresh);
      renewed++;
    }
    return renewed;
  },
};
