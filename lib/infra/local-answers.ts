/**
 * Answers a service can give from memory, synchronously, to a gateway in the same process, keyed by
 * broker (tests run several brokers in one process) and action name.
 *
 * A warm verify needs no I/O, so the broker's local call (a Context, a uuid, the middleware chain, a
 * timeout timer and three promises) costs more than the answer itself. A service registers, next to
 * its action, a function that answers only when it can do so from memory and returns undefined
 * otherwise, having done nothing; the gateway then makes the ordinary broker call, with its deadline,
 * validation and retries. The params are checked against the action's own schema first, so a caller
 * sees exactly the errors the action would give.
 */
import type { ServiceBroker } from 'moleculer';
import { compileSchema, toValidationError, type JsonSchema } from '../core/validation.ts';
import { actionCallMetrics } from '../observability/hot-metrics.ts';

export interface LocalAnswerer<P = Record<string, unknown>, A = unknown> {
  /** The action's params schema (validated by the caller before `answer`). */
  schema: JsonSchema;
  /** The answer if it is in memory; undefined (and no side effect) when the action must run. */
  answer(params: P): A | undefined;
}

const byBroker = new WeakMap<ServiceBroker, Map<string, LocalAnswerer>>();

/**
 * Registers `answerer` for `action` on this broker. Its answers count in the action's call metrics
 * (moleculer_action_calls_total, moleculer_action_duration_seconds) as calls would.
 */
export function registerLocalAnswerer<P, A>(broker: ServiceBroker, action: string, answerer: LocalAnswerer<P, A>) {
  let answerers = byBroker.get(broker);
  if (!answerers) byBroker.set(broker, (answerers = new Map()));
  const { ok, time } = actionCallMetrics(broker, action);
  answerers.set(action, {
    schema: answerer.schema,
    answer(params) {
      const start = performance.now();
      const answer = answerer.answer(params as P);
      if (answer !== undefined) {
        ok.inc();
        time.observe((performance.now() - start) / 1000);
      }
      return answer;
    },
  });
}

/** A stopping service stops answering at once: its calls go to the other replicas. */
export function unregisterLocalAnswerer(broker: ServiceBroker, action: string): void {
  byBroker.get(broker)?.delete(action);
}

export function localAnswerer(broker: ServiceBroker, action: string): LocalAnswerer | undefined {
  return byBroker.get(broker)?.get(action);
}

/**
 * Throws the action's ValidationError when `params` do not fit its schema (defaults are filled in),
 * counted as the action's failed call, as the validator middleware's refusal is.
 */
export function assertActionParams(
  broker: ServiceBroker,
  action: string,
  answerer: LocalAnswerer,
  params: Record<string, unknown>,
): void {
  const validate = compileSchema(answerer.schema);
  if (validate(params)) return;
  actionCallMetrics(broker, action).failed.inc();
  throw toValidationError(validate.errors![0]!);
}
