// The bind list as Redis 7 reads it, and which listen errors an optional address may skip.

import { describe, expect, it } from 'vitest';
import { isAddressUnavailable, parseBindList } from '../../../src/net/address.js';

describe('parseBindList', () => {
  it('reads Redis 7 default `bind 127.0.0.1 -::1`: the `-` marks an optional address', () => {
    expect(parseBindList('127.0.0.1 -::1')).toEqual([
      { host: '127.0.0.1', word: '127.0.0.1', optional: false },
      { host: '::1', word: '::1', optional: true },
    ]);
  });

  it('maps * and ::* to every IPv4 and IPv6 address, and ignores extra spaces and a lone -', () => {
    expect(parseBindList('  * -::*  - ').map((b) => [b.host, b.optional])).toEqual([
      ['0.0.0.0', false],
      ['::', true],
    ]);
  });
});

describe('isAddressUnavailable', () => {
  it('is true for a missing address or family, false for a port in use or a permission error', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(isAddressUnavailable(err('EADDRNOTAVAIL'))).toBe(true);
    expect(isAddressUnavailable(err('EAFNOSUPPORT'))).toBe(true);
    expect(isAddressUnavailable(err('EADDRINUSE'))).toBe(false);
    expect(isAddressUnavailable(err('EACCES'))).toBe(false);
  });
});
