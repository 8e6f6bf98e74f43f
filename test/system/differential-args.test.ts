// Hostile and sloppy clients across the whole command table: for every command (and
// subcommand) that both sealkv and redis-server 7.0 list in COMMAND, malformed requests built
// from Redis's own COMMAND DOCS argument trees (test/helpers/arg-cases.ts) — too few and too
// many arguments, each argument replaced by a wrong token (not a number, negative, 0, huge,
// -inf/nan/1e400, empty, an unknown option word), option words repeated, reordered or without
// their value, and every key pointed at a key of each other type — go to both servers in RESP2
// and RESP3 after the same setup, and the replies must be the same bytes, error text included.
// Where a reply legitimately differs (SHAPE_ONLY below, each with its reason) only its RESP type
// is compared. After each command's cases a PING on a second connection must answer within
// PING_BOUND_MS, so no input crashes sealkv or stalls other clients.
//
// Bounded for CI: ARGS_FUZZ_COUNT cases per command (default 12, drawn from a fixed seed,
// ARGS_FUZZ_SEED); ARGS_FUZZ_COUNT=1000 runs every generated case (about 12,000 per protocol).
// Skipped with a message where redis-server is not installed (CI installs it).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES } from '../../src/commands/index.js';
import { Registry } from '../../src/commands/registry.js';
import { casesFor, commandDocs, containerCases, KEY_SETUP, sample, type CommandDoc } from '../helpers/arg-cases.js';
import { encodeCommand } from '../helpers/clients.js';
import { fromEnv, parseReply, renderReply, sortedItems } from '../helpers/differential.js';
import { prng } from '../helpers/prng.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const PER_COMMAND = fromEnv(['ARGS_FUZZ_COUNT'], 12, 'count');
const SEED = fromEnv(['ARGS_FUZZ_SEED', 'DIFF_SEED'], 20261207, 'seed');
const PING_BOUND_MS = 2000;
/** A case that waits this long on both servers counts as "both block" (a blocking command). */
const REPLY_TIMEOUT_MS = 1500;
/** Commands that take long on purpose (PFSELFTEST runs about a second on both servers). */
const SLOW_MS: Record<string, number> = { pfselftest: 30_000 };

/** Commands not sent at all, with why: each would harm the run rather than test an answer. */
const SKIP: Record<string, string> = {
  shutdown: 'stops the server',
  debug: 'refused by sealkv on purpose (docs/compatibility.md); in Redis it can crash or sleep the server',
  monitor: 'turns the test connection into a monitor',
  sync: 'turns the test connection into a replica link',
  psync: 'turns the test connection into a replica link',
  replconf: 'replication internals: ACK/GETACK from a normal client act on replica state',
  replicaof: 'makes the server a replica of another',
  slaveof: 'makes the server a replica of another',
  failover: 'starts a failover',
  'client|kill': 'can close the test connection',
  'client|pause': 'pauses every client, the watchdog PING included',
  'client|reply': 'OFF/SKIP silence the test connection',
  'config|set': 'can change port, dir, bind, maxmemory... of the running servers',
  'config|rewrite': 'writes the config file',
  'config|resetstat': 'harmless, but resets the counters other checks read: nothing to compare',
  save: 'sealkv writes snapshots to tmpfs only (docs/compatibility.md): a deliberate difference',
  bgsave: 'sealkv writes snapshots to tmpfs only (docs/compatibility.md): a deliberate difference',
  bgrewriteaof: 'sealkv keeps no append-only file (docs/compatibility.md): a deliberate difference',
  'acl|setuser': 'can lock the test connection out (rules for the default user)',
  'acl|deluser': 'deleting users the run does not own',
  'acl|load': 'reloads users from a file',
  'acl|save': 'writes the ACL file',
  'module|load': 'loads native code into Redis; refused by sealkv on purpose (docs/compatibility.md)',
  'module|loadex': 'loads native code into Redis; refused by sealkv on purpose (docs/compatibility.md)',
  'module|unload': 'refused by sealkv on purpose (docs/compatibility.md)',
  migrate: 'connects to other servers and waits for them',
};

/**
 * Commands whose well-formed replies legitimately differ (server-specific values or
 * sealkv's documented differences): only the reply's RESP type is compared, errors still byte
 * for byte.
 */
