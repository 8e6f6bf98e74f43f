// Issue 18's done-when: a reshard of 1000 slots under a steady write load loses no acknowledged
// write. Three sealkv nodes (separate processes, as `npm run cluster` starts them), an ioredis
// Cluster client writing and reading back without pause (plain SETs, INCRs that must add up, and
// MSET/MGET over hash-tagged pairs, which meet TRYAGAIN while their slot is half moved), and
// `redis-cli --cluster reshard` moving slots 0..999 from the first node to the second meanwhile.
// At the end every key holds its last acknowledged value, no command failed, and the only
// errors the nodes answered (INFO errorstats) are the redirections the client follows itself.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { hasRedisCli } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const run = promisify(execFile);
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

const MOVED_SLOTS = 1000;
const WORKERS = 12;

/** `count` names `${prefix}<n>` whose slot is below MOVED_SLOTS (those move), and as many above (those stay). */
function names(prefix: string, count: number, fits = (n: string) => n): string[] {
  const moving: string[] = [];
  const staying: string[] = [];
  for (let i = 0; moving.length < count || staying.length < count; i++) {
    const name = `${prefix}${i}`;
    const list = keySlot(Buffer.from(fits(name))) < MOVED_SLOTS ? moving : staying;
    if (list.length < count) list.push(name);
  }
  return [...moving, ...staying];
}

async function errorstats(port: number): Promise<Record<string, number>> {
  const d = new Redis({ port, host: '127.0.0.1' });
  try {
    const text = String(await d.info('errorstats'));
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^errorstat_(\S+):count=(\d+)/gm)) out[m[1]!] = Number(m[2]);
    return out;
  } finally {
    d.disconnect();
  }
}

describe.skipIf(!hasRedisCli)('a reshard under write load', () => {
  it('moves 1000 slots while an ioredis Cluster writes and reads, and loses no acknowledged write', async () => {
    const [a, b] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const plain = names('k:', 400);
    const counters = names('c:', 60);
    // A pair shares its {tag}, so MSET/MGET of a pair is one slot, moved with both keys or not.
    const pairs = names('p', 60, (n) => n).map((tag) => [`{${tag}}:x`, `{${tag}}:y`] as const);

    const client = new Cluster([{ host: '127.0.0.1', port: a.port }]);
    const acked = new Map<string, string>();
    const increments = new Map<string, number>();
    const failures: string[] = [];
    const mismatches: string[] = [];
    let ops = 0;
    let running = true;

    // Every key belongs to one worker, which awaits each command: a read of a key must return
    // what the same worker last had acknowledged for it.
    const worker = async (w: number) => {
      const mine = <T>(list: readonly T[]) => list.filter((_, i) => i % WORKERS === w);
      const myPlain = mine(plain);
      const myCounters = mine(counters);
      const myPairs = mine(pairs);
      for (let seq = 0; running; seq++) {
        const value = `w${w}-${seq}`;
        try {
          const key = myPlain[seq % myPlain.length]!;
          if ((await client.set(key, value)) === 'OK') acked.set(key, value);
          const probe = myPlain[(seq * 7 + 3) % myPlain.length]!;
          const got = await client.get(probe);
          if (got !== (acked.get(probe) ?? null)) mismatches.push(`${probe}: read ${got}, acknowledged ${acked.get(probe)}`);

          const counter = myCounters[seq % myCounters.length]!;
          const n = await client.incr(counter);
          const expected = (increments.get(counter) ?? 0) + 1;
          if (n !== expected) mismatches.push(`${counter}: INCR gave ${n}, expected ${expected}`);
          increments.set(counter, expected);

          const [x, y] = myPairs[seq % myPairs.length]!;
          if ((await client.mset(x, value, y, value)) === 'OK') {
            acked.set(x, value);
            acked.set(y, value);
          }
          const [gx, gy] = await client.mget(x, y);
          if (gx !== value || gy !== value) mismatches.push(`${x}/${y}: MGET gave ${gx}/${gy}, acknowledged ${value}`);
          ops += 6;
        } catch (err) {
          failures.push(String(err));
          if (failures.length > 20) return;
        }
      }
    };

    try {
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      await new Promise((r) => setTimeout(r, 1500));
      const opsBefore = ops;
      expect(opsBefore).toBeGreaterThan(100);
      const started = Date.now();
      const { stdout } = await run('redis-cli', [
        '--cluster', 'reshard', `127.0.0.1:${a.port}`, '--cluster-from', a.id, '--cluster-to', b.id,
        '--cluster-slots', String(MOVED_SLOTS), '--cluster-yes', '--cluster-pipeline', '1',
      ], { timeout: 400_000, maxBuffer: 64 << 20 }).catch((err: { stdout?: string; stderr?: string }) => {
        throw new Error(`redis-cli --cluster reshard failed: ${String(err.stdout).slice(-3000)} ${err.stderr ?? ''}`);
      });
      const reshardMs = Date.now() - started;
      const opsDuring = ops - opsBefore;
      await new Promise((r) => setTimeout(r, 1000));
      running = false;
      await Promise.all(workers);

      expect(stdout).toContain('Moving slot 999 ');
      expect(failures).toEqual([]);
      expect(mismatches).toEqual([]);
      // The load really ran while the slots moved (not only before or after).
      expect(opsDuring).toBeGreaterThan(1000);
      console.log(`reshard of ${MOVED_SLOTS} slots: ${reshardMs} ms, ${opsDuring} client commands meanwhile`);

      // Every acknowledged write is there, read through a fresh client and on the node that owns it now.
      const fresh = new Cluster([{ host: '127.0.0.1', port: b.port }]);
      const db = new Redis({ port: b.port, host: '127.0.0.1' });
      try {
        let onB = 0;
        for (const [key, value] of acked) {
          expect(await fresh.get(key), key).toBe(value);
          if (keySlot(Buffer.from(key)) < MOVED_SLOTS) {
            expect(await db.get(key), key).toBe(value);
            onB++;
          }
        }
        expect(onB).toBeGreaterThan(200);
        for (const [key, n] of increments) expect(Number(await fresh.get(key)), key).toBe(n);
        const slots = (await db.call('cluster', 'slots')) as [number, number, [string, number, string]][];
        const first = slots.find(([from]) => from === 0)!;
        expect([first[0], first[1], ...first[2].slice(0, 3)]).toEqual([0, MOVED_SLOTS - 1, '127.0.0.1', b.port, b.id]);
      } finally {
        fresh.disconnect();
        db.disconnect();
      }
      const { stdout: check } = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${a.port}`], { timeout: 60_000 });
      expect(check).toContain('[OK] All nodes agree about slots configuration.');
      expect(check).toContain('[OK] All 16384 slots covered.');

      // The nodes answered redirections only, and the client met ASK (a slot half moved) along the way.
      const seen: Record<string, number> = {};
      for (const n of cluster.nodes) for (const [code, count] of Object.entries(await errorstats(n.port))) seen[code] = (seen[code] ?? 0) + count;
      console.log('errors answered during the run:', seen);
      expect(Object.keys(seen).filter((code) => !['MOVED', 'ASK', 'TRYAGAIN'].includes(code))).toEqual([]);
      expect(seen.ASK ?? 0).toBeGreaterThan(0);
      expect(seen.MOVED ?? 0).toBeGreaterThan(0);
    } finally {
      running = false;
      client.disconnect();
    }
  }, 480_000);
});
