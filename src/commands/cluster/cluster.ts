// CLUSTER, READONLY, READWRITE and ASKING (redis cluster.c clusterCommand): what cluster clients
// (ioredis Cluster, node-redis createCluster, redis-cli -c / --cluster) read to learn the layout,
// and the slot changes a reshard sends. The layout itself is src/cluster/; routing of keyed
// commands happens in the dispatcher (clusterRedirect below). Commands of Redis's cluster bus
// (MEET, FORGET, REPLICATE, FAILOVER, RESET...) have nothing to act on here: sealkv nodes take
// their layout from the shared file, so they answer with an error saying so.

import { SLOTS, type Topology } from '../../cluster/topology.js';
import { keySlot, route } from '../../cluster/routing.js';
import { publishFanoutIfAny } from '../../cluster/publish-fanout.js';
import { Errors } from '../../protocol/errors.js';
import { Sealer } from '../../seal/sealer.js';
import { int64, keyOf, text, word } from '../args.js';
import { keysOf } from '../key-specs.js';
import { replyHelp } from '../connection/clients.js';
import type { CommandSpec, Session } from '../types.js';

function topologyOf(ctx: Session): Topology | null {
  const t = ctx.server.cluster;
  if (t === null) ctx.reply.error(Errors.clusterDisabled);
  return t;
}

/** Redis getSlotOrReply. */
function slotArg(ctx: Session, arg: Buffer): number | null {
  const n = int64(arg);
  if (n === null || n < 0n || n >= BigInt(SLOTS)) {
    ctx.reply.error(Errors.invalidSlot);
    return null;
  }
  return Number(n);
}

// ---- routing (called by the dispatcher) ----

/**
 * The redirection for a command about to run or be queued, or null to serve it here. Commands
 * without keys are never redirected (EXEC is judged by its queued commands).
 */
export function clusterRedirect(ctx: Session, spec: CommandSpec, args: Buffer[], isExec: boolean): string | null {
  const t = ctx.server.cluster!;
  const commands: { spec: CommandSpec; args: readonly Buffer[] }[] = isExec ? (ctx.multi ?? []) : [{ spec, args }];
  const keys: Buffer[] = [];
  let writes = false;
  for (const c of commands) {
    if (c.spec.keySpecs === undefined && c.spec.findKeys === undefined) continue;
    for (const ref of keysOf(c.spec, c.args)) keys.push(c.args[ref.pos] as Buffer);
    if (c.spec.flags.includes('write')) writes = true;
  }
  if (keys.length === 0) return null;
  // A command that may block remembers its slot: if the slot leaves this node while the client
  // waits, the client is sent on (redirectBlocked).
  if (spec.flags.includes('blocking')) blockedSlots.set(ctx, keySlot(keys[0]!));
  const redirect = route(t, {
    keys, writes, asking: ctx.asking || spec.name === 'restore-asking',
    exists: (key) => ctx.db.has(keyOf(ctx, key), ctx.now),
    down: !clusterOk(ctx, t),
    readsWhenDown: ctx.server.config.flag('cluster-allow-reads-when-down'),
  });
  if (redirect !== null) ctx.server.names.endCommand();
  return redirect;
}

/** The slot of each client's last command that may block (all its keys hash to it). */
const blockedSlots = new WeakMap<object, number>();

/**
 * After the layout changed: a client blocked on keys of a slot this node no longer serves (and
 * does not import) is answered MOVED, or CLUSTERDOWN when the slot has no owner or the cluster
 * is down, as Redis does (clusterRedirectBlockedClientIfNeeded, there from clientsCron within a
 * second; here at once). A client blocked on a slot being migrated out keeps waiting, as there.
 */
function redirectBlocked(ctx: Session): void {
  const t = ctx.server.cluster!;
  if (ctx.server.blocking.blockedClients === 0) return;
  const down = !clusterOk(ctx, t);
  ctx.server.blocking.dropWhere((client) => {
    const slot = blockedSlots.get(client);
    if (slot === undefined) return null;
    if (down) return Errors.clusterDown;
    const owner = t.ownerIndex(slot);
    if (owner === t.self || t.importingFrom(slot) !== undefined) return null;
    if (owner < 0) return Errors.slotNotServed;
    const node = t.nodes[owner]!;
    return Errors.moved(slot, `${node.host}:${node.port}`);
  });
}

