// The logger never writes command arguments or values, whatever the level: fields that could
// carry them are replaced by "[redacted]", at the top level and one object down.

import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture(level: string) {
  const lines: string[] = [];
  const log = createLogger(level, { write: (line: string) => lines.push(line) });
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
