// Listeners, the client registry, the periodic cron (active expiry, idle timeouts) and
// shutdown. startServer() is what main.ts and the tests both call.

import { randomBytes } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { buildCatalogue } from '../acl/catalogue.js';
import { AclStore } from '../acl/store.js';
import { Client } from './client.js';
import { FAMILIES } from '../commands/index.js';
import { Registry } from '../commands/registry.js';
import type { Server } from '../commands/types.js';
import { Config } from '../config.js';
import { createLogger, setLogLevel, type Logger } from '../log.js';
import { Errors } from '../protocol/errors.js';
import { OutputLimit } from './output-limit.js';
import { isLoopback } from './address.js';
import type { BackendChoice } from '../seal/backends.js';
import { PlainKeyNames, SealedKeyNames, type KeyNames } from '../seal/key-names.js';
import { Keyring, Subkey } from '../seal/keyring.js';
import { createNameHasher } from '../seal/name-hash.js';
import { Rotation } from '../seal/rotation.js';
import { Sealer } from '../seal/sealer.js';
import { SealedValues } from '../seal/values.js';
import { Stats } from '../stats.js';
import { createTlsListener } from './tls.js';
import { ReadBuffer, wipeEachChunk } from './read-buffer.js';
import { SpillManager } from '../spill/manager.js';
import { Keyspace } from '../store/keyspace.js';
import { RecordArena } from '../store/record-arena.js';
import { MemoryGuard, type Policy } from '../store/memory.js';
import { VERSION } from '../version.js';

export interface StartOptions {
  /** Injected clock (unix ms) so expiry tests can move time instead of sleeping. */
  clock?: () => number;
  log?: Logger;
  /** The config file the settings came from, if any (INFO config_file, CONFIG REWRITE). */
  configFile?: string;
}

export interface RunningServer {
  readonly state: SealkvServer;
  /** Addresses actually listened on, with the port each got. */
  readonly addresses: { host: string; port: number }[];
  close(): Promise<void>;
  /** Resolves once the server has stopped, whoever stopped it (SHUTDOWN, a signal, close()). */
  readonly closed: Promise<void>;
}

/** Redis's active expiry effort: keys sampled per database per slice, and when to go on. */
const EXPIRE_SAMPLE = 20;
const EXPIRE_AGAIN_RATIO = 0.25;
const EXPIRE_BUDGET_MS = 2;

export class SealkvServer implements Server {
  readonly stats = new Stats();
  readonly clients = new Map<number, Client>();
  readonly commands: Registry;
  readonly startedAt: number;
  readonly runId = randomBytes(20).toString('hex');
  readonly version = VERSION;
  tcpPort = 0;
  configFile: string | null = null;
  databases: Keyspace[];
  /** Where every database keeps its records (see src/store/record-arena.ts). */
  readonly arena = new RecordArena();
  readonly values: SealedValues;
  readonly names: KeyNames;
  readonly memory: MemoryGuard;
  readonly spill: SpillManager | null;
  readonly acl: AclStore;
  readonly outputLimit: OutputLimit;
  readonly rotation: Rotation;

