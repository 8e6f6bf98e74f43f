// maxmemory-clients (redis evictClients): when the memory of normal and pub/sub connections
// together reaches the limit, the largest evictable ones are closed until it is below. A
// connection with CLIENT NO-EVICT on, and a replica's link, is never chosen, but a NO-EVICT
// connection's memory still counts toward the limit, as in Redis.
//
// What a connection holds is recounted as it changes (src/net/client.ts recount), so the check
// before each command, after each read and write and on the cron is one comparison; the choice
// (O(connections), sorted by size) runs only once the limit is reached and an evictable
// connection is there to be closed.

import type { Config } from '../config.js';
import type { MemoryAccount } from '../store/memory.js';

/** Redis's floor, so that a mistaken setting still lets one talk to the server. */
const LEAST_LIMIT = 128 * 1024;

/** What eviction needs of a connection. */
export interface EvictableClient {
  readonly id: number;
  readonly closed: boolean;
  /** Whether client eviction may close it (not NO-EVICT, not a replica's link). */
  readonly evictable: boolean;
  /** Its memory as last recounted (CLIENT LIST tot-mem less a command's arguments in flight). */
  readonly memoryTotal: number;
  /** Closes it, for the reason given, at once. */
  evict(): void;
}

export class ClientEviction {
  /** The limit in bytes; Infinity while maxmemory-clients is 0 (or a percentage of no maxmemory). */
  limit = Infinity;
  /** Set while evicting: a closing connection recounts itself, which must not start another round. */
  private evicting = false;

  constructor(
    private readonly config: Config,
    private readonly account: MemoryAccount,
    private readonly clients: () => Iterable<EvictableClient>,
    private readonly stats: { evictedClients: number },
    private readonly onEvict: (c: EvictableClient) => void,
  ) {
    this.read();
    config.onChange((name) => {
      if (name !== 'maxmemory-clients' && name !== 'maxmemory') return;
      this.read();
      // A lower limit is enforced at once (redis applyClientMaxMemoryUsage).
      this.check();
    });
  }

  /** redis getClientEvictionLimit: bytes, or a percentage ("7%") of maxmemory. */
  private read(): void {
    const text = this.config.get('maxmemory-clients');
    const maxmemory = this.config.number('maxmemory');
    let limit = Infinity;
    if (text.endsWith('%')) {
      if (maxmemory > 0) limit = Math.floor((maxmemory * Number(text.slice(0, -1))) / 100);
    } else {
      const bytes = this.config.number('maxmemory-clients');
      if (bytes > 0) limit = bytes;
    }
    this.limit = Number.isFinite(limit) ? Math.max(limit, LEAST_LIMIT) : Infinity;
  }

  /** Whether connections must be closed now: one comparison while under the limit. */
  get over(): boolean {
    return this.account.clientsNormal >= this.limit && this.account.clientsEvictable > 0;
  }

  /** Closes the largest evictable connections until the limit holds again; returns how many. */
  check(): number {
    if (!this.over || this.evicting) return 0;
    this.evicting = true;
    let evicted = 0;
    try {
      const candidates = [...this.clients()].filter((c) => c.evictable && !c.closed);
      candidates.sort((a, b) => b.memoryTotal - a.memoryTotal);
      for (const c of candidates) {
        if (this.account.clientsNormal < this.limit) break;
        this.onEvict(c);
        c.evict();
        this.stats.evictedClients++;
        evicted++;
      }
    } finally {
      this.evicting = false;
    }
    return evicted;
  }
}
