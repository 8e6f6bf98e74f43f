// The TLS listener (--tls-port): node:tls with TLS 1.2 or later, the server's certificate and
// key, and client certificates checked against --tls-ca-cert-file as --tls-auth-clients says
// (Redis's default "yes": a client without a valid certificate is refused).
//
// The context is built (files read, key matched against the certificate) before any port opens,
// so a TLS setting that cannot be loaded stops the start instead of leaving a plaintext-only
// server behind. A handshake that does not finish within tls-handshake-timeout seconds is
// closed; the server counts a TLS connection against maxclients from the moment it is accepted.

import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, createServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { ConfigError, type Config } from '../config.js';

export interface TlsSetup {
  readonly cert: Buffer;
  /** Zeroed by wipe() once every TLS listener has its context. */
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly auth: string;
  wipe(): void;
}

function readPem(config: Config, setting: string): Buffer {
  const path = config.get(setting);
  if (!path) throw new ConfigError(`--tls-port needs --${setting}`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${setting} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Reads and checks every TLS file now; throws ConfigError naming the setting at fault. */
export function loadTls(config: Config): TlsSetup {
  const auth = config.get('tls-auth-clients');
  const caPath = config.get('tls-ca-cert-file');
  if (auth !== 'no' && !caPath) throw new ConfigError('--tls-auth-clients yes|optional needs --tls-ca-cert-file');
  const cert = readPem(config, 'tls-cert-file');
  const key = readPem(config, 'tls-key-file');
  const ca = caPath ? readPem(config, 'tls-ca-cert-file') : undefined;
  const wipe = () => key.fill(0);
  try {
    // OpenSSL checks here that the files parse and that the key belongs to the certificate;
    // a CA file it cannot parse is skipped silently there, so parse it as a certificate too.
    createSecureContext({ cert, key, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' });
    if (ca) new X509Certificate(ca);
  } catch (err) {
    wipe();
    throw new ConfigError(
      `cannot load TLS certificate ${config.get('tls-cert-file')} with key ${config.get('tls-key-file')}` +
        `${ca ? ` and CA ${caPath}` : ''}: ${(err as Error).message}`,
    );
  }
  return { cert, key, ca, auth, wipe };
}

export interface TlsHooks {
  /** A TCP connection arrived, before any TLS byte: the server counts it (or refuses it). */
  accepted(raw: Socket): boolean;
  /** The handshake is over (either way) for the connection `raw` carried. */
  settled(raw: Socket): void;
  /** A secured socket, ready for commands. */
  secure(socket: TLSSocket): void;
  /** A handshake that failed or timed out, or a certificate refused; `reason` is OpenSSL's code, never client bytes. */
  failed(socket: Socket, reason: string): void;
}

/** A TLS server whose connections are counted from accept and whose secured sockets go to hooks.secure. */
export function createTlsListener(setup: TlsSetup, handshakeTimeoutMs: number, hooks: TlsHooks): TlsServer {
  const { auth } = setup;
  const server = createServer({
    cert: setup.cert,
    key: setup.key,
    ...(setup.ca ? { ca: setup.ca } : {}),
    minVersion: 'TLSv1.2',
    requestCert: auth !== 'no',
    // "optional": a certificate, if sent, must be valid; none at all is accepted.
    rejectUnauthorized: auth === 'yes',
    handshakeTimeout: handshakeTimeoutMs,
  });
  // node:tls turns each raw connection into a TLSSocket in its own 'connection' listener, added
  // first; this one runs after it and may still close the connection before any byte is read.
  // The TLS socket on the far side of a handshake has the same peer: find the raw one by it.
  const pending = new Map<string, Socket>();
  const peer = (s: Socket) => `${s.localPort}/${s.remoteAddress}/${s.remotePort}`;
  server.on('connection', (raw: Socket) => {
    if (!hooks.accepted(raw)) {
      raw.destroy();
      return;
    }
    const key = peer(raw);
    pending.set(key, raw);
    raw.once('close', () => {
      if (pending.get(key) === raw) pending.delete(key);
      hooks.settled(raw);
    });
  });
  const settle = (socket: TLSSocket): void => {
    const key = peer(socket);
    const raw = pending.get(key);
    if (raw === undefined) return;
    pending.delete(key);
    hooks.settled(raw);
  };
  server.on('secureConnection', (socket: TLSSocket) => {
    settle(socket);
    if (auth === 'optional' && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
      hooks.failed(socket, `client certificate refused: ${String(socket.authorizationError)}`);
      socket.destroy();
      return;
    }
    hooks.secure(socket);
  });
  // Failed or timed-out handshakes (wrong CA, old protocol versions, plain text on the TLS
  // port, silence) are the client's problem: close them (node:tls leaves that to this
  // listener) and never let them reach the process's error handler.
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    hooks.failed(socket, err.code ?? err.message);
    socket.destroy();
  });
  return server;
}