  private listeners: NetServer[] = [];
  private readonly readBuffer = new ReadBuffer();
  private nextClientId = 1;
  private cron: NodeJS.Timeout | null = null;
  private stopping = false;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly keyring: Keyring,
    readonly clock: () => number,
  ) {
    this.startedAt = clock();
    this.values = new SealedValues(new Sealer(keyring));
    this.names = config.flag('seal-keys')
      ? new SealedKeyNames(createNameHasher(keyring.subkey(Subkey.Names)), this.values)
      : new PlainKeyNames();
    const memory = { maxmemory: 0, policy: 'noeviction' as Policy, samples: 5 };
    const readMemorySettings = () => {
      memory.maxmemory = config.number('maxmemory');
      memory.policy = config.get('maxmemory-policy') as Policy;
      memory.samples = config.number('maxmemory-samples');
    };
    readMemorySettings();
    config.onChange((name) => {
      if (name.startsWith('maxmemory')) readMemorySettings();
    });
    this.memory = new MemoryGuard(memory, this.stats);
    const spillDir = config.get('spill-dir');
    this.spill = spillDir === ''
      ? null
      : SpillManager.open(spillDir, config.number('spill-max-bytes'), this.memory.account);
    this.memory.spiller = this.spill;
    this.databases = Array.from(
      { length: config.number('databases') },
      (_, i) => new Keyspace(i, this.stats, this.memory.account, this.names.sealed ? this.names : null, this.arena),
    );
    if (this.spill !== null) {
      this.memory.account.setSpillMin(config.number('spill-min-value-size'), this.databases);
      config.onChange((name, value) => {
        if (name === 'spill-min-value-size') this.memory.account.setSpillMin(Number(value), this.databases);
      });
    }
    this.rotation = new Rotation(keyring, this);
    this.commands = new Registry(FAMILIES);
    this.acl = new AclStore(config, buildCatalogue(this.commands.leaves()));
    this.outputLimit = new OutputLimit(config);
    config.onChange((name, value) => {
      if (name === 'loglevel') setLogLevel(log, value);
      if (name === 'hz') this.startCron();
      if (Config.spec(name)?.applied === false) log.warn({ setting: name }, 'setting accepted but sealkv does not act on it');
    });
  }

  get keySource(): string {
    return this.keyring.source;
  }

  /** Which AEAD implementation seals values (INFO, start-up log). */
  get sealBackend(): string {
    return this.keyring.backend.name;
  }

  get keyMemory(): string {
    return this.keyring.secureMemory ? 'sodium_malloc' : 'wasm-heap';
  }

  get keyId(): number {
    return this.keyring.current.id;
  }

  async listen(): Promise<{ host: string; port: number }[]> {
    const port = this.config.number('port');
    const tlsPort = this.config.number('tls-port');
    if (port === 0 && tlsPort === 0) throw new Error('no port to listen on (port 0 disables the plain TCP listener)');
    const hosts = this.config.get('bind').split(/\s+/).filter(Boolean);
    const out: { host: string; port: number }[] = [];
    // Plain listeners first (port 0 disables them), then TLS ones on tls-port.
    const plan: [string, number, () => NetServer][] = [];
    for (const host of hosts) if (port !== 0) plan.push([host, port, () => createServer({ pauseOnConnect: true }, (paused) => this.acceptPlain(paused))]);
    for (const host of hosts) if (tlsPort !== 0) plan.push([host, tlsPort, () => createTlsListener(this.config, (socket) => this.acceptTls(socket))]);
    for (const [host, listenPort, make] of plan) {
      const srv = make();
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ host, port: listenPort, backlog: this.config.number('tcp-backlog') }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const addr = srv.address();
      if (addr && typeof addr === 'object') out.push({ host, port: addr.port });
      this.listeners.push(srv);
    }
    this.tcpPort = port === 0 ? 0 : (out[0]?.port ?? port);
    this.startCron();
    return out;
  }

  /** Plain TCP: reads go into the shared, reused read buffer (see read-buffer.ts). */
  private acceptPlain(paused: Socket): void {
    let client: Client | null = null;
    const socket = this.readBuffer.adopt(paused, (chunk) => client?.receive(chunk));
    client = this.accept(socket);
  }

  /** TLS decrypts into chunks of its own, which are zeroed once their commands have run. */
  private acceptTls(socket: Socket): void {
    const client = this.accept(socket);
    wipeEachChunk(socket, (chunk) => client?.receive(chunk));
  }

  /** Registers a connection, or refuses it (returning null) as Redis would. */
  private accept(socket: Socket): Client | null {
    if (this.stopping) {
      socket.destroy();
      return null;
    }
    if (this.clients.size >= this.config.number('maxclients')) {
      this.stats.rejectedConnections++;
      socket.end(`-${Errors.maxClients}\r\n`);
      return null;
    }
    // Redis protected mode: no password on the default user means loopback clients only.
    const open = this.acl.defaultUser;
    if (this.config.flag('protected-mode') && open.nopass && !isLoopback(socket.remoteAddress)) {
      socket.end(`-${Errors.protectedMode}\r\n`);
      return null;
    }
    this.stats.totalConnections++;
    const client = new Client(this.nextClientId++, socket, this, this.commands, (c) => this.clients.delete(c.id));
    this.clients.set(client.id, client);
    return client;
  }

  resetStats(): void {
    this.stats.reset();
  }

  private startCron(): void {
    if (this.cron) clearInterval(this.cron);
    if (this.stopping) return;
    this.cron = setInterval(() => this.tick(), Math.max(1, Math.round(1000 / this.config.number('hz'))));
  }

  /** Periodic work: expire keys nobody reads, close idle clients (redis serverCron). */
  private tick(): void {
    const now = this.clock();
    const deadline = performance.now() + EXPIRE_BUDGET_MS;
    for (const db of this.databases) {
      for (;;) {
        const { checked, expired } = db.expireSlice(now, EXPIRE_SAMPLE);
        if (checked === 0 || expired / checked <= EXPIRE_AGAIN_RATIO || performance.now() > deadline) break;
      }
    }
    this.spill?.tick();
    const timeout = this.config.number('timeout') * 1000;
    if (timeout > 0) {
      for (const client of this.clients.values()) {
        if (client.multi === null && now - client.lastInteraction > timeout) client.kill();
      }
    }
  }

  shutdown(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ reason }, 'shutting down');
    if (this.cron) clearInterval(this.cron);
    this.rotation.stop();
    for (const srv of this.listeners) srv.close();
    for (const client of this.clients.values()) client.closeAfterReply();
    // Let replies already queued (SHUTDOWN's own connection excepted) reach their clients.
    setImmediate(() => {
      for (const client of [...this.clients.values()]) client.kill();
      for (const db of this.databases) db.clear();
      // SHUTDOWN, SIGTERM and SIGINT all end here: no segment file outlives the server.
      this.spill?.close();
      this.keyring.destroy();
      if (this.names.sealed) this.names.destroy();
      this.log.info('stopped');
      this.resolveClosed();
    });
  }
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger(config.get('loglevel'));
  const keyring = await Keyring.create({
    file: config.get('master-key-file') || undefined,
    env: config.get('master-key-env') || undefined,
    backend: config.get('seal-backend') as BackendChoice,
  });
  const server = new SealkvServer(config, log, keyring, options.clock ?? Date.now);
  server.configFile = options.configFile ?? null;
  const addresses = await server.listen();
  log.info(
    {
      version: VERSION,
      addresses: addresses.map((a) => `${a.host}:${a.port}`),
      port: server.tcpPort,
      keySource: keyring.source,
      sealBackend: keyring.backend.name,
      sealKeys: server.names.sealed ? server.names.backend : 'no',
      notApplied: config.notApplied(),
    },
    'sealkv ready',
  );
  return {
    state: server,
    addresses,
    closed: server.closed,
    close: () => {
      server.shutdown('close()');
      return server.closed;
    },
  };
}
