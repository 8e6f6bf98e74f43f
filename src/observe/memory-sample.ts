// What the process holds, as INFO memory's allocator_* fields and MEMORY STATS allocator.* read it
// (redis cron_malloc_stats). Node has no allocator statistics, so V8 stands in for the allocator:
//   used      = heapUsed + external: what the program holds (V8 objects, Buffers, the record
//               arena's slabs, the Lua VM's WebAssembly memory);
//   active    = heapTotal + external: what V8 has committed for it (jemalloc "active": the
//               difference is free space inside V8's pages);
//   resident  = the process's RSS (jemalloc "resident"; the runtime's own code and stacks are in it).
// used_memory itself is what sealkv counts (store/memory.ts MemoryAccount). The start-up sample is
// kept here for MEMORY DOCTOR, which judges the process's growth beyond it.

export interface MemorySample {
  used: number;
  active: number;
  rss: number;
  heapUsed: number;
  external: number;
}

const startup = new WeakMap<object, MemorySample>();

export function sampleMemory(): MemorySample {
  const m = process.memoryUsage();
  return { used: m.heapUsed + m.external, active: m.heapTotal + m.external, rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

/**
 * Records what `server` holds before it loads data or accepts clients (redis
 * initial_memory_usage): MEMORY DOCTOR judges the process's growth beyond it.
 */
export function noteStartupMemory(server: object): void {
  startup.set(server, sampleMemory());
}

const NONE: MemorySample = { used: 0, active: 0, rss: 0, heapUsed: 0, external: 0 };

/** The sample taken at start-up; zeros for a server that never took one (tests that build one by hand). */
export function startupMemory(server: object): MemorySample {
  return startup.get(server) ?? NONE;
}
