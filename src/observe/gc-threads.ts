// Garbage collections that never wait for V8's helper threads: young-generation collections
// (scavenges) and the freeing of dead ArrayBuffers' memory run on the event-loop thread alone.
//
// V8 splits a scavenge between the main thread and its platform threads, then waits for all of
// them; and it frees dead ArrayBuffers' memory in a background job that the next collection
// must see finished before it starts. A server's scavenges find little alive (3-4 KB of the 1-4
// MB allocated between two), and the ArrayBuffers that die are few (a key table's old slots, an
// arena slab), so the helpers have almost nothing to do: the wait is for a helper thread to get
// a core. On a machine whose cores are busy (the benchmark client, other processes) those waits
// were pauses of 1-33 ms in the middle of serving requests: a SET of new keys after FLUSHALL met
// one in 5 runs of 6 (`scavenge.sweep_array_buffers` in --trace-gc-nvp), none without the job.
// With 50 closed-loop clients at pipeline 1 a scavenge every ~4,000 requests holds 50-100 of
// them, 1-3 % of all: a scavenge's pause is the p99. Done by the main thread, the same small
// jobs take ~0.1-0.3 ms. Marking for full collections stays concurrent (it has real work to share).

import { setFlagsFromString } from 'node:v8';

/** Called once at startup; V8 reads both flags at each collection. */
export function gcWithoutHelperWaits(): void {
  setFlagsFromString('--no-parallel-scavenge');
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
}
