// The command table seen through ACL eyes (redis server.orig_commands as acl.c walks it): every
// command and subcommand with a number of its own, its categories as bits, containers with
// their subcommands. Built from the tables as written, so rename-command changes nothing here.

import type { CommandSpec } from '../commands/types.js';

/** Redis 7.0's ACL categories (ACL CAT), in Redis's order, known even when no sealkv command is in them. */
export const CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
] as const;

/** A command or subcommand as the ACL sees it. */
export interface AclCommand {
  /** Its bit in a selector's command bits. */
  readonly id: number;
  /** 'get', or 'config|get' for a subcommand. */
  readonly fullName: string;
  /** One bit per CATEGORIES entry. */
  readonly categories: number;
  readonly parent: AclCommand | null;
  /** A container's subcommands; null for a plain command. */
  readonly subcommands: readonly AclCommand[] | null;
  readonly spec: CommandSpec;
}

export interface CommandCatalogue {
  /** Top-level commands, each followed in walks by its subcommands. */
  readonly commands: readonly AclCommand[];
  /** How many ids there are. */
  readonly size: number;
  /**
   * Redis's strict lookup (lookupCommandBySdsLogic): 'get', or 'container|sub' for a container's
   * subcommand; anything else (three parts, 'get|x', unknown names) is undefined.
   */
  lookup(name: string): AclCommand | undefined;
  /** A category's bit (name without '@', any case), 0 when unknown. */
  categoryBit(name: string): number;
  /** The commands and subcommands with a category bit, in table order. */
  members(bit: number): readonly AclCommand[];
  /** ACL CAT name: every command and subcommand in the category, containers included; undefined when unknown. */
  inCategory(category: string): readonly string[] | undefined;
}

function categoryBit(name: string): number {
  const i = (CATEGORIES as readonly string[]).indexOf(name.toLowerCase());
  return i < 0 ? 0 : 1 << i;
}

function categoryBits(categories: readonly string[]): number {
  let bits = 0;
  for (const c of categories) bits |= categoryBit(c.slice(1));
  return bits;
}

export function buildCatalogue(families: readonly (readonly CommandSpec[])[]): CommandCatalogue {
  const byName = new Map<string, AclCommand>();
  const commands: AclCommand[] = [];
  let next = 0;
  const make = (spec: CommandSpec, parent: AclCommand | null): AclCommand => {
    const subs: AclCommand[] | null = spec.subcommands ? [] : null;
    const cmd: AclCommand = {
      id: next++,
      fullName: parent ? `${parent.fullName}|${spec.name}` : spec.name,
      categories: categoryBits(spec.categories),
      parent,
      subcommands: subs,
      spec,
    };
    byName.set(cmd.fullName, cmd);
    for (const s of spec.subcommands ?? []) subs!.push(make(s, cmd));
    return cmd;
  };
  for (const table of families) for (const spec of table) commands.push(make(spec, null));
  const byCategory = new Map<number, AclCommand[]>(CATEGORIES.map((_, i) => [1 << i, []]));
  const walk = (c: AclCommand) => {
    for (const [bit, list] of byCategory) if (c.categories & bit) list.push(c);
    for (const s of c.subcommands ?? []) walk(s);
  };
  for (const c of commands) walk(c);
  return {
    commands,
    size: next,
    lookup: (name) => byName.get(name.toLowerCase()),
    categoryBit,
    members: (bit) => byCategory.get(bit) ?? [],
    inCategory: (category) => {
      const bit = categoryBit(category);
      return bit === 0 ? undefined : byCategory.get(bit)!.map((c) => c.fullName);
    },
  };
}
