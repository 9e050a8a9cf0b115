/**
 * Every broker event: a fact that happened, named `<subject>.<what happened>`, with its payload. A
 * service announces a fact through the facts mixin (mixins/facts.mixin.ts), which accepts only names
 * listed here with their payload type; a test checks that no code emits or listens to anything else.
 *
 * Payloads carry ids (integers, as in the API answers); listeners re-read what else they need.
 * `delivery: 'broadcast'` facts reach every node that listens (each gateway must act on them);
 * `emit` facts reach one node per listening service (balanced), so each is handled once per service.
 */

export interface EventPayloads {
  'license.created': { license_id: number; customer_id: number | null };
  'license.updated': { license_id: number; customer_id: number | null; is_active: boolean };
  'license.deleted': { license_id: number };
  'license.activated': { license_id: number; activation_id: number; customer_id: number | null };
  'license.expired': { license_id: number; customer_id: number | null; valid_until: string | null };
  'license.deactivated': { license_id: number; activation_id: number; customer_id: number | null };
  'license.usage_threshold': UsageThresholdFact;
  'device.registered': DeviceFact;
  'device.deactivated': DeviceFact;
  'device.heartbeat.excessive': ExcessiveHeartbeatsFact;
  'device.heartbeat.dead': HeartbeatDeadFact;
  'customer.created': { customer_id: number };
  'customer.updated': { customer_id: number };
  'customer.deleted': { customer_id: number };
  'resource.created': { resource_id: number };
  'resource.deleted': { resource_id: number };
  'resource.allocated': { license_id: number; resource_ids: number[] };
  'resource.released': { license_id: number; resource_ids: number[] };
  'release.published': { id: number; version: string; is_mandatory: boolean };
  'lead.created': { lead_id: number };
  'lead.updated': { lead_id: number };
  'lead.deleted': { lead_id: number };
  'lead.converted': { lead_id: number; customer_id: number; created_customer: boolean };
  'lead.imported': { created: number; updated: number };
  'admin.login_failed': { username: string; ip: string | null; reason: 'throttled' | 'invalid_credentials' };
  'admin.user.created': { id: number; role: string; by: number | null };
  'admin.user.deleted': { id: number; role: string; by: number | null };
  'apikey.rotated': { prefix: string; by: number | null };
  'anomaly.detected': AnomalyFact;
  'webhook.endpoint_disabled': { endpoint_id: number; reason: string };
}

/** What every fact carries besides its payload (added by the facts mixin). */
export interface FactEnvelope {
  /** Unique per announcement: listeners and webhook deliveries deduplicate by it. */
  event_id: string;
  /** When the fact was announced (ISO 8601). */
  at: string;
}

/** A fact as listeners receive it. */
export type Fact<E extends EventName> = EventPayloads[E] & FactEnvelope;

export interface UsageThresholdFact {
  license_id: number;
  customer_id: number | null;
  /** Which limit: seats (max_activations) or concurrent sessions (max_users). */
  metric: 'activations' | 'users';
  /** The percentage of the limit that was reached: 80 or 100. */
  threshold: 80 | 100;
  used: number;
  limit: number;
}

export interface AnomalyFact {
  anomaly_id: number;
  type: 'unusual_activation_pattern' | 'excessive_heartbeats' | 'license_hopping';
  license_id: number | null;
  activation_id: number | null;
  customer_id: number | null;
  evidence: Record<string, unknown>;
}

export interface HeartbeatDeadFact {
  license_id: number;
  activation_id: number;
  customer_id: number | null;
  /** The machine's last sign of life (verify or heartbeat) the session store saw, ISO 8601. */
  last_heartbeat: string | null;
}

/**
 * Heartbeats beyond the rate limit, counted by the heartbeat limiter (refused and accepted alike):
 * announced once per limiter window, when the count reaches the limit plus ANOMALY_HEARTBEAT_EXCESS.
 */
