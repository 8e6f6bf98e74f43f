// Address helpers for connection policy (protected mode).

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback: what Redis treats as a local client. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
