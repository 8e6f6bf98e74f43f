// Server counters behind INFO stats and errorstats; CONFIG RESETSTAT zeroes them.

import type { ServerStats } from './commands/types.js';

export class Stats implements ServerStats {
  keyspaceHits = 0;
  keyspaceMisses = 0;
  expiredKeys = 0;
  dirty = 0;
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  errorReplies = 0;
  errorsByPrefix = new Map<string, number>();
  sealFailures = 0;
  evictedKeys = 0;

  countError(message: string): void {
    this.errorReplies++;
    const space = message.indexOf(' ');
    const prefix = space < 0 ? message : message.slice(0, space);
    // Bounded like Redis's errorstats: odd prefixes beyond 128 distinct ones are not tracked.
    if (this.errorsByPrefix.has(prefix) || this.errorsByPrefix.size < 128) {
      this.errorsByPrefix.set(prefix, (this.errorsByPrefix.get(prefix) ?? 0) + 1);
    }
  }

  reset(): void {
    this.keyspaceHits = this.keyspaceMisses = this.expiredKeys = 0;
    this.totalConnections = this.rejectedConnections = this.totalCommands = 0;
    this.netInputBytes = this.netOutputBytes = this.errorReplies = 0;
    this.errorsByPrefix.clear();
    this.sealFailures = 0;
    this.evictedKeys = 0;
  }
}
