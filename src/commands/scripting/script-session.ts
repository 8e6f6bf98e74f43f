// The connection as a script's redis.call commands see it (redis: the script's own fake client,
// which copies the caller's database, user and RESP version). Its SELECT does not change the
// caller's database (Redis 7), its commands see the time the script started (one snapshot),
// its replies go to the script's capture writer, and blocking commands answer at once in it.
//
// Why a class and not Object.create(caller): an object used as a prototype gets a map of its
// own in V8, so once every connection had run a script, each Client had a different map and
// every property read on a connection anywhere (the read loop, dispatch, flush) went
// megamorphic: at pipeline 1 that cost more CPU per request than the script itself.
//
// The caller's fields are copied when the script starts: nothing but the script's own commands
// runs on the caller while it runs, and what they write stays here (as it did with a prototype).
// What other connections' commands can change meanwhile (closed, blocked, the query buffer)
// and the connection's own actions are read from, or done on, the caller.

import type { AclUser } from '../../acl/user.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import type { Keyspace, WatchFlag } from '../../store/keyspace.js';
import type { ClientIo, QueuedCommand, ReplyMode, Server, Session } from '../types.js';

export class ScriptSession implements Session {
  // Set by reset() (the constructor calls it): the caller's fields when a script starts. The
  // times (createdAt, lastInteraction, now) start as numbers: a field declared without a value
  // starts undefined (ES2022 class fields), and V8 then boxes every double stored in it anew.
  server!: Server;
  id!: number;
  name!: string | null;
  libName!: string;
  libVersion!: string;
  addr!: string;
  laddr!: string;
  createdAt = 0;
  lastInteraction = 0;
  lastCommand!: string;
  dbIndex!: number;
  db!: Keyspace;
  authenticated!: boolean;
  aclUser!: AclUser;
  multi!: QueuedCommand[] | null;
  multiFailed!: boolean;
  watching!: { flag: WatchFlag; keys: [Keyspace, string][] } | null;
  replyMode!: ReplyMode;
  atomic!: number;
  readonly scripted = true;
  asking!: boolean;
  readonlyCluster!: boolean;
  now = 0;

  constructor(
    private caller: Session,
    readonly reply: ReplyWriter,
  ) {
    this.reset(caller);
  }

  /**
   * The session for the next script, whose caller may be another connection: one ScriptSession
   * serves every script of the server (scripts never nest), sparing an object of 25 fields per
   * EVALSHA. Every field is copied again (the constructor runs this too).
   */
  reset(caller: Session): void {
    this.caller = caller;
    this.server = caller.server;
    this.id = caller.id;
    this.name = caller.name;
    this.libName = caller.libName;
    this.libVersion = caller.libVersion;
    this.addr = caller.addr;
    this.laddr = caller.laddr;
    this.createdAt = caller.createdAt;
    this.lastInteraction = caller.lastInteraction;
    this.lastCommand = caller.lastCommand;
    this.dbIndex = caller.dbIndex;
    this.db = caller.db;
    this.authenticated = caller.authenticated;
    this.aclUser = caller.aclUser;
    this.multi = caller.multi;
    this.multiFailed = caller.multiFailed;
    this.watching = caller.watching;
    this.replyMode = caller.replyMode;
    // Blocking commands answer at once inside a script, as inside EXEC (src/blocking/).
    this.atomic = caller.atomic + 1;
    this.asking = caller.asking;
    this.readonlyCluster = caller.readonlyCluster;
    this.now = caller.now;
  }

  get user(): string {
    return this.aclUser.name;
  }

  get queryBufferBytes(): number {
    return this.caller.queryBufferBytes;
  }

  get heldBytes(): number {
    return this.caller.heldBytes;
  }

  set heldBytes(bytes: number) {
    this.caller.heldBytes = bytes;
  }

  get noEvict(): boolean {
    return this.caller.noEvict;
  }

  set noEvict(on: boolean) {
    this.caller.noEvict = on;
  }

  get replicaLink(): boolean {
    return this.caller.replicaLink;
  }

  set replicaLink(on: boolean) {
    this.caller.replicaLink = on;
  }

  get blocked(): boolean {
    return this.caller.blocked;
  }

  get closed(): boolean {
    return this.caller.closed;
  }

  get closedSignal(): AbortSignal {
    return this.caller.closedSignal;
  }

  closeAfterReply(): void {
    this.caller.closeAfterReply();
  }

  kill(): void {
    this.caller.kill();
  }

  wake(): void {
    this.caller.wake();
  }

  ioStats(): ClientIo {
    return this.caller.ioStats();
  }
}
