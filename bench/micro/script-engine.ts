// The Lua side of an EVALSHA alone: LuaEngine.execute of one compiled script, its keys and
// arguments as RawArgs (as a socket's short request brings them), redis.call answered by a stub
// with a fixed integer reply, so no command, sealing or socket is measured. Each case is one
// script shape, so the differences between cases price one step each:
//
//   return 1                                   start, protected call, result, end (KEYS/ARGV emptied)
//   local k = KEYS[1] return 1                 + reading KEYS[1] through the sandbox (_ENV -> globals)
//   local f = redis.call return 1              + finding redis.call (_ENV -> globals, read-only view -> redis)
//   return redis.call('INCR', KEYS[1])         + one redis.call: the crossing, its arguments, the reply into Lua
//   rate limiter                               the script of bench/scripting.ts (the counter past 1)
//   for i = 1, 100 do end return 1             100 loop instructions, with the count hook and without:
//                                              the hook's price per instruction (Lua 5.4 traps every one)
//
// CPU time per script (process.cpuUsage), medians of rounds with ranges, each round 200,000 scripts.
//
//   npm run build && node dist/bench/micro/script-engine.js [--rounds 7] [--scripts 200000]

import { LuaEngine, type ScriptRun } from '../../src/scripting/engine.js';
import { RawArgs } from '../../src/protocol/raw-args.js';
import { ReplyWriter } from '../../src/protocol/reply.js';
import { fmt, summarize } from '../lib/stats.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const ROUNDS = option('--rounds', 7);
const SCRIPTS = option('--scripts', 200_000);

const CASES: [string, string][] = [
  ['return 1', 'return 1'],
  ['KEYS[1] read', 'local k = KEYS[1] return 1'],
  ['redis.call looked up', 'local f = redis.call return 1'],
  ['one redis.call (stub)', "return redis.call('INCR', KEYS[1])"],
  ['rate limiter (stub)', "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c"],
  ['100-step loop', 'for i = 1, 100 do end return 1'],
];

/** The EVALSHA request as the parser hands it out: offsets into one read. */
function request(): RawArgs {
  const parts = ['evalsha', 'a'.repeat(40), '1', 'rl:000000001234', '60000'];
  const raw = new RawArgs();
  raw.bytes = Buffer.from(parts.join(' '));
  let at = 0;
  parts.forEach((p, i) => {
    raw.starts[i] = at;
    raw.lengths[i] = p.length;
    at += p.length + 1;
  });
  raw.length = parts.length;
  return raw;
}

/** redis.call answered at once with ':5' (INCR's reply shape), the counter past its first hit. */
class StubRun implements ScriptRun {
  resp: 2 | 3 = 2;
  readonly replyBuffer = Buffer.from(':5\r\n');
  call(): number {
    return 4;
  }
  release(): void {}
  aclCheck(): boolean {
    return true;
  }
  log(): void {}
  interrupt(): string | null {
    return null;
  }
}

function measure(engine: LuaEngine, ref: number): number[] {
  const run = new StubRun();
  const reply = new ReplyWriter({ countError: () => undefined }, 1024);
  const req = request();
  const samples: number[] = [];
  for (let r = -1; r < ROUNDS; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < SCRIPTS; i++) {
      engine.execute(ref, req, 1, run, reply, 'eval', 'bench');
      reply.truncate(0);
    }
    const used = process.cpuUsage(start);
    if (r >= 0) samples.push(((used.user + used.system) * 1000) / SCRIPTS);
  }
  return samples;
}

const line = (label: string, samples: number[]): void => {
  const s = summarize(samples);
  console.log(`${label.padEnd(28)} ${fmt(s.median, 0)} ns (${fmt(s.min, 0)}-${fmt(s.max, 0)})`);
};

const engine = await LuaEngine.create(0);
for (const [label, body] of CASES) {
  const ref = engine.compile(Buffer.from(body));
  if (typeof ref === 'string') throw new Error(ref);
  line(label, measure(engine, ref));
  engine.release(ref);
}
// The count hook stays off from here: execute() installs it once, on its first script.
const loop = engine.compile(Buffer.from(CASES[CASES.length - 1]![1]));
if (typeof loop === 'string') throw new Error(loop);
engine.vm.setCountHook(0, null);
line('100-step loop, no hook', measure(engine, loop));
