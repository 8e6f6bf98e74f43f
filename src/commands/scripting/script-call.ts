// redis.call from a script (redis scriptCall): the shared admission step (admission.ts), then
// the script's own rules (noscript commands, writes in read-only scripts, OOM before the first
// write), then the handler itself with its reply captured in a ReplyWriter of the script's RESP
// version, whose bytes engine.ts turns into Lua values. The capture buffer is zeroed as soon as
// the engine has them (release) and when the script ends.

import { clientLine } from '../connection/clients.js';
import { admitCommand } from '../admission.js';
import { replicationRefusal, staleReplica } from '../../replication/index.js';
import { hasSpilledKeys } from '../memory-gate.js';
import { ScriptFlag, type Registry } from '../registry.js';
import { runHandler } from '../run-handler.js';
import type { CommandSpec, Server, Session } from '../types.js';
import { commandRejected } from '../observe.js';
import { Errors } from '../../protocol/errors.js';
import { ReplyWriter } from '../../protocol/reply.js';
import { argArray, type ArgList } from '../../protocol/arg-list.js';
import { RawArgs } from '../../protocol/raw-args.js';
import type { ScriptRun } from '../../scripting/engine.js';
import { enterBusy, leaveBusy, type BusyRun, type BusyScript } from './script-busy.js';
import { ScriptSession } from './script-session.js';

export interface ScriptFlags {
  /** EVAL_RO / FCALL_RO, or a no-writes script: write commands are refused. */
  readOnly: boolean;
  /** allow-oom (or no-writes): denyoom commands run over maxmemory. */
  allowOom: boolean;
}

const NONE: Buffer[] = [];

const thresholds = new WeakMap<Server, { ms: number }>();

/** busy-reply-threshold, kept current through CONFIG SET (reading the config costs ~0.1 us a script). */
function busyThreshold(server: Server): { ms: number } {
  let cell = thresholds.get(server);
  if (cell === undefined) {
    const fresh = { ms: Number(server.config.get('busy-reply-threshold')) };
    server.config.onChange((name, value) => {
      if (name === 'busy-reply-threshold') fresh.ms = Number(value);
    });
    thresholds.set(server, (cell = fresh));
  }
  return cell;
}

/**
 * One per server, reused by every script (scripts never nest: engine.running refuses that), so
 * an EVALSHA allocates neither it nor its ScriptSession: begin() sets it up for the next script.
 */
export class ScriptCall implements ScriptRun, BusyScript {
  resp: 2 | 3 = 2;
  /** A write command has run: the script can no longer be killed or refused for OOM. */
  wrote = false;
  private ctx: Session;
  private readonly capture: ReplyWriter;
  private readonly session: ScriptSession;
  private oomAtStart = false;
  /**
   * When the script started: the command's start as the dispatcher timed it (one clock read less).
   * A number from the start (as limitMs): a field first undefined has every double stored boxed anew.
   */
  started = 0;
  private limitMs = 0;
  private readonly threshold: { ms: number };
  /** EVAL_RO / FCALL_RO, or a no-writes script: write commands are refused. */
  private readOnly = false;
  /** allow-oom (or no-writes): denyoom commands run over maxmemory. */
  private allowOom = false;
  /** Set once the script passed busy-reply-threshold (script-busy.ts). */
  private busy: BusyRun | null = null;
  /** What runScript says of the script, for the busy mode (BUSY text, FUNCTION STATS). */
  mode: 'eval' | 'function' = 'eval';
  name = '';
  /** The EVAL / FCALL request as sent (only sizes of its keys and arguments are ever shown). */
  private request: ArgList = NONE;

  constructor(
    ctx: Session,
    private readonly registry: Registry,
    flags: ScriptFlags,
    capture?: ReplyWriter,
  ) {
    this.ctx = ctx;
    this.capture = capture ?? new ReplyWriter(ctx.server.stats, 1024);
    // The script's own view of the connection (script-session.ts: its own SELECT, one time
    // snapshot, replies to the capture writer, blocking commands answer at once).
    this.session = new ScriptSession(ctx, this.capture);
    this.threshold = busyThreshold(ctx.server);
    this.start(ctx, flags.readOnly, flags.allowOom);
  }

  /** Sets this up for a script `ctx` runs (the constructor's first one, or the next one after finish()). */
  begin(ctx: Session, readOnly: boolean, allowOom: boolean): void {
    this.ctx = ctx;
    this.session.reset(ctx);
    this.start(ctx, readOnly, allowOom);
  }

  private start(ctx: Session, readOnly: boolean, allowOom: boolean): void {
    this.readOnly = readOnly;
    this.allowOom = allowOom;
    this.resp = 2;
    this.wrote = false;
    this.busy = null;
    this.oomAtStart = ctx.server.memory.overLimit;
    const mark = ctx.server.observer.mark;
    this.started = Number.isNaN(mark) ? performance.now() : mark;
    this.limitMs = this.threshold.ms;
  }

