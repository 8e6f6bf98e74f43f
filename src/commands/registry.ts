// Merges the per-family tables into one lookup and checks them once at load: unique names,
// every leaf has a handler, key specs fit the arity (ARCHITECTURE conventions 1 and 11).

import { WHOLE_FOR_BULK } from './values/bulk.js';
import { isListHandler, isRawHandler, type ArgList } from '../protocol/arg-list.js';
import { RawArgs } from '../protocol/raw-args.js';
import { ConfigError } from '../config.js';
import { keySpecProblem } from './key-specs.js';
import type { CommandSpec, CommandTable } from './types.js';

export interface Resolved {
  spec: CommandSpec;
  /** 'get', or 'config|get' for a subcommand: the name Redis uses in arity errors. */
  fullName: string;
}

/** A resolved command with the flags the dispatcher tests on every call, read once at load. */
export interface Command extends Resolved {
  readonly kind: 'command';
  readonly noAuth: boolean;
  readonly noMulti: boolean;
  /** Acts at once inside MULTI instead of being queued (EXEC, DISCARD, ...). */
  readonly transactionControl: boolean;
  /** The `write` flag, EXEC itself, PING: what the dispatcher asks of every command, read once here. */
  readonly writes: boolean;
  readonly isExec: boolean;
  readonly isPing: boolean;
  /** The admission that lets this command run, made once so admitting one allocates nothing. */
  readonly admitted: { readonly kind: 'ok'; readonly command: Command };
  /** The flags redis.call checks (ScriptFlag bits), read once here: one load per call instead of five searches. */
  readonly scriptFlags: number;
  /** Its handler reads RawArgs (takesRawArgs), read once here. */
  readonly raw: boolean;
}

/** Bits of Command.scriptFlags. */
export const enum ScriptFlag { NoScript = 1, Stale = 2, Write = 4, MayReplicate = 8, DenyOom = 16 }

function scriptFlagsOf(flags: readonly string[]): number {
  return (flags.includes('noscript') ? ScriptFlag.NoScript : 0) | (flags.includes('stale') ? ScriptFlag.Stale : 0)
    | (flags.includes('write') ? ScriptFlag.Write : 0) | (flags.includes('may_replicate') ? ScriptFlag.MayReplicate : 0)
    | (flags.includes('denyoom') ? ScriptFlag.DenyOom : 0);
}

/** Why a request could not be matched to a command, for the dispatcher to word. */
export type Unresolved =
  | { kind: 'unknown' }
  | { kind: 'unknown-subcommand'; container: string }
  | { kind: 'arity'; fullName: string; spec: CommandSpec };

interface Node extends Command {
  subs: Map<string, Node> | null;
}

/** Commands that act at once inside MULTI instead of being queued. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** Names up to this many bytes are looked up by their bytes packed into an int32 (see lookupName). */
const PACKED_MAX = 4;
const SPELLINGS_MAX = 4096;
/** Longer than any command or subcommand name. */
const NAME_MAX = 64;

export class Registry implements CommandTable {
  private byName = new Map<string, Node>();
  /** Request spellings seen ('GET', 'Get') mapped to their node, so lookups skip lower-casing. */
  private spellings = new Map<string, Node>();
  /** The same for short top-level names, one map per length, keyed by their packed bytes. */
  private packedSpellings = Array.from({ length: PACKED_MAX + 1 }, () => new Map<number, Node>());
  private packedCount = 0;
  /**
   * The same for longer top-level names (LPUSH, HINCRBY, ZRANGEBYSCORE...), keyed by a hash of
   * their bytes and checked against the spelling kept: making the name a string to look it up
   * cost ~0.1 us a request, twice for a command the parser offers the raw path (takesRaw).
   */
  private hashedSpellings = new Map<number, { spelling: Buffer; node: Node }>();