// ---- reading the layout ----

function clusterInfo(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  const assigned = t.assignedSlots();
  const fanout = publishFanoutIfAny(ctx.server)?.stats ?? { sent: 0, received: 0, limitExceeded: 0 };
  const lines = [
    `cluster_state:${clusterOk(ctx, t) ? 'ok' : 'fail'}`,
    `cluster_slots_assigned:${assigned}`,
    `cluster_slots_ok:${assigned}`,
    'cluster_slots_pfail:0',
    'cluster_slots_fail:0',
    `cluster_known_nodes:${t.nodes.length}`,
    `cluster_size:${t.servingNodes()}`,
    `cluster_current_epoch:${t.nodes.length + t.epoch - 1}`,
    `cluster_my_epoch:${t.self + t.epoch}`,
    // The only messages between sealkv nodes are forwarded PUBLISHes (cluster/publish-fanout.ts);
    // Redis lists a type's line only once it has a count.
    ...(fanout.sent > 0 ? [`cluster_stats_messages_publish_sent:${fanout.sent}`] : []),
    `cluster_stats_messages_sent:${fanout.sent}`,
    ...(fanout.received > 0 ? [`cluster_stats_messages_publish_received:${fanout.received}`] : []),
    `cluster_stats_messages_received:${fanout.received}`,
    `total_cluster_links_buffer_limit_exceeded:${fanout.limitExceeded}`,
  ];
  ctx.reply.verbatim(lines.join('\r\n') + '\r\n');
}

/** Every slot served, unless cluster-require-full-coverage is off (redis clusterUpdateState). */
export function clusterOk(ctx: Session, t: Topology): boolean {
  return t.assignedSlots() === SLOTS || !ctx.server.config.flag('cluster-require-full-coverage');
}

function clusterNodes(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  const slots = new Map<number, string[]>();
  for (const run of t.runs()) {
    const list = slots.get(run.node) ?? [];
    list.push(run.first === run.last ? String(run.first) : `${run.first}-${run.last}`);
    slots.set(run.node, list);
  }
  const lines = t.nodes.map((n, i) => {
    const me = i === t.self;
    const parts = [
      n.id, `${n.host}:${n.port}@${n.busPort}`, me ? 'myself,master' : 'master', '-', '0', me ? '0' : String(ctx.now),
      String(i + t.epoch), 'connected', ...(slots.get(i) ?? []),
    ];
    if (me) for (const m of t.moves()) parts.push(m.out ? `[${m.slot}->-${m.node.id}]` : `[${m.slot}-<-${m.node.id}]`);
    return parts.join(' ');
  });
  ctx.reply.verbatim(lines.join('\n') + '\n');
}

function clusterMyid(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t !== null) ctx.reply.bulkText(t.myself.id);
}

/** One node as CLUSTER SLOTS lists it: ip, port, id, and a map of extra endpoints (none). */
function replyNode(ctx: Session, node: { host: string; port: number; id: string }): void {
  ctx.reply.arrayLen(4);
  ctx.reply.bulkText(node.host);
  ctx.reply.integer(node.port);
  ctx.reply.bulkText(node.id);
  ctx.reply.mapLen(0);
}

function clusterSlots(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  const runs = t.runs();
  ctx.reply.arrayLen(runs.length);
  for (const run of runs) {
    ctx.reply.arrayLen(3);
    ctx.reply.integer(run.first);
    ctx.reply.integer(run.last);
    replyNode(ctx, t.nodes[run.node]!);
  }
}

