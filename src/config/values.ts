// Validation and normalization of one setting's value, the way redis-server 7.0 parses it
// (config.c numericParseString / memtoull / string2ll), with Redis's reasons. Numbers are
// BigInts: Redis settings reach 2^64-1, past what a JS number holds exactly.

import { hashedSettingText } from '../acl/secret.js';
import type { SettingSpec } from './settings.js';

export class ConfigError extends Error {}

const LLONG_MIN = -(2n ** 63n);
const LLONG_MAX = 2n ** 63n - 1n;
const ULLONG_MAX = 2n ** 64n - 1n;

const UNITS: Record<string, bigint> = { '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n ** 2n, mb: 1024n ** 2n, g: 1000n ** 3n, gb: 1024n ** 3n };

/**
 * Redis memtoull: digits then an optional unit (1k = 1000, 1kb = 1024, likewise m/mb, g/gb, any
 * case). As in Redis, digits past 2^64-1 saturate, the unit multiplies modulo 2^64 and an empty
 * number is 0. Null when it is not a memory value.
 */
export function memtoull(text: string): bigint | null {
  const m = /^(\d*)(.*)$/s.exec(text)!;
  const mul = UNITS[m[2]!.toLowerCase()];
  if (mul === undefined || m[1]!.length >= 128) return null;
  let n = m[1] === '' ? 0n : BigInt(m[1]!);
  if (n > ULLONG_MAX) n = ULLONG_MAX;
  return BigInt.asUintN(64, n * mul);
}

/** Memory sizes for sealkv's own uses: a JS number, null when not a memory value. */
export function parseBytes(text: string): number | null {
  const n = memtoull(text.trim());
  return n === null ? null : Number(n);
}

/** Redis string2ll: strict decimal (no sign but '-', no leading zeros, no spaces), 64-bit. */
export function string2ll(text: string): bigint | null {
  if (!/^(0|-?[1-9]\d*)$/.test(text) || text.length > 21) return null;
  const n = BigInt(text);
  return n < LLONG_MIN || n > LLONG_MAX ? null : n;
}

/**
 * C strtoll(text, &end, 10) followed by Redis's "*end == '\0'" check: leading white space and
 * a sign allowed, saturating at the 64-bit bounds, "" reads as 0. Null on trailing garbage.
 */
export function strtoll(text: string, radix = 10): bigint | null {
  if (text === '') return 0n;
  const digits = radix === 8 ? '[0-7]+' : '\\d+';
  const m = new RegExp(`^[ \\t\\n\\v\\f\\r]*([+-]?)(${digits})$`).exec(text);
  if (!m) return null;
  let n = BigInt((radix === 8 ? '0o' : '') + m[2]);
  if (m[1] === '-') n = -n;
  return n < LLONG_MIN ? LLONG_MIN : n > LLONG_MAX ? LLONG_MAX : n;
}

/** Whether strtoll would overflow (Redis's octal parse checks errno). */
function overflows(text: string, radix: number): boolean {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\w+)$/.exec(text);
  if (!m) return false;
  const n = BigInt((radix === 8 ? '0o' : '') + m[2]) * (m[1] === '-' ? -1n : 1n);
  return n < LLONG_MIN || n > LLONG_MAX;
}

/** A numeric setting's text -> the 64-bit value Redis holds (memory values wrap to signed). */
function parseNumeric(spec: SettingSpec, raw: string): bigint {
  if (spec.kind === 'memory') {
    const n = memtoull(raw);
    if (n !== null) return BigInt.asIntN(64, n);
    if (spec.percent && raw.length > 1 && raw.endsWith('%')) {
      const p = string2ll(raw.slice(0, -1));
      if (p !== null && p >= 0n) return -p;
    }
    throw new ConfigError(spec.percent ? 'argument must be a memory or percent value' : 'argument must be a memory value');
  }
  if (spec.kind === 'octal') {
    const n = strtoll(raw, 8);
    if (n !== null && !overflows(raw, 8)) return n;
    throw new ConfigError("argument couldn't be parsed as an octal number");
  }
  const n = string2ll(raw);
  if (n === null) throw new ConfigError("argument couldn't be parsed into an integer");
  return n;
}

/** Redis numericBoundaryCheck, then the text CONFIG GET shows for the value. */
function numeric(spec: SettingSpec, raw: string): string {
  const n = parseNumeric(spec, raw);
  const min = spec.min!;
  const max = spec.max!;
  const show = (b: bigint) => (spec.kind === 'octal' ? b.toString(8) : b.toString());
  if (spec.unsigned) {
    const u = BigInt.asUintN(64, n);
    if (u > max || u < min) throw new ConfigError(`argument must be between ${show(min)} and ${show(max)} inclusive`);
  } else if (spec.percent && n < 0n) {
    if (n < min) throw new ConfigError(`percentage argument must be less or equal to ${-min}`);
    return `${-n}%`;
  } else if (n > max || n < min) {
    throw new ConfigError(`argument must be between ${min} and ${max} inclusive`);
  }
  let v = spec.unsigned || spec.kind === 'memory' ? BigInt.asUintN(64, n) : n;
  if (spec.adjust) v = spec.adjust(v);
  return show(v);
}

function oneOf(spec: SettingSpec, args: string[]): string {
  const values = spec.values!;
  const accepted = [...values, ...(spec.extra ?? [])];
  const reason = 'argument(s) must be one of the following: ' + values.join(', ');
  if (args.length !== 1) throw new ConfigError(reason);
  const v = args[0]!.toLowerCase();
  if (!accepted.includes(v)) throw new ConfigError(reason);
  return v;
}

/**
 * The value CONFIG GET shows for `args` (the words of a config-file line after the name, or a
 * CONFIG SET value split as Redis splits it); throws ConfigError with Redis's reason.
 * `current` is the value now (settings like client-output-buffer-limit change part of it).
 */
export function normalize(spec: SettingSpec, args: string[], current: string): string {
  if (!spec.multi && args.length !== 1) throw new ConfigError('wrong number of arguments');
  const raw = args[0] ?? '';
  switch (spec.kind) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw new ConfigError("argument must be 'yes' or 'no'");
      return v;
    }
    case 'enum':
      return oneOf(spec, args);
    case 'int':
    case 'memory':
    case 'octal':
      return numeric(spec, raw);
    case 'string': {
      const why = spec.check?.(raw);
      if (why) throw new ConfigError(why);
      return spec.digest ? hashedSettingText(raw) : raw;
    }
    case 'special':
      try {
        return spec.parse!(args, current);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
  }
}

/** How CONFIG SET splits a several-word setting's value: on every single space (Redis sdssplitlen). */
export function splitSetValue(spec: SettingSpec, value: string): string[] {
  if (!spec.multi) return [value];
  return value === '' ? [] : value.split(' ');
}
