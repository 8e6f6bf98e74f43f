import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLineText, Config, ConfigError, configFromArgs, loadConfigFile, parseBytes, SETTINGS, splitArgs } from '../../src/config.js';
import { helpText } from '../../src/config/help.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sealkv-conf-'));
}

/** CONFIG SET's error text for one pair, or 'OK'. */
function set(c: Config, name: string, value: string): string {
  try {
    c.setAtRuntime([[name, value]]);
    return 'OK';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('Config', () => {
  it('starts from Redis defaults without any file', () => {
    const c = new Config();
    expect(c.get('port')).toBe('6379');
    expect(c.get('bind')).toBe('127.0.0.1');
    expect(c.number('databases')).toBe(16);
    expect(c.number('proto-max-bulk-len')).toBe(512 * 1024 * 1024);
    expect(c.number('client-query-buffer-limit')).toBe(1024 ** 3);
    expect(c.get('save')).toBe('');
    expect(c.get('list-max-ziplist-size')).toBe('-2');
  });

  it('reads memory sizes the way Redis does', () => {
    expect(parseBytes('1k')).toBe(1000);
    expect(parseBytes('1kb')).toBe(1024);
    expect(parseBytes('4MB')).toBe(4 * 1024 * 1024);
    expect(parseBytes('1g')).toBe(1e9);
    expect(parseBytes('12')).toBe(12);
    expect(parseBytes('1x')).toBeNull();
  });

  it('takes --name value flags on top of a redis.conf-style file', () => {
    const file = join(tempDir(), 'sealkv.conf');
    writeFileSync(file, '# comment\nport 7000\nrequirepass "two words"\nsave 3600 1 300 100\n\nmaxmemory 4mb\n');
    const { config: c } = configFromArgs(['--config', file, '--port', '7001', '--hz', '20']);
    expect(c.get('port')).toBe('7001');
    // Kept as its digest, never in clear (acl/secret.ts).
    expect(c.get('requirepass')).toBe('#' + createHash('sha256').update('two words').digest('hex'));
    expect(c.get('save')).toBe('3600 1 300 100');
    expect(c.get('maxmemory')).toBe(String(4 * 1024 * 1024));
    expect(c.get('hz')).toBe('20');
  });

  it('takes the config file as the first argument, as redis-server does', () => {
    const file = join(tempDir(), 'a.conf');
    writeFileSync(file, 'port 7002\n');
    const { config, file: used } = configFromArgs([file, '--hz', '11']);
    expect(config.get('port')).toBe('7002');
    expect(config.get('hz')).toBe('11');
    expect(used).toBe(file);
    expect(() => configFromArgs([file, '--config', file])).toThrow(/one config file/);
  });

  it('refuses unknown settings and bad values, every problem at once', () => {
    expect(() => configFromArgs(['--nosuch', '1'])).toThrow(/Bad directive or wrong number of arguments/);
    expect(() => configFromArgs(['--port'])).toThrow("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.0) ***\nReading the configuration file, at line 2\n>>> 'port'\nwrong number of arguments");
    expect(() => new Config([['port', 'abc']])).toThrow(ConfigError);
    expect(() => new Config([['port', '70000']])).toThrow(/between 0 and 65535/);
    const file = join(tempDir(), 'bad.conf');
    writeFileSync(file, 'port x\nnosuch 1\nhz 1 2\nrequirepass "unbalanced\nmaxmemory 1mb\nrequirepass two words\n');
    let message = '';
    try {
      configFromArgs([file]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('5 problems');
    // A secret is never echoed, even on a bad line.
    expect(message).toContain(`${file}:6: 'requirepass (value hidden)': wrong number of arguments`);
    expect(message).not.toContain('two words');
    expect(message).toContain(`${file}:1: 'port x': argument couldn't be parsed into an integer`);
    expect(message).toContain(`${file}:2: 'nosuch 1': Bad directive or wrong number of arguments`);
    expect(message).toContain(`${file}:3: 'hz 1 2': wrong number of arguments`);
    expect(message).toContain(`${file}:4: 'requirepass (value hidden)': Unbalanced quotes in configuration line`);
    // Redis's first problem (in line order) leads, as redis-server prints it.
    expect(message).toMatch(/^\n\*\*\* FATAL CONFIG FILE ERROR \(Redis 7.0.0\) \*\*\*\nReading the configuration file, at line 1\n>>> 'port x'\nargument couldn't be parsed into an integer\n/);
  });

  it('CONFIG SET is all-or-nothing and uses Redis wording', () => {
    const c = new Config();
    expect(() => c.setAtRuntime([['hz', '20'], ['nosuch', '1']])).toThrow(
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    );
    expect(c.get('hz')).toBe('10');
    expect(() => c.setAtRuntime([['unixsocket', '/tmp/x']])).toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'unixsocket') - can't set immutable config",
    );
    expect(() => c.setAtRuntime([['appendonly', 'maybe']])).toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
    );
    expect(() => c.setAtRuntime([['hz', '20'], ['maxmemory', '1mb'], ['timeout', 'x']])).toThrow(/argument 'timeout'/);
    expect([c.get('hz'), c.get('maxmemory')]).toEqual(['10', '0']);
    expect(() => c.setAtRuntime([['hz', '1'], ['HZ', '2']])).toThrow("ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter");
    expect(() => c.setAtRuntime([['hz', '1'], ['dir', '/tmp']])).toThrow('- can\'t set protected config');
    c.setAtRuntime([['hz', '20'], ['maxmemory', '1mb']]);
    expect([c.get('hz'), c.get('maxmemory')]).toEqual(['20', '1048576']);
  });

  it('rolls every value back when a listener refuses a change', () => {
    const c = new Config();
    c.onChange((name, value) => {
      if (name === 'timeout' && value === '7') throw new TypeError('cannot apply');
    });
    expect(set(c, 'timeout', '7')).toBe("ERR CONFIG SET failed (possibly related to argument 'timeout') - cannot apply");
    expect(c.get('timeout')).toBe('0');
  });

  it('answers number() with the value of the moment, however often it was asked before (its cache)', () => {
    const c = new Config([['hz', '15']]);
    expect(c.number('hz')).toBe(15);
    expect(c.number('list-max-listpack-size')).toBe(-2);
    c.setAtRuntime([['hz', '20'], ['list-max-listpack-size', '128']]);
    expect([c.number('hz'), c.number('list-max-listpack-size')]).toEqual([20, 128]);
    // A change refused half-way and one a listener rolls back leave the numbers as they were.
    expect(set(c, 'hz', 'nope')).toMatch(/^ERR CONFIG SET failed/);
    expect(c.number('hz')).toBe(20);
    c.onChange((name, value) => {
      if (name === 'timeout' && value === '7') throw new TypeError('cannot apply');
    });
    c.number('timeout');
    expect(set(c, 'timeout', '7')).toMatch(/^ERR CONFIG SET failed/);
    expect(c.number('timeout')).toBe(0);
    c.load('timeout', '9');
    expect(c.number('timeout')).toBe(9);
    expect(() => c.number('no-such-setting')).toThrow(ConfigError);
  });

  it('reads numbers seen by a listener as the new values while it runs', () => {
    const c = new Config();
    const seen: number[] = [];
    c.number('timeout');
    c.onChange((name) => {
      if (name === 'timeout') seen.push(c.number('timeout'));
    });
    c.setAtRuntime([['timeout', '5']]);
    expect(seen).toEqual([5]);
  });

  it('accepts every old name Redis 7.0 accepts, sharing the value with the new one', () => {
    const c = new Config();
    for (const [alias, name, value] of [
      ['hash-max-ziplist-value', 'hash-max-listpack-value', '128'],
      ['list-max-ziplist-size', 'list-max-listpack-size', '-3'],
      ['zset-max-ziplist-entries', 'zset-max-listpack-entries', '64'],
      ['slave-read-only', 'replica-read-only', 'no'],
      ['lua-time-limit', 'busy-reply-threshold', '100'],
    ] as const) {
      expect(set(c, alias, value)).toBe('OK');
      expect(c.get(name)).toBe(value);
    }
    expect(set(c, 'set-max-intset-entries', '1000')).toBe('OK');
    expect(set(c, 'repl-backlog-size', '10mb')).toBe('OK');
    expect(c.get('repl-backlog-size')).toBe(String(10 * 1024 * 1024));
    expect(set(c, 'hash-max-ziplist-value', 'x')).toBe(
      "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-value') - argument must be a memory value",
    );
  });

  it('parses numbers as redis-server 7.0 does, past 2^53', () => {
    const c = new Config();
    expect(set(c, 'maxmemory', '99999999999999999999999')).toBe('OK');
    expect(c.get('maxmemory')).toBe('18446744073709551615');
    expect(set(c, 'maxmemory', '99999999999999999999999k')).toBe('OK');
    expect(c.get('maxmemory')).toBe('18446744073709550616');
    expect(set(c, 'maxmemory', '')).toBe('OK');
    expect(c.get('maxmemory')).toBe('0');
    for (const bad of ['-1', '-0', '1.5', '1e99', '0x10', '1tb', ' 5', '+5']) expect(set(c, 'maxmemory', bad)).toMatch(/must be a memory value$/);
    expect(set(c, 'proto-max-bulk-len', '18446744073709551615')).toMatch(/between 1048576 and 9223372036854775807 inclusive$/);
    expect(set(c, 'hz', '0')).toBe('OK');
    expect(c.get('hz')).toBe('1');
    for (const bad of ['', '-0', '01', '+1', '1k', '9223372036854775808']) expect(set(c, 'hz', bad)).toMatch(/couldn't be parsed into an integer$/);
    expect(set(c, 'maxclients', '-1')).toMatch(/between 1 and 4294967295 inclusive$/);
    expect(set(c, 'maxmemory-clients', '10%')).toBe('OK');
    expect(c.get('maxmemory-clients')).toBe('10%');
    expect(set(c, 'maxmemory-clients', '101%')).toMatch(/percentage argument must be less or equal to 100$/);
  });

  it('parses the special settings as Redis does', () => {
    const c = new Config();
    expect(set(c, 'client-output-buffer-limit', 'normal 99999999999999999999999 0 0')).toBe('OK');
    expect(c.get('client-output-buffer-limit')).toBe('normal 18446744073709551615 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60');
    expect(set(c, 'client-output-buffer-limit', 'replica 1mb 1k 5')).toBe('OK');
    expect(c.get('client-output-buffer-limit')).toContain('slave 1048576 1000 5');
    expect(set(c, 'client-output-buffer-limit', 'master 1 1 1')).toMatch(/Invalid client class/);
    expect(set(c, 'client-output-buffer-limit', 'normal 1 1')).toMatch(/Wrong number of arguments in buffer limit/);
    expect(set(c, 'client-output-buffer-limit', 'normal 1 1 -1')).toMatch(/Error in hard, soft or soft_seconds/);
    expect(set(c, 'save', '900 1 300 10')).toBe('OK');
    expect(c.get('save')).toBe('900 1 300 10');
    expect(set(c, 'save', '0 1')).toMatch(/Invalid save parameters$/);
    expect(set(c, 'save', '')).toBe('OK');
    expect(c.get('save')).toBe('');
    expect(set(c, 'notify-keyspace-events', 'KEA')).toBe('OK');
    expect(c.get('notify-keyspace-events')).toBe('AKE');
    expect(set(c, 'notify-keyspace-events', 'Z')).toMatch(/Invalid event class character/);
    expect(set(c, 'shutdown-on-sigterm', 'now nosave')).toBe('OK');
    expect(c.get('shutdown-on-sigterm')).toBe('nosave now');
    expect(set(c, 'latency-tracking-info-percentiles', '50 99.90 100')).toBe('OK');
    expect(c.get('latency-tracking-info-percentiles')).toBe('50 99.9 100');
    expect(set(c, 'oom-score-adj-values', '0 200')).toMatch(/wrong number of arguments$/);
    expect(set(c, 'proc-title-template', '{title} {nosuch}')).toMatch(/template format is invalid/);
    // Checked with the server's address (never empty) and an empty {title}, as Redis checks it.
    expect(set(c, 'proc-title-template', '{title} {listen-addr} {server-mode}')).toBe('OK');
    expect(set(c, 'proc-title-template', '{title} {server-mode}')).toMatch(/template format is invalid/);
    expect(set(c, 'proc-title-template', '{{ \t')).toBe('OK');
    expect(() => new Config([['bind', Array.from({ length: 17 }, (_, i) => `10.0.0.${i}`)]])).toThrow('Too many bind addresses specified.');
    const b = new Config([['bind', ['127.0.0.1', '-::1']]]);
    expect(b.get('bind')).toBe('127.0.0.1 -::1');
    expect(b.list('bind')).toEqual(['127.0.0.1', '-::1']);
  });

  it('reports accepted settings it does not act on, once each', () => {
    const c = new Config([['appendonly', 'yes']]);
    expect(c.notApplied()).toEqual(['appendonly']);
    const seen: string[] = [];
    c.onChange((name) => seen.push(name));
    c.setAtRuntime([['rdbcompression', 'no']]);
    expect(seen).toEqual(['rdbcompression']);
    expect(c.notApplied().sort()).toEqual(['appendonly', 'rdbcompression']);
  });

  it('lists every setting in --help, grouped, with its default and whether it acts', () => {
    const help = helpText();
    for (const s of SETTINGS) if (!s.hidden) expect(help).toContain(` ${s.name}`);
    expect(help).toMatch(/^ {2} {2}port +0\.\.65535 +default 6379$/m);
    expect(help).toMatch(/^ {2}- appendonly +yes\|no +default no$/m);
    expect(help).toContain('Network:');
  });
});

describe('config files', () => {
  it('splits lines as Redis does', () => {
    expect(splitArgs('save 900 1  300 10')).toEqual(['save', '900', '1', '300', '10']);
    expect(splitArgs('requirepass "a \\"b\\" \\x41\\n"')).toEqual(['requirepass', 'a "b" A\n']);
    expect(splitArgs("x 'it\\'s' \"\"")).toEqual(['x', "it's", '']);
    expect(splitArgs('x "open')).toBeNull();
    expect(splitArgs('x "a"b')).toBeNull();
  });

  it('reads flags the way redis-server does', () => {
    const text = (args: string[], first = true) => commandLineText(args, first).lines;
    expect(text(['--save', '900', '1', '--port', '7000'])).toEqual(['save "900" "1" ', 'port "7000" ']);
    expect(text(['--save', '--port', '1'])).toEqual(['save ""', 'port "1" ']);
    expect(text(['--requirepass', '--odd--'])).toEqual(['requirepass "--odd--" ']);
    expect(text(['--port 7000'])).toEqual(['port 7000 ']);
    // Bare words: a line of their own before any --name, else more words of the line before.
    expect(text(['loglevel', 'verbose', '--port', '1', '2'])).toEqual(['"loglevel" "verbose" ', 'port "1" "2" ']);
    expect(text(['--x', 'a"b\n\u00e9'])).toEqual(['x "a\\"b\\n\\xc3\\xa9" ']);
    expect(commandLineText(['-'], true).stdin).toBe(true);
    expect(commandLineText(['-', '--port', '1'], false)).toEqual({ lines: ['"-" ', 'port "1" '], stdin: false });
    expect(commandLineText(['--port', '-'], false)).toEqual({ lines: ['port '], stdin: true });
    expect(configFromArgs(['-', '--hz', '12'], () => Buffer.from('hz 11\nport 7003\n')).config.get('hz')).toBe('12');
    expect(configFromArgs(['-', '--hz', '12'], () => Buffer.from('hz 11\nport 7003\n')).config.get('port')).toBe('7003');
    // A password read from standard input is kept as its digest, as one read from a file.
    const input = Buffer.from('requirepass stdin-secret\n');
    expect(configFromArgs(['-'], () => input).config.get('requirepass')).toMatch(/^#[0-9a-f]{64}$/);
    expect(input.every((b) => b === 0)).toBe(true);
    // One quoted word for a several-word setting is split, as redis-server 7.0 does.
    expect(configFromArgs(['--save', '900 1', '--save', '300 10']).config.get('save')).toBe('900 1 300 10');
    expect(configFromArgs(['--bind', '127.0.0.1 ::1']).config.list('bind')).toEqual(['127.0.0.1', '::1']);
    expect(configFromArgs(['--save', '']).config.get('save')).toBe('');
  });

  it('follows includes, relative to the working directory, absolute and nested, and refuses cycles', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'main.conf'), `port 7100\ninclude ${join(dir, 'a.conf')}\nhz 5\n`);
    writeFileSync(join(dir, 'a.conf'), 'include b.conf\ntimeout 9\n');
    writeFileSync(join(dir, 'b.conf'), 'hz 30\nmaxclients 77\n');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const c = loadConfigFile(new Config(), join(dir, 'main.conf'));
      expect([c.get('port'), c.get('timeout'), c.get('maxclients'), c.get('hz')]).toEqual(['7100', '9', '77', '5']);
      writeFileSync(join(dir, 'b.conf'), 'include main.conf\n');
      expect(() => loadConfigFile(new Config(), join(dir, 'main.conf'))).toThrow(/include cycle refused: .*main\.conf -> .*a\.conf -> .*b\.conf -> .*main\.conf/);
      writeFileSync(join(dir, 'b.conf'), 'include missing.conf\n');
      expect(() => loadConfigFile(new Config(), join(dir, 'main.conf'))).toThrow(/can't open config file 'missing.conf': ENOENT/);
      // A device or a directory is no config file (an include of /dev/zero would never end).
      writeFileSync(join(dir, 'b.conf'), 'include /dev/zero\ninclude /tmp\n');
      expect(() => loadConfigFile(new Config(), join(dir, 'main.conf'))).toThrow(/'\/dev\/zero': not a regular file[\s\S]*'\/tmp': not a regular file/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('expands include globs, sorted, and an empty match is fine', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '10-a.conf'), 'hz 11\n');
    writeFileSync(join(dir, '20-b.conf'), 'hz 22\n');
    writeFileSync(join(dir, 'main.conf'), `include ${dir}/*.conf.d\ninclude ${dir}/[0-9]*-?.conf\n`);
    expect(loadConfigFile(new Config(), join(dir, 'main.conf')).get('hz')).toBe('22');
  });

  it('adds later save lines to the first, and merges client-output-buffer-limit lines', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'x.conf'),
      'save 900 1\nsave 300 10\nclient-output-buffer-limit normal 0 0 0\nclient-output-buffer-limit replica 256mb 64mb 60\nclient-output-buffer-limit pubsub 1mb 1kb 7\n',
    );
    const c = loadConfigFile(new Config(), join(dir, 'x.conf'));
    expect(c.get('save')).toBe('900 1 300 10');
    expect(c.get('client-output-buffer-limit')).toBe('normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1024 7');
  });

  it('records rename-command and user lines, ignores what Redis ignores, refuses modules', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.conf'), 'rename-command CONFIG ""\nrename-command flushall wipe\nuser alice on >pw ~* +@all\nlist-max-ziplist-entries 5\n');
    const c = loadConfigFile(new Config(), join(dir, 'x.conf'));
    expect(c.renamedCommands).toEqual([['CONFIG', ''], ['flushall', 'wipe']]);
    // The password arrives as its digest (acl/secret.ts): the file's clear text never becomes a string.
    expect(c.users).toEqual([['alice', 'on', '#30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4', '~*', '+@all']]);
    expect(c.notApplied()).toEqual(['list-max-ziplist-entries']);
    writeFileSync(join(dir, 'm.conf'), 'loadmodule /x.so\nsentinel monitor a\nfoo.bar 1\n');
    expect(() => loadConfigFile(new Config(), join(dir, 'm.conf'))).toThrow(/3 problems[\s\S]*loads no modules[\s\S]*no sentinel mode[\s\S]*module settings/);
  });

  it('loads Debian\'s stock redis.conf unchanged', () => {
    const c = loadConfigFile(new Config(), '/etc/redis/redis.conf');
    expect(c.get('bind')).toBe('127.0.0.1 -::1');
    expect(c.get('daemonize')).toBe('yes');
    expect(c.notApplied()).toContain('daemonize');
    expect(c.notApplied()).not.toContain('port');
  });
});
