// MULTI/EXEC/DISCARD/WATCH/UNWATCH against the real server over real clients. Every expected
// reply and error text was taken from redis-server 7.0.15 given the same input.

import { afterEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { ReplyConnection } from '../helpers/reference-redis.js';
import { encodeCommand, ioredis, nodeRedis, rawExchange, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

const { server, client, run } = withServer();

/** Sends the commands on one fresh connection and returns everything it answered. */
async function exchange(...commands: string[][]): Promise<string> {
  const { data } = await rawExchange(server.port, Buffer.concat(commands.map((c) => encodeCommand(c))));
  return data.toString('latin1');
}

/** A second client, for changes made behind the first one's back. */
const another = () => ioredis(server.port);

describe('MULTI / EXEC / DISCARD', () => {
  it('queues commands and returns their replies as one array', async () => {
    expect(await exchange(['MULTI'], ['SET', 'a', '1'], ['GET', 'a'], ['EXEC'])).toBe(
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\n1\r\n',
    );
    expect(await run(['get', 'a'])).toBe('1');
  });

  it('an empty transaction returns an empty array', async () => {
    expect(await exchange(['MULTI'], ['EXEC'])).toBe('+OK\r\n*0\r\n');
  });

  it('EXEC and DISCARD without MULTI, and nested MULTI, are errors that keep the transaction', async () => {
    expect(await exchange(['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['SET', 'k', 'v'], ['EXEC'])).toBe(
      '-ERR EXEC without MULTI\r\n' +
        '-ERR DISCARD without MULTI\r\n' +
        '+OK\r\n' +
        '-ERR MULTI calls can not be nested\r\n' +
        '+QUEUED\r\n' +
        '*1\r\n+OK\r\n',
    );
  });

  it('WATCH inside MULTI is refused without dooming the transaction', async () => {
    expect(await exchange(['MULTI'], ['WATCH', 'x'], ['SET', 'a', '1'], ['EXEC'])).toBe(
      '+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n',
    );
  });

  it('DISCARD drops the queue and nothing runs', async () => {
    expect(await exchange(['MULTI'], ['SET', 'gone', '1'], ['DISCARD'], ['EXEC'])).toBe(
      '+OK\r\n+QUEUED\r\n+OK\r\n-ERR EXEC without MULTI\r\n',
    );
    expect(await run(['exists', 'gone'])).toBe(0);
  });

  it('a command rejected while queueing aborts EXEC with EXECABORT and runs nothing', async () => {
    expect(await exchange(['MULTI'], ['SET', 'a'], ['SET', 'b', '1'], ['EXEC'], ['EXISTS', 'b'])).toBe(
      '+OK\r\n' +
        "-ERR wrong number of arguments for 'set' command\r\n" +
        '+QUEUED\r\n' +
        '-EXECABORT Transaction discarded because of previous errors.\r\n' +
        ':0\r\n',
    );
    expect(await exchange(['MULTI'], ['NOPE', 'x'], ['EXEC'])).toBe(
      "+OK\r\n-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n" +
        '-EXECABORT Transaction discarded because of previous errors.\r\n',
    );
    expect(await exchange(['MULTI'], ['WATCH'], ['EXEC'])).toBe(
      "+OK\r\n-ERR wrong number of arguments for 'watch' command\r\n" +
        '-EXECABORT Transaction discarded because of previous errors.\r\n',
    );
  });

  it('a no_multi command (SAVE) is refused while queueing and dooms the transaction', async () => {
    expect(await exchange(['MULTI'], ['SAVE'], ['SET', 'a', '1'], ['EXEC'], ['EXISTS', 'a'])).toBe(
      '+OK\r\n-ERR Command not allowed inside a transaction\r\n+QUEUED\r\n' +
        '-EXECABORT Transaction discarded because of previous errors.\r\n:0\r\n',
    );
  });

  it('while EXEC runs the client still shows as in MULTI (CLIENT INFO flags=x), and not after', async () => {
    const out = await exchange(['MULTI'], ['PING'], ['CLIENT', 'INFO'], ['EXEC'], ['CLIENT', 'INFO']);
    expect(out).toMatch(/^\+OK\r\n\+QUEUED\r\n\+QUEUED\r\n\*2\r\n\+PONG\r\n\$\d+\r\nid=\d+ [^\n]* flags=x [^\n]* multi=2 [^\n]*\n\r\n/);
    expect(out).toMatch(/\n\r\n\$\d+\r\nid=\d+ [^\n]* flags=N [^\n]* multi=-1 [^\n]*\n\r\n$/);
  });

  it('after EXECABORT the connection is out of MULTI and a new transaction works', async () => {
    expect(await exchange(['MULTI'], ['SET', 'a'], ['EXEC'], ['MULTI'], ['SET', 'a', '2'], ['EXEC'])).toBe(
      "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n" +
        '-EXECABORT Transaction discarded because of previous errors.\r\n' +
        '+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n',
    );
  });

  it('errors while executing are elements of the array; the other commands still run', async () => {
    expect(await exchange(['MULTI'], ['SET', 's', 'x'], ['HINCRBY', 's', 'f', '1'], ['HSET', 'h', 'f', '1'], ['GET', 's'], ['EXEC'])).toBe(
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n' +
        '*4\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n:1\r\n$1\r\nx\r\n',
    );
    expect(await run(['hget', 'h', 'f'])).toBe('1');
  });

  it('INCR on a non-number inside EXEC is an error element (ioredis)', async () => {
    await client.set('word', 'abc');
    const result = await client.multi().incr('word').set('after', 'yes').exec();
    expect(result).toHaveLength(2);
    expect(result![0]![0]).toBeInstanceOf(Error);
    expect((result![0]![0] as Error).message).toBe('ERR value is not an integer or out of range');
    expect(result![1]).toEqual([null, 'OK']);
    expect(await run(['get', 'after'])).toBe('yes');
  });

  it('ioredis multi().set().get().exec()', async () => {
    const result = await client.multi().set('k', 'v1').get('k').hset('h', 'a', '1').hgetall('h').exec();
    expect(result).toEqual([
      [null, 'OK'],
      [null, 'v1'],
      [null, 1],
      [null, { a: '1' }],
    ]);
  });

  it('node-redis multi()', async () => {
    const nr = await nodeRedis(server.port);
    try {
      const result = await nr.multi().set('nk', 'nv').get('nk').hSet('nh', 'f', 'g').hGet('nh', 'f').exec();
      expect(result).toEqual(['OK', 'nv', 1, 'g']);
    } finally {
      await nr.quit();
    }
  });

  it('RESP3: replies inside EXEC keep their RESP3 shapes', async () => {
    await run(['hset', 'h', 'a', '1']);
    const out = await exchange(['HELLO', '3'], ['MULTI'], ['HGETALL', 'h'], ['GET', 'nope'], ['EXEC']);
    expect(out.endsWith('+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n%1\r\n$1\r\na\r\n$1\r\n1\r\n_\r\n')).toBe(true);
  });
});

describe('WATCH', () => {
  it('WATCH of 200,000 names, some repeated, takes one pass: answered at once, each name watched once', async () => {
    // Checked per name against every name before it, this was 2 x 10^10 comparisons (minutes
    // of CPU with every other client waiting; redis-server scans its list the same way).
    const names = Array.from({ length: 200_000 }, (_, i) => `watched:${i % 150_000}`);
    const started = performance.now();
    expect(await client.call('WATCH', names)).toBe('OK');
    expect(performance.now() - started).toBeLessThan(20_000);
    // Watching again what is watched adds nothing: a change to one of them still aborts EXEC.
    expect(await client.watch('watched:7', 'watched:7')).toBe('OK');
    const other = another();
    try {
      await other.set('watched:149999', 'x');
      expect(await client.multi().set('mine', '1').exec()).toBe(null);
    } finally {
      other.disconnect();
    }
  }, 60_000);

  it('EXEC returns a null array when another client changed a watched key', async () => {
    await client.set('w', '1');
    const other = another();
    try {
      expect(await client.watch('w')).toBe('OK');
      await other.set('w', '2');
      const result = await client.multi().set('w', 'mine').exec();
      expect(result).toBe(null);
      expect(await run(['get', 'w'])).toBe('2');
    } finally {
      other.disconnect();
    }
  });

  it('the abort is *-1 on the wire under RESP2 and _ under RESP3', async () => {
    expect(await exchange(['WATCH', 'x'], ['SET', 'x', '1'], ['MULTI'], ['GET', 'x'], ['EXEC'])).toBe(
      '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n',
    );
    const out = await exchange(['HELLO', '3'], ['WATCH', 'x'], ['SET', 'x', '1'], ['MULTI'], ['GET', 'x'], ['EXEC']);
    expect(out.endsWith('+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n_\r\n')).toBe(true);
  });

  it("the client's own change between WATCH and MULTI also aborts", async () => {
    await client.watch('own');
    await client.hset('own', 'f', '1');
    expect(await client.multi().set('other', '1').exec()).toBe(null);
    expect(await run(['exists', 'other'])).toBe(0);
  });

  it('changes inside the transaction itself do not abort it', async () => {
    await client.watch('self');
    expect(await client.multi().set('self', '1').incr('self').exec()).toEqual([
      [null, 'OK'],
      [null, 2],
    ]);
  });

  it('an untouched watched key lets EXEC run, and EXEC forgets the watch', async () => {
    const other = another();
    try {
      await client.watch('calm');
      expect(await client.multi().set('calm', 'a').exec()).toEqual([[null, 'OK']]);
      // The watch ended with EXEC: a later change does not affect the next transaction.
      await other.set('calm', 'b');
      expect(await client.multi().get('calm').exec()).toEqual([[null, 'b']]);
    } finally {
      other.disconnect();
    }
  });

  it('UNWATCH and DISCARD forget the watched keys', async () => {
    const other = another();
    try {
      await client.watch('u');
      expect(await client.unwatch()).toBe('OK');
      await other.set('u', '1');
      expect(await client.multi().get('u').exec()).toEqual([[null, '1']]);

      expect(await exchange(['WATCH', 'd'], ['MULTI'], ['DISCARD'], ['SET', 'd', '1'], ['MULTI'], ['GET', 'd'], ['EXEC'])).toBe(
        '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n',
      );
    } finally {
      other.disconnect();
    }
  });

  it('watching a missing key aborts when it gets created, and deletion of a watched key aborts', async () => {
    const other = another();
    try {
      await client.watch('later');
      await other.set('later', 'x');
      expect(await client.multi().get('later').exec()).toBe(null);

      await client.watch('later');
      await other.del('later');
      expect(await client.multi().get('later').exec()).toBe(null);
    } finally {
      other.disconnect();
    }
  });

  it('a hash field change by another client aborts', async () => {
    const other = another();
    try {
      await client.hset('wh', 'a', '1');
      await client.watch('wh');
      await other.hincrby('wh', 'a', 1);
      expect(await client.multi().hget('wh', 'a').exec()).toBe(null);
    } finally {
      other.disconnect();
    }
  });

  it('a ZADD that leaves the score as it is does not abort (no write, as in Redis); one that changes it does', async () => {
    const other = another();
    try {
      await client.zadd('wz', 1, 'm');
      await client.watch('wz');
      expect(await other.zadd('wz', 1, 'm')).toBe(0);
      expect(await client.multi().zscore('wz', 'm').exec()).toEqual([[null, '1']]);
      await client.watch('wz');
      expect(await other.zadd('wz', 2, 'm')).toBe(0);
      expect(await client.multi().zscore('wz', 'm').exec()).toBe(null);
    } finally {
      other.disconnect();
    }
  });

  it('a watched key that expires before EXEC aborts; one already expired at WATCH does not', async () => {
    await client.set('ttl', 'v', 'PX', 1000);
    await client.watch('ttl');
    server.advance(2000);
    expect(await client.multi().set('x', '1').exec()).toBe(null);

    await client.set('gone', 'v', 'PX', 1000);
    server.advance(2000);
    await client.watch('gone');
    expect(await client.multi().set('x', '2').exec()).toEqual([[null, 'OK']]);
  });

  it('watches a key per database', async () => {
    const other = ioredis(server.port, { db: 1 });
    try {
      await client.watch('perdb');
      await other.set('perdb', 'in db 1');
      expect(await client.multi().get('perdb').exec()).toEqual([[null, null]]);
    } finally {
      other.disconnect();
    }
  });
});

describe('ACL rules changed while a transaction is queued (text from redis-server 7.0.15)', () => {
  const changedKeys = `-${Errors.noPermAtExec('key')}\r\n`;
  const changedCommand = `-${Errors.noPermAtExec('command')}\r\n`;

  it('the texts are Redis 7.0\'s', () => {
    expect(changedKeys).toBe(
      '-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. ' +
        'This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n',
    );
    expect(changedCommand).toContain('for the following reason: no permission to execute the command or subcommand\r\n');
  });

  /** A connection logged in as a fresh user `txu` with every permission, in MULTI with SET k v, GET k, PING queued. */
  async function queuedAsUser(): Promise<ReplyConnection> {
    await run(['acl', 'setuser', 'txu', 'reset', 'on', '>pw', '~*', '&*', '+@all']);
    const c = await ReplyConnection.open(server.port);
    expect(await c.send(['AUTH', 'txu', 'pw'])).toBe('+OK\r\n');
    expect(await c.send(['MULTI'])).toBe('+OK\r\n');
    for (const cmd of [['SET', 'k', 'v'], ['GET', 'k'], ['PING']]) expect(await c.send(cmd)).toBe('+QUEUED\r\n');
    return c;
  }

  afterEach(async () => {
    await run(['acl', 'deluser', 'txu']);
    await run(['acl', 'log', 'reset']);
  });

  it('resetkeys from another connection: each queued key command is refused at EXEC, and logged', async () => {
    const c = await queuedAsUser();
    await run(['acl', 'setuser', 'txu', 'resetkeys']);
    expect(await c.send(['EXEC'])).toBe(`*3\r\n${changedKeys}${changedKeys}+PONG\r\n`);
    expect(await run(['exists', 'k'])).toBe(0);
    const log = (await run(['acl', 'log'])) as unknown[][];
    // With seal-keys the log names no key (acl/permissions.ts).
    const object = server.running.state.names.sealed ? '(sealed key name)' : 'k';
    expect(log[0]!.slice(0, 10)).toEqual(['count', 2, 'reason', 'key', 'context', 'multi', 'object', object, 'username', 'txu']);
    c.close();
  });

  it('a removed command is refused at EXEC, the others run', async () => {
    const c = await queuedAsUser();
    await run(['acl', 'setuser', 'txu', '-get']);
    expect(await c.send(['EXEC'])).toBe(`*3\r\n+OK\r\n${changedCommand}+PONG\r\n`);
    c.close();
  });

  it('-@all: EXEC itself is refused and the transaction discarded', async () => {
    const c = await queuedAsUser();
    await run(['acl', 'setuser', 'txu', '-@all']);
    expect(await c.send(['EXEC'])).toBe(`-${Errors.execAbortBecause(Errors.noPermCommand('exec'))}\r\n`);
    await run(['acl', 'setuser', 'txu', '+@all']);
    expect(await c.send(['EXEC'])).toBe('-ERR EXEC without MULTI\r\n');
    expect(await run(['exists', 'k'])).toBe(0);
    c.close();
  });

  it('off keeps an open connection working, as in Redis 7.0 (only new logins are refused)', async () => {
    const c = await queuedAsUser();
    await run(['acl', 'setuser', 'txu', 'off']);
    expect(await c.send(['EXEC'])).toBe('*3\r\n+OK\r\n$1\r\nv\r\n+PONG\r\n');
    c.close();
  });

  it('a deleted user: its connection is closed and nothing queued runs', async () => {
    const c = await queuedAsUser();
    expect(await run(['acl', 'deluser', 'txu'])).toBe(1);
    expect(await c.send(['EXEC'])).toBe('<closed>');
    expect(await run(['exists', 'k'])).toBe(0);
  });
});

describe.skipIf(redisCliMissing)('redis-cli', () => {
  it('runs MULTI/EXEC from stdin', async () => {
    const out = await redisCli(server.port, [], 'MULTI\nSET cli 5\nINCR cli\nGET cli\nEXEC\n');
    expect(out).toBe('OK\nQUEUED\nQUEUED\nQUEUED\nOK\n6\n6\n');
  });

  it('shows EXECABORT after a bad command', async () => {
    const out = await redisCli(server.port, [], 'MULTI\nSET cli\nEXEC\n');
    expect(out).toBe(
      // redis-cli (non-interactive) follows each error line with an empty line.
      "OK\nERR wrong number of arguments for 'set' command\n\nEXECABORT Transaction discarded because of previous errors.\n\n",
    );
  });
});
