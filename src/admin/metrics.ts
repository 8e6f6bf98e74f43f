// GET /metrics: the numbers INFO shows, in Prometheus's text exposition format (version 0.0.4:
// `# HELP`, `# TYPE`, then `name{label="value"} number` lines). It reads counters and gauges
// only, never the keyspace beyond its sizes: the only label values are command names (from the
// command table), error codes (checked to be upper-case words), database numbers and the
// maxmemory policy, so no key name or value can reach a scrape.

import type { Server } from '../commands/types.js';

/** What the metrics read: the server's counters, plus the sealer's AEAD counts. */
export interface MetricsSource extends Pick<Server,
  'config' | 'stats' | 'observer' | 'clients' | 'databases' | 'memory' | 'spill' | 'rotation' | 'startedAt' | 'blocking'> {
  readonly sealCounts: { readonly seals: number; readonly opens: number };
  clock(): number;
}

/** Latency buckets, seconds: 10 µs .. 1 s (the command histograms run from 1 ns to 1 s). */
const BUCKETS_S = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const BUCKETS_NS = BUCKETS_S.map((s) => Math.round(s * 1e9));
const LE = BUCKETS_S.map(String);

/** Label values Prometheus accepts as they are: backslash, quote and newline escaped. */
function esc(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** An error code as a label: an upper-case word as Redis's are, anything else is 'OTHER'. */
function errorCode(prefix: string): string {
  return /^[A-Z][A-Z0-9_-]{0,31}$/.test(prefix) ? prefix : 'OTHER';
}

class Exposition {
  private out = '';

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    return this;
  }

  sample(name: string, value: number, labels = ''): this {
    const v = Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
    this.out += labels === '' ? `${name} ${v}\n` : `${name}{${labels}} ${v}\n`;
    return this;
  }

  one(name: string, type: 'counter' | 'gauge', help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
  }

  get text(): string {
    return this.out;
  }
}

