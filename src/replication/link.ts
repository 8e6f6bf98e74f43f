// The replica's side (redis replication.c: connectWithMaster, syncWithMaster,
// slaveTryPartialResynchronization, readSyncBulkPayload, replicationCron): one connection to the
// master, the handshake with Redis's command names (PING, AUTH, REPLCONF listening-port / capa,
// PSYNC) plus sealkv's master-key proof (replication/key-proof.ts) in AUTH's place, the full
// copy, then the stream of records applied to the databases and fed to this node's own backlog, so it can
// serve PSYNC itself once promoted. Reconnects once a second while the link is down.

import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { checkSnapshotHeader, loadSnapshotSliced } from '../persistence/snapshot.js';
import { keyProof } from './key-proof.js';
import { command, LinkError } from './records.js';
import { LinkReader, type LinkItem } from './resp-reader.js';
import type { Replication } from './index.js';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

/** How long one slice of a full copy's load runs before clients get their turn (LOADING replies). */
const LOAD_SLICE_MS = 10;

export class MasterLink {
  state: LinkState = 'connect';
  private socket: Socket | null = null;
  private reader = new LinkReader();
  private expect: ((line: string) => void) | null = null;
  /** Unix ms of the last byte from the master. */
  lastIo = 0;
  /** Unix ms when the link went down (0: never up). */
  downSince: number;
  /** The full copy's snapshot chunks, while it is being received. */
  private snapshot: Buffer[] = [];
  /** Bytes of the full copy received so far (INFO master_sync_read_bytes). */
  syncBytes = 0;
  /** Why the last attempt failed (INFO master_link_error, logs). */
  lastError = '';
  /**
   * True while the full copy is being loaded, a slice per event-loop turn: clients get LOADING
   * meanwhile (dispatch.ts), and the stream that follows the copy waits in the reader.
   */
  loading = false;
  private stopped = false;

  constructor(
    private readonly repl: Replication,
    readonly host: string,
    readonly port: number,
  ) {
    this.downSince = Date.now();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
    this.socket = null;
  }

  /**
   * The link as the client of type master it is in Redis (CLIENT KILL TYPE master / ADDR on a
   * replica): its peer's address, and its local one; null while no connection is open.
   */
  get addresses(): { addr: string; laddr: string } | null {
    const s = this.socket;
    if (s === null || s.remoteAddress === undefined) return null;
    return { addr: `${s.remoteAddress}:${s.remotePort}`, laddr: `${s.localAddress}:${s.localPort}` };
  }

  /** CLIENT KILL of the master link: dropped, and the cron reconnects (a partial resync when it can). */
  kill(): void {
    this.fail('Connection with master lost (killed by CLIENT KILL)');
  }