const SHAPE_ONLY: Record<string, string> = {
  info: 'server-specific values (memory, run id, uptime)',
  hello: 'server name, version and client id',
  lolwut: 'version string and random pictures',
  time: 'the clock',
  lastsave: 'the clock',
  'client|id': 'connection ids', 'client|list': 'connection ids, addresses, memory', 'client|info': 'connection ids, addresses, memory',
  'client|trackinginfo': 'connection ids',
  'command|count': 'sealkv implements a subset of the commands (docs/compatibility.md)',
  'command|list': 'sealkv implements a subset of the commands (docs/compatibility.md)',
  'command|docs': 'sealkv gives no argument lists (docs/compatibility.md)',
  command: 'sealkv implements a subset of the commands',
  'config|get': 'settings sealkv does not have, and its own defaults',
  'memory|stats': 'memory figures', 'memory|usage': 'memory figures', 'memory|doctor': 'memory figures',
  'memory|malloc-stats': 'allocator figures',
  'object|encoding': 'docs/compatibility.md: encodings worked out from the current value',
  'object|freq': 'access clock', 'object|idletime': 'access clock',
  'slowlog|get': 'sealkv redacts arguments (docs/compatibility.md) and the timings differ',
  'latency|doctor': "a report in sealkv's own words (docs/compatibility.md)", 'latency|latest': 'timings', 'latency|history': 'timings', 'latency|histogram': 'timings',
  dump: 'sealkv dumps a sealed payload',
  randomkey: 'random', spop: 'random', srandmember: 'random', hrandfield: 'random', zrandmember: 'random',
  'acl|log': 'client ids, ages', 'acl|getuser': 'password digests and selectors order', 'acl|list': 'passwords as digests', 'acl|genpass': 'random',
  role: 'replication offsets',
  'xinfo|stream': 'internal radix tree figures', 'xinfo|consumers': 'idle times',
  xautoclaim: 'delivery times', xclaim: 'delivery times', xpending: 'delivery times and idle',
  'function|stats': 'engine figures',
  'function|dump': 'sealkv dumps a sealed payload',
  xadd: 'IDs made from each server\'s clock',
  scan: "cursor positions follow each server's hash table (docs/compatibility.md)",
  sscan: "cursor positions follow each server's hash table (docs/compatibility.md)",
  hscan: "cursor positions follow each server's hash table (docs/compatibility.md)",
  zscan: "cursor positions follow each server's hash table (docs/compatibility.md)",
  'slowlog|len': 'which commands were slow differs by server',
  'command|info': 'COMMAND INFO with no names lists every command: sealkv has a subset',
  'client|help': 'sealkv lists its own extra subcommands (SETINFO, MAXAGE for KILL)',
  'slowlog|help': 'sealkv says how it redacts arguments (docs/compatibility.md)',
  'latency|help': 'LATENCY GRAPH is not implemented (docs/compatibility.md)',
};

/** Commands whose reply may be anything on either side: sealkv refuses them on purpose. */
const DELIBERATE: Record<string, string> = {
  'script|debug': 'sealkv has no Lua debugger: SCRIPT DEBUG YES/SYNC are refused (docs/compatibility.md)',
};

/** Replies whose order Redis does not promise (a hash table's): compared with elements sorted. */
const UNORDERED = new Set(['keys', 'smembers', 'sdiff', 'sinter', 'sunion', 'hkeys', 'hvals', 'hgetall']);
const sorted = (raw: string) => renderReply(sortedItems(parseReply(raw)));

/**
 * Requests that differed before a fix, sent on every run whatever the sample draws (each one
 * failed before the commit that fixed it).
 */
