// What the process holds, as INFO memory and MEMORY STATS read it (redis zmalloc_used_memory and
// cron_malloc_stats). Node has no allocator statistics, so V8 stands in for the allocator:
//   used      = heapUsed + external: what the program holds (V8 objects, Buffers, the record
//               arena's slabs, the Lua VM's WebAssembly memory), Redis's zmalloc_used_memory;
//   active    = heapTotal + external: what V8 has committed for it (jemalloc "active": the
//               difference is free space inside V8's pages);
//   resident  = the process's RSS (jemalloc "resident"; the runtime's own code and stacks are in it).
// The peak and the startup figure are kept here, so INFO and MEMORY STATS report the same ones.

export interface MemorySample {
  used: number;
  active: number;
  rss: number;
  heapUsed: number;
  external: number;
  /** The highest `used` any sample has seen (sealkv samples when INFO or MEMORY asks, not per command). */
  peak: number;
}

let peak = 0;
const startup = new WeakMap<object, MemorySample>();

export function sampleMemory(): MemorySample {
  const m = process.memoryUsage();
  const used = m.heapUsed + m.external;
  peak = Math.max(peak, used);
  return { used, active: m.heapTotal + m.external, rss: m.rss, heapUsed: m.heapUsed, external: m.external, peak };
}

/**
 * Records what `server` holds before it loads data or accepts clients (redis
 * initial_memory_usage, INFO used_memory_startup, MEMORY STATS startup.allocated).
 */
export function noteStartupMemory(server: object): void {
  startup.set(server, sampleMemory());
}

const NONE: MemorySample = { used: 0, active: 0, rss: 0, heapUsed: 0, external: 0, peak: 0 };

/** The sample taken at start-up; zeros for a server that never took one (tests that build one by hand). */
export function startupMemory(server: object): MemorySample {
  return startup.get(server) ?? NONE;
}
