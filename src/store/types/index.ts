// The ops record: one TypeOps per Kind. `satisfies` makes a Kind without ops, or ops of the
// wrong shape, a compile error; collections must also say how they are created and emptied.

import { Kind, type Entry } from '../entry.js';
import { hashOps } from './hash-ops.js';
import { setOps } from './set-ops.js';
import { listOps } from './list-ops.js';
import { stringOps } from './string-ops.js';
import { streamOps } from './stream-ops.js';
import { zsetOps } from './zset-ops.js';
import type { CollectionOps, TypeOps } from './type-ops.js';

export type { CollectionOps, RenewElement, ResealElement, SealedInspector, TypeOps } from './type-ops.js';
export { STRING_OVERHEAD } from './string-ops.js';
export { FIELD_OVERHEAD, HASH_OVERHEAD } from './hash-ops.js';
export { LIST_OVERHEAD } from './list-ops.js';

/** The entry type a Kind stands for. */
export type EntryOf<K extends Kind> = Extract<Entry, { kind: K }>;

/** Kinds made of elements, created empty and deleted when emptied (every Kind but strings). */
export type CollectionKind = Exclude<Kind, Kind.String>;

/** One ops per Kind; a collection's ops also create and empty it. */
export type OpsRecord = { [K in Kind]: K extends CollectionKind ? CollectionOps<EntryOf<K>> : TypeOps<EntryOf<K>> };

export const TYPE_OPS = {
  [Kind.String]: stringOps,
  [Kind.Hash]: hashOps,
  [Kind.Stream]: streamOps,
  [Kind.Set]: setOps,
  [Kind.List]: listOps,
  [Kind.ZSet]: zsetOps,
} satisfies OpsRecord;

/** The ops for an entry of any kind (method parameters are bivariant, so no cast is needed). */
export function opsOf(entry: Entry): TypeOps<Entry> {
  return TYPE_OPS[entry.kind];
}

/** The ops of a collection kind. */
export function collectionOps<K extends CollectionKind>(kind: K): CollectionOps<EntryOf<K>> {
  return (TYPE_OPS as OpsRecord)[kind] as CollectionOps<EntryOf<K>>;
}

/** The type's name as TYPE shows it. */
export function typeName(entry: Entry): string {
  return TYPE_OPS[entry.kind].name;
}
