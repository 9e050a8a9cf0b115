/**
 * A service that listens to catalogued facts on a test broker and keeps what it heard, so suites can
 * assert which facts an HTTP request produced, how many, and with what payload. It is a service of its
 * own: `emit` facts reach it once, as they reach any other listening service.
 */
import { randomBytes } from 'node:crypto';
import type { Context, ServiceBroker } from 'moleculer';
import { EVENTS, type EventName, type Fact } from '../../lib/core/events.ts';

export interface Heard {
  name: EventName;
  fact: Record<string, unknown>;
}

export class FactSpy {
  readonly heard: Heard[] = [];

  /** Starts a spy on `broker` listening to `names` (default: every catalogued fact). */
  static async attach(
    broker: ServiceBroker,
    names: EventName[] = Object.keys(EVENTS) as EventName[],
  ): Promise<FactSpy> {
    const spy = new FactSpy();
    const service = `factSpy${randomBytes(4).toString('hex')}`;
    broker.createService({
      name: service,
      events: Object.fromEntries(
        names.map(name => [
          name,
          (ctx: Context<Record<string, unknown>>) => {
            spy.heard.push({ name, fact: ctx.params });
          },
        ]),
      ),
    });
    await broker.waitForServices([service], 5000);
    return spy;
  }

  /** The facts heard of one name, optionally only those matching. */
  of<E extends EventName>(name: E, match: (fact: Fact<E>) => boolean = () => true): Array<Fact<E>> {
    return this.heard
      .filter(h => h.name === name)
      .map(h => h.fact as unknown as Fact<E>)
      .filter(match);
  }

  /** Waits until `count` facts of this name match (facts arrive asynchronously); fails after ~3 s. */
  async wait<E extends EventName>(
    name: E,
    match: (fact: Fact<E>) => boolean = () => true,
    count = 1,
  ): Promise<Array<Fact<E>>> {
    for (let i = 0; i < 150; i += 1) {
      const found = this.of(name, match);
      if (found.length >= count) return found;
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    throw new Error(`timed out waiting for ${count} ${name} fact(s); heard: ${JSON.stringify(this.of(name))}`);
  }

  /** Lets facts still in flight arrive, before asserting that something was NOT announced. */
  settle(ms = 300): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms));
  }

  clear(): void {
    this.heard.length = 0;
  }
}
