// RSMQ (Redis Simple Message Queue) on the old node_redis 3 client, as an app uses it: a queue's
// settings in a hash, its messages in a sorted set scored by when they become visible, received
// and popped by Lua scripts that read the server's TIME, sent in MULTI/EXEC. Messages come back
// in order, a received one stays hidden for its visibility timeout and then comes back with its
// receive count raised, a deleted or popped one is gone, and the queue's attributes count it all.
// The same scenario runs on redis-server, whose readings must be the same.

import RedisSMQ from 'rsmq';
import { describe, expect, it } from 'vitest';
import { sealkvBesideRedis, sleep } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();

type Message = RedisSMQ.QueueMessage;

/** The message's text and receive count, or 'none' for an empty receive. */
const shown = (m: Message | object) => ('id' in m ? `${m.message} x${m.rc}` : 'none');

async function scenario(port: number) {
  const rsmq = new RedisSMQ({ host: '127.0.0.1', port, ns: 'app' });
  try {
    const qname = 'jobs';
    const steps: Record<string, unknown> = {};
    steps.created = await rsmq.createQueueAsync({ qname, vt: 30, maxsize: 1024 });
    steps.again = await rsmq.createQueueAsync({ qname }).catch((e: Error) => e.name);
    steps.queues = await rsmq.listQueuesAsync();
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three', 'four']) ids.push(await rsmq.sendMessageAsync({ qname, message: text }));
    steps.tooBig = await rsmq.sendMessageAsync({ qname, message: 'x'.repeat(1025) }).catch((e: Error) => e.name);
    steps.ids = new Set(ids).size === 4 && ids.every((id) => /^[0-9a-zA-Z]{32}$/.test(id));
    const delayedId = await rsmq.sendMessageAsync({ qname, message: 'later', delay: 10 });

    // Received with a 2 s visibility timeout: hidden, then back with its count raised.
    const receivedAt = Date.now();
    const first = (await rsmq.receiveMessageAsync({ qname, vt: 2 })) as Message;
    steps.first = [shown(first), first.id === ids[0], first.fr === first.sent || first.fr > 0];
    steps.second = shown(await rsmq.receiveMessageAsync({ qname, vt: 60 }));
    steps.deleted = [await rsmq.deleteMessageAsync({ qname, id: ids[1]! }), await rsmq.deleteMessageAsync({ qname, id: ids[1]! })];
    steps.popped = shown(await rsmq.popMessageAsync({ qname }));
    // hiddenmsgs counts from the start of the current second (RSMQ's choice): a race here.
    const { hiddenmsgs: _, ...attrsHidden } = await attributes(rsmq, qname);
    steps.attrsHidden = attrsHidden;
    steps.hiddenNow = shown(await rsmq.receiveMessageAsync({ qname }));
    steps.invisible = await rsmq.changeMessageVisibilityAsync({ qname, id: ids[3]!, vt: 0 });
    steps.visibleAgain = shown(await rsmq.receiveMessageAsync({ qname, vt: 60 }));
    await sleep(receivedAt + 2100 - Date.now());
    const back = (await rsmq.receiveMessageAsync({ qname, vt: 60 })) as Message;
    steps.back = [shown(back), back.id === ids[0]];
    // 'later' is still delayed, until its visibility is changed to now.
    steps.stillDelayed = shown(await rsmq.popMessageAsync({ qname }));
    await rsmq.changeMessageVisibilityAsync({ qname, id: delayedId, vt: 0 });
    const later = (await rsmq.popMessageAsync({ qname })) as Message;
    steps.later = [shown(later), later.id === delayedId];
    steps.setAttrs = pick(await rsmq.setQueueAttributesAsync({ qname, vt: 5, delay: 0, maxsize: 2048 }), ['vt', 'delay', 'maxsize']);
    steps.attrsEnd = await attributes(rsmq, qname);
    steps.removed = await rsmq.deleteQueueAsync({ qname });
    steps.gone = await rsmq.getQueueAttributesAsync({ qname }).catch((e: Error) => e.name);
    return steps;
  } finally {
    await new Promise((resolve) => rsmq.quit(resolve));
  }
}

function pick<T extends object>(o: T, keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Partial<T>;
}

/** The counting attributes (their times are the server's clock and vary). */
async function attributes(rsmq: RedisSMQ, qname: string) {
  const a = await rsmq.getQueueAttributesAsync({ qname });
  expect(a.created).toBeGreaterThan(1_600_000_000);
  return pick(a, ['vt', 'delay', 'maxsize', 'totalrecv', 'totalsent', 'msgs', 'hiddenmsgs']);
}

describe('RSMQ on sealkv', () => {
  it('sends, receives with a visibility timeout, deletes and pops messages; attributes count them', async () => {
    const seen = await scenario(servers.sealkv.port);
    expect(seen).toEqual({
      created: 1,
      again: 'queueExists',
      queues: ['jobs'],
      tooBig: 'messageTooLong',
      ids: true,
      first: ['one x1', true, true],
      second: 'two x1',
      deleted: [1, 0],
      popped: 'three x1',
      attrsHidden: { vt: 30, delay: 0, maxsize: 1024, totalrecv: 3, totalsent: 5, msgs: 3 },
      hiddenNow: 'four x1',
      invisible: 1,
      visibleAgain: 'four x2',
      back: ['one x2', true],
      stillDelayed: 'none',
      later: ['later x1', true],
      setAttrs: { vt: 5, delay: 0, maxsize: 2048 },
      attrsEnd: { vt: 5, delay: 0, maxsize: 2048, totalrecv: 7, totalsent: 5, msgs: 2, hiddenmsgs: 2 },
      removed: 1,
      gone: 'queueNotFound',
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
