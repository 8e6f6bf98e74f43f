// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] (Redis 6.2+): the argument checks and
// errors of redis failoverCommand, in its order. The handover itself is src/replication/failover.ts.

import { int64, text, word } from '../args.js';
import { Errors } from '../../protocol/errors.js';
import { replicationOf } from '../../replication/index.js';
import type { CommandSpec, Session } from '../types.js';

function failover(ctx: Session, args: Buffer[]): void {
  if (ctx.server.cluster !== null) return ctx.reply.error(Errors.failoverInCluster);
  const repl = replicationOf(ctx.server);
  if (args.length === 2 && word(args[1]!) === 'abort') {
    if (!repl.failover.active) return ctx.reply.error(Errors.failoverNotInProgress);
    repl.failover.abort('Failover manually aborted');
    return ctx.reply.ok();
  }
  let timeoutMs = 0;
  let force = false;
  let host: string | null = null;
  let port = 0;
  // Redis's loop, quirks included: a second TIMEOUT or TO (or ABORT among other words) is a
  // syntax error, TIMEOUT 0 counts as not given yet, and the port is not range-checked.
  for (let j = 1; j < args.length; j++) {
    const w = word(args[j]!);
    if (w === 'timeout' && j + 1 < args.length && timeoutMs === 0) {
      const n = int64(args[j + 1]!);
      if (n === null) return ctx.reply.error(Errors.notInteger);
      if (n <= 0n) return ctx.reply.error(Errors.failoverTimeoutPositive);
      timeoutMs = Number(n);
      j++;
    } else if (w === 'to' && j + 2 < args.length && host === null) {
      const p = int64(args[j + 2]!);
      if (p === null) return ctx.reply.error(Errors.notInteger);
      host = text(args[j + 1]!);
      port = Number(p);
      j += 2;
    } else if (w === 'force' && !force) {
      force = true;
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  if (repl.failover.active) return ctx.reply.error(Errors.failoverInProgress);
  if (repl.role === 'slave') return ctx.reply.error(Errors.failoverOnReplica);
  if (repl.primary.replicas.size === 0) return ctx.reply.error(Errors.failoverNoReplicas);
  if (force && (timeoutMs === 0 || host === null)) return ctx.reply.error(Errors.failoverForceNeedsTarget);
  if (host !== null) {
    const wanted = host.toLowerCase();
    const target = [...repl.primary.replicas.values()].find((r) => r.ip.toLowerCase() === wanted && r.port === port);
    if (target === undefined) return ctx.reply.error(Errors.failoverNotAReplica);
    if (target.state !== 'online') return ctx.reply.error(Errors.failoverTargetOffline);
  }
  repl.failover.start({ host, port, timeoutMs, force });
  ctx.reply.ok();
}

export const failoverCommands: CommandSpec[] = [
  {
    name: 'failover', arity: -1, flags: ['admin', 'noscript', 'stale'], categories: ['@admin', '@slow', '@dangerous'], group: 'server',
    summary: 'Start a coordinated failover between this server and one of its replicas.', since: '6.2.0', complexity: 'O(1)', handler: failover,
  },
];
