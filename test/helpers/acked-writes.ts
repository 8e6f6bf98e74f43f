// A steady write load for failover tests that records which writes WAIT acknowledged.
//
// The client must be made with `sentinelClientOptions` below. ioredis resends, by default, the
// commands a dropped connection left unanswered, on the next connection: a WAIT cut off by the
// primary's death would then be answered by the new primary, where a fresh connection has
// written nothing and WAIT returns at once, and the test would count a write nobody had
// acknowledged. Without the resend ioredis leaves those commands unsettled (it neither sends nor
// rejects them), so a command timeout settles them as failures.

import type { Redis, RedisOptions } from 'ioredis';

export const sentinelClientOptions: Partial<RedisOptions> = {
  autoResendUnfulfilledCommands: false,
  commandTimeout: 3000,
};

export interface AckedWriteLoad {
  /** Indexes n whose `SET w<n> value-<n>` a later WAIT on the same connection acknowledged. */
  readonly acked: number[];
  failed(): number;
  stop(): Promise<void>;
}

/**
 * `writers` loops share the client, each doing SET then `WAIT replicas waitMs`, so several
 * writes are in flight at once and the replicas' offsets can differ when the primary dies.
 */
export function ackedWriteLoad(client: Redis, replicas: () => number, writers = 4, waitMs = 500): AckedWriteLoad {
  const acked: number[] = [];
  let failed = 0;
  let stopped = false;
  let next = 0;
  const loop = async () => {
    while (!stopped) {
      const n = next++;
      const wanted = replicas();
      try {
        await client.set(`w${n}`, `value-${n}`);
        if (Number(await client.call('wait', String(wanted), String(waitMs))) >= wanted) acked.push(n);
      } catch {
        failed++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const loops = Array.from({ length: writers }, loop);
  return {
    acked,
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
