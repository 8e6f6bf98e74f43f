// Client tracking's hold on the server and its hooks in the command path (redis call() and
// processCommand): made on the first CLIENT TRACKING, so a server where nobody tracks pays one
// branch per command. The dispatcher tells it when a top-level command starts and ends (its own
// invalidations go out after its reply), the command runner after each command which keys a
// read-only command read (a script's reads track the script's declared keys, as Redis does).

import { keysOf } from '../commands/key-specs.js';
import { argArray, type ArgList } from '../protocol/arg-list.js';
import type { ClientState, CommandSpec, Server, Session } from '../commands/types.js';
import { Tracker } from './tracker.js';

export { Tracker } from './tracker.js';
export type { ClientTracking } from './tracker.js';

const byServer = new WeakMap<Server, Tracker>();
/** Servers with a tracker: the hooks below return at once while there is none. */
let live = 0;

export function trackerOf(server: Server): Tracker {
  let t = byServer.get(server);
  if (t === undefined) {
    t = new Tracker(server);
    byServer.set(server, t);
    live++;
    const made = t;
    server.rotation.renewOutside.push(() => made.renewSealedNames());
  }
  return t;
}

export function trackerIfAny(server: Server): Tracker | undefined {
  return live === 0 ? undefined : byServer.get(server);
}

/** Script commands whose own read-only flag does not track: their reads inside do. */
const SCRIPT_RO = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);
const readOnly = new WeakMap<CommandSpec, boolean>();

function tracksReads(spec: CommandSpec): boolean {
  let r = readOnly.get(spec);
  if (r === undefined) {
    r = spec.flags.includes('readonly') && !spec.flags.includes('pubsub') && !SCRIPT_RO.has(spec.name);
    readOnly.set(spec, r);
  }
  return r;
}

/**
 * Before a command is processed (redis processCommand and resetClient): CLIENT CACHING lasts
 * one command (or one transaction), and the table is brought back under its size limit.
 */
export function beforeCommand(ctx: ClientState & { server: Server }): void {
  if (live === 0) return;
  const t = byServer.get(ctx.server);
  if (t === undefined) return;
  const state = t.stateOf(ctx.id);
  if (state !== undefined && state.caching && ctx.multi === null && !ctx.lastCommand.startsWith('client|')) state.caching = false;
  if (t.trackingClients > 0) t.limitUsedSlots();
}

/** A top-level command starts running on ctx; returns what endCommand needs. */
export function startCommand(ctx: Session): Tracker | undefined {
  if (live === 0) return undefined;
  const t = byServer.get(ctx.server);
  if (t !== undefined) t.current = ctx.id;
  return t;
}

/** The command's synchronous part is done (or, for one that waited, all of it): its invalidations follow its reply. */
export function endCommand(t: Tracker | undefined, ctx: Session): void {
  if (t === undefined) return;
  if (t.current === ctx.id) t.current = 0;
  t.flushPending(ctx.id);
}

/** Around each command run (top level, in EXEC, from a script): returns the state to restore. */
export function enterRun(ctx: Session, spec: CommandSpec, args: ArgList): Tracker | undefined {
  if (live === 0) return undefined;
  const t = byServer.get(ctx.server);
  if (t === undefined) return undefined;
  if (!ctx.scripted) {
    t.flushedInCommand = false;
    t.outerSpec = spec;
    t.outerArgs = argArray(args);
  }
  return t;
}

/** After a command ran: a read-only one tracks the keys it read for its client (redis call()). */
export function leaveRun(t: Tracker | undefined, ctx: Session, spec: CommandSpec, args: ArgList): void {
  if (t === undefined) return;
  // The command's arguments (as enterRun made them an array) are not held past it.
  const ownArgs = t.outerArgs;
  if (!ctx.scripted) t.outerSpec = t.outerArgs = null;
  if (!tracksReads(spec)) return;
  const state = t.stateOf(ctx.id);
  if (state === undefined || !state.on || state.bcast) return;
  if ((state.optin && !state.caching) || (state.optout && state.caching)) return;
  // A script's reads track the keys the script declared (the caller's command).
  const outerSpec = ctx.scripted ? t.outerSpec : spec;
  const outerArgs = ctx.scripted ? t.outerArgs : (ownArgs ?? argArray(args));
  if (outerSpec === null || outerArgs === null) return;
  const keys = keysOf(outerSpec, outerArgs);
  if (keys.length > 0) t.remember(state, outerArgs, keys);
}