export function metricsText(s: MetricsSource): string {
  const m = new Exposition();
  const st = s.stats;
  const now = s.clock();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();

  m.one('sealkv_up', 'gauge', 'Always 1 while the server answers.', 1);
  m.one('sealkv_start_time_seconds', 'gauge', 'Unix time the server started.', Math.floor(s.startedAt / 1000));
  m.one('sealkv_uptime_seconds', 'gauge', 'Seconds since start (INFO uptime_in_seconds).', Math.floor((now - s.startedAt) / 1000));
  m.one('sealkv_cpu_user_seconds_total', 'counter', 'User CPU time of the process (INFO used_cpu_user).', cpu.user / 1e6);
  m.one('sealkv_cpu_sys_seconds_total', 'counter', 'System CPU time of the process (INFO used_cpu_sys).', cpu.system / 1e6);

  m.one('sealkv_connected_clients', 'gauge', 'Client connections (INFO connected_clients).', s.clients.size);
  m.one('sealkv_max_clients', 'gauge', 'maxclients.', s.config.number('maxclients'));
  m.one('sealkv_blocked_clients', 'gauge', 'Clients waiting in a blocking command (INFO blocked_clients).', s.blocking.blockedClients);
  m.one('sealkv_connections_received_total', 'counter', 'Connections accepted (INFO total_connections_received).', st.totalConnections);
  m.one('sealkv_rejected_connections_total', 'counter', 'Connections refused at maxclients (INFO rejected_connections).', st.rejectedConnections);

  m.one('sealkv_commands_processed_total', 'counter', 'Commands run (INFO total_commands_processed).', st.totalCommands);
  m.one('sealkv_instantaneous_ops_per_sec', 'gauge', 'Commands per second over the last 1.6 s (INFO instantaneous_ops_per_sec).', Math.floor(st.opsRate.perSecond));
  m.one('sealkv_net_input_bytes_total', 'counter', 'Bytes read from clients (INFO total_net_input_bytes).', st.netInputBytes);
  m.one('sealkv_net_output_bytes_total', 'counter', 'Bytes written to clients (INFO total_net_output_bytes).', st.netOutputBytes);
  m.one('sealkv_keyspace_hits_total', 'counter', 'Key lookups that found the key (INFO keyspace_hits).', st.keyspaceHits);
  m.one('sealkv_keyspace_misses_total', 'counter', 'Key lookups that did not (INFO keyspace_misses).', st.keyspaceMisses);
  m.one('sealkv_expired_keys_total', 'counter', 'Keys removed because their TTL passed (INFO expired_keys).', st.expiredKeys);
  m.one('sealkv_evicted_keys_total', 'counter', 'Keys removed by the maxmemory policy (INFO evicted_keys).', st.evictedKeys);
  m.one('sealkv_error_replies_total', 'counter', 'Error replies sent (INFO total_error_replies).', st.errorReplies);

  m.family('sealkv_errors_total', 'counter', 'Error replies by error code (INFO errorstats).');
  const byCode = new Map<string, number>();
  for (const [prefix, n] of st.errorsByPrefix) byCode.set(errorCode(prefix), (byCode.get(errorCode(prefix)) ?? 0) + n);
  for (const [code, n] of [...byCode].sort(([a], [b]) => (a < b ? -1 : 1))) m.sample('sealkv_errors_total', n, `code="${code}"`);

  commandFamilies(m, s);

  const account = s.memory.account;
  m.one('sealkv_used_memory_bytes', 'gauge', 'The data and connections maxmemory counts (INFO used_memory).', account.used);
  m.one('sealkv_used_memory_rss_bytes', 'gauge', 'Resident set size (INFO used_memory_rss).', mem.rss);
  m.one('sealkv_used_memory_dataset_bytes', 'gauge', 'The data: sealed values, key names, per-entry overhead (INFO used_memory_dataset).', account.used - account.clients);
  m.one('sealkv_allocator_allocated_bytes', 'gauge', 'V8 heap in use plus memory outside it, the runtime included (INFO allocator_allocated).', mem.heapUsed + mem.external);
  m.one('sealkv_maxmemory_bytes', 'gauge', 'maxmemory (0 = no limit).', s.config.number('maxmemory'));
  m.family('sealkv_maxmemory_policy', 'gauge', 'The maxmemory policy in force (value 1).');
  m.sample('sealkv_maxmemory_policy', 1, `policy="${esc(s.config.get('maxmemory-policy'))}"`);

  m.family('sealkv_db_keys', 'gauge', 'Keys per database (INFO keyspace).');
  s.databases.forEach((db, i) => db.size > 0 && m.sample('sealkv_db_keys', db.size, `db="db${i}"`));
  m.family('sealkv_db_keys_expiring', 'gauge', 'Keys with a TTL per database (INFO keyspace expires).');
  s.databases.forEach((db, i) => db.size > 0 && m.sample('sealkv_db_keys_expiring', db.volatileCount, `db="db${i}"`));

  m.one('sealkv_seals_total', 'counter', 'AEAD seal operations (a chunked value counts one per chunk).', s.sealCounts.seals);
  m.one('sealkv_opens_total', 'counter', 'AEAD open operations, failed ones included.', s.sealCounts.opens);
  m.one('sealkv_seal_failures_total', 'counter', 'Sealed values that failed authentication when opened (INFO seal_failures).', st.sealFailures);
  m.one('sealkv_data_keys', 'gauge', 'Data keys in use: more than 1 while a rotation moves values (INFO keys_in_use).', s.rotation.keyIds().length);
  const rotation = new Map(s.rotation.progress());
  m.one('sealkv_rotation_in_progress', 'gauge', '1 while SEAL ROTATE re-seals values.', rotation.get('rotation_in_progress') ?? 0);
  m.one('sealkv_rotation_keys_done', 'gauge', 'Keys re-sealed by the running (or last) rotation pass.', rotation.get('rotation_keys_done') ?? 0);
  m.one('sealkv_rotation_keys_total', 'gauge', 'Keys the running (or last) rotation pass covers.', rotation.get('rotation_keys_total') ?? 0);
  m.one('sealkv_rotation_resealed_total', 'counter', 'Values re-sealed under a newer key.', rotation.get('rotation_resealed') ?? 0);
  m.one('sealkv_rotation_failures_total', 'counter', 'Values a rotation could not open.', rotation.get('rotation_failures') ?? 0);
  m.one('sealkv_rotations_completed_total', 'counter', 'Rotations finished.', rotation.get('rotations_completed') ?? 0);

  const sp = s.spill;
  m.one('sealkv_spill_enabled', 'gauge', '1 when the spill tier is on (spill-dir).', sp === null ? 0 : 1);
  if (sp !== null) {
    const store = sp.store;
    m.one('sealkv_spill_quota_bytes', 'gauge', 'spill-max-bytes.', store.quota);
    m.one('sealkv_spill_used_bytes', 'gauge', 'Bytes of segment files on tmpfs.', store.used);
    m.one('sealkv_spill_live_bytes', 'gauge', 'Bytes of those still referenced.', store.liveBytes);
    m.one('sealkv_spill_keys', 'gauge', 'Values held on tmpfs.', sp.spilledKeys);
    m.one('sealkv_spill_writes_total', 'counter', 'Sealed values written to tmpfs.', store.recordsWritten);
    m.one('sealkv_spill_reads_total', 'counter', 'Sealed values read back from tmpfs.', store.reads);
    m.one('sealkv_spill_promotions_total', 'counter', 'Spilled values moved back to memory.', sp.promotions);
    m.one('sealkv_spill_compactions_total', 'counter', 'Segment compactions.', store.compactions);
    m.one('sealkv_spill_errors_total', 'counter', 'Spill reads or writes that failed.', sp.errors);
    m.one('sealkv_spill_fs_full', 'gauge', '1 while the tmpfs or the quota is full.', store.full ? 1 : 0);
  }
  return m.text;
}

