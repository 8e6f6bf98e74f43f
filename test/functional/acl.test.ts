// ACL users, rules and permission checks with real clients, against Redis 7's replies.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Errors } from '../../src/protocol/errors.js';
import { ReplyConnection } from '../helpers/reference-redis.js';
import { encodeCommand, ioredis, rawExchange, redisCli, redisCliMissing, runner } from '../helpers/clients.js';
import pino from 'pino';
import { Config } from '../../src/config.js';
import { startServer } from '../../src/net/server.js';
import { freePort, startInProcess } from '../helpers/server.js';
import { withServer } from '../helpers/fixture.js';

const NOPERM_KEY = 'NOPERM this user has no permissions to access one of the keys used as arguments';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

describe('ACL', () => {
  const { server, run } = withServer({}, undefined, { wipe: false });
  const open: Redis[] = [];

  /** A new connection logged in as `user`. */
  async function as(user: string, pass: string): Promise<ReturnType<typeof runner>> {
    const c = ioredis(server.port, { username: user, password: pass });
    open.push(c);
    await c.ping();
    return runner(c);
  }

  beforeEach(async () => {
    await run(['flushall']);
    for (const u of (await run(['acl', 'users'])) as string[]) if (u !== 'default') await run(['acl', 'deluser', u]);
    await run(['acl', 'log', 'reset']);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.disconnect();
  });

  it('describes users the way Redis does', async () => {
    expect(await run(['acl', 'list'])).toEqual(['user default on nopass ~* &* +@all']);
    expect(await run(['acl', 'setuser', 'alice', 'on', '>pw', '~app:*', '%R~ro:*', '+@read', '+set', '-hget'])).toBe('OK');
    const hash = createHash('sha256').update('pw').digest('hex');
    expect(await run(['acl', 'list'])).toEqual([
      `user alice on #${hash} ~app:* %R~ro:* resetchannels -@all +@read +set -hget`,
      'user default on nopass ~* &* +@all',
    ]);
    expect(await run(['acl', 'getuser', 'alice'])).toEqual([
      'flags', ['on'], 'passwords', [hash], 'commands', '-@all +@read +set -hget', 'keys', '~app:* %R~ro:*', 'channels', '', 'selectors', [],
    ]);
    expect(await run(['acl', 'getuser', 'nobody'])).toBeNull();
    expect(await run(['acl', 'setuser', 'x'])).toBe('OK');
    expect(await run(['acl', 'setuser', 'y', 'on', '%RW~a', '%W~b', 'allkeys'])).toBe('OK');
    const list = (await run(['acl', 'list'])) as string[];
    expect(list).toContain('user x off resetchannels -@all');
    expect(list).toContain('user y on ~* resetchannels -@all');
    expect(await run(['acl', 'users'])).toEqual(['alice', 'default', 'x', 'y']);
  });

  it('rejects bad rules with Redis text and leaves the user unchanged', async () => {
    expect(await run(['acl', 'setuser', 'a b'])).toEqual({ error: Errors.aclUsernameSpaces });
    await run(['acl', 'setuser', 'bob', 'on', '>pw', '+get']);
    expect(await run(['acl', 'setuser', 'bob', '+set', '#abc'])).toEqual({
      error: "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
    });
    expect(((await run(['acl', 'getuser', 'bob'])) as unknown[])[5]).toBe('-@all +get');
    expect(await run(['acl', 'setuser', 'bob', 'foo'])).toEqual({ error: "ERR Error in ACL SETUSER modifier 'foo': Syntax error" });
    expect(await run(['acl', 'setuser', 'bob', '+nosuch'])).toEqual({
      error: "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
    });
    expect(await run(['acl', 'setuser', 'bob', '<nope'])).toEqual({
      error: "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist",
    });
    expect(await run(['acl', 'deluser', 'default'])).toEqual({ error: Errors.aclDeleteDefault });
    expect(await run(['acl', 'cat', 'nosuch'])).toEqual({ error: "ERR Unknown category 'nosuch'" });
    expect(await run(['acl', 'genpass', '0'])).toEqual({ error: Errors.aclGenpassBits });
    expect(await run(['acl', 'genpass', 'x'])).toEqual({ error: Errors.notInteger });
    expect(await run(['acl', 'log', '-1'])).toEqual([]);
    expect(await run(['acl', 'load'])).toEqual({ error: Errors.aclNoFile });
  });

  it('authenticates users; wrong passwords and disabled users get WRONGPASS and are logged', async () => {
    await run(['acl', 'setuser', 'carol', 'on', '>secret', '~*', '+@all']);
    await run(['acl', 'setuser', 'dave', 'off', '>secret', '~*', '+@all']);
    const c = ioredis(server.port, { lazyConnect: true });
    open.push(c);
    await c.connect();
    const r = runner(c);
    expect(await r(['auth', 'carol', 'wrong'])).toEqual({ error: WRONGPASS });
    expect(await r(['auth', 'dave', 'secret'])).toEqual({ error: WRONGPASS });
    expect(await r(['auth', 'nobody', 'secret'])).toEqual({ error: WRONGPASS });
    expect(await r(['auth', 'carol', 'secret'])).toBe('OK');
    expect(await r(['acl', 'whoami'])).toBe('carol');
    expect(await r(['hello', '3', 'auth', 'dave', 'secret'])).toEqual({ error: WRONGPASS });
    const hello = (await r(['hello', '2', 'auth', 'default', 'anything'])) as unknown[];
    expect(hello[0]).toBe('server');
    expect(await r(['acl', 'whoami'])).toBe('default');
    // HELLO 3 AUTH logs in and switches to RESP3 in one step (raw, to see the RESP3 map).
    const raw = await rawExchange(server.port, [encodeCommand(['HELLO', '3', 'AUTH', 'carol', 'secret']), encodeCommand(['ACL', 'WHOAMI'])]);
    expect(raw.data.toString()).toMatch(/^%7\r\n\$6\r\nserver\r\n[\s\S]*\$5\r\ncarol\r\n$/);
    const log = (await run(['acl', 'log'])) as unknown[][];
    const auths = log.filter((e) => e[3] === 'auth');
    // One entry per user and command name, as in Redis 7.0 (the object is the name sent).
    expect(auths.map((e) => [e[9], e[7], e[1]])).toEqual([['dave', 'hello', 1], ['nobody', 'auth', 1], ['dave', 'auth', 1], ['carol', 'auth', 1]]);
  });

  it('enforces key patterns for GET, SET, HGET and MGET with Redis NOPERM text', async () => {
    await run(['acl', 'setuser', 'app', 'on', '>pw', '~app:*', '%R~shared:*', '+@all']);
    await run(['set', 'secret', 'x']);
    await run(['set', 'shared:1', 'y']);
    await run(['hset', 'other', 'f', 'v']);
    const r = await as('app', 'pw');
    expect(await r(['set', 'app:1', 'v'])).toBe('OK');
    expect(await r(['get', 'app:1'])).toBe('v');
    expect(await r(['get', 'secret'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['set', 'secret', 'stolen'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['get', 'shared:1'])).toBe('y');
    expect(await r(['set', 'shared:1', 'z'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['hset', 'app:h', 'f', 'v'])).toBe(1);
    expect(await r(['hget', 'app:h', 'f'])).toBe('v');
    expect(await r(['hget', 'other', 'f'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['mget', 'app:1', 'shared:1'])).toEqual(['v', 'y']);
    expect(await r(['mget', 'app:1', 'secret'])).toEqual({ error: NOPERM_KEY });
    expect(await run(['get', 'secret'])).toBe('x');
    const log = (await run(['acl', 'log', '1'])) as unknown[][];
    expect(log[0]!.slice(0, 10)).toEqual(['count', 3, 'reason', 'key', 'context', 'toplevel', 'object', 'secret', 'username', 'app']);
  });

  it('checks read and write separately, as Redis key specs do', async () => {
    await run(['acl', 'setuser', 'w', 'on', 'nopass', '%W~w:*', '+@all']);
    const r = await as('w', 'x');
    expect(await r(['set', 'w:1', '1'])).toBe('OK');
    expect(await r(['append', 'w:1', '1'])).toBe(2);
    expect(await r(['get', 'w:1'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['incr', 'w:1'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['set', 'w:1', '1', 'get'])).toEqual({ error: NOPERM_KEY });
  });

  it('enforces commands and categories, subcommands included', async () => {
    await run(['acl', 'setuser', 'reader', 'on', '>pw', 'allkeys', '+@read', '-hget', '+client|id', '+ping']);
    const r = await as('reader', 'pw');
    expect(await r(['get', 'k'])).toBeNull();
    expect(await r(['set', 'k', 'v'])).toEqual({ error: Errors.noPermCommand('set') });
    expect(await r(['hget', 'h', 'f'])).toEqual({ error: "NOPERM this user has no permissions to run the 'hget' command" });
    expect(typeof (await r(['client', 'id']))).toBe('number');
    expect(await r(['client', 'list'])).toEqual({ error: "NOPERM this user has no permissions to run the 'client|list' command" });
    expect(await r(['config', 'get', 'port'])).toEqual({ error: "NOPERM this user has no permissions to run the 'config|get' command" });
    // A denied command inside MULTI dooms the transaction and is logged with context multi.
    expect(await r(['multi'])).toEqual({ error: Errors.noPermCommand('multi') });
    await run(['acl', 'setuser', 'reader', '+@transaction']);
    expect(await r(['multi'])).toBe('OK');
    expect(await r(['set', 'k', 'v'])).toEqual({ error: Errors.noPermCommand('set') });
    expect(await r(['exec'])).toEqual({ error: 'EXECABORT Transaction discarded because of previous errors.' });
    const log = (await run(['acl', 'log', '1'])) as unknown[][];
    expect(log[0]!.slice(2, 8)).toEqual(['reason', 'command', 'context', 'multi', 'object', 'set']);
  });

  it('the log keeps acllog-max-len entries, the newest (Redis acl unit)', async () => {
    await run(['config', 'set', 'acllog-max-len', '5']);
    try {
      await run(['acl', 'setuser', 'few', 'on', '>pw', '+set', '+ping', '~object:1234']);
      const r = await as('few', 'pw');
      // Ten keys: ten entries (equal denials would be grouped into one).
      for (let j = 0; j < 10; j++) await r(['set', `obj:${j}`, '1']);
      const log = (await run(['acl', 'log'])) as unknown[][];
      expect(log.length).toBe(5);
      expect(log[0]!.slice(6, 8)).toEqual(['object', 'obj:9']);
    } finally {
      await run(['config', 'set', 'acllog-max-len', '128']);
    }
  });

  it('beyond Redis: KEYS, SCAN and RANDOMKEY only return readable keys; FLUSH needs all keys', async () => {
    for (let i = 0; i < 30; i++) await run(['set', `app:${i}`, 'v']);
    for (let i = 0; i < 30; i++) await run(['set', `other:${i}`, 'v']);
    await run(['acl', 'setuser', 'app', 'on', '>pw', '~app:*', '+@all']);
    const r = await as('app', 'pw');
    const keys = (await r(['keys', '*'])) as string[];
    expect(keys.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `app:${i}`).sort());
    const seen = new Set<string>();
    let cursor = '0';
    for (let n = 0; n < 100; n++) {
      const [next, batch] = (await r(['scan', cursor, 'count', '7'])) as [string, string[]];
      for (const k of batch) seen.add(k);
      cursor = next;
      if (cursor === '0') break;
    }
    expect([...seen].sort()).toEqual(keys.sort());
    for (let i = 0; i < 20; i++) expect(String(await r(['randomkey']))).toMatch(/^app:/);
    expect(await r(['flushdb'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['flushall'])).toEqual({ error: NOPERM_KEY });
    expect(await run(['dbsize'])).toBe(60);
    await run(['acl', 'setuser', 'nokeys', 'on', '>pw', '+@all']);
    const none = await as('nokeys', 'pw');
    expect(await none(['randomkey'])).toBeNull();
    expect(await none(['keys', '*'])).toEqual([]);
    await run(['acl', 'setuser', 'all', 'on', '>pw', '~*', '+@all']);
    const all = await as('all', 'pw');
    expect(await all(['flushdb'])).toBe('OK');
  });

  it('selectors: a command runs when the root or one selector allows all of it (Redis 7.0 acl-v2)', async () => {
    await run(['acl', 'setuser', 'sel', 'on', '>pw', '-@all', '+ping', '+select|0', '(+@write ~write::*)', '(+@read ~read::*)', '(%R~r* +get)', '(%W~w* +lpush +copy)']);
    const r = await as('sel', 'pw');
    expect(await r(['echo', 'x'])).toEqual({ error: Errors.noPermCommand('echo') });
    expect(await r(['set', 'write::foo', 'bar'])).toBe('OK');
    expect(await r(['get', 'read::foo'])).toBeNull();
    expect(await r(['get', 'write::foo'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['set', 'read::foo', 'bar'])).toEqual({ error: NOPERM_KEY });
    expect(await r(['select', '0'])).toBe('OK');
    expect(await r(['select', '1'])).toEqual({ error: Errors.noPermCommand('select') });
    // Read and write from two selectors do not add up: COPY needs one selector for both keys.
    expect(await r(['lpush', 'w1', 'x'])).toBe(1);
    expect(await r(['copy', 'r1', 'w1'])).toEqual({ error: NOPERM_KEY });
    // The log names the command only when no selector allows it, else the key refused furthest along.
    await run(['acl', 'log', 'reset']);
    await r(['mget', 'read::a', 'write::b']);
    const [entry] = (await run(['acl', 'log'])) as unknown[][];
    expect(entry!.slice(2, 8)).toEqual(['reason', 'key', 'context', 'toplevel', 'object', 'write::b']);
    expect(await run(['acl', 'setuser', 'sel', 'clearselectors'])).toBe('OK');
    expect(await r(['set', 'write::foo', 'bar'])).toEqual({ error: Errors.noPermCommand('set') });
    // A selector left open, in one argument or spread over several (redis-server 7.0's text).
    expect(await run(['acl', 'setuser', 'sel', '(~a'])).toEqual({ error: Errors.aclUnmatchedParenthesis('(~a') });
    expect(await run(['acl', 'setuser', 'sel', '(~a', '+get'])).toEqual({ error: "ERR Unmatched parenthesis in acl selector starting at '(~a'." });
  });

  it('beyond Redis, with selectors: KEYS lists what some selector may read; FLUSHDB needs a selector with it and every key', async () => {
    for (const k of ['app:1', 'other:1', 'secret:1']) await run(['set', k, 'v']);
    await run(['acl', 'setuser', 'ms', 'on', '>pw', '+ping', '+keys', '+flushdb', '~app:*', '(+get %R~other:*)']);
    const r = await as('ms', 'pw');
    expect(((await r(['keys', '*'])) as string[]).sort()).toEqual(['app:1', 'other:1']);
    expect(await r(['flushdb'])).toEqual({ error: NOPERM_KEY });
    await run(['acl', 'setuser', 'ms', '(+flushdb %W~*)']);
    expect(await r(['flushdb'])).toBe('OK');
  });

  it('subscribers are dropped when a SETUSER takes allchannels away (Redis acl unit), kept while a selector has it', async () => {
    await run(['acl', 'setuser', 'ps', 'on', '>pw', 'allchannels', '+@all']);
    const sub = ioredis(server.port, { username: 'ps', password: 'pw' });
    open.push(sub);
    await sub.psubscribe('foo');
    const ended = new Promise((resolve) => sub.once('end', resolve));
    sub.options.retryStrategy = () => null;
    await run(['acl', 'setuser', 'ps', '(&*)', 'resetchannels']);
    expect(((await run(['client', 'list'])) as string).match(/user=ps/g)?.length).toBe(1);
    await run(['acl', 'setuser', 'ps', 'clearselectors']);
    await ended;
    expect(await run(['client', 'list'])).not.toContain('user=ps');
  });

  it('CLIENT LIST shows the user, CLIENT KILL USER works, DELUSER disconnects its clients', async () => {
    await run(['acl', 'setuser', 'eve', 'on', '>pw', '~*', '+@all']);
    const r = await as('eve', 'pw');
    expect(String(await r(['client', 'info']))).toContain(' user=eve ');
    expect(String(await run(['client', 'list']))).toContain(' user=eve ');
    expect(await run(['client', 'kill', 'user', 'nobody'])).toEqual({ error: "ERR No such user 'nobody'" });
    expect(await run(['client', 'kill', 'user', 'eve'])).toBe(1);
    await run(['acl', 'setuser', 'frank', 'on', '>pw', '~*', '+@all']);
    const f = ioredis(server.port, { username: 'frank', password: 'pw', retryStrategy: () => null });
    open.push(f);
    await f.ping();
    const closed = new Promise((resolve) => f.once('end', resolve));
    expect(await run(['acl', 'deluser', 'frank', 'ghost'])).toBe(1);
    await closed;
  });

  it('requirepass is the default user password; CONFIG SET requirepass updates it', async () => {
    await run(['config', 'set', 'requirepass', 'top']);
    try {
      const hash = createHash('sha256').update('top').digest('hex');
      expect(await run(['acl', 'list'])).toEqual([`user default on #${hash} ~* &* +@all`]);
      // Raw RESP: ioredis would give up on its own HELLO before the test could speak.
      const cmds = [['GET', 'k'], ['AUTH', 'nope'], ['AUTH', 'top'], ['GET', 'k']].map((c) => encodeCommand(c));
      const { data } = await rawExchange(server.port, cmds);
      expect(data.toString()).toBe(`-NOAUTH Authentication required.\r\n-${WRONGPASS}\r\n+OK\r\n$-1\r\n`);
    } finally {
      await run(['config', 'set', 'requirepass', '']);
    }
    expect(await run(['acl', 'list'])).toEqual(['user default on nopass ~* &* +@all']);
    expect(await run(['auth', 'x'])).toEqual({ error: Errors.authNotConfigured });
  });

  it('CONFIG GET requirepass shows the digest, never the password; the digest can be set back (deliberate difference)', async () => {
    const digest = (pw: string) => '#' + createHash('sha256').update(pw).digest('hex');
    try {
      await run(['config', 'set', 'requirepass', 'top']);
      expect(await run(['config', 'get', 'requirepass'])).toEqual(['requirepass', digest('top')]);
      // What CONFIG GET shows is accepted as the digest itself (a config file or --requirepass may carry it too).
      await run(['config', 'set', 'requirepass', digest('other')]);
      expect(await run(['config', 'get', 'requirepass'])).toEqual(['requirepass', digest('other')]);
      const { data } = await rawExchange(server.port, [encodeCommand(['AUTH', 'top']), encodeCommand(['AUTH', 'other'])]);
      expect(data.toString()).toBe(`-${WRONGPASS}\r\n+OK\r\n`);
    } finally {
      await run(['config', 'set', 'requirepass', '']);
    }
    expect(await run(['config', 'get', 'requirepass'])).toEqual(['requirepass', '']);
  });

  it('ACL DRYRUN answers whether a user could run a command, without running it', async () => {
    await run(['acl', 'setuser', 'dry', 'on', 'nopass', '~app*', '+get']);
    expect(await run(['acl', 'dryrun', 'dry', 'get', 'app1'])).toBe('OK');
    expect(await run(['acl', 'dryrun', 'dry', 'set', 'app1', 'v'])).toBe("This user has no permissions to run the 'set' command");
    expect(await run(['acl', 'dryrun', 'nouser', 'get', 'k'])).toEqual({ error: Errors.aclUserNotFound('nouser') });
    expect(await run(['acl', 'dryrun', 'dry', 'nosuch'])).toEqual({ error: Errors.aclCommandNotFound('nosuch') });
    expect(await run(['exists', 'app1'])).toBe(0);
    await run(['acl', 'deluser', 'dry']);
  });

  it('a password rule quoted in an error is written from its bytes, CR/LF scrubbed (redis-server 7.0 bytes)', async () => {
    const { data } = await rawExchange(server.port, encodeCommand(['ACL', 'SETUSER', 'zz', '<no\r\npe']));
    expect(data.toString('latin1')).toBe(
      "-ERR Error in ACL SETUSER modifier '<no  pe': The password you are trying to remove from the user does not exist\r\n",
    );
    const info = (await run(['info', 'errorstats'])) as string;
    expect(info).toMatch(/errorstat_ERR:count=\d+/);
    await run(['acl', 'deluser', 'zz']);
  });

  it('ACL CAT, GENPASS and WHOAMI', async () => {
    const cats = (await run(['acl', 'cat'])) as string[];
    expect(cats).toContain('keyspace');
    expect(cats).toContain('dangerous');
    const reads = (await run(['acl', 'cat', 'read'])) as string[];
    expect(reads).toContain('get');
    expect(reads).not.toContain('set');
    // Containers are listed too, as redis-server 7.0 lists them (they are @slow), then their subcommands.
    const slow = (await run(['acl', 'cat', 'slow'])) as string[];
    for (const container of ['config', 'client', 'memory', 'command']) expect(slow).toContain(container);
    expect(slow.indexOf('config|get')).toBeGreaterThan(slow.indexOf('config'));
    expect(await run(['acl', 'genpass'])).toMatch(/^[0-9a-f]{64}$/);
    expect(await run(['acl', 'genpass', '32'])).toMatch(/^[0-9a-f]{8}$/);
    expect(await run(['acl', 'genpass', '5'])).toMatch(/^[0-9a-f]{2}$/);
    expect(await run(['acl', 'whoami'])).toBe('default');
  });

  it("a failed login is logged with the command's name as the client sent it (redis-py: AUTH), as Redis 7.0 does", async () => {
    await run(['acl', 'log', 'reset']);
    for (const name of ['AUTH', 'auth', 'Hello']) {
      const args = name === 'Hello' ? [name, '2', 'AUTH', 'nobody', 'pw'] : [name, 'nobody', 'pw'];
      expect(await run(args)).toEqual({ error: Errors.wrongPass });
    }
    const log = (await run(['acl', 'log'])) as unknown[][];
    expect(log.map((e) => e.slice(0, 8))).toEqual(['Hello', 'auth', 'AUTH'].map((object) => ['count', 1, 'reason', 'auth', 'context', 'toplevel', 'object', object]));
  });

  it.skipIf(redisCliMissing)('redis-cli --user/--pass', async () => {
    await run(['acl', 'setuser', 'cli', 'on', '>clipw', '~cli:*', '+@all']);
    expect((await redisCli(server.port, ['--user', 'cli', '--pass', 'clipw', '--no-auth-warning', 'set', 'cli:1', 'v'])).trim()).toBe('OK');
    expect((await redisCli(server.port, ['--user', 'cli', '--pass', 'clipw', '--no-auth-warning', 'get', 'other'])).trim()).toBe(NOPERM_KEY);
    // redis-cli reports the failed AUTH on stderr and goes on as the connection's default user.
    const bad = await redisCli(server.port, ['--user', 'cli', '--pass', 'wrong', '--no-auth-warning', 'acl', 'whoami']);
    expect(bad.trim()).toBe('default');
    const log = (await run(['acl', 'log', '1'])) as unknown[][];
    // redis-cli sends AUTH in capitals; Redis logs the name as sent.
    expect(log[0]!.slice(2, 10)).toEqual(['reason', 'auth', 'context', 'toplevel', 'object', 'AUTH', 'username', 'cli']);
  });
});

describe('ACL file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-acl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads users at start, ACL SAVE writes hashes only (0600), ACL LOAD re-reads', async () => {
    const file = join(dir, 'users.acl');
    writeFileSync(file, '# users\nuser default on nopass ~* &* +@all\nuser app on >app-secret ~app:* +@all\n');
    const server = await startInProcess({ aclfile: file });
    const admin = ioredis(server.port);
    const run = runner(admin);
    try {
      expect(await run(['acl', 'users'])).toEqual(['app', 'default']);
      const app = ioredis(server.port, { username: 'app', password: 'app-secret' });
      expect(await app.set('app:1', 'v')).toBe('OK');
      await run(['acl', 'setuser', 'new', 'on', '>new-secret', '~n:*', '+get']);
      expect(await run(['acl', 'save'])).toBe('OK');
      const saved = readFileSync(file, 'utf8');
      expect(saved).not.toContain('secret');
      expect(saved).toContain(`#${createHash('sha256').update('new-secret').digest('hex')}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      writeFileSync(file, 'user default on nopass ~* &* +@all\n');
      const closed = new Promise((resolve) => app.once('end', resolve));
      app.options.retryStrategy = () => null;
      expect(await run(['acl', 'load'])).toBe('OK');
      expect(await run(['acl', 'users'])).toEqual(['default']);
      await closed;
      writeFileSync(file, 'user default on nopass ~* &* +@all\nuser bad on +nosuch\n');
      expect(String(((await run(['acl', 'load'])) as { error: string }).error)).toContain(`${file}:2: Error in user declaration 'bad'`);
      expect(await run(['acl', 'users'])).toEqual(['default']);
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });

  it('ACL SAVE writes selectors and first-arg rules as ACL LIST shows them; ACL LOAD and config user lines read them back', async () => {
    const file = join(dir, 'selectors.acl');
    writeFileSync(file, 'user default on nopass ~* &* +@all\nuser bob on nopass (~w* +set) (%R~r*  +get)\n');
    const server = await startInProcess({ aclfile: file });
    const admin = ioredis(server.port);
    const run = runner(admin);
    try {
      expect(await run(['acl', 'list'])).toContain('user bob on nopass resetchannels -@all (~w* resetchannels -@all +set) (%R~r* resetchannels -@all +get)');
      await run(['acl', 'setuser', 'ann', 'on', 'nopass', '-@all', '+select|0', '+memory|doctor', '+memory', '(&chan %W~w* +set +lpush +rpush -rpush)']);
      const listed = (await run(['acl', 'list'])) as string[];
      expect(listed).toContain('user ann on nopass resetchannels -@all +select|0 +memory (%W~w* resetchannels &chan -@all +set +lpush)');
      expect(await run(['acl', 'save'])).toBe('OK');
      expect(readFileSync(file, 'latin1')).toBe(listed.join('\n') + '\n');
      expect(await run(['acl', 'load'])).toBe('OK');
      expect(await run(['acl', 'list'])).toEqual(listed);
      writeFileSync(file, 'user default on nopass ~* &* +@all\nuser bad on (~a +get\n');
      expect(String(((await run(['acl', 'load'])) as { error: string }).error)).toContain(`${file}:2: Error in user declaration 'bad': Unmatched parenthesis in selector definition.`);
    } finally {
      admin.disconnect();
      await server.stop();
    }
    const config = new Config(Object.entries({ port: String(await freePort()), bind: '127.0.0.1' }));
    config.users.push(['carl', 'on', 'nopass', '(~a', '+get)', '(+set ~b)']);
    const fromConfig = await startServer(config, { log: pino({ level: 'silent' }) });
    const client = ioredis(Number(config.get('port')));
    const carl = runner(client);
    try {
      expect(await carl(['acl', 'getuser', 'carl'])).toEqual([
        'flags', ['on', 'nopass'], 'passwords', [], 'commands', '-@all', 'keys', '', 'channels', '',
        'selectors', [['commands', '-@all +get', 'keys', '~a', 'channels', ''], ['commands', '-@all +set', 'keys', '~b', 'channels', '']],
      ]);
    } finally {
      client.disconnect();
      await fromConfig.close();
    }
  });

  it("loads an ACL file as redis-server 7.0 writes it (sanitize-payload, skip-sanitize-payload) and lists it back as Redis does", async () => {
    // Redis 7.0's ACL SAVE writes sanitize-payload for any user set up with `reset` (redis-py's
    // acl_setuser(reset=True) sends it): such a file must load, and list the same lines.
    const file = join(dir, 'from-redis.acl');
    const lines = [
      'user default on nopass ~* &* +@all',
      'user imp off skip-sanitize-payload resetchannels -@all',
      'user ops on nopass sanitize-payload ~* resetchannels -@all +get',
    ];
    writeFileSync(file, lines.join('\n') + '\n');
    const server = await startInProcess({ aclfile: file });
    const admin = ioredis(server.port);
    const run = runner(admin);
    try {
      expect(await run(['acl', 'list'])).toEqual(lines);
      expect(await run(['acl', 'save'])).toBe('OK');
      expect(readFileSync(file, 'utf8')).toBe(lines.join('\n') + '\n');
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });

  it('a relative aclfile is under dir, as in Redis (its dir chdirs): read at start, written by ACL SAVE', async () => {
    const sub = mkdtempSync(join(dir, 'rel-'));
    writeFileSync(join(sub, 'users.acl'), 'user default on nopass ~* &* +@all\nuser rel on nopass ~* +@all\n');
    const server = await startInProcess({ dir: sub, aclfile: 'users.acl' });
    const admin = await ReplyConnection.open(server.port);
    try {
      expect(await admin.send(['ACL', 'USERS'])).toBe('*2\r\n$7\r\ndefault\r\n$3\r\nrel\r\n');
      expect(await admin.send(['ACL', 'DELUSER', 'rel'])).toBe(':1\r\n');
      expect(await admin.send(['ACL', 'SAVE'])).toBe('+OK\r\n');
      expect(readFileSync(join(sub, 'users.acl'), 'utf8')).not.toContain('user rel');
    } finally {
      admin.close();
      await server.stop();
    }
  });

  it('ACL LOAD closes the connections of every user but default, as Redis 7.0 does: a queued transaction never runs', async () => {
    const file = join(dir, 'reload.acl');
    const rules = (keys: string) => `user default on nopass ~* &* +@all\nuser app on >app-pw ${keys} +@all\n`;
    writeFileSync(file, rules('~*'));
    const server = await startInProcess({ aclfile: file });
    const admin = await ReplyConnection.open(server.port);
    const app = await ReplyConnection.open(server.port);
    try {
      expect(await app.send(['AUTH', 'app', 'app-pw'])).toBe('+OK\r\n');
      expect(await app.send(['MULTI'])).toBe('+OK\r\n');
      expect(await app.send(['SET', 'k', 'v'])).toBe('+QUEUED\r\n');
      // Same user, same password, fewer keys: its sessions must log in again under the new rules.
      writeFileSync(file, rules('resetkeys'));
      expect(await admin.send(['ACL', 'LOAD'])).toBe('+OK\r\n');
      expect(await app.send(['EXEC'])).toBe('<closed>');
      expect(await admin.send(['EXISTS', 'k'])).toBe(':0\r\n');
      expect(await admin.send(['PING'])).toBe('+PONG\r\n');
    } finally {
      admin.close();
      app.close();
      await server.stop();
    }
  });

  it('ACL SAVE reports a file it cannot write', async () => {
    const sub = mkdtempSync(join(dir, 'gone-'));
    const file = join(sub, 'users.acl');
    writeFileSync(file, 'user default on nopass ~* &* +@all\n');
    const server = await startInProcess({ aclfile: file });
    const admin = ioredis(server.port);
    try {
      rmSync(sub, { recursive: true });
      expect(await runner(admin)(['acl', 'save'])).toEqual({ error: Errors.aclSaveFailed });
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });

  it('refuses to start with a broken ACL file', async () => {
    const file = join(dir, 'broken.acl');
    writeFileSync(file, 'user x on foo\n');
    await expect(startInProcess({ aclfile: file })).rejects.toThrow(/broken\.acl:1/);
    await expect(startInProcess({ aclfile: join(dir, 'missing.acl') })).rejects.toThrow(/cannot read ACL file/);
  });
});
