// The admin HTTP port: GET /metrics, /healthz, /readyz on admin-port (0 = off), bound like
// `bind` to admin-bind. Node's own http module: three fixed GET routes need no router, and it
// already bounds what a client can make us hold (header size, header and request timeouts);
// a framework would add dependencies to the server's attack surface for nothing here.
//
// Security: /metrics is guarded by admin-token (a bearer token, kept as its SHA-256 digest and
// compared in constant time) when one is set. Without a token every admin address must be
// loopback, or the start is refused. /healthz and /readyz answer without the token: they tell
// only whether the process is up and ready, and probes (kubelet, Docker HEALTHCHECK) should
// not need a secret.

import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { isAddressUnavailable, isLoopback, parseBindList, type BindAddress } from '../net/address.js';
import { listenOn, ListenError } from '../net/listen.js';
import { metricsText, type MetricsSource } from './metrics.js';

export interface AdminSource extends MetricsSource {
  /** Shutting down: /readyz answers 503 from then on. */
  readonly shuttingDown: boolean;
}

export interface AdminPlan {
  port: number;
  binds: BindAddress[];
  /** '#<sha256 hex>' or '' (none). */
  token: string;
}

/** Bounds on what one client can make the admin port hold. */
const MAX_HEADER_BYTES = 8 * 1024;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;

/**
 * Reads and checks the admin settings before any port opens; null when admin-port is 0.
 * Throws ListenError for an admin port reachable from the network without a token.
 */
export function planAdmin(config: Config): AdminPlan | null {
  const port = config.number('admin-port');
  if (port === 0) return null;
  const binds = parseBindList(config.get('admin-bind'));
  if (binds.length === 0) throw new ListenError('admin-bind lists no address to listen on');
  const token = config.get('admin-token');
  const open = binds.filter((b) => !(isLoopback(b.host) || b.host === 'localhost'));
  if (token === '' && open.length > 0) {
    throw new ListenError(
      `admin-bind ${open.map((b) => b.word).join(' ')} is not a loopback address and admin-token is empty: ` +
        `the admin port would serve /metrics to the network without authentication. Set admin-token, or bind the admin port to 127.0.0.1 / ::1`,
    );
  }
  return { port, binds, token };
}

/** Whether the request carries `Authorization: Bearer <token>` for the token whose digest is `digest`. */
function authorized(req: IncomingMessage, digest: string): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !/^Bearer /i.test(header)) return false;
  const given = createHash('sha256').update(header.slice(7).trim(), 'utf8').digest();
  const stored = Buffer.from(digest.slice(1), 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

export class AdminServer {
  private constructor(
    private readonly servers: HttpServer[],
    readonly addresses: { host: string; port: number }[],
  ) {}

  /** Opens every admin address (a failure closes what opened and throws ListenError). */
  static async start(plan: AdminPlan, source: AdminSource, log: Logger, backlog: number): Promise<AdminServer> {
    const servers: HttpServer[] = [];
    const addresses: { host: string; port: number }[] = [];
    try {
      for (const bind of plan.binds) {
        const srv = createServer(
          { maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: IDLE_TIMEOUT_MS },
          (req, res) => handle(req, res, source, plan.token),
        );
        srv.maxConnections = MAX_CONNECTIONS;
        srv.setTimeout(IDLE_TIMEOUT_MS, (socket) => socket.destroy());
        // A malformed request (400) or oversized headers (431): answer and close, logged at debug.
        srv.on('clientError', (err, socket) => {
          const code = (err as NodeJS.ErrnoException).code;
          log.debug({ code }, 'admin port: bad request');
          const status = code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
          if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
          else socket.destroy();
        });
        try {
          await listenOn(srv, { host: bind.host, port: plan.port, backlog, ipv6Only: bind.host.includes(':') });
        } catch (err) {
          if (bind.optional && isAddressUnavailable(err)) {
            log.warn({ bind: bind.word, port: plan.port }, 'optional admin-bind address skipped');
            continue;
          }
          throw new ListenError(`cannot listen on admin port ${bind.word}:${plan.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        servers.push(srv);
        const addr = srv.address();
        if (addr && typeof addr === 'object') addresses.push({ host: bind.word, port: addr.port });
      }
      if (servers.length === 0) throw new ListenError(`no address of admin-bind could be listened on`);
    } catch (err) {
      for (const srv of servers) srv.close();
      throw err;
    }
    return new AdminServer(servers, addresses);
  }

  /** Stops accepting; idle keep-alive connections go at once, busy ones after their reply. */
  close(): void {
    for (const srv of this.servers) {
      srv.close();
      srv.closeIdleConnections();
    }
  }

  /** Ends every connection still open (the last step of shutdown). */
  destroy(): void {
    for (const srv of this.servers) srv.closeAllConnections();
  }
}

function handle(req: IncomingMessage, res: ServerResponse, source: AdminSource, token: string): void {
  // No route takes a body: one announced is refused and the connection closed unread.
  if (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0') {
    res.shouldKeepAlive = false;
    return send(res, 413, 'no request body accepted\n', { connection: 'close' });
  }
  if (req.method !== 'GET') return send(res, 405, 'method not allowed\n', { allow: 'GET' });
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  switch (path) {
    case '/healthz':
      return send(res, 200, 'ok\n');
    case '/readyz': {
      const why = notReady(source);
      return why === null ? send(res, 200, 'ready\n') : send(res, 503, `not ready: ${why}\n`);
    }
    case '/metrics':
      if (token !== '' && !authorized(req, token)) {
        return send(res, 401, 'unauthorized\n', { 'www-authenticate': 'Bearer realm="sealkv"' });
      }
      return send(res, 200, metricsText(source), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    default:
      return send(res, 404, 'not found\n');
  }
}

/** Why the server should get no traffic now, or null when it accepts and serves clients. */
function notReady(s: AdminSource): string | null {
  if (s.shuttingDown) return 'shutting down';
  // sealkv never loads a data set at start, so "loading" never applies.
  if (s.memory.overLimit && s.memory.settings.policy === 'noeviction') return 'over maxmemory with noeviction';
  return null;
}
