// The generic checks, done once for every command (redis processCommand): admission (lookup,
// arity, authentication, ACL: admission.ts, shared with redis.call), MONITOR,
// CLIENT PAUSE, OOM, MULTI queueing. Handlers never repeat them.

import { refuse } from '../acl/refuse.js';
import { argArray, firstArgs, type ArgList } from '../protocol/arg-list.js';
import { Errors } from '../protocol/errors.js';
import { admitCommand, type Admission } from './admission.js';
import { clusterRedirect } from './cluster/cluster.js';
import { admit, afterPromotion } from './memory-gate.js';
import { refusedToMonitor } from './connection/monitor.js';
import { commandRejected } from './observe.js';
import { holdIfPaused, holdsAny } from './connection/pause.js';
import { refusedWhileSubscribed } from './connection/pubsub.js';
import { crossProtocolAttack } from './connection/cross-protocol.js';
import type { Registry } from './registry.js';
import { runHandler } from './run-handler.js';
import { runPrepared } from './values/bulk.js';
import { runOffloaded } from './values/offload.js';
import { isReplica, loadingNow, replicationRefusal, replicationIfAny, staleReplica } from '../replication/index.js';
import { endTransaction, queueCommand } from './connection/transactions.js';
import { beforeCommand, endCommand, startCommand } from '../tracking/index.js';
import type { CommandSpec, Session } from './types.js';

/**
 * `args` is an array, or for a request of thousands of arguments whose handler reads a vector, a
 * vector (arg-list.ts): the checks that need an array (cluster, OOM, MULTI) make one.
 */
export function dispatch(ctx: Session, registry: Registry, args: ArgList): void | Promise<void> {
  if (crossProtocolAttack(ctx, args)) return;
  beforeCommand(ctx);
  const admitted = admitCommand(ctx, registry, args);
  const name = lookedUpName(admitted);
  // Stored only when it changed (a write barrier per store; a pipeline repeats one command).
  if (ctx.lastCommand !== name) ctx.lastCommand = name;
  if (admitted.kind !== 'ok') return refuseAdmission(ctx, admitted, args);
  const found = admitted.command;
  const spec = found.spec;
  const isExec = found.isExec;
  const server = ctx.server;
  // Cluster redirections (Redis checks them here: after ACL, before OOM and MULTI queueing).
  const asking = ctx.asking;
  if (server.cluster !== null) {
    const redirect = clusterRedirect(ctx, spec, argArray(args), isExec);
    if (spec.name !== 'asking' && ctx.multi === null) ctx.asking = false;
    if (redirect !== null) {
      if (!isExec) return reject(ctx, redirect, false, spec);
      // A redirected EXEC drops the transaction and answers the redirection itself.
      endTransaction(ctx);
      commandRejected(ctx, spec);
      return ctx.reply.error(redirect);
    }
  }
  // MONITOR mode and CLIENT PAUSE (Redis checks both here, before OOM and MULTI queueing).
  if (refusedToMonitor(ctx, spec)) return reject(ctx, Errors.replicaKeyspace, false, spec);
  if (holdsAny()) {
    const held = holdWhilePaused(ctx, registry, spec, found.fullName, args, asking);
    if (held !== undefined) return held;
  }
  // Connections over maxmemory-clients go first, before keys (redis processCommand -> evictClients);
  // if this one was among them, its command does not run.
  if (server.clientEviction.over && server.clientEviction.check() > 0 && ctx.closed) return;
  if (server.memory.overLimit && !admit(ctx, spec, argArray(args))) return reject(ctx, Errors.oom, isExec, spec);
  // EXEC counts as a write when a queued command is one (redis processCommand's is_write_command):
  // MISCONF, NOREPLICAS and READONLY that came about after queueing abort the transaction.
  const writes = found.writes || (isExec && ctx.multi !== null && ctx.multi.some((q) => q.spec.flags.includes('write')));
  if ((writes || found.isPing) && server.persistence.deniesWrites) return reject(ctx, Errors.misconf, isExec, spec);
  // One lookup tells whether replication is there at all; its checks keep Redis's order.
  const replicating = replicationIfAny(server) !== undefined;
  if (writes && replicating) {
    const refusal = replicationRefusal(ctx);
    if (refusal !== null) return reject(ctx, refusal, isExec, spec);
  }
  const subscribed = refusedWhileSubscribed(ctx, spec, found.fullName);
  if (subscribed !== null) return reject(ctx, subscribed, isExec, spec);
  if (replicating && isReplica(server)) {
    // A replica cut off from its primary with replica-serve-stale-data no: only `stale` commands,
    // and an EXEC only when every queued command is one (Redis's cmd_inv_flags).
    if (staleReplica(server) && (!spec.flags.includes('stale') || (isExec && ctx.multi?.some((q) => !q.spec.flags.includes('stale'))))) {
      return reject(ctx, Errors.masterDown, isExec, spec);
    }
    // A replica loading its full copy: only `loading` commands (INFO, SELECT, ...), as in Redis.
    if (loadingNow(server) && (!spec.flags.includes('loading') || (isExec && ctx.multi?.some((q) => !q.spec.flags.includes('loading'))))) {
      return reject(ctx, Errors.loading, isExec, spec);
    }
  }
  if (ctx.multi !== null && !found.transactionControl) {
    if (found.noMulti) return reject(ctx, Errors.notAllowedInMulti, false, spec);
    server.observer.mark = NaN;
    queueCommand(ctx, spec, found.fullName, argArray(args));
    ctx.reply.simple('QUEUED');
    return;
  }
  // A spilled value the command needs is read back first, without blocking other clients.
  if (server.spill !== null) {
    const promoting = afterPromotion(ctx, spec, args, execute);
    if (promoting !== undefined) return promoting;
  }
  // A command with very many elements seals them ahead, a slice per turn, then runs (bulk.ts).
  // GET and SET of a large value, SETRANGE / SETBIT's far gaps: AEAD work on a seal worker (offload.ts).
  return runPrepared(ctx, spec, args, execute) ?? runOffloaded(ctx, spec, args, execute);
}