function clusterShards(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  const runs = t.runs();
  ctx.reply.arrayLen(t.nodes.length);
  t.nodes.forEach((node, i) => {
    const mine = runs.filter((r) => r.node === i);
    ctx.reply.mapLen(2);
    ctx.reply.bulkText('slots');
    ctx.reply.arrayLen(mine.length * 2);
    for (const r of mine) {
      ctx.reply.integer(r.first);
      ctx.reply.integer(r.last);
    }
    ctx.reply.bulkText('nodes');
    ctx.reply.arrayLen(1);
    ctx.reply.mapLen(7);
    ctx.reply.bulkText('id');
    ctx.reply.bulkText(node.id);
    ctx.reply.bulkText('port');
    ctx.reply.integer(node.port);
    ctx.reply.bulkText('ip');
    ctx.reply.bulkText(node.host);
    ctx.reply.bulkText('endpoint');
    ctx.reply.bulkText(node.host);
    ctx.reply.bulkText('role');
    ctx.reply.bulkText('master');
    ctx.reply.bulkText('replication-offset');
    ctx.reply.integer(0);
    ctx.reply.bulkText('health');
    ctx.reply.bulkText('online');
  });
}

function clusterKeyslot(ctx: Session, args: Buffer[]): void {
  if (topologyOf(ctx) !== null) ctx.reply.integer(keySlot(args[2]!));
}

/** Calls visit with each key of database 0 in `slot`, as lookup key; stops when it returns false. */
function keysInSlot(ctx: Session, slot: number, visit: (key: string, name: Buffer) => boolean): void {
  const names = ctx.server.names;
  const db = ctx.server.databases[0]!;
  let stop = false;
  db.forEachEntry((key, entry) => {
    if (stop) return;
    let name: Buffer;
    if (!names.sealed) name = Buffer.from(key, 'latin1');
    else {
      const sealed = entry.sealedName!;
      name = Buffer.alloc(Sealer.plainLength(sealed));
      names.openInto(key, sealed, name, 0);
    }
    try {
      if (keySlot(name) === slot && !visit(key, name)) stop = true;
    } finally {
      if (names.sealed) name.fill(0);
    }
  });
}

function clusterCountkeysinslot(ctx: Session, args: Buffer[]): void {
  if (topologyOf(ctx) === null) return;
  const n = int64(args[2]!);
  if (n === null) return ctx.reply.error(Errors.notInteger);
  if (n < 0n || n >= BigInt(SLOTS)) return ctx.reply.error(Errors.invalidSlotOnly);
  let count = 0;
  keysInSlot(ctx, Number(n), () => (count++, true));
  ctx.reply.integer(count);
}

function clusterGetkeysinslot(ctx: Session, args: Buffer[]): void {
  if (topologyOf(ctx) === null) return;
  const slot = int64(args[2]!);
  const max = int64(args[3]!);
  if (slot === null || max === null) return ctx.reply.error(Errors.notInteger);
  if (slot < 0n || slot >= BigInt(SLOTS) || max < 0n) return ctx.reply.error(Errors.invalidSlotOrCount);
  const names: Buffer[] = [];
  if (max > 0n) keysInSlot(ctx, Number(slot), (_key, name) => (names.push(Buffer.from(name)), BigInt(names.length) < max));
  ctx.reply.arrayLen(names.length);
  for (const name of names) {
    ctx.reply.bulk(name);
    name.fill(0);
  }
}

// ---- changing the layout (a reshard) ----

/** ADDSLOTS / DELSLOTS and their RANGE forms: all-or-nothing over the slots given. */
function changeSlots(ctx: Session, slots: number[], del: boolean): void {
  const t = ctx.server.cluster!;
  const seen = new Set<number>();
  for (const s of slots) {
    if (del && t.ownerIndex(s) < 0) return ctx.reply.error(Errors.slotUnassigned(s));
    if (!del && t.ownerIndex(s) >= 0) return ctx.reply.error(Errors.slotBusy(s));
    if (seen.has(s)) return ctx.reply.error(Errors.slotTwice(s));
    seen.add(s);
  }
  for (const s of slots) {
    if (del) t.unassign(s);
    else {
      t.assign(s, t.self);
      // Owning the slot ends an import of it (Redis clusterAddSlot callers).
      if (t.importingFrom(s) !== undefined) t.clearMoves(s);
    }
  }
  ctx.reply.ok();
  redirectBlocked(ctx);
}

function slotList(ctx: Session, args: Buffer[], from: number): number[] | null {
  const out: number[] = [];
  for (let i = from; i < args.length; i++) {
    const s = slotArg(ctx, args[i]!);
    if (s === null) return null;
    out.push(s);
  }
  return out;
}