const PINNED: Record<string, string[][]> = {
  acl: [['ACL', 'GENPASS', 'x'], ['ACL', 'GENPASS', '1.5'], ['ACL', 'LOG', '-1']],
  scripting: [
    ['EVALSHA', 'BOGUS', '1'], ['EVALSHA_RO', '', '1'],
    ['FUNCTION', 'FLUSH', 'ASYNC', 'EXTRA'], ['FUNCTION', 'RESTORE', 'v', 'FLUSH', 'FLUSH'],
    ['EVAL', 'return 1', '9223372036854775807'], ['EVAL_RO', 'return 1', '-9223372036854775808'],
    ['EVALSHA', '0'.repeat(40), '9223372036854775807'],
  ],
  streams: [
    ['XGROUP', 'CREATE', 'strm', 'grp', '1-1', 'MKSTREAM', 'ENTRIESREAD', 'ENTRIESREAD', '1'],
    ['XGROUP', 'SETID', 'strm', 'grp', '1-1', 'ENTRIESREAD', 'ENTRIESREAD', '1'],
    ['XINFO', 'STREAM', 'none', 'x', 'COUNT', '1'], ['XINFO', 'STREAM', 'str', 'FULL', 'COUNT', 'x'],
  ],
  integers: [
    ['SELECT', '9223372036854775807'], ['SELECT', '2147483648'], ['SWAPDB', '4294967296', '1'], ['SWAPDB', '1', '-2147483649'],
    ['SWAPDB', '2147483648', 'FULL'], ['HELLO', '9223372036854775807'], ['HELLO', '-9223372036854775808', 'SETNAME', 'v'],
    ['ACL', 'GENPASS', '9223372036854775807'], ['ACL', 'LOG', '-9223372036854775808'], ['SLOWLOG', 'GET', '9223372036854775807'],
    ['MEMORY', 'USAGE', 'str', 'SAMPLES', '-9223372036854775808'],
  ],
  errorText: [
    ['EXPIRE', 'str', '1', 'caf\u00e9 \r\n'], ['PEXPIREAT', 'str', '1', `L${'o'.repeat(200)}ng`], ['EXPIRE', 'str', '1', 'a\0b'],
    ['ACL', 'CAT', 'caf\u00e9 \r\n'], ['ACL', 'CAT', 'a\0b'], ['ACL', 'DRYRUN', `L${'o'.repeat(200)}ng`, 'get'], ['ACL', 'DRYRUN', 'caf\u00e9', 'get'],
    ['FUNCTION', 'LOAD', 'caf\u00e9 \r\n', 'x'], ['FUNCTION', 'LOAD', 'a\0b', 'x'], ['FUNCTION', 'LIST', 'caf\u00e9 \r\n'], ['FUNCTION', 'LIST', `L${'o'.repeat(600)}ng`],
    ['PFDEBUG', `L${'o'.repeat(200)}ng`, 'hll'], ['PFDEBUG', 'a\0b', 'hll'], ['HELLO', '3', `L${'o'.repeat(200)}ng`],
  ],
  luaMessages: [['EVAL', 'caf\u00e9', '0'], ['SCRIPT', 'LOAD', 'a\0b'], ['EVAL', 'x \u00ff', '0']],
};

/** Cases left out, with why: a 256 MB bitmap per case is a load test, not an argument check. */
const tooBig = (args: string[]) => ['SETBIT', 'BITFIELD'].includes(args[0]!) && args.includes('2147483648');

const registry = new Registry(FAMILIES);
const ARITY = new Map(registry.leaves().map((l) => [l.fullName, l.spec.arity]));

/** `xinfo|stream` for XINFO STREAM ...: the table's name for a request. */
const commandName = (args: string[]): string => {
  const top = args[0]!.toLowerCase();
  const sub = `${top}|${(args[1] ?? '').toLowerCase()}`;
  return ARITY.has(sub) ? sub : top;
};

/** The RESP type of a reply (an error counts as its text). */
const shape = (raw: string) => (raw[0] === '-' || raw[0] === '!' ? raw : raw[0]);

/** Setup before every case: a clean connection state and one key of each type. */
function setup(protocol: 2 | 3): Buffer {
  const cmds = [['RESET'], ...(protocol === 3 ? [['HELLO', '3']] : []), ['FLUSHALL'], ['FUNCTION', 'FLUSH'], ['SCRIPT', 'FLUSH'], ...KEY_SETUP];
  return Buffer.concat(cmds.map((c) => encodeCommand(c)));
}
const SETUP_REPLIES = (protocol: 2 | 3) => KEY_SETUP.length + 4 + (protocol === 3 ? 1 : 0);

class Side {
  conn!: ReplyConnection;
  constructor(readonly port: number) {}
  async open() {
    this.conn = await ReplyConnection.open(this.port);
  }
  async prepare(protocol: 2 | 3): Promise<void> {
    const replies = [await this.conn.sendRaw(setup(protocol))];
    for (let i = 1; i < SETUP_REPLIES(protocol); i++) replies.push(await this.conn.sendRaw(Buffer.alloc(0)));
    if (replies.some((r) => r.startsWith('-') || r.startsWith('<'))) throw new Error(`setup failed on ${this.port}: ${replies.join(' ')}`);
  }
  /** The reply to `args`, with any further replies it caused (SUBSCRIBE's, pushes) after it. */
  async send(args: string[]): Promise<string> {
    const reply = await this.conn.send(args, SLOW_MS[args[0]!.toLowerCase()] ?? REPLY_TIMEOUT_MS);
    if (reply.startsWith('<')) {
      // Closed (QUIT, a protocol error) or still waiting (a blocking command): start afresh.
      this.conn.close();
      await this.open();
      return reply;
    }
    // RESET then a marker: whatever comes before the marker belongs to this case.
    const replies = [await this.conn.sendRaw(Buffer.concat([encodeCommand(['RESET']), encodeCommand(['ECHO', MARKER])]), REPLY_TIMEOUT_MS)];
    while (!replies.at(-1)!.endsWith(`${MARKER}\r\n`) && !replies.at(-1)!.startsWith('<')) replies.push(await this.conn.sendRaw(Buffer.alloc(0), REPLY_TIMEOUT_MS));
    if (replies.at(-1)!.startsWith('<')) {
      // QUIT, or a command that left the connection waiting after its reply.
      this.conn.close();
      await this.open();
      return reply + replies.slice(0, -1).join('');
    }
    return reply + replies.slice(0, -2).join('');
  }
}

