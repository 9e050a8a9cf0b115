/**
 * What other services may rely on from the license service: the shapes of its answers, and the
 * license status rules the admin API filters by.
 */
import type { LicenseDoc } from '../../models/license.model.ts';
import { isExpired, type VerifyCode } from './verdict.ts';
import { dateOnly, startOfDay } from '../../lib/core/values.ts';

export const LICENSE_STATUSES = ['active', 'inactive', 'expired'] as const;
export type LicenseStatus = (typeof LICENSE_STATUSES)[number];

export function statusOf(doc: Pick<LicenseDoc, 'is_active' | 'valid_until'>, now = Date.now()): LicenseStatus {
  if (!doc.is_active) return 'inactive';
  return isExpired(doc.valid_until, now) ? 'expired' : 'active';
}

export interface LicenseAnswer {
  id: number;
  key: string;
  license_key: string;
  customer_id: number | null;
  type: string;
  status: LicenseStatus;
  valid_from: string | null;
  valid_until: string | null;
  max_activations: number;
  max_users: number;
  is_active: boolean;
  notes: string;
  created_at: string;
  updated_at: string;
}

/** `key` is the reference's name in license answers, `license_key` in customer answers; both are given. */
export function toLicenseAnswer(doc: LicenseDoc): LicenseAnswer {
  return {
    id: doc._id,
    key: doc.key,
    license_key: doc.key,
    customer_id: doc.customer_id,
    type: doc.type,
    status: statusOf(doc),
    valid_from: dateOnly(doc.valid_from),
    valid_until: dateOnly(doc.valid_until),
    max_activations: doc.max_activations,
    max_users: doc.max_users,
    is_active: doc.is_active,
    notes: doc.notes ?? '',
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

/** Filter for GET /api/licenses' status parameter, expressed on stored fields. */
export function statusFilter(status: LicenseStatus, now = Date.now()): Record<string, unknown> {
  // valid_until is stored as midnight UTC of its date and holds through that day, so a license is
  // expired exactly when valid_until lies before today's midnight.
  const startOfToday = startOfDay(now);
  switch (status) {
    case 'inactive':
      return { is_active: false };
    case 'expired':
      return { is_active: true, valid_until: { $ne: null, $lt: startOfToday } };
    case 'active':
      return { is_active: true, $or: [{ valid_until: null }, { valid_until: { $gte: startOfToday } }] };
  }
}

/** POST /api/license/verify (and the legacy validate): always 200 when well-formed. */
export interface VerifyAnswer {
  valid: boolean;
  code: VerifyCode;
  message: string;
  license?: { key: string; valid_until: string | null; max_users: number };
  update_available?: boolean;
  latest_version?: string | null;
}

/** POST /api/license/heartbeat. */
export interface HeartbeatAnswer {
  success: boolean;
  valid: boolean;
  code: VerifyCode;
  message: string;
  activation_id: number | null;
  last_heartbeat: string | null;
  next_heartbeat_seconds: number;
  update_available: boolean | undefined;
  latest_version: string | null | undefined;
}

/** An activation as license answers show it (license info, device lists). */
export interface LicenseActivationAnswer {
  id: number;
  hardware_hash: string;
  machine_name: string;
  activated_at: string;
  last_heartbeat: string | null;
  is_active: boolean;
}

/** POST /api/license/activate. */
export interface ActivateAnswer {
  message: string;
  activation: LicenseActivationAnswer & { license_key: string };
}

/** A license in admin lists, with its active activation count. */
export type LicenseListEntry = LicenseAnswer & { current_activations: number };
