// One ACL user: its switches, password hashes, key patterns and allowed commands, with
// Redis's rule syntax (ACL SETUSER) and description (ACL LIST). Passwords are kept only as
// SHA-256 hex digests: rules reach this class with `>pw` / `<pw` already turned into
// `#digest` / `!digest` from bytes (secret.ts safeRule), so a password is never a string here.

import { timingSafeEqual } from 'node:crypto';
import { globMatch, globMatchBytes } from '../util/glob.js';

/** A leaf command as the ACL sees it: 'get' or 'config|get', and its categories. */
export interface AclCommand {
  fullName: string;
  categories: readonly string[];
}

/** Every command and category the server knows, for +cmd / +@category rules. */
export interface CommandCatalogue {
  /** Leaf full names of a command name ('config' -> config|get...), or of one leaf. */
  leavesOf(name: string): readonly string[] | undefined;
  /** Leaf full names in a category (without '@'), undefined when the category is unknown. */
  inCategory(category: string): readonly string[] | undefined;
  all(): readonly string[];
}

export class AclRuleError extends Error {}

interface KeyPattern {
  pattern: string;
  /** The pattern's bytes, for matching key arguments without making them strings. */
  bytes: Buffer;
  read: boolean;
  write: boolean;
}

function keyPattern(pattern: string, read: boolean, write: boolean): KeyPattern {
  return { pattern, bytes: Buffer.from(pattern, 'latin1'), read, write };
}

const HASH_RE = /^[0-9a-f]{64}$/;
const BAD_HASH = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';

/** Redis's reason for a key or channel pattern given after `*` (or allkeys / allchannels). */
const PATTERN_AFTER_ALL = (flag: string, reset: string, what: string): string =>
  `Adding a pattern after the * pattern (or the '${flag}' flag) is not valid and does not have any effect. Try '${reset}' to start with an empty list of ${what}`;

/** `name` is container|subcommand and the catalogue knows it. */
function isSubcommand(catalogue: CommandCatalogue, name: string): boolean {
  return name.includes('|') && catalogue.leavesOf(name) !== undefined;
}

export class AclUser {
  enabled = false;
  nopass = false;
  /**
   * Redis 7.0's RESTORE sanitizing flags, kept and listed so Redis's ACL files and GETUSER
   * replies carry over. They change nothing here: every RESTORE payload is authenticated
   * (sealed under the transport key) and decoded whole, which is sanitize-payload and more.
   */
  sanitizePayload: 'sanitize-payload' | 'skip-sanitize-payload' | null = null;
  readonly passwords = new Set<string>();
  private keys: KeyPattern[] = [];
  private channels: string[] = [];
  /** The channel patterns' bytes, for matching channel arguments without making them strings. */
  private channelBytes: Buffer[] = [];
  /** What `reset` leaves the channels at: acl-pubsub-default (Redis 7.0: resetchannels). */
  pubsubDefault: 'allchannels' | 'resetchannels' = 'resetchannels';
  /** Every channel allowed (`allchannels` / `&*`): the dispatcher skips channel checks. */
  allChannels = false;
  /** Leaf commands allowed. */
  private allowed = new Set<string>();
  /** Command rules in the order given, compacted (ACL LIST "commands" part). */
  private commandRules: string[] = ['-@all'];
  /** Every command allowed and every key readable and writable: the dispatcher skips checks. */
  unrestricted = false;
  /** Every key readable (KEYS/SCAN/RANDOMKEY need no filtering). */
  readsAllKeys = false;
  /** Every key writable (FLUSHDB/FLUSHALL/SWAPDB allowed). */
  writesAllKeys = false;

  constructor(readonly name: string, private readonly catalogue: CommandCatalogue) {}

  /** A copy to apply rules to, so a failing SETUSER leaves the user untouched. */
  clone(): AclUser {
    const u = new AclUser(this.name, this.catalogue);
    u.copyFrom(this);
    return u;
  }

  copyFrom(other: AclUser): void {
    this.enabled = other.enabled;
    this.nopass = other.nopass;
    this.sanitizePayload = other.sanitizePayload;
    this.passwords.clear();
    for (const p of other.passwords) this.passwords.add(p);
    this.keys = other.keys.map((k) => ({ ...k }));
    this.channels = [...other.channels];
    this.pubsubDefault = other.pubsubDefault;
    this.allowed = new Set(other.allowed);
    this.commandRules = [...other.commandRules];
    this.refresh();
  }

