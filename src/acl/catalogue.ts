// The command table seen through ACL eyes: which leaf commands a name or a category covers.

import type { CommandSpec } from '../commands/types.js';
import type { CommandCatalogue } from './user.js';

/** Redis 7.0's ACL categories (ACL CAT), known even when no sealkv command is in them. */
export const CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
] as const;

export function buildCatalogue(leaves: readonly { spec: CommandSpec; fullName: string }[]): CommandCatalogue {
  const byName = new Map<string, string[]>();
  const byCategory = new Map<string, string[]>(CATEGORIES.map((c) => [c, []]));
  const all: string[] = [];
  for (const { spec, fullName } of leaves) {
    all.push(fullName);
    const top = fullName.split('|')[0]!;
    if (!byName.has(top)) byName.set(top, []);
    byName.get(top)!.push(fullName);
    if (fullName !== top) byName.set(fullName, [fullName]);
    for (const cat of spec.categories) byCategory.get(cat.slice(1))?.push(fullName);
  }
  return {
    leavesOf: (name) => byName.get(name),
    inCategory: (category) => byCategory.get(category),
    all: () => all,
  };
}
