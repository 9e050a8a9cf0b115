/**
 * Request body readers of the page routes (the JSON routes keep json-body.ts): HTML forms as
 * `application/x-www-form-urlencoded` (at most MAX_BODY_BYTES), and on upload routes only,
 * `multipart/form-data` with at most one file of WEB_UPLOAD_MAX_BYTES (the leads' CSV import).
 * A body of another type is left unread (the gateway answers 415). Failures carry body-parser's error
 * types, which http-errors.ts maps to 400 and 413 answers.
 *
 * An uploaded file arrives in the params as an UploadedFile: its text when it is valid UTF-8, or
 * `utf8: false` (the page then says so, rather than guessing an encoding).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';

type Next = (err?: unknown) => void;
type Req = IncomingMessage & { body?: unknown };

export interface UploadedFile {
  filename: string;
  size: number;
  utf8: boolean;
  /** The file's text (a BOM removed); empty when it is not valid UTF-8. */
  text: string;
}

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const MULTIPART_TYPE = /^multipart\/form-data\s*;/i;
const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 16 * 1024;

function failure(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, type });
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Fields of a form: each name once (a repeated name keeps its values as a list, which schemas refuse). */
function toFields(params: URLSearchParams): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const before = fields[name];
    fields[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return fields;
}

function readAll(req: Req, limit: number, next: Next, done: (body: Buffer) => void): void {
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > limit)
    return next(failure(413, 'entity.too.large', 'Request body too large'));
  const chunks: Buffer[] = [];
  let received = 0;
  let finished = false;
  const finish = (err?: unknown, body?: Buffer) => {
    if (finished) return;
    finished = true;
    req.removeAllListeners('data');
    if (err) return next(err);
    done(body!);
  };
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) {
      req.pause();
      return finish(failure(413, 'entity.too.large', 'Request body too large'));
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (length !== undefined && received !== Number(length)) {
      return finish(failure(400, 'request.size.invalid', 'Request size did not match Content-Length'));
    }
    finish(undefined, Buffer.concat(chunks));
  });
  req.on('error', () => finish(failure(400, 'request.aborted', 'Request aborted')));
}

export function formBody(limit: number) {
  return function readFormBody(req: Req, _res: ServerResponse, next: Next): void {
    if (!hasBody(req) || !FORM_TYPE.test(req.headers['content-type'] ?? '')) return next();
    readAll(req, limit, next, body => {
      req.body = toFields(new URLSearchParams(body.toString('utf8')));
      next();
    });
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(bytes: Buffer): { utf8: boolean; text: string } {
  try {
    return { utf8: true, text: strictUtf8.decode(bytes) };
  } catch {
    return { utf8: false, text: '' };
  }
}

export function multipartBody(fileLimit: number) {
  return function readMultipartBody(req: Req, _res: ServerResponse, next: Next): void {
    if (!hasBody(req) || !MULTIPART_TYPE.test(req.headers['content-type'] ?? '')) return next();
    const length = req.headers['content-length'];
    // The file plus a little for the other fields and the part headers.
    if (length !== undefined && Number(length) > fileLimit + 64 * 1024) {
      return next(failure(413, 'entity.too.large', 'Request body too large'));
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          files: 1,
          fileSize: fileLimit,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + 1,
        },
      });
    } catch {
      return next(failure(400, 'entity.parse.failed', 'Malformed multipart body'));
    }
    const fields: Record<string, string | string[] | UploadedFile> = {};
    let failed: Error | null = null;
    let pendingFile: Promise<void> = Promise.resolve();
    const fail = (err: Error) => {
      failed ??= err;
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(failure(413, 'entity.too.large', 'A form field is too large'));
      const before = fields[name];
      // A repeated name keeps its values as a list, which the action's schema refuses.
      fields[name] = typeof before === 'string' ? [before, value] : Array.isArray(before) ? [...before, value] : value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      pendingFile = new Promise(resolve => {
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          chunks.push(chunk);
        });
        stream.on('limit', () => fail(failure(413, 'entity.too.large', 'The file is too large')));
        stream.on('close', () => {
          fields[name] = { filename: (info.filename ?? '').slice(0, 255), size, ...decode(Buffer.concat(chunks)) };
          resolve();
        });
      });
    });
    parser.on('filesLimit', () => fail(failure(413, 'entity.too.large', 'Only one file can be sent')));
    parser.on('fieldsLimit', () => fail(failure(413, 'entity.too.large', 'Too many form fields')));
    parser.on('partsLimit', () => fail(failure(413, 'entity.too.large', 'Too many form parts')));
    parser.on('error', () => {
      fail(failure(400, 'entity.parse.failed', 'Malformed multipart body'));
      finish();
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      req.unpipe(parser);
      void pendingFile.then(() => {
        if (failed) return next(failed);
        req.body = fields;
        next();
      });
    };
    parser.on('close', finish);
    req.on('error', () => {
      fail(failure(400, 'request.aborted', 'Request aborted'));
      finish();
    });
    req.pipe(parser);
  };
}
