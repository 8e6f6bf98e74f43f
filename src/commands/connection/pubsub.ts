// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH SSUBSCRIBE SUNSUBSCRIBE
// SPUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP (redis pubsub.c).
// The registry and fan-out live in src/pubsub/; subscribed mode's command filter is applied by
// the dispatcher (refusedWhileSubscribed), PING's subscribed-mode reply in connection.ts.

import { Errors } from '../../protocol/errors.js';
import type { AclUser } from '../../acl/user.js';
import { isSubscribed, pubsubIfAny, pubsubOf, type Flavor } from '../../pubsub/registry.js';
import { replyHelp } from './clients.js';
import { publishFanoutOf } from '../../cluster/publish-fanout.js';
import { index, keySpec, range } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

/**
 * Subscribe confirmations are pushes: Redis sends them even under CLIENT REPLY OFF/SKIP
 * (CLIENT_PUSHING), so the command's muting is lifted first.
 */
function subscribeEach(ctx: Session, args: Buffer[], flavor: Flavor): void {
  ctx.reply.unmute();
  const ps = pubsubOf(ctx.server);
  for (let i = 1; i < args.length; i++) ps.subscribe(ctx, flavor, args[i]!);
}

function unsubscribeEach(ctx: Session, args: Buffer[], flavor: Flavor): void {
  ctx.reply.unmute();
  const ps = pubsubOf(ctx.server);
  if (args.length === 1) return ps.unsubscribeAll(ctx, flavor);
  for (let i = 1; i < args.length; i++) ps.unsubscribe(ctx, flavor, args[i]!);
}

function subscribe(ctx: Session, args: Buffer[]): void {
  subscribeEach(ctx, args, 'channel');
}

function psubscribe(ctx: Session, args: Buffer[]): void {
  subscribeEach(ctx, args, 'pattern');
}

/** Redis refuses SSUBSCRIBE to a client that expects one reply per command: inside EXEC (and scripts). */
function ssubscribe(ctx: Session, args: Buffer[]): void {
  if (ctx.multi !== null) return ctx.reply.error(Errors.denyBlockingSubscribe('SSUBSCRIBE'));
  subscribeEach(ctx, args, 'shard');
}

function unsubscribe(ctx: Session, args: Buffer[]): void {
  unsubscribeEach(ctx, args, 'channel');
}

function punsubscribe(ctx: Session, args: Buffer[]): void {
  unsubscribeEach(ctx, args, 'pattern');
}

function sunsubscribe(ctx: Session, args: Buffer[]): void {
  unsubscribeEach(ctx, args, 'shard');
}

/**
 * In cluster mode the message also goes to every other node (cluster/publish-fanout.ts); the
 * reply counts this node's receivers only, as Redis 7.0's (pubsubPublishMessageAndPropagateToCluster).
 */
function publish(ctx: Session, args: Buffer[]): void {
  ctx.reply.integer(pubsubOf(ctx.server).publish(args[1]!, args[2]!, false));
  publishFanoutOf(ctx.server)?.forward(args[1]!, args[2]!);
}

function spublish(ctx: Session, args: Buffer[]): void {
  ctx.reply.integer(pubsubOf(ctx.server).publish(args[1]!, args[2]!, true));
}

function channels(ctx: Session, args: Buffer[], flavor: 'channel' | 'shard'): void {
  // PUBSUB CHANNELS takes at most one pattern (Redis: the subcommand syntax error otherwise).
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(args[1]!.toString('latin1'), 'pubsub'));
  pubsubOf(ctx.server).replyChannels(ctx, flavor, args.length === 3 ? args[2]! : null);
}

function numsub(ctx: Session, args: Buffer[], flavor: 'channel' | 'shard'): void {
  const ps = pubsubOf(ctx.server);
  ctx.reply.arrayLen((args.length - 2) * 2);
  for (let i = 2; i < args.length; i++) {
    ctx.reply.bulk(args[i]!);
    ctx.reply.integer(ps.subscriberCount(flavor, args[i]!));
  }
}

function numpat(ctx: Session): void {
  ctx.reply.integer(pubsubOf(ctx.server).size('pattern'));
}

/**
 * ACL SETUSER took channel rights from `user`: its subscribed clients that listen to a channel
 * or pattern no longer allowed are disconnected (redis ACLKillPubsubClientsIfNeeded). Nothing is
 * checked when the user keeps every channel or its new patterns include all the old ones.
 * `before` holds the patterns of every selector, or `*` when one of them allowed every channel.
 */
export function dropRevokedSubscribers(ctx: Session, user: AclUser, before: readonly string[]): void {
  if (user.allChannels) return;
  const now = user.channelPatterns();
  if (!before.includes('*') && before.every((p) => now.includes(p))) return;
  const ps = pubsubIfAny(ctx.server);
  if (ps === undefined) return;
  for (const c of [...ctx.server.clients.values()]) {
    if (c.aclUser !== user || !isSubscribed(c)) continue;
    if (ps.subscriptionsAllowed(c, (n, pattern) => user.mayUseChannel(n, pattern))) continue;
    if (c.id === ctx.id) ctx.closeAfterReply();
    else c.kill();
  }
}

