// The TCP and TLS listeners the server keeps open, and how they follow `port`, `tls-port` and
// `bind` (at start, and on CONFIG SET as Redis 7.0 allows). A change opens the new addresses
// before the old ones close, so a port that cannot be had leaves the server listening where it
// was; an address kept is never reopened, and connections already accepted are never touched
// (closing a listener stops accepting only). One exception: an address that overlaps one being
// given up on the same port (127.0.0.1 -> * on 6379) cannot be opened beside it; that old one
// closes first, and is opened again if the new one still fails.

import type { Server as NetServer } from 'node:net';
import type { Logger } from '../log.js';
import type { BindAddress } from './address.js';
import { isAddressUnavailable } from './address.js';
import { describeListenError, listenOn, ListenError } from './listen.js';

export type ListenerKind = 'tcp' | 'tls';

export interface PlannedListener {
  kind: ListenerKind;
  bind: BindAddress;
  port: number;
}

interface OpenListener {
  planned: PlannedListener;
  server: NetServer;
}

const keyOf = (p: PlannedListener) => `${p.kind} ${p.bind.host} ${p.port}`;

/** What `port`, `tls-port` and `bind` call for: plain listeners first, then TLS ones (port 0 = none). */
export function planListeners(binds: BindAddress[], port: number, tlsPort: number): PlannedListener[] {
  const plan: PlannedListener[] = [];
  if (port !== 0) for (const bind of binds) plan.push({ kind: 'tcp', bind, port });
  if (tlsPort !== 0) for (const bind of binds) plan.push({ kind: 'tls', bind, port: tlsPort });
  return plan;
}

export class ListenerSet {
  private readonly open = new Map<string, OpenListener>();

  constructor(private readonly log: Logger) {}

  /** The addresses listened on, as written in `bind`, with their ports. */
  get addresses(): { host: string; port: number; kind: ListenerKind }[] {
    return [...this.open.values()].map(({ planned }) => ({ host: planned.bind.word, port: planned.port, kind: planned.kind }));
  }

  /** Whether a listener of this kind is open now. */
  has(kind: ListenerKind): boolean {
    for (const { planned } of this.open.values()) if (planned.kind === kind) return true;
    return false;
  }

  /** Whether `plan` opens a listener of this kind that is not open now. */
  adds(plan: PlannedListener[], kind: ListenerKind): boolean {
    return plan.some((p) => p.kind === kind && !this.open.has(keyOf(p)));
  }

  /**
   * Listens on exactly the planned addresses. All or nothing: on a ListenError every listener
   * open before stays open and none of the new ones does. `make` builds the server of a kind.
   */
  async apply(plan: PlannedListener[], backlog: number, make: (kind: ListenerKind) => NetServer): Promise<void> {
    const wanted = new Map(plan.map((p) => [keyOf(p), p]));
    const leaving = [...this.open].filter(([key]) => !wanted.has(key));
    const opened: [string, OpenListener][] = [];
    const blockedByLeaving: PlannedListener[] = [];
    const closedEarly: [string, OpenListener][] = [];
    const undo = async (err: unknown): Promise<never> => {
      for (const [, o] of opened) o.server.close();
      for (const [key, o] of closedEarly) {
        try {
          const again = await this.listen(o.planned, backlog, make);
          if (again !== null) this.open.set(key, again);
          else this.open.delete(key);
        } catch (reopenErr) {
          this.open.delete(key);
          this.log.warn({ address: `${o.planned.bind.word}:${o.planned.port}`, err: (reopenErr as Error).message }, 'a listener given up for a failed change could not be opened again');
        }
      }
      throw err;
    };
    for (const [key, planned] of wanted) {
      if (this.open.has(key)) continue;
      try {
        const o = await this.listen(planned, backlog, make);
        if (o !== null) opened.push([key, o]);
      } catch (err) {
        const sharesPort = leaving.some(([, o]) => o.planned.port === planned.port);
        if (err instanceof ListenError && err.code === 'EADDRINUSE' && sharesPort) blockedByLeaving.push(planned);
        else return undo(err);
      }
    }
    if (blockedByLeaving.length > 0) {
      for (const [key, o] of leaving) {
        if (!blockedByLeaving.some((p) => p.port === o.planned.port)) continue;
        o.server.close();
        closedEarly.push([key, o]);
      }
      for (const planned of blockedByLeaving) {
        try {
          const o = await this.listen(planned, backlog, make);
          if (o !== null) opened.push([keyOf(planned), o]);
        } catch (err) {
          return undo(err);
        }
      }
    }
    for (const [key, o] of leaving) {
      if (!closedEarly.some(([k]) => k === key)) o.server.close();
      this.open.delete(key);
    }
    for (const [key, o] of opened) this.open.set(key, o);
  }

  /** Stops accepting on every listener (connections accepted stay). */
  closeAll(): void {
    for (const { server } of this.open.values()) server.close();
    this.open.clear();
  }

  /** One listener, or null for an optional (`-`) address this host does not have. */
  private async listen(planned: PlannedListener, backlog: number, make: (kind: ListenerKind) => NetServer): Promise<OpenListener | null> {
    const { bind, port } = planned;
    const server = make(planned.kind);
    try {
      await listenOn(server, { host: bind.host, port, backlog, ipv6Only: bind.host.includes(':') });
    } catch (err) {
      if (bind.optional && isAddressUnavailable(err)) {
        // Redis 7: a `-` address this host does not have is skipped, with a line in the log.
        this.log.warn({ bind: bind.word, port, code: (err as NodeJS.ErrnoException).code }, 'optional bind address skipped');
        return null;
      }
      throw new ListenError(`cannot listen on ${bind.word}:${port}: ${describeListenError(err)}`, (err as NodeJS.ErrnoException).code);
    }
    return { planned, server };
  }
}
