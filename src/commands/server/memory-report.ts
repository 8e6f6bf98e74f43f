// MEMORY STATS, DOCTOR, MALLOC-STATS and PURGE (redis object.c memoryCommand,
// getMemoryOverheadData, getMemoryDoctorReport). Redis's field names, order and reply types;
// each field filled with what sealkv has (the mapping is in the README, "Memory report"):
//   total/peak.allocated          used_memory (the data and connections maxmemory counts,
//                                 store/memory.ts) and its peak; startup.allocated 0 (an empty
//                                 server without connections counts nothing)
//   replication.backlog           the backlog buffer, allocated whole at repl-backlog-size (not
//                                 in used_memory, nor in overhead.total)
//   clients.slaves / .normal      the connections' counted memory, replica links / the others
//   lua.caches                    the Lua VM's heap (compiled EVAL scripts live in it; not in
//                                 used_memory, nor in overhead.total)
//   functions.caches              FUNCTION libraries' code and per-function records (likewise)
//   db.N overhead.hashtable.*     the key index's slot array and each record's header; the set of
//                                 keys with a TTL; no slot-to-keys index exists (0)
//   allocator.*                   V8 in place of jemalloc: allocated = used, active = heap
//                                 committed + external, resident = RSS
//   cluster.links, aof.buffer     0: sealkv has no cluster bus and no AOF
// dataset.bytes is Redis's definition (total.allocated less overhead.total).

import v8 from 'node:v8';
import { RECORD_HEADER } from '../../store/key-table.js';
import { sampleMemory, startupMemory, type MemorySample } from '../../observe/memory-sample.js';
import { replicationIfAny } from '../../replication/index.js';
import { humanBytes } from './info.js';
import { scriptingIfAny } from '../scripting/scripting.js';
import type { Server, Session } from '../types.js';

/** A key in the TTL set: a Set slot and the key's own string header (its characters not counted). */
const VOLATILE_ENTRY_BYTES = 40;
/** A FUNCTION's record beside its library's code (name, flags, description, Lua reference). */
const FUNCTION_RECORD_BYTES = 200;

interface DbOverhead {
  id: number;
  main: number;
  expires: number;
  slotToKeys: number;
}

export interface MemoryOverhead {
  /** The process as V8 sees it (allocator.*). */
  sample: MemorySample;
  /** used_memory and its peak. */
  total: number;
  peak: number;
  /** used_memory before the data was loaded. */
  startup: number;
  /** The whole start-up sample (the runtime's own RSS and heap: DOCTOR judges growth beyond it). */
  atStartup: MemorySample;
  replBacklog: number;
  clientsSlaves: number;
  clientsNormal: number;
  normalClients: number;
  replicas: number;
  luaCaches: number;
  functionsCaches: number;
  cachedScripts: number;
  dbs: DbOverhead[];
  overheadTotal: number;
  totalKeys: number;
  dataset: number;
  datasetPerc: number;
  peakPerc: number;
  bytesPerKey: number;
  totalFrag: number;
  totalFragBytes: number;
  allocatorFrag: number;
  allocatorFragBytes: number;
  allocatorRss: number;
  allocatorRssBytes: number;
  rssExtra: number;
  rssExtraBytes: number;
}

/** Redis keeps these ratios as C floats: the same digits come out of "%.17g". */
const ratio = (a: number, b: number): number => Math.fround(b > 0 ? a / b : 0);

