// INFO text: Redis's sections, `field:value` lines joined by \r\n, a blank line between sections,
// sections always in Redis's order whatever order they were asked in. Only fields sealkv can
// report truthfully are present; the `# Sealkv` section adds what is specific to sealing.

import { pausedClients } from '../connection/pause.js';
import { trackerIfAny } from '../../tracking/index.js';
import { pubsubIfAny } from '../../pubsub/registry.js';
import { publishFanoutOf } from '../../cluster/publish-fanout.js';
import os from 'node:os';
import { hexId } from '../../seal/rotation.js';
import { REDIS_COMPAT_VERSION } from '../../version.js';
import type { Session } from '../types.js';
import { connectedClients, replicationIfAny, replicationOf } from '../../replication/index.js';
import { sampleMemory } from '../../observe/memory-sample.js';
import { scriptingIfLoaded } from '../scripting/scripting.js';

type Lines = [string, string | number][];

/** Redis bytesToHuman: 1.56M, 200B, 23.54G. */
export function humanBytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(2)}${units[i]}`;
}

function server(ctx: Session): Lines {
  const s = ctx.server;
  const uptime = Math.floor((ctx.now - s.startedAt) / 1000);
  const wait = replicationIfAny(s)?.shutdownWait;
  return [
    ['redis_version', REDIS_COMPAT_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    // As Redis: tools tell a cluster node from a standalone server by this line.
    ['redis_mode', s.cluster !== null ? 'cluster' : 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.arch()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', s.runId],
    ['tcp_port', s.tcpPort],
    ['server_time_usec', ctx.now * 1000],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', s.config.get('hz')],
    ['configured_hz', s.config.get('hz')],
    ['executable', process.argv[1] ?? ''],
    ['config_file', s.configFile ?? ''],
    ['io_threads_active', 0],
    // Only while a shutdown waits for lagging replicas, as in Redis.
    ...(wait?.initiated === true ? [['shutdown_in_milliseconds', wait.remainingMs] as [string, number]] : []),
  ];
}

function clients(ctx: Session): Lines {
  // The largest query buffer and unsent output a connection held in the last 8 seconds (Redis's clientsCron samples).
  const recent = ctx.server.memory.account.recentMax();
  return [
    ['connected_clients', connectedClients(ctx.server)],
    ['cluster_connections', 0],
    ['maxclients', ctx.server.config.get('maxclients')],
    ['client_recent_max_input_buffer', recent.input],
    ['client_recent_max_output_buffer', recent.output],
    ['blocked_clients', ctx.server.blocking.blockedClients + pausedClients(ctx.server) + (replicationIfAny(ctx.server)?.shutdownWait.blocked ?? 0)],
    ['tracking_clients', trackerIfAny(ctx.server)?.trackingClients ?? 0],
    ['clients_in_timeout_table', 0],
  ];
}

/**
 * used_memory is what sealkv counts for maxmemory (store/memory.ts MemoryAccount): the data
 * (sealed values, key names, per-entry overhead) and every connection's memory (fixed cost,
 * query buffer, unsent replies, queued transaction, watched keys, subscriptions). It moves only
 * as data and buffers do, as Redis's allocator count does; maxmemory is compared with it less
 * mem_not_counted_for_evict (replica links' output). The process's own figures come from V8 in
 * place of an allocator: allocator_allocated (heap in use + memory outside it: Buffers, the
 * record arena, the Lua VM), allocator_active (heap committed + outside), used_memory_rss (RSS);
 * they include the Node runtime, tens of megabytes when empty.
 */
function memory(ctx: Session): Lines {
  const m = sampleMemory();
  const account = ctx.server.memory.account;
  const used = account.used;
  const peak = account.samplePeak();
  const overhead = account.clients;
  const dataset = used - overhead;
  const maxmemory = ctx.server.config.number('maxmemory');
  const total = os.totalmem();
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0).toFixed(2);
  const backlog = replicationIfAny(ctx.server)?.backlog?.size ?? 0;
  return [
    ['used_memory', used],
    ['used_memory_human', humanBytes(used)],
    ['used_memory_rss', m.rss],
    ['used_memory_rss_human', humanBytes(m.rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', humanBytes(peak)],
    ['used_memory_peak_perc', `${ratio(used * 100, peak)}%`],
    // The connections; an empty server with none counts nothing (used_memory_startup 0).
    ['used_memory_overhead', overhead],
    ['used_memory_startup', 0],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', `${ratio(dataset * 100, used)}%`],
    ['allocator_allocated', m.used],
    ['allocator_active', m.active],
    ['allocator_resident', m.rss],
    ['used_memory_heap', m.heapUsed],
    ['used_memory_external', m.external],
    // The record arena (keys, plain string values, their metadata): blocks in use, slabs held.
    ['used_memory_arena', ctx.server.arena.liveBytes],
    ['used_memory_arena_slabs', ctx.server.arena.slabBytes],
    ['total_system_memory', total],
    ['total_system_memory_human', humanBytes(total)],
    ...scriptingMemory(ctx),
    ['maxmemory', maxmemory],
    ['maxmemory_human', humanBytes(maxmemory)],
    ['maxmemory_policy', ctx.server.config.get('maxmemory-policy')],
    ['allocator_frag_ratio', ratio(m.active, m.used)],
    ['allocator_frag_bytes', m.active - m.used],
    ['allocator_rss_ratio', ratio(m.rss, m.active)],
    ['allocator_rss_bytes', m.rss - m.active],
    // Redis's definition: RSS over used_memory, so the runtime's own memory is in it.
    ['mem_fragmentation_ratio', ratio(m.rss, used)],
    ['mem_fragmentation_bytes', m.rss - used],
    ['mem_not_counted_for_evict', account.notCounted],
    // Redis 7.0's replication buffer: the backlog and what replica links have not sent yet
    // (shutdown and failover tests, and operators, watch it grow behind a stalled replica).
    ['mem_replication_backlog', backlog],
    ['mem_total_replication_buffers', backlog + account.notCounted],
    ['mem_clients_slaves', account.clients - account.clientsNormal],
    ['mem_clients_normal', account.clientsNormal],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', ctx.server.stats.lazyfreedObjects],
  ];
}

/**
 * Redis 7.0's script and function counts. The memory fields (used_memory_lua, used_memory_vm_*,
 * used_memory_scripts*) are not shown: scripts and functions share one Lua VM here (Redis has one
 * each), and its heap includes garbage that is collected up to 100 ms after scripts end, where
 * Redis steps its collector every 50 calls, so the figure would not mean what Redis's means.
 * Before the first script the VM does not exist: zeros.
 */
function scriptingMemory(ctx: Session): Lines {
  const s = scriptingIfLoaded(ctx.server);
  return [
    ['number_of_cached_scripts', s?.scripts.size ?? 0],
    ['number_of_functions', s?.functions.size ?? 0],
    ['number_of_libraries', s?.libraries.size ?? 0],
  ];
}

/** Redis 7.0's Persistence fields (src/persistence/persistence.ts); ioredis waits for loading:0. */
function persistence(ctx: Session): Lines {
  return ctx.server.persistence.info();
}

/** Redis's Stats fields in Redis's order; zeros only where sealkv truly never does the thing (fork, replicate, IO threads). */
function stats(ctx: Session): Lines {
  const st = ctx.server.stats;
  const kbps = (bytesPerSec: number) => (bytesPerSec / 1024).toFixed(2);
  return [
    ['total_connections_received', st.totalConnections],
    ['total_commands_processed', st.totalCommands],
    ['instantaneous_ops_per_sec', Math.floor(st.opsRate.perSecond)],
    ['total_net_input_bytes', st.netInputBytes],
    ['total_net_output_bytes', st.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', kbps(st.inputRate.perSecond)],
    ['instantaneous_output_kbps', kbps(st.outputRate.perSecond)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', st.rejectedConnections],
    ['sync_full', replicationOf(ctx.server).stats.syncFull],
    ['sync_partial_ok', replicationOf(ctx.server).stats.syncPartialOk],
    ['sync_partial_err', replicationOf(ctx.server).stats.syncPartialErr],
    ['expired_keys', st.expiredKeys],
    ['evicted_keys', st.evictedKeys],
    ['evicted_clients', st.evictedClients],
    ['keyspace_hits', st.keyspaceHits],
    ['keyspace_misses', st.keyspaceMisses],
    ['pubsub_channels', pubsubIfAny(ctx.server)?.size('channel') ?? 0],
    ['pubsub_patterns', pubsubIfAny(ctx.server)?.size('pattern') ?? 0],
    ['pubsubshard_channels', pubsubIfAny(ctx.server)?.size('shard') ?? 0],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    // MIGRATE keeps no sockets between calls (commands/cluster/migrate.ts).
    ['migrate_cached_sockets', 0],
    ['tracking_total_keys', trackerIfAny(ctx.server)?.table.size ?? 0],
    ['tracking_total_items', trackerIfAny(ctx.server)?.items ?? 0],
    ['tracking_total_prefixes', trackerIfAny(ctx.server)?.prefixes.size ?? 0],
    ['unexpected_error_replies', 0],
    ['total_error_replies', st.errorReplies],
    ['total_reads_processed', st.readsProcessed],
    ['total_writes_processed', st.writesProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
  ];
}

/** cmdstat_<name>:calls=,usec=,usec_per_call=,rejected_calls=,failed_calls= (Redis 7.0). */
function commandstats(ctx: Session): Lines {
  return ctx.server.observer.commandStats().map((c) => {
    const usec = Math.floor(c.micros);
    const perCall = c.calls === 0 ? 0 : c.micros / c.calls;
    return [`cmdstat_${c.name}`, `calls=${c.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${c.rejected},failed_calls=${c.failed}`];
  });
}

/**
 * latency_percentiles_usec_<name>:p50=,p99=,p99.9= for every command with a histogram, the
 * percentiles latency-tracking-info-percentiles names; empty while latency-tracking is off.
 */
function latencystats(ctx: Session): Lines {
  const obs = ctx.server.observer;
  if (!obs.latencyTracking) return [];
  const out: Lines = [];
  for (const c of obs.commandStats()) {
    const h = c.histogram;
    if (h === null) continue;
    const values = obs.percentiles.map((p) => `p${p}=${(h.valueAtPercentile(p) / 1000).toFixed(3)}`);
    out.push([`latency_percentiles_usec_${c.name}`, values.join(',')]);
  }
  return out;
}

function replication(ctx: Session): Lines {
  return replicationOf(ctx.server).infoLines();
}

function cpu(): Lines {
  const u = process.cpuUsage();
  const secs = (micros: number) => (micros / 1e6).toFixed(6);
  return [
    ['used_cpu_sys', secs(u.system)],
    ['used_cpu_user', secs(u.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
  ];
}

function errorstats(ctx: Session): Lines {
  // Sorted like Redis's rax of error codes.
  const codes = [...ctx.server.stats.errorsByPrefix].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return codes.map(([code, n]) => [`errorstat_${code}`, `count=${n}`]);
}

function keyspace(ctx: Session): Lines {
  const out: Lines = [];
  ctx.server.databases.forEach((db, i) => {
    if (db.size > 0) out.push([`db${i}`, `keys=${db.size},expires=${db.volatileCount},avg_ttl=0`]);
  });
  return out;
}

function sealkv(ctx: Session): Lines {
  const s = ctx.server;
  const r = s.rotation;
  return [
    ['sealkv_version', s.version],
    ['node_version', process.version],
    ['seal_cipher', 'xchacha20poly1305-ietf'],
    ['seal_backend', s.sealBackend],
    ['key_source', s.keySource],
    ['key_memory', s.keyMemory],
    ['key_id', hexId(s.keyId)],
    ['keys_in_use', r.keyIds().length],
    ['key_ids', r.keyIds().map(hexId).join(',')],
    ...r.progress(),
    ['last_rotation_start_time', Math.floor(r.startedAt / 1000)],
    ['last_rotation_end_time', Math.floor(r.finishedAt / 1000)],
    ['seal_failures', s.stats.sealFailures],
    ['seal_keys', s.names.sealed ? 'yes' : 'no'],
    ['config_not_applied', s.config.notApplied().join(',')],
    ['seal_workers', s.sealWorkers?.size ?? 0],
    ['seal_worker_min_bytes', s.sealWorkers?.minBytes ?? 0],
    ['seal_worker_jobs', s.sealWorkers?.jobs ?? 0],
    ['seal_worker_failures', s.sealWorkers?.failures ?? 0],
    ['seal_outputs_reused', s.sealWorkers?.outputs.reused ?? 0],
    ['seal_output_pool_bytes', s.sealWorkers?.outputs.keptBytes ?? 0],
    ['read_slices_yielded', s.stats.readSlicesYielded],
    ...clusterPublish(ctx),
  ];
}

/** Cluster mode's forwarded PUBLISHes (cluster/publish-fanout.ts): none of these lines otherwise. */
function clusterPublish(ctx: Session): Lines {
  if (ctx.server.cluster === null) return [];
  const f = publishFanoutOf(ctx.server)!.stats;
  return [
    ['cluster_publish_sent', f.sent],
    ['cluster_publish_dropped', f.dropped],
    ['cluster_publish_received', f.received],
    ['cluster_publish_refused', f.refused],
  ];
}

/** The spill tier (README, Spill tier): quota, bytes on tmpfs, and what moved in and out. */
function spill(ctx: Session): Lines {
  const sp = ctx.server.spill;
  if (sp === null) return [['spill_enabled', 0]];
  const st = sp.store;
  return [
    ['spill_enabled', 1],
    ['spill_quota_bytes', st.quota],
    ['spill_used_bytes', st.used],
    ['spill_live_bytes', st.liveBytes],
    ['spill_garbage_bytes', st.used - st.liveBytes],
    ['spill_keys', sp.spilledKeys],
    ['spill_min_value_size', ctx.server.config.get('spill-min-value-size')],
    ['spill_writes', st.recordsWritten],
    ['spill_reads', st.reads],
    ['spill_promotions', sp.promotions],
    ['spill_compactions', st.compactions],
    ['spill_errors', sp.errors],
    ['spill_fs_full', st.full ? 1 : 0],
    ['spill_ahead_writes', sp.aheadWrites],
    ['spill_inline_writes', sp.inlineWrites],
  ];
}

interface Section {
  name: string;
  title: string;
  lines: (ctx: Session) => Lines;
  /** Part of plain INFO / INFO default. */
  byDefault: boolean;
}

const SECTIONS: readonly Section[] = [
  { name: 'server', title: 'Server', lines: server, byDefault: true },
  { name: 'clients', title: 'Clients', lines: clients, byDefault: true },
  { name: 'memory', title: 'Memory', lines: memory, byDefault: true },
  { name: 'persistence', title: 'Persistence', lines: persistence, byDefault: true },
  { name: 'stats', title: 'Stats', lines: stats, byDefault: true },
  { name: 'replication', title: 'Replication', lines: replication, byDefault: true },
  { name: 'cpu', title: 'CPU', lines: cpu, byDefault: true },
  { name: 'modules', title: 'Modules', lines: () => [], byDefault: true },
  { name: 'commandstats', title: 'Commandstats', lines: commandstats, byDefault: false },
  { name: 'errorstats', title: 'Errorstats', lines: errorstats, byDefault: true },
  { name: 'latencystats', title: 'Latencystats', lines: latencystats, byDefault: false },
  { name: 'cluster', title: 'Cluster', lines: (ctx) => [['cluster_enabled', ctx.server.cluster !== null ? 1 : 0]], byDefault: true },
  { name: 'keyspace', title: 'Keyspace', lines: keyspace, byDefault: true },
  { name: 'sealkv', title: 'Sealkv', lines: sealkv, byDefault: true },
  { name: 'spill', title: 'Spill', lines: spill, byDefault: true },
];

/** Which sections a request names: 'all'/'everything'/'default' expand; unknown names add nothing. */
function requested(names: readonly string[]): Set<string> {
  const wanted = new Set<string>();
  if (names.length === 0) names = ['default'];
  for (const n of names) {
    if (n === 'all' || n === 'everything' || n === 'default') {
      for (const s of SECTIONS) if (n !== 'default' || s.byDefault) wanted.add(s.name);
    } else {
      wanted.add(n);
    }
  }
  return wanted;
}

/** The INFO text for the given lower-cased section names (none means the default set). */
export function infoText(ctx: Session, names: readonly string[]): string {
  const wanted = requested(names);
  const parts: string[] = [];
  for (const s of SECTIONS) {
    if (!wanted.has(s.name)) continue;
    let block = `# ${s.title}\r\n`;
    for (const [k, v] of s.lines(ctx)) block += `${k}:${v}\r\n`;
    parts.push(block);
  }
  return parts.join('\r\n');
}
