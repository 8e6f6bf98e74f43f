// The differential run for writes to small collections at rest (commands/values/at-rest.ts): random
// sequences go to an in-process sealkv and to redis-server, and before most commands sealkv's
// clock moves on and its keyspace packs whatever rests (as the cron would), so the next command
// meets its key packed at rest while the others meet it in use. Replies compared byte for byte,
// or as sorted items (at every depth) where Redis's own order is a hashtable's (`unordered`).

import { expect, it } from 'vitest';
import { parseReply, renderReply, sortedItems, type ReplyNode, type Rnd } from './differential.js';
import { prng } from './prng.js';
import { ReplyConnection, type ReferenceRedis } from './reference-redis.js';
import { storedKey, type InProcessServer } from './server.js';

/** A reply with the items of every array in it sorted (SSCAN's members, under its cursor). */
const sortedDeep = (n: ReplyNode): ReplyNode => (n.items ? sortedItems({ head: n.head, items: n.items.map(sortedDeep) }) : n);

export interface RestingRun {
  sequences: number;
  length: number;
  seed: number;
  command: (r: Rnd) => string[];
  /** The key whose packing the run counts: the command's first key. */
  keyOf: (args: string[]) => string;
  /** Commands whose reply is compared as sorted items. */
  unordered: (args: string[]) => boolean;
  /**
   * For a command whose reply is a random draw (SRANDMEMBER): the command listing what it draws
   * from (sent to redis-server after it), or undefined. Such replies must agree in shape and
   * count, ours hold only members listed there, and without repeats unless `repeats(args)`.
   */
  sampled?: (args: string[]) => { from: string[]; repeats: boolean } | undefined;
  /** Replies that differ in bytes but agree by one of README's deliberate differences. */
  equivalent?: (args: string[], ours: string, theirs: string) => boolean;
}

/** Whether `ours`, a random draw, agrees with redis-server's `theirs` drawn from the items of `pool`. */
function sameDraw(ours: string, theirs: string, pool: string, repeats: boolean): boolean {
  const a = parseReply(ours);
  const b = parseReply(theirs);
  const poolItems = parseReply(pool).items ?? [];
  const members = new Set(poolItems.map(renderReply));
  if (a.head[0] !== b.head[0]) return false;
  if (a.items === undefined) return b.items === undefined && (a.head[0] !== '$' ? a.head === b.head : members.has(renderReply(a)));
  if (a.head !== b.head) return false;
  // A RESP3 draw WITHSCORES / WITHVALUES is of pairs: the same shape, each pair one of the
  // pool's (ZRANGE's pairs) or made of its items (HGETALL's map), unique by its first part.
  const shape = (n: ReplyNode) => n.items!.map((i) => i.head).filter((h) => '*~%'.includes(h[0]!)).join();
  if (shape(a) !== shape(b)) return false;
  const leaves = new Set(poolItems.flatMap((i) => i.items ?? [i]).map(renderReply));
  const inPool = (d: ReplyNode) => members.has(renderReply(d)) || (d.items !== undefined && d.items.every((l) => leaves.has(renderReply(l))));
  const drawn = a.items.map((d) => renderReply(d.items?.[0] ?? d));
  return a.items.every(inPool) && (repeats || new Set(drawn).size === drawn.length);
}

/** One `it` per protocol; `servers` gives the two servers the suite's hooks started. */
export function itRestingSequences(servers: () => [InProcessServer, ReferenceRedis], run: RestingRun): void {
  for (const protocol of [2, 3] as const) {
    it(`RESP${protocol}: ${run.sequences} random sequences`, async () => {
      const [sealkv, redis] = servers();
      const r = prng(run.seed + protocol);
      const db = sealkv.running.state.databases[0]!;
      let atRest = 0;
      for (let seq = 0; seq < run.sequences; seq++) {
        const ours = await ReplyConnection.open(sealkv.port);
        const theirs = await ReplyConnection.open(redis.port);
        const history: string[] = [];
        try {
          for (const c of [ours, theirs]) {
            await c.send(['FLUSHALL']);
            if (protocol === 3) await c.send(['HELLO', '3']);
          }
          for (let i = 0; i < run.length; i++) {
            const args = run.command(r);
            if (r() < 0.7) {
              // Rested: everything unpacked is packed again, as the cron does to what nobody touched.
              sealkv.advance(1000);
              db.compactSlice(Infinity, Infinity);
              if (db.isPacked(storedKey(sealkv, run.keyOf(args)))) atRest++;
            }
            history.push(args.map((a) => (a.length > 40 ? `${a.slice(0, 40)}...` : a)).join(' '));
            const a = await ours.send(args);
            const b = await theirs.send(args);
            const draw = run.sampled?.(args);
            const same =
              a === b ||
              (run.unordered(args) && renderReply(sortedDeep(parseReply(a))) === renderReply(sortedDeep(parseReply(b)))) ||
              (draw !== undefined && sameDraw(a, b, await theirs.send(draw.from), draw.repeats)) ||
              run.equivalent?.(args, a, b) === true;
            expect(same ? '' : `seed ${run.seed}\n${history.join('\n')}\nsealkv: ${a}\nredis:  ${b}`).toBe('');
          }
        } finally {
          ours.close();
          theirs.close();
        }
      }
      // Most sequences met collections at rest (the paths under test), not only unpacked ones.
      expect(atRest).toBeGreaterThan(run.sequences * 3);
    }, 600_000);
  }
}
