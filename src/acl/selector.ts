// One ACL selector (redis aclSelector): the commands, key patterns (with %R~ / %W~ access) and
// channel patterns that together allow a command. A user has its root selector and any number
// of `(...)` selectors; a command runs when one of them allows all of it.

import { splitArgBytes } from '../config/words.js';
import { globMatch, globMatchBytes } from '../util/glob.js';
import type { AclCommand, CommandCatalogue } from './catalogue.js';
import { CommandBits, RuleFault } from './command-rules.js';

/** Key pattern access bits (redis ACL_READ_PERMISSION / ACL_WRITE_PERMISSION). */
export const READ = 1;
export const WRITE = 2;
const ALL = READ | WRITE;

interface KeyPattern {
  pattern: string;
  /** The pattern's bytes, for matching key arguments without making them strings. */
  bytes: Buffer;
  access: number;
}

/** A refused rule: Redis's reason text (ACLSetUserStringError). */
export class AclRuleError extends Error {}

const PATTERN_AFTER_ALL = (flag: string, reset: string, what: string): string =>
  `Adding a pattern after the * pattern (or the '${flag}' flag) is not valid and does not have any effect. Try '${reset}' to start with an empty list of ${what}`;

const Reasons = {
  unknown: 'Unknown command or category name in ACL',
  syntax: 'Syntax error',
  keyAfterAll: PATTERN_AFTER_ALL('allkeys', 'resetkeys', 'patterns'),
  channelAfterAll: PATTERN_AFTER_ALL('allchannels', 'resetchannels', 'channels'),
  firstArgOfSubcommand: 'Allowing first-arg of a subcommand is not supported',
} as const;

const FAULTS: Record<RuleFault, string> = {
  [RuleFault.Unknown]: Reasons.unknown,
  [RuleFault.Syntax]: Reasons.syntax,
  [RuleFault.FirstArgOfSubcommand]: Reasons.firstArgOfSubcommand,
};

/** isspace() or NUL, as Redis's ACLStringHasSpaces. */
export const HAS_SPACE = /[\0\t\n\v\f\r ]/;

export class AclSelector {
  readonly commands: CommandBits;
  private keys: KeyPattern[] = [];
  private allKeys = false;
  private channels: string[] = [];
  /** The channel patterns' bytes, for matching channel arguments without making them strings. */
  private channelBytes: Buffer[] = [];
  allChannels = false;

  constructor(catalogue: CommandCatalogue, commands?: CommandBits) {
    this.commands = commands ?? new CommandBits(catalogue);
  }

  copy(catalogue: CommandCatalogue): AclSelector {
    const s = new AclSelector(catalogue, this.commands.copy());
    s.keys = this.keys.map((k) => ({ ...k }));
    s.allKeys = this.allKeys;
    s.channels = [...this.channels];
    s.channelBytes = [...this.channelBytes];
    s.allChannels = this.allChannels;
    return s;
  }

  /**
   * A `(...)` selector (aclCreateSelectorFromOpSet): its words split as Redis splits arguments
   * (quotes allowed; unbalanced quotes leave it empty), each applied in turn.
   */
  static fromOpSet(catalogue: CommandCatalogue, opset: string, allChannels: boolean): AclSelector {
    const s = new AclSelector(catalogue);
    if (allChannels) s.apply('allchannels');
    const words = splitArgBytes(Buffer.from(opset.slice(1, -1), 'latin1')) ?? [];
    for (const w of words) s.apply(w.toString('latin1'));
    return s;
  }

  /** Applies one selector rule (ACLSetSelector); throws AclRuleError with Redis's reason. */
  apply(rule: string): void {
    const lower = rule.toLowerCase();
    if (lower === 'allkeys' || lower === '~*') {
      this.allKeys = true;
      this.keys = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.keys = [];
    } else if (lower === 'allchannels' || lower === '&*') {
      this.allChannels = true;
      this.setChannels([]);
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.setChannels([]);
    } else if (rule[0] === '~' || rule[0] === '%') {
      this.addKeys(rule);
    } else if (rule[0] === '&') {
      if (this.allChannels) throw new AclRuleError(Reasons.channelAfterAll);
      const pattern = rule.slice(1);
      if (HAS_SPACE.test(pattern)) throw new AclRuleError(Reasons.syntax);
      if (!this.channels.includes(pattern)) this.setChannels([...this.channels, pattern]);
    } else if (rule[0] === '+' || rule[0] === '-' || lower === 'allcommands' || lower === 'nocommands') {
      const fault = this.commands.apply(rule);
      if (fault !== null) throw new AclRuleError(FAULTS[fault]);
    } else {
      throw new AclRuleError(Reasons.syntax);
    }
  }

