// A script past busy-reply-threshold (redis script.c scriptInterrupt, server.c processCommand's
// BUSY check, scriptKill, functionStatsCommand). The script keeps running, as in Redis 7; from
// its count hook (ScriptCall.interrupt) and between its redis.call commands, this module serves
// the other connections at most every POLL_MS (further apart when a poll takes long): each one reads what the kernel holds for it without the event loop (Client.serveWhileBusy,
// net/busy-read.ts) and every request is answered here: Redis's refusal when it has one
// (unknown command, arity, NOAUTH, NOPERM, pub/sub context), else BUSY, except the commands
// Redis lets through (allow_busy: AUTH HELLO MULTI DISCARD WATCH UNWATCH RESET QUIT REPLCONF
// SCRIPT KILL FUNCTION KILL FUNCTION STATS SHUTDOWN). SCRIPT KILL / FUNCTION KILL stop a script
// that has not written; SHUTDOWN NOSAVE stops any script and the server.
//
// What waits for the script's end: TLS connections (their bytes cannot be read synchronously),
// connections not yet accepted (the listener is served by the event loop: they sit in the
// kernel's backlog), the admin HTTP port, a connection with a command waiting or replies not yet taken by the
// kernel (answering it now could reorder its replies), and the script's own connection.
// Commands run here skip the dispatcher's after-command step on purpose: clients blocked on keys
// the script wrote, and replicas, hear of the script's writes once it has ended, never halfway.

import { argArray, type ArgList } from '../../protocol/arg-list.js';
import { Errors } from '../../protocol/errors.js';
import { admitCommand } from '../admission.js';
import { clusterRedirect } from '../cluster/cluster.js';
import { dispatch } from '../dispatch.js';
import { commandRejected } from '../observe.js';
import { refusedWhileSubscribed } from '../connection/pubsub.js';
import type { Registry } from '../registry.js';
import { runHandler } from '../run-handler.js';
import { endTransaction, queueCommand } from '../connection/transactions.js';
import type { BusyAnswer, CommandSpec, Server, Session } from '../types.js';

/** How often a busy script serves the other connections (Redis: every hook, ~100k instructions). */
const POLL_MS = 2;
/**
 * A poll reads every connection (a few us each when idle: EAGAIN), so with thousands of them it
 * takes milliseconds: the next one waits this many times as long, keeping polls to a fifth of
 * the script's time.
 */
const POLL_SPACING = 4;

/** What the running script tells this module (ScriptCall). */
export interface BusyScript {
  /** The connection that runs it: never served meanwhile. */
  readonly callerId: number;
  readonly mode: 'eval' | 'function';
  /** The SHA of an EVAL script or the name of a function. */
  readonly name: string;
  /** A write command has run: SCRIPT KILL answers UNKILLABLE. */
  readonly wrote: boolean;
  /** performance.now() when it started. */
  readonly started: number;
  /** The calling command for FUNCTION STATS, key and argument bytes withheld. */
  command(): string[];
}

export class BusyRun {
  /** SCRIPT KILL / FUNCTION KILL was accepted: the script stops at its next hook. */
  killed = false;
  /** SHUTDOWN NOSAVE was accepted: the script stops, and its caller gets no reply. */
  stopping = false;
  private nextPoll = -Infinity;
  readonly answer: BusyAnswer;

  constructor(
    readonly server: Server,
    registry: Registry,
    readonly script: BusyScript,
  ) {
    this.answer = (ctx, args) => answerWhileBusy(this, ctx, registry, args);
  }

  /** The BUSY error for this script's kind (EVAL or function). */
  get error(): string {
    return this.script.mode === 'eval' ? Errors.busyEval : Errors.busyFunction;
  }

  /**
   * Serves the other connections (at most every POLL_MS); returns the error the script stops
   * with, or null while it runs on.
   */
  poll(now: number): string | null {
    if (!this.killed && !this.stopping && now >= this.nextPoll) {
      const server = this.server;
      const obs = server.observer;
      // The script's own command is being timed and its errors counted: keep that as it was.
      const mark = obs.mark;
      const errorsBefore = obs.errorsBefore;
      const errors = server.stats.failures;
      try {
        for (const client of server.clients.values()) {
          if (client.id === this.script.callerId || client.serveWhileBusy === undefined) continue;
          try {
            client.serveWhileBusy(this.answer);
          } catch (err) {
            // Never through the VM's hook: a JS exception crossing the Lua frames would wreck the
            // script's state. The connection that caused it is closed instead.
            server.log.error({ client: client.id, err: String(err) }, 'command failed while a script was busy');
            client.kill();
          }
          if (this.killed || this.stopping) break;
        }
      } finally {
        obs.mark = mark;
        obs.errorsBefore = errorsBefore + Math.max(0, server.stats.failures - errors);
        const end = performance.now();
        this.nextPoll = end + Math.max(POLL_MS, (end - now) * POLL_SPACING);
      }
    }
    return this.killed || this.stopping ? `-${Errors.scriptKilled}` : null;
  }
}

