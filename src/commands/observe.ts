// The step after every command that ran (and before none that was refused): INFO commandstats
// and latencystats counters, the slow log and the latency monitor (redis call()). runHandler
// measures the time with one clock read per command (see Observer.mark).

import { LatencyHistogram } from '../observe/histogram.js';
import type { CommandStat } from '../observe/observer.js';
import type { ArgList } from '../protocol/arg-list.js';
import { describeArgs, fullNameOf } from './connection/monitor.js';
import type { CommandSpec, Session } from './types.js';

/** Redis SLOWLOG_ENTRY_MAX_ARGC: names and sizes beyond it are summed up in the last element. */
const SLOWLOG_ARGC = 32;

function statOf(ctx: Session, spec: CommandSpec): CommandStat {
  const obs = ctx.server.observer;
  return obs.statOf(spec) ?? obs.addStat(spec, fullNameOf(ctx.server.commands, spec));
}

/** A command that ran for `ms` milliseconds; `failed` where the server-wide error count cannot tell (it waited). */
export function commandRan(ctx: Session, spec: CommandSpec, args: ArgList, ms: number, failed?: boolean): void {
  const obs = ctx.server.observer;
  const stat = statOf(ctx, spec);
  stat.calls++;
  const micros = ms * 1000;
  stat.micros += micros;
  const errors = ctx.server.stats.failures;
  if (failed ?? errors > obs.errorsBefore) stat.failed++;
  obs.errorsBefore = errors;
  if (obs.latencyTracking) (stat.histogram ??= new LatencyHistogram()).record(micros * 1000);
  if (obs.slowerThan >= 0 && micros >= obs.slowerThan && !spec.flags.includes('skip_slowlog')) {
    obs.slowlog.push(
      { time: Math.floor(ctx.now / 1000), micros: Math.floor(micros), argv: slowlogArgv(stat.name, args), addr: ctx.addr, name: ctx.name ?? '' },
      obs.slowlogMaxLen,
    );
  }
  if (obs.latencyThreshold > 0 && ms >= obs.latencyThreshold) {
    obs.latency.add(spec.flags.includes('fast') ? 'fast-command' : 'command', Math.floor(ms), Math.floor(ctx.now / 1000));
  }
}

/** A command the dispatcher refused before it ran (arity, auth, ACL, OOM, MULTI rules). */
export function commandRejected(ctx: Session, spec: CommandSpec): void {
  statOf(ctx, spec).rejected++;
}

/**
 * A slow log entry's arguments: the command's name (and subcommand), then one size per
 * argument ('5 B'), '(redacted)' for credentials, and '... (N more arguments)' past 32 elements
 * as Redis words it. Never an argument's bytes.
 */
function slowlogArgv(fullName: string, args: ArgList): string[] {
  const names = fullName.split('|');
  const count = args.length - names.length;
  const room = SLOWLOG_ARGC - names.length;
  const shown = count > room ? room - 1 : count;
  const { sizes } = describeArgs(fullName, args, shown);
  const argv = names.concat((sizes ?? new Array<null>(shown).fill(null)).map((size) => size ?? '(redacted)'));
  if (count > shown) argv.push(`... (${count - shown} more arguments)`);
  return argv;
}