  /** Called once a second (replicationCron): connects when down, acks when up, times out a silent master. */
  cron(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.state === 'connect') return this.connect();
    // Loading the copy is our own work, not a silent master.
    if (this.loading) return;
    const timeout = this.repl.server.config.number('repl-timeout') * 1000;
    if (now - this.lastIo > timeout) {
      // Redis's wording: log watchers (and Redis's tests) look for these.
      this.fail(this.state === 'connected' ? 'MASTER timeout: no data nor PING received...' : 'Timeout connecting to the MASTER...');
      return;
    }
    if (this.state === 'connected') this.sendAck();
  }

  private connect(): void {
    this.state = 'connecting';
    this.reader = new LinkReader();
    this.lastIo = Date.now();
    const config = this.repl.server.config;
    // bind-source-addr: the address this side connects from (Redis 7.0 connectWithMaster).
    const source = config.get('bind-source-addr');
    const from = source === '' ? {} : { localAddress: source };
    let socket: Socket;
    try {
      if (config.flag('tls-replication')) {
        const cert = config.get('tls-client-cert-file') || config.get('tls-cert-file');
        const key = config.get('tls-client-key-file') || config.get('tls-key-file');
        const ca = config.get('tls-ca-cert-file');
        socket = tlsConnect({
          host: this.host,
          port: this.port,
          ...from,
          ...(cert ? { cert: readFileSync(cert) } : {}),
          ...(key ? { key: readFileSync(key) } : {}),
          ...(ca ? { ca: readFileSync(ca) } : {}),
          // Redis checks the chain, not the name: masters are often addressed by IP.
          checkServerIdentity: () => undefined,
          minVersion: 'TLSv1.2',
        });
        socket.once('secureConnect', () => this.handshake());
      } else {
        socket = netConnect({ host: this.host, port: this.port, ...from });
        socket.once('connect', () => this.handshake());
      }
    } catch (err) {
      this.fail(`cannot connect to the MASTER: ${(err as Error).message}`);
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(`link error ${err.code ?? err.message}`, socket));
    socket.on('close', () => this.fail('connection lost', socket));
  }

  private send(...parts: (string | Buffer)[]): void {
    this.socket?.write(command(...parts));
  }

  private sendAck(): void {
    this.send('REPLCONF', 'ACK', String(this.repl.offset));
  }

  /** The handshake, one step per reply (redis syncWithMaster's states). */
  private handshake(): void {
    this.state = 'handshake';
    const then = (next: (line: string) => void) => (this.expect = next);
    this.send('PING');
    then((pong) => {
      // Redis accepts the auth errors here (AUTH comes next; here the key check stands for it).
      if (pong.startsWith('-') && !pong.startsWith('-NOAUTH') && !pong.startsWith('-NOPERM') && !pong.startsWith('-ERR operation not permitted')) {
        return this.fail(`error reply to PING from master: '${pong}'`);
      }
      // The key proof comes first, where Redis sends AUTH: a master that wants a password
      // (requirepass, or a default user turned off) refuses REPLCONF listening-port and
      // ip-address before it, and would then list this replica at port 0 in INFO, where
      // Sentinel finds replicas. No AUTH: sealkv keeps masterauth only as a digest (it never
      // holds a password); only a holder of the master key can answer the master's challenge,
      // and such a node could open every value anyway (replication/key-proof.ts).
      this.send('REPLCONF', 'sealkv-challenge', 'key');
      then((challenge) => {
        const proof = keyProof(this.repl.server.transport, challenge);
        if (proof === null) {
          const reason = challenge.startsWith('-') ? challenge.slice(1) : `unexpected reply '${challenge.slice(0, 100)}'`;
          return this.fail(`MASTER refused the key challenge: ${reason}`, this.socket, true);
        }
        this.send('REPLCONF', 'sealkv-key', proof);
        then((keyReply) => this.afterKeyProof(keyReply));
      });
    });
  }

  /** The handshake after the master took (or refused) the key proof: announce, capabilities, PSYNC. */
  private afterKeyProof(keyReply: string): void {
    if (!keyReply.startsWith('+')) {
      const reason = keyReply.startsWith('-') ? keyReply.slice(1) : keyReply;
      return this.fail(`MASTER refused the sync: ${reason}`, this.socket, true);
    }
    const config = this.repl.server.config;
    const then = (next: (line: string) => void) => (this.expect = next);
    const announced = config.number('replica-announce-port') || this.repl.server.tcpPort;
    this.send('REPLCONF', 'listening-port', String(announced));
    then(() => {
      const ip = config.get('replica-announce-ip');
      const afterIp = (): void => {
        this.send('REPLCONF', 'capa', 'eof', 'capa', 'psync2');
        then(() => this.psync());
      };
      if (ip !== '') {
        this.send('REPLCONF', 'ip-address', ip);
        then(afterIp);
      } else afterIp();
    });
  }

  private psync(): void {
    const repl = this.repl;
    // A node that has a history (it was a master, or a replica of this lineage) offers it.
    const replid = repl.cachedHistory ? repl.replid : '?';
    const offset = repl.cachedHistory ? repl.offset + 1 : -1;
    // A primary handing over (FAILOVER) asks its chosen replica to take its place.
    const handover = repl.failover.state === 'failover-in-progress';
    if (handover) this.send('PSYNC', replid, String(offset), 'FAILOVER');
    else this.send('PSYNC', replid, String(offset));
    this.expect = (reply) => {
      if (handover && (reply.startsWith('+FULLRESYNC') || reply.startsWith('+CONTINUE'))) repl.failover.succeeded();
      if (reply.startsWith('+FULLRESYNC')) {
        const [, id, off] = reply.split(' ');
        if (id === undefined || off === undefined || !/^\d+$/.test(off)) return this.fail(`bad +FULLRESYNC reply '${reply}'`);
        this.state = 'sync';
        this.snapshot = [];
        this.syncBytes = 0;
        repl.beginFullSync(id);
        this.expect = null;
        return;
      }
      if (reply.startsWith('+CONTINUE')) {
        const id = reply.split(' ')[1];
        repl.continued(id);
        this.state = 'connected';
        this.expect = null;
        this.sendAck();
        this.repl.server.log.info({ master: `${this.host}:${this.port}` }, 'MASTER <-> REPLICA sync: master accepted a partial resynchronization');
        return;
      }
      // The target refused to take over: this node is a primary again (redis abortFailover).
      if (handover) return repl.failover.abort('Failover target rejected psync request');
      this.fail(`unexpected reply to PSYNC from master: '${reply}'`);
    };
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.lastIo = Date.now();
    this.reader.push(chunk);
    this.drain(socket);
  }

  /** Applies what the reader holds, unless the full copy is still loading (it drains after). */
  private drain(socket: Socket): void {
    let applied = false;
    try {
      for (;;) {
        if (this.socket !== socket || this.loading) return;
        const item = this.reader.next();
        if (item === null) break;
        if (this.state === 'handshake' || this.state === 'connecting') {
          if (item.type !== 'line') throw new LinkError('unexpected data during the handshake');
          if (item.text === '') continue;
          const expect = this.expect;
          this.expect = null;
          expect?.(item.text);
          continue;
        }
        if (item.type === 'line') {
          // Newlines a master sends as keep-alives while it prepares a copy.
          if (item.text === '') continue;
          throw new LinkError(`unexpected line on the replication stream: '${item.text.slice(0, 64)}'`);
        }
        applied = true;
        if (this.state === 'sync') this.applySync(item);
        else this.applyStream(item);
      }
    } catch (err) {
      this.fail(err instanceof LinkError ? err.message : `replication stream error: ${(err as Error).message}`, socket, err instanceof LinkError);
    } finally {
      if (applied) this.repl.afterApply();
    }
  }

  /**
   * The full copy: the chunks of the master's sealed snapshot (SKV.SNAP), checked as soon as the
   * header is in (another master key is refused before the rest is downloaded), loaded all or
   * nothing at SKV.SYNCED <offset>, the stream offset the snapshot is consistent at.
   */
  private applySync(item: Extract<LinkItem, { type: 'command' }>): void {
    const name = item.args[0]!.toString('latin1');
    const server = this.repl.server;
    if (name === 'SKV.SNAP') {
      // The reader's buffer is reused: keep a copy of the chunk (ciphertext).
      const chunk = Buffer.from(item.args[1]!);
      if (this.snapshot.length === 0) {
        try {
          checkSnapshotHeader(server, chunk);
        } catch (err) {
          throw new LinkError(`MASTER's full copy refused: ${(err as Error).message}`);
        }
      }
      this.snapshot.push(chunk);
      this.syncBytes += chunk.length;
      return;
    }
    if (name === 'SKV.SYNCED') {
      const offset = Number(item.args[1]?.toString('latin1'));
      if (!Number.isSafeInteger(offset) || offset < 0) throw new LinkError('bad SKV.SYNCED on the replication stream');
      const bytes = Buffer.concat(this.snapshot);
      this.snapshot = [];
      // Loaded a slice per turn (Redis answers LOADING while a replica loads its copy); the
      // records after SKV.SYNCED wait in the reader until the copy is in.
      this.loading = true;
      void this.finishLoad(this.socket!, bytes, offset);
      return;
    }
    throw new LinkError(`unexpected ${name.slice(0, 32)} during the full copy`);
  }

  /** The full copy's load, sliced; then the link is up and the waiting stream is applied. */
  private async finishLoad(socket: Socket, bytes: Buffer, offset: number): Promise<void> {
    const server = this.repl.server;
    let keys: number;
    const progress = { startedAt: Math.floor(Date.now() / 1000), total: bytes.length, loaded: 0 };
    server.persistence.loadProgress = progress;
    try {
      const summary = await loadSnapshotSliced(server, bytes, {
        sliceMs: LOAD_SLICE_MS,
        aborted: () => this.stopped || this.socket !== socket,
        progress: (loaded) => (progress.loaded = loaded),
      });
      this.loading = false;
      server.persistence.loadProgress = null;
      // The link dropped or stopped meanwhile: the staged keys were released, the data is as it
      // was (or, when it happened during the swap, the copy is in but the next sync is full again).
      if (summary === null || this.stopped || this.socket !== socket) return;
      keys = summary.keys;
    } catch (err) {
      this.loading = false;
      server.persistence.loadProgress = null;
      this.fail(`MASTER's full copy refused: ${(err as Error).message}`, socket, true);
      return;
    }
    this.state = 'connected';
    this.repl.endFullSync(offset);
    server.log.info({ master: `${this.host}:${this.port}`, bytes: bytes.length, loaded: keys }, 'MASTER <-> REPLICA sync: finished with success');
    this.sendAck();
    this.drain(socket);
    this.repl.afterApply();
  }

  private applyStream(item: Extract<LinkItem, { type: 'command' }>): void {
    const name = item.args[0]!.toString('latin1');
    const repl = this.repl;
    repl.applyRecord(name, item.args);
    // Every record, PING and GETACK included, is part of the stream this node passes on.
    repl.feedFromMaster(this.reader.consumed(item.bytes));
    if (name === 'REPLCONF') this.sendAck();
  }

  /** Drops the link; it is retried by the cron (unless `fatal`: a refusal that will not change by itself is still retried, but logged as an error). */
  private fail(reason: string, socket: Socket | null = this.socket, refused = false): void {
    if (socket !== this.socket || this.stopped) return;
    const wasUp = this.state === 'connected';
    this.socket?.destroy();
    this.socket = null;
    this.expect = null;
    if (this.state === 'sync') {
      this.snapshot = [];
      this.repl.abortFullSync();
    }
    this.state = 'connect';
    if (wasUp) this.downSince = Date.now();
    if (reason !== this.lastError) {
      const log = this.repl.server.log;
      if (refused) log.error({ master: `${this.host}:${this.port}` }, reason);
      else log.warn({ master: `${this.host}:${this.port}`, reason }, 'replication link down');
    }
    this.lastError = reason;
  }
}
