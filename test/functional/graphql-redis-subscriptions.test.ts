// graphql-redis-subscriptions, the PubSub engine GraphQL servers put on Redis, with ioredis: a
// GraphQL subscription (graphql's own subscribe) resolved from RedisPubSub's async iterator gets
// the payloads published by another RedisPubSub (another server process), JSON round-tripped;
// subscribe/unsubscribe share one Redis subscription per channel and drop it after the last;
// a pattern subscription (PSUBSCRIBE) hears every matching channel. The same scenario runs on
// redis-server, with the same readings.

import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse, subscribe, type ExecutionResult } from 'graphql';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { sealkvBesideRedis, sleep, until } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();

function pubsub(port: number): RedisPubSub {
  // It opens its publisher and subscriber connections itself.
  return new RedisPubSub({ connection: { host: '127.0.0.1', port, maxRetriesPerRequest: 1 } });
}

function schemaOver(engine: RedisPubSub): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        commentAdded: {
          type: new GraphQLObjectType({ name: 'Comment', fields: { id: { type: GraphQLString }, text: { type: GraphQLString } } }),
          args: { post: { type: GraphQLString } },
          subscribe: (_root, args: { post: string }) => engine.asyncIterator(`comments.${args.post}`),
        },
      },
    }),
  });
}

async function scenario(port: number) {
  const serverA = pubsub(port);
  const serverB = pubsub(port);
  const admin = new Redis({ host: '127.0.0.1', port });
  try {
    const seen: Record<string, unknown> = {};
    const stream = (await subscribe({
      schema: schemaOver(serverA),
      document: parse('subscription { commentAdded(post: "p1") { id text } }'),
    })) as AsyncGenerator<ExecutionResult>;
    const results: unknown[] = [];
    const reading = (async () => {
      for await (const r of stream) {
        results.push(r);
        if (results.length === 2) break;
      }
    })();
    // The iterator subscribes on its first read: wait until Redis counts it.
    for (let i = 0; i < 50 && Number((await admin.pubsub('NUMSUB', 'comments.p1'))[1]) === 0; i++) await sleep(10);
    seen.numsub = await admin.pubsub('NUMSUB', 'comments.p1', 'comments.p2');
    await serverB.publish('comments.p2', { commentAdded: { id: 'x', text: 'other post' } });
    await serverB.publish('comments.p1', { commentAdded: { id: '1', text: 'first' } });
    await serverB.publish('comments.p1', { commentAdded: { id: '2', text: 'ünïcode ✓' } });
    await reading;
    seen.graphql = results;

    // Two handlers on one channel: one Redis subscription, kept until the last unsubscribes.
    const got: string[] = [];
    const one = await serverA.subscribe('news', (m: { n: number }) => got.push(`one ${m.n}`));
    const two = await serverA.subscribe('news', (m: { n: number }) => got.push(`two ${m.n}`));
    await serverB.publish('news', { n: 1 });
    await until(() => got.length === 2, 'both handlers');
    serverA.unsubscribe(one);
    await serverB.publish('news', { n: 2 });
    await until(() => got.length === 3, 'the second handler');
    serverA.unsubscribe(two);
    for (let i = 0; i < 50 && Number((await admin.pubsub('NUMSUB', 'news'))[1]) !== 0; i++) await sleep(10);
    seen.handlers = [got.sort(), await admin.pubsub('NUMSUB', 'news')];

    // A pattern subscription hears every matching channel.
    const events: string[] = [];
    const sub = await serverA.subscribe('orders.*', (m: { id: string }) => events.push(m.id), { pattern: true });
    seen.numpat = await admin.pubsub('NUMPAT');
    for (const ch of ['orders.eu', 'orders.us', 'payments.eu']) await serverB.publish(ch, { id: ch });
    await until(() => events.length === 2, 'the pattern messages');
    await sleep(50);
    serverA.unsubscribe(sub);
    seen.pattern = events.sort();
    return seen;
  } finally {
    admin.disconnect();
    await Promise.all([serverA.close(), serverB.close()]);
  }
}

describe('graphql-redis-subscriptions on sealkv', () => {
  it('a GraphQL subscription, shared channel subscriptions and a pattern subscription', async () => {
    const seen = await scenario(servers.sealkv.port);
    expect(seen).toEqual({
      numsub: ['comments.p1', 1, 'comments.p2', 0],
      graphql: [
        { data: { commentAdded: { id: '1', text: 'first' } } },
        { data: { commentAdded: { id: '2', text: 'ünïcode ✓' } } },
      ],
      handlers: [['one 1', 'two 1', 'two 2'], ['news', 0]],
      numpat: 1,
      pattern: ['orders.eu', 'orders.us'],
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