/** INFO commandstats and latencystats: per command, counters and a latency histogram. */
function commandFamilies(m: Exposition, s: MetricsSource): void {
  const stats = s.observer.commandStats();
  const label = (name: string) => `cmd="${esc(name)}"`;
  m.family('sealkv_commands_total', 'counter', 'Calls per command (INFO commandstats calls).');
  for (const c of stats) m.sample('sealkv_commands_total', c.calls, label(c.name));
  m.family('sealkv_commands_duration_seconds_total', 'counter', 'Time spent per command (INFO commandstats usec).');
  for (const c of stats) m.sample('sealkv_commands_duration_seconds_total', c.micros / 1e6, label(c.name));
  m.family('sealkv_commands_rejected_calls_total', 'counter', 'Calls refused before running (INFO commandstats rejected_calls).');
  for (const c of stats) m.sample('sealkv_commands_rejected_calls_total', c.rejected, label(c.name));
  m.family('sealkv_commands_failed_calls_total', 'counter', 'Calls that answered an error (INFO commandstats failed_calls).');
  for (const c of stats) m.sample('sealkv_commands_failed_calls_total', c.failed, label(c.name));

  // Histograms exist while latency-tracking is on; their count can trail calls when it was off.
  m.family('sealkv_command_latency_seconds', 'histogram', 'Command latency (the histograms behind INFO latencystats).');
  for (const c of stats) {
    const h = c.histogram;
    if (h === null) continue;
    const l = label(c.name);
    const counts = h.cumulativeAt(BUCKETS_NS);
    for (let i = 0; i < LE.length; i++) m.sample('sealkv_command_latency_seconds_bucket', counts[i]!, `${l},le="${LE[i]}"`);
    m.sample('sealkv_command_latency_seconds_bucket', h.total, `${l},le="+Inf"`);
    m.sample('sealkv_command_latency_seconds_sum', c.micros / 1e6, l);
    m.sample('sealkv_command_latency_seconds_count', h.total, l);
  }
}
