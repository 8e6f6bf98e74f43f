// Where the master key comes from: a file (Docker secrets on tmpfs), an environment variable, or
// the CSPRNG. Every source writes the 32 key bytes straight into a buffer the caller owns (the
// key vault's secure memory), and nothing here turns key bytes into a JS string: a string cannot
// be wiped and lingers in the heap until the GC reuses its memory.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const KEY_BYTES = 32;
/** A key file is 32 raw bytes or 64 hex digits with some whitespace: anything larger is a mistake. */
const MAX_FILE_BYTES = 1024;

export class KeyError extends Error {}

export interface KeyFileOptions {
  /** master-key-file-permissive: accept a file that group or others may access. */
  permissive?: boolean;
}

/**
 * Reads a master key file into out: exactly 32 raw bytes, or 64 hex digits (whitespace anywhere
 * ignored, so `xxd -p` output works). Like OpenSSH with a private key, a file that group or
 * others may access is refused unless options.permissive says otherwise.
 */
export function readMasterKeyFile(path: string, out: Uint8Array, options: KeyFileOptions = {}): void {
  let raw: Buffer | null = null;
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new KeyError(`master key file ${path} is not a regular file${stat.isDirectory() ? ' but a directory' : ''}: give the key file's own path`);
    const mode = stat.mode & 0o777;
    if ((mode & 0o077) !== 0 && options.permissive !== true) {
      throw new KeyError(
        `master key file ${path} has mode ${mode.toString(8).padStart(4, '0')}: group or others can access it. ` +
          `It must be readable by its owner only (chmod 600 ${path}, or 400), ` +
          'or set master-key-file-permissive yes to accept it anyway',
      );
    }
    const size = stat.size;
    if (size > MAX_FILE_BYTES) throw new KeyError(`master key file ${path} is ${size} bytes; it must hold 32 raw bytes or 64 hex digits`);
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
    const problem = decodeHexKey(raw.subarray(0, got), out);
    if (problem !== null) throw new KeyError(`master key file ${path}: ${problem}`);
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

/**
 * Decodes 64 hex digits into out, skipping ASCII whitespace wherever it is (`xxd -p` splits a
 * key over two lines). Returns null when done, else what is wrong (never a byte of the file:
 * offsets and counts only). out is zeroed on failure.
 */
function decodeHexKey(bytes: Uint8Array, out: Uint8Array): string | null {
  let digits = 0;
  let badAt = -1;
  let bad = 0;
  let hi = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (isSpace(c)) continue;
    const v = nibble(c);
    if (v < 0) {
      if (badAt < 0) badAt = i;
      bad++;
      continue;
    }
    if (badAt < 0 && digits < KEY_BYTES * 2) {
      if (digits % 2 === 0) hi = v;
      else out[digits >> 1] = (hi << 4) | v;
    }
    digits++;
  }
  if (badAt < 0 && digits === KEY_BYTES * 2) return null;
  out.fill(0);
  const expected = `a key file holds 64 hex digits or exactly ${KEY_BYTES} raw bytes`;
  // Mostly hex digits: the file was meant as hex, so point at the first byte that is not one.
  if (badAt >= 0 && digits >= 9 * bad) return `invalid hex digit at offset ${badAt} (${expected})`;
  if (badAt >= 0) return `holds ${bytes.length} bytes, neither hex nor a raw key (${expected})`;
  return `holds ${digits} hex digits (${expected}; whitespace anywhere is ignored)`;
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
