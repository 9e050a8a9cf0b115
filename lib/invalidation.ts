/**
 * "Changes take effect at once, on every replica": a writer (admin edit, device change, customer
 * change) tells every node running the license service to drop its verify views, and waits until each
 * one did, before it answers. A broadcast event would return as soon as it is sent, and the very next
 * verify on another node could still be answered from the old view.
 *
 * A node that does not answer within the timeout is logged and skipped: its views expire on their own
 * (60 s), and a node that cannot answer cannot serve verifies either.
 */
import type { ServiceBroker } from 'moleculer';

export interface ViewChange {
  /** License keys whose views must go. */
  keys?: string[];
  /** Drop every view (a customer changed: it may own many licenses). */
  all?: boolean;
  /** Sessions to end: devices that were deactivated or removed. */
  ended?: Array<{ license_id: number; activation_id: number }>;
}

export async function dropLicenseViews(broker: ServiceBroker, change: ViewChange): Promise<void> {
  const services = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as Array<{
    name: string;
    nodeID?: string;
  }>;
  const nodes = [...new Set(services.filter(s => s.name === 'license' && s.nodeID).map(s => s.nodeID!))];
  await Promise.all(
    nodes.map(nodeID =>
      broker.call('license.dropViews', change, { nodeID, timeout: 2000, retries: 0 }).catch((err: Error) => {
        broker.logger.warn('A license node did not drop its views; they expire on their own', { nodeID, message: err.message });
      }),
    ),
  );
}
