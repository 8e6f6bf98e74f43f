// client-output-buffer-limit for normal and pub/sub clients (config.ts checks the setting's
// syntax). A client that stops reading its replies is disconnected once the bytes waiting in its
// socket pass the hard limit, or stay above the soft limit for soft-seconds, instead of growing
// the server's memory without bound. Pushes to subscribers are also checked as they are fanned
// out (pubsub/registry.ts admit).

import type { Config } from '../config.js';

interface ClassLimit {
  hard: number;
  soft: number;
  softMs: number;
}

/** A connection over its soft limit, checked again by the server's cron (see recheck). */
export interface OverSoftLimit {
  recheckOutputLimit(): void;
}

function readClass(value: string, name: 'normal' | 'pubsub'): ClassLimit {
  const m = new RegExp(`${name} (\\d+) (\\d+) (\\d+)`).exec(value);
  return m === null ? { hard: 0, soft: 0, softMs: 0 } : { hard: Number(m[1]), soft: Number(m[2]), softMs: Number(m[3]) * 1000 };
}

export class OutputLimit {
  /** The normal class's hard limit: what one batch of replies may be staged up to (ReplyWriter.cap). */
  hard = 0;
  private normal: ClassLimit = { hard: 0, soft: 0, softMs: 0 };
  private pubsub: ClassLimit = { hard: 0, soft: 0, softMs: 0 };
  /**
   * Connections over a soft limit. Redis's clientsCron checks every client about once a second,
   * so one that stays over the soft limit without being sent anything more is still closed;
   * here only these few are visited, each cron tick.
   */
  private readonly overSoft = new Set<OverSoftLimit>();

  constructor(config: Config) {
    this.read(config.get('client-output-buffer-limit'));
    config.onChange((name, value) => {
      if (name === 'client-output-buffer-limit') this.read(value);
    });
  }

  private read(value: string): void {
    this.normal = readClass(value, 'normal');
    this.pubsub = readClass(value, 'pubsub');
    this.hard = this.normal.hard;
  }

  /** The soft limit of a client's class (0: none). */
  soft(subscribed: boolean): number {
    return (subscribed ? this.pubsub : this.normal).soft;
  }

  /**
   * Whether a client with `pending` unsent bytes must be closed. `since` is when it first went
   * over the soft limit (0 when it is under); the caller keeps it per client.
   */
  exceeded(pending: number, since: number, now: number, subscribed: boolean): boolean {
    const limit = subscribed ? this.pubsub : this.normal;
    if (limit.hard > 0 && pending >= limit.hard) return true;
    return limit.soft > 0 && since > 0 && pending >= limit.soft && now - since >= limit.softMs;
  }

  watch(c: OverSoftLimit): void {
    this.overSoft.add(c);
  }

  unwatch(c: OverSoftLimit): void {
    this.overSoft.delete(c);
  }

  /** Called by the server's cron: each connection over a soft limit checks itself again. */
  recheck(): void {
    for (const c of this.overSoft) c.recheckOutputLimit();
  }
}
