// Connection commands against the real server over real sockets: PING ECHO SELECT SWAPDB QUIT
// RESET AUTH HELLO CLIENT. Every error text was checked against redis-server 7.0.
// (Errors.helloNoAuth, Errors.invalidFirstDb... are asserted by their exact text below.)

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, nodeRedis, rawExchange, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { createClient } from 'redis';
import { FAMILIES } from '../../src/commands/index.js';
import { Errors } from '../../src/protocol/errors.js';
import { Registry } from '../../src/commands/registry.js';
import { REDIS_COMPAT_VERSION } from '../../src/version.js';
import { withServer } from '../helpers/fixture.js';

const hasMulti = new Registry(FAMILIES).get('multi') !== undefined;

const cmds = (...list: string[][]) => Buffer.concat(list.map((c) => encodeCommand(c)));
const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** The exact bytes Redis sends for HELLO (its map of server facts). */
function helloReply(proto: 2 | 3, id: number): string {
  const pairs = ['server', 'redis', 'version', REDIS_COMPAT_VERSION].map(bulk).join('');
  return (
    (proto === 3 ? '%7\r\n' : '*14\r\n') + pairs + bulk('proto') + `:${proto}\r\n` + bulk('id') + `:${id}\r\n` +
    bulk('mode') + bulk('standalone') + bulk('role') + bulk('master') + bulk('modules') + '*0\r\n'
  );
}

/** A raw socket's CLIENT ID comes first in the reply bytes; pulls it out. */
function firstInteger(data: Buffer): number {
  return Number(/^:(\d+)\r\n/.exec(data.toString())![1]);
}

