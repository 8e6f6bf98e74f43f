// How a node opens a client connection to another node of its cluster (MIGRATE's target, the
// peers PUBLISH is forwarded to): plain TCP, or with `tls-cluster yes` TLS as Redis does between
// cluster nodes: the peer's certificate must chain to tls-ca-cert-file, and this node presents
// tls-client-cert-file / tls-client-key-file, or else its server certificate (peers ask for one:
// tls-auth-clients yes). Like Redis, no host name is checked (nodes are addressed by the IPs or
// names of the layout, whatever the certificates say). The TLS context is built on first use and
// kept: the key then lives in OpenSSL's memory only, the buffer read is zeroed.

import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as connectTls, createSecureContext, type SecureContext } from 'node:tls';
import type { Server } from '../commands/types.js';

const tlsContexts = new WeakMap<object, SecureContext>();

/** The cluster's TLS context, or null without tls-cluster; throws when its files cannot be used. */
function clusterTls(server: Server): SecureContext | null {
  const config = server.config;
  if (!config.flag('tls-cluster')) return null;
  let context = tlsContexts.get(server);
  if (context !== undefined) return context;
  const certFile = config.get('tls-client-cert-file') || config.get('tls-cert-file');
  const keyFile = config.get('tls-client-cert-file') ? config.get('tls-client-key-file') : config.get('tls-key-file');
  const caFile = config.get('tls-ca-cert-file');
  let key: Buffer | undefined;
  try {
    key = keyFile ? readFileSync(keyFile) : undefined;
    context = createSecureContext({
      ...(certFile ? { cert: readFileSync(certFile) } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(caFile ? { ca: readFileSync(caFile) } : {}),
      minVersion: 'TLSv1.2',
    });
  } finally {
    key?.fill(0);
  }
  tlsContexts.set(server, context);
  return context;
}

/**
 * A socket to host:port, TCP or TLS as the cluster is set up. `onReady` runs once bytes may be
 * written (after the TLS handshake for TLS). Throws when the TLS files cannot be used, so no
 * connection can be made.
 */
export function dialNode(server: Server, host: string, port: number, onReady: () => void): Socket {
  const tls = clusterTls(server);
  const socket: Socket = tls === null
    ? connect({ host, port })
    : connectTls({ host, port, secureContext: tls, checkServerIdentity: () => undefined, ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }) });
  socket.setNoDelay(true);
  socket.once(tls === null ? 'connect' : 'secureConnect', onReady);
  return socket;
}