const running = new WeakMap<Server, BusyRun>();

/** The script passed busy-reply-threshold: other connections are served from now on (redis enterScriptTimedoutMode). */
export function enterBusy(server: Server, registry: Registry, script: BusyScript): BusyRun {
  const run = new BusyRun(server, registry, script);
  running.set(server, run);
  server.log.warn(
    { ms: Math.round(performance.now() - script.started), script: script.name, kill: script.mode === 'eval' ? 'SCRIPT KILL' : 'FUNCTION KILL' },
    'Slow script detected: still in execution after busy-reply-threshold; it can be killed with SCRIPT KILL (FUNCTION KILL for a function)',
  );
  return run;
}

/** The script has ended (redis exitScriptTimedoutMode). */
export function leaveBusy(run: BusyRun): void {
  if (running.get(run.server) === run) running.delete(run.server);
  if (run.killed) run.server.log.warn({ script: run.script.name }, 'Lua script killed by user with SCRIPT KILL.');
}

/** SCRIPT KILL (`eval`) and FUNCTION KILL: Redis's scriptKill. */
export function killBusyScript(ctx: Session, eval_: boolean): void {
  const run = running.get(ctx.server);
  if (run === undefined) return ctx.reply.error(Errors.notBusy);
  if (run.script.wrote) return ctx.reply.error(Errors.unkillable);
  if (eval_ && run.script.mode !== 'eval') return ctx.reply.error(Errors.busyFunction);
  if (!eval_ && run.script.mode === 'eval') return ctx.reply.error(Errors.busyEval);
  run.killed = true;
  ctx.reply.ok();
}

/** For FUNCTION STATS: the busy script, or null when none is. */
export function busyScriptOf(server: Server): BusyScript | null {
  return running.get(server)?.script ?? null;
}

/** One request from another connection while the script is busy (redis processCommand's order). */
function answerWhileBusy(run: BusyRun, ctx: Session, registry: Registry, args: ArgList): void | Promise<void> {
  // The script has ended while this connection's read was being served (its last command stopped it).
  if (running.get(run.server) !== run) return dispatch(ctx, registry, args);
  const admitted = admitCommand(ctx, registry, args);
  // Unknown command, arity, NOAUTH, NOPERM: answered as always (they come before BUSY in Redis).
  if (admitted.kind !== 'ok') return dispatch(ctx, registry, args);
  const { spec, fullName, noMulti, transactionControl } = admitted.command;
  if (ctx.server.cluster !== null) {
    const redirect = clusterRedirect(ctx, spec, argArray(args), fullName === 'exec');
    if (redirect !== null) return refuse(ctx, spec, redirect);
  }
  const subscribed = refusedWhileSubscribed(ctx, spec, fullName);
  if (subscribed !== null) return refuse(ctx, spec, subscribed);
  if (!spec.flags.includes('allow_busy') || (spec.name === 'shutdown' && !shutdownAllowed(args))) {
    return refuse(ctx, spec, run.error, fullName === 'exec');
  }
  // MULTI queueing as in the dispatcher (SCRIPT KILL inside MULTI is queued, as in Redis).
  if (ctx.multi !== null && !transactionControl) {
    if (noMulti) return refuse(ctx, spec, Errors.notAllowedInMulti);
    queueCommand(ctx, spec, fullName, argArray(args));
    ctx.reply.simple('QUEUED');
    return;
  }
  ctx.lastCommand = fullName;
  ctx.server.stats.totalCommands++;
  ctx.now = ctx.server.clock();
  const pending = runHandler(ctx, spec, args);
  if (ctx.server.shuttingDown) run.stopping = true;
  return pending;
}

/**
 * SHUTDOWN while busy: only NOSAVE (redis shutdownCommand); ABORT and malformed ones are
 * answered by the handler as always.
 */
function shutdownAllowed(args: ArgList): boolean {
  const words = argArray(args).slice(1).map((a) => a.toString('latin1').toLowerCase());
  return words.some((w) => w === 'nosave' || w === 'abort' || !['save', 'now', 'force'].includes(w));
}

/** As the dispatcher refuses: a refused EXEC drops the transaction, a refusal inside MULTI dooms it. */
function refuse(ctx: Session, spec: CommandSpec, message: string, isExec = false): void {
  commandRejected(ctx, spec);
  if (isExec) {
    endTransaction(ctx);
    return ctx.reply.error(Errors.execAbortBecause(message.startsWith('ERR ') ? message.slice(4) : message));
  }
  if (ctx.multi !== null) ctx.multiFailed = true;
  ctx.reply.error(message);
}
