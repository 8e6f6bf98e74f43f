// The logger never writes command arguments or values, whatever the level or format: fields that
// could carry them are replaced by "[redacted]", at the top level and one object down. And
// openLog: JSON or pretty as log-format says, logfile created 0600 and reopened by name.

import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, LogFileError, openLog, type Logger } from '../../src/log.js';

function capture(level: string, pretty = false) {
  const lines: string[] = [];
  const log = createLogger(level, { write: (line: string) => lines.push(line) }, { pretty, colorize: false });
  return { log, lines };
}

describe('logger redaction', () => {
  it('redacts args, values, keys and fields at debug level', () => {
    const { log, lines } = capture('debug');
    log.debug(
      { client: 7, args: ['SET', 'k', 'secret-1'], value: 'secret-2', key: 'secret-3', field: 'secret-4', cmd: { args: ['secret-5'], value: 'secret-6' } },
      'command',
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ client: 7, args: '[redacted]', value: '[redacted]', key: '[redacted]', field: '[redacted]', cmd: { args: '[redacted]', value: '[redacted]' } });
    expect(lines[0]).not.toMatch(/secret-/);
  });

  it('redacts at every level, up to error', () => {
    const { log, lines } = capture('debug');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) log[level]({ values: ['secret'], argv: ['secret'] }, level);
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).toContain('[redacted]');
      expect(line).not.toContain('secret');
    }
  });

  it('maps Redis log levels: debug lines are dropped at notice', () => {
    const { log, lines } = capture('notice');
    log.debug({ args: ['x'] }, 'hidden');
    log.info('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });
});

describe('pretty format', () => {
  it('writes one human-readable line per event, with the same redaction', () => {
    const { log, lines } = capture('debug', true);
    log.debug({ client: 7, addr: '127.0.0.1:5000', args: ['SET', 'k', 'secret-1'], key: 'secret-2', cmd: { value: 'secret-3' } }, 'client accepted');
    log.warn({ values: ['secret-4'], field: 'secret-5' }, 'warned');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] DEBUG \(\d+\): client accepted \{.*"client":7,"addr":"127\.0\.0\.1:5000"/);
    expect(lines[0]!.trimEnd()).not.toContain('\n');
    expect(lines[1]).toMatch(/WARN \(\d+\): warned/);
    for (const line of lines) {
      expect(line).toContain('[redacted]');
      expect(line).not.toMatch(/secret-/);
      expect(line).not.toContain('\x1b[');
    }
  });
});

describe('openLog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-log-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const flushed = (log: Logger) => new Promise<void>((resolve, reject) => log.flush((err) => (err ? reject(err) : resolve())));
  async function until(path: string, text: string): Promise<string> {
    // After a rename the new file appears only once the asynchronous reopen has run.
    const read = () => (existsSync(path) ? readFileSync(path, 'utf8') : '');
    for (let i = 0; i < 200; i++) {
      const content = read();
      if (content.includes(text)) return content;
      await new Promise((r) => setTimeout(r, 10));
    }
    return read();
  }

  it('creates the file 0600 and writes JSON there in auto mode, even when stdout is a terminal', async () => {
    const file = join(dir, 'auto.log');
    const out = openLog('notice', file, 'auto', true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    out.log.info({ key: 'secret' }, 'first');
    await flushed(out.log);
    const line = (await until(file, 'first')).trim();
    expect(JSON.parse(line)).toMatchObject({ msg: 'first', key: '[redacted]' });
  });

  it('reopen() after the file was moved writes the next lines to a new file by that name', async () => {
    const file = join(dir, 'rotated.log');
    const out = openLog('notice', file, 'pretty');
    out.log.info('before');
    await flushed(out.log);
    await until(file, 'before');
    renameSync(file, `${file}.1`);
    out.reopen();
    out.log.info('after');
    expect(await until(file, 'after')).toMatch(/INFO \(\d+\): after/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${file}.1`, 'utf8')).not.toContain('after');
  });

  it('throws LogFileError, naming the file and the reason, when it cannot be opened', () => {
    const file = join(dir, 'missing', 'x.log');
    expect(() => openLog('notice', file, 'json')).toThrow(LogFileError);
    expect(() => openLog('notice', file, 'json')).toThrow(`Can't open the log file ${file}: ENOENT: no such file or directory`);
  });
});
