// The cluster's layout as this node knows it (redis cluster.c's clusterState, without the bus):
// the nodes, which node serves each of the 16384 slots, and the slots this node is migrating
// out or importing. There is no gossip and no consensus: every node reads the same layout file
// at start (layout-file.ts) and changes only through CLUSTER ADDSLOTS / DELSLOTS / SETSLOT sent
// by an operator or a tool (redis-cli --cluster), as a Redis cluster's nodes would after a
// reshard. Failover and replicas are out of scope (README, Scaling out).

export const SLOTS = 16384;
const NONE = -1;

export interface ClusterNode {
  /** 40 hex characters, as Redis names nodes. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** The bus port Redis would use; only shown (CLUSTER NODES), sealkv has no bus. */
  readonly busPort: number;
}

export class Topology {
  readonly nodes: ClusterNode[] = [];
  /** Index into nodes of each slot's owner, or NONE. */
  private readonly owner = new Int16Array(SLOTS).fill(NONE);
  /** This node's slots moving out (to the node at that index) or in (from it). */
  private readonly migrating = new Int16Array(SLOTS).fill(NONE);
  private readonly importing = new Int16Array(SLOTS).fill(NONE);
  /** Slots with an owner (assignedSlots). */
  private assigned = 0;
  /**
   * Added to every node's config epoch (node i has i + epoch): moved by CLUSTER BUMPEPOCH and
   * by an import that completes, as Redis bumps its epoch without consensus then.
   */
  epoch = 1;

  constructor(
    nodes: readonly ClusterNode[],
    /** Index of this node in nodes. */
    readonly self: number,
  ) {
    this.nodes.push(...nodes);
  }

  get myself(): ClusterNode {
    return this.nodes[this.self]!;
  }

  indexOf(id: string): number {
    return this.nodes.findIndex((n) => n.id === id);
  }

  ownerOf(slot: number): ClusterNode | undefined {
    const i = this.owner[slot]!;
    return i === NONE ? undefined : this.nodes[i];
  }

  ownerIndex(slot: number): number {
    return this.owner[slot]!;
  }

  assign(slot: number, node: number): void {
    if (this.owner[slot] === NONE) this.assigned++;
    this.owner[slot] = node;
  }

  unassign(slot: number): void {
    if (this.owner[slot] !== NONE) this.assigned--;
    this.owner[slot] = NONE;
  }

  migratingTo(slot: number): ClusterNode | undefined {
    const i = this.migrating[slot]!;
    return i === NONE ? undefined : this.nodes[i];
  }

  importingFrom(slot: number): ClusterNode | undefined {
    const i = this.importing[slot]!;
    return i === NONE ? undefined : this.nodes[i];
  }

  setMigrating(slot: number, node: number): void {
    this.migrating[slot] = node;
  }

  setImporting(slot: number, node: number): void {
    this.importing[slot] = node;
  }

  /** SETSLOT STABLE, and what SETSLOT NODE clears. */
  clearMoves(slot: number): void {
    this.migrating[slot] = NONE;
    this.importing[slot] = NONE;
  }

  /**
   * How many slots have an owner: counted as slots are assigned, since every keyed command asks
   * (cluster-require-full-coverage), and walking 16384 slots each time cost most of a command.
   */
  assignedSlots(): number {
    return this.assigned;
  }

  /** [first, last] runs of consecutive slots with the same owner, in slot order. */
  runs(): { first: number; last: number; node: number }[] {
    const out: { first: number; last: number; node: number }[] = [];
    for (let s = 0; s < SLOTS; s++) {
      const node = this.owner[s]!;
      if (node === NONE) continue;
      const prev = out[out.length - 1];
      if (prev !== undefined && prev.node === node && prev.last === s - 1) prev.last = s;
      else out.push({ first: s, last: s, node });
    }
    return out;
  }

  /** Masters serving at least one slot (CLUSTER INFO cluster_size). */
  servingNodes(): number {
    return new Set(this.runs().map((r) => r.node)).size;
  }

  /** Slots this node is moving, for CLUSTER NODES' [slot->-id] / [slot-<-id] marks. */
  moves(): { slot: number; out: boolean; node: ClusterNode }[] {
    const out: { slot: number; out: boolean; node: ClusterNode }[] = [];
    for (let s = 0; s < SLOTS; s++) {
      const m = this.migrating[s]!;
      const i = this.importing[s]!;
      if (m !== NONE) out.push({ slot: s, out: true, node: this.nodes[m]! });
      else if (i !== NONE) out.push({ slot: s, out: false, node: this.nodes[i]! });
    }
    return out;
  }
}
