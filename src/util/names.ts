// Key and hash field names are JS strings (latin1: one char per byte, so binary names
// round-trip). V8 cannot make a string longer than MAX_STRING_LENGTH (2^29 - 24 chars), just
// under proto-max-bulk-len's 512 MB default: converting a longer argument throws a RangeError
// that would take the process down. Such a name is refused with an error reply instead.

import { constants } from 'node:buffer';

export const MAX_NAME_BYTES = constants.MAX_STRING_LENGTH;

/** Thrown for a name too long to be a string; the command runner turns it into an error reply. */
export class NameTooLongError extends Error {}

/** The latin1 string of a key or field name, or NameTooLongError. */
export function nameString(arg: Buffer): string {
  const n = arg.length;
  // One-byte names (DEL a b c ... by the million) take V8's shared one-char strings, no conversion.
  if (n === 1) return ONE_CHAR[arg[0]!]!;
  if (n > MAX_NAME_BYTES) throw new NameTooLongError();
  // latin1Slice directly: toString() looks the encoding up first, a visible share of a GET.
  return (arg as Latin1Readable).latin1Slice(0, n);
}

/** nameString() of bytes[start, start + length), with no Buffer view made for it (raw-args.ts). */
export function nameStringAt(bytes: Buffer, start: number, length: number): string {
  if (length === 1) return ONE_CHAR[bytes[start]!]!;
  if (length > MAX_NAME_BYTES) throw new NameTooLongError();
  return (bytes as Latin1Readable).latin1Slice(start, start + length);
}

/** Buffer's latin1Slice is public at run time but missing from @types/node. */
type Latin1Readable = Buffer & { latin1Slice(start: number, end: number): string };

const ONE_CHAR = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));

/**
 * An argument quoted in an error the way Redis prints it with "%.*s": at most `max` bytes,
 * cut at the first NUL, each byte kept as one latin1 char (the encoder writes them back as the
 * same bytes). Never converts more than `max` bytes, whatever the argument's size.
 */
export function errorArg(arg: Uint8Array | string, max = 128): string {
  const end = Math.min(arg.length, Math.max(0, max));
  if (typeof arg === 'string') {
    const nul = arg.indexOf('\0');
    return arg.slice(0, nul >= 0 && nul < end ? nul : end);
  }
  let n = 0;
  while (n < end && arg[n] !== 0) n++;
  return Buffer.from(arg.buffer, arg.byteOffset, n).toString('latin1');
}
