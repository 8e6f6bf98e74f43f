// COMMAND and its subcommands against the real server: every answer comes from the same tables
// the dispatcher runs, in Redis 7's reply shapes (checked against redis-server 7.0).

import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, rawExchange, redisCli, redisCliMissing, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

const cmds = (...list: string[][]) => Buffer.concat(list.map((c) => encodeCommand(c)));

type Info = [string, number, string[], number, number, number, string[], unknown[], unknown[], Info[]];

/** A single-key index/range key spec as RESP2 shows it. */
const keySpec = (flags: string[], index: number) => [
  'flags', flags, 'begin_search', ['type', 'index', 'spec', ['index', index]],
  'find_keys', ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]],
];

describe('COMMAND', () => {
  let server: InProcessServer;
  let client: Redis;
  let run: ReturnType<typeof runner>;
  beforeAll(async () => {
    server = await startInProcess();
    // RESP2 so replies arrive as plain arrays, the shape most clients read.
    client = ioredis(server.port, { protocol: 2 });
    run = runner(client);
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it('COUNT is the number of top-level commands; plain COMMAND describes each of them', async () => {
    const count = (await run(['command', 'count'])) as number;
    expect(count).toBe(server.running.state.commands.size);
    expect(count).toBeGreaterThan(20);
    const all = (await run(['command'])) as Info[];
    expect(all.length).toBe(count);
    expect(new Set(all.map((c) => c[0])).size).toBe(count);
    for (const info of all) expect(info.length).toBe(10);
    expect(await run(['command', 'count', 'x'])).toEqual({ error: "ERR wrong number of arguments for 'command|count' command" });
  });

  it('INFO gives Redis 7\'s 10-element entry with tips and key specs, null for unknown names', async () => {
    const [ping, get, nosuch, configGet] = (await run(['command', 'info', 'PING', 'get', 'nosuch', 'config|get'])) as (Info | null)[];
    expect(ping).toEqual(['ping', -1, ['fast'], 0, 0, 0, ['@fast', '@connection'], ['request_policy:all_shards', 'response_policy:all_succeeded'], [], []]);
    expect(get).toEqual(['get', 2, ['readonly', 'fast'], 1, 1, 1, ['@read', '@string', '@fast'], [], [keySpec(['RO', 'access'], 1)], []]);
    expect(nosuch).toBeNull();
    expect(configGet).toEqual(['config|get', -3, ['admin', 'noscript', 'loading', 'stale'], 0, 0, 0, ['@admin', '@slow', '@dangerous'], [], [], []]);
  });

  it('INFO of a container lists its subcommands; MEMORY USAGE carries its key position', async () => {
    const [config] = (await run(['command', 'info', 'config'])) as Info[];
    expect(config!.slice(0, 9)).toEqual(['config', -2, [], 0, 0, 0, ['@slow'], [], []]);
    expect(config![9].map((s) => s[0]).sort()).toEqual(['config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set']);
    const [memory] = (await run(['command', 'info', 'memory'])) as Info[];
    expect(memory![9].find((s) => s[0] === 'memory|usage')).toEqual(['memory|usage', -3, ['readonly'], 2, 2, 1, ['@read', '@slow'], [], [keySpec(['RO'], 2)], []]);
  });

  it('INFO uses RESP3 sets and maps after HELLO 3, null for unknown names (bytes of redis-server 7.0.15)', async () => {
    const { data } = await rawExchange(server.port, cmds(['hello', '3'], ['command', 'info', 'ping', 'nosuch', 'get']));
    const text = data.toString();
    const ping =
      '*10\r\n$4\r\nping\r\n:-1\r\n~1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n~2\r\n+@fast\r\n+@connection\r\n' +
      '~2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n~0\r\n~0\r\n';
    const get =
      '*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n' +
      '~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n' +
      '$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n' +
      '%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n';
    expect(text.endsWith(`*3\r\n${ping}_\r\n${get}`)).toBe(true);
  });

  it('DOCS maps names to summary, since, group, complexity and subcommands; unknown names are left out', async () => {
    expect(await run(['command', 'docs', 'ping', 'nosuch'])).toEqual([
      'ping',
      ['summary', 'Ping the server', 'since', '1.0.0', 'group', 'connection', 'complexity', 'O(1)'],
    ]);
    expect(await run(['command', 'docs', 'nosuch'])).toEqual([]);
    const [name, docs] = (await run(['command', 'docs', 'config'])) as [string, unknown[]];
    expect(name).toBe('config');
    expect(docs.slice(0, 8)).toEqual(['summary', 'A container for server configuration commands', 'since', '2.0.0', 'group', 'server', 'complexity', 'Depends on subcommand.']);
    expect(docs[8]).toBe('subcommands');
    const subs = docs[9] as unknown[];
    const at = subs.indexOf('config|get');
    expect(subs[at + 1]).toEqual([
      'summary', 'Get the values of configuration parameters', 'since', '2.0.0', 'group', 'server',
      'complexity', 'O(N) when N is the number of configuration parameters provided',
    ]);
    const all = (await run(['command', 'docs'])) as unknown[];
    expect(all.length).toBe(2 * server.running.state.commands.size);
  });

  it('DOCS is a RESP3 map after HELLO 3', async () => {
    const { data } = await rawExchange(server.port, cmds(['hello', '3'], ['command', 'docs', 'echo']));
    const expected =
      '%1\r\n$4\r\necho\r\n%4\r\n$7\r\nsummary\r\n$21\r\nEcho the given string\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n' +
      '$5\r\ngroup\r\n$10\r\nconnection\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n';
    expect(data.toString().endsWith(expected)).toBe(true);
  });

  it('LIST names every command and subcommand, filtered by ACL category, pattern or module', async () => {
    const all = (await run(['command', 'list'])) as string[];
    for (const n of ['command', 'command|docs', 'config', 'config|get', 'client|kill', 'ping', 'get', 'info']) expect(all).toContain(n);
    const connection = (await run(['command', 'list', 'filterby', 'aclcat', 'CONNECTION'])) as string[];
    expect(connection).toContain('ping');
    expect(connection).toContain('client|id');
    expect(connection).toContain('command');
    expect(connection).not.toContain('get');
    expect(connection).not.toContain('client');
    expect(((await run(['command', 'list', 'filterby', 'pattern', 'conf*'])) as string[]).sort()).toEqual([
      'config', 'config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set',
    ]);
    expect(await run(['command', 'list', 'filterby', 'module', 'x'])).toEqual([]);
    expect(await run(['command', 'list', 'filterby', 'aclcat', 'nosuch'])).toEqual([]);
  });

  it('LIST errors read as Redis', async () => {
    expect(await run(['command', 'list', 'filterby', 'foo', 'x'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['command', 'list', 'filterby', 'aclcat'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['command', 'list', 'foo'])).toEqual({ error: 'ERR syntax error' });
    // Long arguments are refused or match nothing without being turned into strings.
    const long = 'x'.repeat(200_000);
    expect(await run(['command', 'list', long, 'aclcat', 'read'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['command', 'list', 'filterby', 'aclcat', long])).toEqual([]);
    expect(await run(['command', 'list', 'filterby', 'pattern', long])).toEqual([]);
    expect(await run(['command', 'info', long])).toEqual([null]);
  });

  it('GETKEYS finds the keys of a full command from its key positions', async () => {
    expect(await run(['command', 'getkeys', 'set', 'a', 'b'])).toEqual(['a']);
    expect(await run(['command', 'getkeys', 'GET', 'k'])).toEqual(['k']);
    expect(await run(['command', 'getkeys', 'memory', 'usage', 'k'])).toEqual(['k']);
    expect(await run(['command', 'getkeys', 'mset', 'a', '1', 'b', '2'])).toEqual(['a', 'b']);
    expect(await run(['command', 'getkeys', 'rename', 'a', 'b'])).toEqual(['a', 'b']);
  });

  it('GETKEYSANDFLAGS gives each key with its key spec flags; SET\'s depend on GET (as redis-server 7.0)', async () => {
    expect(await run(['command', 'getkeysandflags', 'set', 'a', 'b'])).toEqual([['a', ['OW', 'update']]]);
    expect(await run(['command', 'getkeysandflags', 'set', 'a', 'b', 'ex', '1', 'GeT'])).toEqual([['a', ['RW', 'access', 'update']]]);
    expect(await run(['command', 'getkeysandflags', 'rename', 'a', 'b'])).toEqual([['a', ['RW', 'access', 'delete']], ['b', ['OW', 'update']]]);
    // sealkv's own NO_VALUE flag stays inside.
    expect(await run(['command', 'getkeysandflags', 'del', 'a', 'b'])).toEqual([['a', ['RM', 'delete']], ['b', ['RM', 'delete']]]);
    const { data } = await rawExchange(server.port, cmds(['hello', '3'], ['command', 'getkeysandflags', 'copy', 'a', 'b']));
    expect(data.toString().endsWith('*2\r\n*2\r\n$1\r\na\r\n~2\r\n+RO\r\n+access\r\n*2\r\n$1\r\nb\r\n~2\r\n+OW\r\n+update\r\n')).toBe(true);
  });

  it('GETKEYS errors read as Redis', async () => {
    expect(await run(['command', 'getkeys', 'nosuch', 'a'])).toEqual({ error: 'ERR Invalid command specified' });
    expect(await run(['command', 'getkeys', 'config', 'foo', 'x'])).toEqual({ error: 'ERR Invalid command specified' });
    expect(await run(['command', 'getkeys', 'get', 'a', 'b'])).toEqual({ error: 'ERR Invalid number of arguments specified for command' });
    expect(await run(['command', 'getkeys', 'ping', 'a'])).toEqual({ error: 'ERR The command has no key arguments' });
    expect(await run(['command', 'getkeys', 'config', 'get', 'x'])).toEqual({ error: 'ERR The command has no key arguments' });
    expect(await run(['command', 'getkeys', 'get'])).toEqual({ error: "ERR wrong number of arguments for 'command|getkeys' command" });
    // A command without keys says so before its arity is looked at (redis getKeysSubcommandImpl).
    expect(await run(['command', 'getkeys', 'time', 'x'])).toEqual({ error: 'ERR The command has no key arguments' });
    expect(await run(['command', 'getkeysandflags', 'nosuch', 'a'])).toEqual({ error: 'ERR Invalid command specified' });
    expect(await run(['command', 'getkeys', 'x'.repeat(100_000), 'a'])).toEqual({ error: 'ERR Invalid command specified' });
  });

  it('HELP lists the subcommands; unknown ones point to it', async () => {
    const help = (await run(['command', 'help'])) as string[];
    expect(help[0]).toBe('COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('GETKEYS <full-command>');
    expect(help).toContain('GETKEYSANDFLAGS <full-command>');
    expect(await run(['command', 'bogus'])).toEqual({ error: "ERR unknown subcommand 'bogus'. Try COMMAND HELP." });
  });

  describe.skipIf(redisCliMissing)('redis-cli', () => {
    it('reads COMMAND DOCS and COMMAND COUNT', async () => {
      expect(await redisCli(server.port, ['COMMAND', 'COUNT'])).toBe(`${server.running.state.commands.size}\n`);
      expect(await redisCli(server.port, ['COMMAND', 'DOCS', 'ping'])).toBe('ping\nsummary\nPing the server\nsince\n1.0.0\ngroup\nconnection\ncomplexity\nO(1)\n');
    });
  });
});

/** tmux drives redis-cli in a terminal, the only way it starts interactively (and fetches COMMAND DOCS). */
const hasTmux = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v tmux']);
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(redisCliMissing || !hasTmux)('interactive redis-cli', () => {
  it('starts without errors and runs a command', async () => {
    const server = await startInProcess();
    const socket = `sealkv-introspection-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args]).toString();
    const screen = () => tmux('capture-pane', '-p', '-t', 'cli');
    try {
      tmux('new-session', '-d', '-s', 'cli', '-x', '160', '-y', '40', `redis-cli -p ${server.port}`);
      await expect.poll(screen, { timeout: 5000 }).toMatch(/127\.0\.0\.1:\d+>/);
      tmux('send-keys', '-t', 'cli', '-l', 'COMMAND COUNT');
      tmux('send-keys', '-t', 'cli', 'Enter');
      await expect.poll(screen, { timeout: 5000 }).toContain(`(integer) ${server.running.state.commands.size}`);
      expect(screen()).not.toMatch(/ERR|error/i);
    } finally {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
      await server.stop();
    }
  });
});
