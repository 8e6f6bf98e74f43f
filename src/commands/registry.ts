// Merges the per-family tables into one lookup and checks them once at load: unique names,
// every leaf has a handler, key positions fit the arity (ARCHITECTURE conventions 1 and 11).

import type { CommandSpec, CommandTable } from './types.js';

export interface Resolved {
  spec: CommandSpec;
  /** 'get', or 'config|get' for a subcommand: the name Redis uses in arity errors. */
  fullName: string;
}

/** Why a request could not be matched to a command, for the dispatcher to word. */
export type Unresolved =
  | { kind: 'unknown' }
  | { kind: 'unknown-subcommand'; container: string }
  | { kind: 'arity'; fullName: string };

interface Node {
  spec: CommandSpec;
  fullName: string;
  subs: Map<string, Node> | null;
}

export class Registry implements CommandTable {
  private byName = new Map<string, Node>();
  /** Request spellings seen ('GET', 'Get') mapped to their node, so lookups skip lower-casing. */
  private spellings = new Map<string, Node>();

  constructor(families: readonly (readonly CommandSpec[])[]) {
    for (const table of families) {
      for (const spec of table) {
        if (this.byName.has(spec.name)) throw new Error(`command '${spec.name}' is defined twice`);
        this.byName.set(spec.name, compile(spec, spec.name));
      }
    }
  }

  get size(): number {
    return this.byName.size;
  }

  get(name: string): CommandSpec | undefined {
    return this.byName.get(name.toLowerCase())?.spec;
  }

  all(): Iterable<CommandSpec> {
    return [...this.byName.values()].map((n) => n.spec);
  }

  /** Full names of every leaf command ('get', 'config|get'...), for table checks and COMMAND LIST. */
  leaves(): Resolved[] {
    const out: Resolved[] = [];
    const walk = (n: Node) => {
      // A container with a handler of its own (COMMAND) is a command as well as a container.
      if (!n.subs || n.spec.handler) out.push({ spec: n.spec, fullName: n.fullName });
      if (n.subs) for (const s of n.subs.values()) walk(s);
    };
    for (const n of this.byName.values()) walk(n);
    return out;
  }

  /** Finds the command (and subcommand) for a request and checks its arity. */
  resolve(args: Buffer[]): Resolved | Unresolved {
    let node = this.lookup(this.byName, args[0]!.toString('latin1'));
    if (!node) return { kind: 'unknown' };
    if (node.subs && args.length >= 2) {
      const sub = this.lookup(node.subs, args[1]!.toString('latin1'), node.fullName);
      if (!sub) return { kind: 'unknown-subcommand', container: node.spec.name };
      node = sub;
    }
    const arity = node.spec.arity;
    if ((arity > 0 && args.length !== arity) || (arity < 0 && args.length < -arity)) {
      return { kind: 'arity', fullName: node.fullName };
    }
    // A bare container is an arity error, unless it answers on its own (plain COMMAND).
    if (node.subs && !(args.length === 1 && node.spec.handler)) return { kind: 'arity', fullName: node.fullName };
    return node;
  }

  private lookup(map: Map<string, Node>, raw: string, prefix = ''): Node | undefined {
    const cacheKey = prefix ? prefix + '|' + raw : raw;
    let node = this.spellings.get(cacheKey);
    if (node) return node;
    node = map.get(raw.toLowerCase());
    // Bounded: hostile clients could otherwise grow the cache with endless spellings.
    if (node && this.spellings.size < 4096) this.spellings.set(cacheKey, node);
    return node;
  }
}

function compile(spec: CommandSpec, fullName: string): Node {
  if (spec.subcommands) {
    const subs = new Map<string, Node>();
    for (const sub of spec.subcommands) {
      if (subs.has(sub.name)) throw new Error(`subcommand '${fullName}|${sub.name}' is defined twice`);
      subs.set(sub.name, compile(sub, `${fullName}|${sub.name}`));
    }
    return { spec, fullName, subs };
  }
  if (!spec.handler) throw new Error(`command '${fullName}' has no handler`);
  return { spec, fullName, subs: null };
}