/** sealkv's getMemoryOverheadData: O(clients + databases), never O(keys). */
export function memoryOverhead(server: Server): MemoryOverhead {
  const sample = sampleMemory();
  const atStartup = startupMemory(server);
  const account = server.memory.account;
  const total = account.used;
  const peak = account.samplePeak();
  // Nothing is counted before data and connections come (INFO used_memory_startup).
  const startup = 0;
  const repl = replicationIfAny(server);
  const replBacklog = repl?.backlog?.size ?? 0;
  const clientsNormal = account.clientsNormal;
  const clientsSlaves = account.clients - clientsNormal;
  let replicas = 0;
  for (const c of server.clients.values()) if (c.replicaLink) replicas++;
  const scripting = scriptingIfAny(server);
  let functionsCaches = 0;
  for (const lib of scripting?.libraries.values() ?? []) functionsCaches += lib.code.length + lib.functions.length * FUNCTION_RECORD_BYTES;
  const luaCaches = scripting?.engine.memory ?? 0;
  // Only what used_memory holds: the backlog and the Lua VM are reported beside it.
  let overheadTotal = startup + clientsSlaves + clientsNormal;
  const dbs: DbOverhead[] = [];
  let totalKeys = 0;
  server.databases.forEach((db, id) => {
    if (db.size === 0) return;
    totalKeys += db.size;
    const o = { id, main: db.indexBytes + db.size * RECORD_HEADER, expires: db.volatileCount * VOLATILE_ENTRY_BYTES, slotToKeys: 0 };
    overheadTotal += o.main + o.expires + o.slotToKeys;
    dbs.push(o);
  });
  const used = total;
  const net = used > startup ? used - startup : 1;
  const dataset = used - overheadTotal;
  return {
    sample, total, peak, startup, atStartup, replBacklog, clientsSlaves, clientsNormal, normalClients: server.clients.size - replicas, replicas,
    luaCaches, functionsCaches, cachedScripts: scripting?.scripts.size ?? 0, dbs, overheadTotal, totalKeys, dataset,
    datasetPerc: Math.fround((dataset * 100) / net),
    peakPerc: ratio(used * 100, peak),
    bytesPerKey: totalKeys > 0 ? Math.floor(net / totalKeys) : 0,
    totalFrag: ratio(sample.rss, used),
    totalFragBytes: sample.rss - used,
    allocatorFrag: ratio(sample.active, sample.used),
    allocatorFragBytes: sample.active - sample.used,
    allocatorRss: ratio(sample.rss, sample.active),
    allocatorRssBytes: sample.rss - sample.active,
    // The allocator's resident set is the process's: nothing sits outside it.
    rssExtra: 1,
    rssExtraBytes: 0,
  };
}

/** MEMORY STATS: a map (RESP3) or flat array (RESP2), Redis's 27 fields plus one map per non-empty database. */
export function memoryStats(ctx: Session): void {
  const mh = memoryOverhead(ctx.server);
  const r = ctx.reply;
  const int = (name: string, n: number) => (r.bulkText(name), r.integer(n));
  const dbl = (name: string, n: number) => (r.bulkText(name), r.double(n));
  r.mapLen(27 + mh.dbs.length);
  int('peak.allocated', mh.peak);
  int('total.allocated', mh.total);
  int('startup.allocated', mh.startup);
  int('replication.backlog', mh.replBacklog);
  int('clients.slaves', mh.clientsSlaves);
  int('clients.normal', mh.clientsNormal);
  int('cluster.links', 0);
  int('aof.buffer', 0);
  int('lua.caches', mh.luaCaches);
  int('functions.caches', mh.functionsCaches);
  for (const db of mh.dbs) {
    r.bulkText(`db.${db.id}`);
    r.mapLen(3);
    int('overhead.hashtable.main', db.main);
    int('overhead.hashtable.expires', db.expires);
    int('overhead.hashtable.slot-to-keys', db.slotToKeys);
  }
  int('overhead.total', mh.overheadTotal);
  int('keys.count', mh.totalKeys);
  int('keys.bytes-per-key', mh.bytesPerKey);
  int('dataset.bytes', mh.dataset);
  dbl('dataset.percentage', mh.datasetPerc);
  dbl('peak.percentage', mh.peakPerc);
  int('allocator.allocated', mh.sample.used);
  int('allocator.active', mh.sample.active);
  int('allocator.resident', mh.sample.rss);
  dbl('allocator-fragmentation.ratio', mh.allocatorFrag);
  int('allocator-fragmentation.bytes', mh.allocatorFragBytes);
  dbl('allocator-rss.ratio', mh.allocatorRss);
  int('allocator-rss.bytes', mh.allocatorRssBytes);
  dbl('rss-overhead.ratio', mh.rssExtra);
  int('rss-overhead.bytes', mh.rssExtraBytes);
  dbl('fragmentation', mh.totalFrag);
  int('fragmentation.bytes', mh.totalFragBytes);
}

const MB = 1024 * 1024;

/**
 * MEMORY DOCTOR's report (redis getMemoryDoctorReport), Redis's texts for what sealkv can find,
 * with Redis's thresholds. Two judgements differ, because an idle Node process already holds
 * about 20 MB of heap and 60-80 MB of RSS (Redis: under 1 MB and a few MB): "empty" means the
 * dataset maxmemory counts (INFO used_memory_dataset less the clients' fixed cost) is under 5 MB, and the RSS checks compare
 * the growth of RSS and of V8's committed heap since start-up with the growth of what V8 holds,
 * not the raw totals.
 */
