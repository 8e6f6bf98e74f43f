// Opening and sealing values for handlers: binds each value to the current database and key,
// and turns a value that fails authentication into that command's error (counted in INFO)
// instead of a crash.

import { Errors } from '../protocol/errors.js';
import { SealError } from '../seal/sealer.js';
import type { Session } from './types.js';

export function sealValue(ctx: Session, key: string, plain: Uint8Array): Buffer {
  return ctx.server.values.sealValue(ctx.db.uid, key, plain);
}

export function sealField(ctx: Session, key: string, field: string, plain: Uint8Array): Buffer {
  return ctx.server.values.sealField(ctx.db.uid, key, field, plain);
}

/** The plaintext (caller wipes it when done), or null after replying with the error. */
export function openValue(ctx: Session, key: string, sealed: Buffer): Buffer | null {
  try {
    return ctx.server.values.openValue(ctx.db.uid, key, sealed);
  } catch (err) {
    return sealFailed(ctx, err);
  }
}

export function openField(ctx: Session, key: string, field: string, sealed: Buffer): Buffer | null {
  try {
    return ctx.server.values.openField(ctx.db.uid, key, field, sealed);
  } catch (err) {
    return sealFailed(ctx, err);
  }
}

function sealFailed(ctx: Session, err: unknown): null {
  if (!(err instanceof SealError)) throw err;
  ctx.server.stats.sealFailures++;
  ctx.server.log.warn({ client: ctx.id, db: ctx.dbIndex }, 'sealed value failed authentication');
  ctx.reply.error(Errors.sealOpenFailed);
  return null;
}

/** Writes a plaintext as a bulk reply and wipes it: it must not outlive the command. */
export function replyAndWipe(ctx: Session, plain: Buffer): void {
  ctx.reply.bulk(plain);
  plain.fill(0);
}
