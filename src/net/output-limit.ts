// client-output-buffer-limit for normal clients (config.ts checks the setting's syntax). A client
// that stops reading its replies is disconnected once the bytes waiting in its socket pass the
// hard limit, or stay above the soft limit for soft-seconds, instead of growing the server's
// memory without bound.

import type { Config } from '../config.js';

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
