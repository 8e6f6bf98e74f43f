// The command table against redis-server 7.0, spawned here (skipped with a message when it is
// not installed): for every command sealkv has, COMMAND INFO (flags, first/last/step, categories,
// tips, key specs, subcommands), COMMAND DOCS (summary, since, group, complexity), COMMAND
// GETKEYS and GETKEYSANDFLAGS on many argument lists, COMMAND LIST with every filter, and the
// errors of each, compared reply by reply in RESP2 and RESP3. The only differences allowed are
// the ones listed in SEALKV_ONLY and DOCUMENTED below; everything else must be equal.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES } from '../../src/commands/index.js';
import { Registry } from '../../src/commands/registry.js';
import { KEY_FLAG_NAMES, keysFromSpecs, type KeySpec } from '../../src/commands/key-specs.js';
import { encodeCommand } from '../helpers/clients.js';
import { CASES, FUTURE } from '../unit/commands/future-specs.js';
import { freePort, startInProcess, type InProcessServer } from '../helpers/server.js';

const REDIS_SERVER = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server']).toString().trim() || null;
  } catch {
    return null;
  }
})();
if (!REDIS_SERVER) console.warn('command-table-redis: redis-server is not installed, the comparison is skipped');

/** Commands and subcommands only sealkv has, with why. They are left out of every comparison. */
const SEALKV_ONLY: Record<string, string> = {
  seal: 'sealkv key management (SEAL ROTATE / STATUS / HELP)',
  'client|setinfo': 'a Redis 7.2 subcommand; 7.0 does not know it, clients send it on connect',
};

/**
 * Known, deliberate differences, each with its reason. Commands Redis has and sealkv does not
 * are not compared (the comparison runs over sealkv's commands), so totals differ too.
 */
const DOCUMENTED = {
  count: 'COMMAND COUNT and unfiltered COMMAND LIST: sealkv implements a subset of the commands',
  docs: 'COMMAND DOCS: sealkv gives summary, since, group, complexity and subcommands, not arguments, history or doc_flags',
  order: 'subcommands inside a COMMAND INFO entry and COMMAND LIST come in Redis dict order: compared as sets',
  pfmergeAlone:
    'COMMAND GETKEYS PFMERGE destkey (no sources): sealkv names destkey, so ACL key rules apply to it; Redis 7.0 finds no keys and lets any user write it',
};

/** The one request of the GETKEYS comparison covered by DOCUMENTED.pfmergeAlone. */
const pfmergeAlone = (args: string[]): boolean => args.length === 2 && args[0]!.toLowerCase() === 'pfmerge';

const registry = new Registry(FAMILIES);
const ARITY = new Map(registry.leaves().map((l) => [l.fullName, l.spec.arity]));
const LEAVES = [...ARITY.keys()];
const TOP = [...registry.all()].map((s) => s.name);
const sealkvOnly = (name: string) => name in SEALKV_ONLY || name.split('|')[0]! in SEALKV_ONLY;
const compared = (name: string) => !sealkvOnly(name);

// ---- a small RESP3 reader, so sets, maps and nulls keep their type in the comparison ----

type Value = null | number | string | { err: string } | { arr: Value[] } | { set: Value[] } | { map: [Value, Value][] };

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  /** One whole reply and where it ends, or null when more bytes are needed. */
  next(): { value: Value; end: number } | null {
    const start = this.at;
    try {
      const value = this.read();
      return { value, end: this.at };
    } catch (err) {
      if (err === MORE) {
        this.at = start;
        return null;
      }
      throw err;
    }
  }
  private line(): string {
    const nl = this.buf.indexOf('\r\n', this.at);
    if (nl < 0) throw MORE;
    const s = this.buf.toString('latin1', this.at, nl);
    this.at = nl + 2;
    return s;
  }
  private read(): Value {
    const head = this.line();
    const rest = head.slice(1);
    switch (head[0]) {
      case '+':
        return rest;
      case '-':
        return { err: rest };
      case ':':
        return Number(rest);
      case '_':
        return null;
      case '$': {
        const n = Number(rest);
        if (n < 0) return null;
        if (this.buf.length < this.at + n + 2) throw MORE;
        const s = this.buf.toString('latin1', this.at, this.at + n);
        this.at += n + 2;
        return s;
      }
      case '*':
      case '~': {
        const n = Number(rest);
        if (n < 0) return null;
        const items = Array.from({ length: n }, () => this.read());
        return head[0] === '*' ? { arr: items } : { set: items };
      }
      case '%': {
        const n = Number(rest);
        return { map: Array.from({ length: n }, () => [this.read(), this.read()] as [Value, Value]) };
      }
      default:
        throw new Error(`unexpected RESP type ${JSON.stringify(head)}`);
    }
  }
}
const MORE = Symbol('more');

