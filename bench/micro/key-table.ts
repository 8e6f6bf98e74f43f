// The key table's worst insert: filling it with N keys, how long did the single slowest insert
// take (a rehash that moves every key in one pass stalls every client for that long), and what
// did the whole fill cost. "incremental" is this build's table (the old table drained 64 slots
// per insert); "one-pass" is the same table with an unbounded move budget, so a rehash moves
// every key at once, as before; with --before <root> the table of another build (its root) is
// run too. Rounds interleave the variants. Only insert() is timed (record writing is
// the same in each).
//
//   node dist/bench/micro/key-table.js [--n 4000000] [--rounds 2] [--before <root of another build>]

import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { hashKey, KeyTable } from '../../src/store/key-table.js';
import { RecordArena } from '../../src/store/record-arena.js';
import { fmt } from '../lib/stats.js';
import { option } from '../lib/in-process.js';

const N = Number(option('--n', '4000000'));
const ROUNDS = Number(option('--rounds', '2'));
const BEFORE = option('--before', '');

interface TableLike {
  newRecord(key: string, hash: number, valueLength: number, bodyBytes: number): number;
  insert(hash: number, handle: number): void;
  readonly epoch: number;
  /** Only the incremental table has it: the one-pass table of an older build is never mid-rehash between calls. */
  readonly rehashing?: boolean;
}
type Make = () => TableLike;

interface Result {
  maxMs: number;
  /** The longest insert that started a rehash (allocates the new table). */
  startMs: number;
  /** The longest insert with no rehash running: this machine's noise (GC, other processes). */
  quietMs: number;
  /** Inserts that took over 1 ms. */
  over1ms: number;
  totalMs: number;
  rehashes: number;
}

function fill(make: Make): Result {
  const table = make();
  let maxMs = 0;
  let startMs = 0;
  let quietMs = 0;
  let over1ms = 0;
  let totalMs = 0;
  for (let i = 0; i < N; i++) {
    const key = `key:${i}`;
    const hash = hashKey(key);
    const handle = table.newRecord(key, hash, 0, 0);
    const epoch = table.epoch;
    const t0 = performance.now();
    table.insert(hash, handle);
    const ms = performance.now() - t0;
    if (table.epoch !== epoch) startMs = Math.max(startMs, ms);
    else if (table.rehashing !== true) quietMs = Math.max(quietMs, ms);
    totalMs += ms;
    if (ms > maxMs) maxMs = ms;
    if (ms > 1) over1ms++;
  }
  return { maxMs, startMs, quietMs, over1ms, totalMs, rehashes: table.epoch };
}

async function main(): Promise<void> {
  const variants: Array<[string, Make]> = [
    ['incremental', () => new KeyTable(new RecordArena())],
    ['one-pass', () => new KeyTable(new RecordArena(), 16, Infinity)],
  ];
  if (BEFORE !== '') {
    const file = `${BEFORE}/dist/src/store/key-table.js`;
    if (!existsSync(file)) throw new Error(`--before: no build at ${file} (npm run build there)`);
    const beforeTable = (await import(pathToFileURL(file).href)) as { KeyTable: new (arena: unknown) => TableLike };
    const beforeArena = (await import(pathToFileURL(`${BEFORE}/dist/src/store/record-arena.js`).href)) as { RecordArena: new () => unknown };
    // The other build's hashKey has another seed; the table only needs the same hash at insert and lookup.
    variants.push(['before', () => new beforeTable.KeyTable(new beforeArena.RecordArena())]);
  }
  const results = new Map<string, Result[]>(variants.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of variants) {
      results.get(name)!.push(fill(make));
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
  console.log(`key table: fill of ${fmt(N)} keys, ${ROUNDS} interleaved rounds (worst of the rounds / median of insert time)`);
  console.log('variant          longest insert   longest rehash-starting insert   longest with no rehash running   inserts > 1 ms   insert time total   rehashes');
  for (const [name, rs] of results) {
    const worst = Math.max(...rs.map((r) => r.maxMs));
    const start = Math.max(...rs.map((r) => r.startMs));
    const quiet = Math.max(...rs.map((r) => r.quietMs));
    const over = Math.max(...rs.map((r) => r.over1ms));
    const total = rs.map((r) => r.totalMs).sort((a, b) => a - b)[Math.floor(rs.length / 2)]!;
    console.log(`${name.padEnd(16)} ${`${fmt(worst, 2)} ms`.padStart(14)}   ${`${fmt(start, 2)} ms`.padStart(30)}   ${`${fmt(quiet, 2)} ms`.padStart(30)}   ${String(over).padStart(14)}   ${`${fmt(total, 0)} ms`.padStart(17)}   ${String(rs[0]!.rehashes).padStart(8)}`);
  }
}

await main();