  /** Applies one rule; throws AclRuleError with Redis's reason. */
  apply(rule: string): void {
    const lower = rule.toLowerCase();
    switch (lower) {
      case 'on': this.enabled = true; break;
      case 'off': this.enabled = false; break;
      case 'sanitize-payload': this.sanitizePayload = 'sanitize-payload'; break;
      case 'skip-sanitize-payload': this.sanitizePayload = 'skip-sanitize-payload'; break;
      case 'nopass': this.nopass = true; this.passwords.clear(); break;
      case 'resetpass': this.nopass = false; this.passwords.clear(); break;
      case 'allkeys': this.keys = [keyPattern('*', true, true)]; break;
      case 'resetkeys': this.keys = []; break;
      case 'allchannels': this.channels = ['*']; break;
      case 'resetchannels': this.channels = []; break;
      case 'allcommands': this.commands('+@all'); break;
      case 'nocommands': this.commands('-@all'); break;
      case 'reset':
        for (const r of ['resetpass', 'resetkeys', 'resetchannels', 'off', 'sanitize-payload', '-@all']) this.apply(r);
        if (this.pubsubDefault === 'allchannels') this.apply('allchannels');
        break;
      default:
        this.applyValued(rule);
    }
    this.refresh();
  }

  private applyValued(rule: string): void {
    const head = rule[0];
    const rest = rule.slice(1);
    if (head === '>' || head === '<') {
      // A programming error, not a client's: clear passwords go through safeRule first.
      throw new Error('clear-text password rule reached AclUser.apply');
    } else if (head === '#' || head === '!') {
      if (!HASH_RE.test(rest)) throw new AclRuleError(BAD_HASH);
      if (head === '#') {
        this.passwords.add(rest);
        this.nopass = false;
      } else if (!this.passwords.delete(rest)) {
        throw new AclRuleError('The password you are trying to remove from the user does not exist');
      }
    } else if (head === '~') {
      this.addKeys(rest, true, true);
    } else if (head === '%') {
      const m = /^%(R|W|RW|WR)~(.*)$/is.exec(rule);
      if (!m) throw new AclRuleError('Syntax error');
      const perm = m[1]!.toUpperCase();
      this.addKeys(m[2]!, perm.includes('R'), perm.includes('W'));
    } else if (head === '&') {
      // A pattern after every channel is allowed is refused (Redis 7.0's EISDIR); `&*` is allchannels.
      if (rest === '*') this.channels = ['*'];
      else if (this.channels.includes('*')) throw new AclRuleError(PATTERN_AFTER_ALL('allchannels', 'resetchannels', 'channels'));
      else this.channels = [...this.channels, rest];
    } else if (head === '+' || head === '-') {
      this.commands(rule);
    } else {
      throw new AclRuleError('Syntax error');
    }
  }

  private addKeys(pattern: string, read: boolean, write: boolean): void {
    if (this.keys.some((k) => k.pattern === '*' && k.read && k.write)) {
      // `~*` is allkeys again; any other pattern after it is refused (Redis 7.0's EEXIST).
      if (pattern === '*' && read && write) return;
      throw new AclRuleError(PATTERN_AFTER_ALL('allkeys', 'resetkeys', 'patterns'));
    }
    if (pattern === '*' && read && write) this.keys = [];
    this.keys.push(keyPattern(pattern, read, write));
  }

  private commands(rule: string): void {
    const add = rule[0] === '+';
    const target = rule.slice(1).toLowerCase();
    let leaves: readonly string[] | undefined;
    if (target === '@all') leaves = this.catalogue.all();
    else if (target.startsWith('@')) leaves = this.catalogue.inCategory(target.slice(1));
    else leaves = this.catalogue.leavesOf(target);
    if (!leaves && add && isSubcommand(this.catalogue, target.slice(0, target.lastIndexOf('|')))) {
      // +config|get|appendonly: a first-arg rule on a subcommand (Redis 7.0's ECHILD).
      throw new AclRuleError('Allowing first-arg of a subcommand is not supported');
    }
    if (!leaves) throw new AclRuleError('Unknown command or category name in ACL');
    if (target === '@all') {
      this.allowed = add ? new Set(leaves) : new Set();
      this.commandRules = [add ? '+@all' : '-@all'];
      return;
    }
    let changed = false;
    for (const leaf of leaves) {
      if (add !== this.allowed.has(leaf)) changed = true;
      if (add) this.allowed.add(leaf);
      else this.allowed.delete(leaf);
    }
    // Redis describes a user by the rules that matter: one that changed nothing is left out.
    if (changed) this.commandRules.push((add ? '+' : '-') + target);
  }

