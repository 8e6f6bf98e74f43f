// client-output-buffer-limit for normal clients (Redis syntax: "<class> <hard> <soft> <soft-seconds>"
// quadruples). A client that stops reading its replies is disconnected once the bytes waiting in
// its socket pass the hard limit, or stay above the soft limit for soft-seconds, instead of
// growing the server's memory without bound.

import { parseBytes, type Config } from './config.js';

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

export class OutputLimit {
  hard = 0;
  soft = 0;
  softMs = 0;

  constructor(config: Config) {
    this.read(config.get('client-output-buffer-limit'));
    config.onChange((name, value) => {
      if (name === 'client-output-buffer-limit') this.read(value);
    });
  }

  private read(value: string): void {
    const normal = /normal (\d+) (\d+) (\d+)/.exec(value)!;
    this.hard = Number(normal[1]);
    this.soft = Number(normal[2]);
    this.softMs = Number(normal[3]) * 1000;
  }

  /**
   * Whether a client with `pending` unsent bytes must be closed. `since` is when it first went
   * over the soft limit (0 when it is under); the caller keeps it per client.
   */
  exceeded(pending: number, since: number, now: number): boolean {
    if (this.hard > 0 && pending >= this.hard) return true;
    return this.soft > 0 && since > 0 && pending >= this.soft && now - since >= this.softMs;
  }
}
