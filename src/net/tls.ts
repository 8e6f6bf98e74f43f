// The TLS listener (--tls-port): node:tls with TLS 1.2 or later, the server's certificate and
// key, and client certificates checked against --tls-ca-cert-file as --tls-auth-clients says
// (Redis's default "yes": a client without a valid certificate is refused).

import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import { ConfigError, type Config } from '../config.js';

function readPem(config: Config, setting: string): Buffer {
  const path = config.get(setting);
  if (!path) throw new ConfigError(`--tls-port needs --${setting}`);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${setting} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** A TLS server whose secured sockets go to `accept`, like plain ones. */
export function createTlsListener(config: Config, accept: (socket: TLSSocket) => void): TlsServer {
  const auth = config.get('tls-auth-clients');
  const caPath = config.get('tls-ca-cert-file');
  if (auth !== 'no' && !caPath) throw new ConfigError('--tls-auth-clients yes|optional needs --tls-ca-cert-file');
  const server = createServer(
    {
      cert: readPem(config, 'tls-cert-file'),
      key: readPem(config, 'tls-key-file'),
      ...(caPath ? { ca: readPem(config, 'tls-ca-cert-file') } : {}),
      minVersion: 'TLSv1.2',
      requestCert: auth !== 'no',
      // "optional": a certificate, if sent, must be valid; none at all is accepted.
      rejectUnauthorized: auth === 'yes',
    },
    (socket) => {
      if (auth === 'optional' && !socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
        socket.destroy();
        return;
      }
      accept(socket);
    },
  );
  // Failed handshakes (wrong CA, old protocol versions, plain text on the TLS port) are the
  // client's problem; they must never reach the process's error handler.
  server.on('tlsClientError', () => {});
  return server;
}
