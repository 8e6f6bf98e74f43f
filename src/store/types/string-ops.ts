// Strings as every type-blind path sees them. The hot paths (GET, SET, memory accounting on
// SET) do not come through here: they test Kind.String themselves, at no cost per call.

import { Purpose } from '../../seal/values.js';
import type { StringEntry } from '../entry.js';
import { stringEntry } from '../entry.js';
import type { TypeOps } from './type-ops.js';

/**
 * A string's bookkeeping: its record header (32 bytes) and its share of the key table (two
 * 32-bit words per slot, at most 3/4 full). A string boxed for spilling keeps this count.
 */
export const STRING_OVERHEAD = 48;

/** Redis's limit for an embedded string (7.0). */
const EMBSTR_MAX = 44;
/** Longer texts cannot be a 64-bit integer: no need to open them. */
const INT_MAX_CHARS = 20;

export const stringOps: TypeOps<StringEntry> = {
  name: 'string',
  overhead: STRING_OVERHEAD,
  valueBytes: (entry) => entry.size,
  encoding(entry, inspect) {
    const length = inspect.plainLength(entry.value);
    if (length <= INT_MAX_CHARS) {
      const isInt = inspect.isInteger(entry.value);
      if (isInt === null) return null;
      if (isInt) return 'int';
    }
    return length <= EMBSTR_MAX ? 'embstr' : 'raw';
  },
  elements: () => 1,
  // A spilled value's bytes here are empty (or a copy lent to a command): ask the spill tier.
  forEachSealed: (entry, visit) => visit(entry.value, Purpose.StringValue, undefined),
  reseal: (entry, reseal, touchedAt) => stringEntry(reseal(entry.value, Purpose.StringValue, undefined), entry.expiresAt, touchedAt),
};
