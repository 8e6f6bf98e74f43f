// Young-generation collections (scavenges) run on the event-loop thread alone.
//
// V8 splits a scavenge between the main thread and its platform threads and then waits for all
// of them. A server's scavenges find little alive (3-4 KB of the ~1-4 MB a burst of requests
// allocates between two), so the helpers have almost nothing to do, and the wait is for a helper
// thread to get a core: on a machine whose cores are busy (the benchmark client, other
// processes) that was a stall of 1-10 ms in the middle of serving requests. With 50 closed-loop
// clients at pipeline 1 a scavenge every ~4,000 requests holds 50-100 of them, 1-3 % of all:
// the scavenge's pause became the p99. Alone, the main thread does the same small job in ~0.1-0.3
// ms. Marking for full collections stays concurrent (it has real work to share).

import { setFlagsFromString } from 'node:v8';

/** Called once at startup, before the server allocates much; V8 reads the flag at each scavenge. */
export function scavengeOnTheMainThread(): void {
  setFlagsFromString('--no-parallel-scavenge');
}
