// Hashes built and read straight in a keyspace, the way the hash commands do it
// (src/commands/hashes/hash-fields.ts): for tests of other families that need a hash to exist, and
// for tests that look at (or tamper with) what a stored hash holds.

import { HashAccess, withHash, type HashContext } from '../../src/commands/hashes/hash-fields.js';
import { hashEntry, Kind, TYPE_OPS, type Entry, type HashEntry, type Keyspace } from '../../src/store/keyspace.js';
import type { Server } from '../../src/commands/types.js';
import { sealedBuffer, sealedString } from '../../src/store/types/hash-fields.js';

/** Redis 7.0's default listpack limits. */
const LIMITS = { entries: 512, value: 64 };

function contextOf(server: Pick<Server, 'values' | 'members'>, db: Keyspace): HashContext {
  return { server, db };
}

/** A hash entry holding `fields`, sealed for `key` of `db` (not stored). */
export function sealedHash(server: Pick<Server, 'values' | 'members'>, db: Keyspace, key: string, fields: Record<string, string>, now = 0): HashEntry {
  const entry = hashEntry(now);
  withHash(contextOf(server, db), key, entry.fields, (h) => {
    for (const [f, v] of Object.entries(fields)) h.set(Buffer.from(f, 'latin1'), Buffer.from(v), LIMITS);
    h.commit();
  });
  return entry;
}

/** Every field of a stored hash, opened with the binding of where it lives now (throws SealError). */
export function openedHash(server: Pick<Server, 'values' | 'members'>, db: Keyspace, key: string, entry: HashEntry): Record<string, string> {
  const out: Record<string, string> = {};
  withHash(contextOf(server, db), key, entry.fields, (h: HashAccess) => {
    h.forEach((pairs) => {
      out[Buffer.from(pairs.name()).toString('latin1')] = Buffer.from(pairs.value()).toString();
    });
  });
  return out;
}

/** Every sealed blob a hash holds (one for a small hash, one per field for a large one), as copies. */
export function hashBlobs(entry: Entry): Buffer[] {
  const out: Buffer[] = [];
  if (entry.kind === Kind.Hash) TYPE_OPS[Kind.Hash].forEachSealed(entry, (sealed) => out.push(sealed));
  return out;
}

/** Flips one bit of a stored hash's sealed bytes: its blob when small, its last field's when large. */
export function corruptHash(entry: HashEntry, at = 10): void {
  const f = entry.fields;
  if (f.table === null) {
    const bytes = sealedBuffer(f.packed);
    bytes[at]! ^= 0x01;
    f.packed = sealedString(bytes);
    return;
  }
  const id = f.table.ids().at(-1)!;
  const bytes = f.table.sealedCopy(id);
  bytes[at]! ^= 0x01;
  f.table.setAt(id, bytes, 0, bytes.length);
}
