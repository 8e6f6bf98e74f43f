// No password outlives the command that carried it: random marker passwords go in through
// every path that sets or presents one (ACL SETUSER > and <, AUTH, HELLO AUTH, failed logins,
// ACL DRYRUN, MULTI, CONFIG SET requirepass, requirepass in a config file or on the command
// line, an ACL file read at start and by ACL LOAD), each is used to log in, then every readable mapping of the live server process is
// searched for them. Only SHA-256 digests may remain. A key name kept in plaintext on purpose
// is the positive control that the scan finds what is there.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanProcessMemory } from '../helpers/memory-scan.js';
import { ReplyConnection } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const sha = (m: Buffer) => createHash('sha256').update(m).digest('hex');
const str = (m: Buffer) => m.toString('latin1');

/** Sends commands on a fresh connection; returns the replies. */
async function session(port: number, ...commands: (string | Buffer)[][]): Promise<string[]> {
  const c = await ReplyConnection.open(port);
  try {
    const out: string[] = [];
    for (const cmd of commands) out.push(await c.send(cmd.map((a) => (Buffer.isBuffer(a) ? str(a) : a))));
    return out;
  } finally {
    c.close();
  }
}

/** Scans the server for every marker of every path; fails naming the paths that left copies. */
async function expectNoCopies(server: SpawnedServer, paths: Record<string, Buffer[]>): Promise<void> {
  // Control: key names are plaintext without --seal-keys, so this one must be found.
  const [control] = makeMarkers(1, 'SKVKEYNAME-');
  expect(await session(server.port, ['AUTH', 'admin', 'admin-pw'], ['SET', str(control!), 'x'])).toEqual(['+OK\r\n', '+OK\r\n']);
  const names = Object.keys(paths);
  const markers = names.flatMap((n) => paths[n]!);
  const owner = names.flatMap((n) => paths[n]!.map(() => n));
  const result = scanProcessMemory(server.process.pid!, [...markers, control!]);
  expect(result.bytesScanned).toBeGreaterThan(10 * 1024 * 1024);
  expect(result.hits.filter((h) => h.marker === markers.length).length, 'the plaintext key name (control) is found').toBeGreaterThan(0);
  const leaks = result.hits.filter((h) => h.marker < markers.length);
  if (leaks.length > 0) console.error(`${leaks.length} password copies found:\n${describeHits(leaks, markers)}`);
  expect([...new Set(leaks.map((h) => owner[h.marker]))].sort()).toEqual([]);
}

/** A user every test logs in as to plant the control (its password is no marker). */
const ADMIN_RULE = 'user admin on >admin-pw ~* &* +@all';

