// Binds sealed values to where they live. The context given to the AEAD is
//   purpose (1 byte) | database uid (u32) | key length (u32) | key bytes | [field bytes]
// so a sealed string cannot be replayed as another key's value, another database's, or a hash
// field, and a field cannot move to another field or hash. Lengths make the layout unambiguous.

import { Sealer } from './sealer.js';

const enum Purpose {
  StringValue = 1,
  HashField = 2,
}

export class SealedValues {
  private scratch = Buffer.allocUnsafeSlow(4096);

  constructor(private readonly sealer: Sealer) {}

  sealValue(db: number, key: string, plain: Uint8Array): Buffer {
    return this.sealer.seal(plain, this.context(Purpose.StringValue, db, key, undefined));
  }

  openValue(db: number, key: string, sealed: Uint8Array): Buffer {
    return this.sealer.open(sealed, this.context(Purpose.StringValue, db, key, undefined));
  }

  /** Opens a string value straight into target at offset (see Sealer.openInto). */
  openValueInto(db: number, key: string, sealed: Uint8Array, target: Uint8Array, offset: number): void {
    this.sealer.openInto(target, offset, sealed, this.context(Purpose.StringValue, db, key, undefined));
  }

  sealField(db: number, key: string, field: string, plain: Uint8Array): Buffer {
    return this.sealer.seal(plain, this.context(Purpose.HashField, db, key, field));
  }

  openField(db: number, key: string, field: string, sealed: Uint8Array): Buffer {
    return this.sealer.open(sealed, this.context(Purpose.HashField, db, key, field));
  }

  /** Re-seals a string value for a new home (RENAME, MOVE, COPY); the plaintext is wiped. */
  resealValue(fromDb: number, fromKey: string, toDb: number, toKey: string, sealed: Uint8Array): Buffer {
    const plain = this.openValue(fromDb, fromKey, sealed);
    try {
      return this.sealValue(toDb, toKey, plain);
    } finally {
      plain.fill(0);
    }
  }

  resealField(fromDb: number, fromKey: string, toDb: number, toKey: string, field: string, sealed: Uint8Array): Buffer {
    const plain = this.openField(fromDb, fromKey, field, sealed);
    try {
      return this.sealField(toDb, toKey, field, plain);
    } finally {
      plain.fill(0);
    }
  }

  private context(purpose: Purpose, db: number, key: string, field: string | undefined): Uint8Array {
    const need = 9 + key.length + (field === undefined ? 0 : field.length);
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(need * 2);
    const s = this.scratch;
    s[0] = purpose;
    s.writeUInt32BE(db >>> 0, 1);
    s.writeUInt32BE(key.length, 5);
    s.write(key, 9, 'latin1');
    if (field !== undefined) s.write(field, 9 + key.length, 'latin1');
    return s.subarray(0, need);
  }
}

export { Sealer, SealError } from './sealer.js';
