// The running configuration: values by name, CONFIG SET all or nothing (Redis 7 configSetCommand
// order of checks and rollback), change listeners, and the start-up-only directives.

import { Errors } from '../protocol/errors.js';
import { BY_NAME, SETTINGS, type SettingSpec } from './settings.js';
import { ConfigError, normalize, splitSetValue } from './values.js';
import { splitArgs } from './words.js';

export type ConfigListener = (name: string, value: string) => void;
/**
 * Applies settings that take waiting (opening listeners): CONFIG SET answers once it is done.
 * `name` is the first of its settings the command gave. Throws Error with Redis's reason.
 */
export type ConfigApplier = (name: string) => Promise<void>;

export interface SetOptions {
  /** enable-protected-configs allows this client to set dir and dbfilename. */
  protectedAllowed?: boolean;
}

export class Config {
  private values = new Map<string, string>();
  /**
   * number()'s answers by the name asked, emptied whenever any value changes: hot paths ask
   * per request (list-max-listpack-size for every list command, client-query-buffer-limit
   * for every read), and the lookup by spec, lower-casing and parsing cost ~0.05 us each time.
   */
  private numbers = new Map<string, number>();
  private listeners: ConfigListener[] = [];
  private readonly appliers = new Map<string, ConfigApplier>();
  /** A CONFIG SET waiting for its appliers: the next one waits for it (its rollback must not undo another's change). */
  private applying: Promise<void> | null = null;
  /** rename-command directives in file order, for the command table at start (empty = disable). */
  readonly renamedCommands: [string, string][] = [];
  /** `user` directives: a name and its ACL rules. */
  readonly users: string[][] = [];
  /** Directives Redis reads and ignores (list-max-ziplist-entries ...), reported as not acted on. */
  readonly ignoredDirectives: string[] = [];

  constructor(overrides: Iterable<[string, string | string[]]> = []) {
    for (const s of SETTINGS) this.values.set(s.name, s.default);
    for (const [name, value] of overrides) this.load(name, value);
  }

  /**
   * Sets a value at start-up (config file or command line): immutable settings allowed. `value`
   * is the words after the name, or one string (split like a CONFIG SET value).
   */
  load(name: string, value: string | string[]): void {
    const spec = Config.spec(name);
    if (!spec) throw new ConfigError(`unknown setting '${name}'`);
    let args = typeof value === 'string' ? splitSetValue(spec, value) : value;
    // As redis-server 7.0: one non-empty word for a several-word setting is split (--save "900 1").
    if (spec.multi && args.length === 1 && args[0] !== '') args = splitArgs(args[0]!) ?? args;
    this.values.set(spec.name, normalize(spec, args, this.values.get(spec.name)!));
    this.numbers.clear();
  }

  /**
   * CONFIG SET: all or nothing across the given pairs; throws ConfigError with Redis wording.
   * Returns a Promise when an applier must wait (then it rejects with the ConfigError).
   */
  setAtRuntime(pairs: [string, string][], options: SetOptions = {}): void | Promise<void> {
    if (this.applying !== null) return this.applying.then(() => this.setAtRuntime(pairs, options));
    const unknown = pairs.find(([n]) => !Config.spec(n));
    if (unknown) throw new ConfigError(Errors.configSetUnknown(unknown[0]));
    // Redis registers an alias as a setting of its own: "slave-read-only no replica-read-only yes" is no duplicate.
    const seen = new Set<string>();
    const unchanged = new Set<string>();
    for (const [n, value] of pairs) {
      const spec = Config.spec(n)!;
      if (!spec.mutable) {
        if (!spec.sameValueOk || !this.holds(spec, value)) throw new ConfigError(Errors.configSetInvalid(n, "can't set immutable config"));
        unchanged.add(n.toLowerCase());
      }
      if (spec.protected && !options.protectedAllowed) throw new ConfigError(Errors.configSetInvalid(n, "can't set protected config"));
      if (seen.has(n.toLowerCase())) throw new ConfigError(Errors.configSetInvalid(n, 'duplicate parameter'));
      seen.add(n.toLowerCase());
    }
    const before = new Map(this.values);
    const changed: SettingSpec[] = [];
    for (const [n, value] of pairs) {
      if (unchanged.has(n.toLowerCase())) continue;
      const spec = Config.spec(n)!;
      try {
        this.values.set(spec.name, normalize(spec, splitSetValue(spec, value), this.values.get(spec.name)!));
        this.numbers.clear();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        this.values = before;
        this.numbers.clear();
        // Redis names the setting as registered: the alias when the client used the alias.
        throw new ConfigError(Errors.configSetInvalid(n.toLowerCase(), err.message));
      }
      changed.push(spec);
    }
    this.notify(changed, before);
    const appliers: [ConfigApplier, string][] = [];
    for (const spec of changed) {
      const applier = this.appliers.get(spec.name);
      if (applier && !appliers.some(([a]) => a === applier)) appliers.push([applier, pairs.find(([n]) => Config.spec(n) === spec)![0].toLowerCase()]);
    }
    if (appliers.length === 0) return;
    const done = this.runAppliers(appliers, changed, before);
    this.applying = done.then(() => undefined, () => undefined).finally(() => (this.applying = null));
    return done;
  }