/**
 * CLIENT LIST's cmd=: Redis sets it at lookup, before arity, auth and ACL checks
 * (processCommand's c->lastcmd), so a refused command shows, and an unknown one shows NULL.
 */
function lookedUpName(admitted: Admission): string {
  switch (admitted.kind) {
    case 'ok': case 'noauth': case 'acl': return admitted.command.fullName;
    case 'arity': return admitted.fullName;
    default: return 'NULL';
  }
}

/** The error for a command that admission turned away (unknown, arity, NOAUTH, ACL). */
function refuseAdmission(ctx: Session, admitted: Exclude<Admission, { kind: 'ok' }>, args: ArgList): void {
  switch (admitted.kind) {
    case 'unknown':
      return reject(ctx, Errors.unknownCommand(args.at(0)!, firstArgs(args, 64), 1));
    case 'unknown-subcommand':
      return reject(ctx, Errors.unknownSubcommand(args.at(1)!, admitted.container));
    case 'arity':
      return reject(ctx, Errors.wrongArity(admitted.fullName), admitted.fullName === 'exec', admitted.spec);
    case 'noauth':
      return reject(ctx, Errors.noAuth, admitted.command.isExec, admitted.command.spec);
    case 'acl': {
      const { command } = admitted;
      const message = refuse(ctx, admitted.reason, admitted.object, command.fullName);
      return reject(ctx, message, command.isExec, command.spec);
    }
  }
}

function execute(ctx: Session, spec: CommandSpec, args: ArgList, shown: ArgList = args): void | Promise<void> {
  const server = ctx.server;
  server.stats.totalCommands++;
  // Within a read, the command's unix time comes from the monotonic mark its timing reads
  // anyway (Observer.wallAt): one clock read per command instead of two. A script's commands and
  // those run outside a read (resumed, woken) read the clock.
  const wall = ctx.scripted ? NaN : server.observer.wallAt();
  ctx.now = Number.isNaN(wall) ? server.clock() : wall;
  const tracking = startCommand(ctx);
  let pending: void | Promise<void>;
  try {
    pending = runHandler(ctx, spec, args, shown);
  } finally {
    // Client tracking's invalidations caused by this client's own command follow its reply.
    endCommand(tracking, ctx);
  }
  // The key arguments seal-keys remembered for this command are not needed past it.
  if (pending === undefined) return afterCommand(ctx);
  return finishWhenDone(ctx, tracking, pending);
}

// The closures of a held or waiting command are made in functions of their own: variables a
// closure captures live in a context object that V8 allocates on entry to the function that
// declares it, so in dispatch() or execute() it cost ~45 B of garbage on every command.

/** A held command keeps its ASKING for when it is dispatched again (Redis clears the flag only once a command has run). */
function holdWhilePaused(ctx: Session, registry: Registry, spec: CommandSpec, fullName: string, args: ArgList, asking: boolean): Promise<void> | undefined {
  return holdIfPaused(ctx, spec, fullName, args, (copy) => {
    ctx.asking = asking;
    return dispatch(ctx, registry, copy);
  });
}

function finishWhenDone(ctx: Session, tracking: ReturnType<typeof startCommand>, pending: Promise<void>): Promise<void> {
  const done = () => {
    endCommand(tracking, ctx);
    afterCommand(ctx);
  };
  void pending.then(done, done);
  return pending;
}

/** After a whole command (EXEC and EVAL included): forget its key names, serve clients its writes unblocked. */
function afterCommand(ctx: Session): void {
  ctx.server.names.endCommand();
  const blocking = ctx.server.blocking;
  if (blocking.hasReady) blocking.serveReady();
  // Its writes (and those of the clients it unblocked) go to the replicas: one hook for all.
  replicationIfAny(ctx.server)?.afterCommand(ctx);
}

/**
 * An error for a command that will not run; inside MULTI it also dooms the transaction, and a
 * command the table knows counts it as rejected (INFO commandstats rejected_calls). A
 * refused EXEC (arity, auth, ACL, OOM), in MULTI or not, discards the transaction and forgets
 * watched keys, answering EXECABORT with the reason (redis rejectCommand -> execCommandAbort,
 * whose formatted reasons carry no "ERR " prefix).
 */
function reject(ctx: Session, message: string, isExec = false, spec?: CommandSpec): void {
  ctx.server.observer.mark = NaN;
  if (spec !== undefined) commandRejected(ctx, spec);
  if (isExec) {
    endTransaction(ctx);
    ctx.reply.error(Errors.execAbortBecause(message.startsWith('ERR ') ? message.slice(4) : message));
    return;
  }
  if (ctx.multi !== null) ctx.multiFailed = true;
  ctx.reply.error(message);
}
