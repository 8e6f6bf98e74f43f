// SLOWLOG and LATENCY (redis slowlog.c, latency.c) over the data the per-command step keeps
// (commands/observe.ts). Slow log entries carry names and argument sizes, never arguments.

import { Errors } from '../../protocol/errors.js';
import { integer, text } from '../args.js';
import { replyHelp } from '../connection/clients.js';
import type { CommandSpec, Session } from '../types.js';

/** Redis's default for SLOWLOG GET without a count. */
const SLOWLOG_DEFAULT_COUNT = 10;

function slowlogGet(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'slowlog'));
  const log = ctx.server.observer.slowlog;
  let count = SLOWLOG_DEFAULT_COUNT;
  if (args.length === 3) {
    const n = integer(args[2]!);
    if (n === null || n < -1) return ctx.reply.error(Errors.slowlogCount);
    count = n === -1 ? log.length : n;
  }
  const entries = log.newest(count);
  const r = ctx.reply;
  r.arrayLen(entries.length);
  for (const e of entries) {
    r.arrayLen(6);
    r.integer(e.id);
    r.integer(e.time);
    r.integer(e.micros);
    r.arrayLen(e.argv.length);
    for (const a of e.argv) r.bulkText(a);
    r.bulkText(e.addr);
    r.bulkText(e.name);
  }
}

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  '    sealkv: the arguments array holds the command name and each argument\'s size, never its bytes.',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

/** LATENCY LATEST: [event, time of the latest sample, its latency, the highest] per event. */
function latencyLatest(ctx: Session): void {
  const events = ctx.server.observer.latency.events;
  ctx.reply.arrayLen(events.size);
  for (const [name, e] of events) {
    const last = e.samples[e.samples.length - 1]!;
    ctx.reply.arrayLen(4);
    ctx.reply.bulkText(name);
    ctx.reply.integer(last.time);
    ctx.reply.integer(last.latency);
    ctx.reply.integer(e.max);
  }
}

/** LATENCY HISTORY event: [time, latency] per second that had a sample; empty for an unknown event. */
function latencyHistory(ctx: Session, args: Buffer[]): void {
  const e = ctx.server.observer.latency.events.get(text(args[2]!));
  const samples = e?.samples ?? [];
  ctx.reply.arrayLen(samples.length);
  for (const s of samples) {
    ctx.reply.arrayLen(2);
    ctx.reply.integer(s.time);
    ctx.reply.integer(s.latency);
  }
}

function latencyReset(ctx: Session, args: Buffer[]): void {
  ctx.reply.integer(ctx.server.observer.latency.reset(args.slice(2).map(text)));
}

/** A short report in sealkv's own words: what was seen per event, and what to look at. */
function latencyDoctor(ctx: Session): void {
  const obs = ctx.server.observer;
  const lines: string[] = [];
  if (obs.latencyThreshold === 0) {
    lines.push('The latency monitor is off (latency-monitor-threshold is 0).');
    lines.push('Turn it on with CONFIG SET latency-monitor-threshold <milliseconds>.');
  } else if (obs.latency.events.size === 0) {
    lines.push(`No command took ${obs.latencyThreshold} ms or more since the latency monitor was turned on or reset.`);
  } else {
    lines.push(`Events of at least ${obs.latencyThreshold} ms (latency-monitor-threshold):`);
    let i = 1;
    for (const [name, e] of obs.latency.events) {
      const avg = Math.round(e.samples.reduce((sum, s) => sum + s.latency, 0) / e.samples.length);
      lines.push(`${i++}. ${name}: ${e.samples.length} latency spikes (average ${avg}ms, highest ${e.max}ms).`);
    }
    lines.push('');
    lines.push('Look at SLOWLOG GET for the commands behind them and INFO latencystats for their percentiles;');
    lines.push('large values (seal and open grow with size) and O(N) commands over many keys are the usual causes.');
  }
  ctx.reply.verbatim(lines.join('\n') + '\n');
}

/**
 * LATENCY HISTOGRAM [command ...]: per command with a histogram, its calls and cumulative
 * counts at doubling latencies (µs). A container names all its subcommands; unknown names and
 * commands that never ran are left out, as in Redis.
 */