export function doctorReport(server: Server): string {
  const mh = memoryOverhead(server);
  const { used, rss, active } = mh.sample;
  const base = mh.atStartup;
  const account = server.memory.account;
  const empty = account.used - account.clients < 5 * MB;
  const found: Record<Finding, boolean> = {
    bigPeak: false, highFrag: false, highAllocFrag: false, highAllocRss: false, highProcRss: false,
    bigSlaveBuf: false, bigClientBuf: false, manyScripts: false,
  };
  if (!empty) {
    const grownUsed = Math.max(1, used - base.used);
    const grownActive = Math.max(1, active - base.active);
    const grownRss = rss - base.rss;
    found.bigPeak = mh.peak / Math.max(1, mh.total) > 1.5;
    found.highFrag = grownRss / grownUsed > 1.4 && grownRss - grownUsed > 10 * MB;
    found.highAllocFrag = grownActive / grownUsed > 1.1 && grownActive - grownUsed > 10 * MB;
    found.highAllocRss = grownRss / grownActive > 1.1 && grownRss - grownActive > 10 * MB;
    found.highProcRss = mh.rssExtra > 1.1 && mh.rssExtraBytes > 10 * MB;
    found.bigClientBuf = mh.normalClients > 0 && mh.clientsNormal / mh.normalClients > 200 * 1024;
    found.bigSlaveBuf = mh.replicas > 0 && mh.clientsSlaves > 10 * MB;
    found.manyScripts = mh.cachedScripts > 1000;
  }
  if (!empty && !Object.values(found).some(Boolean)) {
    return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  }
  if (empty) {
    return (
      'Hi Sam, this instance is empty or is using very little memory, my issues detector can\'t be used in these conditions. ' +
      'Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n'
    );
  }
  let s = 'Sam, I detected a few issues in this Redis instance memory implants:\n\n';
  for (const [flag, text] of DOCTOR_TEXTS) if (found[flag]) s += ` * ${text}\n\n`;
  return s + "I'm here to keep you safe, Sam. I want to help you.\n";
}

// Redis 7.0's wording, in its order (the allocator named where Redis names it).
type Finding = 'bigPeak' | 'highFrag' | 'highAllocFrag' | 'highAllocRss' | 'highProcRss' | 'bigSlaveBuf' | 'bigClientBuf' | 'manyScripts';

const DOCTOR_TEXTS: [Finding, string][] = [
  ['bigPeak', 'Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.'],
  ['highFrag', 'High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "v8".'],
  ['highAllocFrag', "High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option."],
  ['highAllocRss', 'High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.'],
  ['highProcRss', 'High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.'],
  ['bigSlaveBuf', 'Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.'],
  ['bigClientBuf', 'Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.'],
  ['manyScripts', "Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory."],
];

export function memoryDoctor(ctx: Session): void {
  ctx.reply.verbatim(doctorReport(ctx.server));
}

/**
 * MEMORY MALLOC-STATS: Redis prints jemalloc's statistics; sealkv's allocator is V8 plus the
 * record arena, so the report is V8's heap spaces and the arena's slabs (verbatim text, as Redis).
 */
export function mallocStatsText(server: Server): string {
  const lines = ['___ Begin V8 heap statistics ___'];
  const h = v8.getHeapStatistics();
  lines.push(`Version: "node ${process.version}, v8 ${process.versions.v8}"`);
  lines.push(`Allocated: ${h.used_heap_size}, committed: ${h.total_heap_size}, physical: ${h.total_physical_size}, limit: ${h.heap_size_limit}`);
  lines.push(`External: ${h.external_memory}, malloced: ${h.malloced_memory}, peak malloced: ${h.peak_malloced_memory}`);
  lines.push('spaces:          size       used  available   physical');
  for (const sp of v8.getHeapSpaceStatistics()) {
    lines.push(`${sp.space_name.padEnd(24)} ${pad(sp.space_size)} ${pad(sp.space_used_size)} ${pad(sp.space_available_size)} ${pad(sp.physical_space_size)}`);
  }
  lines.push(`record arena: live ${server.arena.liveBytes} (${humanBytes(server.arena.liveBytes)}), slabs ${server.arena.slabBytes} (${humanBytes(server.arena.slabBytes)})`);
  const m = process.memoryUsage();
  lines.push(`process: rss ${m.rss}, array buffers ${m.arrayBuffers}`);
  lines.push('--- End V8 heap statistics ---');
  return lines.join('\n') + '\n';
}

function pad(n: number): string {
  return String(n).padStart(10);
}

export function memoryMallocStats(ctx: Session): void {
  ctx.reply.verbatim(mallocStatsText(ctx.server));
}

/**
 * MEMORY PURGE: Redis asks jemalloc to return dirty pages. sealkv has no such call: the record
 * arena recycles its blocks itself at the end of each turn, and V8 gives free pages back after
 * its collections. With node's --expose-gc a full collection runs here (slow on a large heap, as
 * Redis warns for its purge); without it the command only answers OK, as Redis built without
 * jemalloc does.
 */
export function memoryPurge(ctx: Session): void {
  (globalThis as { gc?: () => void }).gc?.();
  ctx.reply.ok();
}
