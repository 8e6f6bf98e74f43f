// Binds sealed values to where they live. The context given to the AEAD is
//   purpose (1 byte) | database uid (u32) | key length (u32) | key bytes | [field bytes]
// so a sealed string cannot be replayed as another key's value, another database's, or a hash
// field, and a field cannot move to another field or hash. Lengths make the layout unambiguous.
// A sealed key name (--seal-keys) uses the same layout with database 0 and its name hash as the
// key: bound to the hash alone, it stays valid wherever the entry moves (MOVE, SWAPDB, COPY DB).

import { plainBuffer } from '../util/bytes.js';
import { HEADER_BYTES, Sealer } from './sealer.js';

/** Buffer's latin1Write is public at run time but missing from @types/node; it skips write()'s encoding lookup. */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

const enum Purpose {
  StringValue = 1,
  HashField = 2,
  KeyName = 3,
}

/** Sealed names are not tied to a database: see the header comment. */
const ANY_DB = 0;

export class SealedValues {
  /** Plaintext passing through renew(): wiped after every value. */
  private scratch = Buffer.allocUnsafeSlow(1024);

  constructor(private readonly sealer: Sealer) {}

  sealValue(db: number, key: string, plain: Uint8Array): Buffer {
    return this.sealer.sealIn(plain, this.context(Purpose.StringValue, db, key, undefined));
  }

  /** The plaintext in a fresh buffer (the caller wipes it); throws SealError. */
  openValue(db: number, key: string, sealed: Buffer): Buffer {
    const plain = plainBuffer(Sealer.plainLength(sealed));
    this.sealer.openIn(plain, 0, sealed, this.context(Purpose.StringValue, db, key, undefined));
    return plain;
  }

  /** sealValue() writing into out at `at` (Sealer.sealAt): out needs OVERHEAD + plain.length bytes there. */
  sealValueAt(db: number, key: string, plain: Uint8Array, out: Buffer, at: number): void {
    this.sealer.sealAt(plain, this.context(Purpose.StringValue, db, key, undefined), out, at);
  }

  /** Opens a string value of `length` bytes at `start` in src straight into target at offset (Sealer.openAt). */
  openValueAt(db: number, key: string, src: Buffer, start: number, length: number, target: Uint8Array, offset: number): void {
    this.sealer.openAt(target, offset, src, start, length, this.context(Purpose.StringValue, db, key, undefined));
  }

  sealField(db: number, key: string, field: string, plain: Uint8Array): Buffer {
    return this.sealer.sealIn(plain, this.context(Purpose.HashField, db, key, field));
  }

  openField(db: number, key: string, field: string, sealed: Buffer): Buffer {
    const plain = plainBuffer(Sealer.plainLength(sealed));
    this.sealer.openIn(plain, 0, sealed, this.context(Purpose.HashField, db, key, field));
    return plain;
  }

  /**
   * Re-seals a value in place under the current key (key rotation): same home, so the context is
   * written once for both the open and the seal, and the plaintext passes through one reused
   * scratch buffer that is wiped after each value. Throws SealError.
   */
  renewValue(db: number, key: string, sealed: Buffer): Buffer {
    return this.renew(sealed, this.context(Purpose.StringValue, db, key, undefined));
  }

  renewField(db: number, key: string, field: string, sealed: Buffer): Buffer {
    return this.renew(sealed, this.context(Purpose.HashField, db, key, field));
  }

  /** renewValue for a sealed key name (--seal-keys yes). */
  renewName(key: string, sealed: Buffer): Buffer {
    return this.renew(sealed, this.context(Purpose.KeyName, ANY_DB, key, undefined));
  }

  /** Seals a key name's bytes, bound to its lookup hash. */
  sealName(key: string, name: Uint8Array): Buffer {
    return this.sealer.sealIn(name, this.context(Purpose.KeyName, ANY_DB, key, undefined));
  }

  /** Opens a sealed key name into target at offset (Sealer.plainLength(sealed) bytes); throws SealError. */
  openNameInto(key: string, sealed: Buffer, target: Uint8Array, offset: number): void {
    this.sealer.openIn(target, offset, sealed, this.context(Purpose.KeyName, ANY_DB, key, undefined));
  }

  /** Re-seals a string value for a new home (RENAME, MOVE, COPY); the plaintext is wiped. */
  resealValue(fromDb: number, fromKey: string, toDb: number, toKey: string, sealed: Buffer): Buffer {
    const plain = this.openValue(fromDb, fromKey, sealed);
    try {
      return this.sealValue(toDb, toKey, plain);
    } finally {
      plain.fill(0);
    }
  }

  resealField(fromDb: number, fromKey: string, toDb: number, toKey: string, field: string, sealed: Buffer): Buffer {
    const plain = this.openField(fromDb, fromKey, field, sealed);
    try {
      return this.sealField(toDb, toKey, field, plain);
    } finally {
      plain.fill(0);
    }
  }

  private renew(sealed: Buffer, contextLength: number): Buffer {
    const length = Sealer.plainLength(sealed);
    if (length > this.scratch.length) {
      this.scratch.fill(0);
      this.scratch = Buffer.allocUnsafeSlow(Math.max(length, this.scratch.length * 2));
    }
    try {
      this.sealer.openIn(this.scratch, 0, sealed, contextLength);
      return this.sealer.sealIn(this.scratch.subarray(0, length), contextLength);
    } finally {
      this.scratch.fill(0, 0, length);
    }
  }

  /** Writes the context into the sealer's associated-data area; returns its length. */
  private context(purpose: Purpose, db: number, key: string, field: string | undefined): number {
    const length = 9 + key.length + (field === undefined ? 0 : field.length);
    const s = this.sealer.contextArea(length) as Latin1Writable;
    s[HEADER_BYTES] = purpose;
    s.writeUInt32BE(db >>> 0, HEADER_BYTES + 1);
    s.writeUInt32BE(key.length, HEADER_BYTES + 5);
    s.latin1Write(key, HEADER_BYTES + 9);
    if (field !== undefined) s.latin1Write(field, HEADER_BYTES + 9 + key.length);
    return length;
  }
}

export { Sealer, SealError } from './sealer.js';