function rangeList(ctx: Session, args: Buffer[], name: string): number[] | null {
  if (args.length % 2 === 1) {
    ctx.reply.error(Errors.wrongArity(`cluster|${name}`));
    return null;
  }
  const out: number[] = [];
  for (let i = 2; i < args.length; i += 2) {
    const first = slotArg(ctx, args[i]!);
    if (first === null) return null;
    const last = slotArg(ctx, args[i + 1]!);
    if (last === null) return null;
    if (first > last) {
      ctx.reply.error(Errors.slotRangeReversed(first, last));
      return null;
    }
    for (let s = first; s <= last; s++) out.push(s);
  }
  return out;
}

function slotsCommand(del: boolean, range: boolean) {
  return (ctx: Session, args: Buffer[]): void => {
    if (topologyOf(ctx) === null) return;
    const slots = range ? rangeList(ctx, args, del ? 'delslotsrange' : 'addslotsrange') : slotList(ctx, args, 2);
    if (slots !== null) changeSlots(ctx, slots, del);
  };
}

function clusterFlushslots(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  if (ctx.server.databases[0]!.size > 0) return ctx.reply.error(Errors.flushslotsNotEmpty);
  for (let s = 0; s < SLOTS; s++) if (t.ownerIndex(s) === t.self) t.unassign(s);
  ctx.reply.ok();
  redirectBlocked(ctx);
}

function clusterSetslot(ctx: Session, args: Buffer[]): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  const slot = slotArg(ctx, args[2]!);
  if (slot === null) return;
  const action = word(args[3]!);
  const nodeArg = args.length === 5 ? text(args[4]!) : null;
  const known = nodeArg === null ? -1 : t.indexOf(nodeArg);
  if (action === 'migrating' && nodeArg !== null) {
    if (t.ownerIndex(slot) !== t.self) return ctx.reply.error(Errors.notSlotOwner(slot));
    if (known < 0) return ctx.reply.error(Errors.unknownNodeAbout(nodeArg));
    t.setMigrating(slot, known);
  } else if (action === 'importing' && nodeArg !== null) {
    if (t.ownerIndex(slot) === t.self) return ctx.reply.error(Errors.alreadySlotOwner(slot));
    if (known < 0) return ctx.reply.error(Errors.unknownNodeAbout(nodeArg));
    t.setImporting(slot, known);
  } else if (action === 'stable' && args.length === 4) {
    t.clearMoves(slot);
  } else if (action === 'node' && nodeArg !== null) {
    if (known < 0) return ctx.reply.error(Errors.unknownNode(nodeArg));
    if (t.ownerIndex(slot) === t.self && known !== t.self) {
      let held = false;
      keysInSlot(ctx, slot, () => ((held = true), false));
      if (held) return ctx.reply.error(Errors.slotStillHasKeys(slot));
    }
    // Handing the slot on ends its migration; receiving it ends its import.
    if (t.migratingTo(slot) !== undefined && known !== t.self) t.clearMoves(slot);
    if (known === t.self && t.importingFrom(slot) !== undefined) {
      t.clearMoves(slot);
      t.epoch++;
    }
    t.assign(slot, known);
  } else {
    return ctx.reply.error(Errors.setslotSyntax);
  }
  ctx.reply.ok();
  redirectBlocked(ctx);
}

function clusterBumpepoch(ctx: Session): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  t.epoch++;
  ctx.reply.simple(`BUMPED ${t.self + t.epoch}`);
}

/**
 * The outgoing PUBLISH links this node has opened, in Redis 7.0's shape; a peer's link to this
 * node is one of its clients here, not listed (sealkv has no inbound bus links).
 */