  private refresh(): void {
    this.readsAllKeys = this.keys.some((k) => k.pattern === '*' && k.read);
    this.writesAllKeys = this.keys.some((k) => k.pattern === '*' && k.write);
    this.allChannels = this.channels.includes('*');
    this.channelBytes = this.channels.map((c) => Buffer.from(c, 'latin1'));
    this.unrestricted =
      this.readsAllKeys && this.writesAllKeys && this.allChannels && this.commandRules.length === 1 && this.commandRules[0] === '+@all';
  }

  /**
   * Whether a channel (PUBLISH, SUBSCRIBE) matches one of the user's channel patterns, or a
   * PSUBSCRIBE pattern is literally one of them (Redis ACLCheckChannelAgainstList).
   */
  mayUseChannel(channel: Uint8Array, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const allowed of this.channelBytes) {
      if (isPattern ? Buffer.compare(allowed, channel) === 0 : globMatchBytes(allowed, channel)) return true;
    }
    return false;
  }

  /** The channel patterns, for comparing a user's rights before and after a change. */
  channelPatterns(): readonly string[] {
    return this.channels;
  }

  mayRun(fullName: string): boolean {
    return this.allowed.has(fullName);
  }

  /** A key name held as a latin1 string (plain-mode KEYS, SCAN, RANDOMKEY). */
  mayAccess(key: string, read: boolean, write: boolean): boolean {
    return this.allows((k) => globMatch(k.bytes, key), read, write);
  }

  /** A key name as bytes: a command's key argument, or an opened sealed name. */
  mayAccessBytes(key: Uint8Array, read: boolean, write: boolean): boolean {
    return this.allows((k) => globMatchBytes(k.bytes, key), read, write);
  }

  private allows(matches: (k: KeyPattern) => boolean, read: boolean, write: boolean): boolean {
    for (const k of this.keys) {
      if ((!read || k.read) && (!write || k.write) && matches(k)) return true;
    }
    // Read and write may come from two patterns (%R~a* and %W~a*).
    if (read && write) return this.allows(matches, true, false) && this.allows(matches, false, true);
    return false;
  }

  /**
   * True when a password's SHA-256 hex digest (secret.ts sha256Hex) is one of this user's,
   * compared in constant time against every stored digest; always true for nopass.
   */
  checkDigest(hex: string): boolean {
    if (this.nopass) return true;
    const given = Buffer.from(hex, 'latin1');
    let ok = false;
    for (const stored of this.passwords) {
      if (timingSafeEqual(given, Buffer.from(stored, 'latin1'))) ok = true;
    }
    return ok;
  }

  // ---- descriptions (ACL LIST, ACL GETUSER, ACL SAVE) ----

  flags(): string[] {
    const out = [this.enabled ? 'on' : 'off'];
    if (this.nopass) out.push('nopass');
    if (this.sanitizePayload !== null) out.push(this.sanitizePayload);
    return out;
  }

  describeKeys(): string {
    return this.keys.map((k) => (k.read && k.write ? '~' : k.read ? '%R~' : '%W~') + k.pattern).join(' ');
  }

  describeChannels(): string {
    return this.channels.map((c) => '&' + c).join(' ');
  }

  describeCommands(): string {
    return this.commandRules.join(' ');
  }

  /** The ACL LIST line: `user <name> on|off [nopass] [#hash...] keys channels commands`. */
  describe(): string {
    const parts = ['user', this.name, ...this.flags()];
    for (const p of this.passwords) parts.push('#' + p);
    const keys = this.describeKeys();
    if (keys) parts.push(keys);
    // Redis 7.0 (ACLDescribeSelector): `&*`, or resetchannels followed by each pattern.
    parts.push(this.allChannels ? '&*' : ['resetchannels', ...this.channels.map((c) => '&' + c)].join(' '));
    parts.push(this.describeCommands());
    return parts.join(' ');
  }
}
