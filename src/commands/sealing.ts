// Opening and sealing values for handlers: binds each value to the current database and key,
// and turns a value that fails authentication into that command's error (counted in INFO)
// instead of a crash.

import { Errors } from '../protocol/errors.js';
import { SealError, Sealer } from '../seal/sealer.js';
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

/** Replies with the seal error and counts it; rethrows anything that is not a SealError. */
export function sealFailed(ctx: Session, err: unknown): null {
  if (!(err instanceof SealError)) throw err;
  ctx.server.stats.sealFailures++;
  ctx.server.log.warn({ client: ctx.id, db: ctx.dbIndex }, 'sealed value failed authentication');
  ctx.reply.error(Errors.sealOpenFailed);
  return null;
}

/**
 * Replies with a string value opened straight into the reply buffer (which is wiped after the
 * write), so no separate plaintext buffer exists: the GET path. On a value that fails
 * authentication the half-built reply is dropped and the error replied instead.
 */
export function replyValue(ctx: Session, key: string, sealed: Buffer): void {
  const length = Sealer.plainLength(sealed);
  const mark = ctx.reply.size;
  const at = ctx.reply.beginBulk(length);
  try {
    ctx.server.values.openValueInto(ctx.db.uid, key, sealed, ctx.reply.staging, at);
  } catch (err) {
    ctx.reply.truncate(mark);
    sealFailed(ctx, err);
    return;
  }
  ctx.reply.endBulk(length);
}

/** Writes a plaintext as a bulk reply and wipes it: it must not outlive the command. */
export function replyAndWipe(ctx: Session, plain: Buffer): void {
  ctx.reply.bulk(plain);
  plain.fill(0);
}
