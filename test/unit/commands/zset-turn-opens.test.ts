// The turn's kept sorted-set members (src/commands/zsets/zset-turn-opens.ts) alone: found only for the
// sealed string, database and key they were kept for; bounded; gone after the turn's settle or
// when another server's sealer uses them.

import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { copyTurnOpen, keepTurnOpen, settleTurnOpens, turnOpenCount, useTurnOpens } from '../../../src/commands/zsets/zset-turn-opens.js';

/** A stand-in for a sealed member: header, random nonce, then anything (only its identity matters here). */
function sealedLike(): string {
  return '\x01\x00\x00\x00\x07' + randomBytes(40).toString('latin1');
}

const owner = {};
afterEach(() => settleTurnOpens());

function found(sealed: string, db: number, key: string, length: number): Buffer | null {
  const out = Buffer.alloc(length);
  return copyTurnOpen(sealed, db, key, length, out, 0) ? out : null;
}

describe('members kept for the turn', () => {
  it('are found for their sealed string, database and key only', () => {
    useTurnOpens(owner);
    const s = sealedLike();
    keepTurnOpen(s, 3, 'board', Buffer.from('..alice..'), 2, 5);
    expect(found(s, 3, 'board', 5)).toEqual(Buffer.from('alice'));
    // The same content in another string object is the same sealed member.
    expect(found(Buffer.from(s, 'latin1').toString('latin1'), 3, 'board', 5)).toEqual(Buffer.from('alice'));
    expect(found(s, 4, 'board', 5)).toBeNull();
    expect(found(s, 3, 'board2', 5)).toBeNull();
    expect(found(sealedLike(), 3, 'board', 5)).toBeNull();
  });

  it('keep one entry per binding: the same sealed string kept for two keys answers each with its own', () => {
    useTurnOpens(owner);
    const s = sealedLike();
    keepTurnOpen(s, 0, 'a', Buffer.from('one'), 0, 3);
    keepTurnOpen(s, 0, 'b', Buffer.from('two'), 0, 3);
    keepTurnOpen(s, 0, 'a', Buffer.from('xxx'), 0, 3);
    expect(turnOpenCount()).toBe(2);
    expect(found(s, 0, 'a', 3)).toEqual(Buffer.from('one'));
    expect(found(s, 0, 'b', 3)).toEqual(Buffer.from('two'));
  });

  it('are gone after the settle, and when another sealer takes over', () => {
    useTurnOpens(owner);
    const s = sealedLike();
    keepTurnOpen(s, 0, 'k', Buffer.from('secret'), 0, 6);
    settleTurnOpens();
    expect(turnOpenCount()).toBe(0);
    expect(found(s, 0, 'k', 6)).toBeNull();
    keepTurnOpen(s, 0, 'k', Buffer.from('secret'), 0, 6);
    useTurnOpens(owner);
    expect(turnOpenCount()).toBe(1);
    useTurnOpens({});
    expect(turnOpenCount()).toBe(0);
    expect(found(s, 0, 'k', 6)).toBeNull();
  });

  it('stop at 256 members and at 16 KiB of plaintext', () => {
    useTurnOpens(owner);
    const members = Array.from({ length: 300 }, sealedLike);
    for (const s of members) keepTurnOpen(s, 0, 'k', Buffer.from('m'), 0, 1);
    expect(turnOpenCount()).toBe(256);
    expect(found(members[255]!, 0, 'k', 1)).toEqual(Buffer.from('m'));
    expect(found(members[256]!, 0, 'k', 1)).toBeNull();
    settleTurnOpens();
    const big = Buffer.alloc(1000, 0x61);
    for (const s of members.slice(0, 20)) keepTurnOpen(s, 0, 'k', big, 0, 1000);
    expect(turnOpenCount()).toBe(16);
  });

  it("keep the member order's at most 1,024 members and 16 KiB in a share of their own, which ranges' keeps do not use up", () => {
    useTurnOpens(owner);
    const members = Array.from({ length: 1400 }, sealedLike);
    for (const s of members.slice(0, 1100)) keepTurnOpen(s, 0, 'k', Buffer.from('c'), 0, 1, true);
    expect(turnOpenCount()).toBe(1024);
    expect(found(members[1023]!, 0, 'k', 1)).toEqual(Buffer.from('c'));
    expect(found(members[1024]!, 0, 'k', 1)).toBeNull();
    for (const s of members.slice(1100)) keepTurnOpen(s, 0, 'k', Buffer.from('r'), 0, 1);
    expect(turnOpenCount()).toBe(1024 + 256);
    expect(found(members[1100]!, 0, 'k', 1)).toEqual(Buffer.from('r'));
    expect(found(members[1023]!, 0, 'k', 1)).toEqual(Buffer.from('c'));
    settleTurnOpens();
    expect(found(members[1023]!, 0, 'k', 1)).toBeNull();
    const big = Buffer.alloc(1000, 0x62);
    for (const s of members.slice(0, 20)) keepTurnOpen(s, 0, 'k', big, 0, 1000, true);
    expect(turnOpenCount()).toBe(16);
    for (const s of members.slice(20, 40)) keepTurnOpen(s, 0, 'k', big, 0, 1000);
    expect(turnOpenCount()).toBe(32);
  });
});
