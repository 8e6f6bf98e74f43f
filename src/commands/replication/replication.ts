// REPLICAOF / SLAVEOF, ROLE, WAIT, and the commands a replica sends its master (PSYNC, SYNC,
// REPLCONF), as Redis 7.0 answers them (replication.c). The work is in src/replication/.

import { performance } from 'node:perf_hooks';
import { int64, text, word } from '../args.js';
import { Errors } from '../../protocol/errors.js';
import { replicationOf } from '../../replication/index.js';
import { checkKeyProof, issueKeyChallenge } from '../../replication/key-proof.js';
import { FANOUT_OPTIONS, receiveFanout } from '../../cluster/publish-fanout.js';
import type { CommandSpec, Session } from '../types.js';

function replicaof(ctx: Session, args: Buffer[]): void {
  if (ctx.server.cluster !== null) return ctx.reply.error(Errors.replicaofInCluster);
  const repl = replicationOf(ctx.server);
  if (repl.failover.active) return ctx.reply.error(Errors.replicaofWhileFailingOver);
  if (word(args[1]!) === 'no' && word(args[2]!) === 'one') {
    if (repl.role === 'slave') {
      repl.becomeMaster();
      ctx.server.config.load('replicaof', ['no', 'one']);
      ctx.server.log.info({ client: ctx.addr }, 'MASTER MODE enabled (user request)');
    }
    return ctx.reply.ok();
  }
  if (repl.primary.isReplica(ctx)) return ctx.reply.error(Errors.replicaofFromReplica);
  // getRangeLongFromObjectOrReply with a message: not a number and out of range read the same.
  const port = int64(args[2]!);
  if (port === null || port < 0n || port > 65535n) return ctx.reply.error(Errors.invalidMasterPort);
  const host = text(args[1]!);
  const link = repl.link;
  if (link !== null && link.host.toLowerCase() === host.toLowerCase() && link.port === Number(port)) {
    return ctx.reply.simple('OK Already connected to specified master');
  }
  repl.becomeReplica(host, Number(port));
  ctx.server.config.load('replicaof', [host, String(port)]);
  ctx.server.log.info({ master: `${host}:${port}`, client: ctx.addr }, 'REPLICAOF enabled (user request)');
  ctx.reply.ok();
}

function role(ctx: Session): void {
  const repl = replicationOf(ctx.server);
  const r = ctx.reply;
  const link = repl.link;
  if (link === null) {
    const online = [...repl.primary.replicas.values()].filter((c) => c.state === 'online');
    r.arrayLen(3);
    r.bulkText('master');
    r.integer(repl.offset);
    r.arrayLen(online.length);
    for (const c of online) {
      r.arrayLen(3);
      r.bulkText(c.ip);
      r.bulkText(String(c.port));
      r.bulkText(String(c.ackOffset));
    }
    return;
  }
  r.arrayLen(5);
  r.bulkText('slave');
  r.bulkText(link.host);
  r.integer(link.port);
  r.bulkText(link.state);
  r.integer(repl.cachedHistory ? repl.offset : -1);
}

function wait(ctx: Session, args: Buffer[]): void | Promise<void> {
  const repl = replicationOf(ctx.server);
  if (repl.role === 'slave') return ctx.reply.error(Errors.waitOnReplica);
  const want = int64(args[1]!);
  if (want === null) return ctx.reply.error(Errors.notInteger);
  const timeout = int64(args[2]!);
  if (timeout === null) return ctx.reply.error(Errors.timeoutNotInteger);
  if (timeout < 0n) return ctx.reply.error(Errors.timeoutNegative);
  // This client's writes of this turn are sent first, so its offset is known (not inside EXEC:
  // a transaction's writes leave together, after it).
  const inTransaction = ctx.atomic > 0 || ctx.multi !== null;
  if (!inTransaction) repl.flush();
  const offset = repl.writeOffsets.get(ctx) ?? 0;
  const acked = repl.primary.countAcked(offset);
  // Inside MULTI (or a script) WAIT never blocks: it answers with what is acknowledged now.
  // Otherwise it also waits, briefly, for the other live replicas (Primary.wait, WAIT_GRACE_MS).
  if (inTransaction || want <= 0n || (BigInt(acked) >= want && repl.primary.liveAcked(offset))) return ctx.reply.integer(acked);
  const since = performance.now();
  return repl.primary.wait(ctx, offset, Number(want), Number(timeout)).then((n) => {
    ctx.server.observer.noteWait(ctx.id, performance.now() - since);
    ctx.reply.integer(n);
  });
}

function psync(ctx: Session, args: Buffer[]): void {
  const repl = replicationOf(ctx.server);
  if (repl.primary.isReplica(ctx)) return;
  // PSYNC <replid> <offset> FAILOVER: our primary hands over to us (its FAILOVER command).
  if (args.length > 3 && word(args[3]!) === 'failover') {
    if (repl.role !== 'slave') return ctx.reply.error(Errors.psyncFailoverToMaster);
    // Only a node holding our master key may hand its place over to us (its key check went first).
    if (!repl.primary.hello(ctx).keyOk) return ctx.reply.error(Errors.replicaNoKeyCheck);
    if (args[1]!.toString('latin1') !== repl.replid) return ctx.reply.error(Errors.psyncFailoverReplid);
    repl.becomeMaster();
    ctx.server.config.load('replicaof', ['no', 'one']);
    ctx.server.log.info({ client: ctx.addr }, 'MASTER MODE enabled (failover request)');
  }
  if (repl.failover.active) return ctx.reply.error(Errors.cantSyncFailingOver);
  if (repl.role === 'slave' && repl.link?.state !== 'connected') return ctx.reply.error(Errors.cantSyncNotConnected);
  const hello = repl.primary.hello(ctx);
  if (!hello.keyOk) return ctx.reply.error(Errors.replicaNoKeyCheck);
  const offset = int64(args[2]!);
  repl.primary.psync(ctx, args[1]!.toString('latin1'), offset === null ? -1 : Number(offset));
}