function clusterLinks(ctx: Session): void {
  if (topologyOf(ctx) === null) return;
  const links = (publishFanoutIfAny(ctx.server)?.links ?? []).filter((l) => l.state === 'connecting' || l.state === 'ready');
  ctx.reply.arrayLen(links.length);
  for (const link of links) {
    const pending = link.pendingBytes;
    ctx.reply.mapLen(6);
    ctx.reply.bulkText('direction');
    ctx.reply.bulkText('to');
    ctx.reply.bulkText('node');
    ctx.reply.bulkText(link.node.id);
    ctx.reply.bulkText('create-time');
    ctx.reply.integer(link.createdAt);
    ctx.reply.bulkText('events');
    ctx.reply.bulkText(pending > 0 ? 'rw' : 'r');
    ctx.reply.bulkText('send-buffer-allocated');
    ctx.reply.integer(pending);
    ctx.reply.bulkText('send-buffer-used');
    ctx.reply.integer(pending);
  }
}

function clusterCountFailureReports(ctx: Session, args: Buffer[]): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  if (t.indexOf(text(args[2]!)) < 0) return ctx.reply.error(Errors.unknownNode(text(args[2]!)));
  ctx.reply.integer(0);
}

function clusterReplicas(ctx: Session, args: Buffer[]): void {
  const t = topologyOf(ctx);
  if (t === null) return;
  if (t.indexOf(text(args[2]!)) < 0) return ctx.reply.error(Errors.unknownNode(text(args[2]!)));
  ctx.reply.arrayLen(0);
}

/** Bus and failover commands: the layout comes from the shared file (README, Scaling out). */
function notHere(name: string) {
  return (ctx: Session): void => {
    if (topologyOf(ctx) !== null) ctx.reply.error(Errors.clusterBusCommand(name));
  };
}

// ---- connection flags ----

function readonly(ctx: Session): void {
  if (topologyOf(ctx) === null) return;
  ctx.readonlyCluster = true;
  ctx.reply.ok();
}

function readwrite(ctx: Session): void {
  if (topologyOf(ctx) === null) return;
  ctx.readonlyCluster = false;
  ctx.reply.ok();
}

function asking(ctx: Session): void {
  if (topologyOf(ctx) === null) return;
  ctx.asking = true;
  ctx.reply.ok();
}

const HELP = [
  'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
  'HELP',
  '    Prints this help.',
];

type Flag = CommandSpec['flags'][number];
const ADMIN: readonly Flag[] = ['no_async_loading', 'admin', 'stale'];

/** One CLUSTER subcommand with Redis 7.0's metadata (src/commands/cluster-*.json). */
function sub(
  name: string, arity: number, flags: readonly Flag[], since: string, complexity: string, summary: string,
  handler: CommandSpec['handler'], nondeterministic = false,
): CommandSpec {
  const admin = flags.includes('admin');
  return {
    name, arity, flags, since, complexity, summary, handler, group: 'cluster',
    categories: admin ? ['@admin', '@slow', '@dangerous'] : ['@slow'],
    ...(nondeterministic ? { tips: ['nondeterministic_output'] } : {}),
  };
}

const NODES_N = 'O(N) where N is the total number of Cluster nodes';
const SLOTS_N = 'O(N) where N is the total number of the slots between the start slot and end slot arguments.';

