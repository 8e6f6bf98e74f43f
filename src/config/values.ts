// Validation and normalization of one setting's value, with Redis's reasons.

import type { SettingSpec } from './settings.js';

export class ConfigError extends Error {}

/** Redis memtoll: 1k = 1000, 1kb = 1024 (likewise m/mb, g/gb), case-insensitive. */
export function parseBytes(text: string): number | null {
  const m = /^(-?\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * mul[unit]!;
}

// client-output-buffer-limit: "<class> <hard> <soft> <soft-seconds>" quadruples (Redis syntax).
/** Redis's reasons, shown inside CONFIG SET's error. */
const BAD_CLASS = 'Invalid client class specified in buffer limit configuration.';
const BAD_ARGS = 'Wrong number of arguments in buffer limit configuration.';
const BAD_VALUE = 'Error in hard, soft or soft_seconds setting in buffer limit configuration.';

const CLASSES = ['normal', 'slave', 'replica', 'pubsub'];

/** Normalizes the setting (Redis prints bytes and canonical class names); throws Error with Redis's reason. */
export function normalizeOutputLimits(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length % 4 !== 0) throw new Error(BAD_ARGS);
  const byClass = new Map<string, [number, number, number]>([
    ['normal', [0, 0, 0]],
    ['slave', [268435456, 67108864, 60]],
    ['pubsub', [33554432, 8388608, 60]],
  ]);
  for (let i = 0; i < words.length; i += 4) {
    let cls = words[i]!.toLowerCase();
    if (!CLASSES.includes(cls)) throw new Error(BAD_CLASS);
    if (cls === 'replica') cls = 'slave';
    const hard = parseBytes(words[i + 1]!);
    const soft = parseBytes(words[i + 2]!);
    const secs = /^\d+$/.test(words[i + 3]!) ? Number(words[i + 3]) : null;
    if (hard === null || soft === null || secs === null || hard < 0 || soft < 0) throw new Error(BAD_VALUE);
    byClass.set(cls, [hard, soft, secs]);
  }
  return [...byClass].map(([cls, v]) => `${cls} ${v.join(' ')}`).join(' ');
}

export function normalize(spec: SettingSpec, raw: string): string {
  const bad = (why: string) => new ConfigError(why);
  switch (spec.kind) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'yes' && v !== 'no') throw bad('argument must be \'yes\' or \'no\'');
      return v;
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!spec.values!.includes(v)) throw bad('argument(s) must be one of the following: ' + spec.values!.join(', '));
      return v;
    }
    case 'int':
    case 'bytes': {
      const n = spec.kind === 'bytes' ? parseBytes(raw) : /^-?\d+$/.test(raw.trim()) ? Number(raw) : null;
      if (n === null || !Number.isSafeInteger(n)) throw bad(spec.kind === 'bytes' ? 'argument must be a memory value' : 'argument couldn\'t be parsed into an integer');
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(`argument must be between ${spec.min ?? '-inf'} and ${spec.max ?? 'inf'} inclusive`);
      }
      return String(n);
    }
    default:
      return spec.check ? spec.check(raw) : raw;
  }
}

