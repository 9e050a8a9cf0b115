/**
 * The listeners that feed a license's history (history.ts): one per catalogued fact that names a
 * license. A part of the monitoring service's schema, merged in as a mixin so these listeners sit
 * beside the detectors' listeners on the same facts (Moleculer runs both handlers of an event).
 */
import type { Context, ServiceSchema } from 'moleculer';
import type { Fact } from '../../lib/core/events.ts';
import { recordLicenseEvent } from './history.ts';
import type { MonitoringThis } from './state.ts';

export const historyListeners: Partial<ServiceSchema> = {
  events: {
    'license.created'(this: MonitoringThis, ctx: Context<Fact<'license.created'>>) {
      return recordLicenseEvent(this, 'license.created', ctx.params);
    },
    'license.updated'(this: MonitoringThis, ctx: Context<Fact<'license.updated'>>) {
      return recordLicenseEvent(this, 'license.updated', ctx.params);
    },
    'license.deleted'(this: MonitoringThis, ctx: Context<Fact<'license.deleted'>>) {
      return recordLicenseEvent(this, 'license.deleted', ctx.params);
    },
    'license.activated'(this: MonitoringThis, ctx: Context<Fact<'license.activated'>>) {
      return recordLicenseEvent(this, 'license.activated', ctx.params);
    },
    'license.expired'(this: MonitoringThis, ctx: Context<Fact<'license.expired'>>) {
      return recordLicenseEvent(this, 'license.expired', ctx.params);
    },
    'license.deactivated'(this: MonitoringThis, ctx: Context<Fact<'license.deactivated'>>) {
      return recordLicenseEvent(this, 'license.deactivated', ctx.params);
    },
    'license.usage_threshold'(this: MonitoringThis, ctx: Context<Fact<'license.usage_threshold'>>) {
      return recordLicenseEvent(this, 'license.usage_threshold', ctx.params);
    },
    'device.registered'(this: MonitoringThis, ctx: Context<Fact<'device.registered'>>) {
      return recordLicenseEvent(this, 'device.registered', ctx.params);
    },
    'device.deactivated'(this: MonitoringThis, ctx: Context<Fact<'device.deactivated'>>) {
      return recordLicenseEvent(this, 'device.deactivated', ctx.params);
    },
    'device.heartbeat.excessive'(this: MonitoringThis, ctx: Context<Fact<'device.heartbeat.excessive'>>) {
      return recordLicenseEvent(this, 'device.heartbeat.excessive', ctx.params);
    },
    'device.heartbeat.dead'(this: MonitoringThis, ctx: Context<Fact<'device.heartbeat.dead'>>) {
      return recordLicenseEvent(this, 'device.heartbeat.dead', ctx.params);
    },
    'resource.allocated'(this: MonitoringThis, ctx: Context<Fact<'resource.allocated'>>) {
      return recordLicenseEvent(this, 'resource.allocated', ctx.params);
    },
    'resource.released'(this: MonitoringThis, ctx: Context<Fact<'resource.released'>>) {
      return recordLicenseEvent(this, 'resource.released', ctx.params);
    },
    // An anomaly's evidence stays on the anomaly (linked by anomaly_id); its type is kept here.
    'anomaly.detected'(this: MonitoringThis, ctx: Context<Fact<'anomaly.detected'>>) {
      return recordLicenseEvent(this, 'anomaly.detected', ctx.params);
    },
  },
};