/** One connection that answers calls in order, each with the parsed reply and its exact bytes. */
class Conn {
  private pending: Buffer = Buffer.alloc(0);
  private waiting: ((r: { value: Value; bytes: Buffer }) => void)[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.pending = Buffer.concat([this.pending, d]);
      for (;;) {
        const got = new Reader(this.pending).next();
        if (!got) break;
        const bytes = this.pending.subarray(0, got.end);
        this.pending = this.pending.subarray(got.end);
        this.waiting.shift()!({ value: got.value, bytes });
      }
    });
  }
  static async open(port: number, protocol: 2 | 3): Promise<Conn> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new Conn(socket);
    if (protocol === 3) await c.call(['HELLO', '3']);
    return c;
  }
  call(args: string[]): Promise<{ value: Value; bytes: Buffer }> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(args));
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Starts redis-server on a free port; resolves once it accepts connections. */
async function startRedis(): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return { port, child };
}

// ---- normalising COMMAND INFO entries so they can be compared element by element ----

const str = (v: Value) => v as string;
const items = (v: Value): Value[] => (v === null ? [] : 'arr' in (v as object) ? (v as { arr: Value[] }).arr : (v as { set: Value[] }).set);

/** The entry with its subcommands sorted by name and cut down to the ones sealkv has. */
function normaliseInfo(entry: Value, keep: (name: string) => boolean): Value {
  if (entry === null) return null;
  const e = [...(entry as { arr: Value[] }).arr];
  const subsValue = e[9]!;
  const subs = items(subsValue).filter((s) => keep(str((s as { arr: Value[] }).arr[0]!)));
  subs.sort((a, b) => str((a as { arr: Value[] }).arr[0]!).localeCompare(str((b as { arr: Value[] }).arr[0]!)));
  // An empty subcommand list is an empty set in both; a container's is an array.
  e[9] = subs.length === 0 && 'set' in (subsValue as object) ? subsValue : { arr: subs.map((s) => normaliseInfo(s, keep)) };
  return { arr: e };
}

/** Argument lists for GETKEYS: every length around the arity, case variants, options that change flags. */
function getkeysArgLists(fullName: string, arity: number): string[][] {
  const base = fullName.split('|');
  const n = Math.abs(arity);
  const lists: string[][] = [];
  for (let len = Math.max(base.length, n - 1); len <= n + 3; len++) {
    lists.push([...base, ...Array.from({ length: len - base.length }, (_, i) => `k${i + 1}`)]);
  }
  lists.push([...base.map((b) => b.toUpperCase()), ...Array.from({ length: n - base.length }, (_, i) => `K${i + 1}`)]);
  return lists;
}

const EXTRA_GETKEYS: string[][] = [
  ['set', 'k', 'v', 'get'], ['set', 'k', 'v', 'GET'], ['set', 'k', 'v', 'gEt'], ['set', 'k', 'v', 'ex', '10', 'get'], ['set', 'k', 'v', 'get', 'nx'],
  ['set', 'k', 'get'], ['set', 'get', 'v'], ['set', 'k', 'v', 'getx'], ['set', 'k', 'v', 'ge'],
  ['mset', 'a', '1', 'b'], ['mset', 'a', '1', 'b', '2', 'c', '3'], ['msetnx', 'a', '1', 'b'], ['mget', 'a', 'b', 'c'],
  ['del', 'a', 'b', 'c', 'd'], ['exists', 'a', 'a'], ['watch', 'a', 'b'], ['copy', 'a', 'b', 'db', '1', 'replace'],
  ['object', 'encoding', 'k'], ['OBJECT', 'Encoding', 'k'], ['object', 'nosuch', 'k'], ['object', 'help', 'x'],
  ['memory', 'usage', 'k', 'samples', '5'], ['memory', 'usage'], ['config', 'get', 'x'], ['config', 'nosuch', 'x'],
  ['command', 'getkeys', 'get', 'k'], ['command', 'info'], ['client', 'id'], ['nosuch', 'a'], ['get'], ['', 'x'],
  ['x'.repeat(70), 'a'], ['getex', 'k', 'persist'], ['hset', 'h', 'f', 'v', 'g'], ['hdel', 'h', 'f', 'g'],
];