function latencyHistogram(ctx: Session, args: Buffer[]): void {
  const obs = ctx.server.observer;
  const all = obs.commandStats().filter((c) => c.histogram !== null);
  // In the order asked for; a container brings its subcommands.
  const stats = args.length === 2 ? all : args.slice(2).flatMap((a) => {
    const name = text(a).toLowerCase();
    return all.filter((c) => c.name === name || c.name.startsWith(name + '|'));
  });
  const r = ctx.reply;
  r.mapLen(stats.length);
  for (const c of stats) {
    r.bulkText(c.name);
    r.mapLen(2);
    r.bulkText('calls');
    r.integer(c.histogram!.total);
    r.bulkText('histogram_usec');
    const buckets = c.histogram!.logBuckets();
    r.mapLen(buckets.length);
    for (const [micros, count] of buckets) {
      r.integer(micros);
      r.integer(count);
    }
  }
}

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

const srv = { group: 'server' } as const;
const ADMIN = ['@admin', '@slow', '@dangerous'] as const;
const slowlogFlags = ['admin', 'loading', 'stale'] as const;
const latencyFlags = ['admin', 'noscript', 'loading', 'stale'] as const;
const helpFlags = ['loading', 'stale'] as const;
const ALL_NODES = 'request_policy:all_nodes';

export const diagnosticsCommands: CommandSpec[] = [
  {
    ...srv, name: 'slowlog', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for slow log commands',
    since: '2.2.12', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...srv, name: 'get', arity: -2, flags: slowlogFlags, categories: ADMIN, tips: [ALL_NODES, 'nondeterministic_output'], summary: "Get the slow log's entries", since: '2.2.12', complexity: 'O(N) where N is the number of entries returned', handler: slowlogGet },
      { ...srv, name: 'len', arity: 2, flags: slowlogFlags, categories: ADMIN, tips: [ALL_NODES, 'response_policy:agg_sum', 'nondeterministic_output'], summary: "Get the slow log's length", since: '2.2.12', complexity: 'O(1)', handler: (ctx) => ctx.reply.integer(ctx.server.observer.slowlog.length) },
      {
        ...srv, name: 'reset', arity: 2, flags: slowlogFlags, categories: ADMIN, tips: [ALL_NODES, 'response_policy:all_succeeded'], summary: 'Clear all entries from the slow log', since: '2.2.12',
        complexity: 'O(N) where N is the number of entries in the slowlog',
        handler: (ctx) => {
          ctx.server.observer.slowlog.reset();
          ctx.reply.ok();
        },
      },
      { ...srv, name: 'help', arity: 2, flags: helpFlags, categories: ['@slow'], summary: 'Show helpful text about the different subcommands', since: '6.2.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, SLOWLOG_HELP) },
    ],
  },
  {
    ...srv, name: 'latency', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for latency diagnostics commands',
    since: '2.8.13', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...srv, name: 'latest', arity: 2, flags: latencyFlags, categories: ADMIN, tips: ['nondeterministic_output', ALL_NODES, 'response_policy:special'], summary: 'Return the latest latency samples for all events.', since: '2.8.13', complexity: 'O(1)', handler: latencyLatest },
      { ...srv, name: 'history', arity: 3, flags: latencyFlags, categories: ADMIN, tips: ['nondeterministic_output', ALL_NODES, 'response_policy:special'], summary: 'Return timestamp-latency samples for the event.', since: '2.8.13', complexity: 'O(1)', handler: latencyHistory },
      { ...srv, name: 'reset', arity: -2, flags: latencyFlags, categories: ADMIN, tips: [ALL_NODES, 'response_policy:all_succeeded'], summary: 'Reset latency data for one or more events.', since: '2.8.13', complexity: 'O(1)', handler: latencyReset },
      { ...srv, name: 'doctor', arity: 2, flags: latencyFlags, categories: ADMIN, tips: ['nondeterministic_output', ALL_NODES, 'response_policy:special'], summary: 'Return a human readable latency analysis report.', since: '2.8.13', complexity: 'O(1)', handler: latencyDoctor },
      { ...srv, name: 'histogram', arity: -2, flags: latencyFlags, categories: ADMIN, tips: ['nondeterministic_output', ALL_NODES, 'response_policy:special'], summary: 'Return the cumulative distribution of latencies of a subset of commands or all.', since: '7.0.0', complexity: 'O(N) where N is the number of commands with latency information being retrieved.', handler: latencyHistogram },
      { ...srv, name: 'help', arity: 2, flags: helpFlags, categories: ['@slow'], summary: 'Show helpful text about the different subcommands.', since: '2.8.13', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, LATENCY_HELP) },
    ],
  },
];
