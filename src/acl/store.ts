// The server's users: the default user (tied to requirepass), the ACL file (--aclfile, ACL LOAD
// and ACL SAVE), authentication, and the ACL LOG of denied commands and failed logins.

import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { inDir } from '../util/in-dir.js';
import { ConfigError, type Config } from '../config.js';
import { Errors } from '../protocol/errors.js';
import { aclFileWords, hashedSettingText, sha256Hex } from './secret.js';
import type { CommandCatalogue } from './catalogue.js';
import { AclUser, type RulesFault } from './user.js';

export type DenialReason = 'command' | 'key' | 'auth' | 'channel';

export interface AclLogEntry {
  count: number;
  reason: DenialReason;
  context: 'toplevel' | 'multi' | 'lua';
  object: string;
  username: string;
  createdAt: number;
  updatedAt: number;
  clientInfo: string;
}

/** Redis's start-up refusal, word for word. */
const USERS_AND_FILE =
  'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.';

/** An ACL file line or config `user` line with a `(` never closed. */
const UNMATCHED = 'Unmatched parenthesis in selector definition.';

/** The window in which equal denials are grouped. */
const LOG_GROUP_MS = 60_000;

export class AclStore {
  private users = new Map<string, AclUser>();
  readonly log: AclLogEntry[] = [];

  constructor(
    private readonly config: Config,
    readonly catalogue: CommandCatalogue,
  ) {
    this.users.set('default', this.freshDefault());
    this.applyRequirepass(config.get('requirepass'));
    config.onChange((name, value) => {
      if (name === 'requirepass') this.applyRequirepass(value);
    });
    if (this.file) this.replaceAll(this.readFile());
    this.addConfiguredUsers(config.users);
  }

  /** `user` lines of the config file (Redis refuses them beside an ACL file, and so does sealkv). */
  private addConfiguredUsers(users: readonly string[][]): void {
    if (users.length === 0) return;
    if (this.file) throw new ConfigError(USERS_AND_FILE);
    const seen = new Set<string>();
    for (const [name, ...rules] of users) {
      if (seen.has(name!)) throw new ConfigError(`Error in user declaration '${name}': Duplicate user found. A user can only be defined once in config files`);
      seen.add(name!);
      if (name === 'default') this.defaultUser.apply('reset');
      const problem = this.setUser(name!, rules);
      if (problem !== null) throw new ConfigError(`Error in user declaration '${name}': ${'unmatched' in problem ? UNMATCHED : problem.reason}`);
    }
  }

  get file(): string {
    return this.config.get('aclfile');
  }

  private get path(): string {
    return inDir(this.file, this.config.get('dir'));
  }

