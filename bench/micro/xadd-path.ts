// The whole XADD path in one process, without the kernel: a real server's Client fed pipelined
// XADDs (16 per read, auto ids, two 32-byte fields, as bench/streams.ts sends them) through a
// socket stand-in that drops the replies. Parsing, dispatch, the stream append, the AEAD seal
// and reply staging are measured; the socket reads and writes, which a loopback benchmark pays
// in the kernel and which vary most on a shared machine, are not. Reports CPU time per request
// (process.cpuUsage: the collector's helper threads included), medians of rounds.
//
//   npm run build && node dist/bench/micro/xadd-path.js [--rounds 7] [--requests 200000] [--before <root of another build>]
//
// Each build runs in a child process of its own; with --before the two alternate round by round.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { argv, buildsToCompare, cpuPerRequest, option, resp, startFedClient, turn } from '../lib/in-process.js';
import { fmt, summarize } from '../lib/stats.js';

const ROUNDS = Number(option('--rounds', '7'));
const REQUESTS = Number(option('--requests', '200000'));
const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const VALUE = 'v'.repeat(32);

/* eslint-disable @typescript-eslint/no-explicit-any */
async function child(root: string): Promise<void> {
  const running = await startFedClient(root);
  const client: any = running.client;
  const read = Buffer.concat(Array.from({ length: 16 }, () => resp(['XADD', 'bench:add', '*', 'a', VALUE, 'b', VALUE])));
  const round = async (n: number): Promise<number> => {
    client.receive(resp(['DEL', 'bench:add']));
    await turn();
    return cpuPerRequest(client, n, () => read);
  };
  await round(REQUESTS / 2);
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) samples.push(await round(REQUESTS));
  process.stdout.write(JSON.stringify(samples));
  await running.close();
  process.exit(0);
}

function main(): void {
  const builds = buildsToCompare(ROOT);
  const samples = new Map<string, number[]>(builds.map(([label]) => [label, []]));
  // Rounds of one child each, the builds alternating: load from elsewhere falls on both alike.
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, root] of r % 2 === 0 ? builds : [...builds].reverse()) {
      const out = execFileSync(process.execPath, [HERE, '--child', root, '--rounds', '1', '--requests', String(REQUESTS)], { timeout: 300_000 });
      samples.get(label)!.push(...(JSON.parse(out.toString()) as number[]));
    }
  }
  const cells = builds.map(([label]) => {
    const s = summarize(samples.get(label)!);
    return `${label} ${fmt(s.median / 1000, 2)} us (${fmt(s.min / 1000, 2)}–${fmt(s.max / 1000, 2)})`;
  });
  console.log(`XADD bench:add * a <32B> b <32B>, 16 per read: CPU per request ${cells.join('   ')}`);
}

if (argv[0] === '--child') await child(argv[1]!);
else main();
