/**
 * Announcing facts: `this.announce(ctx, name, payload)` emits (or broadcasts, as the catalogue says)
 * one event of lib/core/events.ts. Only catalogued names with their payload type compile. Every fact
 * gets a unique `event_id` and its time `at` (FactEnvelope), so listeners can deduplicate and order. The state
 * change has happened when a fact is announced, so a failed emit is logged, never turned into the
 * caller's error (the client's write did succeed).
 */
import { randomUUID } from 'node:crypto';
import type { Context, Service, ServiceSchema } from 'moleculer';
import { EVENTS, type EventName, type EventPayloads, type Fact } from '../lib/core/events.ts';

export interface FactsMethods {
  announce<E extends EventName>(ctx: Context | null, name: E, payload: EventPayloads[E]): Promise<void>;
}

async function announce<E extends EventName>(
  this: Service,
  ctx: Context | null,
  name: E,
  payload: EventPayloads[E],
): Promise<void> {
  const broadcast = EVENTS[name].delivery === 'broadcast';
  const fact: Fact<E> = { ...payload, event_id: randomUUID(), at: new Date().toISOString() };
  try {
    if (ctx) await (broadcast ? ctx.broadcast(name, fact) : ctx.emit(name, fact));
    else await (broadcast ? this.broker.broadcast(name, fact) : this.broker.emit(name, fact));
  } catch (err) {
    this.logger.warn('Could not announce a fact', { event: name, message: (err as Error).message });
  }
}

export function factsMixin(): Partial<ServiceSchema> {
  return { methods: { announce } };
}