  get defaultUser(): AclUser {
    return this.users.get('default')!;
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  names(): string[] {
    return [...this.users.keys()].sort();
  }

  /** Redis's default user: on, nopass, every key, channel and command. */
  private freshDefault(): AclUser {
    const u = new AclUser('default', this.catalogue);
    for (const r of ['on', 'nopass', '~*', '&*', '+@all']) u.apply(r);
    return u;
  }

  /**
   * requirepass is the default user's password (Redis: "resetpass >pw", or "nopass" when
   * empty). The setting holds its digest, `#<sha256>` (secret.ts hashedSetting).
   */
  private applyRequirepass(value: string): void {
    const u = this.defaultUser;
    const hashed = hashedSettingText(value);
    if (hashed === '') u.apply('nopass');
    else {
      u.apply('resetpass');
      u.apply(hashed);
    }
  }

  /**
   * ACL SETUSER: all rules or none, each already safe to keep (secret.ts safeRule); returns
   * null, or which rule failed and why (the caller words the error from the rule's own bytes).
   * `merged`: selectors spread over several arguments are already one rule each.
   */
  setUser(name: string, rules: readonly string[], merged = false): RulesFault | null {
    const existing = this.users.get(name);
    const draft = existing ? existing.clone() : this.newUser(name);
    // `reset` takes acl-pubsub-default as it is now, not as it was when the user was made.
    draft.pubsubDefault = this.pubsubDefault();
    const fault = draft.applyAll(rules, merged);
    if (fault !== null) return fault;
    // The same object stays in place so connected clients see the new rules at once.
    if (existing) existing.copyFrom(draft);
    else this.users.set(name, draft);
    return null;
  }

  private newUser(name: string): AclUser {
    const u = new AclUser(name, this.catalogue);
    // Redis 7.0 creates users with acl-pubsub-default's channels (resetchannels unless set).
    u.pubsubDefault = this.pubsubDefault();
    u.apply(u.pubsubDefault);
    return u;
  }

  private pubsubDefault(): AclUser['pubsubDefault'] {
    return this.config.get('acl-pubsub-default') === 'allchannels' ? 'allchannels' : 'resetchannels';
  }

  /** Removes users; returns the removed ones (their clients are then disconnected). */
  delete(names: readonly string[]): AclUser[] {
    const removed: AclUser[] = [];
    for (const n of names) {
      const u = this.users.get(n);
      if (u && this.users.delete(n)) removed.push(u);
    }
    return removed;
  }

  /**
   * The user a name/password pair opens, or null (unknown, disabled or wrong password). The
   * password is hashed whatever the user, so the time taken does not tell which names exist.
   */
  authenticate(name: string, pass: Uint8Array): AclUser | null {
    const digest = sha256Hex(pass);
    const u = this.users.get(name);
    if (!u || !u.enabled) return null;
    return u.checkDigest(digest) ? u : null;
  }

  record(reason: DenialReason, context: 'toplevel' | 'multi' | 'lua', object: string, username: string, clientInfo: string, now: number): void {
    const same = this.log.find(
      (e) => e.reason === reason && e.context === context && e.object === object && e.username === username && now - e.updatedAt < LOG_GROUP_MS,
    );
    if (same) {
      same.count++;
      same.updatedAt = now;
      same.clientInfo = clientInfo;
      // The latest event leads the log, grouped or not.
      this.log.splice(this.log.indexOf(same), 1);
      this.log.unshift(same);
      return;
    }
    this.log.unshift({ count: 1, reason, context, object, username, createdAt: now, updatedAt: now, clientInfo });
    // Trimmed as entries come, as Redis does: lowering acllog-max-len shortens the log at the next one.
    const max = this.config.number('acllog-max-len');
    if (this.log.length > max) this.log.length = max;
  }

  // ---- ACL file ----

  /** Parses the ACL file into fresh users; throws ConfigError naming the file and line. */
  private readFile(): Map<string, AclUser> {
    const path = this.file;
    let lines: string[][];
    try {
      // Read as bytes: password rules become digests before anything is a string.
      lines = aclFileWords(readFileSync(this.path));
    } catch (err) {
      throw new ConfigError(`cannot read ACL file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const users = new Map<string, AclUser>();
    lines.forEach((words, i) => {
      if (words.length === 0 || words[0]!.startsWith('#')) return;
      const where = `${path}:${i + 1}`;
      const [kw, name, ...rules] = words;
      if (kw !== 'user' || !name) throw new ConfigError(`${where}: should start with user keyword`);
      if (users.has(name)) throw new ConfigError(`${where}: Duplicate user '${name}' found`);
      // Every line, default's too, starts from a new user (Redis's ACLCreateUser, no reset).
      const u = this.newUser(name);
      const fault = u.applyAll(rules);
      if (fault !== null) throw new ConfigError(`${where}: Error in user declaration '${name}': ${'unmatched' in fault ? UNMATCHED : fault.reason}`);
      users.set(name, u);
    });
    return users;
  }

  /**
   * Installs loaded users. As in Redis 7.0 every other user is replaced by a new object, so the
   * connections of the old ones are closed (acl.ts dropOrphans) and must log in again under the
   * file's rules and passwords; the default user is updated in place and keeps its connections.
   */
  private replaceAll(loaded: Map<string, AclUser>): void {
    const fresh = loaded.get('default') ?? this.freshDefault();
    const current = this.defaultUser;
    current.copyFrom(fresh);
    loaded.set('default', current);
    this.users = loaded;
  }

  /** ACL LOAD: all or nothing; returns null or the error reply. */
  load(): string | null {
    if (!this.file) return Errors.aclNoFile;
    try {
      this.replaceAll(this.readFile());
    } catch (err) {
      if (err instanceof ConfigError) return 'ERR ' + err.message;
      throw err;
    }
    return null;
  }

  /** ACL SAVE: written to a temporary file then renamed, owner-only (it holds password hashes). */
  save(): string | null {
    if (!this.file) return Errors.aclNoFile;
    const text = this.names().map((n) => this.users.get(n)!.describe() + '\n').join('');
    const tmp = `${this.path}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    } catch {
      return Errors.aclSaveFailed;
    }
    return null;
  }
}
