// Where the master key comes from: a file (Docker secrets on tmpfs), an environment variable, or
// the CSPRNG. Every source writes the 32 key bytes straight into a buffer the caller owns (the
// key vault's secure memory), and nothing here turns key bytes into a JS string: a string cannot
// be wiped and lingers in the heap until the GC reuses its memory.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const KEY_BYTES = 32;
/** A key file is 32 raw bytes or 64 hex characters with some whitespace: anything larger is a mistake. */
const MAX_FILE_BYTES = 1024;

export class KeyError extends Error {}

/** Reads a master key file into out: exactly 32 raw bytes, or 64 hex characters (surrounding whitespace ignored). */
export function readMasterKeyFile(path: string, out: Uint8Array): void {
  let raw: Buffer | null = null;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > MAX_FILE_BYTES) throw new KeyError(`master key file ${path} is ${size} bytes; it must hold 32 raw bytes or 64 hex characters`);
    // A buffer of its own, not a slice of Node's shared pool, so wiping it wipes every copy.
    raw = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, raw, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got === KEY_BYTES) {
      out.set(raw.subarray(0, KEY_BYTES));
      return;
    }
    if (!decodeHexKey(raw.subarray(0, got), out)) {
      throw new KeyError(`master key file ${path} must hold exactly 32 raw bytes or 64 hex characters (found ${got} bytes)`);
    }
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError(`cannot read master key file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  } finally {
    raw?.fill(0);
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Reads the master key from the environment variable `name` into out and removes the variable
 * from process.env, so child processes and later reads of the environment do not see it. The
 * value is 64 hex characters or the base64 (standard or URL-safe, padding optional) of 32 bytes.
 */
export function readMasterKeyEnv(name: string, out: Uint8Array): void {
  const text = process.env[name]?.trim();
  delete process.env[name];
  if (text === undefined || text === '') throw new KeyError(`environment variable ${name} (master-key-env) is not set or empty`);
  const target = Buffer.from(out.buffer, out.byteOffset, KEY_BYTES);
  let written = 0;
  if (/^[0-9a-fA-F]{64}$/.test(text)) written = target.write(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) written = target.write(text, 'base64');
  if (written !== KEY_BYTES) {
    target.fill(0);
    throw new KeyError(
      `environment variable ${name} must hold a 32-byte key as 64 hex characters or base64 (found ${text.length} characters)`,
    );
  }
}

/** Decodes 64 hex digits (ASCII whitespace around them allowed) into out; false if malformed. */
function decodeHexKey(bytes: Uint8Array, out: Uint8Array): boolean {
  let start = 0;
  let end = bytes.length;
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  if (end - start !== KEY_BYTES * 2) return false;
  for (let i = 0; i < KEY_BYTES; i++) {
    const hi = nibble(bytes[start + 2 * i]!);
    const lo = nibble(bytes[start + 2 * i + 1]!);
    if (hi < 0 || lo < 0) {
      out.fill(0);
      return false;
    }
    out[i] = (hi << 4) | lo;
  }
  return true;
}

function nibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