export const clusterCommands: readonly CommandSpec[] = [
  {
    name: 'cluster', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for cluster commands', since: '3.0.0',
    group: 'cluster', complexity: 'Depends on subcommand.',
    subcommands: [
      sub('addslots', -3, ADMIN, '3.0.0', 'O(N) where N is the total number of hash slot arguments', 'Assign new hash slots to receiving node', slotsCommand(false, false)),
      sub('addslotsrange', -4, ADMIN, '7.0.0', SLOTS_N, 'Assign new hash slots to receiving node', slotsCommand(false, true)),
      sub('bumpepoch', 2, ADMIN, '3.0.0', 'O(1)', 'Advance the cluster config epoch', clusterBumpepoch, true),
      sub('count-failure-reports', 3, ['admin', 'stale'], '3.0.0', 'O(N) where N is the number of failure reports', 'Return the number of failure reports active for a given node', clusterCountFailureReports, true),
      // Redis keeps a per-slot key index; sealkv counts by walking the keys (README, Scaling out).
      sub('countkeysinslot', 3, ['stale'], '3.0.0', 'O(1)', 'Return the number of local keys in the specified hash slot', clusterCountkeysinslot),
      sub('delslots', -3, ADMIN, '3.0.0', 'O(N) where N is the total number of hash slot arguments', 'Set hash slots as unbound in receiving node', slotsCommand(true, false)),
      sub('delslotsrange', -4, ADMIN, '7.0.0', SLOTS_N, 'Set hash slots as unbound in receiving node', slotsCommand(true, true)),
      sub('failover', -2, ADMIN, '3.0.0', 'O(1)', 'Forces a replica to perform a manual failover of its master.', notHere('failover')),
      sub('flushslots', 2, ADMIN, '3.0.0', 'O(1)', "Delete a node's own slots information", clusterFlushslots),
      sub('forget', 3, ADMIN, '3.0.0', 'O(1)', 'Remove a node from the nodes table', notHere('forget')),
      sub('getkeysinslot', 4, ['stale'], '3.0.0', 'O(log(N)) where N is the number of requested keys', 'Return local key names in the specified hash slot', clusterGetkeysinslot, true),
      sub('help', 2, ['loading', 'stale'], '5.0.0', 'O(1)', 'Show helpful text about the different subcommands', (ctx) => (topologyOf(ctx) === null ? undefined : replyHelp(ctx, HELP))),
      sub('info', 2, ['stale'], '3.0.0', 'O(1)', 'Provides info about Redis Cluster node state', clusterInfo, true),
      sub('keyslot', 3, ['stale'], '3.0.0', 'O(N) where N is the number of bytes in the key', 'Returns the hash slot of the specified key', clusterKeyslot),
      sub('links', 2, ['stale'], '7.0.0', NODES_N, 'Returns a list of all TCP links to and from peer nodes in cluster', clusterLinks, true),
      sub('meet', -4, ADMIN, '3.0.0', 'O(1)', 'Force a node cluster to handshake with another node', notHere('meet')),
      sub('myid', 2, ['stale'], '3.0.0', 'O(1)', 'Return the node id', clusterMyid),
      sub('nodes', 2, ['stale'], '3.0.0', NODES_N, 'Get Cluster config for the node', clusterNodes, true),
      sub('replicas', 3, ['admin', 'stale'], '5.0.0', 'O(1)', 'List replica nodes of the specified master node', clusterReplicas, true),
      sub('replicate', 3, ADMIN, '3.0.0', 'O(1)', 'Reconfigure a node as a replica of the specified master node', notHere('replicate')),
      sub('reset', -2, ['admin', 'stale', 'noscript'], '3.0.0', 'O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.', 'Reset a Redis Cluster node', notHere('reset')),
      sub('saveconfig', 2, ADMIN, '3.0.0', 'O(1)', 'Forces the node to save cluster state on disk', notHere('saveconfig')),
      sub('set-config-epoch', 3, ADMIN, '3.0.0', 'O(1)', 'Set the configuration epoch in a new node', notHere('set-config-epoch')),
      sub('setslot', -4, ADMIN, '3.0.0', 'O(1)', 'Bind a hash slot to a specific node', clusterSetslot),
      sub('shards', 2, ['stale'], '7.0.0', 'O(N) where N is the total number of cluster nodes', 'Get array of cluster slots to node mappings', clusterShards, true),
      sub('slaves', 3, ['admin', 'stale'], '3.0.0', 'O(1)', 'List replica nodes of the specified master node', clusterReplicas, true),
      sub('slots', 2, ['stale'], '3.0.0', NODES_N, 'Get array of Cluster slot to node mappings', clusterSlots, true),
    ],
  },
  { name: 'readonly', arity: 1, flags: ['fast', 'loading', 'stale'], categories: ['@fast', '@connection'], summary: 'Enables read queries for a connection to a cluster replica node', since: '3.0.0', group: 'cluster', complexity: 'O(1)', handler: readonly },
  { name: 'readwrite', arity: 1, flags: ['fast', 'loading', 'stale'], categories: ['@fast', '@connection'], summary: 'Disables read queries for a connection to a cluster replica node', since: '3.0.0', group: 'cluster', complexity: 'O(1)', handler: readwrite },
  { name: 'asking', arity: 1, flags: ['fast'], categories: ['@fast', '@connection'], summary: 'Sent by cluster clients after an -ASK redirect', since: '3.0.0', group: 'cluster', complexity: 'O(1)', handler: asking },
];
