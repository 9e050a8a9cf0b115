/**
 * "Changes take effect at once, on every replica": a writer (admin edit, device change, customer
 * change, new release) tells every node that caches the changed data to drop it, and waits until each
 * one did, before it answers. A broadcast event would return as soon as it is sent, and the very next
 * verify on another node could still be answered from the old copy.
 *
 * A node that does not answer within the timeout is logged and skipped: its caches expire on their own
 * (views after 60 s, release lists after 30 s), and a node that cannot answer cannot serve either.
 */
import type { Service, ServiceBroker, ServiceSchema } from 'moleculer';

export interface ViewChange {
  /** License keys whose views must go. */
  keys?: string[];
  /** Drop the views of every license of these customers (a customer changed). */
  customers?: number[];
  /** Drop every view. */
  all?: boolean;
  /** Drop the release list (a release was published). */
  releases?: boolean;
  /** Sessions to end: devices that were deactivated or removed. */
  ended?: Array<{ license_id: number; activation_id: number }>;
}

export interface ViewInvalidationMethods {
  dropLicenseViews(change: ViewChange): Promise<void>;
  dropReleaseLists(): Promise<void>;
}

/** Calls `action` on every available node that runs `service`, and waits for all of them. */
export async function callEveryNode(
  broker: ServiceBroker,
  service: string,
  action: string,
  params: object,
): Promise<void> {
  const services = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as Array<{
    name: string;
    nodeID?: string;
  }>;
  const nodes = [...new Set(services.filter(s => s.name === service && s.nodeID).map(s => s.nodeID!))];
  await Promise.all(
    nodes.map(nodeID =>
      broker.call(action, params, { nodeID, timeout: 2000, retries: 0 }).catch((err: Error) => {
        broker.logger.warn('A node did not drop its cache; it expires on its own', {
          nodeID,
          action,
          message: err.message,
        });
      }),
    ),
  );
}

export function dropLicenseViews(broker: ServiceBroker, change: ViewChange): Promise<void> {
  return callEveryNode(broker, 'license', 'license.dropViews', change);
}

export async function dropReleaseLists(broker: ServiceBroker): Promise<void> {
  await Promise.all([
    callEveryNode(broker, 'version', 'version.dropReleases', {}),
    dropLicenseViews(broker, { releases: true }),
  ]);
}

export function viewInvalidationMixin(): Partial<ServiceSchema> {
  return {
    methods: {
      dropLicenseViews(this: Service, change: ViewChange) {
        return dropLicenseViews(this.broker, change);
      },
      dropReleaseLists(this: Service) {
        return dropReleaseLists(this.broker);
      },
    },
  };
}
