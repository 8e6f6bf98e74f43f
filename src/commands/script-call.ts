// redis.call from a script (redis scriptCall): the shared admission step (admission.ts), then
// the script's own rules (noscript commands, writes in read-only scripts, OOM before the first
// write), then the handler itself with its reply captured in a ReplyWriter of the script's RESP
// version, whose bytes engine.ts turns into Lua values. The capture buffer is zeroed after each
// call (truncate) and when the script ends.

import { clientLine } from './clients.js';
import { admitCommand } from './admission.js';
import { replicationRefusal, staleReplica } from '../replication/index.js';
import { hasSpilledKeys } from './memory-gate.js';
import type { Registry } from './registry.js';
import { runHandler } from './run-handler.js';
import type { Session } from './types.js';
import { Errors } from '../protocol/errors.js';
import { ReplyWriter } from '../protocol/reply.js';
import type { ScriptRun } from '../scripting/engine.js';

export interface ScriptFlags {
  /** EVAL_RO / FCALL_RO, or a no-writes script: write commands are refused. */
  readOnly: boolean;
  /** allow-oom (or no-writes): denyoom commands run over maxmemory. */
  allowOom: boolean;
}

export class ScriptCall implements ScriptRun {
  resp: 2 | 3 = 2;
  /** A write command has run: the script can no longer be killed or refused for OOM. */
  wrote = false;
  private readonly capture: ReplyWriter;
  private readonly session: Session;
  private readonly oomAtStart: boolean;
  private readonly started = performance.now();
  private readonly limitMs: number;

  constructor(
    private readonly ctx: Session,
    private readonly registry: Registry,
    private readonly flags: ScriptFlags,
    capture?: ReplyWriter,
  ) {
    this.capture = capture ?? new ReplyWriter(ctx.server.stats, 1024);
    // The script's own view of the connection: its SELECT does not change the caller's database
    // (Redis 7), and its commands see the time the script started (one snapshot).
    const session = Object.create(ctx) as Session & { reply: ReplyWriter; multi: null };
    Object.defineProperty(session, 'reply', { value: this.capture, writable: true });
    // Blocking commands answer at once inside a script, as inside EXEC (src/blocking/).
    Object.defineProperty(session, 'atomic', { value: ctx.atomic + 1, writable: true });
    Object.defineProperty(session, 'scripted', { value: true });
    this.session = session;
    this.oomAtStart = ctx.server.memory.overLimit;
    this.limitMs = Number(ctx.server.config.get('busy-reply-threshold'));
  }

  call(args: Buffer[]): Buffer | string {
    const s = this.session;
    const admitted = admitCommand(s, this.registry, args);
    switch (admitted.kind) {
      case 'unknown':
      case 'unknown-subcommand':
        return `-${Errors.scriptUnknownCommand}`;
      case 'arity':
        return `-${Errors.scriptWrongArity}`;
      case 'noauth':
      case 'ok':
      case 'acl':
        break;
    }
    const { spec, fullName } = admitted.command;
    if (spec.flags.includes('noscript')) return `-${Errors.scriptNoscriptCommand}`;
    // Only an allow-stale script runs on a stale replica, and it may call only `stale` commands.
    if (!spec.flags.includes('stale') && staleReplica(s.server)) return `-${Errors.scriptStaleReplica}`;
    if (admitted.kind === 'acl') {
      this.ctx.server.acl.record(admitted.reason, 'lua', admitted.object, this.ctx.user, clientLine(this.ctx, this.ctx.server.clock()), this.ctx.server.clock());
      return `-${Errors.scriptAclDenied(admitted.reason)}`;
    }
    const write = spec.flags.includes('write');
    if (this.flags.readOnly && (write || spec.flags.includes('may_replicate'))) return `-${Errors.scriptWriteInReadOnly}`;
    if (write && s.server.persistence.deniesWrites) return `-${Errors.misconf}`;
    const refusal = write ? replicationRefusal(s) : null;
    if (refusal !== null) return `-${refusal}`;
    if (!this.flags.allowOom && !this.wrote && this.oomAtStart && spec.flags.includes('denyoom')) return `-${Errors.oom}`;
    if (hasSpilledKeys(s, spec, args)) return `-${Errors.scriptSpilledKey}`;
    if (write) this.wrote = true;
    s.lastCommand = fullName;
    s.reply.protocol = this.resp;
    this.capture.truncate(0);
    const pending = runHandler(s, spec, args);
    if (pending !== undefined) {
      // A command that would wait (a blocking pop with nothing to pop) never waits in a script.
      void pending.catch(() => undefined);
      this.capture.truncate(0);
      this.capture.nullArray();
    }
    return this.capture.staging.subarray(0, this.capture.size);
  }

  aclCheck(args: Buffer[]): boolean | string {
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

  /**
   * Called by the VM's count hook. sealkv runs a script on its one thread, so other clients
   * cannot send SCRIPT KILL meanwhile: a script past busy-reply-threshold that has not written
   * is stopped as SCRIPT KILL would stop it; one that has written runs on to 10x the threshold.
   */
  interrupt(): string | null {
    if (this.limitMs <= 0) return null;
    const elapsed = performance.now() - this.started;
    if (elapsed > this.limitMs && !this.wrote) return `-${Errors.scriptTimedOut}`;
    if (elapsed > this.limitMs * 10) return `-${Errors.scriptTimedOut}`;
    return null;
  }

  /** Zeroes the capture buffer (the script is over; the writer is kept for the next script). */
  finish(): void {
    this.capture.truncate(0);
  }
}
