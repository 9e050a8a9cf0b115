/**
 * The webhook service's `this`: what its mixins give it and what it builds when it starts. The parts
 * in this folder type their handlers with WebhookThis; this is its one declaration.
 */
import type { Service } from 'moleculer';
import type { JobVars } from '../../mixins/repeating-job.mixin.ts';
import type { FactsMethods } from '../../mixins/facts.mixin.ts';
import type { CounterChild } from '../../lib/observability/hot-metrics.ts';
import type { DeliveryQueue } from './queue.ts';
import type { SecretBox } from './secrets.ts';
import type { Resolver } from './url-policy.ts';

export interface DeliverySettings {
  /** Production applies the address rules of url-policy.ts when saving and when sending. */
  production: boolean;
  timeoutMs: number;
  /** Seconds before each retry (WEBHOOK_RETRY_SCHEDULE). */
  retrySchedule: number[];
}

export interface WebhookState {
  delivery: DeliverySettings;
  queue: DeliveryQueue;
  box: SecretBox;
  /** Name resolution for the URL checks; tests put a fake one here so nothing is looked up. */
  resolveHost: Resolver;
  /** webhook_deliveries_total by attempt outcome. */
  outcomes: { delivered: CounterChild; failed_attempt: CounterChild; failed: CounterChild };
  depthTimer: NodeJS.Timeout | null;
}

export type WebhookThis = Service & JobVars & FactsMethods & WebhookState;