describe('process memory after passwords went through every path', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-pw-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commands: ACL SETUSER, AUTH, HELLO AUTH, failed logins, CONFIG SET requirepass', async () => {
    const m = (n: number, p: string) => makeMarkers(n, p);
    const paths = {
      'ACL SETUSER >pw': m(3, 'SKVPW-SET-'),
      'ACL SETUSER <pw': m(3, 'SKVPW-DEL-'),
      'ACL SETUSER <pw not set (error)': m(3, 'SKVPW-NODEL-'),
      'ACL SETUSER >pw with a bad rule after it': m(3, 'SKVPW-BADRULE-'),
      'ACL SETUSER >pw beside selectors': m(3, 'SKVPW-SELECTORS-'),
      'ACL SETUSER >pw inside a selector (error)': m(3, 'SKVPW-INSEL-'),
      'ACL SETUSER >pw inside a selector spread over arguments (error)': m(3, 'SKVPW-SPREAD-'),
      AUTH: m(3, 'SKVPW-AUTH-'),
      'AUTH, wrong password': m(3, 'SKVPW-WRONG-'),
      'HELLO AUTH': m(3, 'SKVPW-HELLO-'),
      'HELLO AUTH, wrong password': m(3, 'SKVPW-HWRONG-'),
      'CONFIG SET requirepass': m(3, 'SKVPW-CONFIG-'),
      'inline AUTH': m(3, 'SKVPW-INLINE-'),
      'ACL DRYRUN ... AUTH': m(3, 'SKVPW-DRYRUN-'),
      'AUTH split across reads': m(3, 'SKVPW-SPLIT-'),
      'queued in MULTI (ACL SETUSER >pw, AUTH)': m(3, 'SKVPW-MULTI-'),
    };
    const server = await spawnServer(['--requirepass', 'boot-pw']);
    try {
      const port = server.port;
      await session(port, ['AUTH', 'boot-pw'], ['ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all']);
      const admin = (...cmds: (string | Buffer)[][]) => session(port, ['AUTH', 'admin', 'admin-pw'], ...cmds);
      for (const [i, pw] of paths['ACL SETUSER >pw'].entries()) {
        expect(await admin(['ACL', 'SETUSER', `u${i}`, 'on', `>${str(pw)}`, '~*', '+@all'])).toEqual(['+OK\r\n', '+OK\r\n']);
        expect(await session(port, ['AUTH', `u${i}`, pw])).toEqual(['+OK\r\n']);
      }
      for (const [i, pw] of paths['ACL SETUSER <pw'].entries()) {
        expect(await admin(['ACL', 'SETUSER', `d${i}`, 'on', `>${str(pw)}`, '>other'], ['ACL', 'SETUSER', `d${i}`, `<${str(pw)}`])).toEqual(['+OK\r\n', '+OK\r\n', '+OK\r\n']);
        expect(await session(port, ['AUTH', `d${i}`, pw])).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.\r\n']);
      }
      for (const pw of paths['ACL SETUSER <pw not set (error)']) {
        const [, reply] = await admin(['ACL', 'SETUSER', 'd0', `<${str(pw)}`]);
        expect(reply).toBe(`-ERR Error in ACL SETUSER modifier '<${str(pw)}': The password you are trying to remove from the user does not exist\r\n`);
      }
      for (const pw of paths['ACL SETUSER >pw with a bad rule after it']) {
        const [, reply] = await admin(['ACL', 'SETUSER', 'b0', `>${str(pw)}`, 'bogus']);
        expect(reply).toBe("-ERR Error in ACL SETUSER modifier 'bogus': Syntax error\r\n");
      }
      for (const [i, pw] of paths['ACL SETUSER >pw beside selectors'].entries()) {
        expect(await admin(['ACL', 'SETUSER', `sel${i}`, '(~a', '+get)', 'on', `>${str(pw)}`, '(+ping)'])).toEqual(['+OK\r\n', '+OK\r\n']);
        expect(await session(port, ['AUTH', `sel${i}`, pw], ['PING'])).toEqual(['+OK\r\n', '+PONG\r\n']);
      }
      for (const pw of paths['ACL SETUSER >pw inside a selector (error)']) {
        const [, reply] = await admin(['ACL', 'SETUSER', 'is0', `(~a >${str(pw)} +get)`]);
        expect(reply).toBe(`-ERR Error in ACL SETUSER modifier '(~a >${str(pw)} +get)': Syntax error\r\n`);
      }
      for (const pw of paths['ACL SETUSER >pw inside a selector spread over arguments (error)']) {
        const [, reply] = await admin(['ACL', 'SETUSER', 'is1', '(~a', `<${str(pw)}`, '+get)']);
        expect(reply).toBe(`-ERR Error in ACL SETUSER modifier '(~a <${str(pw)} +get)': Syntax error\r\n`);
      }
      for (const [i, pw] of paths.AUTH.entries()) {
        await admin(['ACL', 'SETUSER', `a${i}`, 'on', `#${sha(pw)}`, '+@all']);
        expect(await session(port, ['AUTH', `a${i}`, pw], ['PING'])).toEqual(['+OK\r\n', '+PONG\r\n']);
      }
      for (const pw of paths['AUTH, wrong password']) {
        expect(await session(port, ['AUTH', 'a0', pw])).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.\r\n']);
        expect(await session(port, ['AUTH', pw])).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.\r\n']);
      }
      for (const [i, pw] of paths['HELLO AUTH'].entries()) {
        await admin(['ACL', 'SETUSER', `h${i}`, 'on', `#${sha(pw)}`, '+@all']);
        const [reply] = await session(port, ['HELLO', '3', 'AUTH', `h${i}`, pw]);
        expect(reply![0]).toBe('%');
      }
      for (const pw of paths['HELLO AUTH, wrong password']) {
        expect(await session(port, ['HELLO', '3', 'AUTH', 'h0', pw])).toEqual(['-WRONGPASS invalid username-password pair or user is disabled.\r\n']);
      }
      for (const pw of paths['CONFIG SET requirepass']) {
        expect(await admin(['CONFIG', 'SET', 'requirepass', pw])).toEqual(['+OK\r\n', '+OK\r\n']);
        expect(await session(port, ['AUTH', pw], ['AUTH', 'default', pw])).toEqual(['+OK\r\n', '+OK\r\n']);
      }
      for (const [i, pw] of paths['inline AUTH'].entries()) {
        await admin(['ACL', 'SETUSER', `i${i}`, 'on', `#${sha(pw)}`, '+@all']);
        const c = await ReplyConnection.open(port);
        expect(await c.sendRaw(Buffer.from(`AUTH i${i} ${str(pw)}\r\n`, 'latin1'))).toBe('+OK\r\n');
        c.close();
      }
      for (const [i, pw] of paths['AUTH split across reads'].entries()) {
        await admin(['ACL', 'SETUSER', `s${i}`, 'on', `#${sha(pw)}`, '+@all']);
        const whole = encodeCommand(['AUTH', `s${i}`, pw]);
        const c = await ReplyConnection.open(port);
        // The parser keeps the first half in a buffer of its own until the rest arrives.
        expect(await c.sendRaw(whole.subarray(0, whole.length - 12), 200)).toBe('<timeout>');
        expect(await c.sendRaw(whole.subarray(whole.length - 12))).toBe('+OK\r\n');
        c.close();
      }
      for (const pw of paths['ACL DRYRUN ... AUTH']) {
        expect(await admin(['ACL', 'DRYRUN', 'admin', 'AUTH', 'admin', pw])).toEqual(['+OK\r\n', '+OK\r\n']);
      }
      for (const [i, pw] of paths['queued in MULTI (ACL SETUSER >pw, AUTH)'].entries()) {
        expect(await admin(['MULTI'], ['ACL', 'SETUSER', `m${i}`, 'on', `>${str(pw)}`, '+@all'], ['AUTH', `m${i}`, pw], ['EXEC'])).toEqual([
          '+OK\r\n', '+OK\r\n', '+QUEUED\r\n', '+QUEUED\r\n', '*2\r\n+OK\r\n+OK\r\n',
        ]);
      }
      await expectNoCopies(server, paths);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('start-up and files: requirepass in a config file, an ACL file at start and by ACL LOAD', async () => {
    const paths = {
      'requirepass in a config file': makeMarkers(1, 'SKVPW-CONFFILE-'),
      'ACL file at start': makeMarkers(3, 'SKVPW-ACLFILE-'),
      'ACL LOAD': makeMarkers(3, 'SKVPW-ACLLOAD-'),
    };
    const aclfile = join(dir, 'users.acl');
    const users = (pws: Buffer[], prefix: string) => pws.map((pw, i) => `user ${prefix}${i} on >${str(pw)} ~* +@all\n`).join('');
    writeFileSync(aclfile, `${ADMIN_RULE}\n${users(paths['ACL file at start'], 'f')}`, { mode: 0o600 });
    const conf = join(dir, 'sealkv.conf');
    writeFileSync(conf, `requirepass "${str(paths['requirepass in a config file'][0]!)}"\n`, { mode: 0o600 });
    const withConf = await spawnServer(['--config', conf]);
    const withAclFile = await spawnServer(['--aclfile', aclfile]);
    try {
      expect(await session(withConf.port, ['AUTH', paths['requirepass in a config file'][0]!], ['ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all'])).toEqual(['+OK\r\n', '+OK\r\n']);
      for (const [i, pw] of paths['ACL file at start'].entries()) expect(await session(withAclFile.port, ['AUTH', `f${i}`, pw])).toEqual(['+OK\r\n']);
      writeFileSync(aclfile, `${ADMIN_RULE}\n${users(paths['ACL LOAD'], 'l')}`, { mode: 0o600 });
      expect(await session(withAclFile.port, ['AUTH', 'admin', 'admin-pw'], ['ACL', 'LOAD'])).toEqual(['+OK\r\n', '+OK\r\n']);
      for (const [i, pw] of paths['ACL LOAD'].entries()) expect(await session(withAclFile.port, ['AUTH', `l${i}`, pw])).toEqual(['+OK\r\n']);
      await expectNoCopies(withConf, { 'requirepass in a config file': paths['requirepass in a config file'] });
      await expectNoCopies(withAclFile, { 'ACL file at start': paths['ACL file at start'], 'ACL LOAD': paths['ACL LOAD'] });
    } finally {
      await Promise.all([withConf.stop(), withAclFile.stop()]);
    }
  }, 120_000);
  it('command line: a clear --requirepass is hidden from ps and warned about; the #<sha256> form leaves no copy', async () => {
    const [clear, hashed] = [makeMarkers(1, 'SKVPW-ARGV-')[0]!, makeMarkers(1, 'SKVPW-ARGVHASH-')[0]!];
    const inClear = await spawnServer(['--requirepass', str(clear)]);
    const digest = await spawnServer(['--requirepass', `#${sha(hashed)}`]);
    try {
      expect(await session(inClear.port, ['AUTH', clear], ['CONFIG', 'GET', 'requirepass'])).toEqual([
        '+OK\r\n',
        `*2\r\n$11\r\nrequirepass\r\n$65\r\n#${sha(clear)}\r\n`,
      ]);
      // Every local user can read /proc/PID/cmdline (ps): it no longer shows the password.
      const cmdline = readFileSync(`/proc/${inClear.process.pid}/cmdline`);
      expect(cmdline.includes(clear)).toBe(false);
      // What it shows is the process title, as Redis's (proc-title-template): '<script> 127.0.0.1:<port>'.
      expect(cmdline.toString('latin1')).toMatch(new RegExp(`sealkv\\.js 127\\.0\\.0\\.1:${inClear.port}\\0`));
      expect(await inClear.waitForOutput('--requirepass was given in clear on the command line')).toBe(true);
      // Node's own copies of argv stay (README, Secure deployment); the digest form has none to leave.
      expect(await session(digest.port, ['AUTH', hashed], ['ACL', 'SETUSER', 'admin', 'on', '>admin-pw', '~*', '&*', '+@all'])).toEqual(['+OK\r\n', '+OK\r\n']);
      expect(digest.output()).not.toContain('given in clear');
      await expectNoCopies(digest, { '--requirepass #<sha256>': [hashed] });
    } finally {
      await Promise.all([inClear.stop(), digest.stop()]);
    }
  }, 120_000);
});