export interface ExcessiveHeartbeatsFact {
  license_id: number;
  /** null when the machine holds no activation of the license. */
  activation_id: number | null;
  customer_id: number | null;
  /** Heartbeats counted in the window so far (accepted and refused). */
  hits: number;
  /** Heartbeats the window allows (RATE_LIMIT_HEARTBEAT_PER_MINUTE). */
  limit: number;
  window_seconds: number;
}

export interface DeviceFact {
  license_id: number;
  license_key: string;
  activation_id: number;
  hardware_hash: string;
}

export type EventName = keyof EventPayloads;

export interface EventSpec {
  /** When the fact is announced. */
  when: string;
  delivery: 'emit' | 'broadcast';
}

export const EVENTS: { readonly [E in EventName]: EventSpec } = {
  'license.created': { when: 'an admin created a license', delivery: 'emit' },
  'license.updated': { when: 'a license was toggled, bulk (de)activated or quick-edited', delivery: 'emit' },
  'license.deleted': { when: 'a license was deleted (bulk delete)', delivery: 'emit' },
  'license.activated': {
    when: 'a machine took a new seat of a license (not on an idempotent re-activation)',
    delivery: 'emit',
  },
  'license.expired': { when: "a license's valid_until passed (once per license and end date)", delivery: 'emit' },
  'license.deactivated': {
    when: 'a device (activation) of a license was deactivated, freeing its seat',
    delivery: 'emit',
  },
  'license.usage_threshold': {
    when: 'a license reached 80% or 100% of max_activations or max_users (once per crossing)',
    delivery: 'emit',
  },
  'device.registered': { when: 'a seat was claimed (client activation or admin register-device)', delivery: 'emit' },
  'device.deactivated': { when: 'an admin deactivated a device, freeing its seat', delivery: 'emit' },
  'device.heartbeat.excessive': {
    when: 'a machine sent ANOMALY_HEARTBEAT_EXCESS heartbeats more than its rate limit allows in one window (once per window)',
    delivery: 'emit',
  },
  'device.heartbeat.dead': {
    when: 'a machine stayed silent past HEARTBEAT_TIMEOUT_SECONDS (once per lapse)',
    delivery: 'emit',
  },
  'customer.created': { when: 'an admin created a customer', delivery: 'emit' },
  'customer.updated': { when: 'an admin changed a customer', delivery: 'emit' },
  'customer.deleted': { when: 'an admin deleted a customer', delivery: 'emit' },
  'resource.created': { when: 'a resource was added to the pool', delivery: 'emit' },
  'resource.deleted': { when: 'a free resource was deleted', delivery: 'emit' },
  'resource.allocated': { when: 'resources were allocated to a license (once per allocation)', delivery: 'emit' },
  'resource.released': { when: 'resources were released (once per license they were released from)', delivery: 'emit' },
  'release.published': { when: 'a release was published', delivery: 'emit' },
  'lead.created': { when: 'a lead (institution) was created', delivery: 'emit' },
  'lead.updated': { when: 'a lead or one of its contacts or activities was changed', delivery: 'emit' },
  'lead.deleted': { when: 'a lead was deleted with its contacts and activities', delivery: 'emit' },
  'lead.converted': {
    when: 'a lead was converted: linked to a customer created for it or found by email (once per lead)',
    delivery: 'emit',
  },
  'lead.imported': { when: 'a CSV import batch created or updated leads (once per batch)', delivery: 'emit' },
  'admin.login_failed': { when: 'a login was refused (wrong credentials or throttled)', delivery: 'emit' },
  'admin.user.created': { when: 'an admin created an admin user', delivery: 'emit' },
  'admin.user.deleted': { when: 'an admin deleted an admin user', delivery: 'emit' },
  'apikey.rotated': {
    when: 'the system API key was regenerated: every gateway drops the old one',
    delivery: 'broadcast',
  },
  'anomaly.detected': { when: 'a detector opened an anomaly (one open per license and type)', delivery: 'emit' },
  'webhook.endpoint_disabled': {
    when: 'a webhook endpoint failed a delivery through its whole retry schedule and was disabled',
    delivery: 'emit',
  },
};

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(EVENTS, name);
}
