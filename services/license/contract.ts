/**
 * Shapes and queries of the license admin API, kept apart from the service so the service file reads
 * as a list of actions.
 */
import type { LicenseDoc } from '../../models/license.model.ts';
import { isExpired } from './verdict.ts';
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
