/**
 * Builds a broker from moleculer.config.ts and loads the services named by SERVICES. Used by the start
 * scripts and by the tests, so both run exactly the same wiring.
 */
import { ServiceBroker, type BrokerOptions, type ServiceSchema } from 'moleculer';
import { brokerOptions } from '../../moleculer.config.ts';
import type { ServiceName } from '../../config/index.ts';

export function createBroker(overrides: Partial<BrokerOptions> = {}): ServiceBroker {
  return new ServiceBroker({ ...brokerOptions(), ...overrides });
}

export async function loadServices(broker: ServiceBroker, names: readonly ServiceName[]): Promise<void> {
  for (const name of names) {
    const module = (await import(new URL(`../../services/${name}.service.ts`, import.meta.url).href)) as {
      default: ServiceSchema;
    };
    broker.createService(module.default);
  }
}