  /** `~pattern`, or `%R~`, `%W~`, `%RW~` with the access given (a repeated letter is a syntax error). */
  private addKeys(rule: string): void {
    if (this.allKeys) throw new AclRuleError(Reasons.keyAfterAll);
    let access = ALL;
    let at = 1;
    if (rule[0] === '%') {
      access = 0;
      for (; at < rule.length; at++) {
        const c = rule[at]!.toUpperCase();
        if (c === 'R' && !(access & READ)) access |= READ;
        else if (c === 'W' && !(access & WRITE)) access |= WRITE;
        else if (c === '~') {
          at++;
          break;
        } else throw new AclRuleError(Reasons.syntax);
      }
      // redis-server 7.0 refuses `%~x` (no access letter) as a syntax error.
      if (access === 0) throw new AclRuleError(Reasons.syntax);
    }
    const pattern = rule.slice(at);
    if (HAS_SPACE.test(pattern)) throw new AclRuleError(Reasons.syntax);
    const same = this.keys.find((k) => k.pattern === pattern);
    if (same) same.access |= access;
    else this.keys.push({ pattern, bytes: Buffer.from(pattern, 'latin1'), access });
  }

  private setChannels(channels: string[]): void {
    this.channels = channels;
    this.channelBytes = channels.map((c) => Buffer.from(c, 'latin1'));
  }

  // ---- checks ----

  /** Every key allowed with this access (ACLSelectorHasUnrestrictedKeyAccess). */
  allKeysWith(access: number): boolean {
    return this.allKeys || this.keys.some((k) => (k.access & access) === access && k.pattern === '*');
  }

  /** Every command, key and channel: the dispatcher need not look further. */
  get unrestricted(): boolean {
    return this.allKeys && this.allChannels && this.commands.allowsAll;
  }

  mayRun(cmd: AclCommand, args: readonly Buffer[]): boolean {
    return this.commands.allows(cmd, args);
  }

  /** A key as bytes (ACLSelectorCheckKey): one pattern must give all the access asked for. */
  mayAccessBytes(key: Uint8Array, access: number): boolean {
    if (this.allKeys) return true;
    for (const k of this.keys) if ((k.access & access) === access && globMatchBytes(k.bytes, key)) return true;
    return false;
  }

  /** The same for a key name held as a latin1 string (KEYS, SCAN in plain mode). */
  mayAccess(key: string, access: number): boolean {
    if (this.allKeys) return true;
    for (const k of this.keys) if ((k.access & access) === access && globMatch(k.bytes, key)) return true;
    return false;
  }

  /**
   * Whether a channel (PUBLISH, SUBSCRIBE) matches one of the patterns, or a PSUBSCRIBE pattern
   * is literally one of them (ACLCheckChannelAgainstList).
   */
  mayUseChannel(channel: Uint8Array, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const allowed of this.channelBytes) {
      if (isPattern ? Buffer.compare(allowed, channel) === 0 : globMatchBytes(allowed, channel)) return true;
    }
    return false;
  }

  channelPatterns(): readonly string[] {
    return this.channels;
  }

  // ---- descriptions ----

  /** GETUSER's `keys`: `~*`, or each pattern with its access. */
  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keys.map((k) => (k.access === ALL ? '~' : k.access === READ ? '%R~' : '%W~') + k.pattern).join(' ');
  }

  /** GETUSER's `channels`: `&*`, or each pattern. */
  describeChannels(): string {
    return this.allChannels ? '&*' : this.channels.map((c) => '&' + c).join(' ');
  }

  describeCommands(): string {
    return this.commands.describe();
  }

  /** ACL LIST's form (ACLDescribeSelector): keys, `&*` or resetchannels and each pattern, commands. */
  describe(): string {
    const parts: string[] = [];
    const keys = this.describeKeys();
    if (keys) parts.push(keys);
    parts.push(this.allChannels ? '&*' : ['resetchannels', ...this.channels.map((c) => '&' + c)].join(' '));
    parts.push(this.describeCommands());
    return parts.join(' ');
  }
}
