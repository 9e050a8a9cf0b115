/**
 * The one error hierarchy. Each error carries a stable SCREAMING_SNAKE code (Moleculer's `type`), an
 * HTTP status (Moleculer's `code`) and small `data` (the reference's `details`). They cross NATS as
 * plain fields, so the gateway maps them by those fields (services/api/http-errors.ts); every code is listed in lib/core/error-codes.ts, never by class.
 */
import { Errors } from 'moleculer';
import { ERROR_CODES, type CodeWithStatus, type ErrorCode } from './error-codes.ts';

export { ERROR_CODES, type ErrorCode } from './error-codes.ts';

export type ErrorDetails = Record<string, unknown>;

export class AppError extends Errors.MoleculerClientError {
  constructor(code: ErrorCode, message: string, details?: ErrorDetails) {
    super(message, ERROR_CODES[code].status, code, details);
    // Moleculer rebuilds errors that cross the transporter by name; a name it knows (ValidationError)
    // would come back as its own class with another status. This name keeps status, code and details.
    this.name = 'AppError';
  }
}

/** A field of the request is wrong: details name the field and the reason. */
export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetails, code: CodeWithStatus<400> = 'VALIDATION_ERROR') {
    super(code, message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code: CodeWithStatus<401> = 'UNAUTHORIZED', details?: ErrorDetails) {
    super(code, message, details);
  }
}

/** The reference's API-key 401, whose body has its own documented shape. */
export class InvalidApiKeyError extends AppError {
  constructor() {
    super('INVALID_API_KEY', 'Invalid or missing API key');
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Insufficient permissions', code: CodeWithStatus<403> = 'FORBIDDEN', details?: ErrorDetails) {
    super(code, message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code: CodeWithStatus<404> = 'NOT_FOUND', details?: ErrorDetails) {
    super(code, message, details);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code: CodeWithStatus<409> = 'CONFLICT', details?: ErrorDetails) {
    super(code, message, details);
  }
}

export class RateLimitError extends AppError {
  /** `limit` is given by limits enforced inside a service, so the gateway can still set X-RateLimit-*. */
  constructor(retryAfterSeconds: number, limit?: number) {
    super('RATE_LIMIT_EXCEEDED', 'Too many requests, retry later', {
      retry_after: retryAfterSeconds,
      ...(limit !== undefined ? { limit, reset: retryAfterSeconds } : {}),
    });
  }
}

/** A dependency (database, Redis) is unreachable: retryable, and reported without internals. */
export class ServiceUnavailableError extends Errors.MoleculerRetryableError {
  constructor(message = 'Service temporarily unavailable', details?: ErrorDetails) {
    super(message, 503, 'SERVICE_UNAVAILABLE', details);
  }
}

/**
 * A unique index refused a write: MongoDB's E11000. The embedded FerretDB server reports the same
 * violation on updates (not on inserts) as code 1 with SQLite's message, so that is recognised too.
 */
export function isDuplicateKeyError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === 11000 || (code === 1 && typeof message === 'string' && message.includes('UNIQUE constraint failed'));
}
