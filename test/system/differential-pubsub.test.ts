// Differential run of pub/sub against redis-server 7: random sequences of subscribe,
// unsubscribe (named and all), pattern and shard subscriptions, PUBLISH/SPUBLISH, PUBSUB
// introspection, PING, RESET and commands refused in subscribed mode, spread over three
// connections (two RESP2, one RESP3), go to both servers. After each step every connection is
// drained up to a PING of its own, and what each received (replies and pushes) must be the same
// bytes, compared as a sorted list where Redis's order is its hash table's (UNSUBSCRIBE without
// arguments, PUBSUB CHANNELS, the patterns a message matched). Fixed seed, bounded count (DIFF_PUBSUB_COUNT, DIFF_SEED).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DrainingConnection } from '../helpers/draining-connection.js';
import { prng } from '../helpers/prng.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_PUBSUB_COUNT', 'DIFF_COUNT'], 40, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261206, 'seed');
const LENGTH = 25;

const CHANNELS = ['a', 'b', 'news.1', 'news.2', 'x\u00ff'];
const PATTERNS = ['*', 'news.*', 'a*', '?', '[ab]', 'x*'];

function randomStep(rand: () => number): { conn: number; args: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const some = <T>(xs: readonly T[]): T[] => Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(xs));
  const conn = Math.floor(rand() * 3);
  const r = rand();
  let args: string[];
  if (r < 0.16) args = ['SUBSCRIBE', ...some(CHANNELS)];
  else if (r < 0.26) args = ['PSUBSCRIBE', ...some(PATTERNS)];
  else if (r < 0.32) args = ['SSUBSCRIBE', ...some(CHANNELS)];
  else if (r < 0.4) args = rand() < 0.5 ? ['UNSUBSCRIBE', ...some(CHANNELS)] : ['UNSUBSCRIBE'];
  else if (r < 0.46) args = rand() < 0.5 ? ['PUNSUBSCRIBE', ...some(PATTERNS)] : ['PUNSUBSCRIBE'];
  else if (r < 0.5) args = rand() < 0.5 ? ['SUNSUBSCRIBE', ...some(CHANNELS)] : ['SUNSUBSCRIBE'];
  else if (r < 0.68) args = ['PUBLISH', pick(CHANNELS), `m${Math.floor(rand() * 100)}`];
  else if (r < 0.74) args = ['SPUBLISH', pick(CHANNELS), `s${Math.floor(rand() * 100)}`];
  else if (r < 0.8) args = ['PUBSUB', 'NUMSUB', ...some(CHANNELS)];
  else if (r < 0.83) args = ['PUBSUB', 'NUMPAT'];
  else if (r < 0.86) args = rand() < 0.5 ? ['PUBSUB', 'CHANNELS'] : ['PUBSUB', 'CHANNELS', pick(PATTERNS)];
  else if (r < 0.88) args = ['PUBSUB', 'SHARDNUMSUB', ...some(CHANNELS)];
  else if (r < 0.93) args = [pick(['GET', 'TYPE', 'EXISTS']), 'k'];
  else if (r < 0.96) args = ['PING', ...(rand() < 0.5 ? ['hi'] : [])];
  else args = ['RESET'];
  return { conn, args };
}

/** Frames whose order is Redis's hash order: compared sorted. */
function normalize(args: string[], frames: string[]): string[] {
  const unordered = (args.length === 1 && /UNSUBSCRIBE$/.test(args[0]!)) || (args[0] === 'PUBSUB' && args[1] === 'CHANNELS');
  if (!unordered) return frames;
  if (args[0] === 'PUBSUB') return frames.map((f) => f.split('\r\n').slice(1).join('\r\n').split(/(?=\$)/).sort().join('|'));
  // The counts in UNSUBSCRIBE-all confirmations follow the same order: compare names and the last count.
  return frames.map((f) => f.replace(/:\d+\r\n$/, '')).sort().concat(frames.length > 0 ? [frames.at(-1)!.match(/:\d+\r\n$/)![0]] : []);
}

/** A PUBLISH reaches matching patterns in Redis's hash order: pmessages compared sorted, after the message. */
function patternOrder(frames: string[]): string[] {
  const p = frames.filter((f) => f.includes('\r\npmessage\r\n'));
  if (p.length < 2) return frames;
  return [...frames.filter((f) => !f.includes('\r\npmessage\r\n')), ...p.sort()];
}

async function run(port: number, steps: { conn: number; args: string[] }[]): Promise<string[]> {
  const conns = await Promise.all([DrainingConnection.open(port), DrainingConnection.open(port), DrainingConnection.open(port)]);
  const out: string[] = [];
  try {
    conns[2]!.send(['HELLO', '3']);
    await conns[2]!.drain('start');
    for (const [i, step] of steps.entries()) {
      conns[step.conn]!.send(step.args);
      for (const [n, c] of conns.entries()) {
        const frames = await c.drain(`t${i}`);
        const shown = patternOrder(n === step.conn ? normalize(step.args, frames) : frames);
        out.push(`#${i} ${step.args.join(' ')} @${step.conn} -> conn ${n}: ${JSON.stringify(shown)}`);
      }
    }
    return out;
  } finally {
    for (const c of conns) c.close();
  }
}

describe.skipIf(!hasRedisServer)('pub/sub differential against redis-server', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  it(`${COUNT} random sequences of ${LENGTH} steps on three connections (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    for (let n = 0; n < COUNT; n++) {
      const steps = Array.from({ length: LENGTH }, () => randomStep(rand));
      const expected = await run(redis.port, steps);
      const actual = await run(sealkv.port, steps);
      expect(actual, `sequence ${n} (seed ${SEED})`).toEqual(expected);
    }
  }, 300_000);
});
