/**
 * Many calls of one action, made in the same turn of the event loop, sent to another node as one call
 * of its batch action; and the batch action's side: run each item as the single action would, each
 * with its own answer or error.
 *
 * Why: a call across NATS costs both nodes far more than a warm verify (serialising, the transporter,
 * a Context and the middleware chain on each side: about 250 us of the 2-core bench machine's CPU per
 * call). A gateway under load receives many verifies per turn; one message for all of them shares that
 * cost out. Nothing waits to fill a batch: what arrived in this turn leaves in the next one
 * (setImmediate), so a lone request pays no delay. docs/performance.md has the figures.
 *
 * Each item keeps its own outcome: an item's error is sent as Moleculer sends errors between nodes
 * (its plain form) and rebuilt with the broker's error regenerator, so the gateway maps it to HTTP
 * exactly as it would the single call's error. The batch's deadline is its oldest item's.
 */
import type { Errors, ServiceBroker } from 'moleculer';
import type { DeadlineMeta } from './expired-work.ts';

/** The broker's error regenerator: set by the broker's constructor, before any service exists. */
function regenerator(broker: ServiceBroker): Errors.Regenerator {
  return broker.errorRegenerator!;
}

/** One item's outcome, as the batch action returns it. */
export type BatchOutcome<A> = { ok: A } | { error: Errors.PlainMoleculerError };

/** The batch action's params: the single action's params, one per item. */
export interface BatchParams<P> {
  items: P[];
}

/** Most items one batch carries; a busier turn sends several batches. */
export const MAX_BATCH_ITEMS = 128;

interface Pending<P, A> {
  params: P;
  deadlineAt: number;
  resolve(answer: A): void;
  reject(err: unknown): void;
}

export class CallBatcher<P, A> {
  private readonly broker: ServiceBroker;
  private readonly batchAction: string;
  private queue: Pending<P, A>[] = [];
  private scheduled = false;

  constructor(broker: ServiceBroker, batchAction: string) {
    this.broker = broker;
    this.batchAction = batchAction;
  }

  /** Settles with the item's answer or its error, as a single call would. */
  call(params: P, deadlineAt: number): Promise<A> {
    return new Promise<A>((resolve, reject) => {
      this.queue.push({ params, deadlineAt, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (let i = 0; i < queue.length; i += MAX_BATCH_ITEMS) this.send(queue.slice(i, i + MAX_BATCH_ITEMS));
  }

  private send(batch: Pending<P, A>[]): void {
    let deadlineAt = Infinity;
    for (const item of batch) if (item.deadlineAt < deadlineAt) deadlineAt = item.deadlineAt;
    const meta: DeadlineMeta = { deadlineAt };
    const params: BatchParams<P> = { items: batch.map(item => item.params) };
    this.broker
      .call<BatchOutcome<A>[], BatchParams<P>>(this.batchAction, params, {
        timeout: Math.max(1, deadlineAt - Date.now()),
        retries: 0,
        meta,
      })
      .then(
        outcomes => {
          for (const [i, item] of batch.entries()) {
            const outcome = outcomes[i];
            if (outcome && 'ok' in outcome) item.resolve(outcome.ok);
            else item.reject(outcome ? regenerator(this.broker).restore(outcome.error, {}) : new Error('No answer'));
          }
        },
        (err: unknown) => {
          for (const item of batch) item.reject(err);
        },
      );
  }
}

/**
 * The batch action's body: `single` for every item (its answer or a promise of it), each item's error
 * kept as its plain form. Items run concurrently, as separate calls would; a batch whose items are all
 * answered from memory returns without a promise.
 */
export function runBatch<P, A>(
  broker: ServiceBroker,
  items: P[],
  single: (params: P) => A | Promise<A>,
): BatchOutcome<A>[] | Promise<BatchOutcome<A>[]> {
  const plain = (err: unknown): BatchOutcome<A> => {
    // The stack stays on this node: the gateway never shows it, and it is the bulk of the message.
    const { stack: _stack, ...error } = regenerator(broker).extractPlainError(err as Error, {});
    return { error };
  };
  const outcomes: BatchOutcome<A>[] = new Array<BatchOutcome<A>>(items.length);
  const waiting: Promise<void>[] = [];
  for (const [i, params] of items.entries()) {
    try {
      const answer = single(params);
      if (answer instanceof Promise) {
        waiting.push(
          answer.then(
            ok => void (outcomes[i] = { ok }),
            (err: unknown) => void (outcomes[i] = plain(err)),
          ),
        );
      } else {
        outcomes[i] = { ok: answer };
      }
    } catch (err) {
      outcomes[i] = plain(err);
    }
  }
  return waiting.length === 0 ? outcomes : Promise.all(waiting).then(() => outcomes);
}
