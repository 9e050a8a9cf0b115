/**
 * What other services ask the webhook service over the broker (`visibility: 'public'`, no HTTP route):
 * the monitoring service's alerts read which endpoints are failing or were disabled by failures.
 */
import { actionFor } from '../../lib/core/schema-types.ts';
import { objectSchema } from '../../lib/core/validation.ts';
import { WebhookEndpointModel } from '../../models/webhook-endpoint.model.ts';
import { WebhookDeliveryModel } from '../../models/webhook-delivery.model.ts';
import type { EndpointStatesAnswer } from './contract.ts';
import { urlHost } from './records.ts';
import type { WebhookThis } from './state.ts';

const action = actionFor<WebhookThis>();

export const internalActions = {
  /**
   * failing: active endpoints with a delivery in state failing, since the earliest such failure;
   * disabled: endpoints disabled because a delivery failed its whole schedule (not those an admin
   * switched off).
   */
  endpointStates: action({
    visibility: 'public',
    params: objectSchema({}),
    async handler(): Promise<EndpointStatesAnswer> {
      // No $min accumulator on the embedded server: the failing endpoints are few, each asked once.
      const failingIds = await WebhookDeliveryModel.distinct('endpoint_id', { state: 'failing' });
      const [failingEndpoints, disabledDocs] = await Promise.all([
        WebhookEndpointModel.find({ _id: { $in: failingIds }, active: true }, { _id: 1, url: 1 })
          .sort({ _id: 1 })
          .lean(),
        WebhookEndpointModel.find(
          { active: false, disabled_by: 'delivery_failure' },
          { _id: 1, url: 1, disabled_at: 1, disabled_reason: 1 },
        )
          .sort({ _id: 1 })
          .lean(),
      ]);
      const failing = await Promise.all(
        failingEndpoints.map(async e => {
          const first = await WebhookDeliveryModel.findOne(
            { endpoint_id: e._id, state: 'failing' },
            { failing_since: 1 },
          )
            .sort({ failing_since: 1 })
            .lean();
          return { id: e._id, url_host: urlHost(e.url), since: (first?.failing_since ?? new Date()).toISOString() };
        }),
      );
      return {
        failing,
        disabled: disabledDocs.map(e => ({
          id: e._id,
          url_host: urlHost(e.url),
          since: (e.disabled_at ?? new Date()).toISOString(),
          reason: e.disabled_reason ?? '',
        })),
      };
    },
  }),
};
