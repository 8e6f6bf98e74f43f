// redlock 5 ships types its package.json "exports" does not point at (NodeNext resolution cannot
// find them); the little the tests use, declared here.
declare module 'redlock' {
  import type { Redis } from 'ioredis';
  export interface Lock {
    readonly value: string;
    extend(duration: number): Promise<Lock>;
    release(): Promise<unknown>;
  }
  export default class Redlock {
    constructor(clients: Iterable<Redis>, settings?: { retryCount?: number; retryDelay?: number; driftFactor?: number });
    acquire(resources: string[], duration: number): Promise<Lock>;
  }
}
