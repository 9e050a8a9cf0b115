/**
 * The verify decision, as a pure function of a license view: checks in a fixed, documented order
 * (README, "Client API"); the first failing one gives the reason code. The session check
 * (TOO_MANY_USERS) comes last and needs Redis, so verify-path.ts does it after this answers VALID.
 */

export const VERIFY_CODES = [
  'VALID',
  'NOT_FOUND',
  'INACTIVE',
  'CUSTOMER_DISABLED',
  'NOT_YET_VALID',
  'EXPIRED',
  'NOT_ACTIVATED',
  'TOO_MANY_USERS',
] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

export const VERIFY_MESSAGES: Record<VerifyCode, string> = {
  VALID: 'License is valid',
  NOT_FOUND: 'License not found',
  INACTIVE: 'License is inactive',
  CUSTOMER_DISABLED: "The license's customer account is disabled",
  NOT_YET_VALID: 'License is not valid yet',
  EXPIRED: 'License has expired',
  NOT_ACTIVATED: 'License is not activated on this machine',
  TOO_MANY_USERS: 'Too many concurrent users for this license',
};

export const DAY_MS = 86_400_000;

export interface LicenseSnapshot {
  id: number;
  key: string;
  customer_id: number | null;
  type: string;
  valid_from: Date;
  valid_until: Date | null;
  max_activations: number;
  max_users: number;
  is_active: boolean;
}

export interface ActivationSnapshot {
  id: number;
  is_active: boolean;
}

export interface LicenseView {
  license: LicenseSnapshot | null;
  /** null when the license has no customer. */
  customer: { name: string; is_active: boolean } | null;
  activations: Map<string, ActivationSnapshot>;
}

/** valid_until is a calendar date: the license is valid through the end of that day (UTC). */
export function isExpired(validUntil: Date | null, now: number): boolean {
  return validUntil !== null && now >= validUntil.getTime() + DAY_MS;
}

/** Checks 1-5: the license itself, whatever the machine. */
export function licenseProblem(view: LicenseView, now: number): VerifyCode | null {
  const license = view.license;
  if (!license) return 'NOT_FOUND';
  if (!license.is_active) return 'INACTIVE';
  if (view.customer && !view.customer.is_active) return 'CUSTOMER_DISABLED';
  if (now < license.valid_from.getTime()) return 'NOT_YET_VALID';
  if (isExpired(license.valid_until, now)) return 'EXPIRED';
  return null;
}

/**
 * Checks 1-6: the license and this machine's activation. A legacy client that names its activation
 * must name this machine's.
 */
export function evaluate(
  view: LicenseView,
  hardwareHash: string,
  now: number,
  expectedActivationId?: number,
): { code: VerifyCode; activation?: ActivationSnapshot } {
  const problem = licenseProblem(view, now);
  if (problem) return { code: problem };
  const activation = view.activations.get(hardwareHash);
  if (!activation?.is_active) return { code: 'NOT_ACTIVATED' };
  if (expectedActivationId !== undefined && activation.id !== expectedActivationId) return { code: 'NOT_ACTIVATED' };
  return { code: 'VALID', activation };
}