  /** `renames`: rename-command directives, in order; an empty new name removes the command. */
  constructor(families: readonly (readonly CommandSpec[])[], renames: readonly (readonly [string, string])[] = []) {
    for (const table of families) {
      for (const spec of table) {
        if (this.byName.has(spec.name)) throw new Error(`command '${spec.name}' is defined twice`);
        this.byName.set(spec.name, compile(spec, spec.name));
      }
    }
    for (const [from, to] of renames) this.rename(from, to);
    for (const [name, node] of this.byName) if (node.subs === null && isRawHandler(node.spec.handler)) this.rawLengths[name.length] = true;
  }

  /**
   * rename-command (before any request is served): the command answers to its new name only;
   * replies and ACL categories still know it by its own name, as in Redis.
   */
  private rename(from: string, to: string): void {
    const fail = (why: string) => new ConfigError(`rename-command ${JSON.stringify(from)} ${JSON.stringify(to)}: ${why}`);
    const node = this.byName.get(from.toLowerCase());
    if (!node) throw fail('No such command in rename-command');
    this.byName.delete(from.toLowerCase());
    if (to === '') return;
    if (this.byName.has(to.toLowerCase())) throw fail('Target command name already exists');
    this.byName.set(to.toLowerCase(), node);
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

  /**
   * Whether a request named `name` may come as a vector (arg-list.ts): its handler reads one,
   * or it is no command at all (the error quotes only the first few arguments).
   */
  takesArgList(name: Buffer): boolean {
    const node = this.lookupName(name);
    return node === undefined || (node.subs === null && isListHandler(node.spec.handler));
  }

  /**
   * Whether a long request named `name` may come as a vector although its handler takes an
   * array: the commands bulk.ts prepares a slice per turn, making their views as it goes.
   */
  preparesWhole(name: Buffer): boolean {
    const node = this.lookupName(name);
    return node !== undefined && node.subs === null && WHOLE_FOR_BULK.has(node.spec.name);
  }

  /**
   * Whether a short request named by bytes[start, start + length) may come as RawArgs: its
   * handler reads them (takesRawArgs). Asked by the parser before every request it could hand
   * out so: names of other lengths are answered without a lookup.
   */
  takesRaw(bytes: Buffer, start: number, length: number): Node | null {
    if (length >= this.rawLengths.length || !this.rawLengths[length]) return null;
    const node = this.lookupBytes(bytes, start, length);
    return node !== undefined && node.subs === null && node.raw ? node : null;
  }

  /** takesRaw() as one function for every connection's parser (RequestParser.rawCommand): no closure per connection. */
  readonly takesRawFn = (bytes: Buffer, start: number, length: number): Node | null => this.takesRaw(bytes, start, length);

  /** Name lengths of the commands with raw handlers (by their names as renamed). */
  private rawLengths: boolean[] = [];

  /** Finds the command (and subcommand) for a request and checks its arity. */
  resolve(args: ArgList): Command | Unresolved {
    // RawArgs carry the node takesRaw() found for them (the same name, looked up a moment ago).
    let node = args instanceof RawArgs ? ((args.command as Node | null) ?? this.lookupBytes(args.bytes, args.starts[0]!, args.lengths[0]!)) : this.lookupName(args.at(0)!);
    if (!node) return { kind: 'unknown' };
    if (node.subs && args.length >= 2) {
      const raw = args.at(1)!;
      // No subcommand name is this long: a huge argument is not made a string to find that out.
      const sub = raw.length > NAME_MAX ? undefined : this.lookup(node.subs, raw.toString('latin1'), node.fullName);
      if (!sub) return { kind: 'unknown-subcommand', container: node.spec.name };
      node = sub;
    }
    const arity = node.spec.arity;
    if ((arity > 0 && args.length !== arity) || (arity < 0 && args.length < -arity)) {
      return { kind: 'arity', fullName: node.fullName, spec: node.spec };
    }
    // A bare container is an arity error, unless it answers on its own (plain COMMAND).
    if (node.subs && !(args.length === 1 && node.spec.handler)) return { kind: 'arity', fullName: node.fullName, spec: node.spec };
    return node;
  }

  /**
   * A top-level command by its request bytes. Names of up to 4 bytes (GET, SET, HGET...) are
   * packed into an int32, a small integer to V8, which keys a cache of spellings seen: the hot
   * path then creates no string per request. Longer names go through the string cache.
   */
  private lookupName(raw: Buffer): Node | undefined {
    return this.lookupBytes(raw, 0, raw.length);
  }

  /** lookupName() for the name at bytes[start, start + length). */
  private lookupBytes(bytes: Buffer, start: number, length: number): Node | undefined {
    if (length > NAME_MAX || length === 0) return undefined;
    if (length > PACKED_MAX) return this.lookupHashed(bytes, start, length);
    let packed = 0;
    for (let i = 0; i < length; i++) packed = (packed << 8) | bytes[start + i]!;
    const cache = this.packedSpellings[length]!;
    let node = cache.get(packed);
    if (node !== undefined) return node;
    node = this.byName.get(bytes.toString('latin1', start, start + length).toLowerCase());
    // Bounded: hostile clients could otherwise grow the cache with endless spellings.
    if (node !== undefined && this.packedCount < SPELLINGS_MAX) {
      cache.set(packed, node);
      this.packedCount++;
    }
    return node;
  }

  /** lookupBytes() of a name longer than PACKED_MAX: by an FNV-1a hash of its bytes (a small integer to V8). */
  private lookupHashed(bytes: Buffer, start: number, length: number): Node | undefined {
    let h = 0x811c9dc5;
    for (let i = 0; i < length; i++) h = Math.imul(h ^ bytes[start + i]!, 0x01000193);
    h &= 0x3fffffff;
    const hit = this.hashedSpellings.get(h);
    if (hit !== undefined) {
      const spelling = hit.spelling;
      if (spelling.length === length) {
        let i = 0;
        while (i < length && spelling[i] === bytes[start + i]) i++;
        if (i === length) return hit.node;
      }
    }
    const node = this.byName.get(bytes.toString('latin1', start, start + length).toLowerCase());
    // Only names of commands are kept (never a client's other bytes); bounded, and a colliding
    // spelling simply goes on taking the string path.
    if (node !== undefined && hit === undefined && this.packedCount < SPELLINGS_MAX) {
      this.hashedSpellings.set(h, { spelling: Buffer.from(bytes.subarray(start, start + length)), node });
      this.packedCount++;
    }
    return node;
  }

  private lookup(map: Map<string, Node>, raw: string, prefix = ''): Node | undefined {
    const cacheKey = prefix ? prefix + '|' + raw : raw;
    let node = this.spellings.get(cacheKey);
    if (node) return node;
    node = map.get(raw.toLowerCase());
    // Bounded: hostile clients could otherwise grow the cache with endless spellings.
    if (node && this.spellings.size < SPELLINGS_MAX) this.spellings.set(cacheKey, node);
    return node;
  }
}

function compile(spec: CommandSpec, fullName: string): Node {
  const problem = keySpecProblem(spec);
  if (problem !== null) throw new Error(`command '${fullName}': ${problem}`);
  if (spec.subcommands) {
    const subs = new Map<string, Node>();
    for (const sub of spec.subcommands) {
      if (subs.has(sub.name)) throw new Error(`subcommand '${fullName}|${sub.name}' is defined twice`);
      subs.set(sub.name, compile(sub, `${fullName}|${sub.name}`));
    }
    return node(spec, fullName, subs);
  }
  if (!spec.handler) throw new Error(`command '${fullName}' has no handler`);
  return node(spec, fullName, null);
}

function node(spec: CommandSpec, fullName: string, subs: Map<string, Node> | null): Node {
  const admitted = { kind: 'ok' as const, command: null as unknown as Command };
  const made: Node = {
    kind: 'command',
    spec,
    fullName,
    noAuth: spec.flags.includes('no_auth') || spec.authenticatesItself === true,
    noMulti: spec.flags.includes('no_multi'),
    transactionControl: TRANSACTION_CONTROL.has(spec.name),
    writes: spec.flags.includes('write'),
    isExec: fullName === 'exec',
    isPing: spec.name === 'ping',
    admitted,
    scriptFlags: scriptFlagsOf(spec.flags),
    subs,
    raw: subs === null && isRawHandler(spec.handler),
  };
  admitted.command = made;
  return made;
}