/**
 * The commands a RESP2 connection in subscribed mode may run (redis processCommand): anything
 * else is refused with Redis's text. RESP3 connections have no such limit.
 */
const ALLOWED_SUBSCRIBED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** The dispatcher's check: the error to refuse a command with in RESP2 subscribed mode, or null. */
export function refusedWhileSubscribed(ctx: Session, spec: CommandSpec, fullName: string): string | null {
  // Subscribed first: nearly no client is, and that is one lookup by identity, not by name.
  if (ctx.reply.protocol !== 2 || !isSubscribed(ctx) || ALLOWED_SUBSCRIBED.has(spec.name)) return null;
  return Errors.subscribedModeOnly(fullName);
}

const HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

const ps = { group: 'pubsub' } as const;
const SUBSCRIBING = ['pubsub', 'noscript', 'loading', 'stale'] as const;
const PUBLISHING = ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'] as const;
const INTROSPECT = ['pubsub', 'loading', 'stale'] as const;
const SLOW = ['@pubsub', '@slow'] as const;
const FAST = ['@pubsub', '@fast'] as const;
const shardChannels = [keySpec(index(1), range(-1), ['NOT_KEY'])];

export const pubsubCommands: CommandSpec[] = [
  { ...ps, name: 'subscribe', arity: -2, flags: SUBSCRIBING, categories: SLOW, summary: 'Listen for messages published to the given channels', since: '2.0.0', complexity: 'O(N) where N is the number of channels to subscribe to.', handler: subscribe },
  { ...ps, name: 'unsubscribe', arity: -1, flags: SUBSCRIBING, categories: SLOW, summary: 'Stop listening for messages posted to the given channels', since: '2.0.0', complexity: 'O(N) where N is the number of clients already subscribed to a channel.', handler: unsubscribe },
  { ...ps, name: 'psubscribe', arity: -2, flags: SUBSCRIBING, categories: SLOW, summary: 'Listen for messages published to channels matching the given patterns', since: '2.0.0', complexity: 'O(N) where N is the number of patterns the client is already subscribed to.', handler: psubscribe },
  { ...ps, name: 'punsubscribe', arity: -1, flags: SUBSCRIBING, categories: SLOW, summary: 'Stop listening for messages posted to channels matching the given patterns', since: '2.0.0', complexity: 'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).', handler: punsubscribe },
  { ...ps, name: 'publish', arity: 3, flags: PUBLISHING, categories: FAST, summary: 'Post a message to a channel', since: '2.0.0', complexity: 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).', handler: publish },
  { ...ps, name: 'ssubscribe', arity: -2, flags: SUBSCRIBING, keySpecs: shardChannels, categories: SLOW, summary: 'Listen for messages published to the given shard channels', since: '7.0.0', complexity: 'O(N) where N is the number of shard channels to subscribe to.', handler: ssubscribe },
  { ...ps, name: 'sunsubscribe', arity: -1, flags: SUBSCRIBING, keySpecs: shardChannels, categories: SLOW, summary: 'Stop listening for messages posted to the given shard channels', since: '7.0.0', complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.', handler: sunsubscribe },
  { ...ps, name: 'spublish', arity: 3, flags: PUBLISHING, keySpecs: [keySpec(index(1), range(0), ['NOT_KEY'])], categories: FAST, summary: 'Post a message to a shard channel', since: '7.0.0', complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.', handler: spublish },
  {
    ...ps, name: 'pubsub', arity: -2, flags: [], categories: ['@slow'], summary: 'A container for Pub/Sub commands', since: '2.8.0', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...ps, name: 'channels', arity: -2, flags: INTROSPECT, categories: SLOW, summary: 'List active channels', since: '2.8.0', complexity: 'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)', handler: (ctx, args) => channels(ctx, args, 'channel') },
      { ...ps, name: 'numsub', arity: -2, flags: INTROSPECT, categories: SLOW, summary: 'Get the count of subscribers for channels', since: '2.8.0', complexity: 'O(N) for the NUMSUB subcommand, where N is the number of requested channels', handler: (ctx, args) => numsub(ctx, args, 'channel') },
      { ...ps, name: 'numpat', arity: 2, flags: INTROSPECT, categories: SLOW, summary: 'Get the count of unique patterns pattern subscriptions', since: '2.8.0', complexity: 'O(1)', handler: numpat },
      { ...ps, name: 'shardchannels', arity: -2, flags: INTROSPECT, categories: SLOW, summary: 'List active shard channels', since: '7.0.0', complexity: 'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).', handler: (ctx, args) => channels(ctx, args, 'shard') },
      { ...ps, name: 'shardnumsub', arity: -2, flags: INTROSPECT, categories: SLOW, summary: 'Get the count of subscribers for shard channels', since: '7.0.0', complexity: 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels', handler: (ctx, args) => numsub(ctx, args, 'shard') },
      { ...ps, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: ['@slow'], summary: 'Show helpful text about the different subcommands', since: '6.2.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP) },
    ],
  },
];
