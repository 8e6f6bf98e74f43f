// One ACL user: its switches, password hashes, and selectors (the root one first, then any
// `(...)` ones), with Redis's rule syntax (ACL SETUSER) and description (ACL LIST). Passwords
// are kept only as SHA-256 hex digests: rules reach this class with `>pw` / `<pw` already turned
// into `#digest` / `!digest` from bytes (secret.ts safeRule), so a password is never a string here.

import { timingSafeEqual } from 'node:crypto';
import type { CommandCatalogue } from './catalogue.js';
import { AclRuleError, AclSelector, READ } from './selector.js';

const HASH_RE = /^[0-9a-f]{64}$/;
const BAD_HASH = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';

/** Rules that failed: the merged rule as Redis quotes it and why, or an unclosed `(`. */
export type RulesFault = { index: number; rule: string; reason: string } | { unmatched: number };

/** An argument's first or last character code, for strings and bytes alike. */
function codeAt(arg: string | Uint8Array, i: number): number | undefined {
  return typeof arg === 'string' ? (i < arg.length ? arg.charCodeAt(i) : undefined) : arg[i];
}

const OPEN = 0x28; // '('
const CLOSE = 0x29; // ')'

/**
 * Redis's ACLMergeSelectorArguments: a selector may be spread over several arguments
 * (`(~k` `+get)`), to be joined with spaces. Returns each merged rule's range of arguments, or
 * the index of a `(` never closed.
 */
export function mergeSelectorArgs(args: readonly (string | Uint8Array)[]): { merged: { start: number; end: number }[] } | { unmatched: number } {
  const merged: { start: number; end: number }[] = [];
  let open = -1;
  for (let j = 0; j < args.length; j++) {
    const op = args[j]!;
    const closes = codeAt(op, op.length - 1) === CLOSE;
    // A `(` that does not close restarts the selector, even inside another one (as Redis).
    if (codeAt(op, 0) === OPEN && !closes) {
      open = j;
      continue;
    }
    if (open >= 0) {
      if (closes) {
        merged.push({ start: open, end: j + 1 });
        open = -1;
      }
      continue;
    }
    merged.push({ start: j, end: j + 1 });
  }
  return open >= 0 ? { unmatched: open } : { merged };
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
  /** The root selector first, then the `(...)` ones in the order given. */
  private selectorList: AclSelector[];
  /** What `reset` leaves the channels at, and what a new selector starts with: acl-pubsub-default. */
  pubsubDefault: 'allchannels' | 'resetchannels' = 'resetchannels';
  /** Some selector allows every command, key and channel: the dispatcher skips checks. */
  unrestricted = false;
  /** Some selector allows every channel: the dispatcher skips channel checks. */
  allChannels = false;
  /** Some selector reads every key (KEYS/SCAN/RANDOMKEY need no filtering). */
  readsAllKeys = false;

  constructor(readonly name: string, readonly catalogue: CommandCatalogue) {
    this.selectorList = [new AclSelector(catalogue)];
  }

  get root(): AclSelector {
    return this.selectorList[0]!;
  }

  get selectors(): readonly AclSelector[] {
    return this.selectorList;
  }

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
    this.selectorList = other.selectorList.map((s) => s.copy(this.catalogue));
    this.pubsubDefault = other.pubsubDefault;
    this.refresh();
  }

  /**
   * ACL SETUSER's rules, a config `user` line's or an ACL file line's: selectors spread over
   * several rules merged first (unless the caller has: `merged`), then each applied; stops at
   * the first that fails.
   */
  applyAll(rules: readonly string[], merged = false): RulesFault | null {
    const m = merged ? { merged: rules.map((_, i) => ({ start: i, end: i + 1 })) } : mergeSelectorArgs(rules);
    if ('unmatched' in m) return m;
    for (const { start, end } of m.merged) {
      const rule = rules.slice(start, end).join(' ');
      try {
        this.apply(rule);
      } catch (err) {
        if (err instanceof AclRuleError) return { index: start, rule, reason: err.message };
        throw err;
      }
    }
    return null;
  }

  /** Applies one rule (ACLSetUser); throws AclRuleError with Redis's reason. */
  apply(rule: string): void {
    if (rule === '') return;
    const lower = rule.toLowerCase();
    switch (lower) {
      case 'on': this.enabled = true; break;
      case 'off': this.enabled = false; break;
      case 'sanitize-payload': this.sanitizePayload = 'sanitize-payload'; break;
      case 'skip-sanitize-payload': this.sanitizePayload = 'skip-sanitize-payload'; break;
      case 'nopass': this.nopass = true; this.passwords.clear(); break;
      case 'resetpass': this.nopass = false; this.passwords.clear(); break;
      case 'clearselectors': this.selectorList.length = 1; break;
      case 'reset':
        for (const r of ['resetpass', 'resetkeys', 'resetchannels', ...(this.pubsubDefault === 'allchannels' ? ['allchannels'] : [])]) this.apply(r);
        for (const r of ['off', 'sanitize-payload', 'clearselectors', '-@all']) this.apply(r);
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
    } else if (head === '(' && rule[rule.length - 1] === ')') {
      this.selectorList.push(AclSelector.fromOpSet(this.catalogue, rule, this.pubsubDefault === 'allchannels'));
    } else {
      this.root.apply(rule);
    }
  }

  private refresh(): void {
    this.unrestricted = this.selectorList.some((s) => s.unrestricted);
    this.allChannels = this.selectorList.some((s) => s.allChannels);
    this.readsAllKeys = this.selectorList.some((s) => s.allKeysWith(READ));
  }

  /**
   * Every channel pattern of every selector: what the user may subscribe to, for comparing a
   * user's rights before and after a change (ACLKillPubsubClientsIfNeeded's "upcoming" list).
   */
  channelPatterns(): readonly string[] {
    return this.selectorList.flatMap((s) => s.channelPatterns());
  }

  /** Whether some selector allows the channel (ACLUserCheckChannelPerm). */
  mayUseChannel(channel: Uint8Array, isPattern: boolean): boolean {
    return this.selectorList.some((s) => s.mayUseChannel(channel, isPattern));
  }

  /** Whether some selector allows reading the key (ACLUserCheckKeyPerm): KEYS and SCAN filtering. */
  mayRead(key: string): boolean {
    return this.selectorList.some((s) => s.mayAccess(key, READ));
  }

  mayReadBytes(key: Uint8Array): boolean {
    return this.selectorList.some((s) => s.mayAccessBytes(key, READ));
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

  /** The ACL LIST line: `user <name> on|off [nopass] [#hash...] <root> (<selector>)...`. */
  describe(): string {
    const parts = ['user', this.name, ...this.flags()];
    for (const p of this.passwords) parts.push('#' + p);
    parts.push(this.root.describe());
    for (const s of this.selectorList.slice(1)) parts.push(`(${s.describe()})`);
    return parts.join(' ');
  }
}
