// Binds sealed values to where they live. The context given to the AEAD is
//   purpose (1 byte) | database uid (u32) | key length (u32) | key bytes | [field bytes]
// so a sealed string cannot be replayed as another key's value, another database's, or a hash
// field, and a field cannot move to another field or hash. Lengths make the layout unambiguous.

import { plainBuffer } from '../util/bytes.js';
import { HEADER_BYTES, Sealer } from './sealer.js';

/** Buffer's latin1Write is public at run time but missing from @types/node; it skips write()'s encoding lookup. */
type Latin1Writable = Buffer & { latin1Write(text: string, offset: number): number };

const enum Purpose {
  StringValue = 1,
  HashField = 2,
}

export class SealedValues {
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

  /** Opens a string value straight into target at offset (see Sealer.openIn). */
  openValueInto(db: number, key: string, sealed: Buffer, target: Uint8Array, offset: number): void {
    this.sealer.openIn(target, offset, sealed, this.context(Purpose.StringValue, db, key, undefined));
  }

  sealField(db: number, key: string, field: string, plain: Uint8Array): Buffer {
    return this.sealer.sealIn(plain, this.context(Purpose.HashField, db, key, field));
  }

  openField(db: number, key: string, field: string, sealed: Buffer): Buffer {
    const plain = plainBuffer(Sealer.plainLength(sealed));
    this.sealer.openIn(plain, 0, sealed, this.context(Purpose.HashField, db, key, field));
    return plain;
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
