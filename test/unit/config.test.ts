import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config, ConfigError, parseArgs, parseBytes } from '../../src/config.js';

describe('Config', () => {
  it('starts from Redis defaults without any file', () => {
    const c = new Config();
    expect(c.get('port')).toBe('6379');
    expect(c.get('bind')).toBe('127.0.0.1');
    expect(c.number('databases')).toBe(16);
    expect(c.number('proto-max-bulk-len')).toBe(512 * 1024 * 1024);
    expect(c.number('client-query-buffer-limit')).toBe(1024 ** 3);
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
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-conf-'));
    const file = join(dir, 'sealkv.conf');
    writeFileSync(file, '# comment\nport 7000\nrequirepass "two words"\nsave 3600 1 300 100\n\nmaxmemory 4mb\n');
    const c = new Config(parseArgs(['--config', file, '--port', '7001', '--hz', '20']));
    expect(c.get('port')).toBe('7001');
    // Kept as its digest, never in clear (acl/secret.ts).
    expect(c.get('requirepass')).toBe('#' + createHash('sha256').update('two words').digest('hex'));
    expect(c.get('save')).toBe('3600 1 300 100');
    expect(c.get('maxmemory')).toBe(String(4 * 1024 * 1024));
    expect(c.get('hz')).toBe('20');
  });

  it('refuses unknown settings and bad values with a clear message', () => {
    expect(() => parseArgs(['--nosuch', '1'])).toThrow(/unknown option --nosuch/);
    expect(() => parseArgs(['--port'])).toThrow(/missing value for --port/);
    expect(() => new Config([['port', 'abc']])).toThrow(ConfigError);
    expect(() => new Config([['port', '70000']])).toThrow(/between 0 and 65535/);
  });

  it('CONFIG SET is all-or-nothing and uses Redis wording', () => {
    const c = new Config();
    expect(() => c.setAtRuntime([['hz', '20'], ['nosuch', '1']])).toThrow(
      "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
    );
    expect(c.get('hz')).toBe('10');
    expect(() => c.setAtRuntime([['port', '1']])).toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config",
    );
    expect(() => c.setAtRuntime([['appendonly', 'maybe']])).toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
    );
  });

  it('reports accepted settings it does not act on', () => {
    const c = new Config([['appendonly', 'yes']]);
    expect(c.notApplied()).toEqual(['appendonly']);
    const seen: string[] = [];
    c.onChange((name) => seen.push(name));
    c.setAtRuntime([['save', '900 1']]);
    expect(seen).toEqual(['save']);
    expect(c.notApplied().sort()).toEqual(['appendonly', 'save']);
  });
});
