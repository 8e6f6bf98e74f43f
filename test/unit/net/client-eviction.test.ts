// The connections' share of the memory count (MemoryAccount.clientResized) and client eviction
// (ClientEviction) on their own: which sums a connection's memory lands in as its kind changes,
// which connections go first, and the limit read from maxmemory-clients.

import { describe, expect, it } from 'vitest';
import { Config } from '../../../src/config.js';
import { ClientEviction, type EvictableClient } from '../../../src/net/client-eviction.js';
import { ClientKind, MemoryAccount, type ClientMemory } from '../../../src/store/memory.js';

const NONE: ClientMemory = { total: 0, input: 0, output: 0 };

/** A connection as the account sees it: resize() moves its memory and kind, as Client.recount does. */
class FakeClient implements EvictableClient {
  closed = false;
  memory: ClientMemory = NONE;
  kind = ClientKind.Evictable;
  constructor(
    readonly id: number,
    private readonly account: MemoryAccount,
  ) {}
  get evictable(): boolean {
    return this.kind === ClientKind.Evictable;
  }
  get memoryTotal(): number {
    return this.memory.total;
  }
  resize(total: number, kind = this.kind, output = 0): void {
    const next = { total, input: total - output, output };
    this.account.clientResized(this.memory, this.kind, next, kind);
    this.memory = next;
    this.kind = kind;
  }
  evict(): void {
    this.account.clientResized(this.memory, this.kind, NONE, this.kind);
    this.closed = true;
  }
}

function setup(limit: string, maxmemory = '0') {
  const config = new Config();
  config.setAtRuntime([['maxmemory', maxmemory], ['maxmemory-clients', limit]]);
  const account = new MemoryAccount();
  const clients: FakeClient[] = [];
  const stats = { evictedClients: 0 };
  const eviction = new ClientEviction(config, account, () => clients, stats, () => {});
  const add = (total: number, kind = ClientKind.Evictable) => {
    const c = new FakeClient(clients.length + 1, account);
    c.resize(total, kind);
    clients.push(c);
    return c;
  };
  return { config, account, clients, stats, eviction, add };
}

describe('MemoryAccount.clientResized', () => {
  it('keeps used, the normal and evictable sums and the not-counted output in step as a connection changes kind', () => {
    const { account, add } = setup('0');
    const c = add(1000);
    expect([account.used, account.clients, account.clientsNormal, account.clientsEvictable, account.notCounted]).toEqual([1000, 1000, 1000, 1000, 0]);
    c.resize(1500, ClientKind.Kept);
    expect([account.used, account.clientsNormal, account.clientsEvictable]).toEqual([1500, 1500, 0]);
    c.resize(4000, ClientKind.Replica, 3000);
    expect([account.used, account.clientsNormal, account.clientsEvictable, account.notCounted]).toEqual([4000, 0, 0, 3000]);
    c.evict();
    expect([account.used, account.clients, account.clientsNormal, account.clientsEvictable, account.notCounted]).toEqual([0, 0, 0, 0, 0]);
  });

  it('remembers the largest input and output buffers of the last 8 seconds', () => {
    const { account } = setup('0');
    account.tickSecond(100);
    account.notePeaks({ total: 0, input: 5000, output: 7000 });
    for (let s = 101; s < 107; s++) account.tickSecond(s);
    expect(account.recentMax()).toEqual({ input: 5000, output: 7000 });
    account.tickSecond(107);
    account.tickSecond(108);
    expect(account.recentMax()).toEqual({ input: 0, output: 0 });
  });
});

describe('ClientEviction', () => {
  it('closes the largest evictable connections until the normal ones are under the limit', () => {
    const { account, stats, eviction, add } = setup('1mb');
    const small = add(100_000);
    const kept = add(600_000, ClientKind.Kept);
    const big = add(500_000);
    const middle = add(300_000);
    expect(eviction.over).toBe(true);
    expect(eviction.check()).toBe(1);
    expect([big.closed, middle.closed, small.closed, kept.closed]).toEqual([true, false, false, false]);
    expect(account.clientsNormal).toBe(1_000_000);
    expect(eviction.over).toBe(false);
    expect(stats.evictedClients).toBe(1);
  });

  it('evicts every evictable connection when NO-EVICT ones alone are over, then stops looking', () => {
    const { eviction, add } = setup('200kb');
    add(300_000, ClientKind.Kept);
    const a = add(20_000);
    expect(eviction.check()).toBe(1);
    expect(a.closed).toBe(true);
    expect(eviction.over).toBe(false);
  });

  it('reads bytes, a percentage of maxmemory (none without maxmemory), 0 as off, and keeps a 128 KiB floor', () => {
    expect(setup('0').eviction.limit).toBe(Infinity);
    expect(setup('3000000').eviction.limit).toBe(3_000_000);
    expect(setup('1000').eviction.limit).toBe(128 * 1024);
    expect(setup('7%', '6mb').eviction.limit).toBe(Math.floor((6 * 1024 * 1024 * 7) / 100));
    expect(setup('7%').eviction.limit).toBe(Infinity);
    const { config, eviction, add } = setup('0');
    const c = add(400_000);
    config.setAtRuntime([['maxmemory-clients', '200kb']]);
    expect(c.closed).toBe(true);
    expect(eviction.limit).toBe(200 * 1024);
  });
});
