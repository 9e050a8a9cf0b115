/**
 * The one place where errors become HTTP answers. Errors arrive as Moleculer errors (possibly
 * deserialized from another node), body-parser errors, or anything else; the answer is always the
 * reference's format, and 5xx answers never carry internals.
 */
export interface HttpErrorAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  type?: unknown;
  data?: unknown;
  status?: unknown;
}

const BODY_PARSER_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'INVALID_JSON', 'The request body is not valid JSON'],
  'entity.too.large': [413, 'PAYLOAD_TOO_LARGE', 'The request body is too large'],
  'encoding.unsupported': [415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported'],
  'charset.unsupported': [415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body charset is not supported'],
  'request.aborted': [400, 'REQUEST_ABORTED', 'The request was aborted'],
  'request.size.invalid': [400, 'INVALID_REQUEST', 'The request body size does not match its Content-Length'],
  'stream.encoding.set': [500, 'INTERNAL_ERROR', 'Internal server error'],
};

/**
 * Errors of the database and Redis clients that mean "the dependency is down or does not answer", as
 * they arrive (possibly rebuilt from another node by name): a retryable 503, never a 500.
 */
const DEPENDENCY_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoOperationTimeoutError',
  'MongoNotConnectedError',
  'MaxRetriesPerRequestError',
]);
const DEPENDENCY_ERROR_MESSAGES = [/buffering timed out after/, /^Command timed out$/, /^Connection is closed\.?$/];

export function isDependencyFailure(e: { name?: string; message?: string }): boolean {
  if (e.name !== undefined && DEPENDENCY_ERROR_NAMES.has(e.name)) return true;
  return typeof e.message === 'string' && DEPENDENCY_ERROR_MESSAGES.some(pattern => pattern.test(e.message!));
}

function body(code: string, message: string, details: unknown = {}): unknown {
  return { error: { code, message, details: details ?? {} } };
}

export function toHttpError(err: unknown): HttpErrorAnswer {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const headers: Record<string, string> = {};

  if (typeof e.type === 'string' && e.type in BODY_PARSER_ERRORS) {
    const [status, code, message] = BODY_PARSER_ERRORS[e.type]!;
    return { status, body: body(code, message), headers };
  }

  if (isDependencyFailure(e)) {
    headers['Retry-After'] = '5';
    return { status: 503, body: body('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'), headers };
  }

  const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : 500;
  const code = typeof e.type === 'string' && e.type ? e.type : 'INTERNAL_ERROR';

  if (code === 'INVALID_API_KEY') {
    return {
      status: 401,
      body: { error: 'Invalid or missing API key', code: 'INVALID_API_KEY', status: 401 },
      headers,
    };
  }
  if (status === 429) {
    const retryAfter = (e.data as { retry_after?: number } | undefined)?.retry_after ?? 60;
    headers['Retry-After'] = String(retryAfter);
    return {
      status,
      body: body('RATE_LIMIT_EXCEEDED', e.message ?? 'Too many requests', { retry_after: retryAfter }),
      headers,
    };
  }
  if (
    code === 'SERVICE_NOT_FOUND' ||
    code === 'SERVICE_NOT_AVAILABLE' ||
    code === 'REQUEST_TIMEOUT' ||
    code === 'REQUEST_SKIPPED'
  ) {
    // A service the request needs has no live node (starting, or all replicas gone), or something it
    // needs did not answer before the request's deadline (a dependency that hangs): retry later.
    headers['Retry-After'] = '5';
    return { status: 503, body: body('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'), headers };
  }
  if (status === 422 && code === 'VALIDATION_ERROR') {
    return { status: 400, body: body('VALIDATION_ERROR', 'Invalid request parameters', {}), headers };
  }
  if (status >= 400 && status < 500) {
    return { status, body: body(code, e.message ?? 'Bad request', e.data), headers };
  }
  if (status === 503) {
    headers['Retry-After'] = '5';
    return { status: 503, body: body('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'), headers };
  }
  if (status === 504) {
    headers['Retry-After'] = '5';
    return { status: 503, body: body('SERVICE_UNAVAILABLE', 'Service temporarily unavailable, retry later'), headers };
  }
  return { status: 500, body: body('INTERNAL_ERROR', 'Internal server error'), headers };
}