  /** Redis's apply step: on a failure every changed value goes back, and is applied again. */
  private async runAppliers(appliers: [ConfigApplier, string][], changed: SettingSpec[], before: Map<string, string>): Promise<void> {
    for (const [apply, name] of appliers) {
      try {
        await apply(name);
      } catch (err) {
        this.restore(changed, before);
        for (const [again, againName] of appliers) await again(againName).catch(() => undefined);
        throw new ConfigError(Errors.configSetInvalid(name, (err as Error).message));
      }
    }
  }

  /** Settings whose CONFIG SET waits for `applier` (Redis's apply functions that can fail). */
  onApply(names: string[], applier: ConfigApplier): void {
    for (const name of names) this.appliers.set(Config.spec(name)!.name, applier);
  }

  /** Whether `value` (as CONFIG SET would read it) is what the setting holds now. */
  private holds(spec: SettingSpec, value: string): boolean {
    const current = this.values.get(spec.name)!;
    try {
      return normalize(spec, splitSetValue(spec, value), current) === current;
    } catch (err) {
      if (err instanceof ConfigError) return false;
      throw err;
    }
  }

  /** Tells listeners; one that throws rolls every value back, so CONFIG SET can never leave half a change. */
  private notify(changed: SettingSpec[], before: Map<string, string>): void {
    let current: SettingSpec | undefined;
    try {
      for (const spec of changed) {
        current = spec;
        for (const l of this.listeners) l(spec.name, this.values.get(spec.name)!);
      }
    } catch (err) {
      this.restore(changed, before);
      throw new ConfigError(Errors.configSetInvalid(current!.name, (err as Error).message));
    }
  }

  /** Puts the changed settings back to their values in `before` and tells the listeners so. */
  private restore(changed: SettingSpec[], before: Map<string, string>): void {
    for (const spec of changed) this.values.set(spec.name, before.get(spec.name)!);
    this.numbers.clear();
    for (const spec of changed) {
      for (const l of this.listeners) {
        try {
          l(spec.name, before.get(spec.name)!);
        } catch {
          // The old value was accepted before; nothing better to restore.
        }
      }
    }
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  get(name: string): string {
    const spec = Config.spec(name);
    if (!spec) throw new ConfigError(`unknown setting '${name}'`);
    return this.values.get(spec.name)!;
  }

  number(name: string): number {
    let n = this.numbers.get(name);
    if (n === undefined) {
      n = Number(this.get(name));
      this.numbers.set(name, n);
    }
    return n;
  }

  flag(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** A several-word setting's words (bind addresses). */
  list(name: string): string[] {
    return this.get(name).split(' ').filter(Boolean);
  }

  /** Settings and aliases whose name matches, for CONFIG GET patterns (hidden ones excluded). */
  matching(matches: (name: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const s of SETTINGS) {
      if (s.hidden) continue;
      for (const n of s.alias ? [s.name, s.alias] : [s.name]) if (matches(n)) out.push([n, this.values.get(s.name)!]);
    }
    return out;
  }

  /** Settings set away from their default that sealkv does not act on (INFO, start-up log), then ignored directives. */
  notApplied(): string[] {
    const set = SETTINGS.filter((s) => !s.applied && this.values.get(s.name) !== s.default).map((s) => s.name);
    return [...set, ...this.ignoredDirectives];
  }

  /** A setting by its name or alias, any case. */
  static spec(name: string): SettingSpec | undefined {
    return BY_NAME.get(name.toLowerCase());
  }
}
