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
  'device.registered': DeviceFact;
  'device.deactivated': DeviceFact;
  'device.heartbeat': { license_id: number; activation_id: number; at: number };
  'customer.created': { customer_id: number };
  'customer.updated': { customer_id: number };
  'customer.deleted': { customer_id: number };
  'resource.created': { resource_id: number };
  'resource.deleted': { resource_id: number };
  'resource.allocated': { license_id: number; resource_ids: number[] };
  'resource.released': { license_id: number; resource_ids: number[] };
  'release.published': { id: number; version: string; is_mandatory: boolean };
  'admin.login_failed': { username: string; ip: string | null; reason: 'throttled' | 'invalid_credentials' };
  'admin.user.created': { id: number; role: string; by: number | null };
  'admin.user.deleted': { id: number; role: string; by: number | null };
  'apikey.rotated': { prefix: string; by: number | null };
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
  'device.registered': { when: 'a seat was claimed (client activation or admin register-device)', delivery: 'emit' },
  'device.deactivated': { when: 'an admin deactivated a device, freeing its seat', delivery: 'emit' },
  'device.heartbeat': { when: 'a heartbeat of a valid activation was recorded', delivery: 'emit' },
  'customer.created': { when: 'an admin created a customer', delivery: 'emit' },
  'customer.updated': { when: 'an admin changed a customer', delivery: 'emit' },
  'customer.deleted': { when: 'an admin deleted a customer', delivery: 'emit' },
  'resource.created': { when: 'a resource was added to the pool', delivery: 'emit' },
  'resource.deleted': { when: 'a free resource was deleted', delivery: 'emit' },
  'resource.allocated': { when: 'resources were allocated to a license (once per allocation)', delivery: 'emit' },
  'resource.released': { when: 'resources were released (once per license they were released from)', delivery: 'emit' },
  'release.published': { when: 'a release was published', delivery: 'emit' },
  'admin.login_failed': { when: 'a login was refused (wrong credentials or throttled)', delivery: 'emit' },
  'admin.user.created': { when: 'an admin created an admin user', delivery: 'emit' },
  'admin.user.deleted': { when: 'an admin deleted an admin user', delivery: 'emit' },
  'apikey.rotated': {
    when: 'the system API key was regenerated: every gateway drops the old one',
    delivery: 'broadcast',
  },
};

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(EVENTS, name);
}