function sync(ctx: Session): void {
  // SYNC is the pre-PSYNC way (and redis-cli --rdb's): it would expect an RDB file, which sealkv
  // never makes; its replicas use PSYNC after proving they hold the master key.
  ctx.reply.error(Errors.replicaNoKeyCheck);
}

function replconf(ctx: Session, args: Buffer[]): void {
  // Unauthenticated, only the master-key proof and its challenge are heard (the proof logs the
  // replica in: replication/key-proof.ts).
  const keyChallenge = args.length === 3 && word(args[1]!) === 'sealkv-challenge' && word(args[2]!) === 'key';
  if (!ctx.authenticated && !keyChallenge && (args.length !== 3 || word(args[1]!) !== 'sealkv-key')) return ctx.reply.error(Errors.noAuth);
  if (args.length % 2 === 0) return ctx.reply.error(Errors.syntax);
  if (keyChallenge) return ctx.reply.simple(issueKeyChallenge(ctx));
  const repl = replicationOf(ctx.server);
  // A cluster peer's PUBLISH link (cluster/publish-fanout.ts), after the same master-key proof.
  if (args.length === 3 && FANOUT_OPTIONS.has(word(args[1]!))) return receiveFanout(ctx, word(args[1]!), args[2]!, repl.primary.hello(ctx).keyOk);
  for (let i = 1; i < args.length; i += 2) {
    const opt = word(args[i]!);
    const value = args[i + 1]!;
    if (opt === 'listening-port') {
      const port = int64(value);
      if (port === null) return ctx.reply.error(Errors.notInteger);
      repl.primary.hello(ctx).port = Number(port);
    } else if (opt === 'ip-address') {
      repl.primary.hello(ctx).ip = text(value);
    } else if (opt === 'capa' || opt === 'rdb-only') {
      // Accepted; sealkv's stream needs no capabilities negotiated.
    } else if (opt === 'rdb-filter-only') {
      // redis-cli --replica and --functions-rdb send it before SYNC (refused below, by design);
      // checked as Redis checks it so the tool meets the same answers up to there.
      const unknown = text(value).split(/\s+/).find((f) => f !== '' && f.toLowerCase() !== 'functions');
      if (unknown !== undefined) return ctx.reply.error(Errors.rdbFilterUnsupported(unknown));
    } else if (opt === 'sealkv-key') {
      const proof = checkKeyProof(ctx, ctx.server.transport, value);
      if (proof === 'no-challenge') return ctx.reply.error(Errors.replicaKeyNoChallenge);
      if (proof === 'mismatch') {
        ctx.server.log.error({ replica: ctx.addr }, 'refused a replica whose master key differs from this node\'s (or whose proof answers another connection\'s challenge)');
        return ctx.reply.error(Errors.replicaKeyDiffers);
      }
      repl.primary.hello(ctx).keyOk = true;
      // Proof of the master key stands for masterauth: the replica is logged in as the default user.
      ctx.authenticated = true;
    } else if (opt === 'ack' || opt === 'fack') {
      // A replica's acknowledgement: never answered (it would land in the stream).
      if (opt === 'ack') {
        const off = int64(value);
        if (off !== null) repl.primary.ack(ctx, Number(off));
      }
      return;
    } else if (opt === 'getack') {
      // Only meaningful from a master to this replica; the link answers it from the stream.
      return;
    } else {
      return ctx.reply.error(Errors.replconfUnknownOption(text(args[i]!)));
    }
  }
  ctx.reply.ok();
}

const ADMIN = ['@admin', '@slow', '@dangerous'] as const;
const srv = { group: 'server' } as const;

export const replicationCommands: CommandSpec[] = [
  { ...srv, name: 'replicaof', arity: 3, flags: ['no_async_loading', 'admin', 'noscript', 'stale'], categories: ADMIN, summary: 'Make the server a replica of another instance, or promote it as master.', since: '5.0.0', complexity: 'O(1)', handler: replicaof },
  { ...srv, name: 'slaveof', arity: 3, flags: ['no_async_loading', 'admin', 'noscript', 'stale'], categories: ADMIN, summary: 'Make the server a replica of another instance, or promote it as master.', since: '1.0.0', complexity: 'O(1)', handler: replicaof },
  { ...srv, name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], categories: ['@admin', '@fast', '@dangerous'], summary: 'Return the role of the instance in the context of replication', since: '2.8.12', complexity: 'O(1)', handler: role },
  { name: 'wait', arity: 3, flags: ['noscript'], categories: ['@slow', '@connection'], tips: ['request_policy:all_shards', 'response_policy:agg_min'], summary: 'Wait for the synchronous replication of all the write commands sent in the context of the current connection', since: '3.0.0', group: 'generic', complexity: 'O(1)', handler: wait },
  { ...srv, name: 'psync', arity: -3, flags: ['no_async_loading', 'admin', 'no_multi', 'noscript'], categories: ADMIN, summary: 'Internal command used for replication', since: '2.8.0', handler: psync },
  { ...srv, name: 'sync', arity: 1, flags: ['no_async_loading', 'admin', 'no_multi', 'noscript'], categories: ADMIN, summary: 'Internal command used for replication', since: '1.0.0', handler: sync },
  { ...srv, name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], authenticatesItself: true, categories: ADMIN, summary: 'An internal command for configuring the replication stream', since: '3.0.0', complexity: 'O(1)', handler: replconf },
];
