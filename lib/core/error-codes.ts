/**
 * Every error code the API answers with: its HTTP status and what it means to a caller. Errors are
 * thrown by code (lib/core/errors.ts), so a code that is not listed here does not compile, and the
 * status of a code is decided here once. docs/errors.md is generated from this list
 * (`npm run docs:errors`) and a test keeps the two in step.
 */
export const ERROR_CODES = {
  // Request shape
  VALIDATION_ERROR: { status: 400, meaning: 'A parameter is missing, unknown, of the wrong type or out of range' },
  INVALID_LICENSE: { status: 400, meaning: 'license_key is not of the form XXXX-XXXX-XXXX-XXXX' },
  INVALID_JSON: { status: 400, meaning: 'The request body is not valid JSON' },
  INVALID_REQUEST: { status: 400, meaning: 'The request body size does not match its Content-Length' },
  REQUEST_ABORTED: { status: 400, meaning: 'The client aborted the request while sending it' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The request body is larger than MAX_BODY_BYTES' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The request body is not application/json (UTF-8, identity)' },
  ROUTE_NOT_FOUND: { status: 404, meaning: 'No route has this method and path' },
  METHOD_NOT_ALLOWED: {
    status: 405,
    meaning: 'A route has this path, but not with this method: the Allow header lists the methods it takes',
  },

  // Authentication and permissions
  INVALID_API_KEY: { status: 401, meaning: 'X-API-Key is missing or not the active system key' },
  UNAUTHORIZED: { status: 401, meaning: 'The bearer token is missing, malformed or not an admin token' },
  TOKEN_EXPIRED: { status: 401, meaning: 'The bearer token has expired: log in again' },
  TOKEN_REVOKED: { status: 401, meaning: 'The bearer token was revoked (logout, user deleted, password reset)' },
  INVALID_CREDENTIALS: { status: 401, meaning: 'Wrong username or password' },
  FORBIDDEN: {
    status: 403,
    meaning:
      'The admin role is needed (a viewer token on a write route), or a broker call of a sensitive action came without a signed-in admin',
  },
  RATE_LIMIT_EXCEEDED: { status: 429, meaning: 'Too many requests: wait Retry-After seconds' },

  // Licenses and activation
  LICENSE_NOT_FOUND: { status: 404, meaning: 'No license has this key or id' },
  LICENSE_INACTIVE: { status: 403, meaning: 'The license is deactivated: activation refused' },
  LICENSE_EXPIRED: { status: 403, meaning: 'The license validity ended: activation refused' },
  LICENSE_NOT_YET_VALID: { status: 403, meaning: 'The license validity has not started: activation refused' },
  CUSTOMER_DISABLED: { status: 403, meaning: "The license's customer is disabled: activation refused" },
  ACTIVATION_LIMIT_REACHED: {
    status: 409,
    meaning: 'Every seat (max_activations) is taken: deactivate a device first',
  },
  ACTIVATIONS_EXCEED_LIMIT: { status: 409, meaning: 'max_activations cannot go below the active devices' },
  LICENSE_KEY_EXISTS: { status: 409, meaning: 'Another license has this key' },
  CONCURRENT_UPDATE: { status: 409, meaning: 'The record changed while it was being updated: retry' },
  KEY_GENERATION_FAILED: { status: 500, meaning: 'No unused license key was found in five draws (never seen)' },
  DEVICE_NOT_FOUND: { status: 404, meaning: 'The license has no device (activation) with this id' },

  // Customers
  CUSTOMER_NOT_FOUND: { status: 404, meaning: 'No customer has this id' },
  CUSTOMER_EMAIL_EXISTS: { status: 409, meaning: 'Another customer has this email (case-insensitively)' },
  CUSTOMER_HAS_LICENSES: { status: 409, meaning: 'A customer with licenses cannot be deleted' },

  // Resources
  RESOURCE_NOT_FOUND: { status: 404, meaning: 'No resource has this id' },
  RESOURCE_IDENTIFIER_EXISTS: { status: 409, meaning: 'Another resource has this identifier (case-insensitively)' },
  RESOURCE_UNAVAILABLE: { status: 409, meaning: 'A requested resource is allocated to another license' },
  RESOURCE_ALLOCATED: { status: 409, meaning: 'An allocated resource cannot be deleted: release it first' },
  RESOURCE_NOT_ALLOCATED_TO_LICENSE: { status: 409, meaning: 'The resource is not allocated to the given license' },
  ALLOCATION_ABORTED: { status: 409, meaning: 'The license went away during the allocation: nothing was allocated' },

  // Leads and the web pages
  LEAD_NOT_FOUND: { status: 404, meaning: 'No lead has this id' },
  CONTACT_NOT_FOUND: { status: 404, meaning: 'The lead has no contact with this id' },
  ACTIVITY_NOT_FOUND: { status: 404, meaning: 'The lead has no activity with this id' },
  LEAD_EXISTS: { status: 409, meaning: 'Another lead has this name in this country (case-insensitively)' },
  LEAD_NOT_CONVERTIBLE: { status: 409, meaning: 'The lead has no contact with an email to create the customer with' },
  CSRF_TOKEN_INVALID: { status: 403, meaning: "A page's form was sent without its valid CSRF token: reload the page" },

  // Releases
  NO_RELEASE: { status: 404, meaning: 'No release has been published yet' },
  RELEASE_EXISTS: { status: 409, meaning: 'This version has been published already' },

  // Admin users and the API key
  USER_NOT_FOUND: { status: 404, meaning: 'No admin user has this id' },
  USERNAME_TAKEN: { status: 409, meaning: 'Another admin user has this username (case-insensitively)' },
  CANNOT_DELETE_SELF: { status: 409, meaning: 'An admin cannot delete their own user' },
  LAST_ADMIN: { status: 409, meaning: 'The last admin cannot be deleted' },
  NO_API_KEY: { status: 404, meaning: 'No system API key exists yet: regenerate one' },

  // Monitoring
  ANOMALY_NOT_FOUND: { status: 404, meaning: 'No anomaly has this id' },

  // Webhooks
  WEBHOOK_NOT_FOUND: { status: 404, meaning: 'No webhook endpoint has this id' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, meaning: 'No webhook delivery has this id' },
  WEBHOOK_URL_NOT_ALLOWED: {
    status: 400,
    meaning: 'In production, a webhook URL may not point at a loopback, private, link-local or internal address',
  },
  WEBHOOK_SECRET_INVALID: { status: 400, meaning: 'A webhook secret must be whsec_ + base64 of 24 to 64 bytes' },

  // Generic and server side
  NOT_FOUND: { status: 404, meaning: 'The record does not exist' },
  CONFLICT: { status: 409, meaning: 'The request conflicts with the stored state' },
  INTERNAL_ERROR: { status: 500, meaning: 'An unexpected error; details are in the server log, never in the answer' },
  SERVICE_UNAVAILABLE: {
    status: 503,
    meaning: 'A dependency (database, Redis, a service) is unreachable: retry later',
  },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes whose status is S: lets an error class accept only codes of its own status. */
export type CodeWithStatus<S extends number> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['status'] extends S ? K : never;
}[ErrorCode];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
