/**
 * What an endpoint can subscribe to: the facts that are delivered as webhooks, the reference's four
 * groups ("license activation", "license expiration", "suspicious activity", "usage threshold alerts")
 * mapped onto them, and `*` for every deliverable fact, including ones added later.
 * docs/webhooks.md shows the same table.
 */
import type { EventName } from '../../lib/core/events.ts';

export const DELIVERABLE_EVENTS = [
  'license.activated',
  'license.deactivated',
  'license.expired',
  'license.updated',
  'license.usage_threshold',
  'device.heartbeat.dead',
  'anomaly.detected',
  'apikey.rotated',
  'webhook.endpoint_disabled',
] as const satisfies readonly EventName[];
export type DeliverableEvent = (typeof DELIVERABLE_EVENTS)[number];

export const EVENT_GROUPS = {
  license_activation: ['license.activated', 'license.deactivated'],
  license_expiration: ['license.expired'],
  suspicious_activity: ['anomaly.detected'],
  usage_threshold: ['license.usage_threshold'],
} as const satisfies Record<string, readonly DeliverableEvent[]>;

export const ALL_EVENTS = '*';

/** The event sent by POST /api/webhook/{id}/test: never a fact, never subscribed to. */
export const TEST_EVENT = 'webhook.test';

/** Every value `events` may hold. */
export const SUBSCRIPTION_NAMES = [ALL_EVENTS, ...Object.keys(EVENT_GROUPS), ...DELIVERABLE_EVENTS] as const;

/** The event names a subscription covers, `*` kept as it is; sorted and without repeats. */
export function expandSubscription(names: readonly string[]): string[] {
  if (names.includes(ALL_EVENTS)) return [ALL_EVENTS];
  const expanded = new Set<string>();
  for (const name of names) {
    const group = (EVENT_GROUPS as Record<string, readonly string[]>)[name];
    for (const event of group ?? [name]) expanded.add(event);
  }
  return [...expanded].sort();
}
