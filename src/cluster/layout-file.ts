// The cluster layout file (cluster-config-file): the same text on every node, written by the
// operator or the orchestrator, one line per node:
//
//   # comment
//   <node id: 40 hex> <host>:<port>[@<bus port>] [<slot> | <first>-<last>] ...
//
// A node finds itself in it by `cluster-node-id`, or else by its announced (or bound) address
// and port. Anything wrong (a bad id, a slot out of range or claimed twice, no line or two lines
// for this node) stops the server at start: a node serving slots it should not would answer
// for keys that live elsewhere.

import { readFileSync } from 'node:fs';
import { SLOTS, Topology, type ClusterNode } from './topology.js';

export class LayoutError extends Error {}

/** What identifies this node in the file. */
export interface SelfHint {
  /** cluster-node-id, or ''. */
  id: string;
  /** Addresses this node is reachable at (announce ip/hostname, bind addresses). */
  hosts: readonly string[];
  /** cluster-announce-port, else port. */
  port: number;
}

const ID = /^[0-9a-f]{40}$/;

export function parseLayout(text: string, self: SelfHint): Topology {
  const nodes: ClusterNode[] = [];
  const claims: [slot: number, node: number][] = [];
  text.split('\n').forEach((raw, n) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const where = `line ${n + 1}`;
    const [id, address, ...slots] = line.split(/\s+/);
    if (!ID.test(id!)) throw new LayoutError(`${where}: node id must be 40 lower-case hex characters`);
    if (nodes.some((x) => x.id === id)) throw new LayoutError(`${where}: node ${id} is listed twice`);
    const m = /^(.+):(\d+)(?:@(\d+))?$/.exec(address ?? '');
    if (m === null) throw new LayoutError(`${where}: address must be host:port[@busport]`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new LayoutError(`${where}: port out of range`);
    const index = nodes.length;
    nodes.push({ id: id!, host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port, busPort: m[3] !== undefined ? Number(m[3]) : port + 10000 });
    for (const s of slots) {
      const r = /^(\d+)(?:-(\d+))?$/.exec(s);
      const first = r === null ? NaN : Number(r[1]);
      const last = r === null ? NaN : Number(r[2] ?? r[1]);
      if (!(first >= 0 && last < SLOTS && first <= last)) throw new LayoutError(`${where}: bad slot or range '${s}'`);
      for (let slot = first; slot <= last; slot++) claims.push([slot, index]);
    }
  });
  if (nodes.length === 0) throw new LayoutError('the layout lists no node');
  const me = findSelf(nodes, self);
  const topology = new Topology(nodes, me);
  const seen = new Int16Array(SLOTS).fill(-1);
  for (const [slot, node] of claims) {
    if (seen[slot] !== -1 && seen[slot] !== node) throw new LayoutError(`slot ${slot} is claimed by two nodes`);
    seen[slot] = node;
    topology.assign(slot, node);
  }
  return topology;
}

function findSelf(nodes: readonly ClusterNode[], self: SelfHint): number {
  if (self.id !== '') {
    const i = nodes.findIndex((n) => n.id === self.id);
    if (i < 0) throw new LayoutError(`cluster-node-id ${self.id} is not in the layout`);
    return i;
  }
  const byPort = nodes.map((n, i) => [n, i] as const).filter(([n]) => n.port === self.port);
  const byAddress = byPort.filter(([n]) => self.hosts.includes(n.host));
  const found = byAddress.length > 0 ? byAddress : byPort;
  if (found.length === 1) return found[0]![1];
  throw new LayoutError(found.length === 0
    ? `no node of the layout has this node's port ${self.port}: set cluster-node-id`
    : `several nodes of the layout match this node's address and port: set cluster-node-id`);
}

export function readLayout(path: string, self: SelfHint): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LayoutError(`cannot read cluster-config-file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseLayout(text, self);
}

/** The layout as a file again (after ADDSLOTS/SETSLOT...), for an orchestrator to keep. */
export function formatLayout(t: Topology): string {
  const slots = new Map<number, string[]>();
  for (const run of t.runs()) {
    const list = slots.get(run.node) ?? [];
    list.push(run.first === run.last ? String(run.first) : `${run.first}-${run.last}`);
    slots.set(run.node, list);
  }
  return t.nodes.map((n, i) => [n.id, `${n.host}:${n.port}@${n.busPort}`, ...(slots.get(i) ?? [])].join(' ')).join('\n') + '\n';
}
