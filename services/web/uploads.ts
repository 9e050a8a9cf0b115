/**
 * Uploaded files travel from the gateway to the page handler through Redis, not inside the broker
 * call: a file of WEB_UPLOAD_MAX_BYTES would not fit in one NATS message (1 MB by default) when the
 * web service runs on another node than the gateway. The gateway keeps the text under a random key for
 * a few minutes (stash) and passes the key; the handler takes it out once (take).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../../lib/core/errors.ts';
import type { UploadedFile } from '../api/form-body.ts';

const STASH_SECONDS = 600;

/** A file as the page handler receives it: where its text waits. */
export interface StashedFile {
  filename: string;
  size: number;
  utf8: boolean;
  stash: string;
}

function isUploaded(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && 'text' in value && 'utf8' in value;
}

/** Replaces each uploaded file of a form by a StashedFile (in place). */
export async function stashUploads(redis: Redis, form: Record<string, unknown>): Promise<void> {
  for (const [name, value] of Object.entries(form)) {
    if (!isUploaded(value)) continue;
    const stash = `upload:${randomUUID()}`;
    try {
      await redis.set(stash, value.text, 'EX', STASH_SECONDS);
    } catch {
      throw new ServiceUnavailableError();
    }
    form[name] = { filename: value.filename, size: value.size, utf8: value.utf8, stash } satisfies StashedFile;
  }
}

/** The uploaded file with its text, taken out of Redis (once); undefined when there is none. */
export async function takeUpload(redis: Redis, file: unknown): Promise<UploadedFile | undefined> {
  if (typeof file !== 'object' || file === null) return undefined;
  const f = file as Partial<StashedFile>;
  if (typeof f.stash !== 'string' || !/^upload:[0-9a-f-]{36}$/.test(f.stash)) return undefined;
  let text: string | null;
  try {
    text = await redis.getdel(f.stash);
  } catch {
    throw new ServiceUnavailableError();
  }
  if (text === null) return undefined;
  return { filename: String(f.filename ?? ''), size: Number(f.size ?? 0), utf8: f.utf8 === true, text };
}