const MARKER = 'differential-args-marker';

if (!hasRedisServer) console.warn('differential-args: redis-server is not installed, skipped');

describe.skipIf(!hasRedisServer)('malformed arguments for every command against redis-server 7.0', () => {
  let reference: ReferenceRedis;
  let sealkv: SpawnedServer;
  let docs: CommandDoc[];

  beforeAll(async () => {
    [reference, sealkv] = await Promise.all([startRedis(), spawnServer()]);
    const c = await ReplyConnection.open(reference.port);
    const s = await ReplyConnection.open(sealkv.port);
    try {
      const listed = async (conn: ReplyConnection) => new Set(parseReply(await conn.send(['COMMAND', 'LIST'])).items!.map((n) => n.head.slice(1)));
      const [theirs, ours] = [await listed(c), await listed(s)];
      const both = (name: string) => theirs.has(name.split('|')[0]!) && ours.has(name.split('|')[0]!) && ARITY.has(name);
      docs = commandDocs(parseReply(await c.send(['COMMAND', 'DOCS'], 10_000))).filter((d) => both(d.name));
    } finally {
      c.close();
      s.close();
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([reference?.stop(), sealkv?.stop()]);
  });

  for (const protocol of [2, 3] as const) {
    it(`every command's malformed requests answer as redis-server (RESP${protocol}, seed ${SEED + protocol})`, async () => {
      const rnd = prng(SEED + protocol);
      const ours = new Side(sealkv.port);
      const theirs = new Side(reference.port);
      const watchdog = await ReplyConnection.open(sealkv.port);
      await Promise.all([ours.open(), theirs.open()]);
      const mismatches: string[] = [];
      let cases = 0;
      let commands = 0;
      const compare = async (name: string, args: string[], what: string) => {
        await Promise.all([ours.prepare(protocol), theirs.prepare(protocol)]);
        const a = await ours.send(args);
        const b = await theirs.send(args);
        cases++;
        const alike =
          a === b ||
          name in DELIBERATE ||
          (name in SHAPE_ONLY && shape(a) === shape(b)) ||
          (UNORDERED.has(name) && a[0] !== '-' && sorted(a) === sorted(b));
        if (!alike) mismatches.push(`${name} ${what}: ${JSON.stringify(args)}\n  sealkv: ${JSON.stringify(a.slice(0, 300))}\n  redis:  ${JSON.stringify(b.slice(0, 300))}`);
      };
      try {
        for (const [family, list] of Object.entries(PINNED)) {
          for (const args of list) await compare(commandName(args), args, `(pinned, ${family})`);
        }
        const containers = new Map(docs.filter((d) => d.name.includes('|')).map((d) => [d.name.split('|')[0]!, d.name.split('|')[1]!]));
        for (const [top, sub] of containers) {
          if (top in SKIP) continue;
          for (const c of containerCases(top, sub)) await compare(commandName(c.args), c.args, c.what);
        }
        for (const doc of [...docs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
          if (doc.name in SKIP || doc.name.split('|')[0]! in SKIP) continue;
          commands++;
          for (const c of sample(casesFor(doc, ARITY.get(doc.name)!, rnd), PER_COMMAND, rnd)) {
            if (!tooBig(c.args)) await compare(doc.name, c.args, c.what);
          }
          // No input may stop the server or stall another client.
          expect(await watchdog.send(['PING'], PING_BOUND_MS), `PING after ${doc.name}`).toBe('+PONG\r\n');
        }
      } finally {
        ours.conn.close();
        theirs.conn.close();
        watchdog.close();
      }
      console.log(`differential-args RESP${protocol}: ${commands} commands, ${cases} cases compared, ${mismatches.length} differences`);
      if (process.env.ARGS_FUZZ_REPORT) (await import('node:fs')).writeFileSync(`${process.env.ARGS_FUZZ_REPORT}.${protocol}`, mismatches.join('\n'));
      expect(mismatches, mismatches.slice(0, 40).join('\n')).toEqual([]);
      expect(commands).toBeGreaterThan(200);
    }, 900_000);
  }
});