describe('connection commands', () => {
  const { server, client, run } = withServer({}, undefined, { wipe: false });

  it('matches command names in any spelling, and only the names that exist', async () => {
    // Short names are looked up by their bytes; every spelling must reach the same command.
    for (const [set, get] of [['SET', 'get'], ['sEt', 'GeT'], ['set', 'GET']]) {
      expect(await run([set!, 'spelled', set!])).toBe('OK');
      expect(await run([get!, 'spelled'])).toBe(set);
    }
    expect(await run(['HSET', 'spelled-h', 'f', 'v'])).toBe(1);
    expect(await run(['hGeT', 'spelled-h', 'f'])).toBe('v');
    expect(await run(['EXISTS', 'spelled'])).toBe(1);
    for (const unknown of ['GE', 'GETT', 'HGEU', 'g\u0000t']) {
      // Redis quotes the name with %.128s: a NUL ends it (checked against redis-server 7.0).
      const shown = unknown.split('\u0000')[0];
      expect(await run([unknown, 'x'])).toEqual({ error: `ERR unknown command '${shown}', with args beginning with: 'x' ` });
    }
    // Bytes above 0x7f make the packed lookup key negative.
    expect(await run(['éé', 'x'])).toMatchObject({ error: expect.stringMatching(/^ERR unknown command '/) });
  });

  it('PING answers PONG or echoes its argument, and refuses more', async () => {
    expect(await run(['ping'])).toBe('PONG');
    expect(await run(['ping', 'hello there'])).toBe('hello there');
    expect(await run(['ping', 'a', 'b'])).toEqual({ error: "ERR wrong number of arguments for 'ping' command" });
  });

  it('ECHO returns its argument byte for byte', async () => {
    const bytes = Buffer.from([0, 255, 13, 10, 65]);
    expect(await client.echoBuffer(bytes)).toEqual(bytes);
    expect(await run(['echo'])).toEqual({ error: "ERR wrong number of arguments for 'echo' command" });
    expect(await run(['echo', 'a', 'b'])).toEqual({ error: "ERR wrong number of arguments for 'echo' command" });
  });

  it('SELECT keeps databases apart and checks the index', async () => {
    const c = ioredis(server.port);
    const r = runner(c);
    try {
      expect(await r(['set', 'sel:k', 'zero'])).toBe('OK');
      expect(await r(['select', '1'])).toBe('OK');
      expect(await r(['get', 'sel:k'])).toBeNull();
      expect(await r(['set', 'sel:k', 'one'])).toBe('OK');
      expect(await r(['select', '15'])).toBe('OK');
      expect(await r(['get', 'sel:k'])).toBeNull();
      expect(await r(['select', '0'])).toBe('OK');
      expect(await r(['get', 'sel:k'])).toBe('zero');
      expect(await r(['select', '16'])).toEqual({ error: 'ERR DB index is out of range' });
      expect(await r(['select', '-1'])).toEqual({ error: 'ERR DB index is out of range' });
      expect(await r(['select', 'abc'])).toEqual({ error: 'ERR value is not an integer or out of range' });
      expect(await r(['select', '1', '2'])).toEqual({ error: "ERR wrong number of arguments for 'select' command" });
    } finally {
      c.disconnect();
    }
  });

  it('SWAPDB swaps the data under every connected client, values still open after the swap', async () => {
    const a = ioredis(server.port, { db: 3 });
    const b = ioredis(server.port, { db: 4 });
    const ra = runner(a);
    const rb = runner(b);
    try {
      expect(await ra(['set', 'swap:x', 'value in three'])).toBe('OK');
      expect(await rb(['set', 'swap:y', 'value in four'])).toBe('OK');
      expect(await ra(['swapdb', '3', '4'])).toBe('OK');
      expect(await ra(['get', 'swap:y'])).toBe('value in four');
      expect(await ra(['get', 'swap:x'])).toBeNull();
      expect(await rb(['get', 'swap:x'])).toBe('value in three');
      expect(await ra(['swapdb', '4', '3'])).toBe('OK');
      expect(await ra(['get', 'swap:x'])).toBe('value in three');
      expect(await ra(['swapdb', '3', '3'])).toBe('OK');
      expect(await ra(['get', 'swap:x'])).toBe('value in three');
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it.runIf(hasMulti)('SWAPDB fails the transaction of a client watching a key in either database', async () => {
    const watcher = ioredis(server.port, { db: 8 });
    try {
      await watcher.set('swap:w', 'before');
      expect(await watcher.watch('swap:w')).toBe('OK');
      expect(await run(['swapdb', '8', '9'])).toBe('OK');
      expect(await watcher.multi().set('swap:w', 'after').exec()).toBeNull();
      expect(await run(['swapdb', '8', '9'])).toBe('OK');
      expect(await watcher.get('swap:w')).toBe('before');
    } finally {
      watcher.disconnect();
    }
  });

  it('SWAPDB errors read as Redis', async () => {
    expect(await run(['swapdb', 'a', '0'])).toEqual({ error: 'ERR invalid first DB index' });
    expect(await run(['swapdb', '0', 'a'])).toEqual({ error: 'ERR invalid second DB index' });
    expect(await run(['swapdb', '20', 'a'])).toEqual({ error: 'ERR invalid second DB index' });
    expect(await run(['swapdb', '0', '16'])).toEqual({ error: 'ERR DB index is out of range' });
    expect(await run(['swapdb', '-1', '0'])).toEqual({ error: 'ERR DB index is out of range' });
    expect(await run(['swapdb', '0'])).toEqual({ error: "ERR wrong number of arguments for 'swapdb' command" });
  });

  it('QUIT answers +OK and closes the connection', async () => {
    const { data, closed } = await rawExchange(server.port, cmds(['quit'], ['ping']));
    expect(data.toString()).toBe('+OK\r\n');
    expect(closed).toBe(true);
  });

  it('RESET returns the connection to db 0, RESP2, no name', async () => {
    const { data } = await rawExchange(
      server.port,
      cmds(['hello', '3'], ['select', '2'], ['client', 'setname', 'resetme'], ['client', 'no-evict', 'on'], ['reset'], ['client', 'getname'], ['client', 'info']),
    );
    const text = data.toString();
    expect(text).toContain('+OK\r\n+OK\r\n+OK\r\n+RESET\r\n$-1\r\n');
    expect(text).toMatch(/\+RESET\r\n\$-1\r\n\$\d+\r\nid=\d+ [^\n]* name= [^\n]* flags=N db=0 [^\n]* resp=2 [^\n]*\n\r\n$/);
  });

  // MULTI belongs to the transactions family; these run once it is in the command table.
  it.runIf(hasMulti)('RESET discards a transaction in progress', async () => {
    const { data } = await rawExchange(server.port, cmds(['multi'], ['ping'], ['reset'], ['exec']));
    expect(data.toString()).toBe('+OK\r\n+QUEUED\r\n+RESET\r\n-ERR EXEC without MULTI\r\n');
  });

  it('AUTH without requirepass: Redis texts for one argument, a wrong user, extra arguments', async () => {
    expect(await run(['auth', 'x'])).toEqual({
      error: 'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    });
    expect(await run(['auth', 'default', 'anything'])).toBe('OK');
    expect(await run(['auth', 'bob', 'anything'])).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await run(['auth', 'a', 'b', 'c'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['auth'])).toEqual({ error: "ERR wrong number of arguments for 'auth' command" });
  });

  it('HELLO answers Redis\'s map in RESP2 and RESP3 and switches protocol', async () => {
    const { data } = await rawExchange(server.port, cmds(['client', 'id'], ['hello', '3'], ['hello'], ['get', 'hello:none'], ['hello', '2'], ['get', 'hello:none']));
    const id = firstInteger(data);
    expect(data.toString()).toBe(`:${id}\r\n` + helloReply(3, id) + helloReply(3, id) + '_\r\n' + helloReply(2, id) + '$-1\r\n');
  });

  it('HELLO errors read as Redis', async () => {
    expect(await run(['hello', '4'])).toEqual({ error: 'NOPROTO unsupported protocol version' });
    expect(await run(['hello', '1'])).toEqual({ error: 'NOPROTO unsupported protocol version' });
    expect(await run(['hello', 'abc'])).toEqual({ error: 'ERR Protocol version is not an integer or out of range' });
    expect(await run(['hello', '2', 'foo'])).toEqual({ error: "ERR Syntax error in HELLO option 'foo'" });
    expect(await run(['hello', '2', 'auth', 'default'])).toEqual({ error: "ERR Syntax error in HELLO option 'auth'" });
    expect(await run(['hello', '2', 'setname'])).toEqual({ error: "ERR Syntax error in HELLO option 'setname'" });
    expect(await run(['hello', '2', 'setname', 'a b'])).toEqual({
      error: 'ERR Client names cannot contain spaces, newlines or special characters.',
    });
    expect(await run(['hello', '2', 'auth', 'bob', 'pw'])).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
  });

  it('HELLO SETNAME names the connection', async () => {
    const c = ioredis(server.port);
    try {
      const reply = (await c.call('hello', '2', 'setname', 'greeter')) as unknown[];
      expect(reply.slice(0, 6)).toEqual(['server', 'redis', 'version', REDIS_COMPAT_VERSION, 'proto', 2]);
      expect(await c.call('client', 'getname')).toBe('greeter');
    } finally {
      c.disconnect();
    }
  });

  it('node-redis connects with its defaults and works', async () => {
    const c = await nodeRedis(server.port);
    try {
      expect(await c.ping()).toBe('PONG');
      expect(await c.set('nr:k', 'v')).toBe('OK');
      expect(await c.get('nr:k')).toBe('v');
      const info = await c.sendCommand(['CLIENT', 'INFO']);
      expect(String(info)).toMatch(/^id=\d+ /);
    } finally {
      await c.quit();
    }
  });
});

describe('CLIENT', () => {
  const { server, client, run } = withServer({}, undefined, { wipe: false });
  beforeAll(async () => {
    await client.ping();
  });

  it('ID, SETNAME and GETNAME', async () => {
    const id = (await run(['client', 'id'])) as number;
    expect(id).toBeGreaterThan(0);
    expect(await run(['client', 'id'])).toBe(id);
    expect(await run(['client', 'getname'])).toBeNull();
    expect(await run(['client', 'setname', 'worker-1'])).toBe('OK');
    expect(await run(['client', 'getname'])).toBe('worker-1');
    expect(await run(['client', 'setname', 'a b'])).toEqual({ error: 'ERR Client names cannot contain spaces, newlines or special characters.' });
    expect(await run(['client', 'setname', 'tab\there'])).toEqual({ error: 'ERR Client names cannot contain spaces, newlines or special characters.' });
    expect(await run(['client', 'getname'])).toBe('worker-1');
    expect(await run(['client', 'setname', ''])).toBe('OK');
    expect(await run(['client', 'getname'])).toBeNull();
    expect(await run(['client', 'setname'])).toEqual({ error: "ERR wrong number of arguments for 'client|setname' command" });
  });

  it('INFO and LIST print Redis\'s line format', async () => {
    await run(['client', 'setname', 'lister']);
    const info = (await run(['client', 'info'])) as string;
    const id = await run(['client', 'id']);
    expect(info).toMatch(
      new RegExp(
        `^id=${id} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${server.port} fd=-?\\d+ name=lister age=\\d+ idle=\\d+ flags=N db=0 ` +
          // qbuf: the request being run is still in the query buffer, as in Redis (26 bytes for CLIENT INFO).
          'sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=\\d+ argv-mem=\\d+ multi-mem=\\d+ rbs=\\d+ rbp=\\d+ obl=\\d+ oll=\\d+ omem=\\d+ ' +
          'tot-mem=\\d+ events=r cmd=client\\|info user=default redir=-1 resp=3 lib-name=ioredis lib-ver=\\S+\\n$',
      ),
    );
    const other = ioredis(server.port, { connectionName: 'second' });
    try {
      await other.ping();
      const list = (await run(['client', 'list'])) as string;
      const lines = list.split('\n').filter(Boolean);
      expect(lines.length).toBe(2);
      expect(lines.some((l) => l.includes(' name=second ') && l.includes(' cmd=ping '))).toBe(true);
      expect(lines.some((l) => l.startsWith(`id=${id} `) && l.includes(' cmd=client|list '))).toBe(true);
      // argv-mem, qbuf (and so tot-mem) count the listing command's own request; rbp its replies so far.
      const steady = (text: string) => text.replace(/ (argv-mem|qbuf|tot-mem|rbp)=\d+/g, '');
      expect(steady((await run(['client', 'list', 'type', 'normal'])) as string)).toBe(steady(list));
      expect(await run(['client', 'list', 'type', 'pubsub'])).toBe('');
      expect(await run(['client', 'list', 'id', String(id)])).toMatch(new RegExp(`^id=${id} [^\\n]*\\n$`));
      expect(await run(['client', 'list', 'id', '999999'])).toBe('');
    } finally {
      other.disconnect();
    }
  });

  it('LIST errors read as Redis', async () => {
    expect(await run(['client', 'list', 'type', 'bogus'])).toEqual({ error: "ERR Unknown client type 'bogus'" });
    expect(await run(['client', 'list', 'id', '1', 'abc'])).toEqual({ error: 'ERR Invalid client ID' });
    expect(await run(['client', 'list', 'id'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['client', 'list', 'foo'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['client', 'list', 'type', 'normal', 'id', '1'])).toEqual({ error: 'ERR syntax error' });
  });

  it.runIf(hasMulti)('LIST shows a client inside MULTI as flags=x with its queued count, as Redis', async () => {
    const socket = connect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const line = async () => {
      const list = (await run(['client', 'list'])) as string;
      return list.split('\n').find((l) => l.includes(' name=in-multi '));
    };
    try {
      socket.write(cmds(['client', 'setname', 'in-multi'], ['multi'], ['ping']));
      await expect.poll(() => Buffer.concat(received).toString()).toBe('+OK\r\n+OK\r\n+QUEUED\r\n');
      expect(await line()).toMatch(/ flags=x db=0 sub=0 psub=0 ssub=0 multi=1 .* cmd=ping /);
      socket.write(cmds(['discard']));
      await expect.poll(() => Buffer.concat(received).toString()).toBe('+OK\r\n+OK\r\n+QUEUED\r\n+OK\r\n');
      expect(await line()).toMatch(/ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 .* cmd=discard /);
    } finally {
      socket.destroy();
    }
  });

  it('KILL by address (old form) closes another connection and answers +OK', async () => {
    const victim = ioredis(server.port, { connectionName: 'victim-old', retryStrategy: () => null });
    await victim.ping();
    const closed = new Promise<void>((resolve) => victim.once('end', () => resolve()));
    const list = (await run(['client', 'list'])) as string;
    const addr = /addr=(\S+) .*name=victim-old /.exec(list)![1]!;
    expect(await run(['client', 'kill', addr])).toBe('OK');
    await closed;
    expect(await run(['client', 'kill', addr])).toEqual({ error: 'ERR No such client' });
    expect(await run(['client', 'kill', '1.2.3.4:5'])).toEqual({ error: 'ERR No such client' });
  });

  it('KILL with filters answers how many connections it closed', async () => {
    const victim = ioredis(server.port, { retryStrategy: () => null });
    const victimId = (await victim.call('client', 'id')) as number;
    const closed = new Promise<void>((resolve) => victim.once('end', () => resolve()));
    expect(await run(['client', 'kill', 'id', '999999'])).toBe(0);
    expect(await run(['client', 'kill', 'laddr', '1.2.3.4:5'])).toBe(0);
    expect(await run(['client', 'kill', 'id', String(victimId), 'user', 'default'])).toBe(1);
    await closed;
    // SKIPME defaults to yes: a filter matching only this connection closes nothing.
    const ownId = String(await run(['client', 'id']));
    expect(await run(['client', 'kill', 'id', ownId])).toBe(0);
    expect(await run(['ping'])).toBe('PONG');
  });

  it('KILL SKIPME no can close the calling connection, after its reply', async () => {
    const socket = connect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (d: Buffer) => received.push(d));
    socket.write(encodeCommand(['client', 'id']));
    await expect.poll(() => received.length).toBeGreaterThan(0);
    const id = firstInteger(Buffer.concat(received));
    socket.write(encodeCommand(['client', 'kill', 'id', String(id), 'skipme', 'no']));
    await closed;
    expect(Buffer.concat(received).toString()).toBe(`:${id}\r\n:1\r\n`);
  });

  it('KILL errors read as Redis', async () => {
    expect(await run(['client', 'kill', 'id', 'abc'])).toEqual({ error: 'ERR client-id should be greater than 0' });
    expect(await run(['client', 'kill', 'id', '0'])).toEqual({ error: 'ERR client-id should be greater than 0' });
    expect(await run(['client', 'kill', 'type', 'bogus'])).toEqual({ error: "ERR Unknown client type 'bogus'" });
    expect(await run(['client', 'kill', 'user', 'nobody'])).toEqual({ error: "ERR No such user 'nobody'" });
    expect(await run(['client', 'kill', 'skipme', 'maybe'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['client', 'kill', 'foo', 'bar'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['client', 'kill', 'id', '1', 'skipme'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['client', 'kill'])).toEqual({ error: "ERR wrong number of arguments for 'client|kill' command" });
  });

  it('SETINFO records the library name and version shown by CLIENT INFO', async () => {
    expect(await run(['client', 'setinfo', 'lib-name', 'mylib'])).toBe('OK');
    expect(await run(['client', 'setinfo', 'LIB-VER', '1.2.3'])).toBe('OK');
    expect(await run(['client', 'info'])).toMatch(/ lib-name=mylib lib-ver=1\.2\.3\n$/);
    expect(await run(['client', 'setinfo', 'lib-name', 'has space'])).toEqual({
      error: 'ERR lib-name cannot contain spaces, newlines or special characters.',
    });
    expect(await run(['client', 'setinfo', 'LIB-VER', 'a\nb'])).toEqual({ error: Errors.setinfoBadValue('LIB-VER') });
    expect(await run(['client', 'setinfo', 'colour', 'blue'])).toEqual({ error: "ERR Unrecognized option 'colour'" });
    expect(await run(['client', 'setinfo', 'lib-name'])).toEqual({ error: "ERR wrong number of arguments for 'client|setinfo' command" });
  });

  it('NO-EVICT toggles the e flag', async () => {
    expect(await run(['client', 'no-evict', 'on'])).toBe('OK');
    expect(await run(['client', 'info'])).toContain(' flags=e ');
    expect(await run(['client', 'no-evict', 'off'])).toBe('OK');
    expect(await run(['client', 'info'])).toContain(' flags=N ');
    expect(await run(['client', 'no-evict', 'maybe'])).toEqual({ error: 'ERR syntax error' });
  });

  it('HELP lists the subcommands; unknown subcommands point to it', async () => {
    const help = (await run(['client', 'help'])) as string[];
    expect(help[0]).toBe('CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    expect(help).toContain('SETINFO <option> <value>');
    expect(await run(['client', 'bogus'])).toEqual({ error: "ERR unknown subcommand 'bogus'. Try CLIENT HELP." });
    expect(await run(['client'])).toEqual({ error: "ERR wrong number of arguments for 'client' command" });
  });
});

describe('with requirepass', () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcess({ requirepass: 'secret' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses commands before AUTH, rejects a wrong password, accepts the right one', async () => {
    const { data } = await rawExchange(
      server.port,
      cmds(['ping'], ['hello', '3'], ['auth', 'wrong'], ['auth', 'bob', 'secret'], ['auth', 'default', 'wrong'], ['auth', 'secret'], ['ping'], ['reset'], ['get', 'k'], ['auth', 'default', 'secret'], ['ping']),
    );
    expect(data.toString()).toBe(
      '-NOAUTH Authentication required.\r\n' +
        '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n' +
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n'.repeat(3) +
        '+OK\r\n+PONG\r\n+RESET\r\n-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n',
    );
  });

  it('HELLO 3 AUTH default secret authenticates and switches to RESP3 in one step', async () => {
    const { data } = await rawExchange(server.port, cmds(['hello', '3', 'auth', 'default', 'wrong'], ['hello', '3', 'auth', 'default', 'secret', 'setname', 'h3'], ['client', 'getname'], ['get', 'missing']));
    const text = data.toString();
    expect(text.startsWith('-WRONGPASS invalid username-password pair or user is disabled.\r\n%7\r\n')).toBe(true);
    expect(text).toContain(bulk('proto') + ':3\r\n');
    expect(text.endsWith(bulk('h3') + '_\r\n')).toBe(true);
  });

  it('ioredis and node-redis connect with a password', async () => {
    const c = ioredis(server.port, { password: 'secret' });
    try {
      expect(await c.set('pw:k', 'v')).toBe('OK');
      expect(await c.get('pw:k')).toBe('v');
    } finally {
      c.disconnect();
    }
    const bad = ioredis(server.port, { password: 'nope', retryStrategy: () => null });
    const failure = new Promise<string>((resolve) => bad.once('error', (err: Error) => resolve(err.message)));
    expect(await failure).toContain('WRONGPASS invalid username-password pair or user is disabled.');
    bad.disconnect();
    const nr = createClient({ socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false }, password: 'secret' });
    nr.on('error', () => {});
    await nr.connect();
    try {
      expect(await nr.get('pw:k')).toBe('v');
    } finally {
      await nr.quit();
    }
  });
});