  /** `args` may be RawArgs over the engine's argument arena (their views via argArray). */
  call(args: ArgList): number | string {
    // Busy: the others are served between commands too, not only every 100k instructions (a
    // script spending its time in redis.call reaches the hook seldom); once killed, every
    // redis.call fails, and the hook's error (which pcall cannot catch) follows.
    if (this.busy !== null) {
      const stop = this.busy.poll(performance.now());
      if (stop !== null) return stop;
    }
    const s = this.session;
    const admitted = admitCommand(s, this.registry, args);
    switch (admitted.kind) {
      case 'unknown':
      case 'unknown-subcommand':
        return this.refuse(null, Errors.scriptUnknownCommand);
      case 'arity':
        return this.refuse(admitted.spec, Errors.scriptWrongArity);
      case 'noauth':
      case 'ok':
      case 'acl':
        break;
    }
    const command = admitted.command;
    const { spec, fullName } = command;
    const flags = command.scriptFlags;
    if ((flags & ScriptFlag.NoScript) !== 0) return this.refuse(spec, Errors.scriptNoscriptCommand);
    // Only an allow-stale script runs on a stale replica, and it may call only `stale` commands.
    if ((flags & ScriptFlag.Stale) === 0 && staleReplica(s.server)) return this.refuse(spec, Errors.scriptStaleReplica);
    if (admitted.kind === 'acl') {
      this.ctx.server.acl.record(admitted.reason, 'lua', admitted.object, this.ctx.user, clientLine(this.ctx, this.ctx.server.clock()), this.ctx.server.clock());
      return this.refuse(spec, Errors.scriptAclDenied(admitted.reason));
    }
    const write = (flags & ScriptFlag.Write) !== 0;
    if (this.readOnly && (flags & (ScriptFlag.Write | ScriptFlag.MayReplicate)) !== 0) return this.refuse(spec, Errors.scriptWriteInReadOnly);
    if (write && s.server.persistence.deniesWrites) return this.refuse(spec, Errors.misconf);
    const refusal = write ? replicationRefusal(s) : null;
    if (refusal !== null) return this.refuse(spec, refusal);
    if (!this.allowOom && !this.wrote && this.oomAtStart && (flags & ScriptFlag.DenyOom) !== 0) return this.refuse(spec, Errors.oom);
    if (hasSpilledKeys(s, spec, args)) return this.refuse(spec, Errors.scriptSpilledKey);
    if (write) this.wrote = true;
    s.lastCommand = fullName;
    s.reply.protocol = this.resp;
    this.capture.truncate(0); // empty already after release(): a comparison
    // Timed from here (runHandler reads the clock when the mark is unset), as Redis's call()
    // times a script's command: the mark still held the script's start or the previous call's
    // end, so the Lua that ran in between was charged to this command (commandstats, latency
    // histogram, SLOWLOG, LATENCY: a GET after a 36 ms Lua loop showed usec=36701, redis-server 7).
    s.server.observer.mark = NaN;
    // RawArgs only for a handler that reads them (as the parser hands them out), else the views.
    const pending = runHandler(s, spec, command.raw || !(args instanceof RawArgs) ? args : argArray(args));
    if (pending !== undefined) {
      // A command that would wait (a blocking pop with nothing to pop) never waits in a script.
      void pending.catch(() => undefined);
      this.capture.truncate(0);
      this.capture.nullArray();
    }
    return this.capture.size;
  }

  /**
   * redis scriptCall's error path: the error is counted here (INFO errorstats), once, the script's
   * error reply made of it is not (the engine marks it ignore_error_stats_update), and a known
   * command counts a rejected call (commandstats rejected_calls), not the script's failure.
   */
  private refuse(spec: CommandSpec | null, message: string): string {
    const server = this.session.server;
    server.stats.countError(message);
    if (spec !== null) commandRejected(this.session, spec);
    server.observer.errorsBefore = server.stats.failures;
    return `-${message}`;
  }

  get replyBuffer(): Buffer {
    return this.capture.staging;
  }

  release(): void {
    this.capture.truncate(0);
  }

  aclCheck(args: ArgList): boolean | string {
    const admitted = admitCommand(this.session, this.registry, args);
    if (admitted.kind === 'unknown' || admitted.kind === 'unknown-subcommand' || admitted.kind === 'arity') {
      return `-${Errors.scriptAclCheckInvalid}`;
    }
    return admitted.kind !== 'acl';
  }

  log(level: number, message: string): void {
    const log = this.ctx.server.log;
    if (level === 3) log.warn({ client: this.ctx.id }, message);
    else if (level === 2) log.info({ client: this.ctx.id }, message);
    else log.debug({ client: this.ctx.id }, message);
  }

  /** Who runs which script (set by runScript before it starts). */
  describe(mode: 'eval' | 'function', name: string, request: ArgList): void {
    this.mode = mode;
    this.name = name;
    this.request = request;
  }

  get callerId(): number {
    return this.ctx.id;
  }

  /** FUNCTION STATS's running_script command: the call as sent, each key and argument by its size only. */
  command(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.request.length; i++) {
      const arg = this.request.at(i)!;
      out.push(i < 3 ? arg.toString('latin1') : `${arg.length} B`);
    }
    return out;
  }

  /**
   * Called by the VM's count hook (every 100k instructions). Past busy-reply-threshold the
   * script runs on, as in Redis 7, and serves the other connections meanwhile (script-busy.ts):
   * they get BUSY, and may stop it with SCRIPT KILL / FUNCTION KILL or SHUTDOWN NOSAVE.
   */
  interrupt(): string | null {
    if (this.limitMs <= 0) return null;
    const now = performance.now();
    if (this.busy === null) {
      if (now - this.started < this.limitMs) return null;
      this.busy = enterBusy(this.ctx.server, this.registry, this);
    }
    return this.busy.poll(now);
  }

  /** Zeroes the capture buffer (the script is over; the writer is kept for the next script). */
  finish(): void {
    this.capture.truncate(0);
    if (this.busy !== null) leaveBusy(this.busy);
    this.busy = null;
    this.request = NONE;
  }
}
