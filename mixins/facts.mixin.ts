/**
 * Announcing facts: `this.announce(ctx, name, payload)` emits (or broadcasts, as the catalogue says)
 * one event of lib/core/events.ts. Only catalogued names with their payload type compile. Every fact
 * gets a unique `event_id` and its time `at` (FactEnvelope), so listeners can deduplicate and order. The state
 * change has happened when a fact is announced, so a failed emit is logged, never turned into the
 * caller's error (the client's write did succeed). Listeners in the announcing process are waited for
 * at most LOCAL_LISTENERS_WAIT_MS: a listener whose own dependency is away must not hold the request.
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
  let sent: Promise<unknown>;
  try {
    // A fact is handled on its own time: it does not inherit the deadline of the request that caused
    // it (lib/infra/expired-work.ts would skip the calls its listeners make).
    const opts = { meta: { deadlineAt: undefined } };
    sent = Promise.resolve(
      ctx
        ? broadcast
          ? ctx.broadcast(name, fact, opts)
          : ctx.emit(name, fact, opts)
        : broadcast
          ? this.broker.broadcast(name, fact)
          : this.broker.emit(name, fact),
    );
  } catch (err) {
    sent = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  const settled = sent.then(
    () => undefined,
    (err: Error) => this.logger.warn('Could not announce a fact', { event: name, message: err.message }),
  );
  // Emitting runs this process's own listeners before it settles. A quick one has finished when the
  // caller goes on; a slow one (its own dependency away) finishes on its own, without holding the
  // caller's request past its deadline.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([settled, new Promise<void>(resolve => (timer = setTimeout(resolve, LOCAL_LISTENERS_WAIT_MS)))]);
  clearTimeout(timer);
}

/** How long announcing waits for this process's own listeners at most. */
const LOCAL_LISTENERS_WAIT_MS = 500;

export function factsMixin(): Partial<ServiceSchema> {
  return { methods: { announce } };
}