describe.skipIf(!REDIS_SERVER)('COMMAND tables against redis-server 7.0', () => {
  let server: InProcessServer;
  let redis: { port: number; child: ChildProcess };
  const conns: Record<'sealkv' | 'redis', Record<2 | 3, Conn>> = {} as never;

  beforeAll(async () => {
    [server, redis] = await Promise.all([startInProcess(), startRedis()]);
    for (const [who, port] of [['sealkv', server.port], ['redis', redis.port]] as const) {
      conns[who] = { 2: await Conn.open(port, 2), 3: await Conn.open(port, 3) };
    }
  }, 30_000);

  afterAll(async () => {
    for (const c of Object.values(conns ?? {})) for (const conn of Object.values(c)) conn.close();
    redis?.child.kill('SIGKILL');
    await server?.stop();
  });

  /** The same request to both servers in one protocol. */
  const both = async (args: string[], protocol: 2 | 3) => {
    const [ours, theirs] = await Promise.all([conns.sealkv[protocol].call(args), conns.redis[protocol].call(args)]);
    return { ours, theirs };
  };

  it('the documented differences are the only exceptions', () => {
    expect(Object.keys(SEALKV_ONLY).sort()).toEqual(['client|setinfo', 'seal']);
    expect(Object.keys(DOCUMENTED).sort()).toEqual(['count', 'docs', 'order', 'pfmergeAlone']);
  });

  it('every command sealkv has exists in Redis 7.0 (unless sealkv-only)', async () => {
    const { theirs } = await both(['command', 'list'], 3);
    const redisNames = new Set(items(theirs.value).map(str));
    expect(LEAVES.filter((n) => compared(n) && !redisNames.has(n))).toEqual([]);
    expect(TOP.filter((n) => compared(n) && !redisNames.has(n))).toEqual([]);
  });

  for (const protocol of [2, 3] as const) {
    it(`COMMAND INFO of every command, element by element (RESP${protocol})`, async () => {
      const names = [...TOP, ...LEAVES.filter((n) => n.includes('|'))].filter(compared);
      const asked = [...names, ...names.slice(0, 5).map((n) => n.toUpperCase()), 'nosuch', 'config|nosuch', 'get|x', 'a|b|c', 'config|', '|get'];
      const { ours, theirs } = await both(['command', 'info', ...asked], protocol);
      const o = items(ours.value);
      const t = items(theirs.value);
      expect(o.length).toBe(asked.length);
      for (let i = 0; i < asked.length; i++) {
        expect(normaliseInfo(o[i]!, compared), asked[i]).toEqual(normaliseInfo(t[i]!, (n) => LEAVES.includes(n) || TOP.includes(n)));
      }
    });

    it(`plain COMMAND describes each command as COMMAND INFO does (RESP${protocol})`, async () => {
      const { ours } = await both(['command'], protocol);
      const all = items(ours.value);
      expect(all.length).toBe(TOP.length);
      const { ours: info } = await both(['command', 'info', ...TOP], protocol);
      expect(all).toEqual(items(info.value));
    });

    it(`COMMAND GETKEYS and GETKEYSANDFLAGS on every command, byte for byte (RESP${protocol})`, async () => {
      const lists = [...LEAVES.filter(compared).flatMap((n) => getkeysArgLists(n, ARITY.get(n)!)), ...EXTRA_GETKEYS];
      let checked = 0;
      for (const sub of ['getkeys', 'getkeysandflags']) {
        for (const args of lists) {
          const { ours, theirs } = await both(['command', sub, ...args], protocol);
          if (pfmergeAlone(args)) {
            expect(theirs.bytes.toString('latin1')).toBe('-ERR Invalid arguments specified for command\r\n');
            expect(ours.bytes.toString('latin1')).toMatch(/^\*1\r\n/);
            continue;
          }
          expect(ours.bytes.toString('latin1'), `COMMAND ${sub} ${args.join(' ')}`).toBe(theirs.bytes.toString('latin1'));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(500);
    });
  }

  it('COMMAND DOCS: summary, since, group and complexity of every command', async () => {
    const names = TOP.filter(compared);
    const { ours, theirs } = await both(['command', 'docs', ...names], 2);
    const asMap = (v: Value) => {
      const a = items(v);
      const m = new Map<string, Map<string, Value>>();
      for (let i = 0; i < a.length; i += 2) {
        const fields = items(a[i + 1]!);
        const f = new Map<string, Value>();
        for (let j = 0; j < fields.length; j += 2) f.set(str(fields[j]!), fields[j + 1]!);
        m.set(str(a[i]!), f);
        const subs = f.get('subcommands');
        if (subs) for (const [k, v2] of asMap(subs)) m.set(k, v2);
      }
      return m;
    };
    const o = asMap(ours.value);
    const t = asMap(theirs.value);
    for (const [name, fields] of o) {
      if (!compared(name)) continue;
      const theirFields = t.get(name)!;
      for (const field of ['summary', 'since', 'group', 'complexity']) {
        expect(fields.get(field), `${name} ${field}`).toEqual(theirFields.get(field));
      }
    }
  });

  it('COMMAND LIST with every filter names the same commands, over the ones sealkv has', async () => {
    const { ours: all } = await both(['command', 'list'], 2);
    const ourAll = new Set(items(all.value).map(str));
    const cats = items((await both(['acl', 'cat'], 2)).theirs.value).map(str);
    const filters = [
      ...cats.map((c) => ['aclcat', c]), ['aclcat', 'CONNECTION'], ['aclcat', 'nosuch'], ['module', 'x'],
      ...['*', 'c*', '*|*', 'GET', 'config|*', '[a-c]*', 'h?et', '*\\|g*'].map((p) => ['pattern', p]),
    ];
    for (const [kind, value] of filters) {
      const { ours, theirs } = await both(['command', 'list', 'filterby', kind!, value!], 2);
      const o = items(ours.value).map(str).filter(compared).sort();
      const t = items(theirs.value).map(str).filter((n) => ourAll.has(n)).sort();
      expect(o, `${kind} ${value}`).toEqual(t);
    }
  });

  it('COMMAND LIST, COUNT, INFO and DOCS errors and edge cases, byte for byte', async () => {
    const cases = [
      ['command', 'list', 'filterby'], ['command', 'list', 'filterby', 'foo', 'x'], ['command', 'list', 'foo'],
      ['command', 'list', 'filterby', 'aclcat', 'a', 'b'], ['command', 'count', 'x'], ['command', 'getkeys'],
      ['command', 'getkeysandflags', 'get'], ['command', 'info', 'nosuch'], ['command', 'docs', 'nosuch'], ['command', 'nosuch'],
      ['command', 'help', 'x'],
    ];
    for (const protocol of [2, 3] as const) {
      for (const args of cases) {
        const { ours, theirs } = await both(args, protocol);
        expect(ours.bytes.toString('latin1'), args.join(' ')).toBe(theirs.bytes.toString('latin1'));
      }
    }
    const { ours, theirs } = await both(['command', 'help'], 2);
    expect(ours.bytes.toString('latin1')).toBe(theirs.bytes.toString('latin1'));
    // COUNT is sealkv's own number of top-level commands (DOCUMENTED.count).
    expect((await both(['command', 'count'], 2)).ours.value).toBe(TOP.length);
  });

  it('ACL key permissions follow each key\'s spec flags as in Redis: ACCESS reads, INSERT/UPDATE/DELETE write', async () => {
    const users = [
      ['w', '%W~w*'],
      ['r', '%R~r*'],
      ['rw', '~x*'],
    ];
    const commands = [
      ['get', 'K'], ['set', 'K', 'v'], ['set', 'K', 'v', 'get'], ['setnx', 'K', 'v'], ['append', 'K', 'v'], ['strlen', 'K'],
      ['incr', 'K'], ['getdel', 'K'], ['exists', 'K'], ['type', 'K'], ['touch', 'K'], ['ttl', 'K'], ['expire', 'K', '100'],
      ['persist', 'K'], ['del', 'K'], ['unlink', 'K'], ['mget', 'K', 'K'], ['mset', 'K', '1'], ['hset', 'K', 'f', 'v'],
      ['hget', 'K', 'f'], ['hlen', 'K'], ['hdel', 'K', 'f'], ['hincrby', 'K', 'f', '1'], ['object', 'encoding', 'K'],
      ['memory', 'usage', 'K'], ['copy', 'K', 'K2'], ['rename', 'K', 'K2'], ['getex', 'K', 'persist'],
    ];
    for (const who of ['sealkv', 'redis'] as const) {
      for (const [name, keys] of users) await conns[who][2].call(['acl', 'setuser', name!, 'reset', 'on', 'nopass', '+@all', keys!]);
    }
    let checked = 0;
    for (const [name] of users) {
      const [ours, theirs] = await Promise.all([Conn.open(server.port, 2), Conn.open(redis.port, 2)]);
      try {
        await Promise.all([ours.call(['auth', name!, 'x']), theirs.call(['auth', name!, 'x'])]);
        for (const cmd of commands) {
          for (const prefix of ['w', 'r', 'x']) {
            const args = cmd.map((a) => a.replace(/^K/, `${prefix}K`));
            const [o, t] = await Promise.all([ours.call(args), theirs.call(args)]);
            // Whether it was refused, and with which error, must agree; a command that ran may
            // answer differently as the data diverge (sealkv's MEMORY USAGE sizes, for one).
            const refused = (b: Buffer) => b.toString('latin1').startsWith('-NOPERM') ? b.toString('latin1') : 'ran';
            expect(refused(o.bytes), `${name}: ${args.join(' ')}`).toBe(refused(t.bytes));
            checked++;
          }
        }
      } finally {
        ours.close();
        theirs.close();
      }
    }
    for (const who of ['sealkv', 'redis'] as const) {
      await conns[who][2].call(['acl', 'deluser', ...users.map((u) => u[0]!)]);
      await conns[who][2].call(['flushall']);
    }
    expect(checked).toBe(users.length * commands.length * 3);
  });

  it('the hand-built specs of future commands (EVAL, ZUNIONSTORE, XREAD, SORT, MIGRATE...) are Redis\'s, and find the keys Redis finds', async () => {
    const mapOf = (v: Value): Record<string, Value> => {
      const a = items(v);
      const o: Record<string, Value> = {};
      for (let i = 0; i < a.length; i += 2) o[str(a[i]!)] = a[i + 1]!;
      return o;
    };
    const asRedis = (ks: KeySpec) => {
      const begin = ks.begin.type === 'index' ? { index: ks.begin.index } : ks.begin.type === 'keyword' ? { keyword: ks.begin.keyword, startfrom: ks.begin.startFrom } : {};
      const f = ks.find;
      const find = f.type === 'range' ? { lastkey: f.lastKey, keystep: f.step, limit: f.limit } : f.type === 'keynum' ? { keynumidx: f.keynumIdx, firstkey: f.firstKey, keystep: f.step } : {};
      const flags = KEY_FLAG_NAMES.filter(([bit]) => (ks.flags & bit) !== 0).map(([, n]) => n);
      return { notes: ks.notes, flags, begin: { type: ks.begin.type, spec: begin }, find: { type: f.type, spec: find } };
    };
    const fromRedis = (v: Value) => {
      const m = mapOf(v);
      const b = mapOf(m.begin_search!);
      const f = mapOf(m.find_keys!);
      return { notes: m.notes ?? undefined, flags: items(m.flags!).map(str), begin: { type: b.type, spec: mapOf(b.spec!) }, find: { type: f.type, spec: mapOf(f.spec!) } };
    };
    const names = Object.keys(FUTURE);
    const { theirs } = await both(['command', 'info', ...names], 2);
    items(theirs.value).forEach((entry, i) => {
      const specs = items((entry as { arr: Value[] }).arr[8]!);
      expect(specs.map(fromRedis), names[i]).toEqual(FUTURE[names[i]!]!.keySpecs.map(asRedis));
    });
    let compared = 0;
    for (const [line] of CASES) {
      const args = line.split(' ');
      const mine = keysFromSpecs(FUTURE[args[0]!]!.keySpecs, args.map((a) => Buffer.from(a)));
      // Where the specs cannot say, Redis asks the command's own key finder: nothing to compare.
      if (mine === null) continue;
      const { theirs: t } = await both(['command', 'getkeysandflags', ...args], 2);
      const expected = mine.map((k) => ({ arr: [args[k.pos]!, { arr: KEY_FLAG_NAMES.filter(([bit]) => (k.flags & bit) !== 0).map(([, n]) => n) }] }));
      expect(mine.length === 0 ? { err: 'ERR Invalid arguments specified for command' } : { arr: expected }, line).toEqual(t.value);
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });
});
