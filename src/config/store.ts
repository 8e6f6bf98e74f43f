// The running configuration: values by name, CONFIG SET all or nothing, change listeners.

import { Errors } from '../protocol/errors.js';
import { BY_NAME, SETTINGS, type SettingSpec } from './settings.js';
import { ConfigError, normalize } from './values.js';

export type ConfigListener = (name: string, value: string) => void;

export class Config {
  private values = new Map<string, string>();
  private listeners: ConfigListener[] = [];

  constructor(overrides: Iterable<[string, string]> = []) {
    for (const s of SETTINGS) this.values.set(s.name, s.default);
    for (const [name, value] of overrides) this.load(name, value);
  }

  /** Sets a value at start-up (config file or command line): immutable settings allowed. */
  load(name: string, value: string): void {
    const spec = BY_NAME.get(name.toLowerCase());
    if (!spec) throw new ConfigError(`unknown setting '${name}'`);
    try {
      this.values.set(spec.name, normalize(spec, value));
    } catch (err) {
      throw new ConfigError(`bad value for '${spec.name}': ${(err as Error).message}`);
    }
  }

  /** CONFIG SET: all or nothing across the given pairs; throws ConfigError with Redis wording. */
  setAtRuntime(pairs: [string, string][]): void {
    const staged: [SettingSpec, string][] = [];
    for (const [name, value] of pairs) {
      const spec = BY_NAME.get(name.toLowerCase());
      if (!spec) throw new ConfigError(Errors.configSetUnknown(name));
      if (!spec.mutable) throw new ConfigError(Errors.configSetInvalid(name, "can't set immutable config"));
      try {
        staged.push([spec, normalize(spec, value)]);
      } catch (err) {
        throw new ConfigError(Errors.configSetInvalid(name, (err as Error).message));
      }
    }
    for (const [spec, value] of staged) {
      this.values.set(spec.name, value);
      for (const l of this.listeners) l(spec.name, value);
    }
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  get(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) throw new ConfigError(`unknown setting '${name}'`);
    return v;
  }

  number(name: string): number {
    return Number(this.get(name));
  }

  flag(name: string): boolean {
    return this.get(name) === 'yes';
  }

  /** Settings whose name matches a glob, for CONFIG GET. */
  matching(matches: (name: string) => boolean): [string, string][] {
    return SETTINGS.filter((s) => matches(s.name)).map((s) => [s.name, this.values.get(s.name)!]);
  }

  /** Settings set away from their default that sealkv does not act on (INFO, start-up warning). */
  notApplied(): string[] {
    return SETTINGS.filter((s) => !s.applied && this.values.get(s.name) !== s.default).map((s) => s.name);
  }

  static spec(name: string): SettingSpec | undefined {
    return BY_NAME.get(name.toLowerCase());
  }
}

